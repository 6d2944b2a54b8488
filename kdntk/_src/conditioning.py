"""How far a kernel solve can be trusted: a diagnosis computed inside the solve's own program,
reported on the host (or, under a user's jit, from inside the compiled program).

A Cholesky solve is backward stable, componentwise: the computed quadratic form
dz^T Theta^-1 dz is exact for a kernel Theta + E with |E| <= c N eps |L| |L^T| (Higham, Accuracy
and Stability of Numerical Algorithms, 2002, Thm 10.3-10.4), and a kernel computed in floating
point carries the same kind of error, |E_ij| <= eps |Theta_ij| <= eps sqrt(Theta_ii Theta_jj).
Such an E is D^1/2 F D^1/2 with D = diag(Theta) and ||F|| of order N eps, so the relative error
of the quadratic form (and of the solve, in the D^1/2 norm) is at most about

    eps cond(H),    H = D^-1/2 Theta D^-1/2   (Theta equilibrated to a unit diagonal),

which is never much above eps cond(Theta) and often far below it: Cholesky does not see a
diagonal scaling (van der Sluis 1969; Demmel 1989). The ReLU NTK of inputs of very different
norms has a diagonal spread over orders of magnitude that costs nothing. kdntk estimates
cond_1(H) = ||H||_1 ||H^-1||_1 with Hager's estimator of ||H^-1||_1 as refined by Higham (1988;
LAPACK's ?pocon), from the factor L (H^-1 = D^1/2 L^-T L^-1 D^1/2) at O(N^2) per step (two
triangular solves), a few steps. The factor's pivots L_ii^2 alone do not suffice: each is
>= lambda_min, so min/max pivot ratios can miss a condition number of 1e7 by orders of magnitude.
Measured (tests/test_precision.py): float32 ReLU NTKs of x = 0.1 randn(256, 2) have
cond_1(H) ~ 4e6 and float32 norms 4-20 % off; x = 5 randn(64, 2) has cond_1(H) ~ 5e3 and errors
~1e-4.

The diagnosis also carries whether the factorization succeeded and how far Theta is from
symmetric: LAPACK reads only its lower triangle, so an asymmetric kernel, or NaN above the
diagonal, would otherwise pass silently.
"""

from __future__ import annotations

import functools
import warnings
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from kdntk._src.checks import KernelError, PrecisionWarning, is_concrete
from kdntk._src.triangular import cho_solve

__all__ = ["Diagnosis", "diagnose", "symmetry", "report", "report_trials", "inverse_norm1", "factor_defect",
           "report_factor", "report_finite", "PRECISION_TOLERANCE", "SYMMETRY_TOLERANCE"]

PRECISION_TOLERANCE = 1e-3
"""A PrecisionWarning is issued when cond_1(H) * eps (H: Theta equilibrated to a unit diagonal),
the relative error bound of a solve (up to a modest factor), exceeds this: solves may be wrong in
their third digit or worse."""

SYMMETRY_TOLERANCE = 1e3
"""Theta is rejected as asymmetric when max|Theta - Theta^T| > SYMMETRY_TOLERANCE * eps *
max|Theta| (rounding of a symmetric kernel computed in either order stays far below this)."""

_STEPS = 5   # Hager's iteration converges in 2-3 steps in practice; LAPACK allows 5


class Diagnosis(NamedTuple):
    """Scalars per kernel (shape (*B,) for a batch of kernels), computed where theta and L live.

    Attributes:
      factored: the factorization succeeded (every pivot finite and positive).
      condition: estimated cond_1(H), H = D^-1/2 Theta D^-1/2 with D = diag(Theta): the condition
        that bounds a Cholesky solve's relative error (module doc); inf when the factorization failed.
      asymmetry: max|Theta - Theta^T| / max|Theta| (NaN or inf anywhere in Theta gives NaN).
    """

    factored: jax.Array
    condition: jax.Array
    asymmetry: jax.Array


