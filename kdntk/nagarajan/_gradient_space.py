"""The gradient-space view at small scale: channel-wise linear classifiers on the C.5 data (Nagarajan et al. (NeurIPS 2023), App. C.5).

The model has K output nodes, node k reading only channel k: f_k(x) = w_k . x_k. A teacher is trained
on one-hot labels and a self-distilled student on the teacher's temperature-T probabilities, both
with optax Adam (lr 0.1, batch 128, 512 points, 10 epochs, T = 5 in the paper). Measured:

- the fraction of (x, k) pairs whose per-sample gradient pushes w_k the right way,
  (q_k - p_k)(x_k . mu_k) > 0, zero channels counted as right or left out
  ([`gradient_sign_fraction`][kdntk.nagarajan.gradient_sign_fraction]; at p = 1/K, zero channels
  right, it gives the paper's 73.22% and 97.77%), and the literal count "x_k . mu_k > 0 iff
  target_k > 0" over all pairs ([`support_agreement_fraction`][kdntk.nagarajan.support_agreement_fraction]);
- cos-sim(w_k, mu_k) per class ([`class_cosines`][kdntk.nagarajan.class_cosines]), accuracies, logits (Fig. 23).

The whole experiment over seeds is one compiled program,
[`gradient_space_experiment`][kdntk.nagarajan.gradient_space_experiment], configured by a
[`GradientSpaceConfig`][kdntk.nagarajan.GradientSpaceConfig]: [`C5_PAPER_MATCH`][kdntk.nagarajan.C5_PAPER_MATCH]
(margin a = 0.07, reproduces every number of C.5) and [`C5_LITERAL`][kdntk.nagarajan.C5_LITERAL] (the
text's a = 0.01, which does not give the "high accuracy" the paper reports).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, ArrayLike, Float, Int

from kdntk._src.checks import (
    as_key,
    check_array,
    check_choice,
    check_integer,
    check_not_traced,
    check_range,
    error_if_nonfinite,
    is_concrete,
)
from kdntk._src.results import Result, result
from kdntk.tasks import class_similarity_dataset

__all__ = [
    "C5_LITERAL",
    "C5_PAPER_MATCH",
    "ChannelClassifier",
    "channel_accuracy",
    "channel_logits",
    "class_cosines",
    "gradient_sign_fraction",
    "gradient_space_experiment",
    "GradientSpaceConfig",
    "GradientSpaceResult",
    "support_agreement_fraction",
    "train_channel_classifier",
]


def channel_logits(weights: Float[ArrayLike, "k d"], inputs: Float[ArrayLike, "n k d"]) -> Float[Array, "n k"]:
    """f_k(x) = w_k . x_k for every point and node (Nagarajan et al. (NeurIPS 2023), Sec. 4.2, App. C.5).

    Args:
      weights: w, shape (K, D).
      inputs: x, shape (n, K, D).

    Returns:
      The logits, shape (n, K).
    """
    return _channel_logits(*_weighted(weights, inputs))


@jax.jit
def _channel_logits(w, x):
    return jnp.einsum("kd,nkd->nk", w, x)


def _weighted(weights, inputs, name="weights"):
    """(w, x) checked: finite (when concrete), non-empty, (K, D) and (n, K, D) with the same K, D."""
    x = check_array(inputs, "inputs", ndim=3)
    w = check_array(weights, name, ndim=2, dtype=jnp.result_type(x.dtype, float))
    if w.shape != x.shape[1:]:
        raise ValueError(f"{name} (K, D) and inputs (n, K, D) disagree: {name} has shape {w.shape}, "
                         f"inputs {x.shape}; {name} must have shape {x.shape[1:]}.")
    return w.astype(jnp.result_type(w.dtype, x.dtype)), x.astype(jnp.result_type(w.dtype, x.dtype))


def _scored(inputs, class_vectors):
    """(x, mu) checked to be (n, K, D) and (K, D): the scores x_k . mu_k are channel_logits(mu, x)."""
    mu, x = _weighted(class_vectors, inputs, "class_vectors")
    return x, mu


def _targets(targets, x, name="targets"):
    """(n, K) targets of the inputs x, finite (when concrete), in x's dtype."""
    t = check_array(targets, name, ndim=2, dtype=x.dtype)
    if t.shape != x.shape[:2]:
        raise ValueError(f"{name} must have shape (n, K) = {x.shape[:2]} to match inputs {x.shape}, "
                         f"got {t.shape}.")
    return t


