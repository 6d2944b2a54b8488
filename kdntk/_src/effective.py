"""Effective student logits: the root of the per-sample distillation gradient (Ji & Zhu 2020, Eq. 3).

A wide student trained to convergence on the loss of Eq. 2 reaches, at every training point,
the logit z_eff(z_t, y_g; rho, T) that zeroes

    g(z) = (rho / T) (sigma(z / T) - sigma(z_t / T)) + (1 - rho) (sigma(z) - y_g).       (Eq. 3)

g is strictly increasing in z, so the root is unique, and it lies between z_t (where the soft
term vanishes) and l = logit(y_g) (where the hard term vanishes; +-inf for hard labels).

Solver (docs/effective.md derives it). Using the symmetry g(-z; -z_t, 1 - y) = -g(z; z_t, y) the
problem is flipped so the root w lies in [a, b] with a = +-z_t <= b = +-l. There both terms are
differences of sigmoids with a known sign, and the root solves

    F(w) = log P(w) - log Q(w) = 0,
    P(w) = (rho / T) (sigma(w / T) - sigma(a / T)),   Q(w) = (1 - rho) (sigma(b) - sigma(w)),

where each log-difference is evaluated without cancellation as
log(sigma(p) - sigma(q)) = log sigma(p) + log sigma(-q) + log(1 - exp(-(p - q))), p > q.
This stays exact where both sigmoids saturate (z_t / T = 500 or 1000 in float64), where a naive
difference of sigmoids is exactly 0. F runs from -inf to +inf on the bracket [a, min(b, H)],
with a closed-form upper end H (docs). Where nothing over- or underflows (|z_t|, |z_t / T| and
the bracket within log(max float) / 4: every practical input), the same root is found by Halley's
method on P - Q itself, both differences and all sigmoids of a step from two expm1, each to full
relative precision: 2 transcendentals per step instead of 9, cubic convergence, and a stopping
rule from a bound on Halley's error constant, so no step is spent confirming (docs/effective.md).
Both iterations are safeguarded (bisection whenever a step would leave the bracket), start from
the linearization w0 = a + Q(a) / P'(a), and converge to machine precision. Arrays are solved
in blocks of BLOCK_SIZE elements; each block's loop stops as soon as all its roots have
converged, and the log-space solver runs only in blocks that need it.

Derivatives are implicit (custom JVP from the implicit-function theorem applied to Eq. 3), not
unrolled, so jit/vmap/grad work with every argument traced.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from kdntk._src.checks import broadcast_named, broadcast_spec, check_distillation_args, is_concrete

__all__ = ["effective_logits", "correction_logits", "solve_effective", "solve_effective_blocks",
           "correction", "NEWTON_STEPS"]

NEWTON_STEPS = 40
"""At most this many safeguarded Halley (direct) or Newton (log-space) steps per root; the loop
of a block stops once every root in it has converged (about 4 Halley steps for |z_t| <= 10 at T = 2,
docs/benchmarks.md; more for roots far from the initial guess)."""

BLOCK_SIZE = 4096
"""Elements solved together: large arrays are split into blocks of this size (lax.map), so the
solver's intermediates stay in cache and its loop stops per block (measured 4x faster than one
pass over 10^6 points on CPU; docs/benchmarks.md)."""

TOL_ULPS = 4
"""A root is settled once the error left after a step is below this many ulps (of max(1, |w|))."""

# -log((1 - e^-1) / 2): makes P(H) >= Q(H) at the bracket's upper end H (docs/effective.md).
_BRACKET_MARGIN = 1.1519


def _log1mexp(x):
    """log(1 - exp(-x)) for x >= 0, accurate at both ends (Maechler 2012)."""
    return jnp.where(x < jnp.log(2.0), jnp.log(-jnp.expm1(-x)), jnp.log1p(-jnp.exp(-x)))


def _log_sigmoid_diff(p, q, diff):
    """log(sigma(p) - sigma(q)) for p >= q, with diff = p - q passed in exactly."""
    return jax.nn.log_sigmoid(p) + jax.nn.log_sigmoid(-q) + _log1mexp(diff)


def _log_dsigmoid(x):
    """log sigma'(x) = log sigma(x) + log sigma(-x)."""
    return jax.nn.log_sigmoid(x) + jax.nn.log_sigmoid(-x)


