"""The reverse angle cdf p(theta) of linear distillation (Phuong & Lampert, ICML 2019, Eq. 4, 16-17).

For x ~ N(0, I_d) (any rotation-invariant law), cos^2 alpha_bar(w*, x) = (w*^T x)^2 / ||x||^2
(for unit w*) is Beta(1/2, (d - 1)/2), so (docs/phuong_lampert.md)

    p(theta) = P[cos^2 alpha_bar <= cos^2 theta] = I_{cos^2 theta}(1/2, (d - 1)/2),

the regularized incomplete beta function; d = 2 gives 1 - 2 theta / pi (uniform angles).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from kdntk._src.angles import check_pair, reverse_cdf, signed_angle, unsigned_angle
from kdntk._src.checks import check_array, check_integer, check_range

__all__ = ["reverse_angle_cdf", "isotropic_reverse_angle_cdf", "isotropic_transfer_risk"]


def reverse_angle_cdf(
    w: Float[ArrayLike, " d"], x: Float[ArrayLike, "m d"], theta: Float[ArrayLike, " k"]
) -> Float[Array, " k"]:
    """p(theta) = P[alpha_bar(w, x) >= theta] estimated from samples x (Phuong & Lampert 2019, Eq. 17).

    Args:
      w: the teacher weights w*, shape (d,).
      x: samples of P_x, shape (m, d).
      theta: angles in [0, pi/2], shape (k,).

    Returns:
      The empirical p(theta), shape (k,); standard error sqrt(p (1 - p) / m).

    Raises:
      ValueError: bad shapes, NaN, or theta outside [0, pi/2].

    Example:
      >>> import kdntk, jax.numpy as jnp
      >>> x = jnp.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
      >>> kdntk.phuong_lampert.reverse_angle_cdf(jnp.array([1.0, 0.0]), x, jnp.array([0.0, 0.5, 1.0]))
      Array([1.        , 0.6666667 , 0.33333334], dtype=float32)
    """
    x = check_array(x, "x", ndim=2, runtime=True)
    w = check_array(w, "w", ndim=1, runtime=True)
    if w.shape[0] != x.shape[1]:
        raise ValueError(f"w must have shape ({x.shape[1]},) to match x {x.shape}, got {w.shape}.")
    return reverse_cdf(unsigned_angle(x, w[None, :].astype(x.dtype)), theta)


def isotropic_reverse_angle_cdf(theta: Float[ArrayLike, "..."], *, dim: int) -> Float[Array, "..."]:
    """Exact p(theta) = I_{cos^2 theta}(1/2, (d - 1)/2) for x ~ N(0, I_d) and any w* (module doc).

    Raises:
      ValueError: dim < 2 or theta outside [0, pi/2].
    """
    dim = check_integer(dim, "dim", low=2)
    theta = check_array(theta, "theta")
    check_range(theta, "theta", low=0.0, high=jnp.pi / 2 + 1e-12)
    c2 = jnp.clip(jnp.cos(theta) ** 2, 0.0, 1.0)
    return jax.scipy.special.betainc(0.5, 0.5 * (dim - 1), c2)


def isotropic_transfer_risk(w: Float[ArrayLike, "... d"], w_star: Float[ArrayLike, " d"]) -> Float[Array, "..."]:
    """Exact transfer risk alpha(w, w*) / pi for inputs with a rotation-invariant law (Phuong & Lampert 2019, Eq. 4).

    The sign of w^T x and w*^T x differ exactly on two wedges of total angle 2 alpha(w, w*) in
    the plane spanned by w and w*; the projection of an isotropic x onto that plane has a uniform
    direction. For the distilled w_hat = P_X w*, alpha = alpha_bar since w_hat^T w* = ||w_hat||^2.
    """
    w, w_star = check_pair(w, w_star, ("w", "w_star"))
    if w_star.ndim != 1:
        raise ValueError(f"w_star must be one vector (d,), got shape {w_star.shape}.")
    return signed_angle(w, w_star) / jnp.pi
