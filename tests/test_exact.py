"""helpers.exact, the course's referee: every number against an independent computation
(brute-force sums over ordered batches, closed forms, sampling)."""

import itertools
import math

import numpy as np
import pytest

from helpers import exact


def _problem(n=5, K=3, seed=0):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(n))
    h = rng.normal(size=(n, K))
    return p, h


@pytest.mark.parametrize("n, m", [(1, 1), (3, 1), (4, 2), (5, 3), (3, 4)])
def test_batches_count_and_weights(n, m):
    p, _ = _problem(n)
    multi, ordered = exact.batches(n, m), exact.batches(p, m, ordered=True)
    assert multi.n_batches == math.comb(n + m - 1, m) and ordered.n_batches == n**m
    assert np.all(np.diff(multi.index, axis=1) >= 0)            # multisets in increasing order
    w_multi, w_ord = multi.weights(p), ordered.weights(p)
    assert abs(w_multi.sum() - 1) < 1e-12 and abs(w_ord.sum() - 1) < 1e-12
    # a multiset's probability is the sum over the ordered tuples that sort to it
    summed = {}
    for row, w in zip(ordered.index, w_ord, strict=True):
        key = tuple(sorted(row))
        summed[key] = summed.get(key, 0.0) + w
    for row, w in zip(multi.index, w_multi, strict=True):
        assert w == pytest.approx(summed[tuple(row)], rel=1e-12)
    np.testing.assert_allclose(multi.weights_from_log(np.log(p)), w_multi, rtol=1e-15)
    np.testing.assert_allclose(ordered.weights_from_log(np.log(p)), w_ord, rtol=1e-13)


def test_zero_probability_outcomes_need_no_special_care():
    p = np.array([0.0, 0.25, 0.75])
    with np.errstate(all="raise"):            # as inside an explorer's redraw
        w = exact.batches(3, 3).weights(p)
        idx = exact.batches(3, 3).index
    assert abs(w.sum() - 1) < 1e-15 and np.all(w[(idx == 0).any(axis=1)] == 0)


def test_the_mean_of_m_draws_has_the_textbook_moments():
    p, h = _problem()
    mu = p @ h
    var = p @ np.sum((h - mu) ** 2, axis=1)
    for m in (1, 2, 3):
        for ordered in (False, True):
            mo = exact.expect(lambda idx: h[idx].mean(axis=1), p, m, ordered=ordered,
                              reference=mu)
            np.testing.assert_allclose(mo.mean, mu, rtol=1e-12, atol=1e-15)
            assert mo.trace_cov == pytest.approx(var / m, rel=1e-12)
            assert mo.per_trajectory == pytest.approx(var, rel=1e-12)
            assert mo.bias_norm < 1e-14 and mo.mse == pytest.approx(var / m, rel=1e-12)
            assert mo.method == "exact" and np.all(mo.se == 0) and mo.m == m
            assert mo.n_terms == (len(p) ** m if ordered else math.comb(len(p) + m - 1, m))


def test_a_batch_dependent_estimator_against_brute_force():
    """Leave-one-out weights: E and tr Cov by an explicit loop over ordered batches."""
    p, h = _problem(4, 2, seed=3)
    r = np.array([1.0, 0.0, 2.0, -1.0])
    m = 3

    def loo(idx):
        R = r[idx]
        A = R - (R.sum(axis=1, keepdims=True) - R) / (m - 1)
        return np.einsum("bi,bik->bk", A, h[idx]) / m

    mean, second = np.zeros(2), 0.0
    for tup in itertools.product(range(4), repeat=m):
        w = np.prod(p[list(tup)])
        g = loo(np.array([tup]))[0]
        mean += w * g
        second += w * g @ g
    for ordered in (False, True):
        mo = exact.expect(loo, p, m, ordered=ordered)
        np.testing.assert_allclose(mo.mean, mean, rtol=1e-12)
        assert mo.trace_cov == pytest.approx(second - mean @ mean, rel=1e-11)
    # unbiased for E[r h]: the others' mean is independent of x_i
    np.testing.assert_allclose(mean, (p * (r - p @ r)) @ h, rtol=1e-12)


