"""Multi-class effective logits (the root of the softmax distillation gradient) against
independent oracles: the binary effective logits (C = 2), Newton's method at 50 digits in mpmath
on the log-form class equations, scipy.optimize.minimize of the convex per-sample loss, the
T = 1 closed form, a gradient-flow run in logit space (scipy's solve_ivp) for the class mean,
and central finite differences for the implicit derivatives."""

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
import scipy.integrate
import scipy.optimize

import kdntk

CLASSES = (2, 3, 5, 10)
TEMPERATURES = (0.05, 0.3, 1.0, 4.0, 100.0)
RATIOS = (1e-3, 0.2, 0.7, 0.999)
LABELS = ("one-hot", "soft", "soft with zeros")
GRID_N = len(TEMPERATURES) * len(RATIOS) * 2 * len(LABELS)   # samples per C in _grid: 120


def _effective(z_t, y, rho, T, z0=None):
    return kdntk.softmax_effective_logits(z_t, y, soft_ratio=rho, temperature=T, z0=z0)


def _effective_in_grid_rows(z_t, y, rho, T):
    """_effective of float64 z_t, y (..., C) and rho, T (...) evaluated GRID_N samples at a time
    (the last batch padded with copies of its last sample): the oracle grid's compiled program
    for every sample shape, instead of one program per shape."""
    z_t = np.asarray(z_t, float)
    batch = z_t.shape[:-1]
    rows = [np.broadcast_to(a, batch + z_t.shape[-1:]).reshape(-1, z_t.shape[-1]) for a in (z_t, y)]
    rows += [np.broadcast_to(a, batch).reshape(-1) for a in (rho, T)]
    out = []
    for start in range(0, len(rows[0]), GRID_N):
        part = [a[start:start + GRID_N] for a in rows]
        pad = GRID_N - len(part[0])
        z = np.asarray(_effective(*(np.concatenate([a, np.repeat(a[-1:], pad, 0)]) for a in part)))
        out.append(z[:GRID_N - pad])
    return np.concatenate(out).reshape(z_t.shape)


def _mp_solve(J, F):
    """x with J x = F by Gaussian elimination with partial pivoting on lists of mpf (mpmath's
    lu_solve does the same arithmetic through its matrix class, several times slower)."""
    n = len(F)
    A = [row[:] + [f] for row, f in zip(J, F)]
    for k in range(n):
        p = max(range(k, n), key=lambda i: abs(A[i][k]))
        A[k], A[p] = A[p], A[k]
        for i in range(k + 1, n):
            m = A[i][k] / A[k][k]
            if m:
                A[i][k:] = [a - m * b for a, b in zip(A[i][k:], A[k][k:])]
    x = [mpmath.mpf(0)] * n
    for k in reversed(range(n)):
        x[k] = (A[k][n] - sum(A[k][j] * x[j] for j in range(k + 1, n))) / A[k][k]
    return x


