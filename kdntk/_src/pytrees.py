"""Frozen dataclasses registered as JAX pytrees (tasks, teachers: callables holding arrays)."""

from __future__ import annotations

import dataclasses

import jax

__all__ = ["dataclass_pytree"]


def dataclass_pytree(data_fields, meta_fields=()):
    """Class decorator: a frozen dataclass whose ``data_fields`` are pytree children (traced under
    jit) and whose ``meta_fields`` are static (hashable, part of the compiled program's key)."""

    def wrap(cls):
        cls = dataclasses.dataclass(frozen=True)(cls)
        return jax.tree_util.register_dataclass(
            cls, data_fields=list(data_fields), meta_fields=list(meta_fields))

    return wrap
