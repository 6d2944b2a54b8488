"""The kappa-polynomial transfer task of Phuong & Lampert Sec. 5.1 (Phuong & Lampert 2019, Fig. 3 and 5).

Sampling: an angle a with P[a >= theta] = (1 - 2 theta / pi)^kappa on [0, pi/2], i.e.
a = (pi/2)(1 - U^(1/kappa)) for U ~ Uniform(0, 1); a unit direction z at angle a from w*,
z = cos(a) w*/||w*|| + sin(a) u with u uniform on the unit sphere orthogonal to w*; and
x = nu z with nu ~ N(0, 1). The sign of nu flips z, so alpha_bar(w*, x) = a exactly and the
task's reverse angle cdf is p(theta) = (1 - 2 theta / pi)^kappa (Corollary 2 with c = 1).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from kdntk._src.checks import as_key, check_array, check_inputs, check_integer, check_range

__all__ = ["kappa_task", "kappa_reverse_cdf"]


def kappa_task(key: Array, kappa: float, w_star: Float[Array, " d"], n: int) -> Float[Array, "n d"]:
    """n inputs whose angle to w* has P[alpha_bar(w*, x) >= theta] = (1 - 2 theta / pi)^kappa (Phuong & Lampert 2019, Sec. 5.1).

    Args:
      key: PRNG key.
      kappa: kappa > 0 (1: uniform angle; larger: mass away from the decision boundary).
      w_star: teacher weights, shape (d,), d >= 2, non-zero.
      n: number of inputs.

    Returns:
      Inputs of shape (n, d) in w_star's floating dtype.

    Raises:
      ValueError: kappa <= 0, n < 1, d < 2 or w_star = 0.
    """
    key = as_key(key)
    check_range(kappa, "kappa", low=0.0, low_open=True, finite=True)
    n = check_integer(n, "n")
    w_star = check_inputs(w_star, "w_star", ndim=1)
    if w_star.shape[0] < 2 or not np.any(np.asarray(w_star) != 0):
        raise ValueError(f"w_star must be a non-zero vector of dimension >= 2, got shape {w_star.shape}.")
    return _sample(key, jnp.asarray(kappa, w_star.dtype), w_star, int(n))


@functools.partial(jax.jit, static_argnums=3)
def _sample(key, kappa, w_star, n):
    k_a, k_u, k_nu = jax.random.split(key, 3)
    dtype = w_star.dtype
    e = w_star / jnp.linalg.norm(w_star)
    a = 0.5 * jnp.pi * (1.0 - jax.random.uniform(k_a, (n,), dtype) ** (1.0 / kappa))
    g = jax.random.normal(k_u, (n, w_star.shape[0]), dtype)
    g = g - (g @ e)[:, None] * e[None, :]
    u = g / jnp.linalg.norm(g, axis=1, keepdims=True)
    z = jnp.cos(a)[:, None] * e[None, :] + jnp.sin(a)[:, None] * u
    return jax.random.normal(k_nu, (n,), dtype)[:, None] * z


def kappa_reverse_cdf(theta, *, kappa: float) -> Array:
    """The kappa task's exact p(theta) = (1 - 2 theta / pi)^kappa (Phuong & Lampert 2019, Corollary 2, Sec. 5.1)."""
    check_range(kappa, "kappa", low=0.0, low_open=True, finite=True)
    theta = check_array(theta, "theta")
    check_range(theta, "theta", low=0.0, high=jnp.pi / 2 + 1e-12)
    return jnp.clip(1.0 - 2.0 * theta / jnp.pi, 0.0, 1.0) ** kappa
