"""kdntk.gradient_flow / gradient_flow_predict against an ODE integration of df/dt = -Theta (f - y)
(scipy.integrate.solve_ivp) and against many small explicit gradient-descent steps."""

import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import solve_ivp

import kdntk


def _problem(seed=0, n=6, m=4):
    rng = np.random.default_rng(seed)
    phi = rng.normal(size=(10, n + m))
    k = phi.T @ phi / 10 + 0.05 * np.eye(n + m)
    return k[:n, :n], k[n:, :n], rng.normal(size=n)


def _ode(theta, kxX, y, times):
    n = len(y)

    def rhs(_, state):  # state = (f(X), f(x)); both driven by the residual on X
        r = state[:n] - y
        return np.concatenate([-theta @ r, -kxX @ r])

    sol = solve_ivp(rhs, (0.0, times[-1]), np.zeros(n + kxX.shape[0]), t_eval=times,
                    rtol=1e-11, atol=1e-12, method="DOP853")
    return sol.y[:n].T, sol.y[n:].T


def test_gradient_flow_matches_solve_ivp():
    theta, kxX, y = _problem()
    times = np.array([0.0, 0.1, 0.7, 3.0])
    f_train, _ = _ode(theta, kxX, y, times)
    got = np.asarray(kdntk.gradient_flow(theta, y, times))
    np.testing.assert_allclose(got, f_train, atol=1e-8)
    np.testing.assert_allclose(np.asarray(kdntk.gradient_flow(theta, y, 0.7)), f_train[2], atol=1e-8)


def test_gradient_flow_predict_matches_solve_ivp_on_new_inputs():
    theta, kxX, y = _problem(1)
    times = np.array([0.2, 1.5, 4.0])
    _, f_test = _ode(theta, kxX, y, times)
    got = np.asarray(kdntk.gradient_flow_predict(kxX, theta, y, times))
    np.testing.assert_allclose(got, f_test, atol=1e-8)


def test_gradient_flow_matches_small_gradient_descent_steps():
    theta, kxX, y = _problem(2)
    t, steps = 2.0, 20000
    eta = t / steps
    f, g = np.zeros_like(y), np.zeros(kxX.shape[0])
    for _ in range(steps):  # gradient descent on 1/2 ||f - y||^2 in function space
        r = f - y
        f, g = f - eta * theta @ r, g - eta * kxX @ r
    # Explicit Euler has O(eta) global error.
    np.testing.assert_allclose(np.asarray(kdntk.gradient_flow(theta, y, t)), f, atol=50 * eta)
    np.testing.assert_allclose(np.asarray(kdntk.gradient_flow_predict(kxX, theta, y, t)), g, atol=50 * eta)


def test_gradient_flow_infinite_time_matches_kernel_interpolation():
    theta, kxX, y = _problem(3)
    np.testing.assert_allclose(np.asarray(kdntk.gradient_flow(theta, y, jnp.inf)), y, atol=1e-9)
    np.testing.assert_allclose(np.asarray(kdntk.gradient_flow_predict(kxX, theta, y, jnp.inf)),
                               kxX @ np.linalg.solve(theta, y), atol=1e-8)


def test_gradient_flow_rejects_negative_time():
    theta, _, y = _problem()
    with pytest.raises(ValueError, match="t"):
        kdntk.gradient_flow(theta, y, -1.0)
