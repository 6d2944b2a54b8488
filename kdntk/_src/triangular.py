"""Solves with a real lower Cholesky factor L (L L^T = Theta), in the memory order L arrives in.

Every solve of kdntk with a finished factor goes through here (the panel solves inside the
blocked factorization, kdntk/_src/blocked_cholesky.py, work on small blocks and do not).

jaxlib runs a triangular solve on CPU as LAPACK's ``?trsm``, which reads column-major arrays:

- A factor computed in the same compiled program comes out of LAPACK's ``?potrf`` column-major,
  and the plain call takes it as it is (``row_major=False``, the default).
- A factor that is an argument of the program (a user's L, or one returned by another program)
  is row-major, as every JAX array; for the plain call XLA makes a transposed copy of it first,
  on every call. That copy, not the solve, was the cost: 0.35 s of a one-vector solve at
  N = 8192 on the 2-core CI machine, against 0.018 s for scipy's solve (one pass over L). The
  transpose L^T of a row-major L *is* L in column-major order, so ``row_major=True`` asks LAPACK
  for the transposed problem on L^T, which XLA passes without a copy: the same LAPACK call on the
  same numbers, bit-identical, 6.9-7.7x faster with 8 right-hand sides at N = 4096-8192
  (docs/benchmarks.md, "Triangular solves"). For a factor computed in the same program it would
  make XLA write that factor transposed instead (a factorization and solve 15 % slower at
  N = 4096).

That is jaxlib 0.10 (the lock's Python 3.11). The XLA of jaxlib 0.12 copies an argument factor
in either form; the two take the same time there.
"""

from __future__ import annotations

import jax.scipy.linalg as jsl

__all__ = ["solve_lower", "solve_lower_transposed", "cho_solve"]


def solve_lower(L, b, *, row_major: bool = False):
    """L^-1 b for a lower-triangular L (N, N) and b (N,) or (N, K) (traceable; batched L (*B, N, N)
    with b (*B, N, K)). ``row_major``: L is an argument of the program (module doc).

    >>> import jax.numpy as jnp
    >>> solve_lower(jnp.array([[2.0, 0.0], [1.0, 1.0]]), jnp.array([2.0, 3.0]), row_major=True)
    Array([1., 2.], dtype=float32)
    """
    if row_major:
        return jsl.solve_triangular(L.swapaxes(-1, -2), b, lower=False, trans=1)
    return jsl.solve_triangular(L, b, lower=True)


def solve_lower_transposed(L, b, *, row_major: bool = False):
    """L^-T b for a lower-triangular L (traceable; arguments as in ``solve_lower``).

    >>> import jax.numpy as jnp
    >>> solve_lower_transposed(jnp.array([[2.0, 0.0], [1.0, 1.0]]), jnp.array([2.0, 3.0]))
    Array([-0.5,  3. ], dtype=float32)
    """
    if row_major:
        return jsl.solve_triangular(L.swapaxes(-1, -2), b, lower=False, trans=0)
    return jsl.solve_triangular(L, b, lower=True, trans=1)


def cho_solve(L, b, *, row_major: bool = False):
    """Theta^-1 b = L^-T L^-1 b from the lower Cholesky factor L of Theta (traceable; arguments as
    in ``solve_lower``).

    >>> import jax.numpy as jnp
    >>> cho_solve(jnp.array([[2.0, 0.0], [1.0, 1.0]]), jnp.array([4.0, 3.0]))
    Array([0.5, 1. ], dtype=float32)
    """
    return solve_lower_transposed(L, solve_lower(L, b, row_major=row_major), row_major=row_major)
