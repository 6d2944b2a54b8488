"""Fitting the zero function versus fitting a task (Ji & Zhu 2020, supplement S5, Ji & Zhu (2020), Sec. 3 and Fig. 3).

Ji & Zhu (2020), Sec. 3 drops the "zero weight change" dw_z, the weight change that makes the linearized student
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

from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from kdntk._src import callables, engine
from kdntk._src.checks import as_key, check_choice, check_inputs, check_range
from kdntk._src.gradient_flow import check_times, kernel_eigh
from kdntk._src.kernels import ntk
from kdntk._src.networks import as_network
from kdntk._src.student import initial_logits
from kdntk._src.inefficiency import data_inefficiency
from kdntk._src.memory import DEFAULT_BLOCK_ROWS
from kdntk._src.montecarlo import log_mean_ratio
from kdntk._src.results import Result, result, static
from kdntk._src.networks import Network
from kdntk._src.pytrees import dataclass_pytree

__all__ = ["ZeroFunctionComparison", "zero_function_comparison", "ZeroFunctionFlow", "zero_function_flow"]


@dataclass_pytree(["target"])
class _WithZero:
    """(target(x), 0): a task and the zero function as one teacher stack of two."""

    target: object

    @property
    def stack_shape(self):
        return (2,) + callables.stack_shape(self.target)

    def __call__(self, x):
        z = callables.call(self.target, x, "target")
        return jnp.stack([z, jnp.zeros_like(z)])


@result
class ZeroFunctionComparison(Result):
    """Result of [`zero_function_comparison`][kdntk.ji_zhu.zero_function_comparison]; E teachers (1 for a plain target), K trials,
    S sample sizes.

    Attributes:
      sample_sizes: n, shape (S,).
      task_sq: ||dw_n||^2 of every trial (student fitting the task from w0), shape (E, K, S).
      zero_sq: ||dw_z,n||^2 of every trial (fitting the zero function from w0), shape (E, K, S).
      log_ratio: ln(E||dw_z,n||^2 / E||dw_n||^2) per n, shape (E, S).
      log_ratio_stderr: its paired (delta-method) standard error, shape (E, S).
      inputs: how each trial's inputs were drawn, e.g. "Gaussian N(0, 5^2 I_2), fresh draws per
        trial (9 points each)" (docs/engine.md, "Inputs"); static in the pytree, and a column of
        ``to_dict`` / ``to_csv`` / ``to_dataframe``.
    """

    sample_sizes: Int[Array, " S"]
    task_sq: Float[Array, "E K S"]
    zero_sq: Float[Array, "E K S"]
    log_ratio: Float[Array, "E S"]
    log_ratio_stderr: Float[Array, "E S"]
    inputs: str = static()

    TABLE = ("log_ratio", "log_ratio_stderr")

    def coordinates(self):
        e = np.shape(self.log_ratio)[0]
        return {"teacher": np.arange(e)[:, None], "n": np.asarray(self.sample_sizes)[None, :]}


def zero_function_comparison(
    target: Callable[[Array], Array],
    net: Network,
    sample_sizes,
    *,
    key: Array,
    num_trials: int = 20,
    init: str = "prior",
    reduction: float = 1.0,
    inputs: Any = None,
    input_dim: int = 2,
    input_std: float = engine.INPUT_STD,
    dtype: Any = jnp.float64,
    trial_batch: int = 8,
    devices=None,
    progress: bool = False,
    check_memory: bool = True,
    block_rows: int = DEFAULT_BLOCK_ROWS,
) -> ZeroFunctionComparison:
    """||dw_z,n||^2 (zero function) against ||dw_n||^2 (the task) for every n (Ji & Zhu 2020, supplement S5), paired.

    Pure soft distillation (rho = 1): the student fits z_t = reduction * target(x) from its
    initial logits z0 (``init``: "prior" = NNGP sample, "network" = finite-width draw).

    Engine arguments (``key`` ... ``block_rows``): the same in every sweep (docs/engine.md).

    Args:
      target: teacher logits, inputs (n, *features) -> (n,) or (n, 1), or a teacher stack.
      net: the student network (a [`kdntk.Network`][kdntk.Network] or a stax triple).
      sample_sizes: the n reported.
      key: PRNG key (inputs and initializations: the engine's key schedule).
      num_trials: K >= 2.
      init: "prior" or "network" ("zero" would make dw_z = 0).
      reduction: the reduction factor r of the supplement's S4 on the teacher's logits.

    Returns:
      [`ZeroFunctionComparison`][kdntk.ji_zhu.ZeroFunctionComparison].

    Raises:
      ValueError: ``init`` is not "prior" or "network", or a bad engine argument.

    Example:
      >>> import jax, kdntk
      >>> gt = kdntk.tasks.gaussian_mixture(jax.random.key(0), num_modes=2)
      >>> cmp = kdntk.ji_zhu.zero_function_comparison(gt, kdntk.mlp(2), [4, 8], key=jax.random.key(1),
      ...                                             num_trials=3)
      >>> cmp.zero_sq.shape
      (1, 3, 2)
    """
    check_choice(init, "init", ("prior", "network"))   # "zero" has no zero-function change
    res = data_inefficiency(_WithZero(target), net, sample_sizes, init=init, reduction=reduction,
                            window=1.0, **engine.arguments_of(locals()))   # N = max(n) + 1
    # The norms come back in data_inefficiency's dtype (float64 by default, computed under
    # enable_x64); keep that precision for the statistics when the caller runs without x64.
    with jax.enable_x64(res.norms.dtype == jnp.float64):
        e = res.norms.shape[0] // 2
        task_sq, zero_sq = res.norms[:e, 0] ** 2, res.norms[e:, 0] ** 2       # (E, K, S) each
        ratio = log_mean_ratio(jnp.swapaxes(zero_sq, -1, -2), jnp.swapaxes(task_sq, -1, -2))
        return ZeroFunctionComparison(sample_sizes=res.sample_sizes, task_sq=task_sq,
                                      zero_sq=zero_sq, log_ratio=ratio.value,
                                      log_ratio_stderr=ratio.stderr, inputs=res.inputs)


@result
class ZeroFunctionFlow(Result):
    """Result of [`zero_function_flow`][kdntk.ji_zhu.zero_function_flow]: weight changes along training time.

    Attributes:
      times: the training times t, shape (T,).
      task_norm: ||dw(t)|| of the student fitting the task, shape (T,).
      zero_norm: ||dw_z(t)|| of the student fitting the zero function, shape (T,).
    """

    times: Float[Array, " T"]
    task_norm: Float[Array, " T"]
    zero_norm: Float[Array, " T"]

    TABLE = ("task_norm", "zero_norm")

    def coordinates(self):
        return {"time": np.asarray(self.times)}


def zero_function_flow(
    target: Callable[[Array], Array],
    net: Network,
    x: Float[Array, "n d"],
    times,
    *,
    key: Array,
    init: str = "prior",
    reduction: float = 1.0,
) -> ZeroFunctionFlow:
    """Ji & Zhu (2020), supplement Fig. S6: ||dw(t)|| along training, for the task and for the zero function.

    The linearized student trained by gradient flow on the squared loss of its logits at the n
    inputs ``x`` (time t, learning rate folded in), from its initial logits z0, has
    f_t(X) - z0 = (I - exp(-t Theta)) dz with dz = r target(X) - z0 (the task) or dz = -z0 (the
    zero function), and its weight change stays in span phi(X), so with Theta = V diag(lambda) V^T

        ||dw(t)||^2 = sum_k (1 - exp(-t lambda_k))^2 (v_k^T dz)^2 / lambda_k,

    which tends to dz^T Theta^-1 dz (the converged norms of
    [`zero_function_comparison`][kdntk.ji_zhu.zero_function_comparison]) as t -> inf. Fig. S6 trains the
    linearized network with SGD on the distillation loss; the squared loss gives the same fixed
    point at rho = 1 and the same per-eigendirection ordering of convergence speeds, in closed form.

    Args:
      target: teacher logits, inputs (n, d) -> (n,) or (n, 1).
      net: the student network (a [`kdntk.Network`][kdntk.Network] or a stax triple).
      x: the training inputs, (n, d).
      times: training times t >= 0 (inf allowed), scalar or 1-D.
      key: PRNG key of the initial logits.
      init: "prior" (NNGP sample) or "network" (finite draw of ``net``).
      reduction: the reduction factor r on the teacher's logits.

    Returns:
      [`ZeroFunctionFlow`][kdntk.ji_zhu.ZeroFunctionFlow].

    Example:
      >>> import jax, jax.numpy as jnp, kdntk
      >>> gt = kdntk.tasks.gaussian_mixture(jax.random.key(0), num_modes=2)
      >>> x = kdntk.tasks.sample_inputs(jax.random.key(1), 16)
      >>> flow = kdntk.ji_zhu.zero_function_flow(gt, kdntk.mlp(2), x, jnp.array([0.0, 1.0, jnp.inf]),
      ...                                        key=jax.random.key(2))
      >>> float(flow.task_norm[0]), flow.zero_norm.shape
      (0.0, (3,))
    """
    check_choice(init, "init", ("prior", "network"))   # "zero" has no zero-function change
    check_range(reduction, "reduction", low=0.0, low_open=True, finite=True)
    net = as_network(net)
    x = check_inputs(x, "x")
    t = check_times(times, "times", dtype=x.dtype)
    z0 = initial_logits(net, x, as_key(key), init)
    z_t = reduction * callables.call(target, x, "target")
    callables.check_values(z_t, "target")
    lam, V = kernel_eigh(ntk(net, x))
    task, zero = _flow_norms(lam, V, jnp.stack([z_t - z0, -z0]), jnp.atleast_1d(t))
    shape = jnp.shape(t)
    return ZeroFunctionFlow(times=t, task_norm=task.reshape(shape), zero_norm=zero.reshape(shape))


@jax.jit
def _flow_norms(lam, V, dz, t):
    """||dw(t)|| for the rows of dz (2, n) at times t (T,): (2, T)."""
    alpha = -jnp.expm1(-t[:, None] * lam[None, :])                          # (T, n)
    pos = lam > 0
    gain = jnp.where(pos[None, :], alpha**2 / jnp.where(pos, lam, 1.0)[None, :], 0.0)
    proj = (dz @ V) ** 2                                                     # (2, n)
    return jnp.sqrt(proj @ gain.T)                                           # (2, T)
