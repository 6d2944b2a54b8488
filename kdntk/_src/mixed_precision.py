"""Weight norms at float64 accuracy from a float32 factorization: mixed-precision iterative
refinement (Wilkinson 1963; Moler 1967; LAPACK's ``dsposv``; Higham, Accuracy and Stability of
Numerical Algorithms, 2002, Ch. 12).

What can be refined, and what cannot. The all-prefix path ||dw_n||^2 = sum_{i<=n} c_i^2,
c = L^-1 dz (``kdntk._src.solve``), reads every leading factor L[:n, :n] at once: its accuracy is
the factor's, and a factor L32 computed in float32 carries relative errors ~u32 cond (u32 =
2^-24 = 6e-8). Refining one solve corrects one solution x = Theta_n^-1 dz_n, not the factor;
correcting the factor itself needs the residual Theta - L32 L32^T in float64, an O(N^3) product
that costs as much as the float64 factorization. So all N prefixes at float64 accuracy need
float64-level O(N^3) work, and this module offers the quadratic forms at a FEW sample sizes
n_1 < ... < n_S (what a sweep reports), each by its own refined solve:

    L32 = chol(float32(Theta[:n_S, :n_S] / s)),   s = mean(diag Theta) (float32's range),
    x_0 = L32_n^-T L32_n^-1 dz_n / s,             L32_n = L32[:n, :n], the factor of Theta_n / s,
    x_{k+1} = x_k + L32_n^-T L32_n^-1 (dz_n - Theta_n x_k) / s,   residual in float64 (O(n^2)),
    ||dw_n||^2 = dz_n^T x_K.

The error of x_k contracts by rho ~ c u32 cond(H_n) per step (H: Theta with its diagonal scaled to
1, as in ``kdntk._src.conditioning``: Cholesky does not see a diagonal scaling) down to the floor of
a float64 residual, ~eps64 cond; the quadratic form then has float64-level accuracy. The
iteration stops when the relative correction max|d_k| / max|x_k| (worst right-hand side) reaches
eps64, or stops shrinking by half (the floor, or no contraction), or after ``MAX_STEPS`` steps. A
correction that grew is not applied. It has converged when the smallest correction is at most
``TOLERANCE``; otherwise the norms are NaN and ``NumericalError`` is raised (under jit from inside
the program), never a float32-accurate number passed off as float64. A float32 factorization that
fails (cond(H) beyond ~1/u32, or a kernel that is not positive definite) raises ``KernelError``.

Cost: one float32 factorization of the largest size (n_S^3 / 3) and, per size and step, one
float64 product Theta_n x (n^2 per right-hand side) and two float32 triangular solves. Measured
limits and times: docs/solve.md, docs/benchmarks.md.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from kdntk._src.blocked_cholesky import lower_cholesky
from kdntk._src.checks import KernelError, NumericalError, check_rhs, check_square, is_concrete
from kdntk._src.conditioning import Diagnosis, report, report_finite, symmetry
from kdntk._src.inefficiency import check_sample_sizes
from kdntk._src.triangular import cho_solve

__all__ = ["weight_norm_mixed", "MAX_STEPS", "TOLERANCE"]

MAX_STEPS = 30
"""Refinement steps at most per sample size (LAPACK's ``dsposv`` allows 30)."""

TOLERANCE = 1e-8
"""The refinement has converged when its smallest relative correction max|d| / max|x| is at most
this. Measured on ReLU NTKs (docs/solve.md): converged runs end at 1e-12 - 1e-9 (the floor of a
float64 residual, ~eps64 cond(H) / 100), failing ones at 3e-3 - 50; nothing in between."""

_EPS64 = float(np.finfo(np.float64).eps)


def weight_norm_mixed(
    theta: Float[Array, "n n"], dz: Float[Array, "*E n"], *, sample_sizes=None
) -> Float[Array, "*E"] | Float[Array, "*E S"]:
    """||dw_n|| = sqrt(dz[:n]^T Theta[:n, :n]^-1 dz[:n]) at float64 accuracy from a float32
    Cholesky factorization refined in float64 (Eq. 10; module doc).

    For accelerators whose float64 is slow (most GPUs, TPUs): one float32 factorization plus a
    few O(n^2) float64 steps per sample size. Equals ``kdntk.weight_norm_path(theta, dz)[...,
    sample_sizes - 1]`` (float64) to ~1e-12 relative while the kernel with its diagonal scaled to 1
    has cond_1 up to ~1e7, ~1e-10 up to ~4e8; beyond 4e8 - 9e8 the refinement stops converging
    and it raises (measured on ReLU NTKs: docs/solve.md).

    Args:
      theta: one float64 kernel matrix Theta(X, X), shape (N, N) (float64 is the precision of the
        result: its residuals are computed in theta's dtype; use ``jax.vmap`` for a batch).
      dz: logit changes, shape (*E, N); the extra leading axes share the factorization.
      sample_sizes: the n at which to report the norm (1-D, positive integers <= N). Default:
        n = N alone, and the sample axis is dropped (like ``kdntk.weight_norm``).

    Returns:
      Norms of shape (*E, S), or (*E,) without ``sample_sizes``.

    Raises:
      TypeError: theta is not float64.
      KernelError: the float32 factorization failed (theta too ill-conditioned for float32, or not
        positive definite): use ``kdntk.weight_norm_path`` in float64.
      NumericalError: the refinement did not converge to ``TOLERANCE`` (theta too ill-conditioned
        for the mixed path): use ``kdntk.weight_norm_path`` in float64.
      ValueError: shapes that do not match, sample sizes outside [1, N], NaN or inf, an asymmetric
        theta. Under ``jax.jit`` these are raised when the program runs (the norms are then NaN).

    Example:
      >>> import jax, jax.numpy as jnp, kdntk
      >>> with jax.enable_x64(True):   # or jax.config.update("jax_enable_x64", True)
      ...     x = jax.random.normal(jax.random.key(0), (64, 2), jnp.float64)
      ...     theta = kdntk.ntk(kdntk.mlp(3), x)
      ...     dz = jax.random.normal(jax.random.key(1), (64,), jnp.float64)
      ...     norms = kdntk.weight_norm_mixed(theta, dz, sample_sizes=[16, 64])
      ...     exact = kdntk.weight_norm_path(theta, dz)[jnp.array([15, 63])]
      ...     error = float(jnp.max(jnp.abs(norms / exact - 1)))
      >>> error < 1e-12
      True
    """
    theta = check_square(theta, ndim=2)
    if theta.dtype != jnp.float64:
        raise TypeError(f"theta must be float64 for weight_norm_mixed (the refinement computes its "
                        f"residuals in theta's dtype), got {theta.dtype}. Enable float64 with "
                        "jax.config.update('jax_enable_x64', True) and pass theta.astype('float64').")
    dz = check_rhs(dz, theta, "dz")
    n = theta.shape[-1]
    sizes = (n,) if sample_sizes is None else tuple(int(v) for v in check_sample_sizes(sample_sizes))
    if max(sizes) > n:
        raise ValueError(f"sample_sizes must be at most N = {n} (theta is {n} x {n}), got {max(sizes)}.")
    rhs = jnp.moveaxis(dz.reshape(-1, n), 0, -1)                        # (N, R)
    norms, status = _mixed_norms(theta, rhs, sizes)
    _report(*status)
    norms = jnp.moveaxis(norms, -1, 0).reshape(dz.shape[:-1] + (len(sizes),))
    return norms[..., 0] if sample_sizes is None else norms


@functools.partial(jax.jit, static_argnames="sizes")
def _mixed_norms(theta, rhs, sizes):
    """Norms (S, R) at ``sizes`` and the status (finite rhs, asymmetry, factored, error, steps)."""
    top = max(sizes)
    scale = jnp.mean(jnp.diagonal(theta)[:top])
    L = lower_cholesky((theta[:top, :top] / scale).astype(jnp.float32))   # blocked above 12288 rows
    pivots = jnp.diagonal(L)
    factored = jnp.all(jnp.isfinite(pivots) & (pivots > 0))
    L = jnp.where(factored, L, jnp.eye(top, dtype=L.dtype))       # keeps the loop finite; NaN below
    norms, errors, steps = [], [], []
    for n in sizes:
        x, error, k = _refine(theta[:n, :n], L[:n, :n], scale, rhs[:n])
        norms.append(jnp.sqrt(jnp.sum(rhs[:n] * x, axis=0)))
        errors.append(error)
        steps.append(k)
    error, steps = jnp.max(jnp.stack(errors)), jnp.max(jnp.stack(steps))
    converged = factored & (error <= TOLERANCE)
    norms = jnp.where(converged, jnp.stack(norms), jnp.nan)
    asymmetry = symmetry(theta).asymmetry
    return norms, (jnp.all(jnp.isfinite(rhs)), asymmetry, factored, error, steps)


def _refine(theta, L, scale, b):
    """x ~ theta^-1 b (n, R) by float32 solves with L (L L^T ~ theta / scale) and float64
    residuals; the smallest relative correction and the number of steps (module doc)."""
    def solve32(r):
        m = jnp.max(jnp.abs(r), axis=0, keepdims=True)
        m = jnp.where(m > 0, m, 1.0)                                    # each column scaled to 1
        y = cho_solve(L, (r / m).astype(L.dtype))
        return y.astype(theta.dtype) * (m / scale)

    def step(state):
        x, best, k, _ = state
        d = solve32(b - theta @ x)
        top = jnp.max(jnp.abs(x), axis=0)
        size = jnp.max(jnp.max(jnp.abs(d), axis=0) / jnp.where(top > 0, top, 1.0))
        x = jnp.where(size < best, x + d, x)
        stop = (size <= _EPS64) | (size > 0.5 * best)
        return x, jnp.minimum(size, best), k + 1, stop

    state = (solve32(b), jnp.asarray(jnp.inf, theta.dtype), jnp.zeros((), jnp.int32), jnp.zeros((), bool))
    x, best, k, _ = jax.lax.while_loop(lambda s: ~s[3] & (s[2] < MAX_STEPS), step, state)
    return x, best, k


def _check(finite, asymmetry, factored, error, steps):
    # np.all / np.max: under vmap the callback may see one value per batch member
    report_finite(np.all(finite).reshape(1), ("dz",))
    report(Diagnosis(np.True_, np.zeros(()), np.max(asymmetry)), np.float64)    # NaN, inf, asymmetry
    error, steps = np.max(error), np.max(steps)
    if not np.all(factored):
        raise KernelError(
            "theta could not be factored in float32 by weight_norm_mixed: it is not positive definite "
            "or too ill-conditioned for float32 (cond_1 with its diagonal scaled to 1 beyond ~1e9). Use "
            "kdntk.weight_norm_path in float64, or remove near-duplicate inputs.")
    if not error <= TOLERANCE:
        raise NumericalError(
            f"weight_norm_mixed: the float64 refinement of theta's float32 factorization did not converge "
            f"(smallest relative correction {float(error):.2g} after {int(steps)} steps, above "
            f"{TOLERANCE:g}): theta is too ill-conditioned for the mixed-precision path (it converges up "
            "to cond_1 ~ 4e8 with the diagonal scaled to 1; docs/solve.md). Use kdntk.weight_norm_path "
            "in float64.")


def _report(finite, asymmetry, factored, error, steps):
    """``_check`` now (concrete) or when the program runs (traced; the worst of a batch)."""
    status = (jnp.all(finite), jnp.max(asymmetry), jnp.all(factored), jnp.max(error), jnp.max(steps))
    if all(is_concrete(v) for v in (finite, asymmetry, factored, error, steps)):
        _check(*status)
    else:
        jax.debug.callback(_check, *status)
