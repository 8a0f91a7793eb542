"""The gradient-cloud explorer of notebook 04, driven through its controls' ``.value``."""

import ipywidgets as W
import numpy as np
import pytest

from helpers import mdp as M
from helpers.widgets.gradient_cloud import M_OPTIONS, GradientCloudExplorer


@pytest.fixture
def explorer():
    e = GradientCloudExplorer(n_estimates=30, grid=11)
    yield e
    e.close()


def arrow_vector(e):
    return np.array([e.arrow.U[0], e.arrow.V[0]])


def test_initial_state_draws_exact_arrow_and_cloud(explorer):
    mdp, pol = M.example_mdp()
    assert explorer.message.value == ""
    np.testing.assert_allclose(arrow_vector(explorer) / explorer.eta,
                               M.exact_gradient(mdp, pol, [0, 0]), atol=1e-12)
    assert explorer.cloud.get_offsets().shape == (30, 2)
    exact = M.exact_gradient(mdp, pol, [0, 0])
    assert f"exact ∇U = ({exact[0]:.3f}, {exact[1]:.3f})" in explorer.stats.value


def test_cloud_is_the_estimates_and_its_mean_tracks_the_arrow(explorer):
    tips = np.asarray(explorer.cloud.get_offsets())
    np.testing.assert_allclose(tips, explorer.theta + explorer.eta * explorer.estimates())
    explorer.m.value = 1000
    ghat = explorer.estimates()
    exact = arrow_vector(explorer) / explorer.eta
    se = ghat.std(axis=0, ddof=1) / np.sqrt(len(ghat))
    assert np.all(np.abs(ghat.mean(0) - exact) < 4 * se + 1e-12)
    x, y = explorer.cloud_mean.get_data()
    np.testing.assert_allclose([x[0], y[0]], explorer.theta + explorer.eta * ghat.mean(0))


def test_cloud_shrinks_like_one_over_root_m(explorer):
    errors = {}
    for m in (10, 1000):
        explorer.m.value = m
        errors[m] = explorer.rms_error
    ratio = errors[10] / errors[1000]
    assert 6 < ratio < 16  # √100 = 10, within sampling noise of 30 estimates


def test_resample_changes_the_cloud_but_not_the_arrow(explorer):
    before = np.array(explorer.cloud.get_offsets())
    arrow = arrow_vector(explorer)
    explorer.resample.click()
    after = np.array(explorer.cloud.get_offsets())
    assert not np.allclose(before, after)
    np.testing.assert_array_equal(arrow, arrow_vector(explorer))
    assert explorer.message.value == ""


def test_same_seed_same_cloud():
    a = GradientCloudExplorer(grid=7, seed=3)
    b = GradientCloudExplorer(grid=7, seed=3)
    np.testing.assert_array_equal(a.cloud.get_offsets(), b.cloud.get_offsets())
    a.close()
    b.close()


def test_theta_sliders_move_arrow_origin_and_gradient(explorer):
    mdp, pol = M.example_mdp()
    with explorer.hold():
        explorer.theta1.value = 2.0
        explorer.theta2.value = -1.5
    np.testing.assert_allclose(explorer.arrow.get_offsets()[0], [2.0, -1.5])
    np.testing.assert_allclose(arrow_vector(explorer) / explorer.eta,
                               M.exact_gradient(mdp, pol, [2.0, -1.5]), atol=1e-12)


def test_every_setting_redraws_without_message(explorer):
    for m in M_OPTIONS:
        explorer.m.value = m
        assert explorer.message.value == "", m
    for v in (explorer.theta1.min, explorer.theta1.max):
        explorer.theta1.value = v
        explorer.theta2.value = -v
        assert explorer.message.value == ""
        assert np.all(np.isfinite(explorer.cloud.get_offsets()))


def test_odd_input_gives_a_message_not_a_traceback(explorer, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("theta contains NaN values; every entry must be a finite number.")
    monkeypatch.setattr(M, "exact_gradient", broken)
    explorer.m.value = 20
    assert "NaN" in explorer.message.value
    monkeypatch.undo()
    explorer.m.value = 50
    assert explorer.message.value == ""


@pytest.mark.parametrize("kwargs, match", [
    (dict(m=7), "m must be one of"),
    (dict(theta=(0.0,)), r"theta must have shape \(2\)"),
    (dict(n_estimates=0), "n_estimates must be at least 1"),
    (dict(eta=-1.0), "eta .* must be positive"),
    (dict(policy=M.tabular_softmax(5, 2)), "give both mdp and policy"),
])
def test_bad_construction_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GradientCloudExplorer(grid=7, **kwargs)


def test_policy_must_have_two_parameters():
    mdp, _ = M.example_mdp()
    with pytest.raises(ValueError, match="exactly two parameters"):
        GradientCloudExplorer(mdp, M.tabular_softmax(5, 2), grid=7)


def widgets_in(view):
    """Every widget in a layout, depth first."""
    yield view
    for child in getattr(view, "children", ()):
        yield from widgets_in(child)


def test_key_beside_the_figure_and_the_titles_facts_in_the_stats_line(explorer):
    # a legend over the contour plot and a title would be drawn again on every change
    assert explorer.ax.get_legend() is None and not explorer.ax.get_title()
    for words in ("θ + η ĝ (each ĝ from m trajectories)", "mean of the cloud",
                  "θ + η ∇U (exact)"):
        assert words in explorer.key.value
    # once in the layout, in a row right of the figure (headless the figure is an Output)
    assert list(widgets_in(explorer.view)).count(explorer.key) == 1
    row = next(w for w in widgets_in(explorer.view)
               if isinstance(w, W.HBox) and explorer.key in w.children)
    assert list(row.children) == [row.children[0], explorer.key]
    assert row.children[0] is explorer.fig.canvas or isinstance(row.children[0], W.Output)
    explorer.m.value = 50
    assert "30 estimates, each from m = 50 trajectories (η = 4)" in explorer.stats.value
    assert explorer.ax.get_xlabel() and explorer.ax.get_ylabel()


def test_a_change_moves_no_axis(explorer):
    limits = (explorer.ax.get_xlim(), explorer.ax.get_ylim())
    for name, value in (("m", 1000), ("theta1", 4.0), ("theta2", -4.0), ("m", 1)):
        getattr(explorer, name).value = value
        assert (explorer.ax.get_xlim(), explorer.ax.get_ylim()) == limits