def _finite_or_nan(value, *arrays):
    """``value`` where every array is finite, else NaN (inside the jitted cores: eagerly
    ``check_array`` has already refused NaN and inf; under a user's jit a NaN is never counted)."""
    ok = jnp.all(jnp.stack([jnp.all(jnp.isfinite(a)) for a in arrays]))
    return jnp.where(ok, value, jnp.nan)


def gradient_sign_fraction(
    inputs: Float[ArrayLike, "n k d"],
    class_vectors: Float[ArrayLike, "k d"],
    targets: Float[ArrayLike, "n k"],
    probs: Float[ArrayLike, "n k"],
    *,
    zero_channels: str = "right",
) -> Float[Array, ""]:
    r"""Fraction of pairs (x, k) whose cross-entropy gradient on w_k has the right sign.

    The per-sample descent direction of cross-entropy on node k is
    \((q_k(x) - p_k(x))\, x_k\) (Nagarajan et al. (NeurIPS 2023), Lemma B.3, Eq. 25), with q the
    target (one-hot or the teacher's probabilities) and p the model's probabilities. It is
    constructive when its projection on the class vector is positive,

    $$
    (q_k(x) - p_k(x))\,(x_k \cdot \mu_k) > 0 .
    $$

    A pair with \(x_k = 0\) carries no gradient. ``zero_channels`` says how it counts:
    ``"right"`` (default) counts it as right and divides by all n K pairs, the rule behind the
    paper's App. C.5 numbers; ``"exclude"`` leaves it out of numerator and denominator.

    The paper's counts are taken at the first step from zero weights, where p = 1/K on every node
    (pass ``probs = 1 / K``): one-hot targets are then right on the target channel and wrong on every
    similar channel, so the fraction per point is 1 - (#distinct similar classes) / K, 73.21% in
    expectation with 3 similar classes drawn with replacement among 9 (paper: 73.22%); distillation
    targets \(q = \mathrm{softmax}(f^{te}/T)\) are right on a similar channel k exactly when
    \(q_k > 1/K\) (paper: 97.77%; measured in docs/gradient_space.md). With ``"exclude"`` neither
    paper number can come out (one-hot gives 1/(1 + #distinct similar), about 27%).

    Args:
      inputs: x, shape (n, K, D).
      class_vectors: mu, shape (K, D).
      targets: one-hot labels or teacher probabilities q, (n, K).
      probs: the model's current probabilities p, (n, K) or anything broadcasting to it (e.g.
        ``1 / K`` for the first step from zero weights).
      zero_channels: ``"right"`` or ``"exclude"`` (see above).

    Returns:
      The fraction, a scalar.

    Example:
        One point, K = 3 classes, D = 2: target class 0, similar class 1, channel 2 zero.

        >>> import numpy as np
        >>> from kdntk import nagarajan
        >>> x = np.array([[[1.0, 0.0], [0.5, 0.0], [0.0, 0.0]]])
        >>> mu = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
        >>> onehot, q = np.array([[1.0, 0.0, 0.0]]), np.array([[0.5, 0.4, 0.1]])
        >>> round(float(nagarajan.gradient_sign_fraction(x, mu, onehot, 1 / 3)), 4)  # similar channel wrong
        0.6667
        >>> float(nagarajan.gradient_sign_fraction(x, mu, onehot, 1 / 3, zero_channels="exclude"))
        0.5
        >>> float(nagarajan.gradient_sign_fraction(x, mu, q, 1 / 3))  # q_1 = 0.4 > 1/K: right
        1.0
    """
    check_choice(zero_channels, "zero_channels", ("right", "exclude"))
    x, mu = _scored(inputs, class_vectors)
    tgt = _targets(targets, x)
    p = check_array(probs, "probs", dtype=x.dtype)
    try:
        p = jnp.broadcast_to(p, tgt.shape)
    except ValueError:
        raise ValueError(f"probs must broadcast to {tgt.shape} (n, K), got shape {p.shape}.") from None
    return _sign_fraction_checked(x, mu, tgt, p, zero_channels == "right")


