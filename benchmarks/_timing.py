"""Timing and environment helpers shared by the benchmarks (scripts, not library code).

Every measurement: call once to compile and warm up (that time is reported as ``compile_s``),
then ``repeats`` timed calls, each ending in ``jax.block_until_ready``; report the median and
the spread (min and max) of those calls.
"""

from __future__ import annotations

import platform
import statistics
import time

import jax
import numpy as np


def measure(fn, *args, repeats: int = 3) -> dict:
    """Time ``fn(*args)``: first call (compile + run) and the median/min/max of ``repeats`` more."""
    t0 = time.perf_counter()
    out = jax.block_until_ready(fn(*args))
    first = time.perf_counter() - t0
    times = []
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    return {"median_s": med, "min_s": min(times), "max_s": max(times),
            "compile_s": max(first - med, 0.0), "repeats": len(times), "out": out}


def interleaved(fns: dict, *, repeats: int = 3) -> dict:
    """Time several zero-argument functions round-robin (fairer on a shared, noisy machine).

    Each is first called once (compile, warm-up); then ``repeats`` rounds call each in turn.
    Returns {name: timing dict as in :func:`measure`}.
    """
    first, outs = {}, {}
    for name, fn in fns.items():
        t0 = time.perf_counter()
        outs[name] = jax.block_until_ready(fn())
        first[name] = time.perf_counter() - t0
    times = {name: [] for name in fns}
    for _ in range(max(1, repeats)):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            jax.block_until_ready(fn())
            times[name].append(time.perf_counter() - t0)
    result = {}
    for name, ts in times.items():
        med = statistics.median(ts)
        result[name] = {"median_s": med, "min_s": min(ts), "max_s": max(ts),
                        "compile_s": max(first[name] - med, 0.0), "repeats": len(ts),
                        "out": outs[name]}
    return result


def row(benchmark: str, method: str, timing: dict, **fields) -> dict:
    """One CSV row: the benchmark, the method, its timing (without the output) and extra fields."""
    t = {k: v for k, v in timing.items() if k != "out"}
    return {"benchmark": benchmark, "method": method, **fields, **t}


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def environment() -> dict:
    """Device, CPU, core count and library versions of this run."""
    import os

    import jaxlib
    import scipy

    import kdntk

    dev = jax.devices()[0]
    return {
        "device": f"{dev.platform}:{getattr(dev, 'device_kind', '')}",
        "num_devices": jax.device_count(),
        "cpu": cpu_model(),
        "cpu_cores": os.cpu_count(),
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "kdntk": kdntk.__version__,
        "python": platform.python_version(),
    }


def loglog_slope(x, y) -> float:
    """Least-squares slope of log y against log x (the empirical scaling exponent)."""
    x, y = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    if x.size < 2:
        return float("nan")
    return float(np.polyfit(x, y, 1)[0])
