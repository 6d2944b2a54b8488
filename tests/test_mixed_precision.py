"""Mixed precision weight norms (kdntk.weight_norm_mixed): a float32 factorization refined in
float64 gives the float64 norms, and says so when it cannot (issue 15, target 4).

Oracle: scipy's float64 Cholesky solve of each leading block, dz_n^T Theta_n^-1 dz_n, on ReLU
NTKs (depth 3) whose conditioning is set by the input scale and near-duplicates; the limits are
those measured in docs/solve.md."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg as sla

import kdntk

NET = kdntk.mlp(3)


def _ntk(x):
    return np.asarray(kdntk.ntk(NET, jnp.asarray(x)))


def _scipy_norms(theta, dz, sizes):
    return np.array([[np.sqrt(b[:n] @ sla.cho_solve(sla.cho_factor(theta[:n, :n], lower=True), b[:n]))
                      for n in sizes] for b in dz])


@pytest.mark.parametrize("scale, rtol", [(5.0, 1e-12), (0.1, 1e-10)])
def test_weight_norm_mixed_matches_scipy_float64_solves(scale, rtol):
    """x = 5 randn(256, 2): equilibrated cond_1 ~ 1e5, exact to 1e-12 (measured 1e-13); x = 0.1 randn:
    cond_1 ~ 3e6, where float32 norms are off by ~1e-3, exact to 1e-10 (measured 2e-12)."""
    rng = np.random.default_rng(0)
    theta = _ntk(scale * rng.normal(size=(256, 2)))
    dz = rng.normal(size=(3, 256))
    sizes = [16, 64, 200, 256]
    got = kdntk.weight_norm_mixed(theta, dz, sample_sizes=sizes)
    assert got.shape == (3, 4) and got.dtype == jnp.float64
    np.testing.assert_allclose(got, _scipy_norms(theta, dz, sizes), rtol=rtol)
    np.testing.assert_allclose(kdntk.weight_norm_mixed(theta, dz), got[:, -1], rtol=rtol)


def test_weight_norm_mixed_is_far_more_accurate_than_float32_where_float32_warns():
    rng = np.random.default_rng(0)
    theta = _ntk(0.1 * rng.normal(size=(256, 2)))
    dz = rng.normal(size=256)
    want = _scipy_norms(theta, dz[None], [256])[0, 0]
    with pytest.warns(kdntk.PrecisionWarning):
        f32 = float(kdntk.weight_norm(theta.astype(np.float32), dz.astype(np.float32)))
    assert abs(f32 / want - 1) > 1e-4
    assert abs(float(kdntk.weight_norm_mixed(theta, dz)) / want - 1) < 1e-10


def _beyond_the_limit():
    """Near-duplicate pairs 1e-4 apart among N = 256 inputs: cond_1 ~ 3e8, the refinement stalls."""
    rng = np.random.default_rng(0)
    base = 5.0 * rng.normal(size=(128, 2))
    x = np.concatenate([base, base + 1e-4 * rng.normal(size=(128, 2))])[rng.permutation(256)]
    return _ntk(x), rng.normal(size=256)


def test_weight_norm_mixed_raises_beyond_its_condition_limit_eagerly_and_under_jit():
    theta, dz = _beyond_the_limit()
    assert kdntk.weight_norm(theta, dz) > 0          # float64 still factors it
    with pytest.raises(kdntk.NumericalError, match="did not converge"):
        kdntk.weight_norm_mixed(theta, dz)
    with pytest.raises(jax.errors.JaxRuntimeError, match="did not converge"):
        jax.block_until_ready(jax.jit(kdntk.weight_norm_mixed)(theta, dz))


def test_weight_norm_mixed_reports_a_failed_float32_factorization():
    theta = np.array([[1.0, 1.0 - 1e-9], [1.0 - 1e-9, 1.0]])    # positive definite; singular in float32
    with pytest.raises(kdntk.KernelError, match="float32"):
        kdntk.weight_norm_mixed(theta, np.array([1.0, -1.0]))