@jax.jit
def _sign_fraction_checked(x, mu, targets, probs, zero_right):
    return _finite_or_nan(_sign_fraction(x, mu, targets, probs, zero_right), x, mu, targets, probs)


@jax.jit
def _sign_fraction(x, mu, targets, probs, zero_right):
    """Over the last two axes (n, K); leading axes broadcast (x (..., n, K, D), mu (..., K, D))."""
    live = jnp.any(x != 0, axis=-1)
    good = (targets - probs) * jnp.sum(x * mu[..., None, :, :], axis=-1) > 0
    dtype = x.dtype
    axes = (-2, -1)
    right = jnp.mean(good | ~live, axis=axes, dtype=dtype)
    kept = jnp.sum(good & live, axis=axes, dtype=dtype) / jnp.sum(live, axis=axes, dtype=dtype)
    return jnp.where(zero_right, right, kept)


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
    x, mu = _scored(inputs, class_vectors)
    tgt = _targets(targets, x)
    return _support_agreement(x, mu, tgt, threshold)


@jax.jit
def _support_agreement(x, mu, targets, threshold):
    frac = jnp.mean((_channel_logits(mu, x) > 0) == (targets > threshold), dtype=x.dtype)
    return _finite_or_nan(frac, x, mu, targets)


def class_cosines(weights: Float[ArrayLike, "k d"], class_vectors: Float[ArrayLike, "k d"]) -> Float[Array, " k"]:
    """cos-sim(w_k, mu_k) = w_k . mu_k / (||w_k|| ||mu_k||) for every class.

    Nagarajan et al. (NeurIPS 2023), Eq. 6 and Fig. 23 middle.

    Args:
      weights: w, shape (K, D).
      class_vectors: mu, shape (K, D).

    Returns:
      Shape (K,); NaN for a zero row.
    """
    w = check_array(weights, "weights", ndim=2)
    mu = check_array(class_vectors, "class_vectors", ndim=2, dtype=w.dtype)
    if w.shape != mu.shape:
        raise ValueError(f"weights and class_vectors must have the same shape (K, D); got {w.shape} "
                         f"and {mu.shape}.")
    return _cosines(w, mu)


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
    logp = jax.nn.log_softmax(_channel_logits(w, x) / temperature, axis=-1)
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
      key: PRNG key for the shuffles, typed or legacy.
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
    key = as_key(key)
    x = check_array(inputs, "inputs", ndim=3)
    tgt = _targets(targets, x)
    batch_size = check_integer(batch_size, "batch_size", low=1)
    if batch_size > x.shape[0]:
        raise ValueError(f"batch_size must lie in [1, n={x.shape[0]}], got {batch_size}.")
    epochs = check_integer(epochs, "epochs", low=0)
    check_range(learning_rate, "learning_rate", low=0.0, low_open=True)
    check_range(temperature, "temperature", low=0.0, low_open=True)
    if init is None:
        w0 = jnp.asarray(np.zeros(x.shape[1:], x.dtype))  # host zeros: no compile
    else:
        w0 = check_array(init, "init", ndim=2, dtype=x.dtype)
        if w0.shape != x.shape[1:]:
            raise ValueError(f"init must have shape (K, D) = {x.shape[1:]}, got {w0.shape}.")
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
    """Fraction of points with argmax_k w_k . x_k = y (ties go to the lowest k).

    Args:
      weights: w, shape (K, D).
      inputs: x, shape (n, K, D).
      labels: y, integers in [0, K), shape (n,).

    Returns:
      The accuracy, a scalar (NaN under jit if weights or inputs hold NaN or inf).
    """
    w, x = _weighted(weights, inputs)
    y = jnp.asarray(labels)
    if y.shape != x.shape[:1]:
        raise ValueError(f"labels must have shape (n,) = {x.shape[:1]} to match inputs {x.shape}, got {y.shape}.")
    if not jnp.issubdtype(y.dtype, jnp.integer):
        if is_concrete(y) and np.all(np.mod(np.asarray(y), 1) == 0):
            y = y.astype(jnp.int32)
        else:
            raise TypeError(f"labels must be integers in [0, K), got dtype {y.dtype}.")
    if is_concrete(y) and y.size and not (0 <= int(np.min(y)) and int(np.max(y)) < x.shape[1]):
        raise ValueError(f"labels must lie in [0, K={x.shape[1]}), got values in "
                         f"[{int(np.min(y))}, {int(np.max(y))}].")
    return _accuracy(w, x, y)


