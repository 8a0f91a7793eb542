"""Notebook 07's statements about GAE, checked numerically.

* §5: the λ-return G^λ_t = (1 − λ) Σ_k λ^(k−1) G^(k)_t averages the k-step returns (the plain
  return once the episode has ended, Sutton & Barto §12.1), and G^λ_t − v̂(s_t) is GAE's
  A^λ_t = Σ_l (γλ)^l δ_(t+l), for any critic v̂;
* §4: with the exact V, E[δ_t | s_t, a_t] = Q(s_t, a_t) − V(s_t), the standard advantage
  A^π(s, a) — the quantity GAE is named after.
"""

import numpy as np
import pytest

from helpers import critic, mdp, pg_bugs


def k_step_return(r, v, t, k, gamma):
    """G^(k)_t of an episode that ends after len(r) steps (v̂ = 0 after the end)."""
    T = len(r)
    end = min(t + k, T)
    g = sum(gamma ** (j - t) * r[j] for j in range(t, end))
    return g + (gamma ** k * v[t + k] if t + k < T else 0.0)


def lambda_return(r, v, t, lam, gamma):
    """(1 − λ) Σ_{k≥1} λ^(k−1) G^(k)_t, the sum cut where G^(k) has become the plain return."""
    T = len(r)
    n = T - t                          # from k = n on, G^(k)_t is the plain return G_t
    head = sum((1 - lam) * lam ** (k - 1) * k_step_return(r, v, t, k, gamma)
               for k in range(1, n))
    return head + lam ** (n - 1) * k_step_return(r, v, t, n, gamma)


@pytest.mark.parametrize("seed", range(6))
def test_gae_is_the_lambda_return_minus_the_critic(seed):
    rng = np.random.default_rng(seed)
    T = int(rng.integers(1, 9))
    r, v = rng.normal(size=T), rng.normal(size=T)
    gamma, lam = float(rng.uniform(0.5, 1.0)), float(rng.uniform(0.0, 1.0))
    deltas = critic.td_errors(r, v, np.append(v[1:], 0.0), gamma)   # a fall at the end
    gae = critic.gae(deltas, gamma, lam)
    for t in range(T):
        assert np.isclose(gae[t], lambda_return(r, v, t, lam, gamma) - v[t], atol=1e-12)
    # the two ends of the dial
    assert np.allclose(critic.gae(deltas, gamma, 0.0), deltas)
    G = np.array([sum(gamma ** (j - t) * r[j] for j in range(t, T)) for t in range(T)])
    assert np.allclose(critic.gae(deltas, gamma, 1.0), G - v)


@pytest.mark.parametrize("gamma", [1.0, 0.5])
def test_td_error_with_the_exact_value_estimates_the_standard_advantage(gamma):
    """E[δ_t | s_t = s, a_t = a] over every trajectory equals Q(s, a) − V(s), with Q(s, a)
    taken from its definition, the expected reward-to-go after (s, a) in the enumerated
    trajectories, not from the Bellman equation that V comes from. A wrong V breaks it."""
    tiny, policy = pg_bugs.discounted_example_mdp(gamma)
    for theta in ([0.5, -1.0], [-1.0, -1.0], [1.0, 0.5]):
        theta = np.array(theta)
        V, _ = mdp.policy_evaluation(tiny, policy, theta)
        batch, p = mdp.enumerate_trajectories(tiny, policy, theta)
        delta = np.where(batch.mask, batch.rewards + gamma * V[batch.next_states]
                         - V[batch.states], 0.0)            # V(terminal) = 0
        G = batch.reward_to_go(gamma)
        seen = 0
        for s in np.flatnonzero(~tiny.terminal):
            for a in range(tiny.n_actions):
                at = batch.mask & (batch.states == s) & (batch.actions == a)
                weight = (p[:, None] * at).sum()
                if weight == 0:
                    continue
                Q = (p[:, None] * at * G).sum() / weight     # E[G_t | s_t = s, a_t = a]
                mean_delta = (p[:, None] * at * delta).sum() / weight
                assert np.isclose(mean_delta, Q - V[s], atol=1e-12), (s, a)
                seen += 1
        assert seen == 8                                     # A, B, C, D × left, right
        wrong = V + 0.1 * (np.arange(tiny.n_states) == 2)    # a critic off by 0.1 at C
        off = np.where(batch.mask, batch.rewards + gamma * wrong[batch.next_states]
                       - wrong[batch.states], 0.0)
        at = batch.mask & (batch.states == 0) & (batch.actions == 0)     # A, left → C or D
        assert not np.isclose((p[:, None] * at * off).sum() / (p[:, None] * at).sum(),
                              (p[:, None] * at * G).sum() / (p[:, None] * at).sum() - V[0])
