"""Closed-form gradient flow of kernel regression on squared loss (Ji & Zhu 2020, supplement S1; Nagarajan et al. 2023, Eq. 3).

Training f on the training inputs by gradient flow df/dt = -Theta (f - y) from f(0) = 0 (the
learning rate folded into t) gives

    f_t(X) = (I - exp(-t Theta)) y = V diag(1 - exp(-t lambda)) V^T y,
    f_t(x) = Theta(x, X) Theta^-1 f_t(X) = Theta(x, X) V diag((1 - exp(-t lambda)) / lambda) V^T y,

from one eigendecomposition Theta = V diag(lambda) V^T, for any number of stopping times t.
It is the analytic stand-in for a teacher stopped at time t (t = inf: kernel interpolation).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from kdntk._src.checks import check_range

__all__ = ["gradient_flow", "gradient_flow_predict", "sparsifier"]


def sparsifier(eigenvalues: Float[ArrayLike, " k"], t: Float[ArrayLike, "..."]) -> Float[Array, "... k"]:
    """alpha_k(t) = 1 - exp(-lambda_k t): how far gradient flow has fit eigendirection k (Nagarajan et al. 2023, Eq. 3).

    ``t`` broadcasts as leading axes: the result has shape t.shape + eigenvalues.shape.
    ``t = inf`` gives 1 for every positive eigenvalue.
    """
    lam = jnp.asarray(eigenvalues)
    t = jnp.asarray(t, lam.dtype if jnp.issubdtype(lam.dtype, jnp.floating) else None)
    return -jnp.expm1(-t[..., None] * lam.reshape((1,) * t.ndim + lam.shape))


def _eigh(theta):
    theta = jnp.asarray(theta)
    if theta.ndim != 2 or theta.shape[0] != theta.shape[1]:
        raise ValueError(f"theta must be a square (N, N) matrix, got shape {theta.shape}.")
    lam, V = jnp.linalg.eigh(theta)
    return jnp.clip(lam, 0.0, None), V


def _check_t(t):
    check_range(t, "t", low=0.0)
    t = jnp.asarray(t)
    if t.ndim > 1:
        raise ValueError(f"t must be a scalar or a 1-D array of stopping times, got shape {t.shape}.")
    return t


def gradient_flow(
    theta: Float[ArrayLike, "n n"], y: Float[ArrayLike, "n"], t: Float[ArrayLike, "*T"]
) -> Float[Array, "*T n"]:
    """f_t(X) = (I - exp(-t Theta)) y on the training inputs, for a scalar or 1-D ``t``.

    Args:
      theta: kernel Theta(X, X), (N, N), symmetric positive semi-definite.
      y: regression targets on X, shape (N,).
      t: stopping time(s) >= 0 (learning rate folded in); 1-D gives a leading axis len(t).

    Returns:
      Shape (N,) for scalar t, (len(t), N) for 1-D t.

    Example:
      >>> import kdntk, jax.numpy as jnp
      >>> print(*kdntk.gradient_flow(jnp.eye(2), jnp.array([1.0, -1.0]), jnp.inf).tolist())
      1.0 -1.0
    """
    t = _check_t(t)
    lam, V = _eigh(theta)
    return _flow(lam, V, jnp.asarray(y, V.dtype), t.astype(V.dtype))


@jax.jit
def _flow(lam, V, y, t):
    alpha = sparsifier(lam, t)
    return (alpha * jnp.broadcast_to(V.T @ y, alpha.shape)) @ V.T


def gradient_flow_predict(
    theta_test_train: Float[ArrayLike, "m n"],
    theta: Float[ArrayLike, "n n"],
    y: Float[ArrayLike, "n"],
    t: Float[ArrayLike, "*T"],
) -> Float[Array, "*T m"]:
    """f_t(x) = Theta(x, X) Theta^-1 f_t(X) on new inputs, for a scalar or 1-D ``t``.

    The factor (1 - exp(-t lambda)) / lambda is evaluated as t for lambda -> 0, so a singular
    Theta is fine at finite t. ``t = inf`` is kernel interpolation (needs Theta > 0).
    """
    t = _check_t(t)
    lam, V = _eigh(theta)
    kxX = jnp.asarray(theta_test_train, V.dtype)
    if kxX.ndim != 2 or kxX.shape[1] != V.shape[0]:
        raise ValueError(f"theta_test_train must have shape (M, {V.shape[0]}), got {kxX.shape}.")
    return _flow_predict(lam, V, kxX, jnp.asarray(y, V.dtype), t.astype(V.dtype))


@jax.jit
def _flow_predict(lam, V, kxX, y, t):
    alpha = sparsifier(lam, t)
    pos = jnp.broadcast_to(lam > 0, alpha.shape)
    safe = jnp.where(pos, jnp.broadcast_to(lam, alpha.shape), 1.0)
    gain = jnp.where(pos, alpha / safe, jnp.broadcast_to(t[..., None], alpha.shape))
    return (gain * jnp.broadcast_to(V.T @ y, gain.shape)) @ (kxX @ V).T
