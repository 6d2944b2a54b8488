"""Effective student logits z_eff (root of Ji & Zhu Eq. 3) against independent oracles:
an mpmath bisection at 300 digits, the T = 1 closed form, central finite differences."""

import math

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest

import kdntk
from _oracles import mp_effective_logit


def _random_points(seed, n):
    """z_t in [-50, 50], rho log-uniform in [1e-3, 1], T log-uniform in [0.1, 100], y_g half hard."""
    rng = np.random.default_rng(seed)
    z_t = rng.uniform(-50, 50, n)
    z_t[: n // 4] = rng.uniform(-3, 3, n // 4)  # also the region where the split matters most
    rho = 10 ** rng.uniform(-3, 0, n)
    T = 10 ** rng.uniform(-1, 2, n)
    y = np.where(np.arange(n) % 2 == 0, rng.integers(0, 2, n).astype(float), rng.uniform(0, 1, n))
    return z_t, y, rho, T


def _corner_points():
    pts = []
    for z_t in (-50.0, -1.0, 0.0, 50.0):
        for rho in (1e-3, 0.5, 1.0):
            for T in (0.1, 100.0):
                for y in (0.0, 1.0, 0.3):
                    pts.append((z_t, y, rho, T))
    return tuple(np.array(c) for c in zip(*pts))


def _reference(z_t, y, rho, T):
    return np.array([mp_effective_logit(*p) for p in zip(z_t, y, rho, T)])


@pytest.fixture(scope="module")
def points64():
    a = _random_points(0, 60)
    b = _corner_points()
    args = tuple(np.concatenate([u, v]) for u, v in zip(a, b))
    return args, _reference(*args)


def test_effective_logits_matches_mpmath_bisection_float64(points64):
    args, ref = points64
    got = np.asarray(kdntk.effective_logits(*args))
    err = np.abs(got - ref) / np.maximum(1.0, np.abs(ref))
    assert got.dtype == np.float64
    assert np.all(np.isfinite(got))
    assert err.max() <= 1e-12, (err.max(), [a[err.argmax()] for a in args])


def test_effective_logits_matches_mpmath_bisection_float32():
    # The float32 inputs are exactly representable in float64, so the oracle sees the same point.
    args = tuple(np.concatenate([u, v]).astype(np.float32) for u, v in zip(_random_points(1, 60), _corner_points()))
    ref = _reference(*(a.astype(np.float64) for a in args))
    got = np.asarray(kdntk.effective_logits(*(jnp.asarray(a) for a in args)))
    assert got.dtype == np.float32
    err = np.abs(got.astype(np.float64) - ref) / np.maximum(1.0, np.abs(ref))
    assert err.max() <= 1e-4, (err.max(), [a[err.argmax()] for a in args])


def test_effective_logits_matches_mpmath_where_sigmoids_saturate():
    # z_t / T = 500 and 1000: 1 - sigma(500) ~ 1e-217, so a naive float64 difference is exactly 0.
    pts = [(500.0, 0.0, 0.5, 1.0), (-500.0, 1.0, 0.5, 1.0), (1000.0, 0.0, 0.9, 2.0),
           (-1000.0, 1.0, 0.1, 2.0), (500.0, 1.0, 0.3, 1.0), (50.0, 0.0, 0.5, 0.1)]
    args = tuple(np.array(c) for c in zip(*pts))
    ref = _reference(*args)
    got = np.asarray(kdntk.effective_logits(*args))
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-9)


def test_effective_logits_finite_and_monotone_in_teacher_logit_up_to_1e3():
    """Eq. 3's root is strictly increasing in z_t. Where it saturates on a plateau (its true
    increase per step is below one ulp) the float64 root carries rounding noise of up to ~7 ulps
    (measured), so monotonicity is asserted up to 16 ulps of |z_eff|; any real defect (a wrong
    branch, a bracket jump) would be many orders of magnitude larger."""
    z_t = jnp.linspace(-1000.0, 1000.0, 2001)
    for y in (0.0, 1.0):
        for rho in (1e-3, 0.1, 0.5, 0.9):
            for T in (0.1, 1.0, 5.0, 100.0):
                z = np.asarray(kdntk.effective_logits(z_t, y, rho, T))
                assert np.all(np.isfinite(z)), (y, rho, T)
                slack = 16 * np.spacing(np.maximum(np.abs(z[1:]), np.abs(z[:-1])))
                assert np.all(np.diff(z) >= -slack), (y, rho, T, np.diff(z).min())


