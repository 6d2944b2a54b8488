"""The softmax distillation loss and its gradient against independent oracles: numpy with
explicit softmax and logs, the binary loss of Ji & Zhu Eq. 2 (C = 2 with logits (z, 0)),
jax.grad of the per-sample loss and central finite differences of the numpy loss."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kdntk


def _loss(z_s, z_t, y, rho, T):
    return kdntk.softmax_distillation_loss_per_sample(z_s, z_t, y, soft_ratio=rho, temperature=T)


def _grad(z_s, z_t, y, rho, T):
    return kdntk.softmax_distillation_loss_grad(z_s, z_t, y, soft_ratio=rho, temperature=T)


def _numpy_loss(z_s, z_t, y, rho, T):
    """rho CE(softmax(z_t/T), softmax(z_s/T)) + (1 - rho) CE(y, softmax(z_s)), explicit exps and logs."""
    def softmax(x):
        e = np.exp(x - x.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)
    Tc = np.asarray(T)[..., None]
    soft = -np.sum(softmax(z_t / Tc) * np.log(softmax(z_s / Tc)), -1)
    hard = -np.sum(y * np.log(softmax(z_s)), -1)
    return rho * soft + (1 - rho) * hard


def _points(seed, n=40, C=5):
    rng = np.random.default_rng(seed)
    z_s, z_t = rng.normal(0, 3, (n, C)), rng.normal(0, 3, (n, C))
    y = rng.dirichlet(np.ones(C), n)
    y[::2] = np.eye(C)[rng.integers(0, C, n // 2)]
    return z_s, z_t, y, rng.uniform(0, 1, n), 10 ** rng.uniform(-1, 1.5, n)


def test_softmax_loss_matches_numpy_with_explicit_softmax_and_logs():
    args = _points(0)
    ref = _numpy_loss(*args)
    np.testing.assert_allclose(_loss(*args), ref, rtol=1e-12)
    mean = kdntk.softmax_distillation_loss(*args[:3], soft_ratio=args[3], temperature=args[4])
    np.testing.assert_allclose(mean, ref.mean(), rtol=1e-12)


def test_softmax_loss_integer_labels_mean_their_one_hot_vectors():
    z_s, z_t, _, rho, T = _points(1)
    labels = np.arange(40) % 5
    np.testing.assert_array_equal(_loss(z_s, z_t, labels, rho, T), _loss(z_s, z_t, np.eye(5)[labels], rho, T))
    np.testing.assert_array_equal(_grad(z_s, z_t, labels, rho, T), _grad(z_s, z_t, np.eye(5)[labels], rho, T))


def test_two_classes_with_logits_z_and_zero_are_the_binary_loss_of_eq2():
    """C = 2, logits (z, 0): softmax = (sigma(z), sigma(-z)), so the loss IS kdntk.distillation_loss
    and the gradient's first entry IS Eq. 3 (with its 1/T on the soft term), the second its negative."""
    rng = np.random.default_rng(2)
    z, z_t, y_g = rng.normal(0, 4, 50), rng.normal(0, 4, 50), rng.uniform(0, 1, 50)
    y_g[::3] = np.round(y_g[::3])
    rho, T = rng.uniform(0, 1, 50), 10 ** rng.uniform(-1, 1.5, 50)
    pair = lambda v: np.stack([v, np.zeros_like(v)], -1)  # noqa: E731
    y = np.stack([y_g, 1 - y_g], -1)
    binary = kdntk.distillation_loss_per_sample(z, z_t, y_g, soft_ratio=rho, temperature=T)
    np.testing.assert_allclose(_loss(pair(z), pair(z_t), y, rho, T), binary, rtol=1e-13, atol=1e-15)
    g = _grad(pair(z), pair(z_t), y, rho, T)
    eq3 = kdntk.distillation_loss_grad(z, z_t, y_g, soft_ratio=rho, temperature=T)
    np.testing.assert_allclose(g[:, 0], eq3, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g[:, 1], -eq3, rtol=1e-12, atol=1e-15)


