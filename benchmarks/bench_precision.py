"""Benchmark 5: float32, float64 and mixed precision weight norms: time and accuracy by N.

All three factor the same NTK (computed in float64, then cast for float32):
  * float64, float32: the all-prefix norms ||dw_n||, n = 1..N (kdntk.weight_norm_path's program);
  * mixed: kdntk.weight_norm_mixed's program, the norms at the sizes a sweep reports
    (N / 8, N / 4, N / 2, N) from one float32 factorization refined in float64 (issue 15, target 4).
Accuracy is max | ||dw_n|| - ||dw_n||_64 | / ||dw_n||_64 against the float64 path (whose own
agreement with separate solves is checked in benchmark 2), over all n (float32) or the four sizes
(mixed). A float32 factorization of an ill-conditioned kernel may fail (NaN), and a refinement
that does not converge returns NaN: both are reported as an infinite error, not hidden.
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np

from _timing import interleaved, row
from bench_solve import problem
from kdntk._src.mixed_precision import _mixed_norms
from kdntk._src.solve import _factor_norm_path


def _path(theta, dz):
    """kdntk.weight_norm_path's compiled program (factorization + solves), without the host-side
    checks: a float32 factorization that fails shows up as NaN norms, reported below."""
    return _factor_norm_path(theta, dz)[0]


def _mixed(theta, dz, sizes):
    """kdntk.weight_norm_mixed's compiled program (its checks' inputs included), norms (S,)."""
    return _mixed_norms(theta, dz[:, None], sizes)[0][:, 0]


def _error(got, ref) -> float:
    err = np.abs(np.asarray(got, np.float64) - ref) / ref
    return float(np.max(err)) if np.all(np.isfinite(err)) else float("inf")


def run(sizes, *, repeats=3) -> list[dict]:
    rows = []
    with jax.enable_x64(True):
        for n in sizes:
            theta, dz = problem(n)
            th32, dz32 = theta.astype(jnp.float32), dz.astype(jnp.float32)
            at = (n // 8, n // 4, n // 2, n)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t = interleaved({"float64": lambda: _path(theta, dz),
                                 "float32": lambda: _path(th32, dz32),
                                 "mixed": lambda: _mixed(theta, dz, at)}, repeats=repeats)
            ref = np.asarray(t["float64"]["out"])
            errors = {"float64": 0.0, "float32": _error(t["float32"]["out"], ref),
                      "mixed": _error(t["mixed"]["out"], ref[np.asarray(at) - 1])}
            for method, timing in t.items():
                rows.append(row("precision", method, timing, N=n,
                                dtype="float32+float64" if method == "mixed" else method,
                                rel_error=errors[method]))
    return rows
