"""Data inefficiency I(n) of Ji & Zhu Definition 1 (000 Eq. 10, Sec. 4; 003 S4).

    I(n) = n [ln E||dw_{n+1}|| - ln E||dw_n||],     ||dw_n|| = sqrt(dz_n^T Theta_n^-1 dz_n),

the expectation over input samples and student initializations. For each trial kdntk draws
N = max(n) + 1 inputs once, factors Theta(X, X) once and reads ||dw_n|| for every nested prefix
n = 1..N from :func:`kdntk.weight_norm_path_from_cholesky`; all soft ratios (temperatures) of a
trial share that factorization. Successive n are thus paired (same inputs), which removes most
of the Monte-Carlo noise from the difference that defines I(n).
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from kdntk._checks import KernelError, check_range
from kdntk.effective import _broadcast, _effective, _validate
from kdntk.kernels import DEFAULT_BLOCK_ROWS, _blocked_kernel
from kdntk.memory import _depth_width, check_fits, data_inefficiency_bytes
from kdntk.networks import Network
from kdntk.sharding import run_trials, trial_mesh
from kdntk.solve import _cholesky, weight_norm_path_from_cholesky
from kdntk.tasks._synthetic import INPUT_STD

__all__ = ["DataInefficiency", "data_inefficiency", "student_logit_changes"]

INITS = ("network", "prior", "zero")
PRIOR_JITTER = 1e-10
"""Relative diagonal jitter for sampling the NNGP prior z0 ~ N(0, K) (init="prior")."""


class DataInefficiency(NamedTuple):
    """Result of :func:`data_inefficiency` (a pytree of arrays). R is the soft-ratio axis,
    present only when soft_ratio or temperature was 1-D; S = len(sample_sizes); K = trials.

    Attributes:
      sample_sizes: n, shape (S,).
      inefficiency: I(n) of Eq. 10, shape (R?, S).
      inefficiency_stderr: its Monte-Carlo standard error (delta method over paired trials),
        shape (R?, S).
      mean_norm: E||dw_n||, shape (R?, S).
      std_norm: standard deviation of ||dw_n|| across trials, shape (R?, S).
      norms: ||dw_n|| of every trial, shape (R?, K, S).
      next_norms: ||dw_{n+1}|| of every trial, shape (R?, K, S).
    """

    sample_sizes: Int[Array, " S"]
    inefficiency: Float[Array, "*R S"]
    inefficiency_stderr: Float[Array, "*R S"]
    mean_norm: Float[Array, "*R S"]
    std_norm: Float[Array, "*R S"]
    norms: Float[Array, "*R K S"]
    next_norms: Float[Array, "*R K S"]


def student_logit_changes(
    target: Callable[[Array], Array],
    net: Network,
    x: Float[Array, "n d"],
    key: Array,
    *,
    labels: Callable[[Array], Array] | None = None,
    soft_ratio=1.0,
    temperature=1.0,
    reduction=1.0,
    init: str = "network",
    nngp: Float[Array, "n n"] | None = None,
) -> Float[Array, "*R n"]:
    """dz = z_eff(r z_t(x), y_g(x); rho, T) - z0(x): the student's target logit changes (Eq. 3-4).

    ``labels`` defaults to the perfect teacher's hard labels 1{z_t > 0}. ``init`` picks z0:
    "network" (a finite-width draw of ``net`` from ``key``), "prior" (an NNGP sample, the
    infinite-width limit of that draw) or "zero". ``soft_ratio`` / ``temperature`` may be 1-D
    (a leading axis R); ``nngp`` may pass K(x, x) when already computed. Pure and traceable;
    used inside :func:`data_inefficiency`.
    """
    z_t, y_g = _teacher_outputs(target, labels, reduction, x)
    return _logit_changes(net, x, key, z_t, y_g, soft_ratio, temperature, init, nngp)


def _teacher_outputs(target, labels, reduction, x):
    """Teacher logits r z_t(x) (shape (*E, n)) and ground-truth labels y_g(x)."""
    z_t = reduction * target(x)
    y_g = (z_t > 0).astype(x.dtype) if labels is None else labels(x)
    return z_t, y_g


def _logit_changes(net, x, key, z_t, y_g, soft_ratio, temperature, init, nngp=None):
    rho, T = jnp.asarray(soft_ratio, x.dtype), jnp.asarray(temperature, x.dtype)
    rho, T = jnp.broadcast_arrays(rho, T)
    z_eff = _effective(*_broadcast(z_t, y_g, rho[..., None], T[..., None]))
    z0 = _initial_logits(net, x, key, init, nngp)
    return z_eff - z0.reshape((1,) * (z_eff.ndim - 1) + z0.shape)


def _initial_logits(net, x, key, init, nngp=None):
    if init == "zero":
        return jnp.zeros(x.shape[:1], x.dtype)
    if init == "network":
        _, params = net.init_fn(key, x.shape)
        return net.apply_fn(params, x).reshape(x.shape[0]).astype(x.dtype)
    if nngp is None:
        nngp = _blocked_kernel(net, x, x, "nngp", min(DEFAULT_BLOCK_ROWS, x.shape[0]))
    # K is positive semi-definite and often numerically singular: sample N(0, K + delta I) with
    # delta = PRIOR_JITTER * mean(diag K), the usual Gaussian-process remedy. The extra white
    # noise adds about delta * tr(Theta_n^-1) to ||dw_n||^2, negligible unless Theta itself is
    # near-singular (which cholesky() reports). Cholesky is ~20x cheaper than eigh on CPU.
    jitter = max(PRIOR_JITTER, 100 * x.shape[0] * float(jnp.finfo(x.dtype).eps))
    L = _cholesky(nngp, jnp.asarray(jitter, x.dtype))
    return L @ jax.random.normal(key, x.shape[:1], x.dtype)


def _trial_targets(xs, target, labels, reduction):
    """(z_t, y_g) of a stack of trials' inputs (K, N, d), one trial after another."""
    return jax.lax.map(lambda x: _teacher_outputs(target, labels, reduction, x), xs)


