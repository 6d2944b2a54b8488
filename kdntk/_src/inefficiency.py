"""Data inefficiency I(n) (Ji & Zhu, NeurIPS 2020, Definition 1, Eq. 10; supplement S4).

    I(n) = n [ln E||dw_{n+1}|| - ln E||dw_n||],     ||dw_n|| = sqrt(dz_n^T Theta_n^-1 dz_n),

the expectation over input samples and student initializations. Each trial of the engine draws
N inputs once, factors Theta(X, X) once and reads ||dw_n|| for every nested prefix n = 1..N from
[`kdntk.weight_norm_path_from_cholesky`][kdntk.weight_norm_path_from_cholesky]; every teacher of a stack and every soft ratio
(temperature) of a trial share that factorization. Successive n are thus paired (same inputs),
which removes most of the Monte-Carlo noise from the difference that defines I(n).

Beside Definition 1's one-step value, the result holds the windowed slope of ln E||dw_j|| over
j in [n / w, (n + 1) w] ([`kdntk.windowed_slope`][kdntk.windowed_slope]): the same quantity
smoothed over a window, from every prefix norm in it, with a 2-5x smaller standard error.
N is max(n) + 1, widened to the largest window's last point (about max(n) w).
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from kdntk._src import callables, engine
from kdntk._src.checks import KernelError
from kdntk._src.conditioning import diagnose
from kdntk._src.kernels import blocked_kernel
from kdntk._src.memory import (
    DEFAULT_BLOCK_ROWS,
    data_inefficiency_bytes,
    depth_width,
    fit_block_rows,
    pair_workspace,
)
from kdntk._src.montecarlo import WINDOW, Estimate, window_bounds, windowed_slope
from kdntk._src.networks import Network, as_network
from kdntk._src.results import Result, result, static
from kdntk._src.solve import cholesky_factor, norm_path
from kdntk._src.student import (
    check_teacher_outputs,
    hyperparameters,
    logit_changes,
    teacher_outputs,
    with_effective_logits,
)

__all__ = ["DataInefficiency", "data_inefficiency", "check_sample_sizes"]


@result
class DataInefficiency(Result):
    """Result of [`kdntk.data_inefficiency`][kdntk.data_inefficiency]. Axes, always present: E teachers (1 for a plain
    target; a teacher stack's teachers), R (soft ratio, temperature) pairs (1 for scalars),
    K trials, S = len(sample_sizes).

    Attributes:
      sample_sizes: n, shape (S,).
      soft_ratio: rho of each pair, shape (R,).
      temperature: T of each pair, shape (R,).
      inefficiency: I(n) of Eq. 10, shape (E, R, S).
      inefficiency_stderr: its Monte-Carlo standard error (delta method over paired trials).
      mean_norm: E||dw_n||, shape (E, R, S).
      std_norm: standard deviation of ||dw_n|| across trials, shape (E, R, S).
      norms: ||dw_n|| of every trial, shape (E, R, K, S).
      next_norms: ||dw_{n+1}|| of every trial, shape (E, R, K, S).
      slope: the windowed estimate of I(n): least-squares slope of ln E||dw_j|| against
        H_{j-1} ~ ln j over j in [n / w, (n + 1) w], shape (E, R, S)
        ([`kdntk.windowed_slope`][kdntk.windowed_slope]).
      slope_stderr: its standard error (delta method over the window's paired trials).
      window: w, shape () (w = 1 makes ``slope`` equal ``inefficiency``).
      inputs: how each trial's inputs were drawn, e.g. "Gaussian N(0, 5^2 I_2), fresh draws per
        trial (12 points each)" or "without replacement from a data set of 1797 points
        (scikit-learn digits), ..." (docs/engine.md, "Inputs"); static in the pytree, and a
        column of ``to_dict`` / ``to_csv`` / ``to_dataframe``.
    """

    sample_sizes: Int[Array, " S"]
    soft_ratio: Float[Array, " R"]
    temperature: Float[Array, " R"]
    inefficiency: Float[Array, "E R S"]
    inefficiency_stderr: Float[Array, "E R S"]
    mean_norm: Float[Array, "E R S"]
    std_norm: Float[Array, "E R S"]
    norms: Float[Array, "E R K S"]
    next_norms: Float[Array, "E R K S"]
    slope: Float[Array, "E R S"]
    slope_stderr: Float[Array, "E R S"]
    window: Float[Array, ""]
    inputs: str = static()

    TABLE = ("inefficiency", "inefficiency_stderr", "slope", "slope_stderr", "mean_norm", "std_norm")

    def coordinates(self):
        e, r, s = np.shape(self.inefficiency)
        pair = np.asarray(self.soft_ratio)[None, :, None], np.asarray(self.temperature)[None, :, None]
        return {"teacher": np.arange(e)[:, None, None], "soft_ratio": pair[0],
                "temperature": pair[1], "n": np.asarray(self.sample_sizes)[None, None, :]}


def check_sample_sizes(sample_sizes) -> np.ndarray:
    """A non-empty 1-D array of positive integers, as numpy."""
    if isinstance(sample_sizes, (int, np.integer)):
        raise TypeError(f"sample_sizes must be a 1-D sequence of positive integers, e.g. "
                        f"[{sample_sizes}], got the scalar {sample_sizes!r}.")
    sizes = np.asarray(sample_sizes)
    if sizes.dtype.kind == "f" and sizes.size and np.all(np.isfinite(sizes)) and np.all(sizes == np.round(sizes)):
        sizes = sizes.astype(np.int64)
    if sizes.ndim != 1 or sizes.size == 0 or not np.issubdtype(sizes.dtype, np.integer) or sizes.min() < 1:
        raise ValueError(f"sample_sizes must be a non-empty 1-D array of positive integers, got {sample_sizes!r}.")
    return sizes


def _trial(x, key, evaluated, net, rho, T, init, block):
    """||dw_n|| paths (E, R, N) of one trial (kernels, effective logits, factorization, solves)
    and the diagnosis of its kernel."""
    z_t, y_g, *z_eff = evaluated      # one logit: z_eff from the engine's host step
    nngp, theta = blocked_kernel(net, x, x, ("nngp", "ntk"), block)   # one pass gives both
    dz = logit_changes(net, x, key, z_t, y_g, rho, T, init, nngp, *z_eff)
    L = cholesky_factor(theta, jnp.zeros((), x.dtype))
    if dz.ndim == 4:        # C classes: ||dw_n||^2 sums the classes' paths (kernel Theta (x) I_C)
        paths = jnp.sqrt(jnp.sum(norm_path(L, jnp.swapaxes(dz, -1, -2)) ** 2, axis=-2))
    else:
        paths = norm_path(L, dz)
    return paths, diagnose(theta, L, check_symmetry=False)


def _failure(bad):
    return KernelError(
        f"trials {bad} produced non-finite ||dw_n||: their kernel is not numerically positive "
        "definite (duplicate inputs?) or the effective logits are infinite (soft_ratio = 0 with "
        "hard labels has no finite solution).")


def data_inefficiency(
    target: Callable[[Array], Array],
    net: Network,
    sample_sizes,
    *,
    key: Array,
    num_trials: int = 20,
    labels: Callable[[Array], Array] | None = None,
    soft_ratio=1.0,
    temperature=1.0,
    reduction: float = 1.0,
    init: str = "network",
    window: float = WINDOW,
    inputs: Any = None,
    input_dim: int = 2,
    input_std: float = engine.INPUT_STD,
    dtype: Any = jnp.float64,
    trial_batch: int = 8,
    devices=None,
    progress: bool = False,
    check_memory: bool = True,
    block_rows: int = DEFAULT_BLOCK_ROWS,
) -> DataInefficiency:
    """Data inefficiency I(n) = n [ln E||dw_{n+1}|| - ln E||dw_n||] (Ji & Zhu 2020, Def. 1, Eq. 10).

    For each of K trials (the engine's key schedule): N inputs x, teacher logits
    z_t = reduction * target(x), labels y_g = labels(x) (default 1{z_t > 0}), effective logits
    z_eff(z_t, y_g; rho, T) (Eq. 3), initial student logits z0 (``init``), and
    ||dw_n|| = sqrt(dz_n^T Theta_n^-1 dz_n) for all n <= N from one Cholesky factorization.
    Definition 1's I(n) uses n and n + 1; the windowed ``slope`` uses every j in
    [n / w, (n + 1) w] ([`kdntk.windowed_slope`][kdntk.windowed_slope]), so
    N = max(max(n) + 1, floor((max(n) + 1) w)) (about 1.41 max(n) at the default w = sqrt 2;
    ``window=1`` gives N = max(n) + 1 and ``slope == inefficiency``). Explicit ``inputs`` with
    fewer points per trial cap N at their count (at least max(n) + 1): the largest windows are
    then cut at N, one-sided.

    Engine arguments (``key`` ... ``block_rows``): the same in every sweep (docs/engine.md).

    Args:
      target: teacher logits, inputs (n, *features) -> (n,) or (n, 1): a plain function, a
        task from [`kdntk.tasks`][kdntk.tasks], or a teacher stack (e.g. ``TeacherSnapshots``: axis E).
      net: the student network (a [`kdntk.Network`][kdntk.Network] or a stax triple); its closed-form
        NTK is used.
      sample_sizes: the n at which I(n) is reported (1-D, positive integers).
      key: PRNG key, typed or legacy.
      num_trials: K >= 2, the number of trials averaged in E.
      labels: ground-truth labels in [0, 1], inputs -> (n,); default 1{z_t > 0}.
      soft_ratio: rho in [0, 1], scalar or 1-D.
      temperature: T > 0, scalar or 1-D (broadcast against soft_ratio: R pairs).
      reduction: the reduction factor r of the supplement's S4 applied to teacher logits.
      init: "network" (finite-width draw of ``net``), "prior" (NNGP sample) or "zero".
      window: w >= 1, the half-width factor of the windowed slope's sizes [n / w, (n + 1) w]
        (default sqrt 2; docs/inefficiency.md for the bias-variance choice).

    Returns:
      A [`DataInefficiency`][kdntk.DataInefficiency] with fields of shape (E, R, S).

    Raises:
      ValueError / TypeError: a bad argument (each names itself), or a callable whose outputs
        break the callable contract (shape, NaN, labels outside [0, 1]).
      KernelError: a trial's kernel is not numerically positive definite (e.g. duplicate inputs).
      InsufficientMemoryError: the sweep cannot fit in memory (checked before allocating).

    Example:
      >>> import jax, kdntk
      >>> task = kdntk.tasks.gaussian_mixture(jax.random.key(0), num_modes=2)
      >>> res = kdntk.data_inefficiency(task, kdntk.mlp(2), [4, 8], key=jax.random.key(1),
      ...                               num_trials=3, init="zero")
      >>> res.inefficiency.shape, res.inputs
      ((1, 1, 2), 'Gaussian N(0, 5^2 I_2), fresh draws per trial (12 points each)')
    """
    sweep = engine.sweep_arguments("data_inefficiency", **engine.arguments_of(locals()))
    net = as_network(net)
    sizes = check_sample_sizes(sample_sizes)
    n = num_points(sizes, window, sweep.inputs)
    with sweep.precision():
        rho, T, r = hyperparameters(soft_ratio, temperature, reduction, init, sweep.dtype)
        depth, width = depth_width(net)
        features = engine.feature_shape(sweep, n)
        both = ("nngp", "ntk")
        block = fit_block_rows(net, n, n, features, sweep.dtype, sweep.block_rows, num_kernels=2, get=both)
        trials = engine.run(
            sweep, _trial, num_points=n, name="data_inefficiency",
            evaluate=teacher_outputs, evaluate_args=(target, labels, r),
            check_evaluated=lambda ev: check_teacher_outputs(ev, labels, rho),
            prepare=with_effective_logits, prepare_args=(rho, T),
            args=(net, rho, T, init, block),
            trial_bytes=data_inefficiency_bytes(
                n, trials_per_device=0, num_rhs=callables_size(target) * rho.size,
                block_rows=block, dtype=sweep.dtype, init=init, depth=depth, width=width,
                input_dim=math.prod(features), per_pair=pair_workspace(net, features, sweep.dtype, both)),
            failure=_failure, diagnosed=True)
        paths = jnp.moveaxis(jnp.asarray(trials.outputs), 0, 2)     # (E, R, K, N)
        slope = windowed_slope(paths, sizes, window=window)
        return _statistics(paths, jnp.asarray(sizes), rho, T, slope,
                           jnp.asarray(window, sweep.dtype), trials.inputs)


def num_points(sizes: np.ndarray, window: float, inputs=None) -> int:
    """N: the points per trial that Definition 1 (max(n) + 1) and the largest window need,
    capped by the points of explicit ``inputs`` (K, N', ...) when they hold fewer."""
    need = int(sizes.max()) + 1
    n = max(need, int(window_bounds(sizes, window=window)[:, 1].max()))
    if inputs is not None and not callable(inputs):
        n = max(need, min(n, int(np.shape(inputs)[1])))
    return n


def callables_size(target) -> int:
    """The number E of teachers in a target (1 for a plain callable)."""
    return int(np.prod(callables.stack_shape(target), dtype=int))


@functools.partial(jax.jit, static_argnames="inputs")
def _statistics(paths, sizes, rho, T, slope: Estimate, window, inputs):
    """I(n), its delta-method standard error and norm statistics from paths (E, R, K, N)."""
    now = paths[..., sizes - 1]
    nxt = paths[..., sizes]
    m_now, m_nxt = now.mean(-2), nxt.mean(-2)
    k = paths.shape[-2]
    n = jnp.broadcast_to(sizes.astype(paths.dtype), m_now.shape)
    ineff = n * (jnp.log(m_nxt) - jnp.log(m_now))
    # Var of ln(mean a) - ln(mean b) ~= Var(a / m_a - b / m_b) / K for paired samples.
    rel = nxt / m_nxt[..., None, :] - now / m_now[..., None, :]
    stderr = n * jnp.std(rel, axis=-2, ddof=1) / jnp.sqrt(k)
    return DataInefficiency(
        sample_sizes=sizes, soft_ratio=rho, temperature=T, inefficiency=ineff,
        inefficiency_stderr=stderr, slope=slope.value, slope_stderr=slope.stderr, window=window,
        mean_norm=m_now, std_norm=jnp.std(now, axis=-2, ddof=1),
        norms=now, next_norms=nxt, inputs=inputs)

