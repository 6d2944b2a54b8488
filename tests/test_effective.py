"""Effective student logits z_eff (root of Ji & Zhu Eq. 3) against independent oracles:
an mpmath bisection at 300 digits, the T = 1 closed form, central finite differences."""

import logging
import math
import warnings

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest

import kdntk
from _oracles import mp_effective_logit


def _effective(z_t, y_g, soft_ratio, temperature):
    """kdntk.effective_logits with the hyperparameters passed positionally (for *args and vmap)."""
    return kdntk.effective_logits(z_t, y_g, soft_ratio=soft_ratio, temperature=temperature)


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


def _grid(z_t, ys, rhos, Ts):
    """Every (y, rho, T) combination over the z_t grid: arrays (len(ys) len(rhos) len(Ts), len(z_t))."""
    y, rho, T = (a[..., None] for a in np.meshgrid(ys, rhos, Ts, indexing="ij"))
    return tuple(np.broadcast_to(a, y.shape[:-1] + z_t.shape).reshape(-1, z_t.size) for a in (z_t, y, rho, T))


SATURATED = [(500.0, 0.0, 0.5, 1.0), (-500.0, 1.0, 0.5, 1.0), (1000.0, 0.0, 0.9, 2.0),
             (-1000.0, 1.0, 0.1, 2.0), (500.0, 1.0, 0.3, 1.0), (50.0, 0.0, 0.5, 0.1)]
# Points of the implicit-derivative check: hard and soft labels, both signs, T from 0.3 to 10.
DERIVATIVE_POINTS = np.array([(-2.0, 1.0, 0.3, 4.0), (1.5, 1.0, 0.7, 0.5), (0.3, 0.2, 0.5, 2.0),
                              (-4.0, 0.9, 0.05, 10.0), (20.0, 0.0, 0.6, 3.0), (-0.7, 0.6, 0.9, 0.3)])
FD_STEP = 1e-6
# jit/vmap/grad check: z_t, y_g, and (rho, T) rows (the first is the jitted and grad point).
TRACED_POINTS = np.array([[-2.0, 0.5, 3.0], [1.0, 0.0, 1.0]])
TRACED_RATIOS = np.array([[0.3, 4.0], [0.1, 0.5], [0.9, 20.0]])
CORRECTION_STEP = 1e-7
SMALL_TEMPERATURE = [(-1.0, 0.59, 0.008, 0.04), (-1.9, 0.59, 0.007, 0.038),
                     (-2.8, 0.53, 0.0018, 0.0175), (0.07, 0.485, 1 - 1e-12, 0.00145)]


def _correction_points():
    """Thm 2 check points: z_t x y in {0, 1, 0.3} x T in {0.5, 1, 2, 5} at rho = 1, flattened."""
    z_t, y, rho, T = _grid(np.array([-3.0, -0.5, 0.0, 1.2, 3.0]), [0.0, 1.0, 0.3], [1.0], [0.5, 1.0, 2.0, 5.0])
    return z_t.ravel(), y.ravel(), T.ravel()


def _fd_points():
    """Central-difference points of DERIVATIVE_POINTS: (6, 4 arguments, 2 signs, 4) and steps (6, 4)."""
    h = FD_STEP * np.maximum(1.0, np.abs(DERIVATIVE_POINTS))
    shift = np.eye(4)[None, :, None, :] * np.array([1.0, -1.0])[:, None] * h[:, :, None, None]
    hard = np.isin(DERIVATIVE_POINTS[:, 1], (0.0, 1.0))
    shift[hard, 1] = 0.0  # a hard label is a boundary value: not perturbed (and not checked)
    return DERIVATIVE_POINTS[:, None, None, :] + shift, h


def _traced_cases():
    """TRACED_RATIOS rows, then rho +- FD_STEP and T +- FD_STEP at (0.3, 4): arrays (7, 3)."""
    steps = FD_STEP * np.array([[1, 0], [-1, 0], [0, 1], [0, -1]])
    rho_T = np.concatenate([TRACED_RATIOS, TRACED_RATIOS[0] + steps])
    shape = (len(rho_T), TRACED_POINTS.shape[1])
    return (*(np.broadcast_to(a, shape) for a in TRACED_POINTS),
            *(np.broadcast_to(a[:, None], shape) for a in rho_T.T))


