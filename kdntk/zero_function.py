"""Fitting the zero function versus fitting a task (003 S5, 000 Sec. 3 and Fig. 3).

000 Sec. 3 drops the "zero weight change" dw_z, the weight change that makes the linearized student
output zero (target logit change dz = -f(x; w0), the initial function), because "fitting the zero
function is far easier" than the task: ||dw_z||^2 << ||dw*||^2. kdntk measures both from ONE
all-prefix path per trial: the target is stacked as (z_t(x), 0), so with the same inputs and the
same initial logits z0 the two rows give

    ||dw_n||^2   = (z_t - z0)^T Theta_n^-1 (z_t - z0)     (the student fitting the task from w0),
    ||dw_z,n||^2 = z0^T Theta_n^-1 z0                     (fitting the zero function from w0),

for every n = 1..N. For the infinite-width initial function z0 ~ N(0, K) (init="prior"),
E||dw_z,n||^2 = tr(Theta_n^-1 K_n) exactly (K: the NNGP kernel), the closed form the tests use.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from kdntk.inefficiency import data_inefficiency
from kdntk.montecarlo import Estimate, log_mean_ratio
from kdntk.networks import Network
from kdntk.teacher import _pytree

__all__ = ["ZeroFunctionComparison", "zero_function_comparison"]


@_pytree(["target"])
class _WithZero:
    """(target(x), 0): a task and the zero function as one target with a leading axis of 2."""

    target: object

    def __call__(self, x):
        z = self.target(x)
        return jnp.stack([z, jnp.zeros_like(z)])


class ZeroFunctionComparison(NamedTuple):
    """Result of :func:`zero_function_comparison`; K trials, S sample sizes.

    Attributes:
      sample_sizes: n, shape (S,).
      task_sq: ||dw_n||^2 of every trial (student fitting the task from w0), shape (K, S).
      zero_sq: ||dw_z,n||^2 of every trial (fitting the zero function from w0), shape (K, S).
      log_ratio: ln(E||dw_z,n||^2 / E||dw_n||^2) per n with its paired standard error, (S,).
    """

    sample_sizes: Int[Array, " S"]
    task_sq: Float[Array, "K S"]
    zero_sq: Float[Array, "K S"]
    log_ratio: Estimate


def zero_function_comparison(
    target: Callable[[Array], Array], net: Network, sample_sizes, *, key: Array, num_trials: int = 20,
    init: str = "prior", reduction: float = 1.0, **kwargs,
) -> ZeroFunctionComparison:
    """||dw_z,n||^2 (zero function) against ||dw_n||^2 (the task) for every n (003 S5), paired.

    Pure soft distillation (rho = 1): the student fits z_t = reduction * target(x) from its
    initial logits z0 (``init``: "prior" = NNGP sample, "network" = finite-width draw).

    Args:
      target: teacher logit function, inputs (n, d) -> (n,).
      net: the student network.
      sample_sizes: the n reported.
      key: PRNG key (inputs and initializations, as in :func:`kdntk.data_inefficiency`).
      num_trials: K >= 2.
      init: "prior" or "network" ("zero" would make dw_z = 0).
      reduction: the reduction factor r of 003 S4 on the teacher's logits.
      **kwargs: passed to :func:`kdntk.data_inefficiency` (inputs, devices, input_std, ...).

    Returns:
      :class:`ZeroFunctionComparison`.

    Raises:
      ValueError: ``init`` is not "prior" or "network", or a bad argument of data_inefficiency.

    Example:
      >>> import jax, kdntk
      >>> gt = kdntk.tasks.gaussian_mixture(jax.random.key(0), num_modes=2)
      >>> cmp = kdntk.zero_function_comparison(gt, kdntk.mlp(2), [4, 8], key=jax.random.key(1),
      ...                                      num_trials=3)
      >>> cmp.zero_sq.shape
      (3, 2)
    """
    if init not in ("prior", "network"):
        raise ValueError(f"init must be 'prior' or 'network' (the zero function needs an initial "
                         f"function), got {init!r}.")
    res = data_inefficiency(_WithZero(target), net, sample_sizes, key=key, num_trials=num_trials,
                            init=init, reduction=reduction, **kwargs)
    # The norms come back in data_inefficiency's dtype (float64 by default, computed under
    # enable_x64); keep that precision for the statistics when the caller runs without x64.
    with jax.enable_x64(res.norms.dtype == jnp.float64):
        task_sq, zero_sq = res.norms[0] ** 2, res.norms[1] ** 2           # (K, S) each
        return ZeroFunctionComparison(res.sample_sizes, task_sq, zero_sq,
                                      log_mean_ratio(zero_sq.T, task_sq.T))
