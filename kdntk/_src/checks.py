"""The one validation layer: every public function checks its arguments here, at the Python
boundary and before tracing, and reports numerical trouble through the errors defined here.

Concrete (non-traced) arguments are checked eagerly and rejected with a ``ValueError`` or
``TypeError`` that names the argument and says how to fix the call. Inside a user's
``jax.jit`` the values are tracers and cannot be inspected: shapes are still checked (they
are static), and ``error_if`` attaches a host callback that raises when the compiled
computation runs, instead of letting a wrong number through silently (docs/errors.md).
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
    "InsufficientMemoryError",
    "is_concrete",
    "as_key",
    "check_array",
    "check_last_axis",
    "check_broadcast",
    "check_labels",
    "check_callable",
    "check_inputs",
    "check_range",
    "check_integer",
    "check_choice",
    "check_square",
    "check_rhs",
    "check_distillation_args",
    "check_class_targets",
    "broadcast_classes",
    "check_not_traced",
    "broadcast_named",
    "error_if",
    "errors_if",
    "error_if_nonfinite",
]


class NumericalError(FloatingPointError):
    """A computation produced NaN or inf, or lost its precision, where a number was expected."""


class KernelError(NumericalError, ValueError):
    """A kernel matrix is not numerically positive definite (Cholesky failed)."""


class PrecisionWarning(UserWarning):
    """A result lost much of its floating-point precision (ill-conditioned kernel)."""


class InsufficientMemoryError(MemoryError, ValueError):
    """A request cannot fit in the device's memory; the message gives the bytes needed."""


def is_concrete(x) -> bool:
    """True when ``x`` holds values (not a tracer inside jit/vmap/grad)."""
    return not isinstance(x, jax.core.Tracer)


def _shape(x) -> tuple:
    return tuple(np.shape(x)) if not hasattr(x, "shape") else tuple(x.shape)


def as_key(key, name: str = "key"):
    """A typed PRNG key from a typed key (``jax.random.key``) or a legacy uint32 key
    (``jax.random.PRNGKey``): both give the same stream for the same seed.

    Raises:
      TypeError: anything else (an int seed, a batch of keys), with the fix.
    """
    if isinstance(key, (jax.Array, np.ndarray)):
        if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
            if key.shape == ():
                return key
        elif key.dtype == np.uint32 and key.shape == (2,):
            return jax.random.wrap_key_data(key)
    raise TypeError(
        f"{name} must be one PRNG key, jax.random.key(seed) or jax.random.PRNGKey(seed); got "
        f"{type(key).__name__} with shape {_shape(key)}. Pass e.g. {name}=jax.random.key(0)."
    )


def _floating(x):
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    return x


@jax.jit
def _all_finite(x):
    return jnp.all(jnp.isfinite(x))


def _on_accelerator(x) -> bool:
    return isinstance(x, jax.Array) and any(d.platform != "cpu" for d in x.devices())


def _nonfinite(x) -> bool:
    """True if a concrete ``x`` holds NaN or inf (False for tracers).

    Host data (numpy, lists, arrays on the CPU) is checked with numpy: eagerly, a jnp reduction
    would compile one program per new shape, and inside a jit trace jnp would stage even a
    captured concrete array. An array on an accelerator is reduced where it lives, so that only
    one boolean crosses to the host, never the array.
    """
    if not is_concrete(x):
        return False
    if _on_accelerator(x):
        return not bool(_all_finite(x))
    a = np.asarray(x)
    return a.dtype.kind in "fc" and not np.all(np.isfinite(a))


def check_array(x, name: str, *, ndim: int | None = None, min_ndim: int = 0, finite: bool = True,
                nonempty: bool = True, dtype=None, runtime: bool = False):
    """``x`` as a floating JAX array, checked for rank, emptiness and (when concrete) NaN/inf.

    ``runtime=True``: a traced ``x`` (inside a user's jit/vmap) is checked for NaN/inf when the
    compiled program runs (``error_if``). Use it where a NaN would otherwise turn into a plausible
    number (a count, a comparison, an argmax) instead of propagating as NaN.
    """
    if isinstance(x, (str, bytes)) or callable(x) and not hasattr(x, "shape"):
        raise TypeError(f"{name} must be an array, got {type(x).__name__}.")
    original = x
    try:
        x = _floating(x) if dtype is None else jnp.asarray(x, dtype)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a numeric array, got {type(x).__name__}: {err}") from None
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {x.shape}.")
    if x.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), got shape {x.shape}.")
    if nonempty and x.size == 0:
        raise ValueError(f"{name} is empty (shape {x.shape}); pass at least one element.")
    if finite:
        # the original when it is host data: no round trip through the device
        if _nonfinite(x if isinstance(original, jax.Array) else original):
            raise ValueError(f"{name} contains NaN or inf; remove or replace those entries.")
        if runtime and not is_concrete(x):
            error_if(~jnp.all(jnp.isfinite(x)), f"{name} contains NaN or inf.", ValueError)
    return x