def test_effective_logits_pure_soft_returns_teacher_logit_exactly():
    z_t = jnp.array([-1e3, -37.25, -1e-300, 0.0, 3.3, 999.0])
    for y in (0.0, 1.0, 0.42):
        for T in (0.1, 1.0, 7.0):
            np.testing.assert_array_equal(kdntk.effective_logits(z_t, y, 1.0, T), z_t)


def test_effective_logits_correct_teacher_is_amplified_paper_fig1():
    # Paper Sec. 2: for a correct teacher (y_g = 1{z_t > 0}) |z_eff| >= |z_t| at any T.
    z_t = jnp.linspace(-60.0, 60.0, 1201)
    y = (z_t > 0).astype(z_t.dtype)
    for rho in (1e-3, 0.2, 0.5, 0.8, 1.0):
        for T in (0.1, 0.5, 1.0, 3.0, 20.0, 100.0):
            z = kdntk.effective_logits(z_t, y, rho, T)
            assert np.all(np.abs(np.asarray(z)) >= np.abs(np.asarray(z_t))), (rho, T)


def test_effective_logits_matches_closed_form_at_unit_temperature():
    # At T = 1, Eq. 3 is linear in sigma(z): sigma(z_eff) = rho sigma(z_t) + (1 - rho) y_g.
    rng = np.random.default_rng(3)
    z_t, rho, y = rng.uniform(-20, 20, 40), rng.uniform(0.01, 1, 40), rng.uniform(0, 1, 40)
    y[::3] = np.round(y[::3])
    with mpmath.workdps(60):
        ref = []
        for a, r, g in zip(z_t, rho, y):
            p = r / (1 + mpmath.exp(-mpmath.mpf(a))) + (1 - r) * mpmath.mpf(g)
            ref.append(float(mpmath.log(p / (1 - p))))
    np.testing.assert_allclose(kdntk.effective_logits(z_t, y, rho, 1.0), ref, rtol=1e-9, atol=1e-9)


def test_effective_logits_sign_correct_at_unit_temperature_when_hard_ratio_dominates():
    # From the T = 1 closed form: y_g = 1 and rho <= 1/2 give sigma(z_eff) >= 1/2 for any z_t.
    z_t = jnp.linspace(-1000.0, 1000.0, 2001)
    for rho in (1e-3, 0.1, 0.3, 0.5):
        assert np.all(np.asarray(kdntk.effective_logits(z_t, 1.0, rho, 1.0)) >= 0)
        assert np.all(np.asarray(kdntk.effective_logits(z_t, 1.0, rho * 0.99, 1.0)) > 0)
    # ... but not at other temperatures: a counterexample at T = 0.1 (checked with mpmath).
    ref = mp_effective_logit(-1.0, 1.0, 0.5, 0.1)
    assert ref < 0
    got = float(kdntk.effective_logits(-1.0, 1.0, 0.5, 0.1))
    assert got < 0 and abs(got - ref) <= 1e-9 * max(1, abs(ref))


def test_effective_logits_pure_hard_labels_diverge_by_label_never_nan():
    z_t = jnp.array([-5.0, 0.0, 5.0])
    for T in (0.1, 1.0, 10.0):
        assert np.all(np.asarray(kdntk.effective_logits(z_t, 1.0, 0.0, T)) == np.inf)
        assert np.all(np.asarray(kdntk.effective_logits(z_t, 0.0, 0.0, T)) == -np.inf)
    # soft labels at rho = 0: logit(y_g)
    np.testing.assert_allclose(kdntk.effective_logits(z_t, 0.25, 0.0, 2.0), math.log(1 / 3), rtol=1e-14)


