"""Scale on one machine (issue 15, target 3): one data-inefficiency trial at large N in float64,
its time, and the memory pre-check's estimate against the process's measured peak.

``python benchmarks/bench_scale.py 16384`` runs ``kdntk.data_inefficiency`` with N = 16384 inputs
(sample size N - 1, window 1: Definition 1 needs N points), the default student mlp(3), init
"zero", two trials one at a time (the engine needs K >= 2), and prints one JSON line: the wall
time per trial, the device bytes the pre-check estimated for a batch, and the peak resident set
size of the process (``ru_maxrss``) minus its size before the call. Run it in a fresh process:
the peak is the process's.
"""

from __future__ import annotations

import json
import resource
import sys
import time

import jax

jax.config.update("jax_enable_x64", True)

import kdntk  # noqa: E402
from kdntk._src import engine  # noqa: E402


def rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def main(n: int) -> dict:
    estimates = []
    check = engine.check_fits

    def recording(nbytes, device=None, *, what=""):
        estimates.append((what, int(nbytes)))
        return check(nbytes, device, what=what)

    engine.check_fits = recording                     # measurement only: record what the pre-check saw
    task = kdntk.tasks.gaussian_mixture(jax.random.key(0), num_modes=4)
    before = rss_bytes()
    t0 = time.perf_counter()
    res = kdntk.data_inefficiency(task, kdntk.mlp(3), [n - 1], key=jax.random.key(1), num_trials=2,
                                  trial_batch=1, window=1.0, init="zero")
    jax.block_until_ready(res.norms)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    device = next(b for w, b in estimates if "trials per device" in w)
    return {"N": n, "seconds_per_trial": seconds / 2, "estimate_bytes": device, "baseline_rss": before,
            "peak_rss": peak, "peak_minus_baseline": peak - before,
            "estimate_over_measured": device / (peak - before), "finite": bool(jax.numpy.isfinite(res.norms).all())}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 16384)))
