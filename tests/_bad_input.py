"""Case generation and the error contract's assertions, shared by the tests/test_bad_input*.py files.

The contract (docs/errors.md): bad input raises ValueError or TypeError (kdntk.KernelError is a
ValueError; kdntk.NumericalError a FloatingPointError) whose message names the argument, or
returns a documented special value; a message from inside JAX (a shape error of a primitive, a
tracer error, a Python arithmetic error) must never reach the user.
"""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kdntk
from _api_table import CALLS, ENTRIES, Entry

ALLOWED = (ValueError, TypeError, kdntk.NumericalError)

INTERNAL = (
    "dot_general", "got incompatible shapes", "Incompatible shapes for broadcasting", "transpose permutation",
    "modulo by zero", "division by zero", "zero-size array", "TracerArrayConversionError",
    "ConcretizationTypeError", "TracerBoolConversionError", "non-hashable static", "Shapes must be 1D sequences",
    "unexpected keyword argument", "missing 1 required", "object is not callable", "has no attribute",
)

SWEEPS = {"kdntk.data_inefficiency", "kdntk.transfer_risk_curve", "kdntk.run_trials", "kdntk.trial_inputs",
          "kdntk.ji_zhu.hard_label_effect_curve", "kdntk.ji_zhu.inefficiency_by_epoch",
          "kdntk.ji_zhu.zero_function_comparison", "kdntk.teachers.train_teacher"}


def names(message: str, arg: str) -> bool:
    """``arg`` appears in ``message`` as a name (not inside a longer identifier)."""
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(arg)}(?![A-Za-z0-9_])", message) is not None


def assert_clear_error(call, arg: str | None):
    """``call()`` raises an allowed error whose message names ``arg`` and no JAX internals."""
    with pytest.raises(ALLOWED) as info:
        call()
    message = str(info.value)
    leaked = [m for m in INTERNAL if m in message]
    assert not leaked, f"internal message reached the user: {message[:400]}"
    if arg is not None:
        alternatives = (arg,) if isinstance(arg, str) else tuple(arg)
        assert any(names(message, a) for a in alternatives), f"message does not name {arg!r}: {message[:400]}"
    return info.value


def assert_runtime_error(call, arg: str | None):
    """Under jit: an allowed error raised now, or a JaxRuntimeError carrying kdntk's message."""
    try:
        call()
    except jax.errors.JaxRuntimeError as err:
        message = str(err)
    except ALLOWED as err:
        message = str(err)
    else:
        raise AssertionError("no error")
    assert not [m for m in INTERNAL if m in message], message[:400]
    if arg is not None:
        assert names(message, arg), f"message does not name {arg!r}: {message[:600]}"


def _with_first(v, value):
    v = np.array(v, dtype=float, copy=True)
    v.reshape(-1)[0] = value
    return v


def mutations(entry: Entry):
    """(case id, overrides, argument to name) of the generated cases of ``entry``."""
    out = []
    for a in entry.arrays:
        v = np.asarray(entry.kwargs[a])
        if v.dtype.kind == "f" and v.size:
            out.append((f"nan:{a}", {a: _with_first(v, np.nan)}, a))
            out.append((f"inf:{a}", {a: _with_first(v, np.inf)}, a))
        if v.ndim >= 1:
            out.append((f"rows0:{a}", {a: np.zeros((0,) + v.shape[1:])}, a))
        if v.ndim >= 2:
            out.append((f"cols0:{a}", {a: np.zeros(v.shape[:-1] + (0,))}, a))
    for a, axis in entry.constrained().items():
        v = np.asarray(entry.kwargs[a])
        if v.ndim and v.shape[axis] >= 2:
            # a shape that clashes with another argument may be reported under either name
            out.append((f"shape:{a}", {a: np.take(v, np.arange(v.shape[axis] - 1), axis=axis)},
                        (a,) + entry.pairs.get(a, ())))
    for label, overrides, arg in entry.bad:
        out.append((label, overrides, arg))
    return out


def cases(entries, *, sweeps: bool):
    """pytest params (entry, case id, overrides, arg) of every bad case of ``entries``."""
    params = []
    for entry in entries:
        if (entry.name in SWEEPS) != sweeps:
            continue
        for case, overrides, arg in mutations(entry):
            marks = (group(entry.name),)
            reason = entry.known.get(case)
            if reason:
                marks += (pytest.mark.xfail(reason=reason, strict=False),)
            params.append(pytest.param(entry, case, overrides, arg, id=f"{entry.name}-{case}", marks=marks))
    return params


def group(name: str):
    """Every case of one public function in one group: with ``pytest -n 2 --dist loadgroup`` they
    run in one worker, so that the programs it compiles are compiled once, not once per worker.
    (pytest-xdist 3.8 with pytest 9.2 ignores the groups: pytest-dev/pytest-xdist#1386.)"""
    return pytest.mark.xdist_group(name)


def per_entry(entries):
    """pytest params of the entries, in their groups."""
    return [pytest.param(e, id=e.name, marks=group(e.name)) for e in entries]


def by_name(name: str) -> Entry:
    return next(e for e in ENTRIES + CALLS if e.name == name)


def has_nan(tree) -> bool:
    leaves = [leaf for leaf in jax.tree_util.tree_leaves(tree)
              if hasattr(leaf, "dtype") and jnp.issubdtype(leaf.dtype, jnp.inexact)]
    return any(np.isnan(np.asarray(leaf)).any() for leaf in leaves)


def assert_same(a, b, *, rtol=1e-12, atol=1e-12):
    la, lb = jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    assert len(la) == len(lb)
    for x, y in zip(la, lb):
        np.testing.assert_allclose(np.asarray(x, dtype=float), np.asarray(y, dtype=float), rtol=rtol, atol=atol)