def _log_sigmoid_pair(x):
    """(log sigma(x), log sigma(-x)) from one exp and one log1p."""
    common = -jnp.log1p(jnp.exp(-jnp.abs(x)))
    return common + jnp.minimum(x, 0.0), common - jnp.maximum(x, 0.0)


def _logit(y):
    return jnp.log(y) - jnp.log1p(-y)


def _canonical(z_t, y_g):
    """Sign s and the flipped bracket ends a = s z_t <= b = s logit(y_g)."""
    ell = _logit(y_g)
    s = jnp.where(ell >= z_t, 1.0, -1.0).astype(z_t.dtype)
    return s, s * z_t, s * ell


def _newton(correction, w0, lo, hi, done):
    """Safeguarded Newton-type iteration on an increasing F with a root in [lo, hi], elementwise.

    ``correction(w)`` returns F(w), the step c (w -> w - c: Newton's F / F' or Halley's) and a
    bound on the error left after taking it. The bracket shrinks with the sign of F. As in
    rtsafe (Numerical Recipes 9.4), a step is replaced by a bisection when it would leave the
    bracket OR when it is more than half the step before the previous one: without the second
    rule Halley can cycle between two points inside the bracket, or crawl by ~2T per step where
    D grows like e^(w/T) (both seen at small T; tests). A root is settled by a step (not a
    bisection) whose error bound is at most TOL_ULPS ulps of max(1, |w|). The lax.while_loop
    stops once every element is settled (``done`` ones are kept as they are), after
    NEWTON_STEPS at most.
    """
    tol = TOL_ULPS * jnp.finfo(w0.dtype).eps

    def step(state):
        i, w, lo, hi, done, dx, dx_old = state
        F, c, err = correction(w)
        lo = jnp.where(F < 0, w, lo)
        hi = jnp.where(F > 0, w, hi)
        newton = w - c
        take = (newton >= lo) & (newton <= hi) & (2 * jnp.abs(c) <= dx_old)
        w_new = jnp.where(F == 0, w, jnp.where(take, newton, 0.5 * (lo + hi)))
        settled = (F == 0) | (take & (err <= tol * jnp.maximum(1.0, jnp.abs(w))))
        return (i + 1, jnp.where(done, w, w_new), lo, hi, done | settled,
                jnp.abs(w_new - w), dx)

    def keep_going(state):
        return (state[0] < NEWTON_STEPS) & ~jnp.all(state[4])

    free = jnp.full_like(w0, jnp.inf)   # the first two steps have no step before the previous
    state = (jnp.zeros((), jnp.int32), w0, lo, hi, done, free, free)
    return jax.lax.while_loop(keep_going, step, state)[1]


def _upper_end(a, log_K_sig_neg_a, T):
    """Closed-form H with F(H) >= 0 (docs/effective.md); log_K_sig_neg_a = log(K sigma(-a/T))."""
    return jnp.maximum(jnp.maximum(a + T, 0.0), _BRACKET_MARGIN - log_K_sig_neg_a)


def _sigmoid_pair(x):
    """(sigma(x), sigma(-x)), each to full relative precision, from one exp."""
    e = jnp.exp(-jnp.abs(x))
    big = 1.0 / (1.0 + e)
    small = e * big
    return jnp.where(x >= 0, big, small), jnp.where(x >= 0, small, big)


