"""The multi-class (softmax) distillation loss and its per-sample gradient.

Classes are on the last axis. For student logits z, teacher logits z_t, a target y (a probability
vector, or an integer class label meaning its one-hot vector), soft ratio rho and temperature T:

    l(z) = rho CE(softmax(z_t / T), softmax(z / T)) + (1 - rho) CE(y, softmax(z)),
    CE(p, q) = -sum_c p_c log q_c,
    d l / d z = (rho / T) (softmax(z / T) - softmax(z_t / T)) + (1 - rho) (softmax(z) - y).

This is Ji & Zhu (2020) Eq. 2 with the binary cross-entropy replaced by the categorical one
(Hinton et al. 2015): with C = 2 classes and logits (z, 0), softmax((z, 0) / T) = (sigma(z / T),
sigma(-z / T)), so the loss IS [`kdntk.distillation_loss`][kdntk.distillation_loss] of z and the
gradient's first entry is Eq. 3. The soft term is the cross-entropy with the student's *tempered*
probabilities, so its gradient carries the factor 1/T, as Eq. 3 does (Hinton et al. multiply the
soft term by T^2 instead; set rho accordingly to compare). Every term is evaluated with
log-softmax, so it stays finite for saturated logits.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from kdntk._src.checks import broadcast_classes, check_array, check_class_targets, check_range

__all__ = [
    "class_probabilities",
    "softmax_loss",
    "softmax_loss_grad",
    "softmax_distillation_loss",
    "softmax_distillation_loss_per_sample",
    "softmax_distillation_loss_grad",
]


def class_probabilities(y, num_classes: int, dtype=None) -> Array:
    """Targets as probability vectors (..., C): integer class labels become one-hot vectors,
    anything else is returned as a floating array (traceable; values are not checked)."""
    y = jnp.asarray(y)
    if jnp.issubdtype(y.dtype, jnp.integer):
        return jax.nn.one_hot(y, num_classes, dtype=dtype or jnp.result_type(float))
    return y.astype(dtype or jnp.result_type(y.dtype, float))


def _per_sample_broadcast(*class_arrays, rho, T):
    """Class arrays (..., C) and per-sample rho, T broadcast to one batch shape (traceable)."""
    xs = [jnp.asarray(x) for x in class_arrays]
    rho, T = jnp.asarray(rho), jnp.asarray(T)
    batch = jnp.broadcast_shapes(*[x.shape[:-1] for x in xs], rho.shape, T.shape)
    return ([jnp.broadcast_to(x, batch + x.shape[-1:]) for x in xs],
            jnp.broadcast_to(rho, batch), jnp.broadcast_to(T, batch))


def softmax_loss(z_s, z_t, y, rho, T) -> Array:
    """Per-sample loss l of the module doc, unchecked (traceable): z_s, z_t, y (..., C)
    probability vectors; rho, T per sample (broadcast against the sample axes). Returns (...)."""
    (z_s, z_t, y), rho, T = _per_sample_broadcast(z_s, z_t, y, rho=rho, T=T)
    Tc = T[..., None]
    soft = -jnp.sum(jax.nn.softmax(z_t / Tc, axis=-1) * jax.nn.log_softmax(z_s / Tc, axis=-1), axis=-1)
    hard = -jnp.sum(y * jax.nn.log_softmax(z_s, axis=-1), axis=-1)
    return rho * soft + (1 - rho) * hard


def softmax_loss_grad(z_s, z_t, y, rho, T) -> Array:
    """d l / d z_s of ``softmax_loss``, unchecked (traceable), shape (..., C):
    (rho / T)(softmax(z_s / T) - softmax(z_t / T)) + (1 - rho)(sum(y) softmax(z_s) - y);
    sum(y) = 1 for a probability vector (the public functions check it)."""
    (z_s, z_t, y), rho, T = _per_sample_broadcast(z_s, z_t, y, rho=rho, T=T)
    Tc, rc = T[..., None], rho[..., None]
    soft = jax.nn.softmax(z_s / Tc, axis=-1) - jax.nn.softmax(z_t / Tc, axis=-1)
    hard = jnp.sum(y, axis=-1, keepdims=True) * jax.nn.softmax(z_s, axis=-1) - y
    return rc / Tc * soft + (1 - rc) * hard


_loss_jit = jax.jit(softmax_loss)
_grad_jit = jax.jit(softmax_loss_grad)


def _checked(z_s, z_t, y, soft_ratio, temperature):
    """The arguments validated (ValueError naming the argument) and broadcast, y as probabilities."""
    z_s = check_array(z_s, "z_s", min_ndim=1)
    z_t = check_array(z_t, "z_t", min_ndim=1)
    y = check_class_targets(y, z_t.shape[-1], "y", sample_ndim=z_t.ndim - 1)
    check_range(soft_ratio, "soft_ratio", low=0.0, high=1.0)
    check_range(temperature, "temperature", low=0.0, low_open=True)
    check_array(temperature, "temperature")
    y = class_probabilities(y, z_t.shape[-1], jnp.result_type(z_s.dtype, z_t.dtype))
    return broadcast_classes({"z_s": z_s, "z_t": z_t, "y": y},
                             {"soft_ratio": soft_ratio, "temperature": temperature})


def softmax_distillation_loss_per_sample(
    z_s: Float[ArrayLike, "... C"],
    z_t: Float[ArrayLike, "... C"],
    y: ArrayLike,
    *,
    soft_ratio: Float[ArrayLike, "..."],
    temperature: Float[ArrayLike, "..."],
) -> Float[Array, "..."]:
    r"""Per-sample softmax distillation loss, classes on the last axis:

    $$
    \ell = \rho\, \mathrm{CE}\bigl(\operatorname{softmax}(z_t/T), \operatorname{softmax}(z_s/T)\bigr)
      + (1 - \rho)\, \mathrm{CE}\bigl(y, \operatorname{softmax}(z_s)\bigr),
    \qquad \mathrm{CE}(p, q) = -\textstyle\sum_c p_c \log q_c .
    $$

    With C = 2 and logits (z, 0) this is [`kdntk.distillation_loss_per_sample`][kdntk.distillation_loss_per_sample]
    of z (Ji & Zhu (2020), Eq. 2). Evaluated with log-softmax: finite for saturated logits.

    Args:
      z_s: student logits (..., C).
      z_t: teacher logits (..., C).
      y: ground truth: floating probability vectors (..., C) (one-hot or soft; each sums to 1)
        or integer class labels (...) in {0, ..., C - 1}, which mean their one-hot vectors.
      soft_ratio: rho in [0, 1], per sample (broadcast against the sample axes, not the classes).
      temperature: T > 0, per sample.

    Returns:
      The loss per sample, the broadcast sample shape (...).

    Raises:
      ValueError: naming the argument: soft_ratio outside [0, 1], temperature <= 0, y not
        probability vectors or labels outside [0, C), different numbers of classes, sample
        shapes that do not broadcast, NaN or inf logits (concrete arguments).

    Example:
      >>> import kdntk
      >>> round(float(kdntk.softmax_distillation_loss_per_sample(
      ...     [0.0, 0.0, 0.0], [1.0, 2.0, 3.0], 2, soft_ratio=0.5, temperature=2.0)), 6)   # log 3
      1.098612

    References:
      Ji & Zhu (2020), Eq. 2; Hinton, Vinyals & Dean (2015), *Distilling the knowledge in a
      neural network*.
    """
    (z_s, z_t, y), (rho, T) = _checked(z_s, z_t, y, soft_ratio, temperature)
    return _loss_jit(z_s, z_t, y, rho, T)


def softmax_distillation_loss(
    z_s: Float[ArrayLike, "... C"],
    z_t: Float[ArrayLike, "... C"],
    y: ArrayLike,
    *,
    soft_ratio: Float[ArrayLike, "..."],
    temperature: Float[ArrayLike, "..."],
) -> Float[Array, ""]:
    """Mean over samples of [`kdntk.softmax_distillation_loss_per_sample`][kdntk.softmax_distillation_loss_per_sample]
    (over all sample axes after broadcasting; the classes are summed in each sample's loss).

    Example:
      >>> import kdntk   # C = 2 with logits (z, 0) is the binary loss of Ji & Zhu Eq. 2
      >>> a = kdntk.softmax_distillation_loss([[1.5, 0.0]], [[-0.5, 0.0]], [[1.0, 0.0]], soft_ratio=0.3, temperature=4.0)
      >>> b = kdntk.distillation_loss(1.5, -0.5, 1.0, soft_ratio=0.3, temperature=4.0)
      >>> bool(abs(a - b) < 1e-6)
      True
    """
    return jnp.mean(softmax_distillation_loss_per_sample(z_s, z_t, y, soft_ratio=soft_ratio,
                                                         temperature=temperature))


def softmax_distillation_loss_grad(
    z_s: Float[ArrayLike, "... C"],
    z_t: Float[ArrayLike, "... C"],
    y: ArrayLike,
    *,
    soft_ratio: Float[ArrayLike, "..."],
    temperature: Float[ArrayLike, "..."],
) -> Float[Array, "... C"]:
    r"""Gradient of the per-sample softmax loss in the student logits, shape (..., C):

    $$
    g(z_s) = \frac{\rho}{T}\bigl(\operatorname{softmax}(z_s/T) - \operatorname{softmax}(z_t/T)\bigr)
      + (1 - \rho)\bigl(\operatorname{softmax}(z_s) - y\bigr).
    $$

    It sums to zero over the classes, and its root in z_s (a line along the all-ones vector)
    is the effective student logits ([`kdntk.softmax_effective_logits`][kdntk.softmax_effective_logits]).
    Arguments and errors as in [`kdntk.softmax_distillation_loss_per_sample`][kdntk.softmax_distillation_loss_per_sample].

    Example:
      >>> import kdntk
      >>> g = kdntk.softmax_distillation_loss_grad([0.0, 0.0], [0.0, 0.0], 0, soft_ratio=0.0, temperature=1.0)
      >>> print(*(round(float(v), 6) for v in g))      # softmax(z) - y
      -0.5 0.5
    """
    (z_s, z_t, y), (rho, T) = _checked(z_s, z_t, y, soft_ratio, temperature)
    return _grad_jit(z_s, z_t, y, rho, T)