@jax.jit
def _accuracy(w, x, labels):
    acc = jnp.mean(jnp.argmax(_channel_logits(w, x), axis=-1) == labels, dtype=x.dtype)
    return _finite_or_nan(acc, w, x)


# --- The whole App. C.5 experiment over seeds, one compiled program ------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class GradientSpaceConfig:
    r"""One setting of the App. C.5 experiment of Nagarajan et al. (NeurIPS 2023): data, training, count.

    Data ([`kdntk.tasks.class_similarity_dataset`][kdntk.tasks.class_similarity_dataset]): K classes,
    \(\mu_k \sim N(0, I_D)\), target channel \(x_y = a\mu_y + (1 - a) z_y\) with z uniform on the
    unit sphere truncated to \(x_y \cdot \mu_y > 0\), ``num_similar`` similar channels scaled so that
    their scores are \(x_k \cdot \mu_k = 0.8\, b\, (x_y \cdot \mu_y)\), \(b \sim \mathrm{Beta}(4, 1)\)
    (``scaling="score"``), other channels zero. The margin a is the one setting that decides whether
    the paper's numbers come out: the text states a = 0.01
    ([`C5_LITERAL`][kdntk.nagarajan.C5_LITERAL]), under which both models stay far from "high
    accuracy"; a = 0.07 ([`C5_PAPER_MATCH`][kdntk.nagarajan.C5_PAPER_MATCH], the default) gives every
    number the paper reports (docs/gradient_space.md).

    Training ([`kdntk.nagarajan.train_channel_classifier`][kdntk.nagarajan.train_channel_classifier]):
    \(f_k(x) = w_k \cdot x_k\) from zero weights, optax Adam, teacher on one-hot labels at T = 1,
    self-distilled student on \(\mathrm{softmax}(f^{te}/T)\) with its own logits divided by T.

    Count ([`kdntk.nagarajan.gradient_sign_fraction`][kdntk.nagarajan.gradient_sign_fraction]) at the
    first step (p = 1/K): a pair (x, k) of the training set is right when
    \((q_k - 1/K)(x_k \cdot \mu_k) > 0\), zero channels counted as right (``zero_channels="right"``,
    the paper's rule) or left out (``"exclude"``).

    All fields are keyword-only; derive variants with ``dataclasses.replace``.

    Attributes:
      margin: a (the text: 0.01; 0.07 matches the paper's numbers).
      scaling: ``"score"`` (similar scores 0.8 b s_y, the separability the paper states) or
        ``"literal"`` (the text's formula; not separable for Gaussian mu).
      replace: similar classes drawn with replacement (gives the paper's 73.22%).
      num_classes: K (10).
      dim: D, the dimension of each channel (100).
      num_similar: similar channels per point (3).
      similar_scale: the 0.8 of the similar scores.
      beta_a: first parameter of the Beta law of b (4).
      beta_b: second parameter (1).
      num_train: training points (512).
      num_test: fresh test points of the same task (2000; the paper does not state its test size).
      epochs: passes over the training set (10); each is a fresh permutation in
        num_train // batch_size full batches.
      batch_size: 128.
      learning_rate: Adam's step size (0.1).
      temperature: the student's T (5).
      zero_channels: ``"right"`` or ``"exclude"``, the counting rule for zero channels.

    Example:
        >>> import dataclasses
        >>> from kdntk import nagarajan
        >>> nagarajan.C5_PAPER_MATCH.margin, nagarajan.C5_LITERAL.margin
        (0.07, 0.01)
        >>> small = dataclasses.replace(nagarajan.C5_PAPER_MATCH, dim=20, num_train=128)
    """

    margin: float = 0.07
    scaling: str = "score"
    replace: bool = True
    num_classes: int = 10
    dim: int = 100
    num_similar: int = 3
    similar_scale: float = 0.8
    beta_a: float = 4.0
    beta_b: float = 1.0
    num_train: int = 512
    num_test: int = 2000
    epochs: int = 10
    batch_size: int = 128
    learning_rate: float = 0.1
    temperature: float = 5.0
    zero_channels: str = "right"

    def __post_init__(self):
        check_range(self.margin, "margin", low=0.0, high=1.0, high_open=True)
        check_choice(self.scaling, "scaling", ("score", "literal"))
        if not isinstance(self.replace, (bool, np.bool_)):
            raise TypeError(f"replace must be a bool, got {self.replace!r}.")
        check_integer(self.num_classes, "num_classes", low=2)
        check_integer(self.dim, "dim", low=1)
        check_integer(self.num_similar, "num_similar", low=0)
        if self.num_similar > self.num_classes - 1:
            raise ValueError(f"num_similar must be <= num_classes - 1 = {self.num_classes - 1}, "
                             f"got {self.num_similar}.")
        check_range(self.similar_scale, "similar_scale", low=0.0, high=1.0, low_open=True, high_open=True)
        check_range(self.beta_a, "beta_a", low=0.0, low_open=True)
        check_range(self.beta_b, "beta_b", low=0.0, low_open=True)
        check_integer(self.num_train, "num_train", low=1)
        check_integer(self.num_test, "num_test", low=1)
        check_integer(self.epochs, "epochs", low=0)
        check_integer(self.batch_size, "batch_size", low=1)
        if self.batch_size > self.num_train:
            raise ValueError(f"batch_size must be <= num_train = {self.num_train}, got {self.batch_size}.")
        check_range(self.learning_rate, "learning_rate", low=0.0, low_open=True)
        check_range(self.temperature, "temperature", low=0.0, low_open=True)
        check_choice(self.zero_channels, "zero_channels", ("right", "exclude"))
        for name in ("margin", "similar_scale", "beta_a", "beta_b", "learning_rate", "temperature"):
            if not np.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be finite, got {getattr(self, name)!r}.")