def _cases():
    """Every float64 evaluation of this module, by name: tuples (z_t, y_g, rho, T) of equal shape."""
    a, b = _random_points(0, 60), _corner_points()
    z_c, y_c, T_c = _correction_points()
    fd, _ = _fd_points()
    rng = np.random.default_rng(3)  # T = 1 closed form: y_g a third hard
    z_1, rho_1, y_1 = rng.uniform(-20, 20, 40), rng.uniform(0.01, 1, 40), rng.uniform(0, 1, 40)
    y_1[::3] = np.round(y_1[::3])
    soft = np.array([-1e3, -37.25, -1e-300, 0.0, 3.3, 999.0])
    return {
        "oracle": tuple(np.concatenate([u, v]) for u, v in zip(a, b)),
        "saturated": tuple(np.array(c) for c in zip(*SATURATED)),
        "monotone": _grid(np.linspace(-1000.0, 1000.0, 2001), [0.0, 1.0], [1e-3, 0.1, 0.5, 0.9],
                          [0.1, 1.0, 5.0, 100.0]),
        "pure_soft": _grid(soft, [0.0, 1.0, 0.42], [1.0], [0.1, 1.0, 7.0]),
        "amplified": _grid(np.linspace(-60.0, 60.0, 1201), [0.0], [1e-3, 0.2, 0.5, 0.8, 1.0],
                           [0.1, 0.5, 1.0, 3.0, 20.0, 100.0]),
        "unit_temperature": (z_1, y_1, rho_1, np.ones(40)),
        "hard_dominates": _grid(np.linspace(-1000.0, 1000.0, 2001), [1.0],
                                [1e-3, 0.1, 0.3, 0.5, 0.99e-3, 0.099, 0.297, 0.495], [1.0]),
        "hard_counterexample": tuple(np.array([v]) for v in (-1.0, 1.0, 0.5, 0.1)),
        "pure_hard": _grid(np.array([-5.0, 0.0, 5.0]), [1.0, 0.0], [0.0], [0.1, 1.0, 10.0]),
        "pure_hard_soft_label": _grid(np.array([-5.0, 0.0, 5.0]), [0.25], [0.0], [2.0]),
        "fd": tuple(fd[..., i] for i in range(4)),
        "correction_fd": (z_c, y_c, np.full(z_c.shape, 1.0 - CORRECTION_STEP), T_c),
        "traced": _traced_cases(),
        # T = 1 roots within 2^-10 of 0 (y_g = 1 or 0, rho = 1/2, teacher far on the other side):
        # z_eff = +-logit(1/2 + sigma(-|z_t|) / 2) ~ +-2 e^-|z_t|, down to 1e-130.
        "tiny_unit_temperature": (np.array([-8.0, -30.0, -60.0, -150.0, 30.0, 300.0]),
                                  np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.0]), np.full(6, 0.5), np.ones(6)),
        # Small T, found by review: Halley cycled between two points inside the bracket (first
        # three) or crawled by ~2T per step past the 40-step cap (last) before the rtsafe rule.
        "small_temperature": tuple(np.array(c) for c in zip(*SMALL_TEMPERATURE)),
    }


@pytest.fixture(scope="module")
def f64():
    """All float64 cases evaluated by ONE effective_logits call (one compilation), split by name
    into (args, z_eff) with the case's shape. The Fig. 1 grid gets labels 1{z_t > 0} here."""
    cases = _cases()
    z_t = cases["amplified"][0]
    cases["amplified"] = (z_t, (z_t > 0).astype(float), *cases["amplified"][2:])
    flat = [np.concatenate([np.ravel(a) for a in args]) for args in zip(*cases.values())]
    got = np.asarray(_effective(*flat))
    assert got.dtype == np.float64
    out, start = {}, 0
    for name, args in cases.items():
        stop = start + args[0].size
        out[name] = (args, got[start:stop].reshape(args[0].shape))
        start = stop
    return out


@pytest.fixture(scope="module")
def oracle_reference(f64):
    """mpmath 300-digit bisection values of the "oracle" and "saturated" cases (computed once)."""
    return {name: _reference(*f64[name][0]) for name in ("oracle", "saturated")}


def test_effective_logits_matches_mpmath_bisection_float64(f64, oracle_reference):
    args, got = f64["oracle"]
    ref = oracle_reference["oracle"]
    err = np.abs(got - ref) / np.maximum(1.0, np.abs(ref))
    assert np.all(np.isfinite(got))
    assert err.max() <= 1e-12, (err.max(), [a[err.argmax()] for a in args])


def test_effective_logits_matches_mpmath_bisection_float32():
    # The float32 inputs are exactly representable in float64, so the oracle sees the same point.
    args = tuple(np.concatenate([u, v]).astype(np.float32) for u, v in zip(_random_points(1, 60), _corner_points()))
    ref = _reference(*(a.astype(np.float64) for a in args))
    got = np.asarray(_effective(*(jnp.asarray(a) for a in args)))
    assert got.dtype == np.float32
    err = np.abs(got.astype(np.float64) - ref) / np.maximum(1.0, np.abs(ref))
    assert err.max() <= 1e-4, (err.max(), [a[err.argmax()] for a in args])


