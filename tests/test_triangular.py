"""Solves with a Cholesky factor (kdntk/_src/triangular.py) against scipy's, and the reason the
module exists: under jaxlib 0.10, a factor that is an argument of the program reaches LAPACK
without a copy with ``row_major=True`` (JAX's own call copies it on every solve), in the public
functions that take a factor too."""

import re

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np
import pytest
import scipy.linalg

from kdntk._src.triangular import cho_solve, solve_lower, solve_lower_transposed

N = 48


def _factor(rng, n=N):
    phi = rng.normal(size=(2 * n, n))
    return np.linalg.cholesky(phi.T @ phi / (2 * n))


@pytest.mark.parametrize("row_major", [False, True])
@pytest.mark.parametrize("k", [None, 1, 5])
def test_solves_match_scipy_and_jax_bit_for_bit(k, row_major):
    rng = np.random.default_rng(0)
    L = _factor(rng)
    b = rng.normal(size=(N,) if k is None else (N, k))
    fns = jax.jit(lambda L, b: (solve_lower(L, b, row_major=row_major),
                                solve_lower_transposed(L, b, row_major=row_major),
                                cho_solve(L, b, row_major=row_major),
                                jsl.solve_triangular(L, b, lower=True),
                                jsl.solve_triangular(L, b, lower=True, trans=1),
                                jsl.cho_solve((L, True), b)))
    lo, lo_t, cho, jax_lo, jax_lo_t, jax_cho = (np.asarray(v) for v in fns(L, b))
    np.testing.assert_allclose(lo, scipy.linalg.solve_triangular(L, b, lower=True), rtol=1e-12)
    np.testing.assert_allclose(lo_t, scipy.linalg.solve_triangular(L, b, lower=True, trans=1), rtol=1e-12)
    np.testing.assert_allclose(cho, scipy.linalg.cho_solve((L, True), b), rtol=1e-11)
    # The same LAPACK calls on the same numbers as JAX's own functions: identical to the bit.
    for ours, theirs in ((lo, jax_lo), (lo_t, jax_lo_t), (cho, jax_cho)):
        np.testing.assert_array_equal(ours, theirs)


def test_batched_factors_solve_each_system():
    rng = np.random.default_rng(1)
    Ls = np.stack([_factor(rng) for _ in range(3)])
    b = rng.normal(size=(3, N, 2))
    got = np.asarray(jax.jit(lambda L, b: cho_solve(L, b, row_major=True))(Ls, b))
    for i in range(3):
        np.testing.assert_allclose(got[i], scipy.linalg.cho_solve((Ls[i], True), b[i]), rtol=1e-11)


def _square_copies(fn, *args):
    """Instructions of the compiled program that write an (N, N) array: copies, transposes,
    fusions (a bitcast, a parameter or a tuple element is not one)."""
    text = jax.jit(fn).lower(*args).compile().as_text()
    entry = text[text.index("ENTRY"):]
    shape = f"f64[{N},{N}]"
    return [line.strip() for line in entry.splitlines()
            if re.search(rf"= {re.escape(shape)}\{{[0-9,]*\}} (?!bitcast|parameter|get-tuple-element)", line)]


def test_an_argument_factor_reaches_lapack_with_no_more_copies_than_jax_and_none_under_jaxlib_0_10():
    L = jnp.linalg.cholesky(jnp.asarray(np.cov(np.random.default_rng(2).normal(size=(N, 2 * N)))))
    b = jnp.ones((N, 3))
    jax_calls = {solve_lower: lambda L, b: jsl.solve_triangular(L, b, lower=True),
                 solve_lower_transposed: lambda L, b: jsl.solve_triangular(L, b, lower=True, trans=1),
                 cho_solve: lambda L, b: jsl.cho_solve((L, True), b)}
    for fn, jax_fn in jax_calls.items():
        ours = _square_copies(lambda L, b: fn(L, b, row_major=True), L, b)
        theirs = _square_copies(jax_fn, L, b)
        assert len(ours) <= len(theirs), (fn.__name__, ours)
        if jax.__version__.startswith("0.10."):
            assert theirs and not ours, (fn.__name__, ours, theirs)


@pytest.mark.skipif(not jax.__version__.startswith("0.10."), reason="jaxlib 0.12's XLA copies in either form")
def test_the_public_solves_given_a_factor_copy_it_nowhere():
    """weight_norm_path_from_cholesky and prefix_predictions take the user's L: their programs
    (the checked ones the public functions run) must pass it to LAPACK as it is."""
    from kdntk._src.risk import _checked_prefix_path, prefix_path
    from kdntk._src.solve import _checked_norm_path, norm_path

    L = jnp.linalg.cholesky(jnp.asarray(np.cov(np.random.default_rng(3).normal(size=(N, 2 * N)))))
    dz, kxX = jnp.ones((5, N)), jnp.ones((7, N))
    assert _square_copies(_checked_norm_path, L, dz) == []
    assert _square_copies(_checked_prefix_path, L, kxX, dz) == []
    # The same programs without row_major copy it (what the flag is for).
    assert _square_copies(lambda L, dz: norm_path(L, dz), L, dz)
    assert _square_copies(lambda L, k, dz: prefix_path(L, k, dz), L, kxX, dz)
