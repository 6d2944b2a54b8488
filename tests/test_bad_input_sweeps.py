"""Bad input to the sweeps (the trial engine's entry points) and to every function that takes a
user callable (docs/errors.md, docs/engine.md): a ValueError or TypeError naming the argument,
raised before any trial runs, and the callable contract: an (n, 1) output gives exactly the
numbers of (n,), a wrong shape, NaN values or labels outside [0, 1] are named.

Cases come from the table in tests/_api_table.py; oracle: the error contract, and the (n,)
callable's own result for the (n, 1) one.
"""

import dataclasses
import logging

import jax
import pytest

from _api_table import CALLS, ENTRIES, Column, MissingRow, Times, WithNaN
from _bad_input import SWEEPS, assert_clear_error, assert_same, by_name, cases, group


@pytest.mark.parametrize("entry,case,overrides,arg", cases(ENTRIES + CALLS, sweeps=True))
def test_sweep_bad_input_raises_a_clear_error_before_running(entry, case, overrides, arg):
    assert_clear_error(lambda: entry.call(**overrides), arg)


@pytest.mark.parametrize("name", [pytest.param(n, marks=group(n)) for n in sorted(SWEEPS)
                                  if "key" in by_name(n).kwargs and "teachers" not in n])
def test_a_sweep_under_jit_says_which_function_to_jit_instead(name):
    entry = by_name(name)
    err = assert_clear_error(lambda: jax.jit(lambda k: entry.call(key=k))(entry.kwargs["key"]), "key")
    assert "outside jit" in str(err) or "outside of jit" in str(err)


_CALLABLES = [(e, arg, kind) for e in ENTRIES for arg, kind in e.callables.items()]



@dataclasses.dataclass   # eq=True without frozen: __hash__ is None
class Unhashable:
    """A callable object that cannot be hashed, as a user's mutable dataclass model is."""

    fn: object

    def __call__(self, x):
        return self.fn(x)


# The engine's sweeps and a non-sweep that compiles a user callable (the others call it eagerly)
_UNHASHABLE = ["kdntk.data_inefficiency", "kdntk.ji_zhu.zero_function_comparison", "kdntk.tasks.logit_grid"]


@pytest.mark.parametrize("name", [pytest.param(n, marks=group(n)) for n in _UNHASHABLE])
def test_an_unhashable_callable_gives_the_numbers_of_the_function_and_compiles_once(name, caplog):
    """Compiled code keys a callable by its hash; one that has none is keyed by its identity.
    Oracle: the same call with the plain function; the object's second call compiles nothing."""
    entry = by_name(name)
    arg = next(iter(entry.callables))
    obj = Unhashable(entry.kwargs[arg])
    got = entry.call(**{arg: obj})
    with caplog.at_level(logging.WARNING), jax.log_compiles():
        again = entry.call(**{arg: obj})
    assert not [r for r in caplog.records if r.getMessage().startswith("Compiling")]
    assert_same(got, entry.call(), rtol=0, atol=0)
    assert_same(again, got, rtol=0, atol=0)

@pytest.mark.parametrize("entry,arg,kind", [pytest.param(e, a, k, id=f"{e.name}-{a}", marks=group(e.name))
                                            for e, a, k in _CALLABLES])
def test_an_n_by_1_callable_gives_the_numbers_of_its_n_form(entry, arg, kind):
    """Oracle: the same call with the (n,) callable (a stax/flax apply_fn returns (n, 1))."""
    fn = entry.kwargs[arg]
    assert_same(entry.call(**{arg: Column(fn)}), entry.call(), rtol=0, atol=0)


_BROKEN = [pytest.param(e, arg, label, broken, id=f"{e.name}-{arg}-{label}", marks=group(e.name))
           for e, arg, kind in _CALLABLES
           for label, broken in (("missing_row", MissingRow(e.kwargs[arg])), ("nan", WithNaN(e.kwargs[arg])))
           + ((("outside_0_1", Times(e.kwargs[arg], 2.0)),) if kind == "labels" else ())]


@pytest.mark.parametrize("entry,arg,label,broken", _BROKEN)
def test_a_broken_callable_is_named(entry, arg, label, broken):
    err = assert_clear_error(lambda: entry.call(**{arg: broken}), arg)
    if label == "missing_row":
        assert "shape" in str(err)
