"""The bug explorer of notebook 08, driven through its controls' ``.value``."""

import numpy as np
import pytest

from helpers import mdp as M
from helpers import pg_bugs as B
from helpers.widgets.bug_explorer import BUG_M_OPTIONS, BugExplorer
from helpers.widgets.gradient_cloud import GradientCloudExplorer


@pytest.fixture
def explorer():
    e = BugExplorer(n_estimates=20, grid=9, ascent_steps=20)
    yield e
    e.close()


def expected_vector(e):
    return np.array([e.expected_arrow.U[0], e.expected_arrow.V[0]]) / e.eta


def test_it_is_the_gradient_cloud_with_an_estimator_picker(explorer):
    assert isinstance(explorer, GradientCloudExplorer)
    assert explorer.message.value == ""
    assert explorer.estimator.value == "reward_to_go"
    mdp, pol = M.example_mdp()
    exact = M.exact_gradient(mdp, pol, explorer.theta)
    # an unbiased estimator: its expected arrow is the exact one
    np.testing.assert_allclose(expected_vector(explorer), exact, atol=1e-13)
    np.testing.assert_allclose([explorer.arrow.U[0] / explorer.eta,
                                explorer.arrow.V[0] / explorer.eta], exact, atol=1e-13)


def test_expected_arrow_cloud_and_path_follow_the_estimator(explorer):
    mdp, pol = M.example_mdp()
    explorer.estimator.value = "logit_not_log_prob"
    e = B.expectation("logit_not_log_prob", mdp, pol, explorer.theta)
    np.testing.assert_allclose(expected_vector(explorer), e.mean, atol=1e-13)
    tips = np.asarray(explorer.cloud.get_offsets())
    np.testing.assert_allclose(tips, explorer.theta + explorer.eta * explorer.estimates())
    x, y = explorer.path.get_data()
    np.testing.assert_allclose([x[0], y[0]], explorer.theta)
    assert x[-1] < x[0] and y[-1] < y[0]          # heads for the worst corner
    assert "logit" in explorer.stats.value and "exact" in explorer.stats.value


def test_episode_standardisation_path_is_horizontal(explorer):
    explorer.estimator.value = "episode_standardised"
    assert np.allclose(np.diff(explorer.path.get_ydata()), 0, atol=1e-12)


def test_batch_estimator_uses_m(explorer):
    explorer.estimator.value = "batch_mean_baseline"
    mdp, pol = M.example_mdp()
    ratios = {}
    for m in (2, 5):
        explorer.m.value = m
        ratios[m] = expected_vector(explorer) @ M.exact_gradient(mdp, pol, explorer.theta)
    g = M.exact_gradient(mdp, pol, explorer.theta)
    assert np.isclose(ratios[2] / (g @ g), 0.5) and np.isclose(ratios[5] / (g @ g), 0.8)
    explorer.m.value = 100                           # too many batches: Monte Carlo
    assert "Monte Carlo" in explorer.stats.value and explorer.message.value == ""
    assert np.isclose(expected_vector(explorer) @ g / (g @ g), 0.99, atol=0.1)


def test_every_estimator_at_extreme_settings_redraws_or_explains(explorer):
    for name in B.ESTIMATORS:
        with explorer.hold():
            explorer.estimator.value = name
            explorer.m.value = BUG_M_OPTIONS[0]
        if name == "leave_one_out_baseline":
            assert "at least m = 2" in explorer.message.value
        else:
            assert explorer.message.value == "", name
        for m in (BUG_M_OPTIONS[1], BUG_M_OPTIONS[-1]):
            explorer.m.value = m
            assert explorer.message.value == "", (name, m)
            assert np.all(np.isfinite(explorer.cloud.get_offsets()))
    for v in (explorer.theta1.min, explorer.theta1.max):
        with explorer.hold():
            explorer.theta1.value = v
            explorer.theta2.value = -v
        assert explorer.message.value == ""
        assert np.all(np.isfinite(explorer.path.get_xydata()))


def test_a_broken_computation_shows_a_message_not_a_traceback(explorer, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("theta contains NaN values; every entry must be a finite number.")
    monkeypatch.setattr(B.Enumeration, "expect", broken)
    explorer.estimator.value = "full_return"
    assert "NaN" in explorer.message.value
    monkeypatch.undo()
    explorer.estimator.value = "reward_to_go"
    assert explorer.message.value == ""


def test_resample_changes_the_cloud_not_the_expected_arrow(explorer):
    before, arrow = np.array(explorer.cloud.get_offsets()), expected_vector(explorer)
    explorer.resample.click()
    assert not np.allclose(before, explorer.cloud.get_offsets())
    np.testing.assert_array_equal(arrow, expected_vector(explorer))


@pytest.mark.parametrize("kwargs, match", [
    (dict(estimator="gradient_descent"), "not an estimator of the gallery"),
    (dict(m=7), "m must be one of"),
    (dict(ascent_steps=0), "ascent_steps must be at least 1"),
    (dict(policy=M.tabular_softmax(5, 2)), "give both mdp and policy"),
])
def test_bad_construction_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BugExplorer(grid=7, **kwargs)


def test_policy_of_the_wrong_shape_raises():
    mdp, _ = M.example_mdp()
    with pytest.raises(ValueError, match="exactly two parameters|wrong shape"):
        BugExplorer(mdp, M.tabular_softmax(5, 2), grid=7)
    with pytest.raises(ValueError, match="wrong shape|policy is for"):
        BugExplorer(mdp, M.feature_softmax(np.zeros((3, 2, 2))), grid=7)


def test_the_key_is_html_and_the_figure_has_few_text_artists(explorer):
    # the legend and the title would be rendered again on every redraw: their facts live in
    # HTML beside the figure instead (the key) and in the stats line (m, η)
    assert explorer.ax.get_legend() is None and not explorer.ax.get_title()
    for words in ("θ + η∇U (exact)", "θ + η E[ĝ] (this estimator)", "ascent with E[ĝ]"):
        assert words in explorer.key.value
    assert f"m = {explorer.m.value}" in explorer.stats.value and "η = 4" in explorer.stats.value
    assert list(explorer.ax.get_xticks()) == [-4, -2, 0, 2, 4]
    # the gradient cloud places the key beside the figure: this estimator's key, once
    shown = [explorer.view]
    for widget in shown:
        shown.extend(getattr(widget, "children", ()))
    assert shown.count(explorer.key) == 1 and "mean of the cloud" not in explorer.key.value


def test_expected_steps_are_cached_and_seeded(explorer):
    explorer.estimator.value = "batch_mean_baseline"
    explorer.m.value = 50                            # Monte Carlo
    first = explorer.expected()
    assert first.method == "monte carlo" and explorer.expected() is first
    explorer.theta1.value = 1.0
    explorer.theta1.value = -1.0                     # back: the same seeded answer, not resampled
    assert explorer.expected() is first
    fresh = BugExplorer(n_estimates=5, grid=5, ascent_steps=2, m=50,
                        estimator="batch_mean_baseline")
    np.testing.assert_array_equal(fresh.expected().mean, first.mean)
    fresh.close()
