"""Benchmark 1: closed-form NTK evaluation against N, depth 3 and 5.

kdntk.ntk (row blocks through lax.map, bounded workspace) against neural-tangents' kernel_fn
called on the whole matrix at once (jitted), the direct way to use it. Answers are compared
first (to 1e-6 relative in float64: on the diagonal, where cos = 1, kernel_fn's angle is ~1e-8
instead of 0 by rounding, so its NTK diagonal is ~1e-9 low, while kdntk's is exact; see
docs/kernels.md).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

import kdntk
from _timing import interleaved, row


def _compare(rows, benchmark, net, x, direct, *, repeats, dtype, **fields):
    """Time kdntk.ntk against neural-tangents' whole-matrix kernel_fn on x after checking that they
    agree (1e-6 relative in float64, 1e-3 in float32), and append one row per method."""
    t = interleaved({"kdntk.ntk": lambda: kdntk.ntk(net, x), "nt.kernel_fn": lambda: direct(x, x)},
                    repeats=repeats)
    a, b = np.asarray(t["kdntk.ntk"]["out"]), np.asarray(t["nt.kernel_fn"]["out"])
    err = float(np.max(np.abs(a - b)) / np.max(np.abs(b)))
    if err > (1e-6 if np.dtype(dtype) == np.float64 else 1e-3):
        raise AssertionError(f"{benchmark}: kdntk.ntk disagrees with kernel_fn: {err:.2e}")
    for method, timing in t.items():
        rows.append(row(benchmark, method, timing, N=x.shape[0], dtype=np.dtype(dtype).name, rel_error=err,
                        **fields))


def run(sizes, *, depths=(3, 5), repeats=3, dtype=jnp.float64, key=0) -> list[dict]:
    rows = []
    with jax.enable_x64(np.dtype(dtype) == np.float64):
        for depth in depths:
            net = kdntk.mlp(depth)
            direct = jax.jit(functools.partial(net.kernel_fn, get="ntk"))
            for n in sizes:
                x = 5.0 * jax.random.normal(jax.random.key(key), (n, 2), dtype)
                _compare(rows, "kernel", net, x, direct, repeats=repeats, dtype=dtype, depth=depth)
    return rows


def small_cnn():
    """A small CNN for 8 x 8 images (the digits): two 3 x 3 convolutions, a ReLU each, a dense
    readout (NTK parameterization)."""
    s = kdntk.stax
    return kdntk.Network(*s.serial(s.Conv(64, (3, 3), padding="SAME"), s.Relu(),
                                   s.Conv(64, (3, 3), padding="SAME"), s.Relu(), s.Flatten(), s.Dense(1)))


def run_conv(sizes, *, repeats=3, dtype=jnp.float64) -> list[dict]:
    """kdntk.ntk of ``small_cnn`` on the digits (8 x 8 x 1 images) against neural-tangents'
    kernel_fn on the whole matrix (jitted), after checking that they agree."""
    rows = []
    net = small_cnn()
    direct = jax.jit(functools.partial(net.kernel_fn, get="ntk"))
    images = np.asarray(kdntk.tasks.digits().inputs)
    with jax.enable_x64(np.dtype(dtype) == np.float64):
        for n in sizes:
            _compare(rows, "conv", net, jnp.asarray(images[:n], dtype), direct, repeats=repeats, dtype=dtype,
                     depth=2, note="CNN on 8x8 digits")
    return rows
