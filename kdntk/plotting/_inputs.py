"""The figures' input checks: a wrong argument is a TypeError or ValueError that names it (the
error contract of docs/errors.md), not a matplotlib or attribute error from inside a figure.
numpy only: plotting computes nothing and imports nothing that does."""

from __future__ import annotations

from typing import Mapping

import numpy as np

__all__ = ["result", "series", "same_length", "mapping"]


def result(obj, name: str, kind: str, *fields: str):
    """``obj`` if it has ``fields`` (a kdntk result), else a TypeError naming ``name``."""
    missing = [f for f in fields if not hasattr(obj, f)]
    if missing:
        raise TypeError(f"{name} must be {kind} (with {', '.join(fields)}), got {type(obj).__name__}.")
    return obj


def series(value, name: str, *, ndim: int | None = 1) -> np.ndarray:
    """``value`` as a float numpy array (of rank ``ndim``), else an error naming ``name``."""
    if value is None or isinstance(value, (str, bytes, Mapping)):
        raise TypeError(f"{name} must be an array of numbers, got {type(value).__name__}.")
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers, got {type(value).__name__}.") from None
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {a.shape}.")
    return a


def same_length(**arrays) -> None:
    """The arrays' first axes agree, else a ValueError naming them with their shapes."""
    lengths = {k: np.shape(v)[0] for k, v in arrays.items() if v is not None and np.ndim(v)}
    if len(set(lengths.values())) > 1:
        shapes = ", ".join(f"{k} {np.shape(arrays[k])}" for k in lengths)
        raise ValueError(f"{' and '.join(lengths)} must have the same length, got {shapes}.")


def mapping(obj, name: str, what: str) -> Mapping:
    """``obj`` if it is a mapping (label -> data), else a TypeError naming ``name``."""
    if not isinstance(obj, Mapping):
        raise TypeError(f"{name} must be a mapping label -> {what}, got {type(obj).__name__}.")
    return obj
