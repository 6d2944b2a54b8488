"""Random draws that compile fast on XLA:CPU.

A threefry sampler whose last axis is not a power of two (10 classes, 100 dimensions) compiles several
times slower than the same sampler on a flat array (measured on the 2-core CPU machine: uniform (120, 10)
1.8 s vs (1200,) 0.5 s; normal (120, 4, 32, 100) 3.3 s vs 0.5 s). Threefry counts in row-major order,
so drawing flat and reshaping gives exactly the same numbers (tests/test_random.py).
"""

from __future__ import annotations

import math


def drawn_flat(sampler, key, shape, *args, **kwargs):
    """``sampler(key, shape, *args, **kwargs)``, e.g. ``jax.random.normal``, drawn 1-D and reshaped."""
    return sampler(key, (math.prod(shape),), *args, **kwargs).reshape(shape)