@pytest.mark.parametrize("m", [1, 2, 3, 5])
def test_lumped_equals_full_enumeration(m):
    """Weights that depend on the classes only: the class shortcut is exact."""
    rng = np.random.default_rng(m)
    n, K = 6, 3
    p = rng.dirichlet(np.ones(n))
    h = rng.normal(size=(n, K))
    cls = np.array([0, 1, 0, 2, 1, 0])
    value = np.array([0.0, 1.0, 3.0])               # a reward per class

    def class_weights(c):                           # group-mean advantage / m
        R = value[c]
        return (R - R.mean(axis=1, keepdims=True)) / m

    full = exact.expect(lambda idx: np.einsum("bi,bik->bk", class_weights(cls[idx]), h[idx]),
                        p, m)
    P = np.array([p[cls == c].sum() for c in range(3)])
    mu = np.array([p[cls == c] @ h[cls == c] / P[c] for c in range(3)])
    sq = np.array([p[cls == c] @ np.sum(h[cls == c] ** 2, axis=1) / P[c] for c in range(3)])
    lump = exact.lumped(class_weights, P, mu, sq, m)
    np.testing.assert_allclose(lump.mean, full.mean, rtol=1e-12, atol=1e-15)
    assert lump.trace_cov == pytest.approx(full.trace_cov, rel=1e-12)
    assert lump.n_terms == math.comb(3 + m - 1, m) and lump.n_terms < full.n_terms
    assert np.isnan(exact.lumped(class_weights, P, mu, None, m).trace_cov)


def test_sample_moments_agree_with_the_exact_ones():
    p, h = _problem()
    m, n = 2, 40_000
    mo = exact.expect(lambda idx: h[idx].mean(axis=1), p, m)
    rng = np.random.default_rng(0)
    draws = h[rng.choice(len(p), size=(n, m), p=p)].mean(axis=1)
    mc = exact.sample_moments(draws, reference=mo.mean, m=m)
    assert mc.method == "monte carlo" and mc.n_terms == n and np.all(mc.se > 0)
    assert np.all(np.abs(mc.mean - mo.mean) < 5 * mc.se)
    assert abs(mc.trace_cov / mo.trace_cov - 1) < 0.05


def test_moments_properties():
    mo = exact.Moments(np.array([1.0, 2.0]), 3.0, np.array([1.0, 0.0]), m=4)
    np.testing.assert_array_equal(mo.bias, [0.0, 2.0])
    assert mo.bias_norm == 2.0 and mo.mse == 7.0 and mo.per_trajectory == 12.0
    assert mo.noise_to_signal == pytest.approx(3 / 5)
    assert mo.angle == pytest.approx(np.degrees(np.arctan(2.0)), rel=1e-14)
    assert mo.norm_ratio == pytest.approx(np.sqrt(5))
    two = mo.averaged(2)
    assert two.trace_cov == 1.5 and two.m == 8 and np.array_equal(two.mean, mo.mean)
    assert np.isnan(exact.Moments(np.zeros(2), 0.0, np.ones(2)).angle)
    with pytest.raises(ValueError, match="no reference"):
        exact.Moments(np.ones(2), 1.0).bias   # noqa: B018


def test_scalar_values_and_average_of_independent():
    p = np.array([0.2, 0.3, 0.5])
    x = np.array([1.0, -2.0, 4.0])
    mo = exact.moments(x, p)
    assert mo.mean == pytest.approx(p @ x) and mo.trace_cov == pytest.approx(p @ x**2 - (p @ x)**2)
    a = exact.Moments(np.array([1.0, 0.0]), 2.0, np.array([1.0, 0.0]))
    b = exact.Moments(np.array([0.0, 3.0]), 4.0, np.array([0.0, 1.0]))
    both = exact.average_of_independent([a, b])
    np.testing.assert_array_equal(both.mean, [0.5, 1.5])
    assert both.trace_cov == 1.5 and np.array_equal(both.reference, [0.5, 0.5])