def _trial_paths(stacked, net, soft_ratio, temperature, init, block):
    """||dw_n|| paths (K, *R, N) of a stack of trials (inputs, z_t, y_g, init keys).

    The teacher enters only through its outputs z_t, y_g (computed by :func:`_trial_targets`),
    so this program -- kernels, effective logits, factorization, solves -- compiles once per
    student, shape and init and is shared by every target of a sweep.
    """
    def one(x, z_t, y_g, key):
        # One pass over the rows gives both kernels.
        nngp, theta = _blocked_kernel(net, x, x, ("nngp", "ntk"), block)
        dz = _logit_changes(net, x, key, z_t, y_g, soft_ratio, temperature, init, nngp)
        return weight_norm_path_from_cholesky(_cholesky(theta, jnp.zeros((), x.dtype)), dz)

    # Trials run sequentially (lax.map), not vmapped: a vmapped kernel + eigh + Cholesky program
    # was seen to hang XLA:CPU (jax 0.10.2), and on CPU a batched LAPACK call is a loop anyway.
    return jax.lax.map(lambda a: one(*a), stacked)


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
    inputs: Float[Array, "K N d"] | None = None,
    input_dim: int = 2,
    input_std: float = INPUT_STD,
    dtype: Any = jnp.float64,
    trial_batch: int = 8,
    block_rows: int = DEFAULT_BLOCK_ROWS,
    progress: bool = False,
    devices=None,
    check_memory: bool = True,
) -> DataInefficiency:
    """Data inefficiency I(n) = n [ln E||dw_{n+1}|| - ln E||dw_n||] (000 Definition 1, Eq. 10).

    For each of ``num_trials`` trials: draw N = max(sample_sizes) + 1 inputs x ~ N(0, input_std^2
    I), teacher logits z_t = reduction * target(x), labels y_g = labels(x) (default 1{z_t > 0}),
    effective logits z_eff(z_t, y_g; rho, T) (Eq. 3), initial student logits z0 (``init``), and
    ||dw_n|| = sqrt(dz_n^T Theta_n^-1 dz_n) for all n from one Cholesky factorization.

    Args:
      target: teacher logit function, inputs (n, d) -> logits (n,); a plain function or a task
        from :mod:`kdntk.tasks`.
      net: the student network, e.g. ``kdntk.mlp(3)``; its closed-form NTK is used.
      sample_sizes: the n at which I(n) is reported (1-D, positive integers).
      key: PRNG key for inputs and initializations (trial k uses ``split(key, K)[k]``).
      num_trials: K >= 2, the number of trials averaged in E.
      labels: ground-truth label function, inputs -> {0, 1} (or soft) labels (n,).
      soft_ratio: rho in [0, 1], scalar or 1-D (then results gain a leading axis R).
      temperature: T > 0, scalar or 1-D (broadcast against soft_ratio).
      reduction: the reduction factor r of S4 applied to teacher logits.
      init: "network" (finite-width draw of ``net``), "prior" (NNGP sample) or "zero".
      inputs: explicit inputs of shape (K, N', d), N' > max(sample_sizes), used instead of the
        sampler for exact reproducibility (their first max(n) + 1 rows are used).
      input_dim: the sampler's input dimension d.
      input_std: the sampler's standard deviation.
      dtype: float64 by default (computed under ``jax.enable_x64``); float32 is faster on
        accelerators but loses digits for ill-conditioned kernels.
      trial_batch: trials per compiled batch (memory ~ trial_batch * N^2).
      block_rows: rows per kernel block.
      progress: show a tqdm progress bar over trial batches.
      devices: devices to shard the trial axis over (a sequence of ``jax.Device`` or a 1-D
        ``jax.sharding.Mesh`` from :func:`kdntk.sharding.trial_mesh`); ``None`` means all local
        devices. Each batch of ``trial_batch`` trials (rounded up to a multiple of the device
        count) is split across devices with ``shard_map``; results equal the one-device run.
      check_memory: estimate the peak memory of one batch on one device first
        (:func:`kdntk.memory.data_inefficiency_bytes`) and raise if it cannot fit.

    Returns:
      A :class:`DataInefficiency`.

    Raises:
      ValueError: bad arguments (each names itself).
      KernelError: a trial's kernel is not numerically positive definite (e.g. duplicate inputs).

    Example:
      >>> import jax, kdntk
      >>> task = kdntk.tasks.gaussian_mixture(jax.random.key(0), num_modes=2)
      >>> res = kdntk.data_inefficiency(task, kdntk.mlp(3), [4, 8], key=jax.random.key(1),
      ...                               num_trials=4)
      >>> res.inefficiency.shape
      (2,)
    """
    sizes = _check_sweep(sample_sizes, net, num_trials)
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}.")
    if int(trial_batch) != trial_batch or trial_batch < 1:
        raise ValueError(f"trial_batch must be a positive integer, got {trial_batch!r}.")
    _validate(0.0, 0.5, soft_ratio, temperature)
    check_range(reduction, "reduction", low=0.0, low_open=True)
    if np.ndim(soft_ratio) > 1 or np.ndim(temperature) > 1:
        raise ValueError("soft_ratio and temperature must be scalars or 1-D arrays.")
    n_max = int(sizes.max()) + 1
    num_trials = int(num_trials)

    with jax.enable_x64(np.dtype(dtype) == np.float64):
        dtype = jnp.dtype(dtype)
        keys = jax.random.split(key, num_trials)
        input_keys, init_keys = jax.vmap(lambda k: jax.random.split(k, 2))(keys).transpose(1, 0)
        if inputs is None:
            xs = jax.vmap(lambda k: input_std * jax.random.normal(k, (n_max, input_dim), dtype))(input_keys)
        else:
            xs = jnp.asarray(inputs, dtype)
            if xs.ndim != 3 or xs.shape[0] != num_trials or xs.shape[1] < n_max:
                raise ValueError(
                    f"inputs must have shape (num_trials={num_trials}, N > max(sample_sizes)={n_max - 1}, d), "
                    f"got {xs.shape}."
                )
            if not np.all(np.isfinite(np.asarray(xs))):
                raise ValueError("inputs contains NaN or inf.")
            xs = xs[:, :n_max]
        rho = jnp.asarray(soft_ratio, dtype)
        T = jnp.asarray(temperature, dtype)
        block = int(min(block_rows, n_max))
        mesh = trial_mesh(devices)
        num_dev = mesh.devices.size
        trial_batch = min(int(trial_batch), num_trials)
        trial_batch = -(-trial_batch // num_dev) * num_dev  # a multiple of the device count
        if check_memory:
            _check_batch_memory(n_max, trial_batch // num_dev, np.size(rho * T), block, dtype,
                                init, net, xs.shape[-1], mesh.devices.flat[0])
        batches = range(0, num_trials, int(trial_batch))
        if progress:
            from tqdm.auto import tqdm

            batches = tqdm(batches, desc="data_inefficiency", unit="batch")
        # Batches run one after another (blocking), so peak memory stays at one batch.
        reduction = jnp.asarray(reduction, dtype)
        paths = []
        for i in batches:
            batch = (xs[i:i + trial_batch], init_keys[i:i + trial_batch])
            z_t, y_g = run_trials(_trial_targets, mesh, batch[0], target, labels, reduction)
            paths.append(run_trials(_trial_paths, mesh, (batch[0], z_t, y_g, batch[1]),
                                    net, rho, T, init, block))
        paths = jnp.concatenate(paths, axis=0)  # (K, *R, N)
        _check_paths(paths)
        return _statistics(jnp.moveaxis(paths, 0, -2), jnp.asarray(sizes))


def _check_sweep(sample_sizes, net, num_trials) -> np.ndarray:
    """Validate the arguments every Monte-Carlo sweep over nested n shares; return the sizes."""
    sizes = np.asarray(sample_sizes)
    if sizes.ndim != 1 or sizes.size == 0 or not np.issubdtype(sizes.dtype, np.integer) or sizes.min() < 1:
        raise ValueError(f"sample_sizes must be a non-empty 1-D array of positive integers, got {sample_sizes!r}.")
    if not isinstance(net, Network):
        raise TypeError(f"net must be a kdntk.Network (e.g. kdntk.mlp(3)), got {type(net).__name__}.")
    if int(num_trials) != num_trials or num_trials < 2:
        raise ValueError(f"num_trials must be an integer >= 2, got {num_trials!r}.")
    return sizes


def _check_batch_memory(n, trials_per_device, num_rhs, block, dtype, init, net, input_dim,
                        device):
    depth, width = _depth_width(net)
    need = data_inefficiency_bytes(n, trials_per_device=trials_per_device, num_rhs=num_rhs,
                                   block_rows=block, dtype=dtype, init=init, depth=depth,
                                   width=width, input_dim=input_dim)
    check_fits(need, device, what=f"data_inefficiency (N = {n}, {trials_per_device} trials per "
               f"device per batch, {num_rhs} right-hand sides)")


def _check_paths(paths):
    bad = ~np.all(np.isfinite(np.asarray(paths)), axis=tuple(range(1, paths.ndim)))
    if bad.any():
        raise KernelError(
            f"trials {np.flatnonzero(bad)[:8].tolist()} produced non-finite ||dw_n||: their kernel "
            "is not numerically positive definite (duplicate inputs?) or the effective logits are "
            "infinite (soft_ratio = 0 with hard labels has no finite solution)."
        )


@jax.jit
def _statistics(paths, sizes):
    """I(n), its delta-method standard error and norm statistics from paths (*R, K, N)."""
    now = paths[..., sizes - 1]
    nxt = paths[..., sizes]
    m_now, m_nxt = now.mean(-2), nxt.mean(-2)
    k = paths.shape[-2]
    n = jnp.broadcast_to(sizes.astype(paths.dtype), m_now.shape)
    ineff = n * (jnp.log(m_nxt) - jnp.log(m_now))
    # Var of ln(mean a) - ln(mean b) ~= Var(a / m_a - b / m_b) / K for paired samples.
    rel = nxt / m_nxt[..., None, :] - now / m_now[..., None, :]
    stderr = n * jnp.std(rel, axis=-2, ddof=1) / jnp.sqrt(k)
    return DataInefficiency(sizes, ineff, stderr, m_now, jnp.std(now, axis=-2, ddof=1), now, nxt)

