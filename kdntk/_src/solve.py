"""Linearized-student solves from one Cholesky factorization of the kernel (Ji & Zhu 2020, Eq. 4, 5, 9-11).

For a kernel Theta = Theta(X, X) = phi(X)^T phi(X) and logit changes dz = z - z0, the converged
weight change of the linearized student is dw = phi(X) Theta^-1 dz (Eq. 4) and

    ||dw||^2 = dz^T Theta^-1 dz,    <dw_a, dw_b> = a^T Theta^-1 b =: <a, b>_Theta.

All-prefix norms. With Theta = L L^T (Cholesky), the leading block Theta[:n, :n] = L[:n, :n]
L[:n, :n]^T, and c = L^-1 dz satisfies c[:n] = L[:n, :n]^-1 dz[:n] because L is lower
triangular. Hence ||dw_n||^2 = sum_{i<n} c_i^2 for every n = 1..N from ONE O(N^3/3)
factorization and one O(N^2) triangular solve per right-hand side: the norms of Definition 1
for all nested sample sizes at once.
"""

from __future__ import annotations

import functools
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from kdntk._src.blocked_cholesky import lower_cholesky
from kdntk._src.checks import (
    PrecisionWarning,
    check_array,
    check_broadcast,
    check_rhs,
    check_square,
    check_range,
    is_concrete,
)
from kdntk._src.conditioning import diagnose, factor_defect, report, report_factor, report_finite
from kdntk._src.triangular import cho_solve, solve_lower

__all__ = [
    "cholesky",
    "weight_norm",
    "weight_norm_path",
    "weight_norm_path_from_cholesky",
    "theta_inner",
    "theta_cosine",
    "theta_angle",
    "predict",
    "cholesky_factor",
    "factor_and_diagnose",
    "norm_path",
]


@jax.jit
def cholesky_factor(theta, jitter):
    """Lower Cholesky factor of theta + jitter * mean(diag theta) * I, unchecked (NaN on failure)."""
    diag = jnp.diagonal(theta, axis1=-2, axis2=-1)
    scale = jnp.mean(diag, axis=-1, keepdims=True)
    idx = jnp.arange(theta.shape[-1])
    theta = theta.at[..., idx, idx].set(diag + jitter * scale)
    # LAPACK reads the lower triangle only: no symmetrizing pass (theta + theta^T) / 2 and no
    # dense jitter matrix, two O(N^2) sweeps that cost 10-30 % of the factorization at N = 1024.
    # Above 12288 rows in blocks: OpenBLAS's threaded potrf crashes near N = 16000 (blocked_cholesky).
    return lower_cholesky(theta)


def cholesky(
    theta: Float[Array, "... n n"], *, jitter: float = 0.0
) -> Float[Array, "... n n"]:
    """Lower Cholesky factor L of ``theta`` (L L^T = theta), checked for positive definiteness.

    Args:
      theta: symmetric positive-definite kernel matrices, shape (..., N, N).
      jitter: if > 0, factor theta + jitter * mean(diag theta) * I instead, and warn with the
        absolute size added. Off by default: a kernel that is not positive definite is an error.

    Raises:
      KernelError: (a ValueError) the factorization failed (NaN), e.g. duplicate inputs make
        Theta singular. The message suggests removing duplicates or passing ``jitter``.

    Warns:
      PrecisionWarning: the estimated condition number cond_1(theta) times the machine epsilon
        exceeds 1e-3: solves with this factor may be wrong beyond their third digit
        (``kdntk._src.conditioning``); also when ``jitter`` was added.

    Raises:
      ValueError: theta is not symmetric, or contains NaN or inf.

    Under ``jax.jit``/``vmap`` the same conditions are reported when the program runs: the errors
    as ``jax.errors.JaxRuntimeError`` carrying the message, the warning as a warning.

    Example:
      >>> import jax.numpy as jnp, kdntk
      >>> kdntk.cholesky(jnp.array([[4.0, 2.0], [2.0, 5.0]])).tolist()
      [[2.0, 0.0], [1.0, 2.0]]
    """
    theta = check_square(theta)
    check_range(jitter, "jitter", low=0.0, finite=True)
    L, diagnosis = factor_and_diagnose(theta, jnp.asarray(jitter, theta.dtype))
    if is_concrete(jitter) and jitter > 0 and is_concrete(theta):
        scale = np.asarray(jnp.mean(jnp.diagonal(theta, axis1=-2, axis2=-1), axis=-1))
        warnings.warn(
            f"cholesky: added jitter {jitter:g} x mean(diag) = {np.max(jitter * scale):.3g} to the "
            "diagonal of theta.",
            PrecisionWarning,
            stacklevel=2,
        )
    report(diagnosis, theta.dtype)
    return L


@jax.jit
def factor_and_diagnose(theta, jitter):
    """The lower Cholesky factor of theta + jitter mean(diag) I and its ``Diagnosis``, one program."""
    L = cholesky_factor(theta, jitter)
    return L, diagnose(theta, L)


