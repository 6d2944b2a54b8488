"""OpenBLAS's idle worker threads must not steal the cores XLA's own threads compute on.

jaxlib runs its CPU factorizations and triangular solves (Cholesky, trsm) through scipy's
OpenBLAS, whose worker threads busy-wait after every parallel call for
2^OPENBLAS_THREAD_TIMEOUT cycles (default 2^28: about 0.1 s at 2.5 GHz) before they sleep. A
sweep alternates the two libraries trial after trial (XLA: kernel, the student's initial
function; OpenBLAS: factorization, solves), so for 0.1 s after each factorization XLA's
multi-threaded loops share the cores with spinning threads: on the 2-core CI machine a random
draw ran 1.7x slower after a Cholesky in the same program, and a data-inefficiency sweep of
width-1024 students took 1.85x (N = 256) and 1.22x (N = 2048) the time of its parts run
separately (benchmarks/bench_parts.py; docs/benchmarks.md). With a spin of 2^16 cycles (~25
microseconds) the threads sleep at once and the factorization is as fast as before.

OpenBLAS reads the variable when it is loaded, and scipy's OpenBLAS is loaded by the first
LAPACK call of the process; so kdntk sets ``OPENBLAS_THREAD_TIMEOUT=16`` when it is imported,
unless it is set already (a user's value wins). Imported after a factorization has run, the
setting has no effect (and nothing else changes): import kdntk first, or set the variable
before starting Python.
"""

from __future__ import annotations

import os

__all__ = ["TIMEOUT", "apply"]

TIMEOUT = "16"
"""log2 of the cycles an idle OpenBLAS thread spins before it sleeps (OpenBLAS allows 4..30)."""


def apply() -> None:
    """Set ``OPENBLAS_THREAD_TIMEOUT`` to ``TIMEOUT`` unless the environment sets it."""
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", TIMEOUT)
