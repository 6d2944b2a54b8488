"""Tests of kdntk.eigen against ODE integration, explicit gradient-descent steps, numpy/scipy
re-implementations and the closed forms of 001 App. B."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg
from scipy.integrate import solve_ivp

import kdntk
from kdntk import nagarajan as eigen


def _problem(seed=0, n=6, p=10, k=None):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p)) / np.sqrt(p)
    y = rng.normal(size=(n,) if k is None else (n, k))
    return x, x @ x.T, y


def test_distilled_sparsifier_matches_numpy_product_over_grid():
    lam = np.array([3.0, 1.0, 0.2])
    t = np.array([0.0, 0.5, 2.0])[:, None]
    tt = np.array([1.0, np.inf])[None, :]
    got = np.asarray(kdntk.nagarajan.distilled_sparsifier(lam, t, tt))
    want = (1 - np.exp(-t[..., None] * lam)) * (1 - np.exp(-tt[..., None] * lam))
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=0)
    assert got.shape == (3, 2, 3)


def test_sparsifier_vector_t_matches_numpy():
    lam = np.array([2.0, 0.5])
    t = np.array([0.1, 1.0, np.inf])
    np.testing.assert_allclose(kdntk.nagarajan.sparsifier(lam, t), 1 - np.exp(-t[:, None] * lam[None, :]))


def test_standalone_flow_matches_ode_integration():
    _, theta, y = _problem(1)
    t = np.array([0.3, 1.0, 4.0])
    sol = solve_ivp(lambda s, f: -theta @ (f - y), (0, 4.0), np.zeros_like(y), t_eval=t,
                    rtol=1e-11, atol=1e-12)
    got = eigen.distilled_flow(theta, y, t)
    np.testing.assert_allclose(got, sol.y.T, atol=1e-8)
    np.testing.assert_allclose(kdntk.gradient_flow(theta, y, t), sol.y.T, atol=1e-8)


def test_standalone_flow_matches_expm():
    _, theta, y = _problem(2)
    want = (np.eye(6) - scipy.linalg.expm(-1.7 * theta)) @ y
    np.testing.assert_allclose(eigen.distilled_flow(theta, y, 1.7), want, atol=1e-12)


def test_linear_weights_match_many_small_gd_steps():
    x, _, y = _problem(3)
    eta, steps = 1e-3, 2000  # t = eta * steps = 2
    beta = np.zeros(x.shape[1])
    for _ in range(steps):
        beta -= eta * x.T @ (x @ beta - y)
    got = eigen.linear_flow_weights(x, y, eta * steps)
    np.testing.assert_allclose(got, beta, atol=2e-3 * np.abs(beta).max())


def test_distilled_flow_matches_student_ode_on_stopped_teacher_outputs():
    _, theta, y = _problem(4, k=3)
    T = 0.8
    teacher = (np.eye(6) - scipy.linalg.expm(-T * theta)) @ y
    sol = solve_ivp(lambda s, f: (-theta @ (f.reshape(6, 3) - teacher)).ravel(), (0, 2.5),
                    np.zeros(18), t_eval=[0.5, 2.5], rtol=1e-11, atol=1e-12)
    got = eigen.distilled_flow(theta, y, np.array([0.5, 2.5]), t_teacher=T)
    np.testing.assert_allclose(got, sol.y.T.reshape(2, 6, 3), atol=1e-8)


def test_distilled_predict_matches_student_ode_on_test_inputs():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(9, 7)) / np.sqrt(7)
    xtr, xte = x[:6], x[6:]
    theta, kxX = xtr @ xtr.T, xte @ xtr.T
    y = rng.normal(size=6)
    T, t = 1.3, 0.9
    teacher = (np.eye(6) - scipy.linalg.expm(-T * theta)) @ y

    def rhs(s, z):  # z = (f_train, f_test): both driven by the training residual
        r = z[:6] - teacher
        return np.concatenate([-theta @ r, -kxX @ r])

    sol = solve_ivp(rhs, (0, t), np.zeros(9), rtol=1e-11, atol=1e-12)
    got = eigen.distilled_flow_predict(kxX, theta, y, t, t_teacher=T)
    np.testing.assert_allclose(got, sol.y[6:, -1], atol=1e-8)


def test_weight_projections_match_explicit_feature_weights():
    rng = np.random.default_rng(6)
    phi = rng.normal(size=(5, 12))
    theta = phi @ phi.T
    Y = rng.normal(size=(5, 3))
    T, t = 0.2, 0.1
    lam, U = np.linalg.eigh(theta)
    lam, U = lam[::-1], U[:, ::-1]
    W = phi.T @ np.linalg.solve(theta, (np.eye(5) - scipy.linalg.expm(-t * theta))
                                @ (np.eye(5) - scipy.linalg.expm(-T * theta)) @ Y)
    v = phi.T @ U / np.sqrt(lam)[None, :]  # weight-space eigendirections
    want = np.linalg.norm(W.T @ v[:, [0, 4]], axis=0)
    got = eigen.weight_projections(theta, Y, t, t_teacher=T, directions=(0, 4))
    np.testing.assert_allclose(got, want, rtol=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_theorem_4_1_construction_satisfies_a_and_b_by_brute_force(seed):
    rng = np.random.default_rng(seed)
    lam = np.sort(rng.exponential(size=8))[::-1]
    k1, k2 = sorted(rng.choice(8, 2, replace=False))
    a = rng.uniform(0.05, 0.95)
    th = kdntk.nagarajan.sparsification_theorem(lam[k1], lam[k2], a)
    kappa = lam[k2] / lam[k1]
    # closed forms of App. B Eqs. 9, 12
    np.testing.assert_allclose(th.student_top, a, rtol=1e-12)  # (a), with equality
    np.testing.assert_allclose(th.student_bottom, (1 - (1 - np.sqrt(a)) ** kappa) ** 2, rtol=1e-12)
    np.testing.assert_allclose(th.standalone_bottom, 1 - (1 - a) ** kappa, rtol=1e-12)
    # (b) by brute force over standalone stopping times that reach alpha* on k1
    t = np.geomspace(1e-3, 1e3, 20001) / lam[k1]
    ok = 1 - np.exp(-lam[k1] * t) >= a
    assert ok.any()
    assert np.min(1 - np.exp(-lam[k2] * t[ok])) > th.student_bottom
    assert th.gap > 0


def test_theorem_4_1_gap_positive_on_dense_grid_power_mean_claim():
    a = np.linspace(0.01, 0.99, 99)[:, None]
    kappa = np.linspace(0.01, 0.99, 99)[None, :]
    th = kdntk.nagarajan.sparsification_theorem(np.ones_like(kappa), kappa, a)
    # independent: 2 s^k > (s^2)^k + (2 - s... power-mean form 1 - (1-a)^k - (1 - s^k)^2, s = 1 - sqrt a
    s = 1 - np.sqrt(a)
    gap = 1 - (1 - a) ** kappa - (1 - s ** kappa) ** 2
    np.testing.assert_allclose(th.gap, gap, atol=1e-13)
    assert np.all(gap > 0)


def test_theorem_4_1_rejects_bad_arguments():
    with pytest.raises(ValueError, match="alpha_star"):
        kdntk.nagarajan.sparsification_theorem(2.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="eigenvalue_top"):
        kdntk.nagarajan.sparsification_theorem(1.0, 2.0, 0.5)
    with pytest.raises(ValueError, match="t_teacher"):
        kdntk.nagarajan.distilled_sparsifier(np.ones(2), 1.0, -1.0)
    with pytest.raises(ValueError, match="y must"):
        eigen.distilled_flow(np.eye(3), np.ones(4), 1.0)


def test_distilled_flow_broadcast_grid_matches_vmap_route():
    _, theta, y = _problem(7)
    t = jnp.array([0.5, 1.0])
    grid = eigen.distilled_flow(theta, y, t[:, None], t_teacher=t[None, :])
    one = jax.vmap(lambda s: eigen.distilled_flow(theta, y, 0.5, t_teacher=s))(t)
    np.testing.assert_allclose(grid[0], one, atol=1e-13)
    assert grid.shape == (2, 2, 6)
