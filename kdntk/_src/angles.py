"""Angles between vectors, and reverse cdfs of angle distributions (Phuong & Lampert, ICML 2019,
Eq. 16-17 and 28; Ji & Zhu, NeurIPS 2020, Eq. 6).

    alpha_bar(u, v) = arccos(|u^T v| / (||u|| ||v||)) in [0, pi/2]      (unsigned, Eq. 16)
    alpha(u, v)     = arccos(u^T v / (||u|| ||v||))   in [0, pi]        (signed, Eq. 28)
    p(theta)        = P[alpha_bar >= theta],  theta in [0, pi/2]         (Eq. 17)

Both papers bound the transfer risk through such a reverse cdf p: Phuong & Lampert's for the
angle between the teacher's weights and an input, Ji & Zhu's for the angle between a feature
phi(x) and the oracle weight change.
"""

from __future__ import annotations

from typing import Callable, Union

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from kdntk._src.checks import check_array, check_range

__all__ = ["unsigned_angle", "signed_angle", "reverse_cdf", "ReverseCdf", "as_reverse_cdf", "check_theta",
           "check_pair"]


def check_pair(u, v, names=("u", "v")):
    """Vectors u (..., d) and v (..., d): finite, the same d, leading axes that broadcast."""
    u = check_array(u, names[0], min_ndim=1)
    v = check_array(v, names[1], min_ndim=1)
    if u.shape[-1] != v.shape[-1]:
        raise ValueError(f"{names[0]} {u.shape} and {names[1]} {v.shape} must have the same last "
                         "dimension d.")
    try:
        jnp.broadcast_shapes(u.shape, v.shape)
    except ValueError:
        raise ValueError(f"the leading axes of {names[0]} {u.shape} and {names[1]} {v.shape} must "
                         "broadcast against each other.") from None
    return u, v


def _cosine(u, v):
    nd = max(u.ndim, v.ndim)
    u = u.reshape((1,) * (nd - u.ndim) + u.shape)
    v = v.reshape((1,) * (nd - v.ndim) + v.shape)
    num = jnp.sum(u * v, axis=-1)
    return num / (jnp.linalg.norm(u, axis=-1) * jnp.linalg.norm(v, axis=-1))


def signed_angle(u: Float[ArrayLike, "... d"], v: Float[ArrayLike, "... d"]) -> Float[Array, "..."]:
    """alpha(u, v) = arccos(u^T v / (||u|| ||v||)) in [0, pi] over the last axis (Phuong & Lampert 2019, Eq. 28).

    Leading axes broadcast; zero vectors give NaN (the angle is undefined).

    Raises:
      ValueError: NaN or inf entries, different last dimensions, leading axes that do not broadcast.
    """
    return jnp.arccos(jnp.clip(_cosine(*check_pair(u, v)), -1.0, 1.0))


def unsigned_angle(u: Float[ArrayLike, "... d"], v: Float[ArrayLike, "... d"]) -> Float[Array, "..."]:
    """alpha_bar(u, v) = arccos(|u^T v| / (||u|| ||v||)) in [0, pi/2] over the last axis (Phuong & Lampert 2019, Eq. 16).

    Leading axes broadcast; zero vectors give NaN (the angle is undefined).

    Raises:
      ValueError: NaN or inf entries, different last dimensions, leading axes that do not broadcast.
    """
    return jnp.arccos(jnp.clip(jnp.abs(_cosine(*check_pair(u, v))), 0.0, 1.0))


def check_theta(theta):
    """Angles theta in [0, pi/2], a non-empty 1-D array."""
    theta = check_array(theta, "theta", ndim=1, runtime=True)
    check_range(theta, "theta", low=0.0, high=jnp.pi / 2 + 1e-12)
    return theta


def reverse_cdf(angles: Float[ArrayLike, " m"], theta: Float[ArrayLike, " k"]) -> Float[Array, " k"]:
    """Empirical reverse cdf (1/m) #{i : angles_i >= theta_k} of a sample of angles (Eq. 17).

    Each entry is a binomial proportion; its standard error is sqrt(p (1 - p) / m).
    """
    angles = check_array(angles, "angles", ndim=1, runtime=True)
    theta = check_theta(theta)
    dtype = jnp.result_type(angles.dtype, float)
    return jnp.mean((angles[None, :] >= theta[:, None]).astype(dtype), axis=1)


ReverseCdf = Union[Callable[[Array], Array], tuple]
"""A reverse cdf p(theta): a vectorized callable, or a tabulated curve ``(theta, values)``."""


def as_reverse_cdf(p):
    """A reverse cdf p(theta) as a vectorized callable: ``p`` itself, or a tabulated ``(theta, values)``
    read at the grid angle below (p is non-increasing, so bounds built on it stay conservative)."""
    if callable(p):
        return p
    if not isinstance(p, tuple) or len(p) != 2:
        raise ValueError("p must be a callable p(theta) or a tabulated curve (theta, values).")
    grid, values = np.asarray(p[0], float), np.asarray(p[1], float)
    if grid.ndim != 1 or values.shape != grid.shape or grid.size < 2:
        raise ValueError(f"p's theta and values must be 1-D of equal length >= 2, got {grid.shape}, {values.shape}.")
    if np.any(np.diff(grid) <= 0) or grid[0] > 0 or grid[-1] < np.pi / 2 - 1e-9:
        raise ValueError("p's theta must increase strictly and cover [0, pi/2].")
    check_range(values, "p values", low=0.0, high=1.0)
    grid_j, values_j = jnp.asarray(grid), jnp.asarray(values)

    def tab(theta):
        idx = jnp.clip(jnp.searchsorted(grid_j, theta + 1e-12, side="right") - 1, 0, grid.size - 1)
        return values_j[idx]

    return tab
