"""Sweep results: frozen dataclasses (JAX pytrees) with fixed-rank fields and table export.

Every field of a result has the same axes whatever the arguments' ranks were (a scalar
``soft_ratio`` still gives a soft-ratio axis of length 1), so code that reads a result never
depends on how it was called. ``Result.to_dict`` flattens the table fields into long-format
columns (one row per table cell, with its coordinates), which ``Result.to_csv`` writes and
``Result.to_dataframe`` hands to pandas.

A field declared with ``static()`` (a string such as ``inputs``, how the sweep drew its inputs)
is static in the pytree (not a leaf: it passes through ``jax.jit`` and ``tree_map`` untouched)
and is a constant column of the table, after the table fields, so that a saved table says where
its numbers came from.
"""

from __future__ import annotations

import csv
import dataclasses
from typing import ClassVar

import jax
import numpy as np

__all__ = ["Result", "result", "static", "static_fields"]


def result(cls):
    """Decorator: ``cls`` as a frozen dataclass registered as a pytree: every field is data except
    those declared with ``static()``, which are static (part of the tree's structure)."""
    cls = dataclasses.dataclass(frozen=True)(cls)
    meta = static_fields(cls)
    data = [f.name for f in dataclasses.fields(cls) if f.name not in meta]
    return jax.tree_util.register_dataclass(cls, data_fields=data, meta_fields=list(meta))


def static():
    """A required field of a result that is static in its pytree (a hashable description)."""
    return dataclasses.field(metadata={"static": True})


def static_fields(cls) -> tuple[str, ...]:
    """The names of the static fields of a result class or instance."""
    return tuple(f.name for f in dataclasses.fields(cls) if f.metadata.get("static"))


class Result:
    """Base class of sweep results.

    Subclasses list in ``TABLE`` the fields that share one shape, and give in
    ``coordinates`` the coordinate of every cell of that shape (one array per column). Static
    fields (``static()``, e.g. ``inputs``) are constant columns after the table fields.
    """

    TABLE: ClassVar[tuple[str, ...]] = ()

    def coordinates(self) -> dict[str, np.ndarray]:
        """Coordinate columns, each of the table shape (subclasses)."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, np.ndarray]:
        """Long-format table: one row per cell of the ``TABLE`` fields, coordinates first, then the
        table fields, then the static fields (e.g. ``inputs``) repeated on every row."""
        shape = np.shape(getattr(self, self.TABLE[0]))
        out = {name: np.broadcast_to(v, shape).reshape(-1) for name, v in self.coordinates().items()}
        for field in self.TABLE:
            values = np.asarray(getattr(self, field))
            if values.shape != shape:
                raise AssertionError(f"{field} has shape {values.shape}, not the table's {shape}")
            out[field] = values.reshape(-1)
        for field in static_fields(self):
            out[field] = np.full(int(np.prod(shape)), str(getattr(self, field)), dtype=object)
        return out

    def to_csv(self, path) -> None:
        """Write ``to_dict`` as a CSV file with a header row."""
        table = self.to_dict()
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(table)
            writer.writerows(zip(*[v.tolist() for v in table.values()]))

    def to_dataframe(self):
        """``to_dict`` as a pandas DataFrame (pandas is not a kdntk dependency)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_dataframe needs pandas (pip install pandas); to_dict() and "
                              "to_csv() need nothing.") from None
        return pd.DataFrame(self.to_dict())
