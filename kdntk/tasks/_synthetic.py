"""Inputs and target functions of the experiments (Ji & Zhu 2020, Sec. 4, Fig. 3; supplement S4, S5).

Every task is a pure function of a PRNG key that returns a *target*: a callable pytree mapping
inputs of shape (n, d) to logits of shape (n,). Targets hold their random parameters as arrays,
so analyses can jit over them and vmap over their keys.

Per-point randomness (sign flips, random logits) is a fixed random function of x: the noise at
x is drawn from a key folded with a hash of x's bits, so the same x always gets the same noise
and distinct x get independent noise. That makes "the task" well defined for any sample.
"""

from __future__ import annotations


import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from kdntk._src.checks import as_key, check_callable, check_inputs, check_integer, check_range
from kdntk._src.pytrees import dataclass_pytree

INPUT_STD = 5.0
"""Standard deviation of the papers' input distribution N(0, 5^2 I) (Ji & Zhu 2020, supplement S4)."""

__all__ = [
    "INPUT_STD",
    "sample_inputs",
    "GaussianMixture",
    "gaussian_mixture",
    "SignFlip",
    "sign_flip",
    "RandomLogits",
    "random_logits",
    "ZeroFunction",
    "zero_function",
    "HardLabels",
    "hard_labels",
]


def sample_inputs(key: Array, n: int, *, dim: int = 2, std: float = INPUT_STD, dtype=None):
    """n inputs x ~ N(0, std^2 I_dim), shape (n, dim) (Ji & Zhu 2020, supplement S4: std = 5, dim = 2).

    Raises:
      ValueError: n or dim < 1, std <= 0 or not finite, a dtype that is not floating.
      TypeError: ``key`` is not a PRNG key (typed ``jax.random.key`` or legacy ``PRNGKey``).
    """
    key = as_key(key)
    n, dim = check_integer(n, "n"), check_integer(dim, "dim")
    check_range(std, "std", low=0.0, low_open=True, finite=True)
    dtype = jnp.result_type(float) if dtype is None else jnp.dtype(dtype)
    if not jnp.issubdtype(dtype, jnp.floating):
        raise ValueError(f"dtype must be a floating dtype (jnp.float32 or jnp.float64), got {dtype}.")
    return std * jax.random.normal(key, (n, dim), dtype=dtype)


def _check_features(x, d: int, what: str):
    """Inputs (n, d) for a task of dimension d (shapes checked when traced, values when concrete)."""
    x = check_inputs(x, "x", ndim=2)
    if x.shape[1] != d:
        raise ValueError(f"x must have shape (n, {d}) for {what}, got {x.shape}.")
    return x


def _point_keys(key, x):
    """One PRNG key per row of x, from a hash of the row's float32 bits."""
    bits = jax.lax.bitcast_convert_type(jnp.asarray(x, jnp.float32), jnp.uint32)

    def mix(h, b):  # FNV-1a style mixing over the coordinates of a row
        return (h ^ b) * jnp.uint32(16777619), None

    h, _ = jax.lax.scan(mix, jnp.full(x.shape[:1], 2166136261, jnp.uint32), bits.T)
    return jax.vmap(jax.random.fold_in, in_axes=(None, 0))(key, h)


@dataclass_pytree(["amplitudes", "centers", "widths"])
class GaussianMixture:
    """z(x) = sum_j A_j exp(-||x - c_j||^2 / s_j) (Ji & Zhu 2020, supplement S4; Fig. 3 left).

    Attributes:
      amplitudes: A_j, shape (q,).
      centers: c_j, shape (q, d).
      widths: s_j, shape (q,).
    """

    amplitudes: Float[Array, " q"]
    centers: Float[Array, "q d"]
    widths: Float[Array, " q"]

    def __call__(self, x: Float[Array, "n d"]) -> Float[Array, " n"]:
        x = _check_features(x, self.centers.shape[-1], f"a mixture with centers {self.centers.shape}")
        sq = jnp.sum((x[:, None, :] - self.centers[None]) ** 2, axis=-1)
        return jnp.sum(self.amplitudes[None, :] * jnp.exp(-sq / self.widths[None, :]), axis=-1)


