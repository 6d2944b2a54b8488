"""Test configuration: float64 on (accuracy is asserted against float64 oracles), strict rank
promotion (catches silent broadcasting bugs), and a small shared PRNG key fixture.

XLA compilation is most of the suite's time, and the same programs are compiled by both xdist
workers and by the subprocesses (notebook kernels, the multi-process and device-count tests). A
persistent compilation cache shared through the environment (.cache/jax in the checkout; JAX
keys each executable by its program, options and versions, so a hit returns the identical
executable) compiles each of them once per run, and once per change on a developer's machine."""

import importlib.metadata
import os
import pathlib

# XLA:CPU's quicker compile settings, unless XLA_FLAGS is set (`XLA_FLAGS= make test` runs the
# suite with XLA's own). Compilation is most of the suite's time: LLVM at -O1 instead of -O3, and
# on jaxlib 0.10 the loop emitters for fusions instead of the MLIR fusion emitters (jaxlib 0.12
# has no others) about halve it (docs/benchmarks.md). The suite passes under these settings and
# under XLA's defaults, what users run; results differ in the last bits. At -O0 some do not: one
# effective logit in 1e5 is an ulp off between two programs, and with the loop emitters the
# fused NTK's exact diagonal is 1e-9 off.
_QUICK_XLA_FLAGS = "--xla_backend_optimization_level=1" + (
    " --xla_cpu_use_fusion_emitters=false" if importlib.metadata.version("jaxlib").startswith("0.10.") else "")
os.environ.setdefault("XLA_FLAGS", _QUICK_XLA_FLAGS)
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


# Modules whose tests take tens of seconds each (notebooks, the demo, the benchmark suite, the
# multi-process run). Collected first, so that xdist starts them first and the two workers end
# together instead of one finishing a long test while the other idles (longest first).
_LONG_MODULES = ("test_notebooks", "test_demo", "test_benchmarks", "test_multihost")


def pytest_collection_modifyitems(items):
    def rank(item):
        name = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        return _LONG_MODULES.index(name) if name in _LONG_MODULES else len(_LONG_MODULES)

    items.sort(key=rank)   # stable: the order within and among the other modules is kept
