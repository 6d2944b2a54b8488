"""Benchmark 2: all-prefix weight norms ||dw_n||, n = 1..N, from one factorization.

Methods, on the same (N, N) NTK matrix and logit changes dz:
  * kdntk.weight_norm_path: one Cholesky + one triangular solve (O(N^3 / 3));
  * the papers' method: N separate solves dz_n^T Theta_n^-1 dz_n, n = 1..N (O(N^4 / 12)),
    each a LAPACK Cholesky solve through scipy. Timed on ``num_prefix`` evenly spaced n and
    extrapolated to all N values by a Riemann sum (total ~= (N / num_prefix) sum_j t(n_j));
    the output says so (column ``extrapolated``);
  * scipy.linalg.cholesky of the full matrix: the floor for this work on a CPU.
The norms of the separate solves at the timed n are compared with kdntk's first.

And one triangular solve L^-1 B with 8 right-hand sides on the factor of the same matrix, three
ways, L being the program's argument: kdntk's (``kdntk/_src/triangular.py``, ``row_major=True``,
as in ``weight_norm_path_from_cholesky``), JAX's own ``jax.scipy.linalg.solve_triangular`` on
the same L (under jaxlib 0.10 XLA copies L for LAPACK on every call), and scipy's (the floor: one
pass over L).
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np
import scipy.linalg as sla

import kdntk
from _timing import interleaved, row
from kdntk._src.triangular import solve_lower

TRIANGULAR = ("kdntk solve_lower (8 rhs)", "jax.scipy solve_triangular (8 rhs)", "scipy solve_triangular (8 rhs)")
_ours = jax.jit(lambda L, b: solve_lower(L, b, row_major=True))   # L is the program's argument
_jax = jax.jit(lambda L, b: jsl.solve_triangular(L, b, lower=True))


def problem(n, *, dtype=jnp.float64, key=0):
    """An NTK matrix of depth-3 ReLU MLP on N(0, 25 I) inputs in 2-D, and random dz."""
    k1, k2 = jax.random.split(jax.random.key(key))
    x = 5.0 * jax.random.normal(k1, (n, 2), dtype)
    theta = kdntk.ntk(kdntk.mlp(3), x)
    dz = jax.random.normal(k2, (n,), dtype)
    return jax.block_until_ready(theta), dz


def separate_solves(theta, dz, ns):
    """||dw_n|| for each n in ns by its own Cholesky solve (the papers' method)."""
    out = []
    for n in ns:
        c = sla.cho_factor(theta[:n, :n], lower=True, check_finite=False)
        out.append(np.sqrt(dz[:n] @ sla.cho_solve(c, dz[:n], check_finite=False)))
    return np.asarray(out)


def run(sizes, *, repeats=3, num_prefix=16, dtype=jnp.float64) -> list[dict]:
    rows = []
    with jax.enable_x64(np.dtype(dtype) == np.float64):
        for n in sizes:
            theta, dz = problem(n, dtype=dtype)
            th, d = np.asarray(theta), np.asarray(dz)
            ns = np.unique(np.linspace(1, n, min(num_prefix, n)).round().astype(int))
            t = interleaved({
                "kdntk.weight_norm_path": lambda: kdntk.weight_norm_path(theta, dz),
                "scipy.cholesky (floor)": lambda: sla.cholesky(th, lower=True, check_finite=False),
                "separate solves": lambda: separate_solves(th, d, ns),
            }, repeats=repeats)
            path = np.asarray(t["kdntk.weight_norm_path"]["out"])
            ref = t["separate solves"]["out"]
            err = float(np.max(np.abs(path[ns - 1] - ref) / ref))
            # The separate solves were timed on len(ns) of the N values of n: extrapolate.
            sep = t["separate solves"]
            scale = n / len(ns)
            sep.update({k: sep[k] * scale for k in ("median_s", "min_s", "max_s")})
            for method, timing in t.items():
                rows.append(row("solve", method, timing, N=n, dtype=np.dtype(dtype).name,
                                rel_error=err if method == "separate solves" else 0.0,
                                extrapolated=method == "separate solves" and len(ns) < n,
                                note=(f"timed {len(ns)} of {n} prefixes, x{scale:.1f}"
                                      if method == "separate solves" else "")))
            rows += _triangular(theta, n, dtype, repeats)
    return rows


def _triangular(theta, n, dtype, repeats):
    L = jnp.linalg.cholesky(theta)
    b = jnp.asarray(np.random.default_rng(0).standard_normal((n, 8)), dtype)
    Ln, bn = np.asarray(L), np.asarray(b)
    t = interleaved(dict(zip(TRIANGULAR, (lambda: _ours(L, b), lambda: _jax(L, b),
                                          lambda: sla.solve_triangular(Ln, bn, lower=True, check_finite=False)))),
                    repeats=repeats)
    ref = t[TRIANGULAR[2]]["out"]
    return [row("solve", method, timing, N=n, dtype=np.dtype(dtype).name,
                rel_error=float(np.max(np.abs(np.asarray(timing["out"]) - ref)) / np.max(np.abs(ref))),
                extrapolated=False, note="")
            for method, timing in t.items()]
