"""Benchmark 5: float32 vs float64 all-prefix weight norms: time and accuracy by N.

Both precisions factor the same NTK (computed in float64, then cast); accuracy is
max_n | ||dw_n||_32 - ||dw_n||_64 | / ||dw_n||_64 against the float64 path (whose own agreement
with separate solves is checked in benchmark 2). A float32 factorization of an ill-conditioned
kernel may fail (NaN); that is reported as an infinite error, not hidden.
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np

from _timing import interleaved, row
from bench_solve import problem
from kdntk._src.solve import _factor_norm_path


def _path(theta, dz):
    """kdntk.weight_norm_path's compiled program (factorization + solves), without the host-side
    checks: a float32 factorization that fails shows up as NaN norms, reported below."""
    return _factor_norm_path(theta, dz)[0]


def run(sizes, *, repeats=3) -> list[dict]:
    rows = []
    with jax.enable_x64(True):
        for n in sizes:
            theta, dz = problem(n)
            th32, dz32 = theta.astype(jnp.float32), dz.astype(jnp.float32)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t = interleaved({"float64": lambda: _path(theta, dz),
                                 "float32": lambda: _path(th32, dz32)}, repeats=repeats)
            ref = np.asarray(t["float64"]["out"])
            got = np.asarray(t["float32"]["out"], np.float64)
            err = np.abs(got - ref) / ref
            err = float(np.max(err)) if np.all(np.isfinite(err)) else float("inf")
            for method, timing in t.items():
                rows.append(row("precision", method, timing, N=n, dtype=method,
                                rel_error=0.0 if method == "float64" else err))
    return rows