def mp_effective(z_t, y, rho, T, start, dps=50):
    """The root by Newton's method at ``dps`` digits on the class equations in log form,

        log(rho/T softmax(z/T)_c + (1 - rho) softmax(z)_c) = log(rho/T softmax(z_t/T)_c + (1 - rho) y_c),

    for every class but the one with the largest right-hand side (whose equation is implied by
    the others and is flat where it dominates), plus mean(z) = 0. Newton converges to the unique
    root from any nearby ``start`` (a C x C linear solve per step in mpmath); it shares nothing
    with kdntk's reduction to one scalar equation."""
    with mpmath.workdps(dps):
        C = len(z_t)
        z_t, y = [mpmath.mpf(float(v)) for v in z_t], [mpmath.mpf(float(v)) for v in y]
        rho, T = mpmath.mpf(float(rho)), mpmath.mpf(float(T))
        alpha, beta = rho / T, 1 - rho

        def softmax(x):
            top = max(x)
            e = [mpmath.exp(v - top) for v in x]
            return [v / sum(e) for v in e]

        p = softmax([v / T for v in z_t])
        log_m = [mpmath.log(alpha * p[c] + beta * y[c]) for c in range(C)]
        rows = [c for c in range(C) if c != max(range(C), key=lambda c: log_m[c])]
        z = [mpmath.mpf(float(v)) for v in start]
        for _ in range(100):
            a, s = softmax([v / T for v in z]), softmax(z)
            tot = [alpha * a[c] + beta * s[c] for c in range(C)]
            F = [mpmath.log(tot[c]) - log_m[c] for c in rows] + [sum(z) / C]
            # J[c, j] = (alpha / T a_c (delta_cj - a_j) + beta s_c (delta_cj - s_j)) / tot_c
            J = []
            for c in rows:
                u, v = alpha * a[c] / T / tot[c], beta * s[c] / tot[c]
                J.append([(u + v if c == j else 0) - u * a[j] - v * s[j] for j in range(C)])
            J.append([mpmath.mpf(1) / C] * C)
            step = _mp_solve(J, F)
            z = [z[j] - step[j] for j in range(C)]
            if max(abs(v) for v in step) <= mpmath.mpf(10) ** (5 - dps) * max(1, max(abs(v) for v in z)):
                return np.array([float(v) for v in z])
    raise RuntimeError("mpmath Newton did not converge")


