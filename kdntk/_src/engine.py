"""The trial engine: the one driver of every Monte-Carlo sweep in kdntk.

A sweep repeats a computation over K independent trials and reports means and standard errors.
Every sweep (data inefficiency, transfer-risk curves, hard-label curves, early stopping, the
zero-function comparison, and any a user writes with [`kdntk.run_trials`][kdntk.run_trials]) goes through
``run``, which owns what they share:

- the engine arguments, validated once (``sweep_arguments``), the same in every sweep;
- PRNG keys, typed (``jax.random.key``) or legacy (``jax.random.PRNGKey``), and ONE key schedule:

      trial_key_k              = jax.random.split(key, K)[k]
      input_key_k, init_key_k  = jax.random.split(trial_key_k)
      x_k                      = input_std * jax.random.normal(input_key_k, (N, d))

  With JAX's default (partitionable) threefry, ``split(key, K)[k]`` does not depend on K and the
  first n rows of ``normal(key, (N, d))`` do not depend on N, so trial k's first n inputs are the
  same in every sweep called with the same key ([`trial_inputs`][kdntk.trial_inputs] returns them);
- the inputs: the Gaussian sampler above, explicit inputs (K, N', *features), or a sampler
  ``sampler(key, N) -> (N, *features)`` (e.g. a finite data set drawn without replacement),
  and the one description of them that every result records (``describe_inputs``);
- the dtype and its x64 scope, trial batching, devices and sharding (one process or many),
  the memory pre-check of the whole sweep (host and device), the progress bar, non-finite
  detection, and the Monte-Carlo statistics (``kdntk._src.montecarlo``).

Each batch runs two compiled programs: ``evaluate`` (draw the inputs and apply the user's
callables, whose outputs are checked on the host by the one callable contract of
``kdntk._src.callables``) and ``trial`` (the analysis' maths: kernels, factorization,
solves). The second never sees a user callable, so it compiles once per analysis and shape and is
shared by every target of a study.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh

from kdntk._src.checks import (
    NumericalError,
    as_key,
    check_array,
    check_flag,
    check_integer,
    check_not_traced,
    check_range,
)
from kdntk._src.conditioning import report_trials
from kdntk._src.jit import filter_jit
from kdntk._src.memory import DEFAULT_BLOCK_ROWS, check_fits
from kdntk._src.results import result, static
from kdntk._src.sharding import run_trials as run_on_mesh
from kdntk._src.sharding import trial_mesh
from kdntk.tasks import INPUT_STD

__all__ = [
    "INPUT_STD",
    "ARGUMENTS",
    "arguments_of",
    "Sweep",
    "SweepOutput",
    "Trials",
    "run_trials",
    "sweep_arguments",
    "trial_keys",
    "feature_shape",
    "trial_inputs",
    "describe_inputs",
    "run",
]


ARGUMENTS = ("key", "num_trials", "inputs", "input_dim", "input_std", "dtype", "trial_batch",
             "devices", "progress", "check_memory", "block_rows")
"""The engine arguments: every sweep takes them, keyword-only, with the same meaning."""


def arguments_of(scope: dict) -> dict:
    """The engine arguments among a sweep's local variables (``arguments_of(locals())``)."""
    return {name: scope[name] for name in ARGUMENTS}


@dataclasses.dataclass(frozen=True)
class Sweep:
    """The engine arguments of a sweep, validated (see ``sweep_arguments``)."""

    key: jax.Array
    num_trials: int
    inputs: Any
    input_dim: int
    input_std: float
    dtype: np.dtype
    trial_batch: int
    mesh: Mesh
    progress: bool
    check_memory: bool
    block_rows: int

    def precision(self):
        """The x64 scope of the sweep: float64 work needs ``jax.enable_x64`` on."""
        if self.dtype == np.float64:
            return jax.enable_x64(True)
        return contextlib.nullcontext()


