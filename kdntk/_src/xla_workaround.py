"""A workaround for an XLA:CPU bug in jaxlib 0.10.x (the version the lock gives Python 3.11).

With XLA:CPU's concurrency-optimized scheduler, running some float64 programs corrupts memory:
seen with the closed-form NTK of a convolutional network with pooling (Conv, Relu, AvgPool,
GlobalAvgPool, or a residual FanOut/FanInSum block before GlobalAvgPool) computed on 24 digits:
the program returns, and the process crashes (segmentation fault) in whatever JAX does next.
The same programs run cleanly with the scheduler off, and on jaxlib 0.12 either way.

XLA reads its flags when JAX first starts a backend, so kdntk adds
``--xla_cpu_enable_concurrency_optimized_scheduler=false`` to ``XLA_FLAGS`` when it is imported
under jaxlib 0.10.x before any JAX computation has run; if a backend was already started it
cannot, and warns once instead (set the flag yourself, or import kdntk first).
"""

from __future__ import annotations

import os
import warnings

import jax

__all__ = ["FLAG", "apply"]

FLAG = "--xla_cpu_enable_concurrency_optimized_scheduler=false"


def apply() -> None:
    """Add ``FLAG`` to ``XLA_FLAGS`` on jaxlib 0.10.x if it can still take effect."""
    if not jax.__version__.startswith("0.10.") or FLAG in os.environ.get("XLA_FLAGS", ""):
        return
    try:
        from jax._src import xla_bridge

        started = xla_bridge.backends_are_initialized()
    except (ImportError, AttributeError):   # private API: if it moved, assume the worst
        started = True
    if started:
        warnings.warn(
            f"kdntk was imported after JAX started its backend, under jaxlib {jax.__version__}, whose "
            "XLA:CPU scheduler can corrupt memory in float64 kernels of convolutional networks with "
            f"pooling. Set XLA_FLAGS={FLAG} before starting Python, or import kdntk before running "
            "any JAX computation (docs/design.md, known issues).", RuntimeWarning, stacklevel=3)
        return
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {FLAG}".strip()