def _grid(C, seed):
    """Every (T, rho, scale, label) combination for C classes: z_t (n, C), y (n, C), rho, T (n,).
    Scales: moderate z_t ~ 3 N(0, 1), and saturated max |z_t / T| = 1000."""
    rng = np.random.default_rng(seed)
    z_t, y, rho, T = [], [], [], []
    for t in TEMPERATURES:
        for r in RATIOS:
            for saturated in (False, True):
                for label in LABELS:
                    u = rng.normal(size=C)
                    z_t.append(1000.0 * t * u / np.abs(u).max() if saturated else 3.0 * u)
                    if label == "one-hot":
                        v = np.eye(C)[rng.integers(C)]
                    else:
                        v = rng.dirichlet(np.ones(C))
                        if label == "soft with zeros":
                            v[rng.permutation(C)[: C // 2]] = 0.0
                            v /= v.sum()
                    y.append(v)
                    rho.append(r)
                    T.append(t)
    return np.array(z_t), np.array(y), np.array(rho), np.array(T)


@pytest.fixture(scope="module")
def oracle_grid():
    """The grid of every C, kdntk's float64 roots (one call per C) and the mpmath roots."""
    out = {}
    for C in CLASSES:
        args = _grid(C, C)
        z = np.asarray(_effective(*args))
        start = z + 1e-3 * (-1.0) ** np.arange(C)     # Newton starts off kdntk's answer
        ref = np.array([mp_effective(*a, s) for *a, s in zip(*args, start)])
        out[C] = (args, z, ref)
    return out


def _rel_error(z, ref):
    return np.abs(z - ref).max(-1) / np.maximum(1.0, np.abs(ref).max(-1))


def test_softmax_effective_logits_match_mpmath_newton_float64_including_saturation(oracle_grid):
    for C, (args, z, ref) in oracle_grid.items():
        err = _rel_error(z, ref)
        assert np.all(np.isfinite(z))
        worst = err.argmax()
        assert err.max() <= 1e-12, (C, err.max(), [a[worst] for a in args])


@pytest.mark.parametrize("C", [3, 10])
def test_softmax_effective_logits_match_mpmath_newton_float32(oracle_grid, C):
    args, _, _ = oracle_grid[C]
    args32 = [a.astype(np.float32) for a in args]
    z = np.asarray(_effective(*args32))
    assert z.dtype == np.float32 and np.all(np.isfinite(z))
    # the oracle at the float32-rounded arguments (the same numbers in float64)
    start = z.astype(np.float64) + 1e-3 * (-1.0) ** np.arange(C)
    ref = np.array([mp_effective(*a, s, dps=30) for *a, s in zip(*(a.astype(np.float64) for a in args32), start)])
    err = _rel_error(z, ref)
    assert err.max() <= 1e-4, (C, err.max(), [a[err.argmax()] for a in args32])


def _objective(z, z_t, y, rho, T):
    """The per-sample loss plus mean(z)^2 / 2 (pins the class mean at 0 without moving the root),
    its gradient and Hessian, in numpy."""
    def softmax(x):
        e = np.exp(x - x.max())
        return e / e.sum()
    def log_softmax(x):
        return x - x.max() - np.log(np.sum(np.exp(x - x.max())))
    C = len(z)
    p, a, s = softmax(z_t / T), softmax(z / T), softmax(z)
    f = -rho * p @ log_softmax(z / T) - (1 - rho) * y @ log_softmax(z) + z.mean() ** 2 / 2
    g = rho / T * (a - p) + (1 - rho) * (s - y) + z.mean() / C
    H = (rho / T ** 2 * (np.diag(a) - np.outer(a, a)) + (1 - rho) * (np.diag(s) - np.outer(s, s))
         + np.full((C, C), 1.0 / C ** 2))
    return f, g, H


def test_softmax_effective_logits_match_scipy_minimization_of_the_convex_loss(oracle_grid):
    """scipy.optimize.minimize (trust-exact, float64) from the centred teacher logits, on the
    grid's moderate points (|z_t / T| <= 100) where the loss is curved enough at its minimum for
    a float64 minimizer to pin it (smallest Hessian eigenvalue on the sum-zero subspace >= 1e-3;
    flatter minima, e.g. hard labels at small rho, are left to the mpmath oracle above). The
    minimizer itself stops at ~1e-7 relative (trust-exact then reports a failed model prediction); three
    plain Newton steps in numpy polish its answer to float64 accuracy."""
    checked = 0
    for C, (args, z, _) in oracle_grid.items():
        for i, (z_t, y, rho, T) in enumerate(zip(*args)):
            if np.abs(z_t / T).max() > 100:
                continue
            hess = _objective(z[i], z_t, y, rho, T)[2] - np.full((C, C), 1.0 / C ** 2)
            if np.linalg.eigvalsh(hess)[1] < 1e-3:        # [0] is the all-ones direction
                continue
            res = scipy.optimize.minimize(lambda v: _objective(v, z_t, y, rho, T)[0], z_t - z_t.mean(),
                                          jac=lambda v: _objective(v, z_t, y, rho, T)[1],
                                          hess=lambda v: _objective(v, z_t, y, rho, T)[2],
                                          method="trust-exact", options={"gtol": 1e-12})
            x = res.x
            for _ in range(3):                            # polished by plain Newton steps in numpy
                _, g, h = _objective(x, z_t, y, rho, T)
                x = x - np.linalg.solve(h, g)
            assert _rel_error(z[i], res.x) <= 1e-6, (C, z_t, y, rho, T, z[i], res.x)
            assert _rel_error(z[i], x) <= 1e-10, (C, z_t, y, rho, T, z[i], x)
            checked += 1
    assert checked >= 100, checked


def test_two_classes_reproduce_the_binary_effective_logits():
    """C = 2: z_eff[0] - z_eff[1] is kdntk.effective_logits(z_t[0] - z_t[1], y[0]), over rho in
    [0, 1] (with the divergent rho = 0), T in [0.05, 100], hard and soft labels, up to saturation."""
    rng = np.random.default_rng(7)
    d = np.concatenate([rng.uniform(-10, 10, 30), [0.0, -50.0, 50.0]])
    y_g = np.array([0.0, 1.0, 0.3, 0.9])
    rho = np.array([0.0, 1e-3, 0.2, 0.5, 0.8, 0.999, 1.0])
    T = np.array([0.05, 0.5, 1.0, 3.0, 100.0])
    d, y_g, rho, T = (a.ravel() for a in np.meshgrid(d, y_g, rho, T, indexing="ij"))
    shift = rng.normal(size=d.size)               # z_t = (d + shift, shift): same difference
    z = _effective_in_grid_rows(np.stack([d + shift, shift], -1), np.stack([y_g, 1 - y_g], -1), rho, T)
    binary = np.asarray(kdntk.effective_logits(d, y_g, soft_ratio=rho, temperature=T))
    with np.errstate(invalid="ignore"):
        diff = z[:, 0] - z[:, 1]
    finite = np.isfinite(binary)
    np.testing.assert_allclose(diff[finite], binary[finite], rtol=1e-10, atol=1e-10)
    assert np.all(z[~finite, 0] == binary[~finite]) and np.all(z[~finite, 1] == -binary[~finite])


def test_softmax_effective_logits_closed_form_at_unit_temperature():
    """At T = 1 the root equation is linear in softmax(z): softmax(z_eff) = rho softmax(z_t) + (1 - rho) y.
    (120 samples of 5 classes: the shapes, so the compiled program, of the oracle grid's C = 5.)"""
    rng = np.random.default_rng(8)
    z_t, y, rho = rng.normal(0, 4, (GRID_N, 5)), rng.dirichlet(np.ones(5), GRID_N), rng.uniform(0, 1, GRID_N)
    y[::3] = np.eye(5)[rng.integers(0, 5, GRID_N // 3)]
    z = np.asarray(_effective(z_t, y, rho, np.ones(GRID_N)))
    e = np.exp(z_t - z_t.max(-1, keepdims=True))
    m = rho[:, None] * e / e.sum(-1, keepdims=True) + (1 - rho[:, None]) * y
    ref = np.log(m) - np.log(m).mean(-1, keepdims=True)
    np.testing.assert_allclose(z, ref, rtol=1e-12, atol=1e-12)


def test_pure_soft_is_the_centred_teacher_and_pure_hard_diverges_by_label_never_nan():
    z_t = np.array([[3.0, -1.0, 0.5], [1000.0, -1000.0, 0.0], [2.0, 2.0, 2.0]])
    z0 = np.array([[1.0, 2.0, 6.0], [0.0, 0.0, 0.0], [-3.0, 0.0, 0.0]])
    y = np.array([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5], [0.5, 0.5, 0.0]])
    z = np.asarray(_effective(z_t, y, 1.0, 0.3, z0))
    np.testing.assert_allclose(z, z_t - z_t.mean(-1, keepdims=True) + z0.mean(-1, keepdims=True),
                               rtol=0, atol=4 * np.spacing(np.abs(z).max()))
    z = np.asarray(_effective(z_t, y, 0.0, 0.3, z0))
    assert not np.any(np.isnan(z))
    np.testing.assert_array_equal(z[0], [-np.inf, np.inf, -np.inf])
    np.testing.assert_allclose(z[1], np.log(y[1]) - np.log(y[1]).mean(), rtol=1e-14)
    np.testing.assert_array_equal(z[2], [np.inf, np.inf, -np.inf])


def test_integer_labels_mean_their_one_hot_vectors_and_arguments_broadcast():
    rng = np.random.default_rng(9)
    z_t, labels = rng.normal(0, 2, (6, 3)), np.array([0, 2, 1, 1, 0, 2])
    # rho, T (3, 1) against samples (6,): (3, 6, 3); the one-hot call is the jit/vmap test's eager program
    rho, T = np.array([[0.2], [0.6], [0.9]]), np.array([[2.0], [0.5], [2.0]])
    z = np.asarray(_effective(z_t, labels, rho, T))
    assert z.shape == (3, 6, 3)
    np.testing.assert_array_equal(z, np.asarray(_effective(z_t, np.eye(3)[labels], rho, T)))


def _flow_limit(z_t, y, rho, T, z0, theta):
    """Gradient flow dZ/dt = -Theta g(Z) of n samples' logits (the C-output NTK Theta (x) I_C),
    integrated by solve_ivp (Radau) until the gradient vanishes; returns (Z at the end, max |g|)."""
    n, C = z0.shape

    def grad(Z):
        def softmax(x):
            e = np.exp(x - x.max(-1, keepdims=True))
            return e / e.sum(-1, keepdims=True)
        return rho / T * (softmax(Z / T) - softmax(z_t / T)) + (1 - rho) * (softmax(Z) - y)

    sol = scipy.integrate.solve_ivp(lambda t, v: -(theta @ grad(v.reshape(n, C))).ravel(), (0.0, 4000.0),
                                    z0.ravel(), method="Radau", rtol=1e-11, atol=1e-12)
    Z = sol.y[:, -1].reshape(n, C)
    return Z, np.abs(grad(Z)).max(), sol.y.reshape(n, C, -1).mean(1)


def test_class_mean_invariance_matches_a_gradient_flow_run_in_logit_space():
    """The flow never moves the class mean of any sample (g sums to zero over classes and the
    kernel acts on samples only), so its limit is the root whose class mean is z0's: for the
    per-sample flow (Theta = I) and for a coupled positive-definite Theta. (3 x 3 with z0: the
    pure-soft test's shapes.)"""
    rng = np.random.default_rng(10)
    n, C, rho, T = 3, 3, 0.5, 2.0
    z_t, z0 = rng.normal(0, 2, (n, C)), rng.normal(1.5, 2, (n, C))
    y = np.eye(C)[[0, 2, 1]]
    y[2] = [0.4, 0.6, 0.0]
    z = np.asarray(_effective(z_t, y, rho, T, z0))
    a = rng.normal(size=(n, n))
    for theta in (np.eye(n), a @ a.T / n + 0.5 * np.eye(n)):
        Z, gmax, means = _flow_limit(z_t, y, rho, T, z0, theta)
        assert gmax < 1e-10
        np.testing.assert_allclose(means, np.broadcast_to(z0.mean(-1)[:, None], means.shape), atol=1e-9)
        np.testing.assert_allclose(z, Z, rtol=1e-7, atol=1e-7)


DERIVATIVE_POINTS = [  # (z_t, y, rho, T), C = 3
    ([1.0, -0.5, 2.0], [0.2, 0.5, 0.3], 0.3, 2.0),
    ([-2.0, 0.3, 0.1], [0.7, 0.1, 0.2], 0.8, 0.5),
    ([2.5, -1.5, 0.0], [0.05, 0.05, 0.9], 0.05, 5.0),
    ([0.5, 1.5, -2.5], [0.3, 0.3, 0.4], 0.6, 0.05),   # |z_t / T| = 50: saturated teacher
]
FD_STEP = 1e-6


def _directions():
    """Tangent directions (dz_t, dy, drho, dT): each z_t entry, y along e0 - e1 and e1 - e2 (y stays
    a probability vector), rho, T."""
    zero3 = np.zeros(3)
    dirs = [(e, zero3, 0.0, 0.0) for e in np.eye(3)]
    dirs += [(zero3, np.array(v), 0.0, 0.0) for v in ([1.0, -1.0, 0.0], [0.0, 1.0, -1.0])]
    return dirs + [(zero3, zero3, 1.0, 0.0), (zero3, zero3, 0.0, 1.0)]


def test_implicit_derivatives_match_central_differences():
    dirs = _directions()
    pts = [tuple(np.asarray(v, float) for v in p) for p in DERIVATIVE_POINTS]
    # all +-h evaluations in one call: (points, directions, 2 signs)
    shifted = [[[tuple(x + s * FD_STEP * dx for x, dx in zip(p, d)) for s in (1.0, -1.0)] for d in dirs] for p in pts]
    z_t, y, rho, T = (np.array([[[c[i] for c in pair] for pair in row] for row in shifted]) for i in range(4))
    z = _effective_in_grid_rows(z_t, y, rho, T)
    fd = (z[:, :, 0] - z[:, :, 1]) / (2 * FD_STEP)

    def f(a, b, r, t):
        return kdntk.softmax_effective_logits(a, b, soft_ratio=r, temperature=t)

    tangents = jax.jit(jax.vmap(jax.vmap(lambda p, d: jax.jvp(f, p, d)[1], (None, 0)), (0, None)))(
        tuple(jnp.asarray(np.stack([p[i] for p in pts])) for i in range(4)),
        tuple(jnp.asarray(np.stack([d[i] for d in dirs])) for i in range(4)))
    tangents = np.asarray(tangents)
    np.testing.assert_allclose(tangents, fd, rtol=1e-6, atol=1e-6 * max(1.0, np.abs(fd).max()))


def test_one_sided_rho_derivatives_at_pure_soft_and_pure_hard_match_finite_differences():
    z_t, y, T = np.array([1.0, -0.5, 2.0]), np.array([0.2, 0.5, 0.3]), 2.0
    h = 1e-7
    z = _effective_in_grid_rows(np.stack([z_t] * 4), np.stack([y] * 4), np.array([1.0, 1 - h, 0.0, h]), T)
    d = jax.jit(jax.vmap(jax.grad(lambda r, c: kdntk.softmax_effective_logits(
        z_t, y, soft_ratio=r, temperature=T)[c]), (None, 0)))
    np.testing.assert_allclose(np.asarray(d(1.0, jnp.arange(3))), (z[0] - z[1]) / h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(d(0.0, jnp.arange(3))), (z[3] - z[2]) / h, rtol=1e-5, atol=1e-6)


def test_rho_derivative_at_pure_soft_is_minus_the_binary_correction_logits_for_two_classes():
    """Ji & Zhu Thm 2: delta z_h = d z_eff / d(1 - rho) at rho = 1 (kdntk.correction_logits); with
    C = 2 and logits (z, 0) the difference of the two classes' rho-derivatives is -delta z_h."""
    d = np.array([-3.0, -0.5, 0.0, 1.2, 3.0])
    y_g, T = np.array([0.0, 1.0, 0.3, 1.0, 0.7]), np.array([0.5, 1.0, 2.0, 5.0, 1.5])
    def difference(r, a, b, t):
        z = kdntk.softmax_effective_logits(jnp.stack([a, 0.0 * a]), jnp.stack([b, 1 - b]), soft_ratio=r, temperature=t)
        return z[0] - z[1]

    grad = jax.jit(jax.vmap(jax.grad(difference), (None, 0, 0, 0)))
    np.testing.assert_allclose(-np.asarray(grad(1.0, d, y_g, T)), kdntk.correction_logits(d, y_g, temperature=T),
                               rtol=1e-12, atol=1e-12)


def test_jit_and_vmap_over_samples_ratio_and_temperature_match_eager_calls():
    rng = np.random.default_rng(11)
    z_t, y = rng.normal(0, 2, (6, 3)), rng.dirichlet(np.ones(3), 6)
    rhos, Ts = np.array([0.1, 0.5, 0.9]), np.array([0.5, 2.0, 20.0])
    eager = np.asarray(_effective(z_t, y, rhos[:, None], Ts[:, None]))        # broadcast (3, 6, 3)
    mapped = jax.jit(jax.vmap(lambda r, T: kdntk.softmax_effective_logits(z_t, y, soft_ratio=r, temperature=T)))(
        jnp.asarray(rhos), jnp.asarray(Ts))
    np.testing.assert_allclose(mapped, eager, rtol=1e-13, atol=1e-13)
    per_sample = jax.vmap(lambda a, b: kdntk.softmax_effective_logits(a, b, soft_ratio=0.5, temperature=2.0))(
        jnp.asarray(z_t), jnp.asarray(y))
    np.testing.assert_allclose(per_sample, eager[1], rtol=1e-13, atol=1e-13)


def test_root_zeroes_the_softmax_loss_gradient():
    """The root of kdntk.softmax_distillation_loss_grad (the definition) to rounding, at the
    grid's moderate points (the whole grid solved: the oracle grid's C = 10 program)."""
    args = _grid(10, 12)
    moderate = np.abs(args[0] / args[3][:, None]).max(-1) < 100
    z = _effective(*args)
    g = kdntk.softmax_distillation_loss_grad(z, args[0], args[1], soft_ratio=args[2], temperature=args[3])
    scale = args[2] / args[3] + (1 - args[2])
    assert moderate.sum() >= 50 and np.all((np.abs(np.asarray(g)).max(-1) <= 1e-13 * scale)[moderate])



@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 1e-4)])
def test_the_newton_predictor_is_only_a_start_the_safeguarded_solver_certifies(monkeypatch, dtype, tol):
    """The plain-Newton predictor on the whole system (softmax_effective._predict) only moves the
    safeguarded solver's start: with it switched off (0 steps), or replaced by a hostile one that
    hands over every class 3 off and nu at an end of its bracket, the roots are the same to the
    documented accuracy on every grid point, including saturation and rho near 0 and 1."""
    from kdntk._src import softmax_effective as se

    args = [jnp.asarray(a, dtype) for a in _grid(10, 21)]

    def both(*a):
        """Both variants in one program (one compilation): the patches apply while it is traced."""
        monkeypatch.setattr(se, "PREDICTOR_STEPS", 0)
        without = se.solve_softmax_effective(*a)
        monkeypatch.setattr(se, "_predict", lambda q, nu, *rest: (q + 3.0, rest[-3]))   # (q + 3, hi)
        return without, se.solve_softmax_effective(*a)

    with_predictor = np.asarray(_effective(*args), np.float64)   # the C = 10 grid tests' program
    for other in jax.jit(both)(*args):
        other = np.asarray(other, np.float64)
        err = np.abs(with_predictor - other).max(-1) / np.maximum(1.0, np.abs(other).max(-1))
        assert np.all(np.isfinite(other)) and err.max() <= tol