def sweep_arguments(
    function: str,
    *,
    key,
    num_trials,
    inputs=None,
    input_dim=2,
    input_std=INPUT_STD,
    dtype=jnp.float64,
    trial_batch=8,
    devices=None,
    progress=False,
    check_memory=True,
    block_rows=DEFAULT_BLOCK_ROWS,
    min_trials: int = 2,
) -> Sweep:
    """Validate the engine arguments that every sweep takes, with the same meaning everywhere.

    Args:
      function: the public sweep's name, for messages.
      key: PRNG key, typed or legacy.
      num_trials: K, at least ``min_trials`` (2: a standard error needs two trials).
      inputs: None (the Gaussian sampler), explicit inputs (K, N', *features) with N' at least
        the sweep's N, or a sampler ``sampler(key, N) -> (N, *features)``.
      input_dim: d of the Gaussian sampler.
      input_std: its standard deviation.
      dtype: float64 (computed under ``jax.enable_x64``) or float32.
      trial_batch: trials per compiled batch (rounded up to a multiple of the device count).
      devices: devices, or a 1-D mesh from [`kdntk.trial_mesh`][kdntk.trial_mesh]; None: ``jax.devices()``.
      progress: show a tqdm progress bar over batches.
      check_memory: estimate the whole sweep's memory first and raise if it cannot fit.
      block_rows: rows per kernel block.
    """
    check_not_traced(function, key=key, inputs=inputs)
    key = as_key(key)
    num_trials = check_integer(num_trials, "num_trials", low=min_trials)
    trial_batch = check_integer(trial_batch, "trial_batch")
    block_rows = check_integer(block_rows, "block_rows")
    input_dim = check_integer(input_dim, "input_dim")
    check_range(input_std, "input_std", low=0.0, low_open=True)
    if not np.isfinite(input_std):
        raise ValueError(f"input_std must be finite, got {input_std!r}.")
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be jnp.float64 or jnp.float32, got {dtype!r}.") from None
    if dtype not in (np.float64, np.float32):
        raise ValueError(f"dtype must be jnp.float64 or jnp.float32, got {dtype}.")
    check_flag(progress, "progress")
    check_flag(check_memory, "check_memory")
    if inputs is not None and not callable(inputs):
        with jax.enable_x64(dtype == np.float64):
            inputs = check_array(inputs, "inputs", min_ndim=3, dtype=dtype)
        if inputs.shape[0] != num_trials:
            raise ValueError(f"inputs must hold num_trials = {num_trials} trials on its first axis, "
                             f"got shape {inputs.shape}; pass num_trials={inputs.shape[0]}.")
    return Sweep(key, num_trials, inputs, input_dim, float(input_std), dtype, trial_batch,
                 trial_mesh(devices), bool(progress), bool(check_memory), block_rows)


def feature_shape(sweep: Sweep, num_points: int) -> tuple:
    """The shape of one input of the sweep, (d,) for the Gaussian sampler, (H, W, C) for images."""
    source = _Source.of(sweep)
    if source.kind == "gaussian":
        return (sweep.input_dim,)
    if source.kind == "explicit":
        return tuple(sweep.inputs.shape[2:])
    return tuple(_drawn_shape(sweep, _Draw(source, str(jax.random.key_impl(sweep.key)), num_points)).shape[2:])


def trial_keys(key, num_trials: int):
    """The key schedule: (input keys, init keys), each (K,), of trials k = 0..K-1 (module doc)."""
    return _trial_keys(as_key(key), int(num_trials))


@functools.partial(jax.jit, static_argnums=1)
def _trial_keys(key, num_trials: int):
    pairs = jax.vmap(jax.random.split)(jax.random.split(key, num_trials))   # (K, 2)
    return pairs[:, 0], pairs[:, 1]


