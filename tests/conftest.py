"""Test configuration: float64 on (accuracy is asserted against float64 oracles), strict rank
promotion (catches silent broadcasting bugs), and a small shared PRNG key fixture.

XLA compilation is most of the suite's time, and the same programs are compiled by both xdist
workers and by the subprocesses (notebook kernels, the multi-process and device-count tests). A
persistent compilation cache shared through the environment (.cache/jax in the checkout; JAX
keys each executable by its program, options and versions, so a hit returns the identical
executable) compiles each of them once per run, and once per change on a developer's machine."""

import os
import pathlib

os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(pathlib.Path(__file__).resolve().parents[1] / ".cache" / "jax"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.1")

import jax  # noqa: E402
import pytest

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")

import kdntk  # noqa: E402,F401  (first, as a user would: its XLA workaround precedes any computation)


@pytest.fixture
def key():
    return jax.random.key(0)