def test_effective_logits_match_mpmath_at_small_temperature_where_halley_cycled(f64):
    args, got = f64["small_temperature"]
    ref = _reference(*args)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)


def test_effective_logits_matches_mpmath_where_sigmoids_saturate(f64, oracle_reference):
    # z_t / T = 500 and 1000: 1 - sigma(500) ~ 1e-217, so a naive float64 difference is exactly 0.
    np.testing.assert_allclose(f64["saturated"][1], oracle_reference["saturated"], rtol=1e-9, atol=1e-9)


def test_effective_logits_finite_and_monotone_in_teacher_logit_up_to_1e3(f64):
    """Eq. 3's root is strictly increasing in z_t. Where it saturates on a plateau (its true
    increase per step is below one ulp) the float64 root carries rounding noise, so
    monotonicity is asserted up to 16 ulps of max(1, |z_eff|), the unit of the accuracy
    contract (near z_eff = 0 the noise is absolute, ~1e-16); any real defect (a wrong branch, a
    bracket jump) would be many orders of magnitude larger. 2 labels x 4 ratios x 4
    temperatures over z_t in [-1000, 1000]."""
    (_, y, rho, T), z = f64["monotone"]
    for i in range(z.shape[0]):
        assert np.all(np.isfinite(z[i])), (y[i, 0], rho[i, 0], T[i, 0])
        scale = np.maximum(1.0, np.maximum(np.abs(z[i, 1:]), np.abs(z[i, :-1])))
        slack = 16 * np.spacing(scale)
        assert np.all(np.diff(z[i]) >= -slack), (y[i, 0], rho[i, 0], T[i, 0], np.diff(z[i]).min())


def test_effective_logits_pure_soft_returns_teacher_logit_exactly(f64):
    (z_t, *_), z = f64["pure_soft"]
    np.testing.assert_array_equal(z, z_t)


def test_effective_logits_correct_teacher_is_amplified_paper_fig1(f64):
    # Paper Sec. 2: for a correct teacher (y_g = 1{z_t > 0}) |z_eff| >= |z_t| at any T.
    (z_t, _, rho, T), z = f64["amplified"]
    for i in range(z.shape[0]):
        assert np.all(np.abs(z[i]) >= np.abs(z_t[i])), (rho[i, 0], T[i, 0])


def _unit_temperature_closed_form(z_t, y, rho, dps):
    """logit(rho sigma(z_t) + (1 - rho) y_g): Eq. 3's root at T = 1, in mpmath at ``dps`` digits."""
    with mpmath.workdps(dps):
        ref = []
        for a, r, g in zip(z_t, rho, y):
            p = r / (1 + mpmath.exp(-mpmath.mpf(a))) + (1 - r) * mpmath.mpf(g)
            ref.append(float(mpmath.log(p / (1 - p))))
    return np.array(ref)


def test_effective_logits_matches_closed_form_at_unit_temperature(f64):
    # At T = 1, Eq. 3 is linear in sigma(z): sigma(z_eff) = rho sigma(z_t) + (1 - rho) y_g.
    (z_t, y, rho, _), got = f64["unit_temperature"]
    np.testing.assert_allclose(got, _unit_temperature_closed_form(z_t, y, rho, 60), rtol=1e-9, atol=1e-9)


def test_effective_logits_are_accurate_to_absolute_rounding_near_zero(f64):
    """Roots within 2^-10 of 0 (T = 1 closed form in mpmath at 200 digits, down to 1e-130):
    the contract |error| <= c eps max(1, |z_eff|) is absolute there. Neither iteration keeps
    digits relative to such a root: sigma(w) - sigma(-w) near 1/2 and log sigma(w) near
    -log 2 both carry an absolute rounding of ~eps (measured: the log-space solver returned
    1.87184e-13 for 1.87152e-13 as the direct one does)."""
    (z_t, y, rho, _), got = f64["tiny_unit_temperature"]
    ref = _unit_temperature_closed_form(z_t, y, rho, 200)
    assert np.all(np.abs(ref) < 2.0 ** -10) and np.all(np.abs(ref) > 1e-140)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=4 * np.finfo(np.float64).eps)


