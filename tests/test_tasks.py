"""Task samplers and target functions against Monte-Carlo statistics (with standard errors) and
a numpy loop over mixture modes."""

import jax
import jax.numpy as jnp
import numpy as np

from kdntk import tasks

N = 40_000  # MC sample size; every check below passes by >= 5 standard errors when true
M = 50      # the exact checks' sample size, one for all (each op of an eager call compiles per shape)
Q = 5       # the exact checks' mixture modes, one for all (the same shapes again)


def test_sample_inputs_mean_and_covariance_within_monte_carlo_error(key):
    x = np.asarray(tasks.sample_inputs(key, N, dim=3))
    assert x.shape == (N, 3)
    std = tasks.INPUT_STD
    se_mean = std / np.sqrt(N)
    assert np.all(np.abs(x.mean(0)) < 5 * se_mean)
    cov = np.cov(x.T)
    se_var, se_cov = std**2 * np.sqrt(2 / N), std**2 / np.sqrt(N)
    assert np.all(np.abs(np.diag(cov) - std**2) < 5 * se_var), np.diag(cov)
    off = cov[~np.eye(3, dtype=bool)]
    assert np.all(np.abs(off) < 5 * se_cov), off


def _ones(x):
    return jnp.ones(x.shape[:1], x.dtype)


def test_sign_flip_frequency_matches_p_flip_binomial_error(key):
    x = tasks.sample_inputs(jax.random.key(1), N)
    for p in (0.0, 0.1, 0.4):
        z = np.asarray(tasks.sign_flip(key, _ones, p_flip=p)(x))
        assert set(np.unique(z)) <= {-1.0, 1.0}
        freq = np.mean(z < 0)
        se = np.sqrt(max(p * (1 - p), 1e-12) / N)
        assert abs(freq - p) < 5 * se + 1e-12, (p, freq, se)


def test_sign_flip_is_a_deterministic_function_of_x(key):
    x = tasks.sample_inputs(jax.random.key(2), M)
    task = tasks.sign_flip(key, tasks.gaussian_mixture(jax.random.key(3), Q), p_flip=0.5)
    z = np.asarray(task(x))
    np.testing.assert_array_equal(task(x), z)  # same x, same noise
    perm = np.random.default_rng(0).permutation(M)
    np.testing.assert_array_equal(task(x[perm]), z[perm])  # depends on x, not on its position


def test_random_logits_mean_zero_variance_scale_squared_and_deterministic(key):
    x = tasks.sample_inputs(jax.random.key(4), N)
    scale = 2.5
    task = tasks.random_logits(key, scale=scale)
    z = np.asarray(task(x))
    assert abs(z.mean()) < 5 * scale / np.sqrt(N)
    assert abs(z.var() - scale**2) < 5 * scale**2 * np.sqrt(2 / N)
    # independent across points: lag-1 correlation within MC error
    assert abs(np.corrcoef(z[:-1], z[1:])[0, 1]) < 5 / np.sqrt(N)
    np.testing.assert_array_equal(task(x[::-1]), z[::-1])


def test_zero_function_is_zero():
    x = tasks.sample_inputs(jax.random.key(5), M)
    z = tasks.zero_function()(x)
    assert z.shape == (M,)
    np.testing.assert_array_equal(z, 0.0)


def test_gaussian_mixture_equals_numpy_loop_over_modes(key):
    task = tasks.gaussian_mixture(key, Q, dim=2)
    A, C, S = (np.asarray(a) for a in (task.amplitudes, task.centers, task.widths))
    assert A.shape == (Q,) and C.shape == (Q, 2) and S.shape == (Q,)
    x = np.asarray(tasks.sample_inputs(jax.random.key(6), M))
    ref = np.zeros(M)
    for j in range(Q):  # 003 S4: sum_j A_j exp(-||x - x_j||^2 / sigma_j)
        for i in range(M):
            ref[i] += A[j] * np.exp(-np.sum((x[i] - C[j]) ** 2) / S[j])
    np.testing.assert_allclose(task(jnp.asarray(x)), ref, rtol=1e-12, atol=1e-300)
    # widths around 15 / q^2, amplitudes of modulus in [0.5, 1.5] (spread 0.5)
    assert np.all((S >= 0.5 * 15 / Q**2) & (S <= 1.5 * 15 / Q**2))
    assert np.all((np.abs(A) >= 0.5) & (np.abs(A) <= 1.5))


def test_hard_labels_are_indicator_of_positive_target(key):
    task = tasks.gaussian_mixture(key, Q)
    x = tasks.sample_inputs(jax.random.key(7), M, std=2.0)
    np.testing.assert_array_equal(tasks.hard_labels(task)(x), (np.asarray(task(x)) > 0).astype(float))