def check_last_axis(x, name: str, size: int, against: str):
    """``x`` (an array) whose last axis has length ``size``, the length that ``against`` (an
    argument named in the message, with its shape) requires."""
    if x.ndim < 1 or x.shape[-1] != size:
        raise ValueError(f"{name} must have last dimension {size} to match {against}, got shape {x.shape}.")
    return x


def check_broadcast(x, name: str, shape: tuple, against: str):
    """``x`` broadcast to ``shape``, the shape that ``against`` requires; a ValueError names both."""
    try:
        if jnp.broadcast_shapes(jnp.shape(x), tuple(shape)) != tuple(shape):
            raise ValueError
    except ValueError:
        raise ValueError(f"{name} must broadcast to shape {tuple(shape)} to match {against}, got shape "
                         f"{jnp.shape(x)}.") from None
    return jnp.broadcast_to(x, shape)


def check_labels(y, name: str, **kwargs):
    """Labels (an array, see ``check_array``) with values in [0, 1]: hard 0/1 or soft."""
    y = check_array(y, name, **kwargs)
    check_range(y, name, low=0.0, high=1.0)
    return y


def check_callable(fn, name: str, expected: str = "a function x -> values"):
    """``fn`` if it is callable, else a TypeError saying what ``name`` must be."""
    if not callable(fn):
        raise TypeError(f"{name} must be {expected}, got {type(fn).__name__}.")
    return fn


def check_inputs(x, name: str, *, ndim: int | None = None):
    """Inputs of shape (n, *features), non-empty and finite (when concrete).

    ``ndim`` pins the rank (2 for flat (n, d) inputs); by default any rank >= 2 is accepted,
    e.g. images (n, height, width, channels).
    """
    return check_array(x, name, ndim=ndim, min_ndim=2 if ndim is None else 0)


def check_range(x, name: str, *, low=None, high=None, low_open=False, high_open=False,
                finite: bool = False):
    """Raise ValueError naming ``name`` if a concrete ``x`` is NaN or leaves [low, high] (or open
    ends); ``finite=True`` rejects infinities too. Tracers pass (see ``error_if``)."""
    if not is_concrete(x):
        return
    a = np.asarray(x)
    if not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_):
        raise TypeError(f"{name} must be a number or an array of numbers, got {type(x).__name__}.")
    if a.size and np.isnan(a).any():
        raise ValueError(f"{name} contains NaN.")
    if finite and a.size and np.isinf(a).any():
        raise ValueError(f"{name} must be finite, got {a[np.isinf(a)].ravel()[:3].tolist()}.")
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


def check_integer(value, name: str, *, low: int = 1) -> int:
    """``value`` as a Python int >= ``low`` (bools and non-integral floats are rejected)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, float, np.floating)):
        raise TypeError(f"{name} must be an integer >= {low}, got {value!r}.")
    if not np.isfinite(value) or int(value) != value or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
    return int(value)


def check_flag(value, name: str) -> bool:
    """``value`` if it is True or False (numpy bools included), else a TypeError naming ``name``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}.")
    return bool(value)


def check_choice(value, name: str, choices) -> str:
    """``value`` if it is one of ``choices`` (strings), else a ValueError listing them."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}.")
    return value


def check_square(theta, name: str = "theta", *, ndim: int | None = None):
    """A (..., N, N) floating matrix (``ndim=2``: exactly one (N, N) matrix), N >= 1."""
    theta = check_array(theta, name, finite=False)
    if theta.ndim < 2 or theta.shape[-1] != theta.shape[-2]:
        raise ValueError(f"{name} must be a (..., N, N) square matrix, got shape {theta.shape}.")
    if ndim is not None and theta.ndim != ndim:
        raise ValueError(f"{name} must be a single (N, N) matrix, got shape {theta.shape}; "
                         "call once per matrix or use jax.vmap.")
    return theta


def check_rhs(v, theta, name: str):
    """A right-hand side (..., N) for the (..., N, N) ``theta``, finite, in theta's dtype."""
    v = check_array(v, name, min_ndim=1, dtype=theta.dtype)
    if v.shape[-1] != theta.shape[-1]:
        raise ValueError(
            f"{name} must have last dimension N = {theta.shape[-1]} to match theta {theta.shape}, "
            f"got shape {v.shape}."
        )
    return v