def inverse_norm1(L, scale=None):
    """Estimate of ||Theta^-1||_1 from the lower Cholesky factor L of one (N, N) Theta (traced);
    with ``scale`` = s (N,), of ||S Theta^-1 S||_1, S = diag(s).

    Hager (1984) with Higham's (1988) extra test vector; a lower bound, in practice within a
    factor of ~3 of the truth.
    """
    n = L.shape[-1]
    dtype = L.dtype

    def solve(v):   # v: (N,) or (N, k)
        if scale is None:
            return cho_solve(L, v)
        s = scale.reshape((n,) + (1,) * (v.ndim - 1))
        return s * cho_solve(L, s * v)

    def step(x, y, est, k):
        z = solve(jnp.where(y >= 0, 1.0, -1.0).astype(dtype))
        j = jnp.argmax(jnp.abs(z))
        done = (jnp.abs(z[j]) <= z @ x) | (k > 0) & (jnp.sum(jnp.abs(y)) <= est)
        return jax.nn.one_hot(j, n, dtype=dtype), jnp.maximum(est, jnp.sum(jnp.abs(y))), done, k + 1

    # The first step's y = H^-1 x0 and Higham's extra vector are solved together: at large N a
    # solve reads all of L from memory, and two right-hand sides cost about what one does.
    x0 = jnp.full((n,), 1.0 / n, dtype)
    alt = ((-1.0) ** jnp.arange(n) * (1.0 + jnp.arange(n) / max(n - 1, 1))).astype(dtype)
    y0, y_alt = solve(jnp.stack([x0, alt], axis=1)).T
    state = step(x0, y0, jnp.zeros((), dtype), jnp.zeros((), jnp.int32))
    _, est, _, _ = jax.lax.while_loop(lambda s: ~s[2] & (s[3] < _STEPS),
                                      lambda s: step(s[0], solve(s[0]), s[1], s[3]), state)
    return jnp.maximum(est, 2.0 * jnp.sum(jnp.abs(y_alt)) / (3.0 * n))


def _diagnose_one(theta, L, check_symmetry=True):
    pivots = jnp.diagonal(L)
    factored = jnp.all(jnp.isfinite(pivots) & (pivots > 0))
    # D^1/2 from the factor's rows (diag(L L^T), the matrix factored, jitter included), and the
    # equilibrated H = D^-1/2 Theta D^-1/2: ||H||_1 from theta, ||H^-1||_1 from L. A failed
    # factor (NaN) makes the estimate NaN after at most _STEPS steps; it is replaced by inf (not
    # by estimating from a substitute factor: jnp.where(factored, L, I) would copy L, measured
    # 0.11 s of a 0.34 s diagnosis at N = 4096).
    d = jnp.where(factored, jnp.sqrt(jnp.sum(L * L, axis=1)), 1.0)
    # ||H||_1 = ||H||_inf for a symmetric H: row sums, contiguous in memory (column sums took
    # 4x as long at N = 8192).
    norm1 = jnp.max(jnp.sum(jnp.abs(theta) / d[None, :], axis=1) / d)
    condition = jnp.where(factored, norm1 * inverse_norm1(L, d), jnp.inf)
    if not check_symmetry:
        return Diagnosis(factored, condition, jnp.zeros((), theta.dtype))
    scale = jnp.max(jnp.abs(theta))
    asymmetry = jnp.max(jnp.abs(theta - theta.T)) / jnp.where(scale > 0, scale, 1.0)
    asymmetry = jnp.where(jnp.all(jnp.isfinite(theta)), asymmetry, jnp.nan)
    return Diagnosis(factored, condition, asymmetry)


def symmetry(theta) -> Diagnosis:
    """The ``Diagnosis`` of a kernel that is not factored (eigendecompositions): symmetry and
    NaN/inf only (traced, O(N^2)); ``report`` then raises for an asymmetric or non-finite theta."""
    scale = jnp.max(jnp.abs(theta))
    asymmetry = jnp.max(jnp.abs(theta - jnp.swapaxes(theta, -1, -2))) / jnp.where(scale > 0, scale, 1.0)
    asymmetry = jnp.where(jnp.all(jnp.isfinite(theta)), asymmetry, jnp.nan)
    return Diagnosis(jnp.ones((), bool), jnp.zeros((), theta.dtype), asymmetry)


