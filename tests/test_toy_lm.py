"""The toy language model of notebook 09: exact J and ∇J, every estimator's exact mean and
variance (against full enumeration of the groups and against seeded Monte Carlo), the
identities the notebook states, and the named effects of the std division and of 1/|y|."""

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest

from helpers import check, finite_difference_gradient
from helpers import toy_lm as LM


@pytest.fixture(scope="module")
def task():
    return LM.Task()


@pytest.fixture(scope="module")
def theta(task):
    return task.initial_theta() + 0.5 * np.random.default_rng(7).normal(size=task.n_params)


# -- the model ---------------------------------------------------------------------------
def test_every_answer_is_listed_once_and_probabilities_sum_to_one(task, theta):
    ans = task.answers
    assert ans.n == 1 + 3 + 9 + 27 + 81 + 243 == 364
    assert len(set(ans.text)) == ans.n and ans.text[:2] == (".", "a.")
    assert ans.lengths.min() == 1 and ans.lengths.max() == LM.MAX_LEN
    np.testing.assert_allclose(task.probs(theta).sum(1), 1.0, atol=1e-12)
    assert ans.text[ans.index("abcab…")] == "abcab…" and ans.lengths[ans.index("ab.")] == 3
    with pytest.raises(ValueError, match="not an answer"):
        ans.index("abcabc.")


def test_rewards_are_exact_match(task):
    for q in range(3):
        correct = [task.answers.text[i] for i in np.flatnonzero(task.rewards[q])]
        assert correct == [LM.TOKENS[q] + "."]


def test_lean_sets_the_difficulty(task):
    p = task.success(task.initial_theta())
    np.testing.assert_allclose(p, [(np.exp(b) / (np.exp(b) + 3)) ** 2 for b in task.lean])
    assert p[0] > 0.7 and 0.2 < p[1] < 0.3 and p[2] < 0.05


def test_exact_gradient_matches_finite_differences(task, theta):
    fd = finite_difference_gradient(task.J, theta, h=1e-5)
    np.testing.assert_allclose(task.grad_J(theta), fd, atol=1e-9)


def test_scores_match_finite_differences_of_log_probs(task, theta):
    for q, text in [(0, "a."), (1, "abcab…"), (2, "cc.")]:
        row = task.answers.index(text)
        fd = finite_difference_gradient(lambda t, q=q, row=row: task.log_probs(t)[q, row],
                                        theta, h=1e-6)
        np.testing.assert_allclose(task.scores(theta, q)[row], fd, atol=1e-8)


def test_token_by_token_sampling_has_the_enumerated_distribution(task, theta):
    rng = np.random.default_rng(0)
    n = 6000
    draws = [task.sample_token_by_token(theta, 1, rng) for _ in range(n)]
    freq = np.bincount([task.answers.tokens.index(d) for d in draws], minlength=364) / n
    p = task.probs(theta)[1]
    se = np.sqrt(p * (1 - p) / n)
    assert np.all(np.abs(freq - p) < 5 * se + 1e-3)
    rows = task.sample(theta, 1, n, rng)
    freq2 = np.bincount(rows, minlength=364) / n
    assert np.all(np.abs(freq2 - p) < 5 * se + 1e-3)


# -- the advantages ----------------------------------------------------------------------
def test_hand_examples():
    np.testing.assert_allclose(LM.rloo_advantages([1, 0, 0, 1]), [2 / 3, -2 / 3, -2 / 3, 2 / 3])
    assert LM.group_std([1, 0, 0, 0]) == 0.5 and np.isclose(LM.group_std([1, 0, 0, 0], 0),
                                                              np.sqrt(3) / 4)
    np.testing.assert_allclose(LM.grpo_advantages([1, 0, 0, 0]),
                               np.array([0.75, -0.25, -0.25, -0.25]) / (0.5 + 1e-4))


def test_grpo_is_trls_formula():
    """TRL: (r − mean)/(std + 1e-4) with torch's std, which is Bessel-corrected."""
    r = np.random.default_rng(1).integers(0, 2, size=8).astype(float)
    r[0], r[1] = 1.0, 0.0
    trl = (r - r.mean()) / (r.std(ddof=1) + 1e-4)
    np.testing.assert_allclose(LM.advantages(r, "grpo"), trl, rtol=1e-12)


