"""The NTK risk bound of Ji & Zhu (000 Sec. 3, Eq. 6-9, Thm 1; 003 S6, Fig. S7) against independent truth."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kdntk

# The linear-kernel weight-norm paths below all use inputs of one shape (N_IN, D_IN), N_IN < D_IN,
# so the kernel, the path and alpha_bar compile once for the three tests.
N_IN, D_IN = 8, 9


def test_kernel_side_cosines_equal_explicit_feature_vectors_for_linear_kernel():
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(30, 5)), rng.normal(size=5)
    net = kdntk.phuong_lampert.linear()
    diag = kdntk.ji_zhu.ntk_diagonal(net, x)
    cos = kdntk.ji_zhu.feature_cosines(x @ w, diag, oracle_norm=np.linalg.norm(w))  # Eq. 8, phi(x) = x, dw* = w
    explicit = np.abs(x @ w) / (np.linalg.norm(x, axis=1) * np.linalg.norm(w))
    np.testing.assert_allclose(cos, explicit, rtol=1e-12)
    theta = np.linspace(0, np.pi / 2, 9)
    np.testing.assert_allclose(kdntk.ji_zhu.ntk_reverse_angle_cdf(x @ w, diag, theta, oracle_norm=np.linalg.norm(w)),
                               kdntk.phuong_lampert.reverse_angle_cdf(w, x, theta), atol=1e-15)


def test_ntk_diagonal_matches_full_kernel_diagonal():
    x = 2.0 * jax.random.normal(jax.random.key(0), (7, 2))
    net = kdntk.mlp(2)
    # arccos(1 - eps) on the diagonal of a full matrix carries ~sqrt(eps) = 1e-8 rounding error
    np.testing.assert_allclose(kdntk.ji_zhu.ntk_diagonal(net, x), jnp.diag(kdntk.ntk(net, x)), rtol=1e-7)


def test_alpha_bar_eq9_equals_projection_angle_for_linear_kernel():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(N_IN, D_IN)), rng.normal(size=D_IN)
    path = kdntk.weight_norm_path(kdntk.ntk(kdntk.phuong_lampert.linear(), x), x @ w)
    alpha = kdntk.ji_zhu.ntk_alpha_bar(path, oracle_norm=np.linalg.norm(w))
    for k in range(1, N_IN + 1):
        X = x[:k].T
        w_hat = X @ np.linalg.solve(X.T @ X, X.T @ w)
        np.testing.assert_allclose(alpha[k - 1], np.arccos(np.linalg.norm(w_hat) / np.linalg.norm(w)), atol=1e-7)


def test_oracle_norm_exact_when_path_converged_linear_kernel():
    # w* in the span of the first 3 inputs: ||dw_n|| = ||w*|| for n >= 3 (Thm 1), tail 0
    rng = np.random.default_rng(2)
    x = rng.normal(size=(N_IN, D_IN))
    w = x[:3].T @ rng.normal(size=3)
    path = kdntk.weight_norm_path(kdntk.ntk(kdntk.phuong_lampert.linear(), x), x @ w)
    est = kdntk.ji_zhu.oracle_norm_estimate(path)
    np.testing.assert_allclose(est.estimate, np.linalg.norm(w), rtol=1e-8)
    assert float(est.tail) == 0.0


def test_oracle_norm_extrapolates_power_law_path_exactly():
    n = np.arange(1, 513)
    s = 4.0 - 3.0 * n**-0.7  # ||dw_n||^2 -> 4, ||dw*|| = 2; growth per doubling shrinks by 2^-0.7
    est = kdntk.ji_zhu.oracle_norm_estimate(np.sqrt(s))
    assert est.lower < 2.0
    np.testing.assert_allclose(est.estimate, 2.0, rtol=1e-9)
    np.testing.assert_allclose(est.ratio, 2.0**-0.7, rtol=1e-9)
    # a noisy path (independent +-10% noise on the per-point increments) still lands close
    rng = np.random.default_rng(0)
    big = np.arange(1, 2**20 + 1)
    inc = np.diff(4.0 - 3.0 * big**-0.7, prepend=1.0) * rng.uniform(0.9, 1.1, size=big.size)
    truth = np.sqrt(np.sum(inc) + 3.0 * (2.0**20) ** -0.7)  # the noisy path's own limit
    noisy = kdntk.ji_zhu.oracle_norm_estimate(np.sqrt(np.cumsum(inc[:512])))
    assert abs(float(noisy.estimate) - truth) < 0.2 * (truth - float(noisy.lower))
    # a path that keeps growing like log n has no finite limit
    assert not np.isfinite(float(kdntk.ji_zhu.oracle_norm_estimate(np.sqrt(np.log(n) + 1.0)).estimate))
    with pytest.raises(ValueError, match="decreases"):
        kdntk.ji_zhu.oracle_norm_estimate(np.sqrt(s)[::-1])


def test_thm1_bound_holds_for_linear_isotropic_exact_risk():
    # linear kernel, isotropic inputs: R_n = alpha_bar_n / pi exactly; p is the beta-function closed form
    d = D_IN
    rng = np.random.default_rng(3)
    w = rng.normal(size=d)
    p = functools.partial(kdntk.phuong_lampert.isotropic_reverse_angle_cdf, dim=d)
    for _ in range(5):
        x = rng.normal(size=(N_IN, d))
        path = kdntk.weight_norm_path(kdntk.ntk(kdntk.phuong_lampert.linear(), x), x @ w)
        alpha = kdntk.ji_zhu.ntk_alpha_bar(path, oracle_norm=np.linalg.norm(w))
        assert np.all(np.asarray(alpha) / np.pi <= np.asarray(kdntk.ji_zhu.ntk_risk_bound(p, alpha)) + 1e-12)


def test_relu_ntk_diagonal_at_least_quarter_of_xx_fig_s7():
    # 003 S6 / Fig. S7: Theta(x, x) >= x^T x / 4, with equality approached at large input scale
    net = kdntk.mlp(3)
    for scale in (0.1, 1.0, 5.0, 100.0):
        x = scale * jax.random.normal(jax.random.key(1), (50, 2))
        ratio = kdntk.ji_zhu.ntk_diagonal(net, x) / jnp.sum(x * x, axis=1)
        assert float(ratio.min()) >= 0.25
    assert float(ratio.max()) < 0.26


def test_vacuous_threshold_makes_phuong_lampert_bound_one():
    # 000 Sec. 3.2: with p = 1 on [0, beta_t] and beta_t >= pi/4, min_beta p(beta) + p(pi/2 - beta)^n = 1
    rng = np.random.default_rng(4)
    cos = 0.3 * rng.uniform(size=500)  # |cos| <= 0.3: beta_t = arccos(0.3) ~ 1.27 > pi/4
    beta_t = float(kdntk.ji_zhu.vacuous_threshold(cos))
    np.testing.assert_allclose(beta_t, np.arccos(cos.max()), rtol=1e-12)
    theta = np.linspace(0, np.pi / 2, 181)
    tab = (theta, np.asarray(kdntk.phuong_lampert.reverse_cdf(np.arccos(cos), theta)))
    for n in (1, 10, 1000):
        assert float(kdntk.phuong_lampert.risk_bound(tab, n)) == 1.0