C5_PAPER_MATCH = GradientSpaceConfig()
"""App. C.5 at margin a = 0.07 (score scaling, similar classes with replacement; everything else as
the paper states): reproduces both accuracies near 98%, the student's advantage, its better
alignment and both sign counts (73.2%, 97.8%). See docs/gradient_space.md."""

C5_LITERAL = GradientSpaceConfig(margin=0.01)
"""App. C.5 as the text states it, a = 0.01 (otherwise [`C5_PAPER_MATCH`][kdntk.nagarajan.C5_PAPER_MATCH]):
the signal a ||mu||^2 ~ 1 is too weak for 512 points, both models end far from "high accuracy" and
the student does not beat the teacher. See docs/gradient_space.md."""


@result
class GradientSpaceResult(Result):
    """The App. C.5 experiment over S seeds (one seed: one task mu, one training and one test set, one
    teacher and its self-distilled student). Fields of shape (S,) are the table (``to_csv``: one row
    per seed); [`mean`][kdntk.nagarajan.GradientSpaceResult.mean],
    [`stderr`][kdntk.nagarajan.GradientSpaceResult.stderr] and
    [`summary`][kdntk.nagarajan.GradientSpaceResult.summary] give means over seeds and their standard
    errors (sample sd / sqrt(S); paired for the differences).

    Attributes:
      teacher_accuracy, student_accuracy: test accuracy, (S,).
      accuracy_difference: student - teacher test accuracy, (S,).
      teacher_train_accuracy, student_train_accuracy: (S,).
      teacher_cosine, student_cosine: mean over classes of cos-sim(w_k, mu_k), (S,) (Fig. 23 middle).
      cosine_difference: student - teacher, (S,).
      onehot_sign_fraction, distill_sign_fraction: right-sign fractions of the first-step gradients
        on the training set, under the config's zero-channel rule, (S,) (paper 73.22%, 97.77%).
      teacher_class_cosines, student_class_cosines: per class, (S, K).
      teacher_test_curve, student_test_curve, teacher_train_curve, student_train_curve: accuracy
        after each epoch (entry 0: the zero initialization), (S, epochs + 1) (Fig. 23 left).
      teacher_weights, student_weights, class_vectors: final w and the task's mu, (S, K, D).
    """

    teacher_accuracy: Float[Array, " S"]
    student_accuracy: Float[Array, " S"]
    accuracy_difference: Float[Array, " S"]
    teacher_train_accuracy: Float[Array, " S"]
    student_train_accuracy: Float[Array, " S"]
    teacher_cosine: Float[Array, " S"]
    student_cosine: Float[Array, " S"]
    cosine_difference: Float[Array, " S"]
    onehot_sign_fraction: Float[Array, " S"]
    distill_sign_fraction: Float[Array, " S"]
    teacher_class_cosines: Float[Array, "S K"]
    student_class_cosines: Float[Array, "S K"]
    teacher_test_curve: Float[Array, "S E"]
    student_test_curve: Float[Array, "S E"]
    teacher_train_curve: Float[Array, "S E"]
    student_train_curve: Float[Array, "S E"]
    teacher_weights: Float[Array, "S K D"]
    student_weights: Float[Array, "S K D"]
    class_vectors: Float[Array, "S K D"]

    TABLE = ("teacher_accuracy", "student_accuracy", "accuracy_difference", "teacher_train_accuracy",
             "student_train_accuracy", "teacher_cosine", "student_cosine", "cosine_difference",
             "onehot_sign_fraction", "distill_sign_fraction")

    @property
    def num_seeds(self) -> int:
        """S, the number of seeds."""
        return int(np.shape(self.teacher_accuracy)[0])

    def coordinates(self):
        return {"seed": np.arange(self.num_seeds)}

    def _column(self, name):
        if name not in self.TABLE:
            raise ValueError(f"name must be one of {self.TABLE}, got {name!r}.")
        return np.asarray(getattr(self, name), np.float64)

    def mean(self, name: str) -> float:
        """Mean over seeds of the per-seed field ``name`` (one of ``TABLE``)."""
        return float(self._column(name).mean())

    def stderr(self, name: str) -> float:
        """Standard error of that mean, sd(ddof=1) / sqrt(S)."""
        v = self._column(name)
        return float(v.std(ddof=1) / np.sqrt(v.size))

    def summary(self) -> dict[str, tuple[float, float]]:
        """{name: (mean, standard error)} for every per-seed field."""
        return {name: (self.mean(name), self.stderr(name)) for name in self.TABLE}


