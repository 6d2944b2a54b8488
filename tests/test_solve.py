"""Linearized-student solves against separate numpy/scipy solves and a literal evaluation of
Eq. 4 (dw = phi(X) Theta^-1 dz) in a random-feature model where phi(X) is explicit."""

import warnings

import numpy as np
import pytest
import scipy.linalg

import kdntk


def _spd(rng, n, p=None):
    phi = rng.normal(size=(p or 2 * n, n))
    return phi.T @ phi / phi.shape[0], phi


def _separate_solves(theta, dz):
    n = theta.shape[-1]
    return np.array([np.sqrt(dz[:k] @ np.linalg.solve(theta[:k, :k], dz[:k])) for k in range(1, n + 1)])


def test_weight_norm_path_matches_separate_numpy_solves():
    rng = np.random.default_rng(0)
    theta, _ = _spd(rng, 9)
    dz = rng.normal(size=9)
    np.testing.assert_allclose(kdntk.weight_norm_path(theta, dz), _separate_solves(theta, dz), rtol=1e-10)
    np.testing.assert_allclose(kdntk.weight_norm(theta, dz), _separate_solves(theta, dz)[-1], rtol=1e-10)


def test_weight_norm_path_with_extra_leading_axes_and_batched_theta():
    rng = np.random.default_rng(1)
    thetas = np.stack([_spd(rng, 6)[0] for _ in range(2)])  # (B=2, 6, 6)
    dz = rng.normal(size=(4, 3, 2, 6))  # (*E=(4, 3), B=2, 6)
    got = np.asarray(kdntk.weight_norm_path(thetas, dz))
    assert got.shape == (4, 3, 2, 6)
    for i in range(4):
        for j in range(3):
            for b in range(2):
                np.testing.assert_allclose(got[i, j, b], _separate_solves(thetas[b], dz[i, j, b]), rtol=1e-10)
    # extra axes on an unbatched theta
    got = np.asarray(kdntk.weight_norm_path(thetas[0], dz[:, 0, 0]))
    for i in range(4):
        np.testing.assert_allclose(got[i], _separate_solves(thetas[0], dz[i, 0, 0]), rtol=1e-10)


def test_predict_matches_explicit_scipy_solve():
    rng = np.random.default_rng(2)
    theta, _ = _spd(rng, 8)
    k_xX = rng.normal(size=(5, 8))
    dz = rng.normal(size=(3, 8))
    z0 = rng.normal(size=(3, 5))
    ref = (k_xX @ scipy.linalg.solve(theta, dz.T, assume_a="pos")).T + z0
    np.testing.assert_allclose(kdntk.predict(k_xX, theta, dz, z0), ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(kdntk.predict(k_xX, theta, dz[0]), ref[0] - z0[0], rtol=1e-10, atol=1e-12)


def test_theta_inner_cosine_angle_match_explicit_weight_changes_eq4():
    """Random features: Theta = phi^T phi with phi (P, N) explicit, so dw = phi Theta^-1 dz (Eq. 4)
    can be formed literally and its inner products, norms and angles taken in weight space."""
    rng = np.random.default_rng(3)
    n, p = 7, 40
    phi = rng.normal(size=(p, n)) / np.sqrt(p)
    theta = phi.T @ phi
    a, b = rng.normal(size=(2, n)), rng.normal(size=(n,))
    dw_a = np.stack([phi @ np.linalg.solve(theta, v) for v in a])  # (2, P)
    dw_b = phi @ np.linalg.solve(theta, b)
    inner = dw_a @ dw_b
    cos = inner / (np.linalg.norm(dw_a, axis=1) * np.linalg.norm(dw_b))
    np.testing.assert_allclose(kdntk.theta_inner(theta, a, b), inner, rtol=1e-9)
    np.testing.assert_allclose(kdntk.theta_cosine(theta, a, b), cos, rtol=1e-9)
    np.testing.assert_allclose(kdntk.theta_angle(theta, a, b), np.arccos(cos), rtol=1e-8)
    np.testing.assert_allclose(kdntk.weight_norm(theta, b), np.linalg.norm(dw_b), rtol=1e-9)
    # The converged student fits the targets: phi^T dw = dz.
    np.testing.assert_allclose(phi.T @ dw_b, b, rtol=1e-9, atol=1e-12)


def test_singular_kernel_from_duplicate_inputs_raises_kernel_error():
    x = np.random.default_rng(4).normal(size=(6, 2))
    x[4] = x[1]
    theta = kdntk.ntk(kdntk.mlp(3), x)
    with pytest.raises(kdntk.KernelError, match="positive definite") as info:
        kdntk.weight_norm_path(theta, np.ones(6))
    assert isinstance(info.value, ValueError)
    assert "duplicate" in str(info.value) and "jitter" in str(info.value)


def test_jitter_adds_what_it_says_and_warns_with_its_size():
    rng = np.random.default_rng(5)
    theta, _ = _spd(rng, 5)
    jitter = 1e-3
    added = jitter * np.mean(np.diag(theta))
    with pytest.warns(kdntk.PrecisionWarning, match=f"{added:.3g}"):
        L = np.asarray(kdntk.cholesky(theta, jitter=jitter))
    np.testing.assert_allclose(L @ L.T, theta + added * np.eye(5), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(L, np.linalg.cholesky(theta + added * np.eye(5)), rtol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kdntk.cholesky(theta)  # no jitter, well conditioned: silent