def test_group_mean_is_rloo_times_m_minus_one_over_m_and_dr_grpo_divides_by_max_len():
    r, lengths = np.array([1.0, 0, 0, 1, 1, 0]), np.array([2.0, 1, 5, 2, 2, 3])
    m = r.size
    np.testing.assert_allclose(LM.advantages(r, "group_mean"),
                               (m - 1) / m * LM.advantages(r, "rloo"), atol=1e-15)
    np.testing.assert_allclose(LM.answer_weights(r, lengths, "dr_grpo"),
                               LM.answer_weights(r, lengths, "group_mean") / LM.MAX_LEN)
    np.testing.assert_allclose(LM.answer_weights(r, lengths, "grpo"),
                               LM.grpo_advantages(r) / lengths / m)


@pytest.mark.parametrize("m", [2, 3, 5, 8])
def test_which_advantage_estimates_the_standard_advantage(m):
    """Notebook 09, §2: an answer's standard advantage is A^π(q, y) = r(q, y) − p_q. Given
    answer 1's reward, averaged over the other m − 1 answers (their number of correct ones is
    binomial), RLOO's A_1 is exactly r_1 − p; the group mean's and Dr. GRPO's are (m−1)/m of
    it; REINFORCE's is r_1 itself, not r_1 − p; GRPO's is neither at every p."""
    from math import comb

    def mean_A(r1, est, p):      # E[A_1 | r_1], the others drawn with success rate p
        return sum(comb(m - 1, k) * p**k * (1 - p) ** (m - 1 - k)
                   * LM.advantages([r1] + [1.0] * k + [0.0] * (m - 1 - k), est)[0]
                   for k in range(m))

    for p in (0.05, 0.3, 0.5, 0.9):
        for r1 in (0.0, 1.0):
            assert np.isclose(mean_A(r1, "rloo", p), r1 - p, atol=1e-12)
            for est in ("group_mean", "dr_grpo"):
                assert np.isclose(mean_A(r1, est, p), (m - 1) / m * (r1 - p), atol=1e-12)
            assert np.isclose(mean_A(r1, "reinforce", p), r1)
        grpo = [mean_A(r1, "grpo", p) for r1 in (0.0, 1.0)]
        assert not np.allclose(grpo, [0 - p, 1 - p], atol=1e-3)


def test_equal_rewards_give_zero_advantages_and_m_one_is_refused_where_undefined():
    for est in ("group_mean", "rloo", "grpo", "dr_grpo"):
        np.testing.assert_array_equal(LM.advantages([1.0, 1.0, 1.0], est), 0.0)
        np.testing.assert_array_equal(LM.advantages([0.0, 0.0], est), 0.0)
    with pytest.raises(ValueError, match="leave-one-out needs at least two"):
        LM.advantages([1.0], "rloo")
    with pytest.raises(ValueError, match="sample std .* single reward is undefined"):
        LM.advantages([1.0], "grpo")
    np.testing.assert_array_equal(LM.advantages([1.0], "reinforce"), [1.0])


@pytest.mark.parametrize("call, match", [
    (lambda: LM.advantages([1, 0], "ppo"), "estimator must be one of"),
    (lambda: LM.advantages([], "rloo"), "at least one answer"),
    (lambda: LM.advantages([1, np.nan], "rloo"), "NaN"),
    (lambda: LM.length_factors([0, 2], "grpo"), "at least one token"),
    (lambda: LM.group_std([1, 0], ddof=2), "ddof must be 0"),
    (lambda: LM.difficulty_weight("grpo", 4, 1.5), "between 0 and 1"),
    (lambda: LM.Task(lean=(1, 2, 3, 4)), "1 to 3 entries"),
    (lambda: LM.Task().J(np.zeros(5)), "theta must have 48 entries"),
    (lambda: LM.Task().sample(np.zeros(48), 3, 2, np.random.default_rng(0)), "prompt index"),
    (lambda: LM.Task().sample(np.zeros(48), 0, 0, np.random.default_rng(0)), "at least 1"),
    (lambda: LM.Task().sample(np.zeros(48), 0, 2, 0), "numpy.random.Generator"),
    (lambda: LM.train(LM.Task(), "rloo", 4, 5, 1.0, 0), "budget must be at least 12"),
    (lambda: LM.angle_degrees([0, 0], [1, 0]), "zero vector"),
    (lambda: LM.reweighted_objective(LM.Task(), np.zeros(48), "grpo", 4), "not the gradient"),
    (lambda: LM.rate_of_change(LM.Task(), np.zeros(48), np.zeros(48)), "zero vector"),
    (lambda: LM.Task().grad_mean_length(np.zeros(48), "short"), "which must be"),
])
def test_bad_input_raises_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# -- exact moments against full enumeration of every group -------------------------------
def _enumerated_moments(task, theta, q, estimator, m):
    """E[ĝ_q] and E‖ĝ_q − Eĝ_q‖² by listing every ordered group of m answers."""
    pi, S = task.probs(theta)[q], task.scores(theta, q)
    r, L = task.rewards[q], task.answers.lengths
    mean, second = np.zeros(task.n_params), 0.0
    for group in itertools.product(range(task.answers.n), repeat=m):
        rows = list(group)
        g = LM.answer_weights(r[rows], L[rows], estimator, task.max_len) @ S[rows]
        w = np.prod(pi[rows])
        mean += w * g
        second += w * g @ g
    return mean, second - mean @ mean


