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

from kdntk._src.checks import check_array, check_last_axis, check_range, check_square
from kdntk._src.conditioning import report, report_finite, symmetry

__all__ = ["gradient_flow", "gradient_flow_predict", "sparsifier", "kernel_eigh", "check_times"]


def sparsifier(eigenvalues: Float[ArrayLike, " k"], t: Float[ArrayLike, "..."]) -> Float[Array, "... k"]:
    """alpha_k(t) = 1 - exp(-lambda_k t): how far gradient flow has fit eigendirection k (Nagarajan et al. 2023, Eq. 3).

    ``t`` broadcasts as leading axes: the result has shape t.shape + eigenvalues.shape.
    ``t = inf`` gives 1 for every positive eigenvalue.

    Raises:
      ValueError: a negative or NaN time or eigenvalue, an infinite or empty eigenvalue array.
    """
    lam = check_array(eigenvalues, "eigenvalues", min_ndim=1)
    check_range(lam, "eigenvalues", low=0.0)
    t = check_times(t, "t", ndim=None, dtype=lam.dtype)
    return _sparsifier(lam, t)


def _sparsifier(lam, t):
    return -jnp.expm1(-t[..., None] * lam.reshape((1,) * t.ndim + lam.shape))


def check_times(t, name: str = "t", *, ndim: int | None = 1, dtype=None):
    """Times t >= 0 (inf allowed: the limit), NaN rejected, as a floating array of rank <= ``ndim``
    (None: any rank), non-empty."""
    check_range(t, name, low=0.0)
    t = check_array(t, name, finite=False, dtype=dtype)
    if ndim is not None and t.ndim > ndim:
        raise ValueError(f"{name} must be a scalar or a 1-D array of times, got shape {t.shape}.")
    return t


@jax.jit
def _eigh_diagnosed(theta):
    lam, V = jnp.linalg.eigh(theta)
    return jnp.clip(lam, 0.0, None), V, symmetry(theta)


def kernel_eigh(theta, name: str = "theta"):
    """(lambda clipped at 0, V) of a symmetric (N, N) kernel, ascending; an asymmetric or
    non-finite kernel raises a ValueError naming it (checked inside the program: O(N^2) reads,
    a few scalars back; under a user's jit when it runs)."""
    theta = check_square(theta, name, ndim=2)
    lam, V, diagnosis = _eigh_diagnosed(theta)
    report(diagnosis, theta.dtype, what=name)
    return lam, V


def _check_y(y, V):
    return check_last_axis(check_array(y, "y", ndim=1, dtype=V.dtype), "y", V.shape[0],
                           f"theta {V.shape}")


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
    t = check_times(t)
    lam, V = kernel_eigh(theta)
    return _flow(lam, V, _check_y(y, V), t.astype(V.dtype))


@jax.jit
def _flow(lam, V, y, t):
    alpha = _sparsifier(lam, t)
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
    t = check_times(t)
    lam, V = kernel_eigh(theta)
    kxX = check_array(theta_test_train, "theta_test_train", ndim=2, dtype=V.dtype, finite=False)
    check_last_axis(kxX, "theta_test_train", V.shape[0], f"theta {V.shape}")
    out, finite = _flow_predict(lam, V, kxX, _check_y(y, V), t.astype(V.dtype))
    report_finite(finite, ("theta_test_train",))
    return out


@jax.jit
def _flow_predict(lam, V, kxX, y, t):
    out = _predict_flow(lam, V, kxX, y, t)
    return out, jnp.all(jnp.isfinite(kxX))[None]


def _predict_flow(lam, V, kxX, y, t):
    alpha = _sparsifier(lam, t)
    pos = jnp.broadcast_to(lam > 0, alpha.shape)
    safe = jnp.where(pos, jnp.broadcast_to(lam, alpha.shape), 1.0)
    gain = jnp.where(pos, alpha / safe, jnp.broadcast_to(t[..., None], alpha.shape))
    return (gain * jnp.broadcast_to(V.T @ y, gain.shape)) @ (kxX @ V).T