def _sigmoids_above(x, gap, s_q, s_neg_q):
    """(sigma(x), sigma(-x), sigma(x) - sigma(q)) for x = q + gap, gap >= 0, from sigma(+-q) and ONE
    expm1, each to full relative precision (docs/effective.md):

        gap < 1:  u = expm1(gap),  sigma(-x) = sigma(-q) / (1 + sigma(q) u),
                  sigma(x) = sigma(q) (1 + u) / (1 + sigma(q) u),  sigma(x) - sigma(q) = u sigma(q) sigma(-x);
        gap >= 1: E = expm1(|x|) + 1 = e^|x| gives sigma(+-x), and the difference is that of the
                  smaller tails, sigma(-q) - sigma(-x) for q >= 0, else sigma(x) - sigma(q)
                  (it amplifies their rounding by at most (e + 1) / (e - 1) ~ 2.2, ~3.3 at q ~ 0).
    """
    near = gap < 1
    r = jnp.expm1(jnp.where(near, gap, jnp.abs(x)))
    d = 1.0 / jnp.where(near, 1.0 + s_q * r, 2.0 + r)
    s_big, s_small = (1.0 + r) * d, d          # sigma(|x|), sigma(-|x|) when gap >= 1
    s_x = jnp.where(near, s_q * (1.0 + r) * d, jnp.where(x >= 0, s_big, s_small))
    s_neg_x = jnp.where(near, s_neg_q * d, jnp.where(x >= 0, s_small, s_big))
    diff = jnp.where(near, r * s_q * s_neg_x, jnp.where(s_q >= 0.5, s_neg_q - s_neg_x, s_x - s_q))
    return s_x, s_neg_x, diff


def _solve_direct(a, b, rho, T):
    """Root w in [a, b] of K (sigma(w/T) - sigma(a/T)) = sigma(b) - sigma(w), K = rho / (T (1 - rho)),
    by Halley's method on the difference itself; and the mask of elements where that is exact.

    Both differences of sigmoids and all four sigmoids of a step come from two expm1 to full
    relative precision (``_sigmoids_above``; the log-space form needs 9 transcendentals).
    Exact while nothing over- or underflows: |a|, |a/T|, |H|, |H/T| and |log K| at most
    log(max float) / 4 (the mask). A hard label's b = +inf is replaced by H + 1 + m,
    m = log(4 / eps), which changes sigma(b) - sigma(w) by a relative e^-m < eps / 4.
    """
    finfo = jnp.finfo(a.dtype)
    R = float(np.log(finfo.max)) / 4
    K = rho / (T * (1 - rho))
    s_a, s_neg_a = _sigmoid_pair(a / T)
    lo, hi = a, jnp.minimum(b, _upper_end(a, jnp.log(K * s_neg_a), T) + 1.0)
    b = jnp.minimum(b, hi - float(np.log(finfo.eps / 4)))
    s_b, s_neg_b = _sigmoid_pair(b)
    reach = jnp.maximum(jnp.abs(a), jnp.abs(hi))
    exact = (jnp.maximum(reach, reach / T) <= R) & (K >= np.exp(-R)) & (K <= np.exp(R))
    s2 = jnp.maximum(1.0, 1.0 / T) ** 2

    def correction(w):
        s_wT, s_neg_wT, p = _sigmoids_above(w / T, (w - a) / T, s_a, s_neg_a)
        s_neg_w, s_w, q = _sigmoids_above(-w, b - w, s_neg_b, s_b)
        dp, dq = K * s_wT * s_neg_wT / T, s_w * s_neg_w             # P', -Q'
        F, dF = K * p - q, dp + dq
        d2F = (dp * (s_neg_wT - s_wT) / T + dq * (s_neg_w - s_w))
        c = 2 * F * dF / (2 * dF * dF - F * d2F)                    # Halley's step
        # Halley leaves an error ~ A c^3 with A <= |F'''/(6 F')| + (F''/(2 F'))^2 <= s^2,
        # s = max(1, 1/T), because |F^(k)| <= s^(k-1) F' for this F (docs/effective.md).
        return F, c, s2 * jnp.abs(c) ** 3

    # w0 = a + Q(a) / P'(a): one Newton step on P - Q from a, clipped to the bracket.
    q_a = _sigmoids_above(-a, b - a, s_neg_b, s_b)[2]
    w0 = jnp.clip(a + T * q_a / (K * s_a * s_neg_a), lo, hi)
    return w0, lo, hi, correction, exact