def trial_inputs(key, num_trials: int, num_points: int, *, inputs=None, input_dim: int = 2,
                 input_std: float = INPUT_STD, dtype=jnp.float64):
    """The inputs (K, N, *features) that every sweep called with these arguments uses.

    Args:
      key: the sweep's PRNG key (typed or legacy).
      num_trials: K.
      num_points: N, the points per trial.
      inputs: as in the sweeps: None (Gaussian), explicit (K, N', *features), or a sampler.
      input_dim: d of the Gaussian sampler.
      input_std: its standard deviation.
      dtype: float64 or float32.

    Example:
      >>> import jax, kdntk
      >>> x = kdntk.trial_inputs(jax.random.key(0), 3, 5)
      >>> x.shape, bool((x[:, :2] == kdntk.trial_inputs(jax.random.key(0), 3, 2)).all())
      ((3, 5, 2), True)
    """
    sweep = sweep_arguments("trial_inputs", key=key, num_trials=num_trials, inputs=inputs,
                            input_dim=input_dim, input_std=input_std, dtype=dtype, min_trials=1)
    num_points = check_integer(num_points, "num_points")
    _check_explicit(sweep, num_points)
    source = _Source.of(sweep)
    if source.kind == "explicit":
        return sweep.inputs[:, :num_points]
    with sweep.precision():
        keys = jax.random.key_data(trial_keys(sweep.key, sweep.num_trials)[0])
        draw = _Draw(source, str(jax.random.key_impl(sweep.key)), num_points)
        return jnp.asarray(run_on_mesh(draw, trial_mesh(jax.devices()[:1]), keys, *_sampler(sweep)))


@dataclasses.dataclass(frozen=True)
class _Source:
    """Where a trial's inputs come from (hashable: a static argument of the compiled programs)."""

    kind: str              # "gaussian", "explicit" or "sampler" (passed to the draw program)
    input_dim: int
    input_std: float
    dtype: Any

    @staticmethod
    def of(sweep: Sweep) -> _Source:
        if sweep.inputs is None:
            return _Source("gaussian", sweep.input_dim, sweep.input_std, sweep.dtype)
        return _Source("sampler" if callable(sweep.inputs) else "explicit", 0, 0.0, sweep.dtype)


def _sampler(sweep: Sweep) -> tuple:
    """The draw program's argument: the sampler (a callable pytree: its arrays are traced), or none."""
    return (sweep.inputs,) if callable(sweep.inputs) else ()


def _drawn_shape(sweep: Sweep, draw: _Draw) -> jax.ShapeDtypeStruct:
    """The shape of one trial's drawn inputs (1, N, *features), without drawing them (a plain
    function as the sampler is a static argument of ``_apply``, a callable pytree's arrays are
    abstracted)."""
    return _apply.eval_shape(draw, jax.random.key_data(sweep.key)[None], *_sampler(sweep))


def describe_inputs(sweep: Sweep, num_points: int) -> str:
    """How the sweep draws each trial's ``num_points`` inputs, in words: the ``inputs`` field of
    every sweep's result. A sampler describes itself with a ``description`` string attribute
    (e.g. [`kdntk.tasks.WithoutReplacement`][kdntk.tasks.WithoutReplacement]); any other callable
    is named by its qualified name."""
    source = _Source.of(sweep)
    if source.kind == "explicit":
        return (f"explicit: trial k uses inputs[k, :{num_points}] of the given array of shape "
                f"{tuple(sweep.inputs.shape)}")
    if source.kind == "gaussian":
        what = f"Gaussian N(0, {source.input_std:g}^2 I_{source.input_dim})"
    else:
        what = getattr(sweep.inputs, "description", None)
        if not isinstance(what, str):
            what = "user sampler " + getattr(sweep.inputs, "__qualname__", type(sweep.inputs).__qualname__)
    return f"{what}, fresh draws per trial ({num_points} points each)"


@dataclasses.dataclass(frozen=True)
class _Draw:
    """The program that draws a stack of trials' inputs (K, N, *features) from their input keys.

    Its own program, so the inputs are materialized once: the callables and the trial maths then
    see exactly the numbers [`trial_inputs`][kdntk.trial_inputs] returns (fused into a consumer, the draw could
    round differently in the last bit, and ill-conditioned kernels amplify that)."""

    source: _Source
    impl: str
    num_points: int

    def __call__(self, keys, *sampler):
        keys = jax.random.wrap_key_data(keys, impl=self.impl)   # keys travel as raw uint32 data
        n, source = self.num_points, self.source
        if source.kind == "gaussian":
            return jax.vmap(lambda k: source.input_std * jax.random.normal(
                k, (n, source.input_dim), source.dtype))(keys)
        x = jax.vmap(lambda k: sampler[0](k, n))(keys)
        if x.ndim < 3 or x.shape[1] != n:
            raise ValueError(f"the inputs sampler must return (N, *features) = ({n}, ...) for "
                             f"sampler(key, {n}), got shape {x.shape[1:]}.")
        return x.astype(source.dtype)


