"""Blocked Cholesky factorization for kernels too large for one LAPACK call.

On CPU, JAX factors with the ``potrf`` of the OpenBLAS that scipy bundles (scipy-openblas 0.3.30
under jaxlib 0.10.2 and 0.12.0.1), and its multi-threaded path (``dpotrf_L_parallel`` ->
``dsyrk_thread_LN`` -> ``dgemm_otcopy``) crashes the process with a segmentation fault on large
matrices: measured on 2 threads, float64 of order 16000, 16300, 16383 and 16384 crash, 15500 and
below do not; float32 of order 16384 does not (the limit follows the matrix's bytes, ~1.9 GiB);
single-threaded (``OPENBLAS_NUM_THREADS=1``) the same call succeeds. An OpenBLAS bug (cf.
OpenMathLib/OpenBLAS#1413, same backtrace at N = 65536), not a JAX limit. Above
``SINGLE_CALL_MAX`` rows kdntk therefore factors in blocks of ``BLOCK`` rows (the right-looking
blocked algorithm of LAPACK's ``dpotrf`` itself; Golub & Van Loan, Matrix Computations, 4th ed.,
Alg. 4.2.9), so that no LAPACK call sees more than one diagonal block:

    for each diagonal block k:   L_kk = chol(A_kk)                       (potrf, b x b)
                                 L_ik = A_ik L_kk^-T,  i > k             (one trsm of the panel)
                                 A_ij -= L_ik L_jk^T,  j > k, i >= j     (block column by column)

Same arithmetic as LAPACK's blocked ``potrf`` (equal to the single call to rounding), updates in
place in one N x N buffer: the workspace beyond the factor is one panel (N x b) and one block
column's update (N x b), not a second N x N matrix. The price is time: the updates are plain
matrix products (XLA's dot; no symmetric rank-k update, so the diagonal blocks' upper halves are
computed and dropped): 12.3 s against 7.6 s for the single call at N = 12288, 28 s at N = 16384
(float64, 2 CPU cores; docs/benchmarks.md), hence the single call wherever it is safe.

A kernel that is not positive definite gives NaN from the failing block on (the block's ``potrf``
returns NaN and it propagates through the panel and the updates); the result is then NaN below
the diagonal, as the single call returns, so the diagnosis (``kdntk._src.conditioning``) reports
it as before.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = ["BLOCK", "SINGLE_CALL_MAX", "blocked_cholesky", "lower_cholesky"]

SINGLE_CALL_MAX = 12288
"""Largest order factored by one LAPACK call (1.1 GiB in float64, below the ~1.9 GiB where the
threaded potrf crashed; the blocked path above it)."""

BLOCK = 4096
"""Rows per diagonal block of the blocked path."""


def lower_cholesky(a, *, block: int = BLOCK, single_call_max: int = SINGLE_CALL_MAX):
    """Lower Cholesky factor of the lower triangle of ``a`` (*B, N, N) (traced; NaN on failure):
    one LAPACK call up to ``single_call_max`` rows, ``blocked_cholesky`` above."""
    if a.shape[-1] <= single_call_max:
        return jax.lax.linalg.cholesky(a, symmetrize_input=False)
    return blocked_cholesky(a, block=block)


def blocked_cholesky(a, *, block: int):
    """Lower Cholesky factor of the lower triangle of ``a`` (*B, N, N) by blocks of ``block`` rows
    (module doc; traced, unrolled over the N / block diagonal blocks)."""
    n = a.shape[-1]
    edges = list(range(0, n, block)) + [n]
    at = (0,) * (a.ndim - 2)

    def put(a, value, row, col):
        return jax.lax.dynamic_update_slice(a, value, at + (row, col))

    for k, (s, e) in enumerate(zip(edges[:-1], edges[1:])):
        lkk = jax.lax.linalg.cholesky(a[..., s:e, s:e], symmetrize_input=False)
        a = put(a, lkk, s, s)
        if e == n:
            break
        # The panel L[e:, s:e] solves X L_kk^T = A[e:, s:e].
        panel = jax.lax.linalg.triangular_solve(lkk, a[..., e:, s:e], left_side=False, lower=True,
                                                transpose_a=True)
        a = put(a, panel, e, s)
        for js, je in zip(edges[k + 1:-1], edges[k + 2:]):
            rows = panel[..., js - e:, :]                       # L[js:, s:e]
            update = rows @ jnp.swapaxes(panel[..., js - e:je - e, :], -1, -2)
            a = put(a, a[..., js:, js:je] - update, js, js)
    # Like the single call: zeros above the diagonal, and NaN below it if any block failed.
    failed = jnp.any(jnp.isnan(jnp.diagonal(a, axis1=-2, axis2=-1)), axis=-1)[..., None, None]
    i = jnp.arange(n)
    lower = i[:, None] >= i[None, :]
    return jnp.where(lower, jnp.where(failed, jnp.nan, a), 0.0).astype(a.dtype)