def gradient_space_experiment(
    config: GradientSpaceConfig = C5_PAPER_MATCH,
    *,
    key: Array,
    num_seeds: int = 20,
    seed_batch: int = 1,
) -> GradientSpaceResult:
    r"""Run App. C.5 of Nagarajan et al. (NeurIPS 2023) over seeds, in one compiled program.

    Per seed s (key ``k_s = jax.random.split(key, num_seeds)[s]``, then
    ``k_data, k_teacher, k_student = jax.random.split(k_s, 3)``), exactly what these public calls
    compute (tested):

    1. ``data = class_similarity_dataset(k_data, num_train + num_test, ...)``: one task mu, its first
       num_train points train, the rest test;
    2. the teacher ``train_channel_classifier(k_teacher, x, onehot(y))`` at T = 1, and the student
       ``train_channel_classifier(k_student, x, q, temperature=T)`` on
       \(q = \mathrm{softmax}(f^{te}(x)/T)\);
    3. accuracies (test and train, after every epoch), cos-sim\((w_k, \mu_k)\) per class, and the
       first-step sign counts ``gradient_sign_fraction(x, mu, target, 1 / K, zero_channels=...)``:
       the fraction of training pairs with \((q_k - 1/K)(x_k \cdot \mu_k) > 0\), for one-hot q
       (paper 73.22%) and the teacher's q (paper 97.77%).

    The paper's claims (App. C.5, Fig. 23): both models highly accurate, the student ahead by about
    0.7 points, the student better aligned with every \(\mu_k\), and the counts above. Seeds run
    through ``jax.lax.map`` in batches of ``seed_batch`` (vmapped inside a batch); every scalar
    of the config that is not a size (margin, similar_scale, learning_rate, temperature,
    zero_channels, replace) is traced, so [`C5_PAPER_MATCH`][kdntk.nagarajan.C5_PAPER_MATCH] and
    [`C5_LITERAL`][kdntk.nagarajan.C5_LITERAL] share one compilation.

    Args:
      config: a [`GradientSpaceConfig`][kdntk.nagarajan.GradientSpaceConfig] (default
        [`C5_PAPER_MATCH`][kdntk.nagarajan.C5_PAPER_MATCH]).
      key: PRNG key, typed (``jax.random.key``) or legacy (``jax.random.PRNGKey``).
      num_seeds: S >= 2 (standard errors need two).
      seed_batch: seeds vmapped together (default 1: one seed after another, the fastest on CPU
        to compile and to run; memory about 8 (num_train + num_test) K D bytes per seed at float64).

    Returns:
      A [`GradientSpaceResult`][kdntk.nagarajan.GradientSpaceResult].

    Raises:
      TypeError: a bad key or config, or a traced argument (call outside jit).
      ValueError: out-of-range sizes. NumericalError: non-finite weights.

    Example:
        >>> import dataclasses, jax
        >>> from kdntk import nagarajan
        >>> cfg = dataclasses.replace(nagarajan.C5_PAPER_MATCH, dim=10, num_train=64, num_test=64,
        ...                           batch_size=32, epochs=2)
        >>> res = nagarajan.gradient_space_experiment(cfg, key=jax.random.key(0), num_seeds=2)
        >>> res.teacher_accuracy.shape, res.teacher_test_curve.shape
        ((2,), (2, 3))
        >>> mean, se = res.summary()["accuracy_difference"]
    """
    if not isinstance(config, GradientSpaceConfig):
        raise TypeError(f"config must be a GradientSpaceConfig (e.g. kdntk.nagarajan.C5_PAPER_MATCH), "
                        f"got {type(config).__name__}.")
    check_not_traced("nagarajan.gradient_space_experiment", key=key)
    key = as_key(key)
    num_seeds = check_integer(num_seeds, "num_seeds", low=2)
    seed_batch = min(check_integer(seed_batch, "seed_batch", low=1), num_seeds)
    c = config
    dtype = jnp.result_type(float)
    traced = [jnp.asarray(v, dtype) for v in (c.margin, c.similar_scale, c.learning_rate, c.temperature)]
    keys = jax.random.split(key, num_seeds)
    pad = -num_seeds % seed_batch  # lax.map compiles a second program for a remainder: pad instead
    keys = jnp.concatenate([keys, jnp.repeat(keys[-1:], pad, axis=0)]) if pad else keys
    out = _experiment(keys, *traced, jnp.asarray(c.replace),
                      jnp.asarray(c.zero_channels == "right"),
                      num_classes=c.num_classes, dim=c.dim, num_similar=c.num_similar,
                      beta_a=float(c.beta_a), beta_b=float(c.beta_b), scaling=c.scaling,
                      num_train=c.num_train, num_test=c.num_test, epochs=c.epochs,
                      batch_size=c.batch_size, seed_batch=seed_batch)
    out = {name: value[:num_seeds] for name, value in out.items()}
    error_if_nonfinite(out["teacher_weights"], "gradient_space_experiment: teacher weights became NaN/inf.")
    error_if_nonfinite(out["student_weights"], "gradient_space_experiment: student weights became NaN/inf.")
    return GradientSpaceResult(**out)