@pytest.mark.parametrize("m, max_len", [(2, 3), (3, 2)])
@pytest.mark.parametrize("estimator", ["reinforce", "rloo", "grpo", "dr_grpo", "grpo_std_only"])
def test_exact_moments_equal_full_enumeration(estimator, m, max_len):
    small = LM.Task(lean=(0.5,), max_len=max_len)   # 40 (or 13) answers: 40**m groups
    th = small.initial_theta() + 0.7 * np.random.default_rng(3).normal(size=small.n_params)
    mean, var = _enumerated_moments(small, th, 0, estimator, m)
    np.testing.assert_allclose(LM.expected_update(small, th, estimator, m), mean, atol=1e-13)
    assert np.isclose(LM.update_variance(small, th, estimator, m), var, rtol=1e-10)


@pytest.mark.parametrize("estimator, m", [("grpo", 8), ("rloo", 4), ("reinforce", 2)])
def test_sampled_estimates_average_to_the_exact_expectation(task, theta, estimator, m):
    rng = np.random.default_rng(11)
    draws = np.array([LM.estimate(task, theta, estimator, m, rng) for _ in range(3000)])
    se = draws.std(0, ddof=1) / np.sqrt(len(draws))
    exact = LM.expected_update(task, theta, estimator, m)
    assert np.all(np.abs(draws.mean(0) - exact) < 4.5 * se + 1e-12)
    var = LM.update_variance(task, theta, estimator, m)
    assert abs(draws.var(0).sum() / var - 1) < 0.1


# -- what the notebook states ------------------------------------------------------------
def test_unbiased_estimators_and_their_constants(task, theta):
    grad = task.grad_J(theta)
    for m in (2, 5):
        np.testing.assert_allclose(LM.expected_update(task, theta, "reinforce", m), grad,
                                   atol=1e-14)
        np.testing.assert_allclose(LM.expected_update(task, theta, "rloo", m), grad,
                                   atol=1e-14)
        np.testing.assert_allclose(LM.expected_update(task, theta, "group_mean", m),
                                   (1 - 1 / m) * grad, atol=1e-14)
        np.testing.assert_allclose(LM.expected_update(task, theta, "dr_grpo", m),
                                   (1 - 1 / m) / LM.MAX_LEN * grad, atol=1e-14)


@pytest.mark.parametrize("m", [2, 4, 8])
@pytest.mark.parametrize("estimator", ["grpo_std_only", "group_mean", "rloo"])
def test_without_length_factor_the_expected_update_is_the_gradient_of_J_tilde(
        task, theta, estimator, m):
    fd = finite_difference_gradient(
        lambda t: LM.reweighted_objective(task, t, estimator, m), theta, h=1e-5)
    np.testing.assert_allclose(LM.expected_update(task, theta, estimator, m), fd, atol=1e-9)


def test_the_difficulty_weight(task):
    for p in (0.03, 0.5, 0.9):
        assert np.isclose(LM.difficulty_weight("rloo", 8, p), 1.0)
        assert np.isclose(LM.difficulty_weight("group_mean", 8, p), 7 / 8)
        assert np.isclose(LM.difficulty_weight("grpo_std_only", 2, p), 0.5 / (np.sqrt(0.5) + 1e-4))
    c = [LM.difficulty_weight("grpo_std_only", 8, p) for p in (0.03, 0.5, 0.97)]
    assert c[0] > c[1] < c[2]                                   # extremes gain weight
    for p in (0.1, 0.3, 0.7):                                   # the large-m limit
        assert abs(LM.difficulty_weight("grpo_std_only", 1500, p) * np.sqrt(p * (1 - p)) - 1) < 0.01