class SweepOutput(NamedTuple):
    """What ``run`` returns: every trial's outputs and evaluated callables (numpy, K first), and
    how the inputs were drawn (``describe_inputs``), for the result's ``inputs`` field."""

    outputs: Any
    evaluated: Any
    inputs: str


@dataclasses.dataclass(frozen=True)
class _Evaluate:
    """The program that applies the user's callables to a stack of trials' inputs."""

    fn: Callable

    def __call__(self, x, *args):
        return jax.lax.map(lambda xi: self.fn(xi, *args), x)


@dataclasses.dataclass(frozen=True)
class _Trial:
    """The program of the analysis' maths over a stack of trials (x, init keys, evaluated)."""

    fn: Callable
    impl: str

    def __call__(self, stacked, *args):
        x, keys, evaluated = stacked
        keys = jax.random.wrap_key_data(keys, impl=self.impl)   # keys travel as raw uint32 data
        return jax.lax.map(lambda t: self.fn(*t, *args), (x, keys, evaluated))


def _nothing(x):
    return ()


def _check_explicit(sweep: Sweep, num_points: int) -> None:
    if sweep.inputs is not None and not callable(sweep.inputs) and sweep.inputs.shape[1] < num_points:
        raise ValueError(
            f"inputs has {sweep.inputs.shape[1]} points per trial (shape {sweep.inputs.shape}); "
            f"this sweep needs at least N = {num_points}.")


