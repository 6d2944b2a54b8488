"""Effective-logit curves of Ji & Zhu (2020), Fig. 1: z_eff against the teacher's logit z_t for a
correct teacher (y_g = 1{z_t > 0}) and a wrong one (y_g = 1 - 1{z_t > 0}), per (rho, T) pair."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from kdntk._src.checks import check_array
from kdntk._src.effective import effective_logits
from kdntk._src.results import Result, result

__all__ = ["EffectiveLogitCurves", "effective_logit_curves"]


@result
class EffectiveLogitCurves(Result):
    """z_eff(z_t) for P (soft ratio, temperature) pairs, correct and wrong hard labels.

    Attributes:
      z_t: the teacher logits, shape (M,).
      soft_ratio: rho of each pair, shape (P,).
      temperature: T of each pair, shape (P,).
      correct: z_eff(z_t, 1{z_t > 0}; rho, T), shape (P, M).
      wrong: z_eff(z_t, 1 - 1{z_t > 0}; rho, T), shape (P, M).
    """

    z_t: Float[Array, " M"]
    soft_ratio: Float[Array, " P"]
    temperature: Float[Array, " P"]
    correct: Float[Array, "P M"]
    wrong: Float[Array, "P M"]

    TABLE = ("correct", "wrong")

    def coordinates(self):
        return {"soft_ratio": np.asarray(self.soft_ratio)[:, None],
                "temperature": np.asarray(self.temperature)[:, None],
                "z_t": np.asarray(self.z_t)[None, :]}


def effective_logit_curves(z_t, *, soft_ratio, temperature=1.0) -> EffectiveLogitCurves:
    """Fig. 1 of Ji & Zhu (2020): z_eff against z_t (Eq. 3) for each (rho, T) pair.

    Args:
      z_t: teacher logits, 1-D (M,).
      soft_ratio: rho in [0, 1], scalar or 1-D.
      temperature: T > 0, scalar or 1-D (broadcast against ``soft_ratio``: P pairs).

    Returns:
      [`EffectiveLogitCurves`][kdntk.ji_zhu.EffectiveLogitCurves].

    Example:
      >>> import jax.numpy as jnp, kdntk
      >>> c = kdntk.ji_zhu.effective_logit_curves(jnp.linspace(-5, 5, 11), soft_ratio=[0.2, 1.0],
      ...                                         temperature=5.0)
      >>> c.correct.shape, bool((c.correct[1] == c.z_t).all())   # rho = 1: z_eff = z_t
      ((2, 11), True)
    """
    z = check_array(z_t, "z_t", ndim=1)
    rho, T = (jnp.atleast_1d(check_array(v, name, dtype=z.dtype))
              for v, name in ((soft_ratio, "soft_ratio"), (temperature, "temperature")))
    if rho.ndim > 1 or T.ndim > 1:
        raise ValueError("soft_ratio and temperature must be scalars or 1-D.")
    rho, T = jnp.broadcast_arrays(rho, T)
    correct = (z > 0).astype(z.dtype)
    wrong = 1 - correct           # the opposite label everywhere (z_t = 0 included)

    def curves(labels):
        return effective_logits(z[None, :], labels[None, :], soft_ratio=rho[:, None], temperature=T[:, None])

    return EffectiveLogitCurves(z_t=z, soft_ratio=rho, temperature=T, correct=curves(correct), wrong=curves(wrong))