_STATIC = ("num_classes", "dim", "num_similar", "beta_a", "beta_b", "scaling", "num_train", "num_test",
           "epochs", "batch_size", "seed_batch")


@functools.partial(jax.jit, static_argnames=_STATIC)
def _experiment(keys, margin, similar_scale, learning_rate, temperature, replace, zero_right, *,
                num_classes, dim, num_similar, beta_a, beta_b, scaling, num_train, num_test, epochs,
                batch_size, seed_batch):
    dtype = margin.dtype
    options = dict(margin=margin, similar_scale=similar_scale, beta_a=beta_a, beta_b=beta_b,
                   num_similar=num_similar, scaling=scaling, replace=replace)
    w0 = jnp.zeros((num_classes, dim), dtype)
    uniform = jnp.full((), 1.0 / num_classes, dtype)

    def one(k):
        k_data, k_te, k_st = jax.random.split(k, 3)
        data = class_similarity_dataset(k_data, num_train + num_test, num_classes, dim, **options)
        mu, inputs, labels = data.class_vectors, data.inputs, data.labels
        x = inputs[:num_train]
        onehot = jax.nn.one_hot(labels[:num_train], num_classes, dtype=dtype)

        def stage(targets, k_and_t):  # teacher (one-hot, T = 1), then student (teacher's q, T)
            k_stage, t = k_and_t
            hist = _train(k_stage, x, targets, w0, epochs, batch_size, learning_rate, t)
            return jax.nn.softmax(_channel_logits(hist[-1], x) / temperature, axis=-1), hist

        temps = jnp.stack([jnp.ones((), dtype), temperature])
        _, hists = jax.lax.scan(stage, onehot, (jnp.stack([k_te, k_st]), temps))  # (2, E + 1, K, D)
        soft = jax.nn.softmax(_channel_logits(hists[0, -1], x) / temperature, axis=-1)
        # both models, every epoch, train and test points at once
        z = jnp.einsum("mekd,nkd->menk", hists, inputs)
        correct = jnp.argmax(z, axis=-1) == labels[None, None, :]
        train_curve = jnp.mean(correct[..., :num_train], axis=-1, dtype=dtype)  # (2, E + 1)
        test_curve = jnp.mean(correct[..., num_train:], axis=-1, dtype=dtype)
        cos = _cosines(hists[:, -1], mu[None])  # (2, K)
        signs = _sign_fraction(x[None], mu[None], jnp.stack([onehot, soft]), uniform, zero_right)
        return dict(
            teacher_accuracy=test_curve[0, -1], student_accuracy=test_curve[1, -1],
            accuracy_difference=test_curve[1, -1] - test_curve[0, -1],
            teacher_train_accuracy=train_curve[0, -1], student_train_accuracy=train_curve[1, -1],
            teacher_cosine=jnp.mean(cos[0]), student_cosine=jnp.mean(cos[1]),
            cosine_difference=jnp.mean(cos[1] - cos[0]),
            onehot_sign_fraction=signs[0], distill_sign_fraction=signs[1],
            teacher_class_cosines=cos[0], student_class_cosines=cos[1],
            teacher_test_curve=test_curve[0], student_test_curve=test_curve[1],
            teacher_train_curve=train_curve[0], student_train_curve=train_curve[1],
            teacher_weights=hists[0, -1], student_weights=hists[1, -1], class_vectors=mu,
        )

    return jax.lax.map(one, keys, batch_size=seed_batch)