def check_distillation_args(z_t, y_g, soft_ratio, temperature, *, runtime: bool = False) -> None:
    """The arguments of Eq. 2-3 (Ji & Zhu): finite teacher logits, labels in [0, 1], rho in
    [0, 1], finite T > 0, checked now where concrete. ``runtime=True``: traced arguments (inside
    a user's jit/vmap) are checked when the program runs, by one host callback for all of them
    (``errors_if``), so that an out-of-range soft ratio never returns a number."""
    check_range(z_t, "z_t", finite=True)
    check_range(y_g, "y_g", low=0.0, high=1.0)
    check_range(soft_ratio, "soft_ratio", low=0.0, high=1.0)
    check_range(temperature, "temperature", low=0.0, low_open=True, finite=True)
    if runtime:
        traced = [(v, test, message) for v, test, message in (
            (z_t, lambda v: ~jnp.isfinite(v), "z_t contains NaN or inf; teacher logits must be finite."),
            (y_g, lambda v: ~((v >= 0) & (v <= 1)), "y_g must lie in [0, 1] (labels)."),
            (soft_ratio, lambda v: ~((v >= 0) & (v <= 1)), "soft_ratio must lie in [0, 1]."),
            (temperature, lambda v: ~((v > 0) & jnp.isfinite(v)), "temperature must be finite and > 0."),
        ) if not is_concrete(v)]
        if traced:
            errors_if([(test(v), message) for v, test, message in traced], ValueError)


def check_class_targets(y, num_classes: int, name: str = "y", *, sample_ndim: int | None = None):
    """Targets over ``num_classes`` = C classes: integer class labels (values in {0, ..., C - 1},
    at most ``sample_ndim`` axes: the logits' sample axes) or probability vectors (..., C) whose
    entries lie in [0, 1] and sum to 1 within sqrt(eps) of their floating dtype. Shapes are
    always checked, values when concrete. Returns ``y`` as an array (integer labels unchanged,
    anything else floating)."""
    if isinstance(y, (str, bytes)) or callable(y) and not hasattr(y, "shape"):
        raise TypeError(f"{name} must be an array of class labels or probabilities, got {type(y).__name__}.")
    y = jnp.asarray(y)
    if jnp.issubdtype(y.dtype, jnp.integer):
        if sample_ndim is not None and y.ndim > sample_ndim:
            raise ValueError(f"{name} holds integer class labels of shape {y.shape}, more axes than the "
                             f"logits' {sample_ndim} sample axes; pass one label per sample, or one-hot "
                             "vectors as a floating array.")
        if is_concrete(y) and y.size:
            a = np.asarray(y)
            bad = (a < 0) | (a >= num_classes)
            if bad.any():
                raise ValueError(f"{name} holds integer class labels outside [0, {num_classes - 1}] "
                                 f"(C = {num_classes} classes): {a[bad].ravel()[:3].tolist()}.")
        return y
    y = check_array(y, name, min_ndim=1)
    if y.shape[-1] != num_classes:
        raise ValueError(f"{name} must be probability vectors over the C = {num_classes} classes on "
                         f"its last axis (or integer class labels), got shape {y.shape}.")
    if is_concrete(y):
        a = np.asarray(y)
        check_range(a, name, low=0.0, high=1.0)
        tol = float(np.sqrt(np.finfo(a.dtype).eps))
        err = np.abs(a.sum(-1) - 1.0)
        if err.max() > tol:
            raise ValueError(f"{name} must be probability vectors: each must sum to 1 over the last "
                             f"axis (within {tol:.1e}); a sum is off by {float(err.max()):.3g}. "
                             "Normalize it, or pass integer class labels.")
    return y


