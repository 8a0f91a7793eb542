"""The optimum explorer of notebook 12, driven through its controls' ``.value``."""

import numpy as np
import pytest

from helpers import kl, toy_lm
from helpers.widgets.kl_explorer import N_WRONG, OptimumExplorer


@pytest.fixture(scope="module")
def policy():
    family = kl.Family(toy_lm.Task())
    ref = kl.reference(family, family.initial_theta())
    return kl.train(family, ref, 0.0, "none", 100, 4.0).theta


@pytest.fixture
def explorer(policy):
    e = OptimumExplorer(beta=0.25, prompt=2, policy_theta=policy)
    yield e
    e.close()


def heights(bars):
    return np.array([b.get_height() for b in bars])


def test_bars_are_pi_ref_and_pi_star(explorer):
    task = explorer.family.task
    ref = explorer.reference_log_probs()
    for beta in (0.05, 0.25, 2.0):
        explorer.beta.value = beta
        star = kl.optimal_log_probs(ref, task.rewards, beta)
        for q in range(3):
            explorer.prompt.value = q
            rows = explorer.rows
            assert task.rewards[q, rows[0]] == 1 and len(rows) == N_WRONG + 1
            rest = np.ones(task.answers.n, bool)
            rest[rows] = False
            for bars, lp in ((explorer.ref_bars, ref[q]), (explorer.star_bars, star[q])):
                p = np.exp(lp)
                np.testing.assert_allclose(heights(bars), [*p[rows], p[rest].sum()], atol=1e-12)
                assert heights(bars).sum() == pytest.approx(1)
            labels = [t.get_text() for t in explorer.ax_bars.get_xticklabels()]
            assert labels == [task.answers.text[y] for y in rows] + ["others"]
        assert explorer.message.value == ""


def test_the_marker_sits_on_the_curve_with_tangent_slope_beta(explorer):
    for beta in (0.1, 0.25, 1.0):
        explorer.beta.value = beta
        x, y = explorer.dot.get_data()
        c = kl.tradeoff(explorer.reference_log_probs(), explorer.family.task.rewards, beta)
        assert x[0] == pytest.approx(c["kl"][0]) and y[0] == pytest.approx(c["reward"][0])
        tx, ty = explorer.tangent.get_data()
        assert (ty[1] - ty[0]) / (tx[1] - tx[0]) == pytest.approx(beta)
        # the trained policy lies below the tangent: E[r] − β KL ≤ β log Z
        px, py = explorer.policy_dot.get_data()
        assert py[0] - beta * px[0] <= explorer.shown["objective"] + 1e-12
        assert "≤" in explorer.note.value and "E[r] − β·KL" in explorer.readout.value


def test_extreme_betas_give_finite_pictures(explorer):
    for beta in (1e-3, 1e2):
        explorer.beta.value = beta
        assert explorer.message.value == ""
        assert np.all(np.isfinite(heights(explorer.star_bars)))
        assert np.all(np.isfinite(explorer.tangent.get_data()[1]))
    explorer.beta.value = 1e-3
    assert explorer.shown["p_star"][explorer.rows[0]] == pytest.approx(1, abs=1e-9)
    explorer.beta.value = 1e2
    np.testing.assert_allclose(explorer.shown["p_star"], explorer.shown["p_ref"], rtol=0.05)


def test_a_truncated_reference_reports_infinite_kl(explorer):
    explorer.reference.value = "min_p"
    assert explorer.message.value == ""
    assert "infinite KL" in explorer.note.value and "probability 0" in explorer.note.value
    assert len(explorer.policy_dot.get_data()[0]) == 0          # no point at KL = ∞
    for q in range(3):
        explorer.prompt.value = q
        assert explorer.message.value == "" and np.all(np.isfinite(heights(explorer.star_bars)))
    explorer.prompt.value = 0            # π_ref says only "a.": no wrong answer is possible
    assert "no wrong answer" in explorer.readout.value
    explorer.reference.value = "start"
    assert "infinite" not in explorer.note.value and len(explorer.policy_dot.get_data()[0]) == 1


def test_bad_settings_raise_clear_errors(policy):
    for beta, phrase in ((-1.0, ">= 0"), (0.0, "β = 0 is the limit"), (1e4, "runs from")):
        with pytest.raises(ValueError, match=phrase):
            OptimumExplorer(beta=beta, policy_theta=policy)
    with pytest.raises(ValueError, match="prompt"):
        OptimumExplorer(prompt=3, policy_theta=policy)
    with pytest.raises(ValueError, match="reference"):
        OptimumExplorer(reference="uniform", policy_theta=policy)
    with pytest.raises(ValueError, match="theta"):
        OptimumExplorer(policy_theta=np.zeros(3))


def test_the_slider_cannot_leave_its_range(explorer):
    explorer.beta.value = -5.0          # a log slider clamps to its range: no negative β
    assert explorer.beta.value == pytest.approx(1e-3) and explorer.message.value == ""