def weight_norm_path_from_cholesky(
    L: Float[Array, "*B n n"], dz: Float[Array, "*E *B n"]
) -> Float[Array, "*E *B n"]:
    """All-prefix norms ||dw_n|| (n = 1..N) from a Cholesky factor L of Theta; see module doc.

    ``dz`` may carry extra leading axes *E (soft ratios, temperatures, teacher epochs, ...) that
    all share the factorization: each costs one O(N^2) triangular solve.

    Raises:
      ValueError: ``L`` is not a lower Cholesky factor: an upper factor (scipy.linalg.cholesky's
        default; recognized by its first row or last column above the diagonal), a diagonal entry
        that is not positive, NaN or inf; checked inside the solve's program (O(N) reads, one int
        back with the norms). Shapes that do not match; NaN or inf in ``dz``.
    """
    L = check_square(L, "L")
    dz = _check_path_rhs(dz, L, "dz", "L")
    norms, defect = _checked_norm_path(L, dz)
    report_factor(defect, what="L")
    return norms


def _check_path_rhs(dz, theta, name, against):
    """dz (*E, *B, N) for kernels or factors (*B, N, N)."""
    dz = check_rhs(dz, theta, name)
    if dz.shape[dz.ndim - theta.ndim + 1:] != theta.shape[:-1] or dz.ndim < theta.ndim - 1:
        raise ValueError(
            f"{name} must have shape (*E, {', '.join(map(str, theta.shape[:-1]))}) to match {against} "
            f"{theta.shape}, got {dz.shape}."
        )
    return dz


@jax.jit
def _checked_norm_path(L, dz):
    norms = norm_path(L, dz, row_major=True)   # L is this program's argument
    return norms, factor_defect(L, norms)


@functools.partial(jax.jit, static_argnames="row_major")
def norm_path(L, dz, *, row_major=False):
    """[`weight_norm_path_from_cholesky`][kdntk.weight_norm_path_from_cholesky] without checks
    (traceable; the sweeps call it inside their programs). ``row_major``: L is an argument of the
    program, not computed in it (kdntk/_src/triangular.py)."""
    batch = L.shape[:-2]
    extra = dz.shape[: dz.ndim - 1 - len(batch)]
    n = L.shape[-1]
    # (*E, *B, N) -> (*B, N, prod E): one triangular solve with many columns.
    rhs = dz.reshape((-1,) + batch + (n,))
    rhs = jnp.moveaxis(rhs, 0, -1)
    c = solve_lower(L, rhs, row_major=row_major)
    norms = jnp.sqrt(jnp.cumsum(c * c, axis=-2))
    return jnp.moveaxis(norms, -1, 0).reshape(extra + batch + (n,))


def weight_norm_path(
    theta: Float[Array, "*B n n"], dz: Float[Array, "*E *B n"]
) -> Float[Array, "*E *B n"]:
    """||dw_n|| = sqrt(dz[:n]^T Theta[:n, :n]^-1 dz[:n]) for every prefix n = 1..N (Eq. 10).

    One Cholesky factorization of the N x N matrix serves every prefix and every right-hand side:
    O(N^3 / 3 + N^2) in total instead of N separate solves (O(N^4 / 12)).

    Args:
      theta: kernel matrices Theta(X, X), shape (*B, N, N); the row order defines the nested
        training sets {x_1..x_n}.
      dz: logit changes z - z0 of shape (*B, N), or (*E, *B, N) where the extra leading axes
        share theta's factorization.

    Returns:
      Norms of shape (*E, *B, N); entry [..., n - 1] is ||dw_n||.

    Raises:
      KernelError: theta is not numerically positive definite (concrete inputs).

    Example:
      >>> import kdntk, jax.numpy as jnp
      >>> norms = kdntk.weight_norm_path(jnp.eye(3) * 4.0, jnp.array([2.0, 0.0, 2.0]))
      >>> print(*[round(float(v), 4) for v in norms])
      1.0 1.0 1.4142
    """
    theta = check_square(theta)
    dz = _check_path_rhs(dz, theta, "dz", "theta")
    norms, diagnosis = _factor_norm_path(theta, dz)
    report(diagnosis, theta.dtype)
    return norms


@jax.jit
def _factor_norm_path(theta, dz):
    """Factorization and all-prefix norms in ONE program: no second dispatch, and L never leaves
    it (measured at N = 2048 on 2 CPU cores: 0.14 s vs 0.23 s for two programs; docs/benchmarks.md)."""
    L = cholesky_factor(theta, jnp.zeros((), theta.dtype))
    return norm_path(L, dz), diagnose(theta, L)


