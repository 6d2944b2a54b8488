"""Memory model of kdntk's kernel and data-inefficiency programs, and an early fit check.

Peak memory, in elements of the compute dtype (validated against XLA's memory analysis of the
compiled programs in tests/test_memory.py):

    kernel(n1, n2):     K * n1 n2  +  (2 L + 2) b n2          (K kernels returned, L layers,
                                                              b = block_rows: one row block's
                                                              neural-tangents workspace)
                        (K + 1) n1 n2  +  (3 L + 3) t1 t2     ReLU MLPs of kdntk.mlp (fused
                                                              path): the inputs' Gram and one
                                                              (t1, t2) tile (3 MB on CPU at L = 5)
    one trial (N):      max(2 N^2 + (2 L + 2) b N,   the kernel phase: NNGP, Theta and
                                                     one row block's workspace
                            5 N^2)                   the factorization phase (FACTOR_PEAK)
                        + 3 R N  (effective logits, dz, triangular solve; R right-hand sides)
                        + 3 N^2                       if init == "prior"  (eigh of the NNGP)
                        + 1.75 P + 2 N m               if init == "network" (P parameters of
                                                              the width-m student, activations)
    a batch:            one trial (trials run sequentially) + K R N for the stacked outputs.

``check_fits`` compares a need with the device's memory (``memory_stats()["bytes_limit"]``
on accelerators, available RAM on CPU) and raises [`InsufficientMemoryError`][kdntk.InsufficientMemoryError] with the
bytes needed before anything is allocated.
"""

from __future__ import annotations

import functools
import os

import jax
import numpy as np

from kdntk._src.arccos import fused_tile, relu_mlp_recipe
from kdntk._src.checks import InsufficientMemoryError

__all__ = [
    "InsufficientMemoryError",
    "kernel_bytes",
    "data_inefficiency_bytes",
    "device_memory_bytes",
    "check_fits",
    "pair_workspace",
    "fused_tile_bytes",
    "fit_block_rows",
    "depth_width",
    "DEFAULT_BLOCK_ROWS",
    "FACTOR_PEAK",
]

_DEFAULT_DEPTH = 5  # workspace assumed for networks without an ("mlp", depth, width, ...) spec
_DEFAULT_WIDTH = 1024


FACTOR_PEAK = 5
"""Peak of a trial's factorization phase in N x N matrices. Measured as the process's peak
resident set of whole trials (benchmarks/bench_scale.py, docs/benchmarks.md): 4.95, 5.22 and
5.14 N^2 at N = 8192, 12288 (one LAPACK call) and 16384 (blocked, ``kdntk._src.blocked_cholesky``),
float64, init "zero". XLA's memory analysis of the trial's program accounts for 3 (Theta, the
column-major copy LAPACK factors in place, the factor and the diagnosis' copy of it, in one arena
reused across phases); the rest is allocated at run time outside that analysis."""


DEFAULT_BLOCK_ROWS = 4096
"""Most rows per kernel block (blocks are made equal, so padding stays below one row per block).
Blocks run one after another in ``lax.map``, and XLA:CPU runs a loop body on one thread: on the
2-core CI machine a 2048 x 2048 depth-3 NTK took 0.43 s in blocks of 256-1024 rows and 0.23 s in
one block, the time of neural-tangents' whole-matrix ``kernel_fn``; at N = 4096, two blocks of
2048 took 1.7x the whole matrix (docs/benchmarks.md). Kernels up to 4096 rows are therefore one
block; a block's workspace is (2 L + 2) * block_rows * n2 elements
(``kernel_bytes``), 1.6 GB for depth 5, n2 = 4096 in float64, 13 GB for
n2 = 32768 on an accelerator. Pass a smaller ``block_rows`` to bound memory harder."""


def _itemsize(dtype) -> int:
    return np.dtype(dtype).itemsize


def depth_width(net):
    spec = getattr(net, "spec", ()) or ()
    if len(spec) >= 3 and spec[0] == "mlp":
        return int(spec[1]), int(spec[2])
    return _DEFAULT_DEPTH, _DEFAULT_WIDTH


