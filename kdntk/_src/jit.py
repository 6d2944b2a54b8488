"""jit for functions whose arguments mix arrays with Python callables (targets, networks).

Array leaves of every argument's pytree are traced; every other leaf (functions, strings,
networks, ints) and the tree structure are static. A plain function used as a target and a task
object holding arrays (a pytree with ``__call__``) both work, and the compiled computation is
reused across calls with equal static parts. A static leaf that cannot be hashed (a callable
dataclass with ``eq=True``, say) is keyed by its identity: compiled once per object.
"""

from __future__ import annotations

import functools

import jax
import numpy as np

__all__ = ["filter_jit"]


def _is_array(x) -> bool:
    return isinstance(x, (jax.Array, np.ndarray, np.generic, jax.ShapeDtypeStruct)) or (
        isinstance(x, (float, complex)) and not isinstance(x, bool)
    )


def filter_jit(fn):
    """``jax.jit(fn)`` tracing only array-like leaves; all other leaves are static.

    ``filter_jit(fn).eval_shape(*args)`` gives the output shapes without running (array leaves
    may be ``jax.ShapeDtypeStruct``), from the same trace cache as the calls."""

    @functools.partial(jax.jit, static_argnums=(0,))
    def _run(static, dynamic):
        treedef, static_leaves = static
        leaves = [d if s is _DYNAMIC else s.value if isinstance(s, _ById) else s
                  for s, d in zip(static_leaves, dynamic)]
        args, kwargs = jax.tree_util.tree_unflatten(treedef, leaves)
        return fn(*args, **kwargs)

    def split(args, kwargs):
        leaves, treedef = jax.tree_util.tree_flatten((args, kwargs))
        dynamic = [x if _is_array(x) else None for x in leaves]
        static_leaves = tuple(_DYNAMIC if _is_array(x) else _static(x) for x in leaves)
        return (treedef, static_leaves), dynamic

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return _run(*split(args, kwargs))

    wrapper.eval_shape = lambda *args, **kwargs: _run.eval_shape(*split(args, kwargs))
    return wrapper


def _static(x):
    """``x`` if it can be hashed (jit's cache key), else ``x`` keyed by identity."""
    try:
        hash(x)
    except TypeError:
        return _ById(x)
    return x


class _ById:
    """An unhashable static leaf, equal only to itself. The jit cache holds the key, so the
    object stays alive and its ``id`` cannot be reused while cached."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other) -> bool:
        return isinstance(other, _ById) and other.value is self.value


class _Dynamic:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<dynamic>"


_DYNAMIC = _Dynamic()