def theta_inner(
    theta: Float[Array, "n n"], a: Float[Array, "... n"], b: Float[Array, "... n"]
) -> Float[Array, "..."]:
    """<a, b>_Theta = a^T Theta^-1 b, the inner product of dw_a and dw_b (Eq. 11, Thm 2).

    Equivalent to ``a @ scipy.linalg.solve(theta, b, assume_a='pos')``; the leading axes of
    ``a`` (..., N) and ``b`` (..., N) broadcast against each other.
    """
    return _inner_products(theta, a, b)[0]


def _inner_products(theta, a, b):
    """(<a, b>, <a, a>, <b, b>)_Theta from one factorization, after checking the arguments."""
    theta = check_square(theta)
    if theta.ndim != 2:
        raise ValueError(f"theta must be a single (N, N) matrix, got shape {theta.shape}.")
    a, b = jnp.broadcast_arrays(check_rhs(a, theta, "a"), check_rhs(b, theta, "b"))
    *inner, diagnosis = _factor_inner(theta, a, b)
    report(diagnosis, theta.dtype, stacklevel=5)   # warn at the caller of theta_inner/cosine
    return inner


@jax.jit
def _factor_inner(theta, a, b):
    L = cholesky_factor(theta, jnp.zeros((), theta.dtype))
    ca = solve_lower(L, jnp.moveaxis(a.reshape(-1, a.shape[-1]), 0, -1))
    cb = solve_lower(L, jnp.moveaxis(b.reshape(-1, b.shape[-1]), 0, -1))
    inner = [jnp.sum(u * v, axis=0).reshape(a.shape[:-1]) for u, v in ((ca, cb), (ca, ca), (cb, cb))]
    return (*inner, diagnose(theta, L))


def theta_cosine(theta, a, b) -> Array:
    """cos alpha(dw_a, dw_b) = <a, b>_Theta / sqrt(<a, a>_Theta <b, b>_Theta) (Eq. 9, 11)."""
    ab, aa, bb = _inner_products(theta, a, b)
    return ab / jnp.sqrt(aa * bb)


def theta_angle(theta, a, b) -> Array:
    """Angle alpha(dw_a, dw_b) in [0, pi] between the weight changes of logit changes a and b."""
    return jnp.arccos(jnp.clip(theta_cosine(theta, a, b), -1.0, 1.0))


def weight_norm(theta: Float[Array, "*B n n"], dz: Float[Array, "*E *B n"]) -> Array:
    """||dw|| = sqrt(dz^T Theta^-1 dz), the norm of the converged weight change (Eq. 4, 10)."""
    return weight_norm_path(theta, dz)[..., -1]


def predict(
    theta_test_train: Float[Array, "m n"],
    theta: Float[Array, "n n"],
    dz: Float[Array, "... n"],
    z0_test: Float[Array, "... m"] | float = 0.0,
) -> Float[Array, "... m"]:
    """Logits of the converged linearized student on new inputs (Ji & Zhu 2020, Eq. 4, S3):

        f(x) = f(x; w0) + Theta(x, X) Theta^-1 dz.

    Args:
      theta_test_train: Theta(x_test, X), shape (M, N).
      theta: Theta(X, X), shape (N, N).
      dz: logit changes on the training inputs, shape (..., N).
      z0_test: the student's initial logits on the test inputs, broadcastable to (..., M).

    Returns:
      Test logits, shape (..., M).

    Raises:
      ValueError: shapes that do not match; NaN or inf in an argument (``theta_test_train`` is
        checked inside the solve's program: only a flag comes back).
      KernelError: theta is not numerically positive definite.
    """
    theta = check_square(theta, ndim=2)
    theta_test_train = check_array(theta_test_train, "theta_test_train", ndim=2, dtype=theta.dtype,
                                   finite=False)
    if theta_test_train.shape[1] != theta.shape[-1]:
        raise ValueError(
            f"theta_test_train must have shape (M, {theta.shape[-1]}) to match theta {theta.shape}, "
            f"got {theta_test_train.shape}."
        )
    dz = check_rhs(dz, theta, "dz")
    shape = dz.shape[:-1] + (theta_test_train.shape[0],)
    z0_test = check_broadcast(check_array(z0_test, "z0_test", dtype=theta.dtype), "z0_test", shape,
                              f"dz {dz.shape} and theta_test_train {theta_test_train.shape}")
    logits, finite, diagnosis = _factor_predict(theta, theta_test_train, dz)
    report_finite(finite, ("theta_test_train",))
    report(diagnosis, theta.dtype)
    return logits + z0_test


@jax.jit
def _factor_predict(theta, kxX, dz):
    L = cholesky_factor(theta, jnp.zeros((), theta.dtype))
    alpha = cho_solve(L, jnp.moveaxis(dz.reshape(-1, dz.shape[-1]), 0, -1))
    logits = jnp.moveaxis(kxX @ alpha, -1, 0).reshape(dz.shape[:-1] + (kxX.shape[0],))
    return logits, jnp.all(jnp.isfinite(kxX))[None], diagnose(theta, L)
