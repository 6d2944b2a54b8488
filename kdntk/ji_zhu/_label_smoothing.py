"""The label-smoothing view of distillation from a perfect teacher (Ji & Zhu 2020, Sec. 4.2).

With a perfect teacher (y_g = 1{z_t > 0}) the effective logit is close to the teacher's logit cut
off at a threshold t = z_eff(0+, 1): z_eff ~= sgn(z_t) max(t, |z_t|), which is how soft and hard
labels combine like label smoothing.
"""

from __future__ import annotations

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from kdntk._src.checks import check_array
from kdntk._src.effective import effective_logits

__all__ = ["label_smoothing_threshold", "cutoff_logits", "cutoff_error"]


def label_smoothing_threshold(*, soft_ratio, temperature=1.0) -> Array:
    """The threshold t = z_eff(0+, 1) of the label-smoothing connection (Ji & Zhu 2020, Sec. 4.2).

    Example:
      >>> import kdntk
      >>> t = kdntk.ji_zhu.label_smoothing_threshold(soft_ratio=0.5, temperature=1.0)
      >>> round(float(t), 4)   # log 3: sigma(t) = 3/4, the mean of sigma(0) and the hard label 1
      1.0986
    """
    return effective_logits(0.0, 1.0, soft_ratio=soft_ratio, temperature=temperature)


def cutoff_logits(z_t, *, soft_ratio, temperature=1.0) -> Array:
    """The cut-off approximation z_eff ~= sgn(z_t) max(t, |z_t|) of a perfect teacher (Sec. 4.2).

    With y_g = 1{z_t > 0}, so sgn(0) = -1: at z_t = 0 the label is 0 and z_eff = -t (Eq. 3 is odd
    under (z_t, y_g) -> (-z_t, 1 - y_g)). t is
    [`label_smoothing_threshold`][kdntk.ji_zhu.label_smoothing_threshold].

    Example:
      >>> import jax.numpy as jnp, kdntk
      >>> kdntk.ji_zhu.cutoff_logits(jnp.array([-3.0, 0.0, 0.5, 3.0]), soft_ratio=0.5, temperature=1.0)
      Array([-3.      , -1.09861..., 1.09861..., 3.      ], dtype=float32)
    """
    z_t = check_array(z_t, "z_t")
    t = label_smoothing_threshold(soft_ratio=soft_ratio, temperature=temperature)
    return jnp.where(z_t > 0, 1.0, -1.0) * jnp.maximum(t, jnp.abs(z_t))


def cutoff_error(z_t: Float[ArrayLike, "..."], *, soft_ratio, temperature=1.0) -> Float[Array, ""]:
    """max |z_eff(z_t, 1{z_t > 0}) - sgn(z_t) max(t, |z_t|)| / t over ``z_t``: how close the
    label-smoothing cut-off approximation of Sec. 4.2 is, relative to the threshold t.

    Example:
      >>> import jax.numpy as jnp, kdntk
      >>> err = kdntk.ji_zhu.cutoff_error(jnp.linspace(-30, 30, 601), soft_ratio=0.5, temperature=5.0)
      >>> bool(err < 0.5)
      True
    """
    z_t = check_array(z_t, "z_t")
    z_eff = effective_logits(z_t, (z_t > 0).astype(z_t.dtype), soft_ratio=soft_ratio, temperature=temperature)
    t = label_smoothing_threshold(soft_ratio=soft_ratio, temperature=temperature)
    return jnp.max(jnp.abs(z_eff - cutoff_logits(z_t, soft_ratio=soft_ratio, temperature=temperature))) / t
