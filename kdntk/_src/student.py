"""What the linearized student is trained to: teacher outputs, effective logits, initial logits.

The converged wide student reaches the effective logits z_eff(r z_t(x), y_g(x); rho, T) at its
training points (Ji & Zhu, NeurIPS 2020, Eq. 3) starting from its initial logits z0 (Eq. 4), so
every analysis solves with the logit changes dz = z_eff - z0. These pieces are shared by the
sweeps (data inefficiency, transfer risk) and by [`student_logit_changes`][kdntk.student_logit_changes].

Shapes: a teacher stack of E teachers gives z_t of shape (E, n) (E = 1 for a plain target);
soft ratios and temperatures broadcast to R pairs; dz has shape (E, R, n).
"""

from __future__ import annotations

import warnings
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from kdntk._src import callables
from kdntk._src.checks import (
    PrecisionWarning,
    as_key,
    check_array,
    check_choice,
    check_class_targets,
    check_distillation_args,
    check_inputs,
    check_range,
    is_concrete,
)
from kdntk._src.effective import solve_effective, solve_effective_blocks
from kdntk._src.softmax_effective import solve_softmax_effective
from kdntk._src.kernels import blocked_kernel
from kdntk._src.memory import DEFAULT_BLOCK_ROWS
from kdntk._src.networks import Network, as_network
from kdntk._src.solve import cholesky_factor

__all__ = [
    "INITS",
    "PRIOR_JITTER",
    "prior_jitter",
    "hyperparameters",
    "teacher_outputs",
    "check_teacher_outputs",
    "check_hard_labels",
    "initial_logits",
    "logit_changes",
    "with_effective_logits",
    "student_logit_changes",
]

INITS = ("network", "prior", "zero")
"""The student's initial function: a finite-width draw of the network, an NNGP sample (its
infinite-width limit), or zero (the bias-free student of Ji & Zhu Sec. 3)."""

PRIOR_JITTER = 1e-10
"""Relative diagonal jitter for sampling the NNGP prior z0 ~ N(0, K) (init="prior") in float64."""


def prior_jitter(dtype) -> float:
    """delta of the prior's K + delta diag(K): PRIOR_JITTER, or 1e4 eps where that is larger
    (float32: 1.2e-3), so that rounding cannot make the factorization fail."""
    return max(PRIOR_JITTER, 1e4 * float(jnp.finfo(dtype).eps))


def hyperparameters(soft_ratio, temperature, reduction, init, dtype):
    """Validated (rho, T) as 1-D arrays of R pairs, the reduction factor and ``init``."""
    check_distillation_args(0.0, 0.5, soft_ratio, temperature)
    check_range(reduction, "reduction", low=0.0, low_open=True)
    check_choice(init, "init", INITS)
    if init == "prior" and np.dtype(dtype) == np.float32:
        warnings.warn(
            f"init='prior' in float32 samples the NNGP prior N(0, K + delta diag K) with delta = "
            f"{prior_jitter(np.float32):.1e} (float64: {prior_jitter(np.float64):.0e}), so that the "
            "factorization of the numerically singular K cannot fail. That white noise is part of z0: "
            "||dw_n|| amplifies it in Theta's small eigendirections, and the results differ from "
            "float64 beyond rounding (60 % in the norms of a well-conditioned N = 65 sweep; "
            "docs/errors.md). Use dtype=jnp.float64 for init='prior'.", PrecisionWarning, stacklevel=3)
    if np.ndim(soft_ratio) > 1 or np.ndim(temperature) > 1:
        raise ValueError(f"soft_ratio and temperature must be scalars or 1-D arrays, got shapes "
                         f"{np.shape(soft_ratio)} and {np.shape(temperature)}.")
    if np.ndim(reduction) != 0:
        raise ValueError(f"reduction must be a scalar, got shape {np.shape(reduction)}.")
    rho = check_array(soft_ratio, "soft_ratio", dtype=dtype)
    T = check_array(temperature, "temperature", dtype=dtype)
    try:
        rho, T = jnp.broadcast_arrays(jnp.atleast_1d(rho), jnp.atleast_1d(T))
    except ValueError:
        raise ValueError(f"soft_ratio and temperature must broadcast against each other, got shapes "
                         f"{np.shape(soft_ratio)} and {np.shape(temperature)}.") from None
    return rho, T, jnp.asarray(reduction, dtype)