def test_effective_logits_under_jit_vmap_and_grad_with_traced_ratio_and_temperature():
    z_t, y = jnp.array([-2.0, 0.5, 3.0]), jnp.array([1.0, 0.0, 1.0])
    eager = kdntk.effective_logits(z_t, y, 0.3, 4.0)
    jitted = jax.jit(lambda r, T: kdntk.effective_logits(z_t, y, r, T))(0.3, 4.0)
    np.testing.assert_allclose(jitted, eager, rtol=1e-14)
    rhos = jnp.array([0.1, 0.3, 0.9])
    Ts = jnp.array([0.5, 4.0, 20.0])
    mapped = jax.vmap(lambda r, T: kdntk.effective_logits(z_t, y, r, T))(rhos, Ts)
    for i in range(3):
        np.testing.assert_allclose(mapped[i], kdntk.effective_logits(z_t, y, float(rhos[i]), float(Ts[i])),
                                   rtol=1e-14)
    f = lambda r, T: jnp.sum(kdntk.effective_logits(z_t, y, r, T))  # noqa: E731
    g_rho, g_T = jax.jit(jax.grad(f, argnums=(0, 1)))(0.3, 4.0)
    h = 1e-6
    np.testing.assert_allclose(g_rho, (f(0.3 + h, 4.0) - f(0.3 - h, 4.0)) / (2 * h), rtol=1e-6)
    np.testing.assert_allclose(g_T, (f(0.3, 4.0 + h) - f(0.3, 4.0 - h)) / (2 * h), rtol=1e-6)


@pytest.mark.parametrize(
    "z_t,y,rho,T",
    [(-2.0, 1.0, 0.3, 4.0), (1.5, 1.0, 0.7, 0.5), (0.3, 0.2, 0.5, 2.0), (-4.0, 0.9, 0.05, 10.0),
     (20.0, 0.0, 0.6, 3.0), (-0.7, 0.6, 0.9, 0.3)],
)
def test_effective_logits_implicit_derivatives_match_central_differences(z_t, y, rho, T):
    args = np.array([z_t, y, rho, T])
    names = ("z_t", "y_g", "rho", "T")
    g = np.asarray(jax.grad(lambda a: kdntk.effective_logits(*a))(jnp.asarray(args)))
    for i, name in enumerate(names):
        if name == "y_g" and y in (0.0, 1.0):
            continue  # the label is a boundary value; its derivative is one-sided
        h = 1e-6 * max(1.0, abs(args[i]))
        up, dn = args.copy(), args.copy()
        up[i] += h
        dn[i] -= h
        fd = (float(kdntk.effective_logits(*up)) - float(kdntk.effective_logits(*dn))) / (2 * h)
        assert abs(g[i] - fd) <= 1e-6 * max(1.0, abs(fd)), (name, g[i], fd)


@pytest.mark.parametrize("y", [0.0, 1.0, 0.3])
@pytest.mark.parametrize("T", [0.5, 1.0, 2.0, 5.0])
def test_correction_logits_match_rho_derivative_and_finite_difference(y, T):
    # Thm 2: delta z_h = d z_eff / d(1 - rho) at rho = 1.
    z_t = jnp.array([-3.0, -0.5, 0.0, 1.2, 3.0])
    corr = np.asarray(kdntk.correction_logits(z_t, y, T))
    d_rho = np.asarray(jax.vmap(jax.grad(lambda z, r: kdntk.effective_logits(z, y, r, T), argnums=1),
                                in_axes=(0, None))(z_t, 1.0))
    np.testing.assert_allclose(corr, -d_rho, rtol=1e-12, atol=1e-12)
    h = 1e-7
    fd = (np.asarray(kdntk.effective_logits(z_t, y, 1.0 - h, T)) - np.asarray(z_t)) / h
    np.testing.assert_allclose(corr, fd, rtol=1e-4, atol=1e-6)
