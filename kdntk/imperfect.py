"""The imperfect teacher: hard labels correct the student's direction (000 Sec. 5, Thm 2; 003 S7).

With ground-truth, teacher and student logit changes dz_g, dz_t, dz_s = z_eff - z0 on the n
training points, the cosine between the student's and the oracle's (projected) weight changes is

    cos alpha(dw, dw_g) = <dz_g, dz_s>_Theta / sqrt(<dz_g, dz_g>_Theta <dz_s, dz_s>_Theta)   (Eq. 11)

Near pure soft distillation z_eff ~= z_t + (1 - rho) delta z_h (delta z_h:
:func:`kdntk.correction_logits`), and Theorem 2 (Eq. 12, S8) gives

    d cos / d(1 - rho) |_{rho=1} = P / (||dw_g|| sqrt(<dz_t, dz_t>)),
    P = <dz_g, dz_h> - <dz_g, dz_t> <dz_t, dz_h> / <dz_t, dz_t> = <delta w_h, dw_c>,

all inner products <a, b> = a^T Theta_n^-1 b. kdntk takes ||dw_g|| = sqrt(<dz_g, dz_g>_Theta_n),
the norm of the oracle's projection onto span phi(X_n): then Eq. 12 is exactly the derivative of
Eq. 11 (the paper's ||dw_g|| is the unprojected oracle norm, which only rescales by a positive
constant and does not change the sign). By the all-prefix identity of :mod:`kdntk.solve`,
<a, b>_Theta_n = sum_{i<n} (L^-1 a)_i (L^-1 b)_i, so every nested n comes from one factorization.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
from jaxtyping import Array, ArrayLike, Float

from kdntk.effective import correction_logits, cutoff_logits, effective_logits, label_smoothing_threshold
from kdntk.solve import _check_rhs, _check_square, cholesky, theta_cosine

__all__ = ["HardLabelEffect", "hard_label_effect", "hard_label_effect_path", "student_oracle_cosine",
           "cutoff_error"]


class HardLabelEffect(NamedTuple):
    """Terms of Theorem 2 (Eq. 12); each of shape (...) or (..., N) for the all-prefix path.

    Attributes:
      derivative: d cos alpha(dw, dw_g) / d(1 - rho) at rho = 1.
      projection: <delta w_h, dw_c> (the bracket of Eq. 12); its sign is that of ``derivative``.
      g_h, g_t, t_t, t_h, g_g: <dz_g, dz_h>, <dz_g, dz_t>, <dz_t, dz_t>, <dz_t, dz_h>, <dz_g, dz_g>.
      cosine: cos alpha(dw_t, dw_g), Eq. 11 at rho = 1.
    """

    derivative: Float[Array, "..."]
    projection: Float[Array, "..."]
    g_h: Float[Array, "..."]
    g_t: Float[Array, "..."]
    t_t: Float[Array, "..."]
    t_h: Float[Array, "..."]
    g_g: Float[Array, "..."]
    cosine: Float[Array, "..."]


@jax.jit
def _effect_path(L, dz_g, dz_t, dz_h):
    def c(v):  # L^-1 v for v (..., N): prefix-consistent
        flat = v.reshape(-1, v.shape[-1])
        return jnp.moveaxis(jsl.solve_triangular(L, flat.T, lower=True), -1, 0).reshape(v.shape)

    cg, ct, ch = jnp.broadcast_arrays(c(dz_g), c(dz_t), c(dz_h))

    def inner(a, b):
        return jnp.cumsum(a * b, axis=-1)

    g_h, g_t, t_t, t_h, g_g = inner(cg, ch), inner(cg, ct), inner(ct, ct), inner(ct, ch), inner(cg, cg)
    projection = g_h - g_t * t_h / t_t
    derivative = projection / jnp.sqrt(g_g * t_t)
    return HardLabelEffect(derivative, projection, g_h, g_t, t_t, t_h, g_g, g_t / jnp.sqrt(g_g * t_t))


def hard_label_effect_path(
    theta: Float[ArrayLike, "n n"],
    z_t: Float[ArrayLike, "... n"],
    y_g: Float[ArrayLike, "... n"],
    z_g: Float[ArrayLike, "... n"],
    z0: Float[ArrayLike, "... n"] | float = 0.0,
    *,
    temperature=1.0,
) -> HardLabelEffect:
    """Theorem 2's terms for every nested training set X_n, n = 1..N (fields of shape (..., N)).

    Args:
      theta: Theta(X, X), (N, N); its row order defines the nested sets.
      z_t: teacher logits on X (after any reduction factor), shape (..., N).
      y_g: ground-truth labels on X in [0, 1], shape (..., N).
      z_g: ground-truth (oracle) logits on X, shape (..., N).
      z0: the student's initial logits on X (0: the bias-free student of Sec. 3).
      temperature: T > 0 of the distillation loss.

    Returns:
      :class:`HardLabelEffect` whose entry [..., n - 1] belongs to the first n points.
    """
    theta = _check_square(theta)
    if theta.ndim != 2:
        raise ValueError(f"theta must be a single (N, N) matrix, got shape {theta.shape}.")
    z_t, y_g, z_g = (_check_rhs(v, theta, name) for v, name in ((z_t, "z_t"), (y_g, "y_g"), (z_g, "z_g")))
    z0 = jnp.broadcast_to(jnp.asarray(z0, theta.dtype), z_t.shape)
    dz_h = correction_logits(z_t, y_g, temperature)
    return _effect_path(cholesky(theta), z_g - z0, z_t - z0, dz_h)


def hard_label_effect(theta, z_t, y_g, z_g, z0=0.0, *, temperature=1.0) -> HardLabelEffect:
    """Theorem 2 (000 Eq. 12, S8) on all N points: d cos alpha / d(1 - rho) at rho = 1 and the
    projection <delta w_h, dw_c>; arguments as in :func:`hard_label_effect_path`.

    Example:
      >>> import kdntk, jax.numpy as jnp
      >>> eff = kdntk.hard_label_effect(jnp.eye(2), jnp.array([1.0, -1.0]), jnp.array([1.0, 1.0]),
      ...                               jnp.array([1.0, 1.0]))
      >>> bool(eff.projection > 0)  # the teacher is wrong at point 2: hard labels help
      True
    """
    path = hard_label_effect_path(theta, z_t, y_g, z_g, z0, temperature=temperature)
    return jax.tree_util.tree_map(lambda v: v[..., -1], path)


def student_oracle_cosine(
    theta: Float[ArrayLike, "n n"],
    z_t: Float[ArrayLike, " n"],
    y_g: Float[ArrayLike, " n"],
    z_g: Float[ArrayLike, " n"],
    z0: Float[ArrayLike, " n"] | float = 0.0,
    *,
    soft_ratio=1.0,
    temperature=1.0,
) -> Float[Array, "*R"]:
    """cos alpha(dw, dw_g) of Eq. 11 with dz_s = z_eff(z_t, y_g; rho, T) - z0, for scalar or 1-D rho.

    Returns shape () or (R,) for 1-D ``soft_ratio``. rho = 0 needs soft labels y_g in (0, 1).
    """
    theta = _check_square(theta)
    rho = jnp.asarray(soft_ratio, theta.dtype)
    z_t, y_g, z_g = (jnp.asarray(v, theta.dtype) for v in (z_t, y_g, z_g))
    z0 = jnp.broadcast_to(jnp.asarray(z0, theta.dtype), z_t.shape)
    z_eff = effective_logits(z_t[None, :], y_g[None, :], rho.reshape(-1, 1), temperature)
    cos = theta_cosine(theta, (z_g - z0)[None, :], z_eff - z0[None, :])
    return cos.reshape(rho.shape)


def cutoff_error(z_t: Float[ArrayLike, "..."], soft_ratio, temperature=1.0) -> Float[Array, ""]:
    """max |z_eff(z_t, 1{z_t > 0}) - sgn(z_t) max(t, |z_t|)| / t over ``z_t``: how close the
    label-smoothing cut-off approximation of Sec. 4.2 is, relative to the threshold t."""
    z_t = jnp.asarray(z_t)
    z_eff = effective_logits(z_t, (z_t > 0).astype(z_t.dtype), soft_ratio, temperature)
    t = label_smoothing_threshold(soft_ratio, temperature)
    return jnp.max(jnp.abs(z_eff - cutoff_logits(z_t, soft_ratio, temperature))) / t