def _solve_log(a, b, rho, T):
    """Root w in [a, b] of F(w) = log P(w) - log Q(w) (module doc): exact where sigmoids saturate."""
    log_ratio = jnp.log(rho) - jnp.log(T) - jnp.log1p(-rho)  # log K
    log_sig_neg_a = jax.nn.log_sigmoid(-a / T)
    lo, hi = a, jnp.minimum(b, _upper_end(a, log_ratio + log_sig_neg_a, T) + 1.0)
    log_sig_b = jax.nn.log_sigmoid(b)

    def correction(w):
        # log(sigma(p) - sigma(q)) = log sigma(p) + log sigma(-q) + log(1 - e^(q-p)); the last
        # term as log(-expm1) only: its absolute error (what F needs) is a rounding everywhere.
        ls_wT, ls_neg_wT = _log_sigmoid_pair(w / T)
        ls_w, ls_neg_w = _log_sigmoid_pair(w)
        gap_p = -jnp.expm1(-(w - a) / T)            # 1 - e^-((w-a)/T)
        gap_q = -jnp.expm1(-(b - w))                # 1 - e^-(b-w)
        F = log_ratio + ls_wT + log_sig_neg_a - log_sig_b - ls_neg_w + jnp.log(gap_p / gap_q)
        # sigma'(w/T) / (T P~) and sigma'(w) / Q~, with sigma' = sigma(x) sigma(-x).
        dF = (jnp.exp(ls_neg_wT - log_sig_neg_a) / (T * gap_p)
              + jnp.exp(ls_w - log_sig_b) / gap_q)
        c = F / dF                                                      # Newton's step
        return F, c, jnp.abs(c)  # quadratic convergence: the error left is far below |c|

    # w0 = a + Q(a) / P'(a), in log space.
    log_step = (jnp.log1p(-rho) + log_sig_b + jax.nn.log_sigmoid(-a) + _log1mexp(b - a)
                + 2 * jnp.log(T) - jnp.log(rho) - _log_dsigmoid(a / T))
    return jnp.clip(a + jnp.exp(log_step), lo, hi), lo, hi, correction


def _solve_canonical(a, b, rho, T):
    """Root w in [a, b] of P(w) = Q(w), for 0 < rho < 1.

    Halley on P - Q directly (2 transcendentals per step) where that is exact; in a block that
    has any other elements (saturated sigmoids, extreme rho or T) the log-space solver runs for
    those, and blocks without skip it (lax.cond). Both solvers start from the linearization w0 = a + Q(a) / P'(a) (exact as the root approaches a,
    where Newton from the bracket's midpoint would bisect for many steps); w0 == a means the step
    is below half an ulp of a, and so is the root's distance from a: settled at once.
    """
    w0, lo, hi, correction, exact = _solve_direct(a, b, rho, T)
    w = _newton(correction, w0, lo, hi, (lo == hi) | (w0 == a) | ~exact)

    def log_space(w):
        w0, lo, hi, correction = _solve_log(a, b, rho, T)
        return jnp.where(exact, w, _newton(correction, w0, lo, hi, (lo == hi) | (w0 == a) | exact))

    w = jax.lax.cond(jnp.all(exact), lambda w: w, log_space, w)
    return jnp.where(lo == hi, lo, w)


def _effective_block(z_t, y_g, rho, T):
    s, a, b = _canonical(z_t, y_g)
    interior = (rho > 0) & (rho < 1) & (a < b)
    safe_rho = jnp.where(interior, rho, 0.5)
    w = _solve_canonical(a, jnp.where(interior, b, a + 1.0), safe_rho, T)
    z = jnp.where(interior, s * w, z_t)
    return jnp.where(rho == 0, _logit(y_g), z)


