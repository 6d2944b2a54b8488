"""The distillation loss (Ji & Zhu Eq. 2) and its per-sample gradient (Eq. 3) against a direct
numpy evaluation with explicit logs, jax.grad of the per-sample loss and finite differences."""

import jax
import jax.numpy as jnp
import numpy as np

import kdntk


def _per_sample(z_s, z_t, y_g, soft_ratio, temperature):
    """kdntk.distillation_loss_per_sample with positional hyperparameters (for *args and grad)."""
    return kdntk.distillation_loss_per_sample(z_s, z_t, y_g, soft_ratio=soft_ratio, temperature=temperature)


def _numpy_eq2(z_s, z_t, y_g, rho, T):
    """l_n = rho H(sigma(z_t/T), sigma(z_s/T)) + (1 - rho) H(y_g, sigma(z_s)), H with explicit logs."""
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    H = lambda p, q: -(p * np.log(q) + (1 - p) * np.log(1 - q))  # noqa: E731
    return rho * H(sig(z_t / T), sig(z_s / T)) + (1 - rho) * H(y_g, sig(z_s))


def _points(seed=0, n=50):
    rng = np.random.default_rng(seed)
    z_s, z_t = rng.uniform(-8, 8, n), rng.uniform(-8, 8, n)
    y = rng.uniform(0, 1, n)
    y[::2] = np.round(y[::2])
    return z_s, z_t, y, rng.uniform(0, 1, n), 10 ** rng.uniform(-0.5, 1, n)


def test_distillation_loss_matches_numpy_eq2_with_explicit_logs():
    args = _points()
    ref = _numpy_eq2(*args)
    np.testing.assert_allclose(_per_sample(*args), ref, rtol=1e-10)
    np.testing.assert_allclose(kdntk.distillation_loss(*args[:3], soft_ratio=args[3], temperature=args[4]), ref.mean(), rtol=1e-10)
    # documented example: both terms log 2 at zero logits
    np.testing.assert_allclose(kdntk.distillation_loss(0.0, 0.0, 1.0, soft_ratio=0.5, temperature=2.0), np.log(2), rtol=1e-14)


def test_binary_cross_entropy_matches_explicit_logs_and_stays_finite_when_saturated():
    p, z = np.array([0.0, 0.3, 1.0, 0.9]), np.array([-3.0, 0.2, 2.0, 7.0])
    q = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(kdntk.binary_cross_entropy(p, z), -(p * np.log(q) + (1 - p) * np.log(1 - q)),
                               rtol=1e-12)
    # at z = 800 a naive log(1 - sigma(z)) is log(0) = -inf; the exact value is 800 + log1p(e^-800)
    np.testing.assert_allclose(kdntk.binary_cross_entropy(0.0, 800.0), 800.0, rtol=1e-15)


def test_distillation_loss_grad_matches_jax_grad_of_per_sample_loss():
    args = _points(1)
    auto = jax.vmap(jax.grad(_per_sample))(*(jnp.asarray(a) for a in args))
    np.testing.assert_allclose(kdntk.distillation_loss_grad(*args[:3], soft_ratio=args[3], temperature=args[4]), auto, rtol=1e-10, atol=1e-14)


def test_distillation_loss_grad_matches_central_differences_of_numpy_eq2():
    z_s, z_t, y, rho, T = _points(2)
    h = 1e-6
    fd = (_numpy_eq2(z_s + h, z_t, y, rho, T) - _numpy_eq2(z_s - h, z_t, y, rho, T)) / (2 * h)
    np.testing.assert_allclose(kdntk.distillation_loss_grad(z_s, z_t, y, soft_ratio=rho, temperature=T), fd, rtol=1e-6, atol=1e-8)


def test_distillation_loss_grad_vanishes_at_effective_logits():
    """Eq. 3 defines z_eff as the root of the gradient: both must agree."""
    z_s, z_t, y, rho, T = _points(3)
    rho = np.clip(rho, 0.05, 1.0)
    z = kdntk.effective_logits(z_t, y, soft_ratio=rho, temperature=T)
    g = kdntk.distillation_loss_grad(z, z_t, y, soft_ratio=rho, temperature=T)
    np.testing.assert_allclose(g, 0.0, atol=1e-12)