def diagnose(theta, L, *, check_symmetry: bool = True) -> Diagnosis:
    """The ``Diagnosis`` of kernels theta (*B, N, N) and their factors L (traced, O(N^2)).

    ``check_symmetry=False`` skips the O(N^2) symmetry pass (for kernels kdntk computed itself,
    symmetric by construction)."""
    batch = theta.shape[:-2]
    one = functools.partial(_diagnose_one, check_symmetry=check_symmetry)
    if np.prod(batch, dtype=int) == 1:
        flat = one(theta.reshape(theta.shape[-2:]), L.reshape(L.shape[-2:]))
    else:   # one kernel at a time: under vmap, the estimator's loop would copy every L per step
        flat = jax.lax.map(lambda a: one(*a), (theta.reshape((-1,) + theta.shape[-2:]),
                                               L.reshape((-1,) + L.shape[-2:])))
    return Diagnosis(*(jnp.reshape(v, batch) for v in flat))


def _failure_message(what):
    return (f"{what} is not numerically positive definite (its Cholesky factorization failed). "
            "Common causes: duplicate or near-duplicate inputs, or float32 precision; remove "
            "duplicates, use float64 (jax.config.update('jax_enable_x64', True)), or pass an "
            "explicit jitter=... to kdntk.cholesky.")


def _asymmetry_message(what, asymmetry):
    return (f"{what} is not symmetric (max abs(theta - theta^T) / max abs(theta) = {asymmetry:.3g}): the "
            "solves read only its lower triangle. Pass a symmetric kernel, e.g. (theta + theta.T) / 2.")


def _precision_message(what, condition, dtype):
    eps = float(np.finfo(dtype).eps)
    return (f"{what} is ill-conditioned for {np.dtype(dtype).name}: estimated cond_1 = "
            f"{condition:.3g} (with its diagonal scaled to 1), so solves may carry relative errors up "
            f"to ~{condition * eps:.1g} (cond x eps). Use float64 (jax.config.update('jax_enable_x64', True) or "
            f"dtype=jnp.float64), or remove near-duplicate inputs.")


def _check(factored, condition, asymmetry, *, what, dtype, stacklevel):
    factored, condition, asymmetry = (np.asarray(v) for v in (factored, condition, asymmetry))
    eps = np.finfo(dtype).eps
    if np.any(np.isnan(asymmetry)):
        raise ValueError(f"{what} contains NaN or inf; kernels must be finite.")
    if np.any(asymmetry > SYMMETRY_TOLERANCE * eps):
        raise ValueError(_asymmetry_message(what, float(np.max(asymmetry))))
    if not np.all(factored):
        raise KernelError(_failure_message(what))
    worst = float(np.max(condition, initial=0.0))
    if worst * eps > PRECISION_TOLERANCE:
        warnings.warn(_precision_message(what, worst, dtype), PrecisionWarning, stacklevel=stacklevel)


def report(diagnosis: Diagnosis, dtype, *, what: str = "theta", stacklevel: int = 4) -> None:
    """Act on a ``Diagnosis``: ValueError for an asymmetric kernel, KernelError for a failed
    factorization, PrecisionWarning when cond * eps > ``PRECISION_TOLERANCE``.

    Concrete diagnoses are checked now, on the host (a few scalars: no extra transfer). Traced
    ones (inside a user's jit or vmap) are checked when the compiled program runs, by a host
    callback: the error then surfaces as a ``jax.errors.JaxRuntimeError`` carrying the message,
    and the warning as a Python warning (docs/errors.md).
    """
    check = functools.partial(_check, what=what, dtype=np.dtype(dtype), stacklevel=stacklevel)
    if all(is_concrete(v) for v in diagnosis):
        check(*diagnosis)
    else:
        # One scalar triple per call, however the call is batched: the worst case of the batch.
        jax.debug.callback(functools.partial(check, stacklevel=2), jnp.all(diagnosis.factored),
                           jnp.max(diagnosis.condition), jnp.max(diagnosis.asymmetry))