def test_effective_logits_sign_correct_at_unit_temperature_when_hard_ratio_dominates(f64):
    # From the T = 1 closed form: y_g = 1 and rho <= 1/2 give sigma(z_eff) >= 1/2 for any z_t,
    # (rows 0-3: rho in {1e-3, 0.1, 0.3, 0.5}), strictly for rho < 1/2 (rows 4-7: 0.99 rho).
    # At rho = 1/2 and z_t << 0 the root is ~2 e^z_t: below the absolute rounding of the
    # contract, so it may come out as -1e-16 (see the near-zero test above).
    z = f64["hard_dominates"][1]
    assert np.all(z[:4] >= -4 * np.finfo(np.float64).eps)
    assert np.all(z[4:] > 0)
    # ... but not at other temperatures: a counterexample at T = 0.1 (checked with mpmath).
    ref = mp_effective_logit(-1.0, 1.0, 0.5, 0.1)
    assert ref < 0
    got = float(f64["hard_counterexample"][1][0])
    assert got < 0 and abs(got - ref) <= 1e-9 * max(1, abs(ref))


def test_effective_logits_pure_hard_labels_diverge_by_label_never_nan(f64):
    (_, y, _, _), z = f64["pure_hard"]
    assert np.all(z[y == 1.0] == np.inf) and np.all(z[y == 0.0] == -np.inf)
    assert z.size == 18
    # soft labels at rho = 0: logit(y_g)
    np.testing.assert_allclose(f64["pure_hard_soft_label"][1], math.log(1 / 3), rtol=1e-14)


def test_effective_logits_under_jit_vmap_and_grad_with_traced_ratio_and_temperature(f64):
    # Eager references (rows of the "traced" case): (rho, T) = TRACED_RATIOS, then +-h in rho, T.
    z_t, y = jnp.asarray(TRACED_POINTS[0]), jnp.asarray(TRACED_POINTS[1])
    eager = f64["traced"][1]
    rhos, Ts = (jnp.asarray(a) for a in TRACED_RATIOS.T)
    mapped = jax.vmap(lambda r, T: kdntk.effective_logits(z_t, y, soft_ratio=r, temperature=T))(rhos, Ts)
    np.testing.assert_allclose(mapped, eager[:3], rtol=1e-14)

    def f(r, T):
        z = kdntk.effective_logits(z_t, y, soft_ratio=r, temperature=T)
        return jnp.sum(z), z

    # one jitted program: the logits themselves (aux) and their gradient in rho and T
    (g_rho, g_T), jitted = jax.jit(jax.grad(f, argnums=(0, 1), has_aux=True))(0.3, 4.0)
    np.testing.assert_allclose(jitted, eager[0], rtol=1e-14)
    sums = eager[3:].sum(-1)
    np.testing.assert_allclose(g_rho, (sums[0] - sums[1]) / (2 * FD_STEP), rtol=1e-6)
    np.testing.assert_allclose(g_T, (sums[2] - sums[3]) / (2 * FD_STEP), rtol=1e-6)


def test_concrete_arguments_of_any_shape_run_one_program_with_the_inlined_solvers_numbers(caplog):
    """Concrete arguments go through fixed blocks of one compiled program
    (``solve_effective_blocks``: eager calls, and the sweeps' binary effective logits); inlined
    into a program (a user's jit; the multiclass trials) the solver must give the same numbers
    bit for bit: every case of this module (both solvers, saturation, hard labels, rho in {0, 1}),
    in float64 and float32, cut at and around the block edge (the last block padded). A call of
    a new shape compiles nothing."""
    from kdntk._src.effective import BLOCK_SIZE, solve_effective_blocks

    flat64 = [np.concatenate([np.ravel(a) for a in args]) for args in zip(*_cases().values())]
    for flat in (flat64, [a.astype(np.float32) for a in flat64]):
        inlined = np.asarray(jax.jit(_effective)(*flat))
        assert inlined.dtype == flat[0].dtype and inlined.size > 2 * BLOCK_SIZE
        for m in (1, BLOCK_SIZE - 1, BLOCK_SIZE, BLOCK_SIZE + 1, inlined.size):
            got = solve_effective_blocks(*(a[:m] for a in flat))
            assert got.dtype == flat[0].dtype
            np.testing.assert_array_equal(got, inlined[:m])
    small = [a[:777] for a in flat64]   # the inlined solver's unblocked path (<= BLOCK_SIZE elements)
    np.testing.assert_array_equal(solve_effective_blocks(*small), np.asarray(jax.jit(_effective)(*small)))
    args = (np.linspace(-3, 3, 6)[:, None], np.array([0.0, 1.0]), 0.5, 2.0)   # broadcast (6, 2)
    flat = [np.ravel(a) for a in np.broadcast_arrays(*args)]
    np.testing.assert_array_equal(solve_effective_blocks(*args), solve_effective_blocks(*flat).reshape(6, 2))
    assert solve_effective_blocks(np.ones((2, 0)), 1.0, 0.5, 1.0).shape == (2, 0)
    with caplog.at_level(logging.WARNING), jax.log_compiles():
        solve_effective_blocks(*(a[:555] for a in flat64))
    assert not [r for r in caplog.records if r.getMessage().startswith("Compiling")]