def kernel_bytes(n1: int, n2: int, *, dtype=np.float64, block_rows: int = DEFAULT_BLOCK_ROWS,
                 depth: int = _DEFAULT_DEPTH, num_kernels: int = 1, per_pair: int | None = None) -> int:
    """Peak bytes of a blocked closed-form kernel evaluation: result + one block's workspace.

    Args:
      n1: rows of the kernel.
      n2: columns of the kernel.
      dtype: compute dtype.
      block_rows: rows per block (b).
      depth: hidden layers L of the MLP (workspace (2 L + 2) b n2 elements).
      num_kernels: kernels returned together (2 for NNGP and NTK).
      per_pair: workspace bytes per (row, column) pair of a block, when known (see
        ``pair_workspace``); default: the MLP's (2 L + 2) elements.

    Returns:
      Bytes, an int.
    """
    b = min(int(block_rows), int(n1))
    per_pair = (2 * depth + 2) * _itemsize(dtype) if per_pair is None else int(per_pair)
    return _itemsize(dtype) * num_kernels * n1 * n2 + per_pair * b * n2


@functools.lru_cache(maxsize=64)
def _measured_pair_workspace(net, feature_shape: tuple, dtype: str, get) -> int:
    x = jax.ShapeDtypeStruct((1,) + feature_shape, np.dtype(dtype))
    temp = []
    for n2 in (8, 16):
        y = jax.ShapeDtypeStruct((n2,) + feature_shape, np.dtype(dtype))
        compiled = jax.jit(lambda a, b: net.kernel_fn(a, b, get)).lower(x, y).compile()
        analysis = compiled.memory_analysis()
        temp.append(analysis.temp_size_in_bytes + analysis.output_size_in_bytes)
    return max(1, (temp[1] - temp[0]) // 8)


def pair_workspace(net, feature_shape, dtype, get="ntk") -> int:
    """Workspace bytes per (row, column) pair of a kernel block of ``net`` on inputs of
    ``feature_shape``: one element for ReLU MLPs of ``kdntk.mlp`` (the fused path keeps the inputs'
    whole Gram, one element per pair whatever the block, plus one tile, ``fused_tile_bytes``;
    exact for kernels of at most ``block_rows`` rows, the default up to 4096), the MLP's closed form
    (2 L + 2 elements) for other activations, or, for any other architecture (convolutions keep
    spatial covariances per pair), measured once per architecture, input shape and dtype from
    XLA's memory analysis of the compiled kernel at two block widths (the slope; remembered for
    the process, like a jit cache)."""
    if relu_mlp_recipe(net) is not None:
        return _itemsize(dtype)
    spec = getattr(net, "spec", ()) or ()
    if len(spec) >= 3 and spec[0] == "mlp":
        return (2 * int(spec[1]) + 2) * _itemsize(dtype)
    with jax.enable_x64(np.dtype(dtype) == np.float64):
        return _measured_pair_workspace(net, tuple(int(d) for d in feature_shape), np.dtype(dtype).name, get)


def fused_tile_bytes(net, dtype, block_rows: int = DEFAULT_BLOCK_ROWS) -> int:
    """Workspace bytes of the fused ReLU-MLP kernel path: one (t1, t2) tile's intermediates,
    (3 L + 3) t1 t2 elements for depth L (XLA's memory analysis: (3.1 L + 2) t1 t2); 0 for
    networks that take neural-tangents' path."""
    recipe = relu_mlp_recipe(net)
    if recipe is None:
        return 0
    t1, t2 = fused_tile(block_rows)
    return (3 * recipe[0] + 3) * t1 * t2 * _itemsize(dtype)


def fit_block_rows(net, n1: int, n2: int, feature_shape, dtype, block_rows: int, *,
                   num_kernels: int = 1, get="ntk", what: str = "kernel", device=None,
                   available: int | None = None) -> int:
    """The largest block of at most ``block_rows`` rows whose kernel evaluation fits in memory.

    Raises:
      InsufficientMemoryError: not even one row fits (the (n1, n2) result itself, or one row's
        workspace), with the bytes needed.
    """
    per_pair = pair_workspace(net, feature_shape, dtype, get)
    avail = device_memory_bytes(device) if available is None else int(available)
    b = min(int(block_rows), int(n1))
    tile = fused_tile_bytes(net, dtype, b)
    if avail is not None:
        room = int(0.8 * avail) - _itemsize(dtype) * num_kernels * n1 * n2 - tile   # 20% headroom
        # The fused path's Gram has all n1 rows: it fits whole or not at all.
        b = min(b, room // max(1, per_pair * n2)) if not tile else (b if room >= per_pair * n1 * n2 else 0)
    if b < 1:
        need = tile + kernel_bytes(n1, n2, dtype=dtype, block_rows=1, num_kernels=num_kernels, per_pair=per_pair)
        check_fits(need, device, what=f"an ({n1}, {n2}) {np.dtype(dtype).name} {what}", available=avail)
        b = 1
    return int(b)


def data_inefficiency_bytes(n: int, *, trials_per_device: int = 1, num_rhs: int = 1,
                            block_rows: int = DEFAULT_BLOCK_ROWS, dtype=np.float64, init: str = "network",
                            depth: int = 3, width: int = 1024, input_dim: int = 2,
                            per_pair: int | None = None) -> int:
    """Peak bytes of one device's batch of [`kdntk.data_inefficiency`][kdntk.data_inefficiency] (module formula).

    Args:
      n: N = max(sample_sizes) + 1, the kernel size.
      trials_per_device: trials in one device's share of a batch (they run sequentially).
      num_rhs: R, the number of (soft ratio, temperature) pairs sharing each factorization.
      block_rows: kernel rows per block.
      dtype: compute dtype.
      init: "network", "prior" or "zero" (see data_inefficiency).
      depth: the student MLP's hidden layers L.
      width: its hidden width m.
      input_dim: the input dimension d (all features of an input).
      per_pair: the kernel's workspace bytes per (row, column) pair (``pair_workspace``);
        default: the MLP's (2 L + 2) elements.

    Returns:
      Bytes, an int.
    """
    b = min(int(block_rows), int(n))
    per_pair = (2 * depth + 2) * _itemsize(dtype) if per_pair is None else int(per_pair)
    kernel_phase = 2 * n * n + per_pair * b * n // _itemsize(dtype)
    elems = max(kernel_phase, FACTOR_PEAK * n * n) + 3 * num_rhs * n
    if init == "prior":
        elems += 3 * n * n      # eigh: XLA's analysis 7.5 N^2 in all at N = 256 on jaxlib 0.12
    elif init == "network":
        params = input_dim * width + (depth - 1) * width * width + width + depth * width + 1
        elems += int(1.75 * params) + 2 * n * width
    elems += trials_per_device * (num_rhs * n + n * input_dim)
    return _itemsize(dtype) * int(elems)


def device_memory_bytes(device: jax.Device | None = None) -> int | None:
    """Memory available to ``device``: its allocator limit minus bytes in use (accelerators), or
    the host's available RAM (CPU). ``None`` when unknown."""
    device = jax.local_devices()[0] if device is None else device
    try:
        stats = device.memory_stats()
    except Exception:  # noqa: BLE001  (backends without memory stats)
        stats = None
    if stats and "bytes_limit" in stats:
        return int(stats["bytes_limit"]) - int(stats.get("bytes_in_use", 0))
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_fits(nbytes: int, device: jax.Device | None = None, *, what: str = "request",
               available: int | None = None) -> None:
    """Raise [`InsufficientMemoryError`][kdntk.InsufficientMemoryError] if ``nbytes`` exceed the device's memory.

    Args:
      nbytes: estimated peak bytes.
      device: the device (default: the first local one).
      what: a description for the message.
      available: override the available bytes (for tests and for budgets below the device's).

    Raises:
      InsufficientMemoryError: with the bytes needed and available, and what to reduce.
    """
    avail = device_memory_bytes(device) if available is None else int(available)
    if avail is not None and nbytes > avail:
        raise InsufficientMemoryError(
            f"{what} needs about {nbytes:,} bytes ({nbytes / 2**30:.2f} GiB) on "
            f"{device or jax.local_devices()[0]}, but only {avail:,} bytes "
            f"({avail / 2**30:.2f} GiB) are available. Reduce N or trial_batch, use more "
            "devices, or use float32."
        )