def factor_defect(L, result):
    """Why ``L`` (*B, N, N), given by a user, is not a lower Cholesky factor, from what a solve with
    it returned (``result``): an int32 scalar, 0 if nothing is wrong, 1 for a NaN or inf result (NaN
    or inf in L or the right-hand side), 2 for a non-zero entry above the diagonal in L's first row
    or last column (an upper factor, as scipy.linalg.cholesky returns by default: its first row is
    theta's first column over sqrt(theta_00), non-zero unless theta's first row and last column
    vanish off the diagonal), 3 for a diagonal entry that is not positive and finite.

    O(N) reads inside the solve's own program (a full O(N^2) pass over the triangle cost 60 % of a
    one-right-hand-side solve at N = 2048; benchmarks/bench_validation.py); the code travels back
    with the result."""
    upper = jnp.any(L[..., 0, 1:] != 0) | jnp.any(L[..., :-1, -1] != 0)
    diag = jnp.diagonal(L, axis1=-2, axis2=-1)
    positive = jnp.all((diag > 0) & jnp.isfinite(diag))
    finite = jnp.all(jnp.isfinite(result))
    return jnp.where(upper, 2, jnp.where(~positive, 3, jnp.where(~finite, 1, 0))).astype(jnp.int32)


_FACTOR_MESSAGES = {
    1: "the solve with {what} returned NaN or inf: {what} (or the right-hand side) contains NaN or inf.",
    2: ("{what} must be a LOWER triangular Cholesky factor (kdntk.cholesky, numpy.linalg.cholesky, or "
        "scipy.linalg.cholesky(theta, lower=True)); it has non-zero entries above the diagonal. "
        "scipy.linalg.cholesky returns the upper factor by default: pass its transpose."),
    3: ("{what} is not a Cholesky factor: its diagonal must be positive and finite. Factor the kernel with "
        "kdntk.cholesky(theta)."),
}


def _check_factor(code, *, what):
    code = int(np.max(np.asarray(code)))
    if code:
        raise ValueError(_FACTOR_MESSAGES[code].format(what=what))


def report_factor(code, *, what: str = "L") -> None:
    """Act on ``factor_defect``: a ValueError naming ``what``, now (concrete) or when the compiled
    program runs (traced; surfaces as a ``jax.errors.JaxRuntimeError`` carrying the message)."""
    if is_concrete(code):
        _check_factor(code, what=what)
    else:
        jax.debug.callback(functools.partial(_check_factor, what=what), jnp.max(code))


def _check_finite(flags, *, names):
    bad = [name for name, ok in zip(names, np.asarray(flags).reshape(-1)) if not ok]
    if bad:
        raise ValueError(f"{' and '.join(bad)} contain{'s' if len(bad) == 1 else ''} NaN or inf; "
                         "remove or replace those entries.")


def report_finite(flags, names) -> None:
    """``flags`` (traced booleans, one per argument, all(isfinite(x)) computed inside a solve's own
    program) as a ValueError naming the arguments that hold NaN or inf: on the host for concrete
    flags (they come back with the results, no extra transfer of the arrays), from inside the
    program under a user's jit."""
    names = tuple(names)
    if is_concrete(flags):
        _check_finite(flags, names=names)
    else:
        jax.debug.callback(functools.partial(_check_finite, names=names), flags)


def report_trials(condition, dtype, *, what: str) -> None:
    """PrecisionWarning naming the trials of a sweep whose kernels are ill-conditioned for
    ``dtype`` (estimated cond_1 per trial, shape (K,), numpy)."""
    condition = np.asarray(condition)
    eps = float(np.finfo(dtype).eps)
    bad = np.flatnonzero(condition * eps > PRECISION_TOLERANCE)
    if bad.size:
        warnings.warn(
            f"{what}: the kernels of {bad.size} of {condition.size} trials (e.g. {bad[:8].tolist()}) "
            f"are ill-conditioned for {np.dtype(dtype).name}: estimated cond_1 up to "
            f"{condition.max():.3g}, so their norms may carry relative errors up to "
            f"~{condition.max() * eps:.1g}. Use dtype=jnp.float64, or inputs without near-duplicates.",
            PrecisionWarning, stacklevel=4)