def broadcast_classes(classes: dict, samples: dict):
    """Arrays with a class axis (``classes``, shapes (..., C)) and per-sample arrays (``samples``,
    shapes (...)) broadcast to (B..., C) and (B...) in one floating dtype.

    Returns two lists, in the order of the dicts. A ValueError names the arguments whose numbers
    of classes or whose sample shapes clash.
    """
    cs = {k: jnp.asarray(v) for k, v in classes.items()}
    ss = {k: jnp.asarray(v) for k, v in samples.items()}
    first = next(iter(cs))
    for k, v in cs.items():
        if v.ndim == 0:
            raise ValueError(f"{k} must have the classes on its last axis (shape (..., C)), got a scalar.")
        if v.shape[-1] != cs[first].shape[-1]:
            raise ValueError(f"{k} has {v.shape[-1]} classes on its last axis (shape {v.shape}) but "
                             f"{first} has {cs[first].shape[-1]} (shape {cs[first].shape}).")
    num_classes = cs[first].shape[-1]
    dtype = jnp.result_type(*[x.dtype for x in (*cs.values(), *ss.values())], float)
    if not jnp.issubdtype(dtype, jnp.floating):
        dtype = jnp.result_type(float)
    try:
        batch = jnp.broadcast_shapes(*[x.shape[:-1] for x in cs.values()], *[x.shape for x in ss.values()])
    except ValueError:
        shapes = ", ".join([f"{k} {v.shape} (samples {v.shape[:-1]})" for k, v in cs.items()]
                           + [f"{k} {v.shape}" for k, v in ss.items()])
        raise ValueError(f"the sample axes must broadcast against each other; got {shapes}.") from None
    return ([jnp.broadcast_to(x.astype(dtype), batch + (num_classes,)) for x in cs.values()],
            [jnp.broadcast_to(x.astype(dtype), batch) for x in ss.values()])


def check_not_traced(function: str, **arrays) -> None:
    """Sweeps run their own compiled programs, batch by batch, and read results on the host:
    they cannot run inside a user's jax.jit / vmap / grad. Say so instead of a tracer error."""
    for name, value in arrays.items():
        if any(not is_concrete(leaf) for leaf in jax.tree_util.tree_leaves(value)):
            raise TypeError(
                f"kdntk.{function} was called with a traced {name} (inside jax.jit, vmap or grad). "
                f"It compiles its own programs per batch of trials: call it outside jit. To trace "
                "the per-trial maths, jit kdntk.ntk / kdntk.weight_norm_path / "
                "kdntk.effective_logits instead."
            )


def broadcast_spec(**arrays) -> tuple:
    """(shape, dtype): the shape the arguments broadcast to and their common floating dtype; a
    ValueError names the arguments whose shapes clash."""
    dtypes = [jax.dtypes.canonicalize_dtype(x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype)
              for x in arrays.values()]   # canonical: float32 when x64 is off, as jnp.asarray gives
    dtype = jnp.result_type(*dtypes, float)
    if not jnp.issubdtype(dtype, jnp.floating):
        dtype = jnp.result_type(float)
    try:
        shape = jnp.broadcast_shapes(*[_shape(x) for x in arrays.values()])
    except ValueError:
        shapes = ", ".join(f"{k} {_shape(v)}" for k, v in arrays.items())
        raise ValueError(f"arguments must broadcast against each other; got shapes {shapes}.") from None
    return shape, dtype


def broadcast_named(**arrays):
    """The arguments broadcast to one shape in one floating dtype (``broadcast_spec``)."""
    shape, dtype = broadcast_spec(**arrays)
    return [jnp.broadcast_to(jnp.asarray(x).astype(dtype), shape) for x in arrays.values()]


def _raise_if(bad, *, message, error):
    if bool(bad):
        raise error(str(message))


def error_if(bad, message: str, error=NumericalError) -> None:
    """Raise ``error(message)`` where ``bad`` (a boolean scalar) is true.

    Concrete: raises now. Traced (inside a user's jit/vmap): a ``jax.debug.callback`` raises when
    the compiled computation runs; JAX surfaces it as a runtime error carrying ``message``.
    """
    if is_concrete(bad):
        _raise_if(np.any(np.asarray(bad)), message=message, error=error)
    else:
        jax.debug.callback(functools.partial(_raise_if, message=message, error=error), jnp.any(bad))


def _raise_first(bad, *, messages, error):
    for flag, message in zip(np.asarray(bad).reshape(-1), messages):
        if flag:
            raise error(message)


def errors_if(conditions, error=ValueError) -> None:
    """``error_if`` for several (bad, message) pairs with ONE host callback under jit: the first
    message whose condition holds is raised (when the program runs, or now if all are concrete)."""
    bad = jnp.stack([jnp.any(b) for b, _ in conditions])
    messages = tuple(m for _, m in conditions)
    if is_concrete(bad):
        _raise_first(bad, messages=messages, error=error)
    else:
        jax.debug.callback(functools.partial(_raise_first, messages=messages, error=error), bad)


def error_if_nonfinite(x, message: str, error=NumericalError):
    """Return ``x``; raise ``error(message)`` if it holds NaN or inf (now, or at run time under jit)."""
    if is_concrete(x):
        if _nonfinite(x):
            raise error(message)
    else:
        error_if(~jnp.all(jnp.isfinite(x)), message, error)
    return x
