"""The distillation loss of Ji & Zhu Eq. 2 and its per-sample gradient, Eq. 3.

    l_n = rho H(y_t,n, sigma(z_s,n / T)) + (1 - rho) H(y_g,n, sigma(z_s,n)),   y_t = sigma(z_t / T)
    L   = (1/N) sum_n l_n
    d l / d z_s = (rho / T) (sigma(z_s / T) - sigma(z_t / T)) + (1 - rho) (sigma(z_s) - y_g)

with H(p, q) = -[p log q + (1 - p) log(1 - q)] the binary cross-entropy, evaluated from logits
(log-sigmoids) so that it stays finite for saturated logits. Note that the rho-term is H with
the student's *tempered* probability sigma(z_s / T): its gradient carries the 1/T factor of Eq. 3.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from kdntk._src.checks import broadcast_named, check_distillation_args, check_range

__all__ = [
    "sigmoid",
    "binary_cross_entropy",
    "distillation_loss",
    "distillation_loss_per_sample",
    "distillation_loss_grad",
]

sigmoid = jax.nn.sigmoid


def _validate(z_s, z_t, y_g, soft_ratio, temperature):
    """The loss's arguments broadcast together, checked where concrete: finite logits, labels
    y_g in [0, 1], rho in [0, 1], finite T > 0. Under a user's jit the values are not inspected
    (a loss runs inside training loops: no host callback per step)."""
    check_range(z_s, "z_s", finite=True)
    check_distillation_args(z_t, y_g, soft_ratio, temperature)
    return broadcast_named(z_s=z_s, z_t=z_t, y_g=y_g, soft_ratio=soft_ratio, temperature=temperature)


def binary_cross_entropy(p: ArrayLike, logits: ArrayLike) -> Array:
    """H(p, sigma(logits)) = -[p log sigma(z) + (1 - p) log sigma(-z)], elementwise and stable.

    Raises:
      ValueError: p outside [0, 1], NaN or infinite logits, shapes that do not broadcast
        (concrete arguments).
    """
    check_range(p, "p", low=0.0, high=1.0)
    check_range(logits, "logits", finite=True)
    p, logits = broadcast_named(p=p, logits=logits)
    return -(p * jax.nn.log_sigmoid(logits) + (1 - p) * jax.nn.log_sigmoid(-logits))


def distillation_loss_per_sample(
    z_s: Float[ArrayLike, "..."],
    z_t: Float[ArrayLike, "..."],
    y_g: Float[ArrayLike, "..."],
    *,
    soft_ratio: Float[ArrayLike, "..."],
    temperature: Float[ArrayLike, "..."],
) -> Float[Array, "..."]:
    """Per-sample distillation loss l_n of Eq. 2, broadcasting all arguments.

    Args:
      z_s: student logits.
      z_t: teacher logits; the soft label is y_t = sigma(z_t / T).
      y_g: ground-truth labels, hard {0, 1} or soft in [0, 1].
      soft_ratio: rho in [0, 1].
      temperature: T > 0.

    Returns:
      rho H(sigma(z_t / T), sigma(z_s / T)) + (1 - rho) H(y_g, sigma(z_s)), broadcast shape.

    Raises:
      ValueError: y_g outside [0, 1], soft_ratio outside [0, 1], temperature <= 0 or infinite,
        NaN or infinite logits, shapes that do not broadcast (concrete arguments).
    """
    z_s, z_t, y_g, soft_ratio, temperature = _validate(z_s, z_t, y_g, soft_ratio, temperature)
    return _per_sample(z_s, z_t, y_g, soft_ratio, temperature)


def _bce(p, logits):
    return -(p * jax.nn.log_sigmoid(logits) + (1 - p) * jax.nn.log_sigmoid(-logits))


def _per_sample(z_s, z_t, y_g, soft_ratio, temperature):
    soft = _bce(sigmoid(z_t / temperature), z_s / temperature)
    hard = _bce(y_g, z_s)
    return soft_ratio * soft + (1 - soft_ratio) * hard


def distillation_loss(z_s, z_t, y_g, *, soft_ratio, temperature) -> Float[Array, ""]:
    """Mean distillation loss L of Eq. 2 over all samples (all elements after broadcasting).

    Example:
      >>> import kdntk
      >>> float(kdntk.distillation_loss(0.0, 0.0, 1.0, soft_ratio=0.5, temperature=2.0))  # both terms equal log 2
      0.693...
    """
    return jnp.mean(distillation_loss_per_sample(z_s, z_t, y_g, soft_ratio=soft_ratio, temperature=temperature))


def distillation_loss_grad(z_s, z_t, y_g, *, soft_ratio, temperature) -> Array:
    """d l_n / d z_s of Eq. 3: (rho/T)(sigma(z_s/T) - sigma(z_t/T)) + (1 - rho)(sigma(z_s) - y_g).

    Its root in z_s is the effective student logit ([`kdntk.effective_logits`][kdntk.effective_logits]).
    """
    z_s, z_t, y_g, soft_ratio, temperature = _validate(z_s, z_t, y_g, soft_ratio, temperature)
    soft = sigmoid(z_s / temperature) - sigmoid(z_t / temperature)
    return soft_ratio / temperature * soft + (1 - soft_ratio) * (sigmoid(z_s) - y_g)
