r"""Effective student logits of multi-class (softmax) distillation: the root of the per-sample gradient

    g(z) = (rho / T) (softmax(z / T) - softmax(z_t / T)) + (1 - rho) (softmax(z) - y) = 0,   z in R^C,

whose root set is a line along the all-ones vector; returned is the root with class-mean 0 (the
public wrapper adds the class-mean of the initial logits z0: the student never moves along ones).

Reduction (docs/softmax.md). Write a = softmax(z / T), s = softmax(z), alpha = rho / T,
beta = 1 - rho, w_s = alpha / (alpha + beta), w_h = 1 - w_s. The root is the z at which, for every
class c,

    w_s a_c + w_h s_c = m_c := w_s p_c + w_h y_c,      p = softmax(z_t / T),

(m is a probability vector). With q = log a (so z = T (q - mean q)) and nu = -log sum_c a_c^T
(so that s_c = e^(nu + T q_c)), each class is the scalar equation

    phi_c(q_c; nu) = logaddexp(log w_s + q_c, log w_h + nu + T q_c) - log m_c = 0,

convex and increasing in q_c, with slope theta + T (1 - theta) in [min(1, T), max(1, T)]; and nu is
the root of one scalar equation: sum_c a_c = 1 (equivalently sum_c s_c = 1; the one of the term
with the smaller weight is imposed, for accuracy), decreasing in nu. By the power-mean inequality
nu lies in [min(0, (T - 1) log C), max(0, (T - 1) log C)] (a point at T = 1: nu = 0 and
softmax(z) = m, the closed form). Everything is in log space, so saturated softmaxes
(|z_t / T| = 1e3, where e^(-1000) underflows) are exact. The code works with q + log C and
nu - T log C, which are O(1) near the uniform solution.

Solver: a few steps of plain Newton on the whole (C + 1) system (arrowhead Jacobian, O(C) per
step: a fast predictor, not trusted), then the certified solver from there: safeguarded Newton on
the scalar equation over that bracket (bisection when a step leaves
it or grows; rtsafe), and for every nu Newton on each phi_c (globally convergent: phi_c is convex,
so from any start the iterates reach the root's right side and then decrease to it), warm-started
by the second-order predictor in nu. Samples are solved in blocks; each block's loops stop once
all its roots have converged. Derivatives are implicit (custom JVP from the implicit-function theorem
on the same reduced system, which stays well-conditioned where the C x C Hessian underflows),
not unrolled.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from kdntk._src.checks import broadcast_classes, check_array, check_class_targets, check_range
from kdntk._src.softmax_losses import class_probabilities

__all__ = ["softmax_effective_logits", "solve_softmax_effective", "NEWTON_STEPS", "INNER_STEPS"]

NEWTON_STEPS = 60
"""At most this many safeguarded Newton (or bisection) steps on the scalar nu per sample."""

INNER_STEPS = 60
"""At most this many Newton steps on the class equations per value of nu."""

BLOCK_ELEMENTS = 4096
"""Samples are solved in blocks of about this many (sample, class) elements (lax.map)."""

TOL_ULPS = 4
"""A root is settled once the estimated error left after a step is below this many ulps."""

PREDICTOR_STEPS = 8
"""At most this many plain Newton steps on the whole system before the safeguarded solver."""

PREDICTOR_TOL = 1.0
"""The predictor stops a sample once its steps are below this times eps^(1/4) (relative)."""

# A step is in Newton's asymptotic regime (the error estimate from the local curvature holds)
# once it changes the balance of the soft and hard terms by less than this (a log-ratio).
_LOCAL = 0.01


def _log_weights(rho, T):
    """(log w_s, log w_h): the weights rho / T and 1 - rho of the two terms, normalized to sum 1."""
    log_soft = jnp.log(rho) - jnp.log(T)
    log_hard = jnp.log1p(-rho)
    norm = jnp.logaddexp(log_soft, log_hard)
    return log_soft - norm, log_hard - norm


def _class_terms(q, nu, A, B, L, T):
    """phi_c, theta_c, 1 - theta_c and phi_c' = theta + T (1 - theta) of the class equations.

    theta_c = w_s a_c / m_c is the soft term's share of the class's total (each to full relative
    precision from one exp; phi from one log1p).
    """
    u, v = A + q, B + nu + T * q
    d = u - v
    e = jnp.exp(-jnp.abs(d))
    r = 1.0 / (1.0 + e)
    theta = jnp.where(d >= 0, r, e * r)
    omega = jnp.where(d >= 0, e * r, r)
    phi = jnp.maximum(u, v) + jnp.log1p(e) - L
    return phi, theta, omega, theta + T * omega


def _inner(q, nu, A, B, L, T, done):
    """Newton on every phi_c(q_c; nu) = 0 (elements already ``done`` are kept), in place; returns
    q and the (theta, 1 - theta, phi') of the last evaluation (at most one step old).

    phi_c is convex and increasing, so Newton converges from any start. An element is settled
    by a step c that is local (|1 - T| |c| <= _LOCAL) and leaves an error 3 K c^2 below TOL_ULPS
    ulps of max(1, |q|), with K = phi''/(2 phi') = (1 - T)^2 theta (1 - theta) / (2 phi').
    """
    tol = TOL_ULPS * jnp.finfo(q.dtype).eps
    curv = 0.5 * (1.0 - T) ** 2
    reach = jnp.abs(1.0 - T) + 1.0

    def body(state):
        j, q, done, _ = state
        phi, theta, omega, dphi = _class_terms(q, nu, A, B, L, T)
        c = phi / dphi
        err = 3.0 * curv * theta * omega / dphi * c * c
        settled = (phi == 0) | ((reach * jnp.abs(c) <= _LOCAL) & (err <= tol * jnp.maximum(1.0, jnp.abs(q))))
        return j + 1, jnp.where(done, q, q - c), done | settled, (theta, omega, dphi)

    def cond(state):
        return (state[0] < INNER_STEPS) & ~jnp.all(state[2])

    terms = (jnp.zeros_like(q), jnp.zeros_like(q), jnp.ones_like(q))
    _, q, _, terms = jax.lax.while_loop(cond, body, (jnp.zeros((), jnp.int32), q, done, terms))
    return q, terms


def _predict(q, nu, A, B, L, T, use_s, lo, hi, log_c, done):
    """Plain Newton on the whole system (the C class equations and the normalization, unknowns
    (q, nu)): a fast predictor for the safeguarded solver, which then polishes and certifies.

    The Jacobian is an arrowhead (diagonal phi' with the column 1 - theta for nu, and the row
    dG/dq for the normalization G = logsumexp(h) - const, h = q or nu + T q), solved in O(C):
    dnu = (G - sum g phi / phi') / (sum g (1 - theta) / phi' - dG/dnu), dq = -(phi + (1 - theta) dnu) / phi'.
    A sample stops once its step is below PREDICTOR_TOL (then quadratic convergence has set in and
    one safeguarded sweep finishes it) or a step is not finite or leaves the bracket of nu (the
    last iterate is kept: the safeguarded solver converges from any start).
    """
    s_col = use_s[:, None]
    tol = PREDICTOR_TOL * jnp.finfo(q.dtype).eps ** 0.25

    def body(state):
        j, q, nu, done = state
        phi, theta, omega, dphi = _class_terms(q, nu[:, None], A, B, L, T)
        h = jnp.where(s_col, nu[:, None] + T * q, q)
        lse = jax.nn.logsumexp(h, axis=-1)
        g = jnp.exp(h - lse[:, None]) * jnp.where(s_col, T, 1.0)     # dG/dq_c
        G = lse - jnp.where(use_s, 0.0, log_c)                       # dG/dnu = 1 or 0
        dnu = ((G - jnp.sum(g * phi / dphi, axis=-1))
               / (jnp.sum(g * omega / dphi, axis=-1) - jnp.where(use_s, 1.0, 0.0)))
        dq = -(phi + omega * dnu[:, None]) / dphi
        ok = jnp.isfinite(dnu) & jnp.all(jnp.isfinite(dq), axis=-1) & (nu + dnu >= lo) & (nu + dnu <= hi)
        move = ~done & ok
        small = ((jnp.abs(dnu) <= tol * jnp.maximum(1.0, jnp.abs(nu)))
                 & jnp.all(jnp.abs(dq) <= tol * jnp.maximum(1.0, jnp.abs(q)), axis=-1))
        q = jnp.where(move[:, None], q + dq, q)
        nu = jnp.where(move, nu + dnu, nu)
        return j + 1, q, nu, done | small | ~ok

    def cond(state):
        return (state[0] < PREDICTOR_STEPS) & ~jnp.all(state[3])

    return jax.lax.while_loop(cond, body, (jnp.zeros((), jnp.int32), q, nu, done))[1:3]


def _solve_interior(z_t, y, rho, T):
    """Q = log softmax(z_eff / T) + log C for samples (B, C) with 0 < rho < 1 (rho, T: (B,)).

    The unknowns are shifted by the uniform solution: Q = q + log C and N = nu - T log C are
    O(1) where z_eff / T is small (large T), so their rounding is not amplified by T in z = T q
    (in float32 at T = 100 the unshifted q ~ -log C and nu ~ (T - 1) log C cost 3e-5).
    """
    dtype = z_t.dtype
    tol = TOL_ULPS * jnp.finfo(dtype).eps
    log_c = float(np.log(z_t.shape[-1]))
    A, B = (w[:, None] for w in _log_weights(rho, T))
    Tc = T[:, None]
    L = jnp.logaddexp(A + jax.nn.log_softmax(z_t / Tc, axis=-1), B + jnp.log(y))   # log m
    # The normalization imposed is that of the term with the smaller weight (sum s = 1 when
    # w_h <= w_s, else sum a = 1): the class equations then make the other hold up to rounding
    # amplified by 1 / max(w_s, w_h) <= 2, not by 1 / min(w_s, w_h) (docs/softmax.md).
    use_s = (B <= A)[:, 0]
    A = A - log_c                    # u = A + q = (A - log C) + Q;  v = B + nu + T q = B + N + T Q
    lo, hi = -jnp.maximum(T, 1.0) * log_c, -jnp.minimum(T, 1.0) * log_c   # the bracket, shifted
    # Start from the T = 1 solution a = m: nu0 = -log sum m^T (inside the bracket), Q0 the
    # smaller of the two one-term roots (phi_c(Q0) >= 0: the right side of every class root).
    nu = jnp.clip(-jax.nn.logsumexp(Tc * (L + log_c), axis=-1), lo, hi)
    q = jnp.minimum(L - A, (L - B - nu[:, None]) / Tc)
    done = lo == hi
    sign = jnp.where(use_s, -1.0, 1.0).astype(dtype)
    q, nu = _predict(q, nu, A, B, L, Tc, use_s, lo, hi, log_c, done)
    q, terms = _inner(q, nu[:, None], A, B, L, Tc, jnp.broadcast_to(done[:, None], q.shape))
    reach = 1.0 + jnp.abs(1.0 - T) / jnp.minimum(1.0, T)

    def body(state):
        i, nu, lo, hi, q, done, dx, dx_old, (theta, omega, dphi) = state
        dq = -omega / dphi                                   # dq_c / dnu
        d2q = theta * omega * ((1.0 - Tc) * dq - 1.0) / dphi ** 2
        # h = log a = q, or log s = nu + T q (up to the normalizers); G = +-logsumexp(h) decreases.
        s_col = use_s[:, None]
        h = jnp.where(s_col, nu[:, None] + Tc * q, q)       # sum a = 1: logsumexp(Q) = log C
        dh = jnp.where(s_col, 1.0 + Tc * dq, dq)
        d2h = jnp.where(s_col, Tc * d2q, d2q)
        lse = jax.nn.logsumexp(h, axis=-1)
        pi = jnp.exp(h - lse[:, None])
        G = sign * (lse - jnp.where(use_s, 0.0, log_c))
        dG = sign * jnp.sum(pi * dh, axis=-1)
        d2G = sign * (jnp.sum(pi * (d2h + dh * dh), axis=-1) - (sign * dG) ** 2)
        lo = jnp.where(G > 0, nu, lo)                        # G decreases through its root
        hi = jnp.where(G < 0, nu, hi)
        c = G / dG
        newton = nu - c
        take = (newton >= lo) & (newton <= hi) & (2 * jnp.abs(c) <= dx_old)
        nu_new = jnp.where(G == 0, nu, jnp.where(take, newton, 0.5 * (lo + hi)))
        err = 1.5 * jnp.abs(d2G / dG) * c * c
        scale = tol * jnp.maximum(1.0, jnp.abs(nu))
        settled = ((G == 0) | (hi - lo <= scale)
                   | (take & (reach * jnp.abs(c) <= _LOCAL) & (err <= scale)))
        nu_new = jnp.where(done, nu, nu_new)
        step = nu_new - nu
        dnu = step[:, None]
        q = jnp.where(done[:, None], q, q + (dq + 0.5 * d2q * dnu) * dnu)   # second-order predictor
        q, terms = _inner(q, nu_new[:, None], A, B, L, Tc, jnp.broadcast_to(done[:, None], q.shape))
        return i + 1, nu_new, lo, hi, q, done | settled, jnp.abs(step), dx, terms

    def cond(state):
        return (state[0] < NEWTON_STEPS) & ~jnp.all(state[5])

    free = jnp.full_like(nu, jnp.inf)
    state = (jnp.zeros((), jnp.int32), nu, lo, hi, q, done, free, free, terms)
    return jax.lax.while_loop(cond, body, state)[4]


def _centered(x):
    return x - jnp.mean(x, axis=-1, keepdims=True)


def _solve_block(z_t, y, rho, T):
    """Class-mean-zero root for samples (B, C), any rho in [0, 1]: rho = 1 gives z_t centred,
    rho = 0 gives log y centred (+inf where y_c > 0 and -inf where y_c = 0 if any y_c = 0)."""
    interior = (rho > 0) & (rho < 1)
    q = _solve_interior(z_t, y, jnp.where(interior, rho, 0.5), T)
    z = _centered(T[:, None] * q)
    log_y = jnp.log(y)
    hard = jnp.where(jnp.all(y > 0, axis=-1, keepdims=True), _centered(log_y),
                     jnp.where(y > 0, jnp.inf, -jnp.inf))
    z = jnp.where(interior[:, None], z, jnp.where((rho == 0)[:, None], hard, _centered(z_t)))
    return z.astype(z_t.dtype)


@jax.custom_jvp
def _solve(z_t, y, rho, T):
    """Class-mean-zero root for broadcast arrays (..., C), (..., C), (...), (...), in blocks."""
    batch, num_classes = z_t.shape[:-1], z_t.shape[-1]
    n = int(np.prod(batch, dtype=int))
    flat = [z_t.reshape(n, num_classes), y.reshape(n, num_classes), rho.reshape(n), T.reshape(n)]
    size = max(1, BLOCK_ELEMENTS // num_classes)
    if n <= size:
        return _solve_block(*flat).reshape(z_t.shape)
    blocks = -(-n // size)
    pad = blocks * size - n
    # Padding repeats the last sample, so the padded tail is a valid input.
    split = [jnp.pad(x, [(0, pad)] + [(0, 0)] * (x.ndim - 1), mode="edge").reshape(blocks, size, *x.shape[1:])
             for x in flat]
    z = jax.lax.map(lambda args: _solve_block(*args), tuple(split))
    return z.reshape(blocks * size, num_classes)[:n].reshape(z_t.shape)


@_solve.defjvp
def _solve_jvp(primals, tangents):
    """Implicit derivatives on the reduced system (module doc): with theta_c the soft share of
    class c at the root, omega_c = 1 - theta_c and d_c = theta_c + T omega_c,

        d_c dq_c + omega_c dnu = r_c := d log m_c - theta_c d log w_s - omega_c (d log w_h + q_c dT),
        sum_c a_c dq_c = 0,

    so dnu = sum(a r / d) / sum(a omega / d), dq = (r - omega dnu) / d and
    dz = dT (q - mean q) + T (dq - mean dq). rho = 1 and rho = 0 use the limits of the C x C
    implicit system there (one-sided in rho; docs/softmax.md)."""
    z_t, y, rho, T = primals
    dz_t, dy, drho, dT = tangents
    z = _solve(z_t, y, rho, T)
    Tc, dTc = T[..., None], dT[..., None]
    interior = (rho > 0) & (rho < 1)
    r = jnp.where(interior, rho, 0.5)
    A, B = _log_weights(r, T)
    A, B = A[..., None], B[..., None]
    lpt = jax.nn.log_softmax(z_t / Tc, axis=-1)
    log_y = jnp.log(y)
    L = jnp.logaddexp(A + lpt, B + log_y)
    zi = jnp.where(interior[..., None], z, 0.0)
    q = jax.nn.log_softmax(zi / Tc, axis=-1)
    theta = jnp.exp(A + q - L)                               # soft share at the root
    omega = jnp.exp(B + jax.nn.log_softmax(zi, axis=-1) - L)  # hard share
    d = theta + Tc * omega
    dx = dz_t / Tc - z_t * dTc / Tc ** 2                     # d(z_t / T)
    dlpt = dx - jnp.sum(jnp.exp(lpt) * dx, axis=-1, keepdims=True)
    D = (drho / (r * (1 - r)) - dT / T)[..., None]           # d log(w_s / w_h)
    dA, dB = jnp.exp(B) * D, -jnp.exp(A) * D
    dL = jnp.exp(A + lpt - L) * (dA + dlpt) + jnp.exp(B + log_y - L) * dB + jnp.exp(B - L) * dy
    rr = dL - theta * dA - omega * (dB + q * dTc)
    a = jnp.exp(q)
    S = jnp.sum(a * omega / d, axis=-1, keepdims=True)
    dnu = jnp.where(S > 0, jnp.sum(a * rr / d, axis=-1, keepdims=True) / jnp.where(S > 0, S, 1.0), 0.0)
    dq = (rr - omega * dnu) / d
    dz = dTc * _centered(q) + Tc * _centered(dq)
    # rho = 1: z = z_t - mean; d z / d rho = T^2 (softmax(z_t) - y) / softmax(z_t / T), centred.
    ls_t = jax.nn.log_softmax(z_t, axis=-1)
    soft_end = _centered(dz_t) + drho[..., None] * Tc ** 2 * _centered(jnp.exp(ls_t - lpt) - jnp.exp(log_y - lpt))
    # rho = 0, y > 0: z = log y - mean; d z / d rho = -(softmax(z / T) - softmax(z_t / T)) / (T y).
    safe_y = jnp.where(y > 0, y, 1.0)
    a0 = jax.nn.softmax(jnp.where(y > 0, log_y, 0.0) / Tc, axis=-1)
    hard_end = _centered(dy / safe_y - drho[..., None] * (a0 - jnp.exp(lpt)) / (Tc * safe_y))
    hard_end = jnp.where(jnp.isfinite(z), hard_end, 0.0)
    dz = jnp.where(interior[..., None], dz, jnp.where((rho == 0)[..., None], hard_end, soft_end))
    return z, dz.astype(z.dtype)


def solve_softmax_effective(z_t, y, rho, T, z0=None) -> Array:
    """[`kdntk.softmax_effective_logits`][kdntk.softmax_effective_logits], unchecked (traceable: for
    jitted per-trial programs). z_t (..., C); y (..., C) probability vectors (normalized here) or
    integer labels (...); rho, T per sample (...); z0 None or (..., C). All broadcast."""
    z_t = jnp.asarray(z_t)
    y = class_probabilities(y, z_t.shape[-1], jnp.result_type(z_t.dtype, float))
    z_t = z_t.astype(jnp.result_type(z_t.dtype, y.dtype))
    batch = jnp.broadcast_shapes(z_t.shape[:-1], y.shape[:-1], jnp.shape(rho), jnp.shape(T))
    cls = batch + z_t.shape[-1:]
    z_t, y = jnp.broadcast_to(z_t, cls), jnp.broadcast_to(y.astype(z_t.dtype), cls)
    rho, T = (jnp.broadcast_to(jnp.asarray(v, z_t.dtype), batch) for v in (rho, T))
    z = _solve(z_t, y / jnp.sum(y, axis=-1, keepdims=True), rho, T)
    if z0 is None:
        return z
    return z + jnp.mean(jnp.asarray(z0, z.dtype), axis=-1, keepdims=True)


_solve_jit = jax.jit(solve_softmax_effective)


def softmax_effective_logits(
    z_t: Float[ArrayLike, "... C"],
    y: ArrayLike,
    *,
    soft_ratio: Float[ArrayLike, "..."],
    temperature: Float[ArrayLike, "..."],
    z0: Float[ArrayLike, "... C"] | None = None,
) -> Float[Array, "... C"]:
    r"""Effective student logits of softmax distillation: the root z_eff in R^C of the per-sample gradient

    $$
    \frac{\rho}{T}\bigl(\operatorname{softmax}(z/T) - \operatorname{softmax}(z_t/T)\bigr)
      + (1 - \rho)\bigl(\operatorname{softmax}(z) - y\bigr) = 0
    $$

    ([`kdntk.softmax_distillation_loss_grad`][kdntk.softmax_distillation_loss_grad]) whose
    class-mean equals that of z0 (0 when z0 is None). The roots form a line along the all-ones
    vector; a wide student trained by gradient flow never moves along it (each sample's
    gradient sums to zero over the classes and the C-output NTK is Theta (x) I_C), so this is the
    logit it converges to. The multi-class form of [`kdntk.effective_logits`][kdntk.effective_logits]:
    with C = 2, z_eff[0] - z_eff[1] is the binary z_eff of z_t[0] - z_t[1] and label y[0].

    Args:
      z_t: teacher logits (..., C), finite.
      y: ground truth: floating probability vectors (..., C) (one-hot or soft; each sums to 1)
        or integer class labels (...) in {0, ..., C - 1}, which mean their one-hot vectors.
      soft_ratio: rho in [0, 1], per sample (broadcast against the sample axes).
      temperature: T > 0, per sample.
      z0: the student's initial logits (..., C); only their class-mean is used. None: 0.

    Returns:
      z_eff (..., C), the broadcast shape, in the floating dtype of the arguments. Special values:
      rho = 1 gives z_t - mean(z_t) + mean(z0) exactly; rho = 0 gives log y - mean(log y) + mean(z0)
      when every y_c > 0, and otherwise no finite root exists (the hard-label student diverges):
      +inf for the classes with y_c > 0 and -inf for the others. Never NaN. Accuracy (tests, against
      an mpmath solution at 50 digits): |error| / max(1, max_c |z_eff|) <= 1e-9 in float64 and
      <= 1e-4 in float32, including saturated softmaxes (|z_t / T| up to 1e3).

    Raises:
      ValueError: naming the argument: soft_ratio outside [0, 1], temperature <= 0 or not finite,
        y not probability vectors or labels outside [0, C), z_t, y and z0 with different numbers
        of classes, sample shapes that do not broadcast, NaN or inf in z_t or z0 (concrete
        arguments; under jit the values cannot be inspected).

    Example:
      >>> import kdntk
      >>> z = kdntk.softmax_effective_logits([2.0, 0.0, -1.0], 0, soft_ratio=1.0, temperature=3.0)
      >>> print(*(round(float(v), 4) for v in z))        # pure soft: z_t, centred
      1.6667 -0.3333 -1.3333
      >>> import jax   # at T = 1: softmax(z_eff) = rho softmax(z_t) + (1 - rho) y
      >>> z = kdntk.softmax_effective_logits([2.0, 0.0, -1.0], 1, soft_ratio=0.5, temperature=1.0)
      >>> print(*(round(float(v), 4) for v in jax.nn.softmax(z)))
      0.4219 0.5571 0.021

    References:
      Ji & Zhu (2020), Eq. 2-3 (the binary case); Hinton, Vinyals & Dean (2015), *Distilling the
      knowledge in a neural network* (softmax distillation).
    """
    z_t = check_array(z_t, "z_t", min_ndim=1)
    y = check_class_targets(y, z_t.shape[-1], "y", sample_ndim=z_t.ndim - 1)
    check_range(soft_ratio, "soft_ratio", low=0.0, high=1.0)
    check_range(temperature, "temperature", low=0.0, low_open=True)
    check_array(temperature, "temperature")
    y = class_probabilities(y, z_t.shape[-1], jnp.result_type(z_t.dtype, float))
    classes = {"z_t": z_t, "y": y}
    if z0 is not None:
        classes["z0"] = check_array(z0, "z0", min_ndim=1)
    cls, (rho, T) = broadcast_classes(classes, {"soft_ratio": soft_ratio, "temperature": temperature})
    return _solve_jit(*cls[:2], rho, T, None if z0 is None else cls[2])
