"""ReLU random features, the linear model of 001 App. C.4 (5000 features, 128 points).

phi(x) = max(0, x W + b) / sqrt(F), W ~ N(0, I / d), b ~ N(0, 1): a fixed random feature map; a linear
model on phi is a kernel model with Theta = phi(X) phi(X)^T, so :mod:`kdntk.eigen` applies directly
(``kdntk.weight_projections`` gives the C.4 / Fig. 20 trajectories).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from kdntk._checks import check_inputs

__all__ = ["random_relu_features"]


def random_relu_features(
    key: Array, x: Float[ArrayLike, "n d"], *, num_features: int = 5000
) -> Float[Array, "n f"]:
    """phi(x) = relu(x W + b) / sqrt(F), W ~ N(0, I/d), b ~ N(0, 1), F = num_features (001 App. C.4).

    The same ``key`` gives the same feature map, so train and test inputs must be mapped with one key.

    Args:
      key: PRNG key of the feature map.
      x: inputs, shape (N, d).
      num_features: F >= 1 (5000 in the paper).

    Returns:
      Features, shape (N, F).

    Raises:
      ValueError: if x is not a finite (N, d) array or num_features < 1.
    """
    x = check_inputs(x, "x", ndim=2)
    if num_features < 1:
        raise ValueError(f"num_features must be >= 1, got {num_features}.")
    kw, kb = jax.random.split(key)
    w = jax.random.normal(kw, (x.shape[1], num_features), x.dtype) / jnp.sqrt(x.shape[1])
    b = jax.random.normal(kb, (num_features,), x.dtype)
    return jax.nn.relu(x @ w + b[None, :]) / jnp.sqrt(num_features)