def run(
    sweep: Sweep,
    trial: Callable,
    *,
    num_points: int,
    args: tuple = (),
    evaluate: Callable = _nothing,
    evaluate_args: tuple = (),
    check_evaluated: Callable | None = None,
    prepare: Callable | None = None,
    prepare_args: tuple = (),
    trial_bytes: int = 0,
    failure: Callable[[list], Exception] | None = None,
    name: str = "sweep",
    diagnosed: bool = False,
) -> SweepOutput:
    """Run ``trial`` over the sweep's K trials, batch by batch, on the sweep's devices.

    Call inside ``sweep.precision()``.

    Args:
      sweep: validated engine arguments.
      trial: ``trial(x, init_key, evaluated, *args) -> pytree`` of one trial's outputs, pure
        and traceable; a module-level function (compilations are cached on it).
      num_points: N, the inputs drawn per trial.
      args: passed whole to every trial; array leaves traced, other leaves static (hashable).
      evaluate: ``evaluate(x, *evaluate_args) -> pytree``: the user's callables on one trial's
        inputs (targets, labels), compiled in their own small program.
      evaluate_args: its arguments (the callables themselves, hashable, and arrays).
      check_evaluated: ``check_evaluated(evaluated)`` on the host (numpy, K first): the callable
        contract's value checks; raises a ValueError naming the callable.
      prepare: ``prepare(evaluated, *prepare_args) -> pytree``, on the host between the
        callables and the trial program; ``trial`` receives its output as ``evaluated``. For
        elementwise work that one program per dtype serves at every shape: the binary effective
        logits (``kdntk._src.student.with_effective_logits``), which inside the trial program
        were over half of its compile time, paid again for every new N. It must accept tracers
        too (the memory pre-check traces it for its shapes).
      trial_bytes: device bytes of one trial's working set (the analysis' memory model).
      failure: ``failure(bad_trials) -> Exception`` raised when a trial's outputs are not finite
        (or its factorization failed).
      name: the sweep's name, for messages and the progress bar.
      diagnosed: ``trial`` returns ``(outputs, Diagnosis)`` (``kdntk._src.conditioning``) of the
        kernel it factored: failed factorizations count as failures, and trials whose kernel is
        ill-conditioned for the dtype raise one PrecisionWarning naming them.

    Returns:
      ``SweepOutput`` with numpy arrays whose first axis is the K trials, and the description
      of the inputs.
    """
    _check_explicit(sweep, num_points)
    source = _Source.of(sweep)
    k, mesh = sweep.num_trials, sweep.mesh
    num_dev = mesh.devices.size
    batch = -(-min(sweep.trial_batch, k) // num_dev) * num_dev   # a multiple of the device count
    impl = str(jax.random.key_impl(sweep.key))
    draw, ev_program, core = _Draw(source, impl, num_points), _Evaluate(evaluate), _Trial(trial, impl)
    if sweep.check_memory:   # before anything of size K is allocated, the keys included
        _check_sweep_memory(sweep, draw, ev_program, core, batch // num_dev, num_points, args,
                            evaluate_args, trial_bytes, name, prepare, prepare_args)
    input_keys, init_keys = (jax.random.key_data(a) for a in trial_keys(sweep.key, k))
    local_device = next(d for d in mesh.devices.flat if d.process_index == jax.process_index())
    starts = range(0, k, batch)
    if sweep.progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc=name, unit="batch")
    outputs, evaluated = [], []
    for i in starts:
        part = slice(i, i + batch)
        if source.kind == "explicit":
            x = np.asarray(sweep.inputs[part, :num_points])
        else:
            x = run_on_mesh(draw, mesh, input_keys[part], *_sampler(sweep))
        ev = run_on_mesh(ev_program, mesh, x, *evaluate_args)
        if check_evaluated is not None:
            check_evaluated(ev)
        if prepare is None:
            given = ev
        else:
            with jax.default_device(local_device):   # a device of the sweep, not the default
                given = prepare(ev, *prepare_args)
        outputs.append(run_on_mesh(core, mesh, (x, init_keys[part], given), *args))
        evaluated.append(ev)
    outputs = jax.tree_util.tree_map(lambda *a: np.concatenate(a), *outputs)
    evaluated = jax.tree_util.tree_map(lambda *a: np.concatenate(a), *evaluated)
    bad = np.zeros(k, bool)
    if diagnosed:
        outputs, diagnosis = outputs
        bad |= ~diagnosis.factored
    for leaf in jax.tree_util.tree_leaves(outputs):
        bad |= ~np.isfinite(leaf.reshape(k, -1)).all(axis=1)
    if bad.any() and failure is not None:
        raise failure(np.flatnonzero(bad)[:8].tolist())
    if diagnosed:
        report_trials(diagnosis.condition, sweep.dtype, what=name)
    return SweepOutput(outputs, evaluated, describe_inputs(sweep, num_points))


@filter_jit
def _apply(program, stacked, *args):
    """``program(stacked, *args)``, for the memory pre-check's ``_apply.eval_shape``: its trace is
    cached on the program and the arguments' shapes, so the pre-check traces a sweep's programs
    once per process (tracing the trial program took 65-95 ms of a 0.24 s sweep at N = 256; a
    ``jax.eval_shape`` of a fresh wrapper still cost ~2 ms per program and call)."""
    return program(stacked, *args)


def _check_sweep_memory(sweep, draw, ev_program, core, trials_per_device, num_points, args,
                        evaluate_args, trial_bytes, name, prepare, prepare_args):
    """Raise InsufficientMemoryError before allocating if the whole sweep cannot fit: the host
    holds every trial's outputs, a device one batch's inputs, outputs and one trial's work."""
    key = jax.random.key_data(sweep.key)[None]
    x = (sweep.inputs[:1, :num_points] if draw.source.kind == "explicit"
         else _drawn_shape(sweep, draw))
    ev = _apply.eval_shape(ev_program, x, *evaluate_args)
    given = ev if prepare is None else _apply.eval_shape(prepare, ev, *prepare_args)
    out = _apply.eval_shape(core, (x, key, given), *args)

    def nbytes(tree):
        return sum(leaf.size * np.dtype(leaf.dtype).itemsize for leaf in jax.tree_util.tree_leaves(tree))

    per_trial = nbytes(out) + nbytes(ev)
    host = sweep.num_trials * (per_trial + 16)      # + the two keys of each trial
    check_fits(host, jax.local_devices(backend="cpu")[0],
               what=f"{name}'s results for num_trials = {sweep.num_trials:,} trials on the host")
    device = trials_per_device * (nbytes(out) + nbytes(given) + nbytes(x)) + int(trial_bytes)
    check_fits(device, sweep.mesh.devices.flat[0],
               what=f"{name} (N = {num_points}, {trials_per_device} trials per device per batch)")


