"""The one contract for the callables a user passes: targets, labels, ground truths, teachers.

A callable maps inputs ``x`` of shape (n, *features) to one value per input:

- logits (``target``, ``ground_truth``, ``oracle``, teachers): shape (n,) or (n, 1). The (n, 1)
  that a stax or flax ``apply_fn`` returns (and [`kdntk.Network`][kdntk.Network]'s) is squeezed to (n,);
- labels (``labels``): shape (n,) or (n, 1), values in [0, 1] (hard 0/1 or soft);
- a stack of teachers ([`kdntk.teachers.TeacherSnapshots`][kdntk.teachers.TeacherSnapshots], a
  [`kdntk.teachers.FlowTeacher`][kdntk.teachers.FlowTeacher] with several stopping times, ...) declares its leading
  axes in ``stack_shape``, and its outputs have shape ``stack_shape + (n,)`` (or ``+ (n, 1)``).

Anything else raises a ValueError that names the argument, the shape it returned and the fix.
Shapes are checked when the callable is traced, before any number is computed; values (NaN or
inf, labels outside [0, 1]) are checked on the host once the engine has evaluated them
(``check_values``), so a wrong label function can never pass as a result.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from kdntk._src.checks import error_if, is_concrete

__all__ = ["stack_shape", "call", "check_values"]


def stack_shape(fn) -> tuple:
    """The leading axes of ``fn``'s outputs: () for a plain callable, (E,) for a teacher stack."""
    return tuple(getattr(fn, "stack_shape", ()))


def call(fn, x, name: str, *, classes: bool = False):
    """``fn(x)`` as an array of shape ``stack_shape(fn) + (n,)`` in x's dtype (module contract);
    with ``classes``, (n, C) outputs (C >= 2 logits or probabilities) are accepted too and kept."""
    if not callable(fn):
        raise TypeError(f"{name} must be a callable x -> values of shape (n,), got {type(fn).__name__}.")
    n, lead = x.shape[0], stack_shape(fn)
    out = jnp.asarray(fn(x))
    if out.shape == lead + (n, 1):
        out = out[..., 0]
    multiclass = classes and out.ndim == len(lead) + 2 and out.shape[:-1] == lead + (n,) and out.shape[-1] >= 2
    if out.shape != lead + (n,) and not multiclass:
        want = f"{lead + (n,)} or {lead + (n, 1)}"
        raise ValueError(
            f"{name} returned shape {out.shape} for inputs of shape {x.shape}; it must return one "
            f"value per input, shape {want}. A (n, C) output means C classes: use the softmax "
            f"analyses for multi-class distillation; a network with several outputs needs a "
            f"readout to one logit."
        )
    if not (jnp.issubdtype(out.dtype, jnp.floating) or jnp.issubdtype(out.dtype, jnp.integer)
            or out.dtype == jnp.bool_):
        raise TypeError(f"{name} must return real numbers, got dtype {out.dtype}.")
    return out.astype(x.dtype)


def check_values(values, name: str, *, labels: bool = False) -> None:
    """Check a callable's evaluated outputs: finite, and labels in [0, 1]. On the host for
    concrete values; traced values (inside a user's jit) raise at run time instead."""
    if not is_concrete(values):
        bad = ~jnp.all(jnp.isfinite(values))
        if labels:
            bad = bad | jnp.any((values < 0) | (values > 1))
        error_if(bad, f"{name} returned NaN or inf{' or labels outside [0, 1]' if labels else ''}.",
                 ValueError)
        return
    v = np.asarray(values)
    if not np.all(np.isfinite(v)):
        bad = np.flatnonzero(~np.isfinite(v.reshape(-1)))[:3].tolist()
        raise ValueError(f"{name} returned NaN or inf (flat indices {bad} of its outputs on the "
                         "sweep's inputs); it must return finite values.")
    if labels and (v.min(initial=0.0) < 0 or v.max(initial=0.0) > 1):
        raise ValueError(f"{name} must return labels in [0, 1] (hard 0/1 or soft), got values in "
                         f"[{v.min():.4g}, {v.max():.4g}].")
