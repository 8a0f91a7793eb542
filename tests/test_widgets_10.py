"""Notebook 10's gain explorer, driven through its controls' ``.value``."""

import warnings

import numpy as np
import pytest

from helpers import lqr
from helpers.widgets.lqr_explorer import K1_RANGE, K2_RANGE, M_OPTIONS, SIGMA_OPTIONS, LQRExplorer


@pytest.fixture
def explorer():
    e = LQRExplorer(gain=(1.0, 1.5), grid=31)
    yield e
    e.close()


def arrow(q):
    return np.array([q.U[0], q.V[0]])


def test_arrows_are_the_exact_directions(explorer):
    e = explorer
    assert e.message.value == ""
    H = e.task.horizon
    grad = lqr.gradient(e.task, e.gain, e.sigma.value, H)[0]
    nat = lqr.natural_gradient(e.task, e.gain, e.sigma.value, H)[0][0]
    for q, d in ((e.arrow, -grad), (e.natural_arrow, -nat)):
        v = arrow(q)
        assert np.isclose(np.linalg.norm(v), e.arrow_length)
        np.testing.assert_allclose(v / np.linalg.norm(v), d / np.linalg.norm(d), atol=1e-12)
    # the natural gradient points (almost) at K* from here; the steepest descent does not
    to_star = (e.k_star[0] - e.gain[0]) / np.linalg.norm(e.k_star[0] - e.gain[0])
    assert arrow(e.natural_arrow) @ to_star > arrow(e.arrow) @ to_star
    assert "C(𝐊, σ)" in e.stats.value


def test_cloud_is_centred_on_the_black_arrows_tip(explorer):
    e = explorer
    e.m.value = 100
    ghat = e.estimates()
    np.testing.assert_allclose(np.asarray(e.cloud.get_offsets()),
                               e.gain[0] + e.arrow_length * ghat
                               / np.linalg.norm(lqr.gradient(e.task, e.gain, e.sigma.value,
                                                             e.task.horizon)))
    exact = -lqr.gradient(e.task, e.gain, e.sigma.value, e.task.horizon)[0]
    se = ghat.std(axis=0, ddof=1) / np.sqrt(len(ghat))
    assert np.all(np.abs(ghat.mean(axis=0) - exact) < 4 * se)


def test_the_baseline_shrinks_the_cloud_at_small_sigma(explorer):
    e = explorer
    e.sigma.value = 0.05
    plain = e.rms_error
    e.baseline.value = True
    assert e.rms_error < plain / 5


def test_sigma_swaps_in_its_precomputed_picture(explorer):
    e = explorer
    before = np.ma.getdata(e.image.get_array()).copy()
    e.sigma.value = 2.0
    after = e.image.get_array()
    assert not np.allclose(np.ma.getdata(after), before, equal_nan=True)
    assert len(e.lines.get_segments()) > 0 and set(e._pictures) == set(SIGMA_OPTIONS)
    e.sigma.value = 0.5
    np.testing.assert_array_equal(np.ma.getdata(e.image.get_array()), before)


def test_unstable_gain_shows_a_red_message_and_no_warning(explorer):
    e = explorer
    stats, black = e.stats.value, arrow(e.arrow)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e.gain1.value = 4.4
    assert "unstable: expected cost is infinite" in e.message.value
    # the picture and the numbers stay at the last stable gain, and the message says so
    assert "last stable gain" in e.message.value and e.stats.value == stats
    np.testing.assert_array_equal(arrow(e.arrow), black)
    assert "color:#b2182b" in e.message.value and e.last_error is not None
    e.gain1.value = 1.0
    assert e.message.value == ""


@pytest.mark.parametrize("gain1", [K1_RANGE[0], K1_RANGE[1]])
@pytest.mark.parametrize("gain2", [K2_RANGE[0], K2_RANGE[1], 1.0])
def test_every_corner_of_the_sliders_is_handled(explorer, gain1, gain2):
    e = explorer
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for sigma in (SIGMA_OPTIONS[0], SIGMA_OPTIONS[-1]):
            for m in (M_OPTIONS[0], M_OPTIONS[-1]):
                with e.hold():
                    e.gain1.value, e.gain2.value, e.sigma.value, e.m.value = gain1, gain2, sigma, m
                stable = lqr.spectral_radius(e.task, e.gain) < 1 / np.sqrt(e.task.gamma)
                assert (e.message.value == "") == stable
                assert e.last_error is None or "unstable" in e.last_error


def test_resample_changes_the_cloud_but_not_the_arrows(explorer):
    e = explorer
    cloud, black = np.array(e.cloud.get_offsets()), arrow(e.arrow)
    e.resample.click()
    assert not np.allclose(cloud, e.cloud.get_offsets())
    np.testing.assert_array_equal(black, arrow(e.arrow))


@pytest.mark.parametrize("kwargs", [{"sigma": 0.3}, {"m": 3}, {"gain": (1.0,)},
                                    {"gain": (np.nan, 1.0)}, {"n_estimates": 1},
                                    {"arrow": 0.0}])
def test_bad_arguments_are_clear_errors(kwargs):
    with pytest.raises(ValueError):
        LQRExplorer(**kwargs)


def test_where_the_arrows_disagree_the_natural_one_points_at_the_optimum():
    """Notebook 10's Explore task: wherever −∇C and the natural gradient are more than 60°
    apart, the natural gradient is within 25° of the direction to 𝐊* and −∇C at least 45°
    off (on a grid over the stable set, at σ = 0.05 and 2)."""
    task = lqr.toy_task(horizon=60)
    K_star, _ = lqr.optimal_gain(task)

    def angle(u, v):
        return np.degrees(np.arccos(np.clip(u @ v / np.linalg.norm(u) / np.linalg.norm(v),
                                            -1, 1)))

    apart = 0
    for sigma in (0.05, 2.0):
        for k1 in np.arange(-0.1, 4.55, 0.15):
            for k2 in np.arange(-0.1, 2.15, 0.15):
                K = np.array([[k1, k2]])
                d = (K_star - K)[0]
                if (lqr.spectral_radius(task, K) >= 1 / np.sqrt(task.gamma)
                        or np.linalg.norm(d) < 0.1):
                    continue
                g = -lqr.gradient(task, K, sigma, 60)[0]
                n = -lqr.natural_gradient(task, K, sigma, 60)[0][0]
                if angle(g, n) > 60:
                    apart += 1
                    assert angle(n, d) < 25 and angle(g, d) > 45, (k1, k2, sigma)
    assert apart >= 5