@result
class Trials:
    """Result of [`kdntk.run_trials`][kdntk.run_trials]: every trial's outputs with their Monte-Carlo mean and
    standard error (pytrees of the trial function's output structure).

    Attributes:
      values: the outputs of every trial, each leaf with a leading trial axis K.
      mean: the mean over trials of each leaf.
      stderr: its standard error, std over trials (ddof 1) / sqrt(K).
      inputs: how each trial's inputs were drawn, e.g. "Gaussian N(0, 5^2 I_2), fresh draws per
        trial (8 points each)" (docs/engine.md, "Inputs"); static in the pytree.
    """

    values: Any
    mean: Any
    stderr: Any
    inputs: str = static()


def _user_trial(x, key, evaluated, fn, *args):
    return fn(x, key, *args)


def _user_failure(bad):
    return NumericalError(f"run_trials: trials {bad} returned NaN or inf.")


def run_trials(
    trial: Callable,
    num_points: int,
    *,
    key,
    num_trials: int = 20,
    args: tuple = (),
    inputs: Any = None,
    input_dim: int = 2,
    input_std: float = INPUT_STD,
    dtype: Any = jnp.float64,
    trial_batch: int = 8,
    devices=None,
    progress: bool = False,
    check_memory: bool = True,
) -> Trials:
    """Your own Monte-Carlo sweep through the trial engine: the same key schedule, inputs,
    batching, devices (one process or many), x64 scope and checks as every kdntk sweep.

    Args:
      trial: ``trial(x, key, *args) -> pytree of arrays``: one trial's computation on its
        inputs x of shape (num_points, *features) and its own PRNG key (the key schedule's
        ``init_key``); pure and traceable (it is compiled once and mapped over trials).
      num_points: N, the inputs drawn per trial.
      key: PRNG key, typed or legacy.
      num_trials: K >= 2.
      args: extra arguments passed to every trial: array leaves are traced, other leaves
        (networks, callables, ints) are static and must be hashable.

    Engine arguments (``inputs`` ... ``check_memory``): the same in every sweep (docs/engine.md).

    Returns:
      [`Trials`][kdntk.Trials]: per-trial values (K first), their mean and standard error, and
      how the inputs were drawn (``inputs``).

    Raises:
      NumericalError: a trial returned NaN or inf (the trials are named).

    Example:
      >>> import jax, jax.numpy as jnp, kdntk
      >>> def trial(x, key):   # ||dw_n|| of a ReLU NTK student fitting x_1, for every n
      ...     return kdntk.weight_norm_path(kdntk.ntk(kdntk.mlp(2), x), x[:, 0])
      >>> res = kdntk.run_trials(trial, 5, key=jax.random.key(0), num_trials=3)
      >>> res.values.shape, res.mean.shape
      ((3, 5), (5,))
      >>> res.inputs
      'Gaussian N(0, 5^2 I_2), fresh draws per trial (5 points each)'
    """
    # No kernel of its own: block_rows is the trial's business (kdntk.ntk(..., block_rows=...)).
    sweep = sweep_arguments("run_trials", **arguments_of({**locals(), "block_rows": DEFAULT_BLOCK_ROWS}))
    if not callable(trial):
        raise TypeError(f"trial must be a function trial(x, key, *args), got {type(trial).__name__}.")
    num_points = check_integer(num_points, "num_points")
    with sweep.precision():
        trials = run(sweep, _user_trial, num_points=num_points, args=(trial, *tuple(args)),
                     failure=_user_failure, name="run_trials")
        out = trials.outputs
        mean = jax.tree_util.tree_map(lambda v: v.mean(axis=0), out)
        stderr = jax.tree_util.tree_map(lambda v: v.std(axis=0, ddof=1) / np.sqrt(v.shape[0]), out)
        return Trials(values=out, mean=mean, stderr=stderr, inputs=trials.inputs)