def test_concrete_arguments_closed_over_in_a_trace_are_solved_as_constants():
    """Concrete arguments inside a user's jit, scan or eval_shape (closed over, not traced): the
    blocks run at once and the program holds the result as a constant."""
    z_t, y = np.linspace(-4.0, 4.0, 9), np.tile([0.0, 1.0, 0.3], 3)
    eager = np.asarray(_effective(z_t, y, 0.4, 2.0))
    np.testing.assert_array_equal(jax.jit(lambda w: w * _effective(z_t, y, 0.4, 2.0))(2.0), 2 * eager)
    carry, _ = jax.lax.scan(lambda c, _: (c + _effective(z_t, y, 0.4, 2.0), None), np.zeros(9), None, length=2)
    np.testing.assert_array_equal(carry, 2 * eager)
    assert jax.eval_shape(lambda w: w * _effective(z_t, y, 0.4, 2.0), 1.0).shape == (9,)
    with warnings.catch_warnings():   # Python lists: no deprecation warning on their shapes
        warnings.simplefilter("error")
        np.testing.assert_array_equal(_effective(list(z_t), list(y), 0.4, 2.0), eager)


@pytest.fixture(scope="module")
def implicit_gradients():
    """jax.grad of z_eff in all four arguments at DERIVATIVE_POINTS and at the Thm 2 points
    (rho = 1), from ONE vmapped program: (6, 4) and (60, 4)."""
    z_c, y_c, T_c = _correction_points()
    pts = np.concatenate([DERIVATIVE_POINTS, np.stack([z_c, y_c, np.ones_like(z_c), T_c], 1)])
    g = np.asarray(jax.jit(jax.vmap(jax.grad(lambda a: _effective(*a))))(jnp.asarray(pts)))
    return g[: len(DERIVATIVE_POINTS)], g[len(DERIVATIVE_POINTS):]


def test_effective_logits_implicit_derivatives_match_central_differences(f64, implicit_gradients):
    g = implicit_gradients[0]
    z = f64["fd"][1]  # (6, 4, 2): point, argument, +-h
    _, h = _fd_points()
    fd = (z[..., 0] - z[..., 1]) / (2 * h)
    names = ("z_t", "y_g", "rho", "T")
    for p, point in enumerate(DERIVATIVE_POINTS):
        for i, name in enumerate(names):
            if name == "y_g" and point[1] in (0.0, 1.0):
                continue  # the label is a boundary value; its derivative is one-sided
            assert abs(g[p, i] - fd[p, i]) <= 1e-6 * max(1.0, abs(fd[p, i])), (point, name, g[p, i], fd[p, i])


def test_correction_logits_match_rho_derivative_and_finite_difference(f64, implicit_gradients):
    # Thm 2: delta z_h = d z_eff / d(1 - rho) at rho = 1; y_g in {0, 1, 0.3}, T in {0.5, 1, 2, 5}.
    z_t, y, T = _correction_points()
    corr = np.asarray(kdntk.correction_logits(z_t, y, temperature=T))
    np.testing.assert_allclose(corr, -implicit_gradients[1][:, 2], rtol=1e-12, atol=1e-12)
    fd = (f64["correction_fd"][1] - z_t) / CORRECTION_STEP
    np.testing.assert_allclose(corr, fd, rtol=1e-4, atol=1e-6)


def test_oracle_points_exercise_the_direct_and_the_log_space_solver(f64):
    """The mpmath comparisons above check both iterations of kdntk/effective.py: Halley on P - Q
    (where it is exact) and Newton on log P - log Q (saturated sigmoids, extreme rho or T)."""
    from kdntk._src.effective import _canonical, _solve_direct

    @jax.jit   # one program, not an eager dispatch (and compilation) per operation
    def flags(z_t, y, rho, T):
        _, a, b = _canonical(z_t, y)
        interior = (rho > 0) & (rho < 1) & (a < b)
        return interior, _solve_direct(a, jnp.where(interior, b, a + 1.0), jnp.where(interior, rho, 0.5), T)[-1]

    interior, exact = (np.asarray(v) for v in flags(*f64["oracle"][0]))
    assert (exact & interior).sum() >= 80 and (~exact & interior).sum() >= 10