def test_angle_between_is_accurate_at_both_ends():
    a = np.array([1.0, 0.0])
    for angle in (1e-9, 1e-4, 30.0, 90.0, 179.9999):
        rad = np.radians(angle)
        b = np.array([np.cos(rad), np.sin(rad)]) * 3.0
        assert exact.angle_between(a, b) == pytest.approx(angle, rel=1e-9)
    assert exact.angle_between(a, -a) == 180.0 and exact.angle_between(a, 2 * a) == 0.0
    with pytest.raises(ValueError, match="zero vector"):
        exact.angle_between([0.0, 0.0], a)
    with pytest.raises(ValueError, match="shape"):
        exact.angle_between([1.0, 0.0], [1.0, 0.0, 0.0])


def test_classify():
    g = [np.array([1.0, 2.0]), np.array([-1.0, 0.5])]
    tol = [1e-12, 1e-12]
    assert exact.classify(g, g, tol).cls == "unbiased"
    half = exact.classify([0.5 * x for x in g], g, tol)
    assert half.cls == "scaled" and half.scale == pytest.approx(0.5) and half.error < 1e-15
    assert half.norm_ratio == pytest.approx(0.5) and half.angle < 1e-6
    mixed = exact.classify([0.5 * g[0], 0.7 * g[1]], g, tol)      # c changes with θ
    assert mixed.cls == "biased" and np.isnan(mixed.scale)
    zero = exact.classify([np.zeros(2), np.zeros(2)], g, tol)
    assert zero.cls == "biased" and zero.zero and np.isnan(zero.angle)
    flipped = exact.classify([-x for x in g], g, tol)              # c < 0 is not "scaled"
    assert flipped.cls == "biased" and flipped.angle == 180.0
    with pytest.raises(ValueError, match="zero at the first"):
        exact.classify(g, [np.zeros(2), g[1]], tol)


def test_rounding_tolerance_scales_with_terms_and_size():
    mo = exact.Moments(np.ones(2), 0.0, n_terms=100, abs_sum=2.0)
    eps = np.finfo(float).eps
    assert exact.rounding_tolerance(mo, np.ones(2)) == pytest.approx(64 * eps * 200)
    assert exact.rounding_tolerance(mo, np.ones(2), 10, 5) == pytest.approx(
        64 * eps * (110 * 2 + 5 * np.sqrt(2)))


def test_clear_errors():
    p, h = _problem()
    with pytest.raises(exact.TooManyBatches, match="too many to enumerate"):
        exact.batches(30, 6)   # a ValueError the Monte Carlo fallbacks catch by its type
    assert issubclass(exact.TooManyBatches, ValueError)
    with pytest.raises(ValueError, match="too many to enumerate"):
        exact.batches(10, 6, ordered=True)
    with pytest.raises(ValueError, match="at least 1"):
        exact.batches(3, 0)
    with pytest.raises(ValueError, match="sum"):
        exact.moments(h, p * 2)
    with pytest.raises(ValueError, match="shape"):
        exact.moments(h, p[:-1])
    with pytest.raises(ValueError, match="one estimate per batch"):
        exact.expect(lambda idx: np.zeros((1, 2)), p, 2)
    with pytest.raises(ValueError, match="one entry per outcome"):
        exact.batches(3, 2).weights([0.5, 0.5])
    with pytest.raises(ValueError, match="two sampled"):
        exact.sample_moments(np.ones((1, 2)))
    with pytest.raises(ValueError, match="one weight per outcome"):
        exact.lumped(lambda c: np.ones((1, 1)), [0.5, 0.5], np.ones((2, 2)), m=2)
