"""Linear and deep-linear distillation (002 Thm 1-2, Eq. 1, 6, 38, 66, 76) against independent oracles."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import expit, rel_entr

import kdntk


def _data(seed, n, d):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=d)


def _numpy_projection(x, w):
    """P_X w* by the paper's formula (Eq. 6 / 37), X = x^T."""
    n, d = x.shape
    if n >= d:
        return w
    X = x.T
    return X @ np.linalg.solve(X.T @ X, X.T @ w)


def test_linear_kernel_equals_gram_matrix_and_empirical_ntk():
    x, _ = _data(0, 5, 3)
    net = kdntk.phuong_lampert.linear()
    np.testing.assert_allclose(kdntk.ntk(net, x), x @ x.T, rtol=1e-12)
    np.testing.assert_allclose(kdntk.nngp(net, x), x @ x.T, rtol=1e-12)
    _, w = net.init_fn(jax.random.key(0), x.shape)
    # autodiff Jacobian of the apply function: phi(x) = x
    np.testing.assert_allclose(kdntk.empirical_ntk(net.apply_fn, w, x), x @ x.T, rtol=1e-12)
    assert kdntk.phuong_lampert.linear() == net and hash(kdntk.phuong_lampert.linear()) == hash(net)


@pytest.mark.parametrize("n,d", [(3, 6), (2, 5), (6, 4)])
def test_solution_matches_numpy_projection_formula(n, d):
    x, w = _data(n + d, n, d)
    np.testing.assert_allclose(kdntk.phuong_lampert.linear_distillation_solution(x, w), _numpy_projection(x, w), atol=1e-12)


@pytest.mark.parametrize("n,d", [(3, 6), (7, 4)])
def test_solution_matches_long_gradient_descent_from_zero(n, d):
    x, w_star = _data(10 * n + d, n, d)
    x = x / 2.0
    y = expit(x @ w_star)
    path = kdntk.phuong_lampert.deep_linear_flow([jnp.zeros((1, d))], x, y, step_size=4.0, num_steps=40000, record_every=40000)
    np.testing.assert_allclose(path[-1], _numpy_projection(x, w_star), atol=1e-6)


def test_loss_is_mean_bernoulli_kl_from_scipy():
    x, w_star = _data(1, 6, 3)
    w = np.array([0.3, -1.0, 2.0])
    p, q = expit(x @ w_star), expit(x @ w)
    kl = np.mean(rel_entr(p, q) + rel_entr(1 - p, 1 - q))
    np.testing.assert_allclose(kdntk.phuong_lampert.linear_distillation_loss(w, x, w_star), kl, rtol=1e-10)
    assert abs(float(kdntk.phuong_lampert.linear_distillation_loss(w_star, x, w_star))) < 1e-14


def test_loss_grad_matches_finite_differences():
    x, w_star = _data(2, 5, 4)
    w = np.array([0.1, 0.2, -0.3, 0.5])
    h = 1e-6
    fd = [(kdntk.phuong_lampert.linear_distillation_loss(w + h * e, x, w_star) - kdntk.phuong_lampert.linear_distillation_loss(w - h * e, x, w_star)) / (2 * h)
          for e in np.eye(4)]
    np.testing.assert_allclose(kdntk.phuong_lampert.linear_distillation_loss_grad(w, x, w_star), fd, atol=1e-8)


def test_perturbed_minimizer_is_global_minimizer_thm_a2():
    x, w_star = _data(3, 4, 9)
    w_hat = kdntk.phuong_lampert.linear_distillation_solution(x, w_star)
    w_d = kdntk.phuong_lampert.perturbed_minimizer(jax.random.key(1), x, w_hat, delta=3.0)
    np.testing.assert_allclose(x @ np.asarray(w_d), x @ w_star, atol=1e-10)  # zero set of L1 (Eq. 39)
    np.testing.assert_allclose(np.linalg.norm(w_d - w_hat), 3.0 * np.linalg.norm(w_hat), rtol=1e-10)
    with pytest.raises(ValueError, match="n < d"):
        kdntk.phuong_lampert.perturbed_minimizer(jax.random.key(1), x.T[:5, :4], w_hat[:4], delta=1.0)


def test_balanced_init_satisfies_eq13_and_norm():
    ws = kdntk.phuong_lampert.balanced_init(jax.random.key(0), 5, depth=3, width=4, scale=1e-2)
    for lo, hi in zip(ws[:-1], ws[1:]):
        np.testing.assert_allclose(hi.T @ hi, lo @ lo.T, atol=1e-15)
    w0 = np.asarray(ws[2] @ ws[1] @ ws[0])[0]
    np.testing.assert_allclose(np.linalg.norm(w0), 1e-2, rtol=1e-12)


