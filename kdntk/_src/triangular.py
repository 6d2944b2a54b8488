"""Solves with a lower Cholesky factor L (L L^T = Theta), without a copy of L per solve.

jaxlib runs a triangular solve on CPU as LAPACK's ``?trsm``, which reads column-major arrays, and
JAX arrays are row-major: XLA hands LAPACK a transposed copy of L on every call. That copy, not
the solve, was the cost of a solve at large N: 0.35 s of a one-vector solve at N = 8192 on the
2-core CI machine, against 0.018 s for scipy's solve on the same L (a matrix-vector product's
time: the solve reads L once). The transpose L^T of a row-major L *is* L in column-major order,
so these functions ask LAPACK for the transposed problem on L^T, which XLA passes without a copy:
the same LAPACK call on the same numbers, bit-identical results, ~10x faster at N = 4096
(benchmarks: docs/benchmarks.md, "Triangular solves").

Every solve of kdntk with a factor goes through here: the all-prefix norms, predictions,
Theorem 2's paths, the condition estimate and the mixed-precision refinement.
"""

from __future__ import annotations

import jax.scipy.linalg as jsl

__all__ = ["solve_lower", "solve_lower_transposed", "cho_solve"]


def solve_lower(L, b):
    """L^-1 b for a lower-triangular L (N, N) and b (N,) or (N, K) (traceable; batched L (*B, N, N)
    with b (*B, N, K)).

    >>> import jax.numpy as jnp
    >>> solve_lower(jnp.array([[2.0, 0.0], [1.0, 1.0]]), jnp.array([2.0, 3.0]))
    Array([1., 2.], dtype=float32)
    """
    return jsl.solve_triangular(_t(L), b, lower=False, trans=1)


def solve_lower_transposed(L, b):
    """L^-T b for a lower-triangular L (traceable; shapes as in ``solve_lower``).

    >>> import jax.numpy as jnp
    >>> solve_lower_transposed(jnp.array([[2.0, 0.0], [1.0, 1.0]]), jnp.array([2.0, 3.0]))
    Array([-0.5,  3. ], dtype=float32)
    """
    return jsl.solve_triangular(_t(L), b, lower=False, trans=0)


def cho_solve(L, b):
    """Theta^-1 b = L^-T L^-1 b from the lower Cholesky factor L of Theta (traceable).

    >>> import jax.numpy as jnp
    >>> cho_solve(jnp.array([[2.0, 0.0], [1.0, 1.0]]), jnp.array([4.0, 3.0]))
    Array([0.5, 1. ], dtype=float32)
    """
    return solve_lower_transposed(L, solve_lower(L, b))


def _t(L):
    return L.swapaxes(-1, -2)