@pytest.mark.parametrize(
    "kwargs,name",
    [
        (dict(soft_ratio=-0.1), "soft_ratio"),
        (dict(soft_ratio=1.1), "soft_ratio"),
        (dict(soft_ratio=np.nan), "soft_ratio"),
        (dict(temperature=0.0), "temperature"),
        (dict(temperature=-1.0), "temperature"),
        (dict(temperature=np.inf), "temperature"),
        (dict(temperature=np.nan), "temperature"),
        (dict(y=[0.3, 0.3, 0.3]), "y"),
        (dict(y=[1.5, -0.5, 0.0]), "y"),
        (dict(y=[np.nan, 0.5, 0.5]), "y"),
        (dict(y=[0.5, 0.5]), "y"),
        (dict(y=3), "y"),
        (dict(y=[0, 1, 0]), "y"),          # integer one-hot: ambiguous with 3 labels, refused
        (dict(y=-1), "y"),
        (dict(y=[[1.0, 0.0, 0.0]] * 2, z_t=[[0.0, 1.0, 2.0]] * 3), "y"),
        (dict(z_t=[0.0, np.nan, 1.0]), "z_t"),
        (dict(z_t=[0.0, np.inf, 1.0]), "z_t"),
        (dict(z_t=1.0), "z_t"),
        (dict(z0=[0.0, 1.0]), "z0"),
        (dict(z0=[0.0, np.nan, 1.0]), "z0"),
        (dict(z_t=[[1.0, 0.0, -1.0]] * 3, y=np.eye(3), soft_ratio=[0.5, 0.5]), "soft_ratio"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(kwargs, name):
    args = dict(z_t=[1.0, 0.0, -1.0], y=[0.0, 1.0, 0.0], soft_ratio=0.5, temperature=2.0, z0=None)
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        kdntk.softmax_effective_logits(args.pop("z_t"), args.pop("y"), **args)