def teacher_outputs(x, target, labels, reduction):
    """Teacher logits r z_t(x) and labels y_g(x): (E, n) each for one logit (labels default
    1{z_t > 0}); (E, n, C) each for a target with C logits, labels as probability rows (default
    the teacher's top class; integer classes (n,) become one-hot rows, invalid ones NaN rows)."""
    n = x.shape[0]
    z_t = reduction * callables.call(target, x, "target", classes=True)
    if z_t.ndim == len(callables.stack_shape(target)) + 1:          # one logit
        z_t = z_t.reshape(-1, n)
        y_g = (z_t > 0).astype(x.dtype) if labels is None else callables.call(labels, x, "labels")
        return z_t, jnp.broadcast_to(y_g, z_t.shape)
    z_t = z_t.reshape(-1, n, z_t.shape[-1])                         # C logits
    num_classes = z_t.shape[-1]
    if labels is None:
        y = jax.nn.one_hot(jnp.argmax(z_t, axis=-1), num_classes, dtype=x.dtype)
    else:
        y = callables.call(labels, x, "labels", classes=True)
        if y.ndim == 1:
            valid = (y == jnp.round(y)) & (y >= 0) & (y < num_classes)
            y = jnp.where(valid[:, None], jax.nn.one_hot(y.astype(jnp.int32), num_classes, dtype=x.dtype),
                          jnp.nan)
        elif y.shape[-1] != num_classes:
            raise ValueError(f"labels returned {y.shape[-1]} classes per input but the target has "
                             f"{num_classes} logits; return (n,) classes or (n, {num_classes}) probabilities.")
    return z_t, jnp.broadcast_to(y, z_t.shape)


def check_teacher_outputs(evaluated, labels, rho=None) -> None:
    """Host check of the evaluated (z_t, y_g): finite logits, labels in [0, 1], and (given the
    soft ratios ``rho``) no hard label where rho = 0."""
    z_t, y_g = evaluated
    callables.check_values(z_t, "target")
    if labels is not None:
        if z_t.ndim == 4:       # (K, E, n, C): labels as probability rows
            check_class_targets(np.asarray(y_g), z_t.shape[-1], "labels")
        else:
            callables.check_values(y_g, "labels", labels=True)
    if rho is not None:
        check_hard_labels(rho, y_g, labels)


def check_hard_labels(rho, y_g, labels) -> None:
    """soft_ratio = 0 with a hard label (0 or 1) has no finite effective logit (Eq. 3: the student
    chases logit(y_g) = +-inf); say so before the trials run instead of failing inside them."""
    if np.any(np.asarray(rho) == 0):
        y = np.asarray(y_g)
        if np.any((y == 0) | (y == 1)):
            source = "the default labels 1{z_t > 0}" if labels is None else "labels"
            raise ValueError(
                f"soft_ratio = 0 (pure hard-label training) with {source} equal to 0 or 1 has no finite "
                "effective logits: the student's logit diverges (Eq. 3). Use soft_ratio > 0, or labels "
                "strictly inside (0, 1).")


def initial_logits(net, x, key, init, nngp=None, classes=None):
    """z0(x), shape (n,) (or (n, C) for ``classes`` = C logits): "network" (finite draw of
    ``net`` from ``key``, which must have C outputs), "prior" (C independent NNGP samples: the
    C-output prior is K (x) I_C) or "zero"."""
    shape = x.shape[:1] if classes is None else (x.shape[0], classes)
    if init == "zero":
        return jnp.zeros(shape, x.dtype)
    if init == "network":
        _, params = net.init_fn(key, x.shape)
        z0 = callables.call(lambda v: net.apply_fn(params, v), x, "the student network's apply_fn",
                            classes=classes is not None)
        if z0.shape != shape:
            raise ValueError(f"init='network' needs a student with the target's logits per input: the "
                             f"network gives shape {z0.shape[1:]} per input, the target {shape[1:]}; "
                             f"end the network in Dense({classes or 1}) or use init='prior' or 'zero'.")
        return z0
    if nngp is None:
        nngp = blocked_kernel(net, x, x, "nngp", min(DEFAULT_BLOCK_ROWS, x.shape[0]))
    # K is positive semi-definite and often numerically singular: sample N(0, K + delta diag(K))
    # with delta = prior_jitter(dtype), the usual Gaussian-process remedy. Each diagonal entry is
    # scaled by itself and delta does not depend on N, so the first n of N draws equal the n-point
    # draw (prefix-consistent, like the inputs). The extra white noise adds about
    # delta tr(diag(K) Theta_n^-1) to ||dw_n||^2, negligible unless Theta itself is near-singular
    # (which the sweeps report). Cholesky is ~20x cheaper than eigh on CPU.
    idx = jnp.arange(x.shape[0])
    nngp = nngp.at[idx, idx].multiply(1 + prior_jitter(x.dtype))
    L = cholesky_factor(nngp, jnp.zeros((), x.dtype))
    return L @ jax.random.normal(key, shape, x.dtype)