def test_large_groups_ascend_two_arcsin_root_p():
    """F_m(p) → 2 arcsin √p, with an error of order 1/√m: below p ≈ 1/m the weight is
    capped near √m instead of growing like 1/√p."""
    one = LM.Task(lean=(0.8,))
    th = one.initial_theta()
    limit = 2 * np.arcsin(np.sqrt(one.success(th)[0]))
    errors = [limit - LM.reweighted_objective(one, th, "grpo_std_only", m) for m in (100, 1500)]
    assert 0 < errors[1] < errors[0] and errors[0] < 3 / np.sqrt(100)
    assert errors[1] < 3 / np.sqrt(1500)


def _categorical_expected_update(theta, values, estimator, m):
    """E[ĝ] for m draws from softmax(θ) over outcomes with rewards ``values``, listed."""
    pi = np.exp(theta - theta.max())
    pi /= pi.sum()
    scores = np.eye(len(theta)) - pi
    out = np.zeros(len(theta))
    for group in itertools.product(range(len(theta)), repeat=m):
        rows = list(group)
        out += np.prod(pi[rows]) * (LM.advantages(values[rows], estimator) / m) @ scores[rows]
    return out


@pytest.mark.parametrize("m", [2, 3])
def test_std_division_ascends_a_function_only_with_two_reward_values(m):
    """The notebook's remark: with 0/1 rewards std-normalised GRPO ascends J̃ = F_m(p); with
    three reward levels its expected update is the gradient of nothing (asymmetric
    Jacobian). A softmax over three outcomes reaches every reward distribution."""
    theta = np.array([0.3, -0.2, 0.1])

    def asymmetry(values):
        h, cols = 1e-5, []
        for k in range(3):
            e = np.eye(3)[k] * h
            cols.append((_categorical_expected_update(theta + e, values, "grpo_std_only", m)
                         - _categorical_expected_update(theta - e, values, "grpo_std_only", m))
                        / (2 * h))
        D = np.array(cols).T
        return np.linalg.norm(D - D.T) / np.linalg.norm(D)

    assert asymmetry(np.array([0.0, 1.0, 1.0])) < 1e-8        # two values: a gradient
    assert asymmetry(np.array([0.0, 0.5, 1.0])) > 0.05        # graded: not a gradient
    assert asymmetry(np.array([0.0, 0.5, 1.0])) > 1e3 * asymmetry(np.array([0.0, 1.0, 1.0]))


def test_length_normalised_updates_are_not_gradients(task):
    th0 = task.initial_theta()
    assert LM.jacobian_asymmetry(task, th0, "grpo", 8) > 0.1
    assert LM.jacobian_asymmetry(task, th0, "grpo_length_only", 8) > 0.1
    assert LM.jacobian_asymmetry(task, th0, "grpo_std_only", 8) < 1e-7
    assert LM.jacobian_asymmetry(task, th0, "dr_grpo", 8) < 1e-7


def test_length_gradient_and_rates_match_finite_differences(task, theta):
    for which in ("all", "wrong", "correct"):
        fd = finite_difference_gradient(lambda t, w=which: task.mean_length(t, w), theta,
                                        h=1e-5)
        np.testing.assert_allclose(task.grad_mean_length(theta, which), fd, atol=1e-9)
    u = np.random.default_rng(2).normal(size=task.n_params)
    h = 1e-5
    for quantity, f in (("J", task.J), ("wrong_length",
                                         lambda t: task.mean_length(t, "wrong"))):
        step = h * u / np.linalg.norm(u)
        fd = (f(theta + step) - f(theta - step)) / (2 * h)
        assert np.isclose(LM.rate_of_change(task, theta, u, quantity), fd, atol=1e-9)
        grad = LM.quantity_gradient(task, theta, quantity)    # the fastest rate is ‖∇f‖
        assert np.isclose(LM.rate_of_change(task, theta, grad, quantity), np.linalg.norm(grad))
    with pytest.raises(ValueError, match="quantity must be"):
        LM.rate_of_change(task, theta, u, "length")