def gaussian_mixture(
    key: Array,
    num_modes: int,
    *,
    dim: int = 2,
    amplitude: float = 1.0,
    center_std: float = INPUT_STD,
    width: float | None = None,
    spread: float = 0.5,
) -> GaussianMixture:
    """A random Gaussian-mixture logit function with ``num_modes`` = q modes (Ji & Zhu 2020, supplement S4).

    Amplitudes are drawn around ``amplitude`` (uniform in [1 - spread, 1 + spread] times it) with
    random signs; centres from N(0, center_std^2 I); widths around ``width`` (same relative
    spread), by default 15 / q^2 as in S4 so that more modes are narrower.

    Note: S4 writes exp(-(x - x_j)^2 / sigma_j) and the main text exp(-(x - x_j)^2 / sigma_j^2);
    kdntk follows S4 (docs/tasks.md).
    """
    key = as_key(key)
    q = check_integer(num_modes, "num_modes")
    dim = check_integer(dim, "dim")
    check_range(amplitude, "amplitude", finite=True)
    check_range(center_std, "center_std", low=0.0, finite=True)
    check_range(spread, "spread", low=0.0, high=1.0, high_open=True)
    width = 15.0 / q**2 if width is None else width
    check_range(width, "width", low=0.0, low_open=True, finite=True)
    k_sign, k_amp, k_center, k_width = jax.random.split(key, 4)
    signs = jnp.where(jax.random.bernoulli(k_sign, 0.5, (q,)), 1.0, -1.0)
    amps = amplitude * signs * jax.random.uniform(k_amp, (q,), minval=1 - spread, maxval=1 + spread)
    centers = center_std * jax.random.normal(k_center, (q, dim))
    widths = width * jax.random.uniform(k_width, (q,), minval=1 - spread, maxval=1 + spread)
    return GaussianMixture(amps, centers, widths)


@dataclass_pytree(["target", "key", "p_flip"])
class SignFlip:
    """z*(x) = s(x) target(x) with s(x) = -1 with probability p_flip, iid over x (Fig. 3 right)."""

    target: object
    key: Array
    p_flip: Array

    def __call__(self, x):
        flips = jax.vmap(lambda k: jax.random.bernoulli(k, self.p_flip))(_point_keys(self.key, x))
        return jnp.where(flips, -1.0, 1.0) * self.target(x)


def sign_flip(key: Array, target, *, p_flip: float) -> SignFlip:
    """``target`` with its sign flipped independently at each input with probability p_flip."""
    key = as_key(key)
    check_callable(target, "target", "a logit function x -> (n,)")
    check_range(p_flip, "p_flip", low=0.0, high=1.0)
    return SignFlip(target, key, jnp.asarray(p_flip, jnp.result_type(float)))


@dataclass_pytree(["key", "scale"])
class RandomLogits:
    """z(x) ~ N(0, scale^2) independently at each input: the hardest reference of Fig. 3."""

    key: Array
    scale: Array

    def __call__(self, x):
        keys = _point_keys(self.key, x)
        return self.scale * jax.vmap(lambda k: jax.random.normal(k, dtype=x.dtype))(keys)


def random_logits(key: Array, *, scale: float = 1.0) -> RandomLogits:
    """Random logits dz ~ N(0, scale^2) per input (upper reference of Fig. 3)."""
    key = as_key(key)
    check_range(scale, "scale", low=0.0, low_open=True, finite=True)
    return RandomLogits(key, jnp.asarray(scale, jnp.result_type(float)))


@dataclass_pytree([])
class ZeroFunction:
    """z(x) = 0: the easiest reference of Fig. 3 and S5; its dz = -z0 needs a non-zero init."""

    def __call__(self, x):
        return jnp.zeros(x.shape[:1], x.dtype)


def zero_function() -> ZeroFunction:
    """The zero function (Ji & Zhu 2020, supplement S5)."""
    return ZeroFunction()


@dataclass_pytree(["target"])
class HardLabels:
    """y(x) = 1{target(x) > 0}: ground-truth hard labels of a logit function."""

    target: object

    def __call__(self, x):
        return (self.target(x) > 0).astype(x.dtype)


def hard_labels(target) -> HardLabels:
    """The labels y_g = 1{f_g(x) > 0} of a ground-truth logit function f_g (Ji & Zhu 2020, Sec. 2)."""
    return HardLabels(check_callable(target, "target", "a logit function x -> (n,)"))

