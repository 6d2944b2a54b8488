"""Benchmark 4: the whole data_inefficiency pipeline (kernel + z_eff + solves + statistics).

* Scaling in N: ``num_trials`` trials x 8 soft ratios, N = max(n) + 1 for each size; the
  log-log slope of time against N is reported.
* Extra right-hand sides: at one N, 8 soft ratios x 4 teacher stopping epochs (32 logit-change
  vectors; here 32 (rho, T) pairs, which cost exactly what 32 teachers' dz cost: one O(N^2)
  triangular solve each, sharing the factorization) against one soft ratio; and against the
  loop that calls data_inefficiency once per soft ratio (one factorization per (rho, trial),
  as the papers' scripts do; they re-solve every (rho, n) pair, which is slower still).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import kdntk
from _timing import interleaved, loglog_slope, row

RHOS = np.linspace(0.05, 0.95, 8)


def _task():
    return kdntk.tasks.gaussian_mixture(jax.random.key(0), num_modes=2)


def _call(n, rho, temperature=1.0, *, num_trials, key=1):
    net, task = kdntk.mlp(3), _task()
    res = kdntk.data_inefficiency(task, net, [n - 1], key=jax.random.key(key), window=1.0,  # N = n
                                  num_trials=num_trials, soft_ratio=rho, temperature=temperature)
    return res.inefficiency


def run(sizes, *, num_trials=20, repeats=2, rhs_n=None, rhs_trials=None) -> list[dict]:
    """Rows for the scaling in N, then (unless rhs_n == 0) the right-hand-side comparison with
    ``rhs_trials`` trials (default ``num_trials``)."""
    rows = []
    for n in sizes:
        t = interleaved({"data_inefficiency (8 rho)": lambda: _call(n, RHOS, num_trials=num_trials)},
                        repeats=repeats)
        for method, timing in t.items():
            rows.append(row("pipeline", method, timing, N=n, dtype="float64",
                            trials=num_trials, rhs=len(RHOS)))
    slope = loglog_slope([r["N"] for r in rows], [r["median_s"] for r in rows])
    for r in rows:
        r["loglog_slope"] = slope
    if rhs_n == 0:  # skip the right-hand-side comparison
        return rows
    n = rhs_n or max(sizes)
    rhs_trials = rhs_trials or num_trials
    rho32 = np.repeat(RHOS, 4)
    temps = np.tile([1.0, 2.0, 4.0, 8.0], 8)
    t = interleaved({
        "1 rho": lambda: _call(n, 0.5, num_trials=rhs_trials),
        "8 rho x 4 epochs (32 rhs)": lambda: _call(n, rho32, temps, num_trials=rhs_trials),
        "loop over 8 rho": lambda: [_call(n, float(r), num_trials=rhs_trials) for r in RHOS],
    }, repeats=repeats)
    # The batched right-hand sides must reproduce the loop's answers.
    loop = np.stack([np.asarray(a) for a in t["loop over 8 rho"]["out"]])
    batched = np.asarray(_call(n, RHOS, num_trials=rhs_trials))
    err = float(np.max(np.abs(loop - batched.reshape(loop.shape))))
    for method, timing in t.items():
        rows.append(row("rhs", method, timing, N=n, dtype="float64", trials=rhs_trials,
                        rhs={"1 rho": 1, "loop over 8 rho": 8}.get(method, 32), abs_error=err))
    return rows