def test_grpo_tilts_the_step_and_lengthens_wrong_answers(task):
    th0 = task.initial_theta()
    grad = task.grad_J(th0)
    grpo, dr = (LM.expected_update(task, th0, e, 8) for e in ("grpo", "dr_grpo"))
    assert 15 < LM.angle_degrees(grpo, grad) < 21 and LM.angle_degrees(dr, grad) < 1e-5
    fast, slow = (LM.rate_of_change(task, th0, g) for g in (grpo, dr))
    assert fast > 10 * slow > 0


def test_answer_variance_is_notebook_03s_quadratic_and_b_star_its_minimum(task, theta):
    b_star = task.best_constant_baseline(theta)
    pi, S = task.probs(theta), task.scores(theta)
    for q in range(3):
        def variance(b, q=q):   # one answer, listed: E‖(r − b)s − E[(r − b)s]‖²
            g = (task.rewards[q] - b)[:, None] * S[q]
            mean = pi[q] @ g
            return pi[q] @ ((g - mean) ** 2).sum(1)
        for b in (0.0, -1.0, 0.3, b_star[q]):
            assert np.isclose(task.answer_variance(theta, b)[q], variance(b), rtol=1e-12)
        assert variance(b_star[q]) < min(variance(b_star[q] - 0.01), variance(b_star[q] + 0.01))
        e_sq = pi[q] @ (S[q] ** 2).sum(1)
        for b in (0.0, 0.7, -1.0):                  # V(b) = V(b*) + (b − b*)² E‖∇log π‖²
            assert np.isclose(variance(b), variance(b_star[q]) + (b - b_star[q]) ** 2 * e_sq)
    per_prompt = task.answer_variance(theta, [0.0, 0.5, 1.0])
    assert np.allclose(per_prompt, [variance(b, q) for q, b in enumerate((0.0, 0.5, 1.0))])
    with pytest.raises(ValueError, match="one number or one per prompt"):
        task.answer_variance(theta, [0.0, 1.0])


def test_reinforce_variance_is_m_answers_of_one_and_the_notebooks_baseline_facts(task):
    th0 = task.initial_theta()
    for m in (1, 8):
        assert np.isclose(LM.update_variance(task, th0, "reinforce", m),
                          task.answer_variance(th0, 0.0).sum() / (m * 9), rtol=1e-12)
    p, b_star = task.success(th0), task.best_constant_baseline(th0)
    assert np.all(b_star < 0.1) and b_star[0] < p[0] / 10       # b* far below p (easy prompt)
    v0, v_p, v_shift = (task.answer_variance(th0, b) for b in (0.0, p, -1.0))
    assert v_p[0] > 20 * v0[0]                                  # the easy prompt's noise
    rloo = np.array([LM._prompt_moments(task, th0, q, "rloo", 8).trace_cov for q in range(3)])
    reinforce = v0 / 8
    assert rloo[0] > 20 * reinforce[0] and rloo[0] > rloo[1:].sum()   # where RLOO's excess is
    # shift every reward by +1: RLOO's advantages do not change, REINFORCE's variance grows
    assert LM.advantages(np.array([1.0, 0, 0]) + 1, "rloo") == pytest.approx(
        LM.advantages([1.0, 0, 0], "rloo"))
    assert v_shift.sum() / (8 * 9) > 5 * LM.update_variance(task, th0, "rloo", 8)


def test_kl_gradient_is_its_score_function_form(task, theta):
    ref = task.initial_theta()
    fd = finite_difference_gradient(lambda t: task.kl(t, ref), theta, h=1e-5)
    np.testing.assert_allclose(task.grad_kl(theta, ref), fd, atol=1e-9)
    assert task.kl(ref, ref) == 0.0


def test_comparison_table_rows(task):
    rows = LM.comparison_table(task, task.initial_theta(), ["rloo", "grpo"], [2, 8])
    assert [(r["estimator"], r["m"]) for r in rows] == [("rloo", 2), ("rloo", 8), ("grpo", 2),
                                                       ("grpo", 8)]
    assert rows[0]["angle"] < 1e-5 and np.isclose(rows[1]["norm_ratio"], 1.0)
    assert rows[3]["angle"] > 15