@jax.custom_jvp
def solve_effective(z_t, y_g, rho, T):
    """z_eff of equally shaped arrays, in blocks of BLOCK_SIZE elements (lax.map)."""
    z_t, y_g, rho, T = jnp.broadcast_arrays(z_t, y_g, rho, T)
    n = z_t.size
    if n <= BLOCK_SIZE:
        return _effective_block(z_t, y_g, rho, T)
    blocks = -(-n // BLOCK_SIZE)
    # Padding repeats the last element, so the padded tail is a valid input.
    split = [jnp.pad(x.ravel(), (0, blocks * BLOCK_SIZE - n), mode="edge").reshape(blocks, BLOCK_SIZE)
             for x in (z_t, y_g, rho, T)]
    z = jax.lax.map(lambda args: _effective_block(*args), tuple(split))
    return z.ravel()[:n].reshape(z_t.shape)


def solve_effective_blocks(z_t, y_g, rho, T):
    """``solve_effective`` of concrete arrays through ONE program per dtype; numpy out.

    The broadcast elements run in blocks of BLOCK_SIZE through ``_block_program``, whose shape
    never changes, so a call of any shape reuses one compilation (about 1 s on CPU; inside a
    sweep's trial program the solver was over half of that program's compile time, paid again
    for every new shape). The last block is padded with its last element. The solve is
    elementwise, so these are the numbers ``solve_effective`` gives inside any program, bit for
    bit (tests; under XLA:CPU's default settings and LLVM -O1, while at -O0 one element in 1e5
    came out an ulp apart). Traced arguments (the memory pre-check's shape pass, a user's jit) fall back
    to ``solve_effective``; concrete ones closed over inside a user's trace are solved now, as
    constants of that program (``ensure_compile_time_eval``). The arguments share one floating
    dtype (callers cast them: numpy's promotion is not JAX's)."""
    args = (z_t, y_g, rho, T)
    if not all(is_concrete(v) for v in args):
        return solve_effective(*jnp.broadcast_arrays(*args))
    arrays = np.broadcast_arrays(*(np.asarray(v) for v in args))
    shape, n = arrays[0].shape, arrays[0].size
    dtype = np.result_type(*arrays)
    flat = [a.astype(dtype, copy=False).reshape(-1) for a in arrays]

    def block(start):
        part = [a[start:start + BLOCK_SIZE] for a in flat]
        if len(part[0]) < BLOCK_SIZE:
            part = [np.pad(a, (0, BLOCK_SIZE - len(a)), mode="edge") for a in part]
        return _block_program(*part)

    out = np.empty(-(-n // BLOCK_SIZE) * BLOCK_SIZE, dtype)
    with jax.ensure_compile_time_eval():   # run now, also when called inside a user's trace
        for start, z in [(i, block(i)) for i in range(0, n, BLOCK_SIZE)]:   # dispatched, then read
            out[start:start + BLOCK_SIZE] = z
    return out[:n].reshape(shape)


_block_program = jax.jit(_effective_block)


@solve_effective.defjvp
def _effective_jvp(primals, tangents):
    z_t, y_g, rho, T = primals
    dz_t, dy, drho, dT = tangents
    z = solve_effective(z_t, y_g, rho, T)
    s, a, b = _canonical(z_t, y_g)
    w = s * z
    log_rho, log_T = jnp.log(rho), jnp.log(T)
    # Partial derivatives of Eq. 3, all scaled by exp(-M) to stay finite where sigmoids saturate.
    l1 = log_rho - 2 * log_T + _log_dsigmoid(z / T)       # log of (rho/T^2) sigma'(z/T)
    l2 = jnp.log1p(-rho) + _log_dsigmoid(z)               # log of (1-rho) sigma'(z)
    l3 = log_rho - 2 * log_T + _log_dsigmoid(z_t / T)     # log of (rho/T^2) sigma'(z_t/T)
    M = jnp.maximum(l1, l2)
    M = jnp.where(jnp.isfinite(M), M, 0.0)
    e1, e2, e3 = jnp.exp(l1 - M), jnp.exp(l2 - M), jnp.exp(l3 - M)
    L1 = _log_sigmoid_diff(w / T, a / T, (w - a) / T)     # log |sigma(z/T) - sigma(z_t/T)|
    L2 = _log_sigmoid_diff(b, w, b - w)                   # log |sigma(z) - y_g|
    g_z = e1 + e2
    g_zt = -e3
    g_y = -(1 - rho) * jnp.exp(-M)
    g_rho = s * (jnp.exp(L1 - log_T - M) + jnp.exp(L2 - M))
    g_T = -s * jnp.exp(log_rho - 2 * log_T + L1 - M) - (z * e1 - z_t * e3) / T
    dz = -(g_zt * dz_t + g_y * dy + g_rho * drho + g_T * dT) / g_z
    return z, dz


def effective_logits(
    z_t: Float[ArrayLike, "..."],
    y_g: Float[ArrayLike, "..."],
    *,
    soft_ratio: Float[ArrayLike, "..."],
    temperature: Float[ArrayLike, "..."] = 1.0,
) -> Float[Array, "..."]:
    """Effective student logit z_eff: the root in z of Eq. 3, elementwise with broadcasting.

    Args:
      z_t: teacher logits (finite).
      y_g: ground-truth labels, hard {0, 1} or soft in [0, 1].
      soft_ratio: rho in [0, 1].
      temperature: T > 0.

    Returns:
      z_eff with the broadcast shape of the arguments, in their floating dtype. Special values:
      rho = 1 gives z_t exactly; rho = 0 gives logit(y_g), which is +inf for y_g = 1 and -inf for
      y_g = 0 (Eq. 3 then has no finite root: the hard-label student's logit diverges). Never NaN.
      Accuracy (tests): |error| / max(1, |z_eff|) <= 1e-9 in float64 and <= 1e-4 in float32 for
      |z_t| <= 50, T in [0.1, 100]; finite and monotone in z_t up to |z_t| = 1e3.

    Raises:
      ValueError: soft_ratio outside [0, 1], temperature <= 0 or infinite, y_g outside [0, 1],
        NaN or infinite z_t, shapes that do not broadcast. Under a user's jit/vmap the values
        are checked when the program runs: the error then surfaces as a
        ``jax.errors.JaxRuntimeError`` carrying the same message (docs/errors.md).

    Example:
      >>> import kdntk
      >>> float(kdntk.effective_logits(2.0, 1.0, soft_ratio=1.0, temperature=5.0))  # pure soft: z_eff = z_t
      2.0
      >>> import jax, math  # at T = 1, sigma(z_eff) = rho sigma(z_t) + (1 - rho) y_g
      >>> round(float(jax.nn.sigmoid(kdntk.effective_logits(-1.0, 1.0, soft_ratio=0.5))), 6)
      0.634471

    References:
      Ji & Zhu (2020), Eq. 3 and Fig. 1.
    """
    check_distillation_args(z_t, y_g, soft_ratio, temperature, runtime=True)
    args = {"z_t": z_t, "y_g": y_g, "soft_ratio": soft_ratio, "temperature": temperature}
    if all(is_concrete(v) for v in args.values()):   # any shape: one program per dtype
        _, dtype = broadcast_spec(**args)                # names the arguments if shapes clash
        return jnp.asarray(solve_effective_blocks(*(np.asarray(v, dtype) for v in args.values())))
    return _effective_jit(*broadcast_named(**args))


# For traced arguments (a user's jit, vmap or grad): inlined into a jit, compiled once per shape
# under an eager vmap or grad (op by op, the loops of _solve_canonical would recompile per call).
_effective_jit = jax.jit(solve_effective)


def correction_logits(
    z_t: Float[ArrayLike, "..."],
    y_g: Float[ArrayLike, "..."],
    *,
    temperature: Float[ArrayLike, "..."] = 1.0,
) -> Float[Array, "..."]:
    """Correction logits delta z_h = d z_eff / d(1 - rho) at rho = 1 (Ji & Zhu 2020, Thm 2).

    Linearizing Eq. 3 around rho = 1, z_eff ~= z_t + (1 - rho) delta z_h with

        delta z_h = T^2 (y_g - sigma(z_t)) / sigma'(z_t / T),

    evaluated in log space so that it is finite wherever the value is representable.

    Example:
      >>> import kdntk
      >>> round(float(kdntk.correction_logits(0.0, 1.0)), 6)   # T = 1: (1 - 1/2) / (1/4) = 2
      2.0
    """
    check_distillation_args(z_t, y_g, 1.0, temperature, runtime=True)
    return _correction_jit(*broadcast_named(z_t=z_t, y_g=y_g, temperature=temperature))


def correction(z_t, y_g, T):
    """[`correction_logits`][kdntk.correction_logits] of equally shaped arrays, unchecked (traceable)."""
    ell = _logit(y_g)
    hi, lo = jnp.maximum(ell, z_t), jnp.minimum(ell, z_t)
    log_gap = _log_sigmoid_diff(hi, lo, jnp.abs(ell - z_t))   # log |y_g - sigma(z_t)|
    sign = jnp.sign(ell - z_t)
    return sign * jnp.exp(2 * jnp.log(T) + log_gap - _log_dsigmoid(z_t / T))


_correction_jit = jax.jit(correction)
