"""Angles and reverse angle cdfs (002 Eq. 16-17, 28) and the kappa task (002 Sec. 5.1)."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special, stats

import kdntk


def test_unsigned_and_signed_angle_match_numpy_loop():
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=(6, 4)), rng.normal(size=4)
    for i in range(6):
        c = u[i] @ v / (np.linalg.norm(u[i]) * np.linalg.norm(v))
        np.testing.assert_allclose(kdntk.phuong_lampert.unsigned_angle(u[i], v), np.arccos(abs(c)), rtol=1e-12)
        np.testing.assert_allclose(kdntk.phuong_lampert.signed_angle(u[i], v), np.arccos(c), rtol=1e-12)


def test_reverse_angle_cdf_matches_brute_force_count():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(50, 3)), rng.normal(size=3)
    theta = np.linspace(0, np.pi / 2, 7)
    ang = [np.arccos(abs(xi @ w) / np.linalg.norm(xi) / np.linalg.norm(w)) for xi in x]
    expected = [sum(a >= t for a in ang) / 50 for t in theta]
    np.testing.assert_allclose(kdntk.phuong_lampert.reverse_angle_cdf(w, x, theta), expected, atol=1e-15)


def test_isotropic_closed_form_low_dimensions():
    theta = np.linspace(0, np.pi / 2, 11)
    # d = 2: uniform angle; d = 3: |cos| uniform on [0, 1] (Archimedes)
    np.testing.assert_allclose(kdntk.phuong_lampert.isotropic_reverse_angle_cdf(theta, dim=2), 1 - 2 * theta / np.pi, atol=1e-12)
    np.testing.assert_allclose(kdntk.phuong_lampert.isotropic_reverse_angle_cdf(theta, dim=3), np.cos(theta), atol=1e-12)
    np.testing.assert_allclose(kdntk.phuong_lampert.isotropic_reverse_angle_cdf(theta, dim=9),
                               special.betainc(0.5, 4.0, np.cos(theta) ** 2), atol=1e-12)


def test_isotropic_closed_form_matches_monte_carlo():
    d, m = 20, 40000
    rng = np.random.default_rng(2)
    x, w = rng.normal(size=(m, d)), rng.normal(size=d)
    theta = np.linspace(0.8, 1.5, 8)
    emp = np.asarray(kdntk.phuong_lampert.reverse_angle_cdf(w, x, theta))
    exact = np.asarray(kdntk.phuong_lampert.isotropic_reverse_angle_cdf(theta, dim=d))
    se = np.sqrt(exact * (1 - exact) / m) + 1e-12
    assert np.all(np.abs(emp - exact) < 4.5 * se)


@pytest.mark.parametrize("kappa", [1.0, pytest.param(0.5, marks=pytest.mark.slow), pytest.param(3.0, marks=pytest.mark.slow)])
def test_kappa_task_angle_law_ks_and_reverse_cdf(kappa):
    w_star = jnp.array([1.0, 2.0, -1.0, 0.5, 0.0])
    x = np.asarray(kdntk.tasks.kappa_task(jax.random.key(int(10 * kappa)), kappa, w_star, 4000))
    a = np.arccos(np.abs(x @ np.asarray(w_star)) / np.linalg.norm(x, axis=1) / np.linalg.norm(w_star))
    # P[a >= theta] = (1 - 2 theta / pi)^kappa  <=>  (1 - 2a/pi)^kappa ~ Uniform(0, 1)
    assert stats.kstest((1 - 2 * a / np.pi) ** kappa, "uniform").pvalue > 1e-3
    # radius |nu| with nu ~ N(0, 1): half-normal
    assert stats.kstest(np.linalg.norm(x, axis=1), "halfnorm").pvalue > 1e-3
    theta = np.linspace(0.1, 1.4, 6)
    emp = np.asarray(kdntk.phuong_lampert.reverse_angle_cdf(w_star, x, theta))
    exact = (1 - 2 * theta / np.pi) ** kappa
    np.testing.assert_allclose(kdntk.tasks.kappa_reverse_cdf(theta, kappa=kappa), exact, rtol=1e-12)
    assert np.all(np.abs(emp - exact) < 4.5 * np.sqrt(exact * (1 - exact) / 4000))


def test_kappa_task_orthogonal_direction_is_isotropic():
    # The component orthogonal to w* must have no preferred direction: its mean is 0.
    w_star = jnp.array([0.0, 0.0, 1.0])
    x = np.asarray(kdntk.tasks.kappa_task(jax.random.key(3), 1.0, w_star, 20000))
    s = np.sign(x[:, 2])[:, None] * x[:, :2]  # orient by the w* side: nu's sign cancels
    assert np.all(np.abs(s.mean(0)) < 5 * s.std(0) / np.sqrt(len(s)))


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="theta"):
        kdntk.phuong_lampert.reverse_angle_cdf(np.ones(2), np.ones((3, 2)), np.array([2.0]))
    with pytest.raises(ValueError, match="kappa"):
        kdntk.tasks.kappa_task(jax.random.key(0), -1.0, jnp.ones(3), 2)
    with pytest.raises(ValueError, match="dim"):
        kdntk.phuong_lampert.isotropic_reverse_angle_cdf(0.5, dim=1)


def test_isotropic_risk_of_distilled_student_is_alpha_bar_over_pi():
    # For w_hat = P_X w*, alpha = alpha_bar; exact risk alpha_bar/pi vs MC disagreement count
    rng = np.random.default_rng(5)
    x, w_star = rng.normal(size=(3, 8)), rng.normal(size=8)
    w_hat = kdntk.phuong_lampert.linear_distillation_solution(x, w_star)
    test = rng.normal(size=(100000, 8))
    mc = np.mean(np.sign(test @ np.asarray(w_hat)) != np.sign(test @ w_star))
    r = float(kdntk.phuong_lampert.unsigned_angle(w_hat, w_star)) / np.pi
    assert abs(mc - r) < 4 * np.sqrt(r * (1 - r) / 1e5)


_ = functools  # (kept for symmetry with test_bounds)
