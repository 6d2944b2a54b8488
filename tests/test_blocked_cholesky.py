"""The blocked Cholesky factorization (large kernels) against scipy.linalg.cholesky / cho_solve,
forced at small N by a small block size, and its failures reported like the single LAPACK call's."""

import jax
import numpy as np
import pytest
import scipy.linalg

from kdntk._src.blocked_cholesky import blocked_cholesky, lower_cholesky
from kdntk._src.checks import KernelError
from kdntk._src.conditioning import diagnose, report


def _spd(rng, n):
    phi = rng.normal(size=(n + 3, n))
    return phi.T @ phi / n + 0.1 * np.eye(n)


def _garbage_above(rng, theta):
    """Only the lower triangle is read: random numbers above the diagonal must not matter."""
    return np.tril(theta) + np.triu(rng.normal(size=theta.shape), 1)


@pytest.mark.parametrize("n,block", [(12, 4), (13, 4), (40, 7), (9, 9), (9, 20)])
def test_blocked_cholesky_matches_scipy_cholesky(n, block):
    rng = np.random.default_rng(n + block)
    theta = _spd(rng, n)
    L = np.asarray(jax.jit(lambda a: blocked_cholesky(a, block=block))(_garbage_above(rng, theta)))
    np.testing.assert_allclose(L, scipy.linalg.cholesky(theta, lower=True), rtol=1e-12, atol=1e-14)
    assert not np.any(np.triu(L, 1))


def test_blocked_factor_solves_like_scipy_cho_solve():
    rng = np.random.default_rng(1)
    theta, b = _spd(rng, 30), rng.normal(size=(30, 3))
    x = jax.jit(lambda t, b: jax.scipy.linalg.cho_solve(
        (lower_cholesky(t, block=8, single_call_max=16), True), b))(theta, b)   # 30 > 16: blocked
    np.testing.assert_allclose(x, scipy.linalg.cho_solve(scipy.linalg.cho_factor(theta, lower=True), b),
                               rtol=1e-11)


def test_blocked_cholesky_batches_under_vmap_and_leading_axes():
    rng = np.random.default_rng(2)
    thetas = np.stack([_spd(rng, 11) for _ in range(3)])
    expected = np.stack([scipy.linalg.cholesky(t, lower=True) for t in thetas])
    # one jitted program (eagerly, every operation would compile on its own)
    stacked, mapped = jax.jit(lambda t: (blocked_cholesky(t, block=4),
                                         jax.vmap(lambda a: blocked_cholesky(a, block=5))(t)))(thetas)
    np.testing.assert_allclose(stacked, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(mapped, expected, rtol=1e-12, atol=1e-14)


def test_failed_block_gives_nan_factor_and_kernel_error_like_single_call():
    theta = np.ones((8, 8)) + np.diag([1.0, 1, 1, 1, 1, -9, 1, 1])   # the block of rows 4..5 fails

    @jax.jit
    def factors(t):
        L = blocked_cholesky(t, block=2)
        return L, jax.lax.linalg.cholesky(t, symmetrize_input=False), diagnose(t, L)

    L, single, diagnosis = factors(theta)
    np.testing.assert_array_equal(np.isnan(L), np.isnan(single))    # NaN below the diagonal
    assert not np.any(np.triu(np.asarray(L), 1))
    with pytest.raises(KernelError, match="positive definite"):
        report(diagnosis, theta.dtype)


def test_blocked_factor_gives_the_single_calls_condition_estimate():
    @jax.jit
    def diagnoses(t):
        return (diagnose(t, blocked_cholesky(t, block=5)),
                diagnose(t, jax.lax.linalg.cholesky(t, symmetrize_input=False)))

    blocked, single = diagnoses(_spd(np.random.default_rng(3), 24))
    assert bool(blocked.factored)
    np.testing.assert_allclose(blocked.condition, single.condition, rtol=1e-10)
