"""A synthetic stand-in for (noisy) MNIST: no data set can be downloaded here (Nagarajan et al. 2023, App. C.4).

Ten smooth random 28 x 28 "digit" prototypes; a point of class c is its prototype plus per-pixel
Gaussian noise, clipped to [0, 1] and flattened to 784 pixels. A fraction ``label_noise`` of the labels
is replaced by a uniformly random OTHER class (C.4 uses 0.25). Users with real MNIST arrays pass those
to the same pipeline instead.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from kdntk._src.checks import as_key, check_integer, check_range
from kdntk._src.prng import drawn_flat

__all__ = ["NoisyImages", "noisy_mnist_standin"]


class NoisyImages(NamedTuple):
    """Attributes: inputs (n, 784) in [0, 1]; labels (n,) possibly flipped; clean_labels (n,)."""

    inputs: Float[Array, "n p"]
    labels: Int[Array, " n"]
    clean_labels: Int[Array, " n"]


def _prototypes(key, num_classes, side):
    g = drawn_flat(jax.random.normal, key, (num_classes, side, side))
    t = jnp.arange(side) - side / 2
    blur = jnp.exp(-(t[:, None] ** 2 + t[None, :] ** 2) / 8.0)
    smooth = jnp.real(jnp.fft.ifft2(jnp.fft.fft2(g) * jnp.fft.fft2(jnp.fft.ifftshift(blur))[None]))
    smooth = smooth / jnp.std(smooth, axis=(1, 2), keepdims=True)
    return jax.nn.sigmoid(2.0 * smooth).reshape(num_classes, side * side)


def noisy_mnist_standin(
    key: Array,
    n: int,
    *,
    num_classes: int = 10,
    side: int = 28,
    pixel_noise: float = 0.3,
    label_noise: float = 0.25,
    prototype_key: Array | None = None,
) -> NoisyImages:
    """n synthetic 'digit' images with label noise (stand-in for C.4's NoisyMNIST).

    Args:
      key: PRNG key for the points.
      n: number of points.
      num_classes: classes (10).
      side: image side (28).
      pixel_noise: per-pixel Gaussian noise std.
      label_noise: probability that a label is replaced by a random other class (0.25 in C.4).
      prototype_key: key of the class prototypes (default: derived from ``key``); pass the same
        one for train and test sets of one task.

    Returns:
      A [`NoisyImages`][kdntk.tasks.NoisyImages].

    Raises:
      ValueError: on out-of-range arguments.
    """
    key = as_key(key)
    prototype_key = None if prototype_key is None else as_key(prototype_key, "prototype_key")
    n = check_integer(n, "n")
    num_classes = check_integer(num_classes, "num_classes", low=2)
    side = check_integer(side, "side", low=2)
    check_range(pixel_noise, "pixel_noise", low=0.0, finite=True)
    check_range(label_noise, "label_noise", low=0.0, high=1.0)
    k_p = jax.random.split(key, 5)[0]
    x, y, clean = _sample(key, k_p if prototype_key is None else prototype_key, pixel_noise, label_noise,
                          n=n, num_classes=num_classes, side=side)
    return NoisyImages(x, y, clean)


@functools.partial(jax.jit, static_argnames=("n", "num_classes", "side"))
def _sample(key, prototype_key, pixel_noise, label_noise, *, n, num_classes, side):
    _, k_y, k_x, k_f, k_o = jax.random.split(key, 5)
    protos = _prototypes(prototype_key, num_classes, side)
    y = jax.random.randint(k_y, (n,), 0, num_classes)
    x = jnp.clip(protos[y] + pixel_noise * drawn_flat(jax.random.normal, k_x, (n, side * side)), 0.0, 1.0)
    other = (y + jax.random.randint(k_o, (n,), 1, num_classes)) % num_classes
    flip = jax.random.uniform(k_f, (n,)) < label_noise
    return x, jnp.where(flip, other, y), y
