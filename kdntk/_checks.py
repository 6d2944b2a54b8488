"""Input validation at the Python boundary, and reporting of numerical trouble.

Concrete (non-traced) arguments are checked eagerly and rejected with a ValueError that names
the argument. Under a user's ``jax.jit`` the values are tracers and cannot be inspected; there,
:func:`error_if_nonfinite` attaches a host callback that raises at run time instead of letting
NaN or inf through silently.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "KernelError",
    "NumericalError",
    "PrecisionWarning",
    "check_inputs",
    "check_range",
    "error_if_nonfinite",
    "is_concrete",
]


class NumericalError(FloatingPointError):
    """A computation produced NaN or inf where a finite number was expected."""


class KernelError(NumericalError, ValueError):
    """A kernel matrix is not numerically positive definite (Cholesky failed)."""


class PrecisionWarning(UserWarning):
    """A result lost much of its floating-point precision (ill-conditioned kernel)."""


def is_concrete(x) -> bool:
    """True when ``x`` holds values (not a tracer inside jit/vmap/grad)."""
    return not isinstance(x, jax.core.Tracer)


def check_inputs(x, name: str, *, ndim: int = 2):
    """``x`` as a floating JAX array of rank ``ndim`` with finite entries (when concrete)."""
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    if x.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {x.shape}.")
    # numpy, not jnp: inside a jit trace jnp would stage even a concrete (captured) array.
    if is_concrete(x) and not np.all(np.isfinite(np.asarray(x))):
        raise ValueError(f"{name} contains NaN or inf.")
    return x


def check_range(x, name: str, *, low=None, high=None, low_open=False, high_open=False):
    """Raise ValueError naming ``name`` if a concrete ``x`` leaves [low, high] (or open ends)."""
    if not is_concrete(x):
        return
    a = np.asarray(x)
    if a.size and np.isnan(a).any():
        raise ValueError(f"{name} contains NaN.")
    bad = np.zeros(a.shape, bool)
    if low is not None:
        bad |= (a <= low) if low_open else (a < low)
    if high is not None:
        bad |= (a >= high) if high_open else (a > high)
    if bad.any():
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        interval = f"{lo}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi}"
        raise ValueError(f"{name} must lie in {interval}; got {a[bad].ravel()[:3].tolist()}.")


def _raise_nonfinite(ok, *, message):
    if not bool(ok):
        raise NumericalError(str(message))


def error_if_nonfinite(x, message: str, error=NumericalError):
    """Return ``x``; raise ``error(message)`` if it holds NaN or inf.

    Concrete values raise immediately. Traced values get a ``jax.debug.callback`` that raises
    when the compiled computation runs (surfacing as a JAX runtime error carrying ``message``).
    """
    if is_concrete(x):
        # numpy on the host: an eager jnp reduction would compile a program per new shape.
        if not np.all(np.isfinite(np.asarray(x))):
            raise error(message)
    else:
        ok = jnp.all(jnp.isfinite(x))
        jax.debug.callback(functools.partial(_raise_nonfinite, message=message), ok)
    return x
