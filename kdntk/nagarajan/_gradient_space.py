"""The gradient-space view at small scale: channel-wise linear classifiers on the C.5 data (Nagarajan et al. 2023, App. C.5).

The model has K output nodes, node k reading only channel k: f_k(x) = w_k . x_k. A teacher is trained
on one-hot labels and a self-distilled student on the teacher's temperature-T probabilities, both
with optax Adam (lr 0.1, batch 128, 512 points, 10 epochs, T = 5 in the paper). Measured:

- the fraction of (x, k) pairs whose per-sample gradient pushes w_k the right way,
  sign((target_k - p_k)(x_k . mu_k)) > 0 over pairs with x_k != 0 ([`gradient_sign_fraction`][kdntk.nagarajan.gradient_sign_fraction]),
  and the paper's literal count "x_k . mu_k > 0 iff target_k > 0" over all pairs
  ([`support_agreement_fraction`][kdntk.nagarajan.support_agreement_fraction]);
- cos-sim(w_k, mu_k) per class ([`class_cosines`][kdntk.nagarajan.class_cosines]), accuracies, logits (Fig. 23).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, ArrayLike, Float, Int

from kdntk._src.checks import check_range, error_if_nonfinite

__all__ = [
    "ChannelClassifier",
    "channel_accuracy",
    "channel_logits",
    "class_cosines",
    "gradient_sign_fraction",
    "support_agreement_fraction",
    "train_channel_classifier",
]


def channel_logits(weights: Float[ArrayLike, "k d"], inputs: Float[ArrayLike, "n k d"]) -> Float[Array, "n k"]:
    """f_k(x) = w_k . x_k for every point and node (Nagarajan et al. 2023, Sec. 4.2, App. C.5)."""
    return _channel_logits(jnp.asarray(weights), jnp.asarray(inputs))


@jax.jit
def _channel_logits(w, x):
    return jnp.einsum("kd,nkd->nk", w, x)


def _scored(inputs, class_vectors):
    """(x, mu) checked to be (n, K, D) and (K, D): the scores x_k . mu_k are channel_logits(mu, x)."""
    x = jnp.asarray(inputs)
    mu = jnp.asarray(class_vectors, x.dtype)
    if x.ndim != 3 or mu.shape != x.shape[1:]:
        raise ValueError(f"inputs (n, K, D) and class_vectors (K, D) disagree: {x.shape}, {mu.shape}.")
    return x, mu


def gradient_sign_fraction(
    inputs: Float[ArrayLike, "n k d"],
    class_vectors: Float[ArrayLike, "k d"],
    targets: Float[ArrayLike, "n k"],
    probs: Float[ArrayLike, "n k"],
) -> Float[Array, ""]:
    """Fraction of pairs (x, k) with x_k != 0 whose update on w_k points towards mu_k.

    The per-sample descent direction of cross-entropy on node k is (target_k - p_k) x_k; it is
    "constructive" when its projection on mu_k, (target_k - p_k)(x_k . mu_k), is positive
    (Nagarajan et al. 2023, App. C.5, Lemma B.3 Eq. 25). Pairs with x_k = 0 carry no gradient and are not counted.

    Args:
      inputs: x, shape (n, K, D).
      class_vectors: mu, shape (K, D).
      targets: one-hot labels or teacher probabilities, (n, K).
      probs: the model's current probabilities p, (n, K).
    """
    return _sign_fraction(*_scored(inputs, class_vectors), jnp.asarray(targets), jnp.asarray(probs))


@jax.jit
def _sign_fraction(x, mu, targets, probs):
    live = jnp.any(x != 0, axis=-1)
    good = (targets - probs) * _channel_logits(mu, x) > 0
    return jnp.sum(good & live) / jnp.sum(live)


def support_agreement_fraction(
    inputs: Float[ArrayLike, "n k d"],
    class_vectors: Float[ArrayLike, "k d"],
    targets: Float[ArrayLike, "n k"],
    *,
    threshold: float = 0.0,
) -> Float[Array, ""]:
    """The paper's literal count: fraction of ALL (x, k) with [x_k . mu_k > 0] == [target_k > threshold].

    For one-hot targets this is 1 - (number of similar channels) / K per point; with 3 similar
    classes drawn WITH replacement its mean is 1 - 9 (1 - (8/9)^3) / 10 = 73.21%, the paper's 73.22%.
    """
    check_range(threshold, "threshold", low=0.0, high=1.0)
    return _support_agreement(*_scored(inputs, class_vectors), jnp.asarray(targets), threshold)


@jax.jit
def _support_agreement(x, mu, targets, threshold):
    return jnp.mean((_channel_logits(mu, x) > 0) == (targets > threshold))


def class_cosines(weights: Float[ArrayLike, "k d"], class_vectors: Float[ArrayLike, "k d"]) -> Float[Array, " k"]:
    """cos-sim(w_k, mu_k) for every class (Nagarajan et al. 2023, Eq. 6, Fig. 23 middle)."""
    return _cosines(jnp.asarray(weights), jnp.asarray(class_vectors))


@jax.jit
def _cosines(w, mu):
    return jnp.sum(w * mu, -1) / (jnp.linalg.norm(w, axis=-1) * jnp.linalg.norm(mu, axis=-1))


class ChannelClassifier(NamedTuple):
    """A trained channel-wise linear classifier.

    Attributes:
      weights: final w, shape (K, D).
      history: w after each epoch, shape (epochs + 1, K, D) (entry 0: initialization).
    """

    weights: Array
    history: Array


def _loss(w, x, target, temperature):
    logp = jax.nn.log_softmax(channel_logits(w, x) / temperature, axis=-1)
    return -jnp.mean(jnp.sum(target * logp, axis=-1))


def train_channel_classifier(
    key: Array,
    inputs: Float[ArrayLike, "n k d"],
    targets: Float[ArrayLike, "n k"],
    *,
    epochs: int = 10,
    batch_size: int = 128,
    learning_rate: float = 0.1,
    temperature: float = 1.0,
    init: Float[ArrayLike, "k d"] | None = None,
) -> ChannelClassifier:
    """Train f_k = w_k . x_k with optax Adam on cross-entropy to soft targets (Nagarajan et al. 2023, App. C.5).

    Loss per batch: -mean_x sum_k target_k(x) log softmax(f(x) / T)_k. A teacher uses one-hot
    targets and T = 1; a distilled student uses softmax(f_te / T) targets and the same T (Hinton
    et al.). Each epoch visits a fresh permutation (from ``key``) in n // batch_size full batches.

    Args:
      key: PRNG key for the shuffles.
      inputs: x, shape (n, K, D).
      targets: probability vectors, shape (n, K).
      epochs: passes over the data (paper: 10).
      batch_size: paper 128.
      learning_rate: Adam step size (paper 0.1).
      temperature: T > 0.
      init: initial weights (K, D); default zeros.

    Returns:
      A [`ChannelClassifier`][kdntk.nagarajan.ChannelClassifier].

    Raises:
      ValueError: on bad shapes or hyperparameters; NumericalError if the weights become non-finite.
    """
    x = jnp.asarray(inputs)
    tgt = jnp.asarray(targets, x.dtype)
    if x.ndim != 3 or tgt.shape != x.shape[:2]:
        raise ValueError(f"inputs (n, K, D) and targets (n, K) disagree: {x.shape}, {tgt.shape}.")
    if not 1 <= batch_size <= x.shape[0]:
        raise ValueError(f"batch_size must lie in [1, n={x.shape[0]}], got {batch_size}.")
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}.")
    check_range(learning_rate, "learning_rate", low=0.0, low_open=True)
    check_range(temperature, "temperature", low=0.0, low_open=True)
    w0 = jnp.asarray(np.zeros(x.shape[1:], x.dtype) if init is None else init, x.dtype)  # host zeros: no compile
    if w0.shape != x.shape[1:]:
        raise ValueError(f"init must have shape {x.shape[1:]}, got {w0.shape}.")
    history = _train(key, x, tgt, w0, epochs, batch_size, learning_rate, temperature)
    error_if_nonfinite(history, "train_channel_classifier: weights became NaN/inf.")
    return ChannelClassifier(history[-1], history)


@functools.partial(jax.jit, static_argnames=("epochs", "batch_size"))
def _train(key, x, tgt, w0, epochs, batch_size, learning_rate, temperature):
    opt = optax.adam(learning_rate)
    nb = x.shape[0] // batch_size
    grad = jax.grad(_loss)

    def step(carry, idx):
        w, state = carry
        upd, state = opt.update(grad(w, x[idx], tgt[idx], temperature), state, w)
        return (optax.apply_updates(w, upd), state), None

    def epoch(carry, k):
        perm = jax.random.permutation(k, x.shape[0])[: nb * batch_size].reshape(nb, batch_size)
        carry, _ = jax.lax.scan(step, carry, perm)
        return carry, carry[0]

    _, hist = jax.lax.scan(epoch, (w0, opt.init(w0)), jax.random.split(key, epochs))
    return jnp.concatenate([w0[None], hist], axis=0)


def channel_accuracy(weights: Float[ArrayLike, "k d"], inputs: Float[ArrayLike, "n k d"],
             labels: Int[ArrayLike, " n"]) -> Float[Array, ""]:
    """Fraction of points with argmax_k w_k . x_k = y."""
    return _accuracy(jnp.asarray(weights), jnp.asarray(inputs), jnp.asarray(labels))


@jax.jit
def _accuracy(w, x, labels):
    return jnp.mean(jnp.argmax(_channel_logits(w, x), axis=-1) == labels)
