"""helpers.log_trick's pictures and exact spreads (notebook 01).

* the exact per-sample standard deviations of the throw's estimators: the score-function one
  from sympy (integrating against the Gaussian density), the pathwise one by hand, both
  against simulation;
* the why-the-log table: p sums to 1, ∇p to 0 (and is sympy's derivative), p·score = ∇p; its
  picture draws those bars;
* the running mean and its standard-error band, against numpy;
* the re-weighted objective from one batch: Ĵ(θ) is the plain mean, its slope at h = 0 is
  the score-function estimate (finite differences of the curve), it is unbiased at every h
  (against the exact J, many batches), and the picture draws curve, tangent and exact J;
* bad input raises ValueError.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import sympy as sp  # noqa: E402

from helpers import Gaussian, log_trick  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_score_function_std_is_the_sympy_variance():
    x, theta, c = sp.symbols("x theta c", real=True)
    s = sp.symbols("sigma", positive=True)
    density = sp.exp(-(x - theta) ** 2 / (2 * s**2)) / sp.sqrt(2 * sp.pi * s**2)
    estimate = -(x - c) ** 2 * (x - theta) / s**2
    mean = sp.integrate(density * estimate, (x, -sp.oo, sp.oo))
    second = sp.integrate(density * estimate**2, (x, -sp.oo, sp.oo))
    d = theta - c
    assert sp.simplify(mean - (-2 * d)) == 0
    assert sp.simplify(second - mean**2 - (d**4 / s**2 + 14 * d**2 + 15 * s**2)) == 0
    for th, sd, target in ((0.5, 1.0, 2.0), (-1.0, 0.3, 1.0)):
        value = float(sp.sqrt(second - mean**2).subs({theta: th, s: sd, c: target}))
        assert log_trick.throw_estimate_std("score_function", th, sd, target) == pytest.approx(
            value, rel=1e-12)


def test_estimate_stds_match_simulation():
    rng = np.random.default_rng(0)
    sf = log_trick.throw_score_function_estimates(0.5, 1.0, 400_000, rng)
    pw = log_trick.throw_pathwise_estimates(0.5, 1.0, 400_000, rng)
    assert sf.std() == pytest.approx(log_trick.throw_estimate_std("score_function", 0.5),
                                     rel=0.02)
    assert pw.std() == pytest.approx(log_trick.throw_estimate_std("pathwise", 0.5), rel=0.01)


def test_why_log_table():
    t = log_trick.why_log_table(0.5)
    th = sp.symbols("theta")
    p1 = 1 / (1 + sp.exp(-th))
    assert t["p"].sum() == pytest.approx(1) and t["dp"].sum() == pytest.approx(0, abs=1e-15)
    np.testing.assert_allclose(t["dp"], [float(sp.diff(1 - p1, th).subs(th, 0.5)),
                                         float(sp.diff(p1, th).subs(th, 0.5))], atol=1e-12)
    np.testing.assert_allclose(t["p_score"], t["dp"], atol=1e-15)
    np.testing.assert_allclose(t["score"], [-t["p"][1], 1 - t["p"][1]])
    assert (t["dp"] < 0).sum() == 1
    np.testing.assert_allclose(t["f"], [-1, 1])


def test_why_log_picture_draws_the_table():
    t = log_trick.plot_why_log(0.5)
    a, b, c = t["axes"]
    np.testing.assert_allclose([r.get_height() for r in a.patches], t["p"])
    np.testing.assert_allclose([r.get_height() for r in b.patches], t["dp"])
    heights = [r.get_height() for r in c.patches]
    np.testing.assert_allclose(heights, np.r_[t["score"], t["p_score"]])
    assert "sums to 1" in a.get_title() and "sums to 0" in b.get_title()


def test_running_mean_and_its_band():
    values = np.random.default_rng(1).normal(3.0, 2.0, 500)
    out = log_trick.plot_running_mean(values, 3.0)
    np.testing.assert_allclose(out["mean"][[0, 9, 499]],
                               [values[0], values[:10].mean(), values.mean()])
    np.testing.assert_allclose(out["se"][[9, 499]],
                               [values[:10].std(ddof=1) / np.sqrt(10),
                                values.std(ddof=1) / np.sqrt(500)])
    line = out["ax"].get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), out["mean"])
    assert out["ax"].get_xscale() == "log"


def test_reweighted_objective_from_one_batch():
    rng = np.random.default_rng(2)
    xs = Gaussian(0.5, 1.0).sample(rng, 2000)
    hs = np.array([-1.0, -1e-5, 0.0, 1e-5, 1.0])
    out = log_trick.reweighted_throw_objective(xs, 0.5, hs)
    assert out["reweighted"][2] == pytest.approx(log_trick.throw_payoff(xs).mean())
    assert out["J_hat"] == pytest.approx(out["reweighted"][2])
    slope = (out["reweighted"][3] - out["reweighted"][1]) / 2e-5
    assert slope == pytest.approx(out["slope"], rel=1e-6)
    np.testing.assert_allclose(out["exact"], [log_trick.throw_objective(0.5 + h) for h in hs])
    # unbiased at every h: the average over many batches is the exact J(θ + h)
    batches = [log_trick.reweighted_throw_objective(Gaussian(0.5, 1.0).sample(rng, 200), 0.5,
                                                    [-1.0, 0.7])["reweighted"]
               for _ in range(3000)]
    mean, se = np.mean(batches, axis=0), np.std(batches, axis=0) / np.sqrt(3000)
    np.testing.assert_array_less(np.abs(mean - [log_trick.throw_objective(-0.5),
                                                log_trick.throw_objective(1.2)]), 5 * se)


def test_reweighted_picture():
    xs = Gaussian(0.5, 1.0).sample(np.random.default_rng(3), 1000)
    out = log_trick.plot_reweighted_objective(xs, 0.5, np.linspace(-1, 1, 21))
    exact_line, curve, tangent = out["ax"].get_lines()[:3]
    np.testing.assert_allclose(curve.get_ydata(), out["reweighted"])
    np.testing.assert_allclose(exact_line.get_ydata(), out["exact"])
    np.testing.assert_allclose(np.diff(tangent.get_ydata()) / np.diff(tangent.get_xdata()),
                               out["slope"])


@pytest.mark.parametrize(("call", "match"), [
    (lambda: log_trick.throw_estimate_std("finite", 0.5), "kind"),
    (lambda: log_trick.throw_estimate_std("pathwise", 0.5, std=0.0), "std"),
    (lambda: log_trick.plot_running_mean([1.0], 0.0), "at least 2"),
    (lambda: log_trick.plot_running_mean([1.0, np.nan], 0.0), "per_sample"),
    (lambda: log_trick.reweighted_throw_objective([[1.0]], 0.5, [0.0]), "xs"),
    (lambda: log_trick.why_log_table("a"), "theta"),
])
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()
