"""kdntk's core, private: one idea per module. Names inside carry no underscore: each module's
``__all__`` is the contract the rest of kdntk (the paper namespaces, tasks, teachers, plotting)
builds on; users import the public re-exports from [`kdntk`][kdntk] instead."""

from kdntk._src import blas_threads, xla_workaround

xla_workaround.apply()   # first thing any import of kdntk runs: before a JAX backend can start
blas_threads.apply()     # and before scipy's OpenBLAS is loaded (by the first factorization)