def test_deep_linear_student_within_eq76_and_conserves_eq66():
    n, d, depth = 3, 6, 3
    x, w_star = _data(7, n, d)
    x = x / 2.0
    y = expit(x @ w_star)
    ws = kdntk.phuong_lampert.balanced_init(jax.random.key(3), d, depth=depth, scale=0.05)
    w0 = np.asarray(ws[2] @ ws[1] @ ws[0])[0]
    if kdntk.phuong_lampert.linear_distillation_loss(w0, x, w_star) >= kdntk.phuong_lampert.linear_distillation_loss(0 * w0, x, w_star):
        ws[0] = -ws[0]  # condition (12)
        w0 = -w0
    path = np.asarray(kdntk.phuong_lampert.deep_linear_flow(ws, x, y, step_size=1.0, num_steps=30000, record_every=200))
    w_hat = _numpy_projection(x, w_star)
    bound = float(kdntk.phuong_lampert.deep_linear_distance_bound(np.linalg.norm(w0), np.linalg.norm(w_hat), depth=depth))
    dist = np.linalg.norm(path[-1] - w_hat)
    assert dist <= bound
    # the span component converges (Eq. 62); the orthogonal one obeys the conservation law (Eq. 66)
    P = x.T @ np.linalg.solve(x @ x.T, x)
    np.testing.assert_allclose(P @ path[-1], w_hat, atol=1e-5)
    q = np.sum(((np.eye(d) - P) @ path.T) ** 2, axis=0)
    q0 = np.sum(((np.eye(d) - P) @ w0) ** 2)
    law = q0 * (np.sum(path**2, axis=1) / np.sum(w0**2)) ** ((depth - 1) / depth)
    np.testing.assert_allclose(q, law, rtol=2e-2)


def test_linear_network_runs_the_kernel_pipeline_weight_norm_is_projection_norm():
    x, w_star = _data(5, 4, 7)
    theta = kdntk.ntk(kdntk.phuong_lampert.linear(), x)
    norms = kdntk.weight_norm_path(theta, x @ w_star)
    expected = [np.linalg.norm(_numpy_projection(x[:k], w_star)) for k in range(1, 5)]
    np.testing.assert_allclose(norms, expected, rtol=1e-10)


def test_data_inefficiency_accepts_linear_norms_are_projection_norms():
    # ||dw_n|| = ||P_{X_n} w*|| (Thm 1); at n = d the student recovers w* exactly.
    w_star = jnp.array([1.0, -2.0, 0.5])
    xs = np.random.default_rng(4).normal(size=(3, 3, 3))
    res = kdntk.data_inefficiency(lambda x: x @ w_star, kdntk.phuong_lampert.linear(), [1, 2], key=jax.random.key(0),
                                  num_trials=3, init="zero", inputs=xs)
    expected = [[np.linalg.norm(_numpy_projection(x[:k], np.asarray(w_star))) for k in (1, 2)] for x in xs]
    np.testing.assert_allclose(res.norms[0, 0], expected, rtol=1e-10)
    np.testing.assert_allclose(res.next_norms[0, 0, :, 1], np.linalg.norm(w_star), rtol=1e-10)


def test_isotropic_transfer_risk_matches_monte_carlo_disagreement():
    rng = np.random.default_rng(0)
    w, w_star = rng.normal(size=4), rng.normal(size=4)
    x = rng.normal(size=(200000, 4))
    mc = np.mean(np.sign(x @ w) != np.sign(x @ w_star))
    se = np.sqrt(mc * (1 - mc) / x.shape[0])
    exact = float(kdntk.phuong_lampert.isotropic_transfer_risk(w, w_star))
    assert abs(mc - exact) < 4 * se
    assert abs(float(kdntk.phuong_lampert.linear_transfer_risk(w, w_star, x)) - mc) < 1e-12


def test_bad_inputs_raise_value_errors():
    with pytest.raises(ValueError, match="w_star"):
        kdntk.phuong_lampert.linear_distillation_solution(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match="step_size"):
        kdntk.phuong_lampert.deep_linear_flow([jnp.zeros((1, 2))], np.ones((2, 2)), np.ones(2) / 2, step_size=-1.0, num_steps=2)
    with pytest.raises(ValueError, match="w_hat_norm - w0_norm"):
        kdntk.phuong_lampert.deep_linear_distance_bound(2.0, 1.0, depth=2)