# -- training ----------------------------------------------------------------------------
def test_training_is_reproducible_and_records_exact_quantities(task):
    a = LM.train(task, "grpo", 4, 240, 4.0, seed=5)
    b = LM.train(task, "grpo", 4, 240, 4.0, seed=5)
    assert a.J == b.J and len(a.J) == 21 and a.samples_used[-1] == 240
    assert np.isclose(a.J[0], task.J(task.initial_theta())) and np.isclose(a.J[-1], task.J(a.theta))


def test_rloo_and_dr_grpo_are_the_same_run_once_step_sizes_match(task):
    runs = LM.compare_training(task, ["rloo", "dr_grpo"], 8, 960, 4.0, [0, 1])
    for x, y in zip(runs["rloo"], runs["dr_grpo"], strict=True):
        np.testing.assert_allclose(x.J, y.J, atol=1e-9)
    steps = LM.matched_step_sizes(task, ["rloo", "dr_grpo"], 8, 4.0)
    assert np.isclose(steps["dr_grpo"], steps["rloo"] * LM.MAX_LEN * 8 / 7)


def test_grpo_lengthens_wrong_answers_in_training(task):
    runs = LM.compare_training(task, ["rloo", "grpo"], 8, 2400, 4.0, range(5))
    start = task.mean_length(task.initial_theta(), "wrong")
    grpo = np.mean([r.wrong_length[-1] for r in runs["grpo"]])
    rloo = np.mean([r.wrong_length[-1] for r in runs["rloo"]])
    assert grpo > start + 0.25 and grpo > rloo + 0.25 and abs(rloo - start) < 0.2


# -- exercise checks reject the classic wrong answers ------------------------------------
NOTEBOOK = (Path(__file__).resolve().parents[1] / "notebooks"
            / "09_reinforce_for_language_models.ipynb")


def _check_cells():
    """{exercise name: source of its check cell}, read from the notebook itself."""
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    out = {}
    for cell in cells:
        text = "".join(cell["source"])
        found = re.search(r'name="(Exercise \d+)"', text)
        if cell["cell_type"] == "code" and found and "solution" not in cell["metadata"].get(
                "tags", []):
            out[found.group(1)] = text
    return out


def _run_check_cell(source, answer_expression):
    """Run a check cell with ``answer = ...`` replaced; return what its check() said."""
    assert "answer = ..." in source
    said = []

    def recording_check(*args, **kwargs):
        said.append(check(*args, quiet=True, **kwargs))
        return said[-1]

    namespace = {"np": np, "toy_lm": LM, "check": recording_check}
    exec(source.replace("answer = ...", f"answer = {answer_expression}", 1), namespace)
    assert len(said) == 1
    return said[0]


#: (exercise, a classic wrong answer, a phrase its message must contain)
WRONG_ANSWERS = [
    ("Exercise 1", "[0.5, -0.5, -0.5, 0.5]", "leave the answer itself out"),   # group mean
    ("Exercise 1", "[1 / 3, -2 / 3, -2 / 3, 1 / 3]", "OTHER three"),          # /3 of all four
    ("Exercise 1", "[-2 / 3, 2 / 3, 2 / 3, -2 / 3]", "A_i > 0"),             # the sign
    ("Exercise 2", "0.75 / np.sqrt(3 / 16)", "sample std"),          # population std: 1.73
    ("Exercise 2", "1.0", "sample std"),                              # RLOO's advantage
    ("Exercise 2", "1 / 0.5", "r − mean"),                            # forgot the mean
    ("Exercise 3", '"bcbca…"', "length |y|"),                         # the longer one
    ("Exercise 3", '"a."', "two wrong answers"),                      # the correct one
]


@pytest.mark.parametrize("exercise, expression, phrase", WRONG_ANSWERS)
def test_exercise_checks_reject_classic_mistakes(exercise, expression, phrase):
    result = _run_check_cell(_check_cells()[exercise], expression)
    assert not result.correct and "keep working" in result.message
    assert phrase in result.message


def test_exercise_solutions_pass_the_same_check_cells():
    cells = _check_cells()
    assert sorted(cells) == ["Exercise 1", "Exercise 2", "Exercise 3"]
    for exercise, expression in [("Exercise 1", "[2 / 3, -2 / 3, -2 / 3, 2 / 3]"),
                                 ("Exercise 2", "1.5"), ("Exercise 3", '"b."')]:
        assert _run_check_cell(cells[exercise], expression).correct