def logit_changes(net, x, key, z_t, y_g, rho, T, init, nngp=None, z_eff=None):
    """dz = z_eff(z_t, y_g; rho, T) - z0 of shape (E, R, n) for z_t, y_g (E, n) and rho, T (R,);
    (E, R, n, C) for C classes (softmax effective logits with z0's class means). A binary
    ``z_eff`` (E, R, n) already solved (``with_effective_logits``) is used as given."""
    if z_t.ndim == 3:
        z0 = initial_logits(net, x, key, init, nngp, classes=z_t.shape[-1])
        z_eff = solve_softmax_effective(z_t[:, None], y_g[:, None], rho[None, :, None],
                                        T[None, :, None], z0[None, None])
        return z_eff - z0[None, None]
    if z_eff is None:
        z_eff = solve_effective(z_t[:, None, :], y_g[:, None, :], rho[None, :, None], T[None, :, None])
    return z_eff - initial_logits(net, x, key, init, nngp)[None, None, :]


def with_effective_logits(evaluated, rho, T):
    """The trial engine's host step (``prepare``) of a sweep with one logit: ``evaluated`` (z_t,
    y_g, ...) of a batch of trials (K first, z_t (K, E, N'), y_g (K, E, n)) followed by z_eff
    (K, E, R, n) of the first n points, solved by one program per dtype at every shape
    (``solve_effective_blocks``) instead of inside each sweep's trial program. With C classes
    (z_t (K, E, N', C)) ``evaluated`` is returned as it is: their effective logits depend on
    the trial's z0 and are solved in the trial."""
    z_t, y_g = evaluated[0], evaluated[1]
    if z_t.ndim == 4:
        return evaluated
    rho, T = (np.asarray(v) if is_concrete(v) else v for v in (rho, T))   # no per-shape eager ops
    n = y_g.shape[-1]
    z_eff = solve_effective_blocks(z_t[:, :, None, :n], y_g[:, :, None, :], rho[None, None, :, None],
                                   T[None, None, :, None])
    return (*evaluated, z_eff)


def student_logit_changes(
    target: Callable[[Array], Array],
    net: Network,
    x: Float[Array, "n *features"],
    key: Array,
    *,
    labels: Callable[[Array], Array] | None = None,
    soft_ratio=1.0,
    temperature=1.0,
    reduction=1.0,
    init: str = "network",
) -> Float[Array, "E R n"]:
    """dz = z_eff(r z_t(x), y_g(x); rho, T) - z0(x): the student's target logit changes (Eq. 3-4).

    Args:
      target: teacher logits, inputs (n, *features) -> (n,) or (n, 1) (or a teacher stack).
      net: the student network (a [`kdntk.Network`][kdntk.Network] or a stax triple).
      x: inputs, (n, *features).
      key: PRNG key of the initialization (typed or legacy).
      labels: ground-truth labels in [0, 1], default 1{z_t > 0}.
      soft_ratio: rho in [0, 1], scalar or 1-D.
      temperature: T > 0, scalar or 1-D (broadcast against ``soft_ratio``: R pairs).
      reduction: the reduction factor r of the teacher's logits.
      init: "network", "prior" or "zero" (see ``INITS``).

    Returns:
      dz of shape (E, R, n): E teachers (1 for a plain target), R (rho, T) pairs.

    Example:
      >>> import jax, jax.numpy as jnp, kdntk
      >>> x = jnp.array([[1.0, 0.0], [0.0, 2.0]])
      >>> dz = kdntk.student_logit_changes(lambda v: v[:, 0] - 0.5, kdntk.mlp(2), x,
      ...                                  jax.random.key(0), soft_ratio=[1.0, 0.5], init="zero")
      >>> dz.shape, float(dz[0, 0, 0])
      ((1, 2, 2), 0.5)
    """
    net = as_network(net)
    x = check_inputs(x, "x")
    key = as_key(key)
    rho, T, r = hyperparameters(soft_ratio, temperature, reduction, init, x.dtype)
    z_t, y_g = teacher_outputs(x, target, labels, r)
    check_teacher_outputs((z_t, y_g), labels)
    return _logit_changes(net, x, key, z_t, y_g, rho, T, init)


# One compiled program per network, init and shape: called eagerly, the effective-logit solver's
# while_loop is retraced and recompiled on every call (seconds each on CPU).
_logit_changes = jax.jit(logit_changes, static_argnums=(0, 7))

