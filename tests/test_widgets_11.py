"""Notebook 11's trust-region explorer, driven headless through its controls' ``.value``."""

import numpy as np
import pytest

from helpers import pg_bugs
from helpers import trust_region as tr
from helpers.widgets.trust_region_explorer import TrustRegionExplorer

THETA_OLD = np.array([-3.0, 1.0])


@pytest.fixture
def explorer():
    e = TrustRegionExplorer(n_points=101)
    yield e
    e.close()


def ydata(line):
    return np.asarray(line.get_ydata(), dtype=float)


def test_curves_and_markers_are_the_exact_quantities(explorer):
    mdp, policy = pg_bugs.discounted_example_mdp(0.5)
    par = tr.Logits(policy)
    F, g = tr.fisher(mdp, par, THETA_OLD), tr.gradient(mdp, par, THETA_OLD)
    u = np.linalg.solve(F, g)
    u = u / np.sqrt(u @ F @ u)
    expected = tr.along_line(mdp, par, THETA_OLD, u, explorer.grid, 0.2)
    for key in ("U", "surrogate", "clipped", "bound", "max_kl", "mean_kl"):
        np.testing.assert_allclose(ydata(explorer.curves[key]), getattr(expected, key),
                                   atol=1e-13)
    explorer.step.value = 0.74
    pi = par.probs(THETA_OLD + 0.74 * u)
    assert abs(ydata(explorer.marks["U"])[0] - tr.evaluate(mdp, pi).U) < 1e-13
    assert abs(ydata(explorer.marks["max_kl"])[0]
               - tr.max_kl(mdp, par.probs(THETA_OLD), pi)) < 1e-13
    assert "η = 0.74" in explorer.readout.value and explorer.message.value == ""
    # Theorem 1 along the whole line, and equality at η = 0
    assert np.all(expected.U >= expected.bound - 1e-12)
    assert abs(expected.U[0] - expected.bound[0]) < 1e-14


def test_step_moves_markers_and_eps_only_the_clipped_curve(explorer):
    before = {k: ydata(c).copy() for k, c in explorer.curves.items()}
    explorer.step.value = 2.0
    for k, c in explorer.curves.items():
        np.testing.assert_array_equal(ydata(c), before[k])
    explorer.eps.value = 0.4
    for k, c in explorer.curves.items():
        same = np.array_equal(ydata(c), before[k], equal_nan=True)
        assert same == (k != "clipped"), k
    # a wider clip range lets ℒ^CLIP follow ℒ further: never lower
    assert np.all(ydata(explorer.curves["clipped"]) >= before["clipped"] - 1e-14)
    limits = (explorer.ax.get_ylim(), explorer.ax_kl.get_ylim())
    explorer.direction.value = "vanilla"
    explorer.parameters.value = "probabilities"
    assert (explorer.ax.get_ylim(), explorer.ax_kl.get_ylim()) == limits   # axes stay put


def test_natural_slope_is_the_same_in_both_parameterisations_and_the_steepest(explorer):
    """With u scaled to uᵀFu = 1, U's slope at η = 0 is gᵀu: √(gᵀF⁻¹g) for the natural
    direction in either parameterisation (the largest at this KL), less for the vanilla one,
    by an amount that depends on the parameterisation."""
    slope = {}
    for direction in ("vanilla", "natural"):
        for parameters in ("logits", "probabilities"):
            line = tr.along_line(explorer.mdp, explorer.pars[parameters],
                                 explorer.x_old(parameters),
                                 explorer.unit_direction(direction, parameters), [0.0, 1e-6],
                                 0.2)
            slope[direction, parameters] = (line.U[1] - line.U[0]) / 1e-6
    natural = [slope["natural", p] for p in ("logits", "probabilities")]
    vanilla = [slope["vanilla", p] for p in ("logits", "probabilities")]
    assert abs(natural[0] - natural[1]) < 1e-5
    assert max(vanilla) < min(natural) - 1e-3 and abs(vanilla[0] - vanilla[1]) > 1e-3


def test_a_probability_that_becomes_zero_is_reported_not_a_crash(explorer):
    explorer.parameters.value = "probabilities"
    explorer.direction.value = "vanilla"
    u = explorer.unit_direction()
    p_old = explorer.x_old()
    to_one = (1 - p_old[0]) / u[0]                 # where p₁ = π(right | A, B) reaches 1
    explorer.step.value = float(to_one)
    assert explorer.message.value == ""
    assert "max KL = ∞" in explorer.readout.value and "−∞" in explorer.readout.value
    assert np.isnan(ydata(explorer.marks["bound"])[0])
    assert np.isfinite(ydata(explorer.marks["U"])[0])
    explorer.step.value = min(float(to_one) + 0.2, explorer.max_step)
    assert explorer.message.value == ""
    assert "leaves the set of policies" in explorer.readout.value
    assert np.isnan(ydata(explorer.marks["U"])[0])
    # the curves stop where the policy stops being one
    assert np.isnan(ydata(explorer.curves["U"])[explorer.grid > to_one + 1e-9]).all()


def test_bad_settings_are_clear_errors():
    for eps in (0.0, -0.1, 1.0, 1.2):
        with pytest.raises(ValueError, match="ε"):
            TrustRegionExplorer(eps=eps)
    mdp, policy = pg_bugs.discounted_example_mdp(1.0)
    with pytest.raises(ValueError, match="γ < 1"):
        TrustRegionExplorer(mdp, policy)
    with pytest.raises(ValueError, match="direction"):
        TrustRegionExplorer(direction="sideways")
    with pytest.raises(ValueError, match="step"):
        TrustRegionExplorer(step=9.0)
