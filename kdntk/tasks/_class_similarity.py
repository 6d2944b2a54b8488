"""The K-channel class-similarity data set of Nagarajan et al. (2023), App. C.5 (gradient-space view, Sec. 4.2).

Each input has K channels of dimension D, x = (x_1, ..., x_K). Class vectors mu_k ~ N(0, I_D).
Given a uniform label y, the target channel is

    x_y = a mu_y + (1 - a) z_y,   z_y uniform on the unit sphere, truncated to x_y . mu_y > 0

(a = ``margin`` = 0.01). ``num_similar`` = 3 other "similar" classes k get x_k = c_k (a mu_k + (1 - a) z_k),
and all other channels are zero. The channel-wise linear model f_k = w_k . x_k with w_k = mu_k then
scores class k by s_k = x_k . mu_k.

The paper (C.5) scales similar channels by c_k = 0.8 b (x_y . mu_y), b ~ Beta(4, 1), and says this keeps
the data linearly separable. Read literally it does not: s_k = 0.8 b s_y (a mu_k + (1 - a) z_k) . mu_k,
and (a mu_k + (1 - a) z_k) . mu_k is about a D + |N(0, 1)| ~ 1.8 for D = 100, so a similar class outscores
the target on most points (``scaling="literal"`` reproduces it; measured in docs/gradient_space.md).
The default ``scaling="score"`` implements the stated property: c_k is chosen so that
s_k = 0.8 b s_y < s_y, so mu separates every point with margin s_y - max_k s_k >= 0.2 s_y > 0.

``replace=True`` draws the similar classes with replacement among the K - 1 non-targets (duplicates
collapse); the paper's one-hot sign count of 73.22% matches that reading exactly (docs).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from kdntk._src.checks import check_range
from kdntk._src.prng import drawn_flat

__all__ = ["ClassSimilarityData", "class_similarity_dataset"]

_CANDIDATES = 32  # rejection-sampling candidates per channel; failure prob ~ 0.16^32


class ClassSimilarityData(NamedTuple):
    """The C.5 data set.

    Attributes:
      inputs: x, shape (n, K, D); zero except the target and similar channels.
      labels: y, shape (n,).
      class_vectors: mu_k, shape (K, D).
      similar: the chosen similar classes, shape (n, num_similar) (may repeat if ``replace``).
    """

    inputs: Float[Array, "n k d"]
    labels: Int[Array, " n"]
    class_vectors: Float[Array, "k d"]
    similar: Int[Array, "n s"]


def _truncated_channels(g, mu, margin):
    """a mu + (1 - a) z, z uniform on S^{D-1} conditioned on (a mu + (1 - a) z) . mu > 0.

    g: Gaussian candidates (..., C, D); mu: (..., D). Rejection sampling: the first accepted
    candidate; if all C are rejected (never in practice), -z_0, which is accepted because a
    rejected z_0 has z_0 . mu < 0.
    """
    z = g / jnp.linalg.norm(g, axis=-1, keepdims=True)
    x = margin * mu[..., None, :] + (1 - margin) * z
    ok = jnp.einsum("...cd,...d->...c", x, mu) > 0
    first = jnp.argmax(ok, axis=-1)
    pick = jnp.take_along_axis(x, first[..., None, None], axis=-2)[..., 0, :]
    fallback = margin * mu - (1 - margin) * z[..., 0, :]
    return jnp.where(jnp.any(ok, axis=-1)[..., None], pick, fallback)


def _beta(key, a, b, shape, dtype):
    """Beta(a, b); for b = 1 by inversion, U^(1/a) (cheap to compile), else jax.random.beta."""
    if b == 1.0:
        return drawn_flat(jax.random.uniform, key, shape, dtype) ** (1.0 / a)
    return jax.random.beta(key, a, b, shape, dtype)


@functools.partial(jax.jit, static_argnames=("n", "num_similar", "scaling", "beta_a", "beta_b"))
def _sample(key, mu, margin, similar_scale, beta_a, beta_b, *, n, num_similar, scaling, replace):
    num_classes, dim = mu.shape
    dtype = mu.dtype
    k_y, k_g, k_c, k_b = jax.random.split(key, 4)
    y = jax.random.randint(k_y, (n,), 0, num_classes)
    rows = jnp.arange(n)
    # One uniform draw serves both readings (``replace`` is traced: one compiled program for both).
    u = drawn_flat(jax.random.uniform, k_c, (n, num_classes), dtype)
    # uniform on the K - 1 others (the clip: u * (K - 1) can round up to K - 1 for u just below 1)
    r = jnp.minimum(jnp.floor(u[:, :num_similar] * (num_classes - 1)), num_classes - 2).astype(y.dtype)
    with_replacement = jnp.where(r >= y[:, None], r + 1, r)
    u = jnp.where(jnp.arange(num_classes)[None, :] == y[:, None], jnp.inf, u)
    sim = jnp.where(replace, with_replacement, jnp.argsort(u, axis=-1)[:, :num_similar])
    cls = jnp.concatenate([y[:, None], sim], axis=1)  # (n, 1 + S)
    g = drawn_flat(jax.random.normal, k_g, (n, 1 + num_similar, _CANDIDATES, dim), dtype)
    raw = _truncated_channels(g, mu[cls], margin)  # (n, 1 + S, D)
    score = jnp.sum(raw * mu[cls], axis=-1)  # (n, 1 + S)
    sy = score[:, 0]
    b = _beta(k_b, beta_a, beta_b, (n, num_similar), dtype)
    target = similar_scale * b * sy[:, None]
    c = target / score[:, 1:] if scaling == "score" else target
    scale = jnp.concatenate([jnp.ones((n, 1), dtype), c], axis=1)
    x = jnp.zeros((n, num_classes, dim), dtype)
    # similar channels first, then the target (so a duplicate never overwrites the target)
    x = x.at[rows[:, None], sim].set(scale[:, 1:, None] * raw[:, 1:])
    x = x.at[rows, y].set(raw[:, 0])
    return x, y, sim


def class_similarity_dataset(
    key: Array,
    n: int,
    num_classes: int = 10,
    dim: int = 100,
    *,
    margin: float = 0.01,
    num_similar: int = 3,
    similar_scale: float = 0.8,
    beta_a: float = 4.0,
    beta_b: float = 1.0,
    scaling: str = "score",
    replace: bool = False,
    class_vectors: Float[Array, "k d"] | None = None,
) -> ClassSimilarityData:
    """Sample n points of the C.5 class-similarity data set (Nagarajan et al. 2023, App. C.5; see module doc).

    Args:
      key: PRNG key.
      n: number of points.
      num_classes: K (10 in the paper).
      dim: D, per-channel dimension (100 in the paper).
      margin: a in x = a mu + (1 - a) z (0.01).
      num_similar: similar non-target classes per point (3).
      similar_scale: 0.8: similar scores are similar_scale * b * s_y, b ~ Beta(beta_a, beta_b).
      beta_a: first Beta parameter (4).
      beta_b: second Beta parameter (1).
      scaling: "score" (default; the property the paper states) or "literal" (the text's formula).
      replace: draw similar classes with replacement (see module doc).
      class_vectors: optional fixed mu, shape (K, D) (e.g. to sample a test set for the same task).

    Returns:
      A [`ClassSimilarityData`][kdntk.tasks.ClassSimilarityData].

    Raises:
      ValueError: on out-of-range sizes or hyperparameters, or an unknown ``scaling``.
    """
    if num_classes < 2 or dim < 1 or n < 1:
        raise ValueError(f"need n >= 1, num_classes >= 2, dim >= 1; got {n}, {num_classes}, {dim}.")
    if not 0 <= num_similar <= num_classes - 1:
        raise ValueError(f"num_similar must lie in [0, {num_classes - 1}], got {num_similar}.")
    if scaling not in ("score", "literal"):
        raise ValueError(f"scaling must be 'score' or 'literal', got {scaling!r}.")
    check_range(margin, "margin", low=0.0, high=1.0, high_open=True)
    check_range(similar_scale, "similar_scale", low=0.0, high=1.0, low_open=True, high_open=True)
    check_range(beta_a, "beta_a", low=0.0, low_open=True)
    check_range(beta_b, "beta_b", low=0.0, low_open=True)
    beta_a, beta_b = float(beta_a), float(beta_b)
    k_mu, k_data = jax.random.split(key)
    dtype = jnp.result_type(float)
    if class_vectors is None:
        mu = drawn_flat(jax.random.normal, k_mu, (num_classes, dim), dtype)
    else:
        mu = jnp.asarray(class_vectors, dtype)
        if mu.shape != (num_classes, dim):
            raise ValueError(f"class_vectors must have shape ({num_classes}, {dim}), got {mu.shape}.")
    inputs, y, similar = _sample(k_data, mu, margin, similar_scale, beta_a, beta_b, n=n,
                                 num_similar=num_similar, scaling=scaling, replace=replace)
    return ClassSimilarityData(inputs, y, mu, similar)