def test_softmax_loss_grad_matches_jax_grad_and_the_stated_formula():
    z_s, z_t, y, rho, T = (jnp.asarray(a) for a in _points(3))
    auto = jax.vmap(jax.grad(lambda z, *a: _loss(z, *a)))(z_s, z_t, y, rho, T)
    got = _grad(z_s, z_t, y, rho, T)
    np.testing.assert_allclose(got, auto, rtol=1e-10, atol=1e-14)
    sm = lambda x: np.asarray(jax.nn.softmax(x, axis=-1))  # noqa: E731
    Tc, rc = np.asarray(T)[:, None], np.asarray(rho)[:, None]
    stated = rc / Tc * (sm(z_s / Tc) - sm(z_t / Tc)) + (1 - rc) * (sm(z_s) - y)
    np.testing.assert_allclose(got, stated, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(np.sum(got, -1), 0.0, atol=1e-15)    # sums to zero over classes


def test_softmax_loss_grad_matches_central_differences_of_numpy_loss():
    z_s, z_t, y, rho, T = _points(4, n=10)
    h = 1e-6
    fd = np.stack([(_numpy_loss(z_s + h * e, z_t, y, rho, T) - _numpy_loss(z_s - h * e, z_t, y, rho, T)) / (2 * h)
                   for e in np.eye(5)], -1)
    np.testing.assert_allclose(_grad(z_s, z_t, y, rho, T), fd, rtol=1e-6, atol=1e-8)


def test_softmax_loss_finite_and_exact_for_saturated_logits():
    # |z / T| = 2e4: a naive softmax is exactly one-hot and log(0) = -inf; log-softmax is exact.
    z_s = np.array([[1000.0, 0.0, -1000.0]])
    z_t = np.array([[-1000.0, 0.0, 1000.0]])
    loss = _loss(z_s, z_t, np.array([[0.0, 0.0, 1.0]]), 0.5, 0.05)
    # soft: CE with teacher mass on class 2: -(log softmax(z_s/T))_2 = 40000; hard: 2000.
    np.testing.assert_allclose(loss, [0.5 * 40000.0 + 0.5 * 2000.0], rtol=1e-15)
    assert np.all(np.isfinite(_grad(z_s, z_t, np.array([[0.0, 0.0, 1.0]]), 0.5, 0.05)))


def test_softmax_loss_broadcasts_ratio_and_temperature_over_sample_axes():
    z_s, z_t, y, _, _ = _points(5, n=4)
    rho = np.array([[0.1], [0.9]])                 # (2, 1) against samples (4,): (2, 4)
    got = _loss(z_s, z_t, y, rho, 2.0)
    assert got.shape == (2, 4)
    np.testing.assert_allclose(got[1], _numpy_loss(z_s, z_t, y, 0.9, 2.0), rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs,name",
    [
        (dict(soft_ratio=1.5, temperature=1.0), "soft_ratio"),
        (dict(soft_ratio=np.nan, temperature=1.0), "soft_ratio"),
        (dict(soft_ratio=0.5, temperature=0.0), "temperature"),
        (dict(soft_ratio=0.5, temperature=np.inf), "temperature"),
        (dict(y=[0.5, 0.6, 0.0]), "y"),
        (dict(y=[1.2, -0.2, 0.0]), "y"),
        (dict(y=[0.5, 0.5]), "y"),
        (dict(y=3), "y"),
        (dict(y=[0, 1, 0]), "y"),          # integer one-hot: ambiguous with 3 labels, refused
        (dict(y=[np.nan, 1.0, 0.0]), "y"),
        (dict(z_s=[0.0, np.nan, 1.0]), "z_s"),
        (dict(z_t=[[0.0, 1.0, 2.0]] * 2, y=np.eye(3)), "y"),
        (dict(z_t=[0.0, 1.0]), "y"),
        (dict(z_s=[0.0, 1.0]), "z_s"),
    ],
)
def test_softmax_loss_bad_input_raises_value_error_naming_the_argument(kwargs, name):
    args = dict(z_s=[0.0, 0.0, 0.0], z_t=[1.0, 0.0, 0.0], y=[0.0, 1.0, 0.0], soft_ratio=0.5, temperature=2.0)
    args.update(kwargs)
    for f in (kdntk.softmax_distillation_loss, kdntk.softmax_distillation_loss_grad):
        with pytest.raises(ValueError, match=name):
            f(args["z_s"], args["z_t"], args["y"], soft_ratio=args["soft_ratio"],
              temperature=args["temperature"])
