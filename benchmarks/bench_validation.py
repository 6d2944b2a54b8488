"""Benchmark 7: what input validation costs the fast paths (issue 12).

Each public solve against its own compiled program without the boundary checks, on the same
device arrays (a jax.Array input is checked where it lives: only flags come back, never the
array):

  * kdntk.weight_norm_path (theta checked in-program: symmetry, NaN, conditioning, as before;
    dz checked on the host) vs its factor-and-solve program alone;
  * kdntk.predict (theta_test_train's NaN flag comes back with the diagnosis) vs its program;
  * kdntk.weight_norm_path_from_cholesky (L's triangle, diagonal and NaN checked in-program: one
    int32 back) vs the bare triangular solve;
  * kdntk.transfer_risk (NaN check on the host for concrete logits) vs its program.

The outputs must agree exactly (rel_error 0); the overhead is checked minus unchecked.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import kdntk
from _timing import interleaved, row
from bench_solve import problem
from kdntk._src.risk import _transfer_risk
from kdntk._src.solve import _factor_norm_path, _factor_predict, cholesky_factor, norm_path


def run(sizes, *, repeats=3) -> list[dict]:
    rows = []
    with jax.enable_x64(True):
        for n in sizes:
            theta, dz = problem(n)
            kxX = theta[: n // 4]
            L = jax.block_until_ready(cholesky_factor(theta, jnp.zeros((), theta.dtype)))
            zt, zs = jax.random.normal(jax.random.key(1), (2, 64, n))
            pairs = {
                "weight_norm_path": (lambda: kdntk.weight_norm_path(theta, dz),
                                     lambda: _factor_norm_path(theta, dz)[0]),
                "predict": (lambda: kdntk.predict(kxX, theta, dz),
                            lambda: _factor_predict(theta, kxX, dz)[0]),
                "weight_norm_path_from_cholesky": (lambda: kdntk.weight_norm_path_from_cholesky(L, dz),
                                                   lambda: norm_path(L, dz, row_major=True)),
                "transfer_risk": (lambda: kdntk.transfer_risk(zt, zs).risk,
                                  lambda: _transfer_risk(zt, zs).risk),
            }
            for name, (checked, unchecked) in pairs.items():
                t = interleaved({"checked": checked, "unchecked": unchecked}, repeats=repeats)
                a, b = np.asarray(t["checked"]["out"]), np.asarray(t["unchecked"]["out"])
                err = float(np.max(np.abs(a - b)))
                overhead = t["checked"]["median_s"] - t["unchecked"]["median_s"]
                for method in ("checked", "unchecked"):
                    note = (f"overhead {1e3 * overhead:+.2f} ms "
                            f"({100 * overhead / t['unchecked']['median_s']:+.0f} %)") if method == "checked" else ""
                    rows.append(row("validation", f"{name} ({method})", t[method], N=n, dtype="float64",
                                    rel_error=err, note=note))
    return rows


if __name__ == "__main__":
    import sys

    for r in run([int(v) for v in sys.argv[1:]] or [1024, 2048]):
        print(f"{r['method']:45s} N={r['N']:5d} {1e3 * r['median_s']:9.2f} ms  {r['note']}")
