"""The cart-pole of notebook 10: the linearisation against gymnasium's own step, and the
continuous-force CartPole (helpers.continuous_cartpole) against CartPole-v1."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.envs.classic_control.cartpole import CartPoleEnv

from helpers import continuous_cartpole as cc
from helpers import lqr

CART = lqr.cartpole_task()
K0 = np.array([[-1.0, -2.0, -30.0, -8.0]])


def test_linearisation_matches_finite_differences_of_gymnasiums_step():
    A, B = cc.step_jacobian()
    assert np.max(np.abs(A - CART.A)) <= 1e-6 * np.max(np.abs(CART.A))
    assert np.max(np.abs(B - CART.B)) <= 1e-6 * np.max(np.abs(CART.B))


def test_linearisation_reads_gymnasiums_constants():
    env = CartPoleEnv()
    env.masspole = 0.2            # a heavier pole changes the model
    A, B = lqr.cartpole_linearisation(env)
    assert not np.allclose(A, CART.A)
    env.kinematics_integrator = "semi-implicit euler"
    with pytest.raises(ValueError, match="Euler"):
        lqr.cartpole_linearisation(env)


def test_the_riccati_gain_stabilises_the_real_system():
    K_star, _ = lqr.optimal_gain(CART)
    assert lqr.spectral_radius(CART, K_star) < 1     # not only < 1/√γ
    assert lqr.spectral_radius(CART, K0) < 1


def test_continuous_env_with_plus_minus_ten_newtons_is_cartpole_v1():
    rng = np.random.default_rng(0)
    for seed in range(3):
        env, cont = gym.make("CartPole-v1"), cc.make()
        o1, _ = env.reset(seed=seed)
        o2, _ = cont.reset(seed=seed)
        assert np.array_equal(o1, o2)
        for a in rng.integers(0, 2, 600):
            r1, r2 = env.step(int(a)), cont.step(np.array([10.0 if a else -10.0]))
            assert np.array_equal(r1[0], r2[0]) and r1[1:4] == r2[1:4]
            if r1[2] or r1[3]:
                break
        env.close()
        cont.close()


def test_continuous_env_has_a_box_action_and_clips_to_it():
    env = cc.ContinuousCartPoleEnv(max_force=5.0)
    assert isinstance(env.action_space, gym.spaces.Box) and env.action_space.shape == (1,)
    env.reset(seed=0)
    env.state = np.zeros(4)
    big = env.step([50.0])[0]
    env.state = np.zeros(4)
    bound = env.step([5.0])[0]
    assert np.array_equal(big, bound) and env.force_mag == 5.0
    with pytest.raises(ValueError, match="action"):
        env.step([np.nan])
    with pytest.raises(ValueError, match="action"):
        env.step([1.0, 2.0])


def test_vector_env_matches_the_single_env_and_autoresets():
    n = 4
    vec = cc.ContinuousCartPoleVectorEnv(n)
    obs, _ = vec.reset(seed=1)
    singles = []
    for i in range(n):
        e = cc.ContinuousCartPoleEnv()
        e.reset(seed=0)
        e.state = vec.state[:, i].copy()
        singles.append(e)
    rng = np.random.default_rng(2)
    done = np.zeros(n, bool)
    for _ in range(60):
        forces = rng.uniform(-10, 10, n)
        obs, reward, term, trunc, _ = vec.step(forces)
        for i, e in enumerate(singles):
            if done[i]:
                continue
            o, r, t, _, _ = e.step([forces[i]])
            assert np.allclose(o, obs[i], atol=1e-6) and t == term[i]
            done[i] |= t
    assert done.any()                     # some pushed over: termination is gymnasium's
    with pytest.raises(ValueError, match="actions"):
        vec.step(np.zeros(n + 1))


def test_collector_costs_the_observed_states_and_ends_episodes_at_a_fall():
    collect = cc.collector(CART)
    gains = np.stack([K0, np.zeros((1, 4))])        # the second gain never pushes: it falls
    ro = collect(gains, np.array([0.3, 0.3]), 4, [np.random.default_rng(s) for s in (0, 1)])
    assert ro.states.shape == (2, 4, CART.horizon, 4) and ro.alive[0].all()
    assert not ro.alive[1, :, -1].any()
    c = np.einsum("gmti,ij,gmtj->gmt", ro.states, CART.Q, ro.states) + 0.1 * ro.actions[..., 0]**2
    np.testing.assert_allclose(ro.costs[0], c[0])
    last = ro.alive[1].sum(axis=-1) - 1
    assert np.all(ro.costs[1, np.arange(4), last] >= 100)      # the fall's cost
    assert np.all(ro.costs[1][~ro.alive[1]] == 0)


def test_training_on_the_real_cart_pole_balances():
    runs = lqr.train(CART, K0, 0.3, method="natural", seeds=[0], episodes=10, max_updates=4,
                     target=None, collector=cc.collector(CART))
    # K0 balances by itself (notebook 10 prints it), so balancing alone cannot show that
    # training worked: the cost must come down, from 1.48 C(K*) to 1.02 C(K*) on seed 0
    assert runs[0].ratios[0] > 1.4 and runs[0].ratios[-1] < 1.1
    assert cc.balance(runs[0].gain, 0.3, seed=0) == 500
    assert cc.balance(K0, 0.3, seed=0) == 500
    assert cc.balance(np.zeros((1, 4)), 0.0, seed=0) < 100       # no control: it falls
    with pytest.raises(ValueError, match="sigma"):
        cc.balance(K0, -1.0, seed=0)
