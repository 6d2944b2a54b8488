"""Sharding independent trials over devices: a 1-D mesh and a shard_map of a per-trial program.

The trial axis of a sweep is embarrassingly parallel. [`trial_mesh`][kdntk.trial_mesh] lays the devices on a
1-D mesh with axis "trials"; ``map_trials`` runs ``fn`` (which maps its own stack of trials
sequentially) on each device's slice of the stack with ``jax.shard_map``, so every device
computes exactly what one device would for the same trials, with no communication.

Multi-host (JAX's multi-controller runtime): after ``jax.distributed.initialize()`` every
process runs the same sweep with a mesh over ``jax.devices()`` (the default). Every process
holds the same stack of trials (the key schedule is deterministic), gives its own devices their
slice of it (``jax.make_array_from_callback``), and gathers every trial's outputs back
(``process_allgather``), so each process returns the whole result (docs/scaling.md).
"""

from __future__ import annotations

from typing import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from kdntk._src.jit import filter_jit

__all__ = ["TRIAL_AXIS", "trial_mesh", "map_trials", "pad_trials", "run_trials"]

TRIAL_AXIS = "trials"
"""Name of the mesh axis that carries independent trials."""


def trial_mesh(devices: Sequence[jax.Device] | Mesh | None = None) -> Mesh:
    """A 1-D ``jax.sharding.Mesh`` with axis ``"trials"`` over ``devices``.

    Args:
      devices: the devices to use; ``None`` means ``jax.devices()``: every device of every
        process (after ``jax.distributed.initialize``, the whole cluster; otherwise this
        process's devices). A mesh is returned as it is.

    Returns:
      The mesh.

    Raises:
      ValueError: ``devices`` is empty or contains something that is not a JAX device.
    """
    if isinstance(devices, Mesh):
        return devices
    devices = list(jax.devices() if devices is None else devices)
    if not devices:
        raise ValueError("devices must be a non-empty sequence of jax devices.")
    if not all(isinstance(d, jax.Device) for d in devices):
        raise ValueError(f"devices must hold jax.Device objects, got {devices!r}.")
    return Mesh(np.asarray(devices), (TRIAL_AXIS,))


def pad_trials(x, multiple: int):
    """Pad the leading (trial) axis of every leaf of ``x`` to a multiple of ``multiple``.

    Padding repeats the last trial (a valid input whose result is dropped afterwards).
    Returns (padded pytree, original number of trials).
    """
    leaves = jax.tree_util.tree_leaves(x)
    k = leaves[0].shape[0]
    pad = -k % multiple
    if pad == 0:
        return x, k
    return jax.tree_util.tree_map(
        lambda a: jnp.concatenate([a, jnp.repeat(a[-1:], pad, axis=0)], axis=0), x), k


def map_trials(fn: Callable, mesh: Mesh, stacked, *replicated):
    """``fn(stacked, *replicated)`` with the leading axis of ``stacked`` split over ``mesh``.

    ``fn`` must map a stack of K trials to outputs with leading axis K, treating trials
    independently (e.g. with ``jax.lax.map``); each device then runs it on its K / D trials.
    Call inside ``jax.jit``. K must be a multiple of the mesh size (see ``pad_trials``).

    Args:
      fn: the per-stack program.
      mesh: a 1-D mesh from [`trial_mesh`][kdntk.trial_mesh].
      stacked: pytree of arrays with a common leading trial axis K.
      *replicated: pytrees passed whole to every device.

    Returns:
      ``fn``'s outputs, sharded along their leading axis.
    """
    size = mesh.devices.size
    k = jax.tree_util.tree_leaves(stacked)[0].shape[0]
    if k % size:
        raise ValueError(f"the trial axis ({k}) must be a multiple of the mesh size ({size}).")
    spec, rep = PartitionSpec(TRIAL_AXIS), PartitionSpec()
    sharded = jax.shard_map(
        fn, mesh=mesh,
        in_specs=(spec,) + (rep,) * len(replicated),
        out_specs=spec,
        check_vma=False,
    )
    return sharded(stacked, *replicated)


def run_trials(fn: Callable, mesh: Mesh, stacked, *args):
    """``fn(stacked, *args)`` compiled, with the leading trial axis of ``stacked`` over ``mesh``.

    Used by the trial engine (``kdntk._src.engine``) for every sweep. On a one-device mesh
    ``fn`` runs there as it is; otherwise the trials are padded to a multiple of the mesh size
    (``pad_trials``), split with ``map_trials``, and the padding is dropped. Outputs come
    back as host (numpy) arrays, so a caller that runs batches in turn holds one batch on the
    devices; on a mesh that spans processes, every process gets every trial's outputs.

    Args:
      fn: a per-stack program ``(stacked, *args) -> outputs with leading axis K``, treating
        trials independently; a module-level function, so that compilations are reused.
      mesh: a 1-D mesh from [`trial_mesh`][kdntk.trial_mesh].
      stacked: pytree of arrays with a common leading trial axis K.
      *args: passed whole to every device; array leaves are traced, every other leaf (networks,
        targets, ints, strings) is static and must be hashable.

    Returns:
      ``fn``'s outputs for the K trials.
    """
    if mesh.devices.size == 1:
        with jax.default_device(mesh.devices.flat[0]):
            return jax.tree_util.tree_map(np.asarray, _run_local(fn, stacked, *args))
    padded, k = pad_trials(stacked, mesh.devices.size)
    sharding = NamedSharding(mesh, PartitionSpec(TRIAL_AXIS))
    if _spans_processes(mesh):
        host = jax.tree_util.tree_map(np.asarray, padded)
        padded = jax.tree_util.tree_map(
            lambda a: jax.make_array_from_callback(a.shape, sharding, lambda idx: a[idx]), host)
        out = multihost_utils.process_allgather(_run_sharded(mesh, fn, padded, *args), tiled=True)
    else:
        # Lay the trials out over the mesh (inputs may sit committed on one device).
        out = _run_sharded(mesh, fn, jax.device_put(padded, sharding), *args)
    return jax.tree_util.tree_map(lambda a: np.asarray(a)[:k], out)


def _spans_processes(mesh: Mesh) -> bool:
    return any(d.process_index != jax.process_index() for d in mesh.devices.flat)


@filter_jit
def _run_local(fn, stacked, *args):
    return fn(stacked, *args)


@filter_jit
def _run_sharded(mesh, fn, stacked, *args):
    return map_trials(lambda s: fn(s, *args), mesh, stacked)
