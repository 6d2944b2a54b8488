"""Keys, jit and vmap across the public API (docs/errors.md).

- Every function that takes a PRNG key accepts a typed key (``jax.random.key``) and a legacy one
  (``jax.random.PRNGKey``) of the same seed and returns identical numbers (oracle: the legacy-key
  call; JAX gives both the same threefry stream), and its second call compiles nothing (programs
  are cached by shapes, not rebuilt per call); an int seed or a batch of keys is a TypeError
  naming the argument.
- Every traceable function returns under ``jax.jit`` and ``jax.vmap`` the numbers of the eager call
  (oracle: the eager call), and with a NaN in an array argument under jit it either raises
  (from inside the compiled program, with kdntk's message) or returns NaN: never a plausible
  number, such as a NaN counted as an agreement.
"""

import functools
import logging

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kdntk
from _api_table import CALLS, ENTRIES, THETA, X
from _bad_input import assert_clear_error, assert_runtime_error, assert_same, group, has_nan

_KEYED = [(e, k) for e in ENTRIES for k in e.keys]


def _keyed_params():
    return [pytest.param(e, k, id=f"{e.name}-{k}", marks=group(e.name)) for e, k in _KEYED]


@pytest.mark.parametrize("entry,arg", _keyed_params())
def test_legacy_and_typed_keys_give_identical_numbers_and_a_second_call_compiles_nothing(entry, arg, caplog):
    """The second call (typed key, after the legacy one) reuses every compiled program: a function
    that jits a fresh closure per call (a new static argument each time) would compile again."""
    seed = int(jax.random.key_data(entry.kwargs[arg])[-1])
    legacy = _numbers(entry.call(**{arg: jax.random.PRNGKey(seed)}))
    typed_key = jax.random.key(seed)
    with caplog.at_level(logging.WARNING), jax.log_compiles():
        typed = entry.call(**{arg: typed_key})
    compiled = [r.getMessage()[:80] for r in caplog.records if r.getMessage().startswith("Compiling")]
    assert not compiled, compiled
    assert_same(legacy, _numbers(typed), rtol=0, atol=0)


def _numbers(result):
    """A result's arrays (key data for keys); a task is compared by its logits on inputs."""
    if callable(result) and not hasattr(result, "shape"):
        return result(X)
    return jax.tree_util.tree_map(
        lambda v: jax.random.key_data(v) if jnp.issubdtype(v.dtype, jax.dtypes.prng_key) else v, result)


@pytest.mark.parametrize("entry,arg", _keyed_params())
def test_an_int_seed_or_a_batch_of_keys_is_named(entry, arg):
    assert_clear_error(lambda: entry.call(**{arg: 0}), arg)
    assert_clear_error(lambda: entry.call(**{arg: jax.random.split(jax.random.key(0), 2)}), arg)


_TRACEABLE = [e for e in ENTRIES + CALLS if e.traceable]


@functools.cache
def _jitted(name):
    """jit(vmap(f)) over the entry's array arguments: one compilation covers both transforms."""
    entry = next(e for e in _TRACEABLE if e.name == name)

    def run(*values):
        return entry.fn(**{**entry.kwargs, **dict(zip(entry.arrays, values))})

    return entry, jax.jit(jax.vmap(run))


def _slice(tree, i):
    return jax.tree_util.tree_map(lambda b: b[i], tree)


@pytest.mark.parametrize("name", [pytest.param(e.name, id=e.name, marks=group(e.name)) for e in _TRACEABLE])
def test_jit_of_vmap_gives_the_eager_numbers(name):
    entry, batched = _jitted(name)
    eager = entry.call()
    out = batched(*[np.stack([entry.kwargs[a]] * 2) for a in entry.arrays])
    for i in range(2):
        assert_same(_slice(out, i), eager, rtol=1e-10, atol=1e-12)


_NAN_UNDER_JIT = [pytest.param(e.name, a, id=f"{e.name}-{a}", marks=group(e.name)) for e in _TRACEABLE for a in e.arrays
                  if np.asarray(e.kwargs[a]).dtype.kind == "f"]


@pytest.mark.parametrize("name,arg", _NAN_UNDER_JIT)
def test_nan_under_jit_is_never_a_plausible_number(name, arg):
    """A batch of two calls under jit(vmap): a NaN in ``arg`` of the first. It raises from inside
    the program, or the first call's result holds NaN; the second call is unaffected."""
    entry, batched = _jitted(name)
    values = [np.stack([np.array(entry.kwargs[a], dtype=float)] * 2) for a in entry.arrays]
    values[entry.arrays.index(arg)][0].reshape(-1)[0] = np.nan
    try:
        out = batched(*values)
    except (jax.errors.JaxRuntimeError, ValueError, TypeError, kdntk.NumericalError):
        assert_runtime_error(lambda: batched(*values), None)
        return
    assert has_nan(_slice(out, 0)), f"{name}: a NaN in {arg} under jit returned a number"
    assert_same(_slice(out, 1), entry.call(), rtol=1e-10, atol=1e-12)


def test_effective_logits_under_jit_and_vmap_reject_a_soft_ratio_outside_0_1():
    """Ji & Zhu's Eq. 3 has no meaning for rho = 1.5; under jit the check runs in the program."""
    f = jax.jit(lambda rho: kdntk.effective_logits(1.0, 1.0, soft_ratio=rho, temperature=2.0))
    assert np.isfinite(f(0.5))
    assert_runtime_error(lambda: f(1.5), "soft_ratio")
    g = jax.vmap(lambda rho: kdntk.effective_logits(1.0, 1.0, soft_ratio=rho, temperature=2.0))
    assert_runtime_error(lambda: g(jnp.array([0.5, 1.5])), "soft_ratio")
    h = jax.jit(lambda T: kdntk.effective_logits(1.0, 1.0, soft_ratio=0.5, temperature=T))
    assert_runtime_error(lambda: h(-1.0), "temperature")


def test_transfer_risk_under_jit_rejects_nan_instead_of_counting_it_as_agreement():
    f = jax.jit(kdntk.transfer_risk)
    assert float(f(jnp.array([1.0, -1.0]), jnp.array([1.0, 1.0])).risk) == 0.5
    assert_runtime_error(lambda: f(jnp.array([1.0, jnp.nan]), jnp.array([1.0, 1.0])), "z_teacher")


def test_an_upper_factor_is_rejected_eagerly_and_under_jit():
    """scipy.linalg.cholesky returns the upper factor by default; read as lower it gives wrong
    norms. Oracle: the lower factor's norms."""
    L = np.linalg.cholesky(THETA)
    dz = X[:, 0]
    good = kdntk.weight_norm_path_from_cholesky(L, dz)
    assert_same(good, kdntk.weight_norm_path(THETA, dz), rtol=1e-10)
    assert_clear_error(lambda: kdntk.weight_norm_path_from_cholesky(L.T, dz), "L")
    f = jax.jit(kdntk.weight_norm_path_from_cholesky)
    assert_same(f(L, dz), good, rtol=1e-10)
    assert_runtime_error(lambda: f(L.T, dz), "L")
