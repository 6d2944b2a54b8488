"""The imperfect teacher: hard labels correct the student's direction (Ji & Zhu 2020, Sec. 5, Thm 2; supplement S7).

With ground-truth, teacher and student logit changes dz_g, dz_t, dz_s = z_eff - z0 on the n
training points, the cosine between the student's and the oracle's (projected) weight changes is

    cos alpha(dw, dw_g) = <dz_g, dz_s>_Theta / sqrt(<dz_g, dz_g>_Theta <dz_s, dz_s>_Theta)   (Eq. 11)

Near pure soft distillation z_eff ~= z_t + (1 - rho) delta z_h (delta z_h:
[`kdntk.correction_logits`][kdntk.correction_logits]), and Theorem 2 (Eq. 12, S8) gives

    d cos / d(1 - rho) |_{rho=1} = P / (||dw_g|| sqrt(<dz_t, dz_t>)),
    P = <dz_g, dz_h> - <dz_g, dz_t> <dz_t, dz_h> / <dz_t, dz_t> = <delta w_h, dw_c>,

all inner products <a, b> = a^T Theta_n^-1 b. kdntk takes ||dw_g|| = sqrt(<dz_g, dz_g>_Theta_n),
the norm of the oracle's projection onto span phi(X_n): then Eq. 12 is exactly the derivative of
Eq. 11 (the paper's ||dw_g|| is the unprojected oracle norm, which only rescales by a positive
constant and does not change the sign). By the all-prefix identity of ``kdntk._src.solve``,
<a, b>_Theta_n = sum_{i<n} (L^-1 a)_i (L^-1 b)_i, so every nested n comes from one factorization.

Fig. 5 right ([`hard_label_effect_curve`][kdntk.ji_zhu.hard_label_effect_curve]) draws inputs per Monte-Carlo trial, factors the
student's NTK once and reads P for every teacher (stopping epoch / time) and every nested n from
that one factorization; all teachers of a trial share its inputs (common random numbers).
"""

from __future__ import annotations

import functools

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, Int

from kdntk._src import callables, engine
from kdntk._src.checks import (
    KernelError,
    broadcast_named,
    check_array,
    check_broadcast,
    check_choice,
    check_distillation_args,
    check_range,
    check_rhs,
    check_square,
)
from kdntk._src.effective import correction, effective_logits
from kdntk._src.inefficiency import callables_size, check_sample_sizes
from kdntk._src.kernels import blocked_kernel
from kdntk._src.memory import DEFAULT_BLOCK_ROWS, fit_block_rows, kernel_bytes, pair_workspace
from kdntk._src.networks import Network, as_network
from kdntk._src.results import Result, result, static
from kdntk._src.conditioning import diagnose, report
from kdntk._src.solve import cholesky_factor, theta_cosine
from kdntk._src.multiclass import softmax_correction
from kdntk._src.student import INITS, initial_logits
from kdntk._src.triangular import solve_lower

__all__ = ["HardLabelEffect", "hard_label_effect", "hard_label_effect_path", "student_oracle_cosine",
           "HardLabelCurve", "hard_label_effect_curve"]


class HardLabelEffect(NamedTuple):
    """Terms of Theorem 2 (Eq. 12); each of shape (...) or (..., N) for the all-prefix path.

    Attributes:
      derivative: d cos alpha(dw, dw_g) / d(1 - rho) at rho = 1.
      projection: <delta w_h, dw_c> (the bracket of Eq. 12); its sign is that of ``derivative``.
      g_h, g_t, t_t, t_h, g_g: <dz_g, dz_h>, <dz_g, dz_t>, <dz_t, dz_t>, <dz_t, dz_h>, <dz_g, dz_g>.
      cosine: cos alpha(dw_t, dw_g), Eq. 11 at rho = 1.
    """

    derivative: Float[Array, "..."]
    projection: Float[Array, "..."]
    g_h: Float[Array, "..."]
    g_t: Float[Array, "..."]
    t_t: Float[Array, "..."]
    t_h: Float[Array, "..."]
    g_g: Float[Array, "..."]
    cosine: Float[Array, "..."]


@functools.partial(jax.jit, static_argnames="classes")
def _effect_path(L, dz_g, dz_t, dz_h, classes=False):
    """Theorem 2's terms for every prefix; with ``classes``, dz arrays (..., N, C) whose
    Theta-inner products sum over the C classes (the student's NTK is Theta (x) I_C)."""
    if classes:
        dz_g, dz_t, dz_h = (jnp.swapaxes(v, -1, -2) for v in (dz_g, dz_t, dz_h))   # (..., C, N)

    def c(v):  # L^-1 v for v (..., N): prefix-consistent
        flat = v.reshape(-1, v.shape[-1])
        return jnp.moveaxis(solve_lower(L, flat.T), -1, 0).reshape(v.shape)

    cg, ct, ch = jnp.broadcast_arrays(c(dz_g), c(dz_t), c(dz_h))

    def inner(a, b):
        out = jnp.cumsum(a * b, axis=-1)
        return out.sum(axis=-2) if classes else out

    g_h, g_t, t_t, t_h, g_g = inner(cg, ch), inner(cg, ct), inner(ct, ct), inner(ct, ch), inner(cg, cg)
    projection = g_h - g_t * t_h / t_t
    derivative = projection / jnp.sqrt(g_g * t_t)
    return HardLabelEffect(derivative, projection, g_h, g_t, t_t, t_h, g_g, g_t / jnp.sqrt(g_g * t_t))


def _check_args(theta, z_t, y_g, z_g, z0):
    """theta as one (N, N) matrix; z_t, y_g, z_g as (..., N) vectors; z0 broadcast to z_t."""
    theta = check_square(theta, ndim=2)
    z_t, y_g, z_g = (check_rhs(v, theta, name) for v, name in ((z_t, "z_t"), (y_g, "y_g"), (z_g, "z_g")))
    z0 = check_broadcast(check_array(z0, "z0", dtype=theta.dtype), "z0", z_t.shape, f"z_t {z_t.shape}")
    return theta, z_t, y_g, z_g, z0


def hard_label_effect_path(
    theta: Float[ArrayLike, "n n"],
    z_t: Float[ArrayLike, "... n"],
    y_g: Float[ArrayLike, "... n"],
    z_g: Float[ArrayLike, "... n"],
    z0: Float[ArrayLike, "... n"] | float = 0.0,
    *,
    temperature=1.0,
) -> HardLabelEffect:
    """Theorem 2's terms for every nested training set X_n, n = 1..N (fields of shape (..., N)).

    Args:
      theta: Theta(X, X), (N, N); its row order defines the nested sets.
      z_t: teacher logits on X (after any reduction factor), shape (..., N).
      y_g: ground-truth labels on X in [0, 1], shape (..., N).
      z_g: ground-truth (oracle) logits on X, shape (..., N).
      z0: the student's initial logits on X (0: the bias-free student of Sec. 3).
      temperature: T > 0 of the distillation loss.

    Returns:
      [`HardLabelEffect`][kdntk.ji_zhu.HardLabelEffect] whose entry [..., n - 1] belongs to the first n points.
    """
    theta, z_t, y_g, z_g, z0 = _check_args(theta, z_t, y_g, z_g, z0)
    check_distillation_args(z_t, y_g, 1.0, temperature)
    diagnosis, eff = _factor_and_path(theta, z_t, y_g, z_g, z0, jnp.asarray(temperature, theta.dtype))
    report(diagnosis, theta.dtype)   # KernelError / PrecisionWarning, as kdntk.cholesky
    return eff


@jax.jit
def _factor_and_path(theta, z_t, y_g, z_g, z0, temperature):
    """One compiled program for the factorization and every term (eager, each op would compile)."""
    L = cholesky_factor(theta, jnp.zeros((), theta.dtype))
    return diagnose(theta, L), _effect_path(L, z_g - z0, z_t - z0, correction(*broadcast_named(z_t=z_t, y_g=y_g, T=temperature)))


def hard_label_effect(theta, z_t, y_g, z_g, z0=0.0, *, temperature=1.0) -> HardLabelEffect:
    """Theorem 2 (Ji & Zhu 2020, Eq. 12, S8) on all N points: d cos alpha / d(1 - rho) at rho = 1 and the
    projection <delta w_h, dw_c>; arguments as in [`hard_label_effect_path`][kdntk.ji_zhu.hard_label_effect_path].

    Example:
      >>> import kdntk, jax.numpy as jnp
      >>> eff = kdntk.ji_zhu.hard_label_effect(jnp.eye(2), jnp.array([1.0, -1.0]), jnp.array([1.0, 1.0]),
      ...                               jnp.array([1.0, 1.0]))
      >>> bool(eff.projection > 0)  # the teacher is wrong at point 2: hard labels help
      True
    """
    path = hard_label_effect_path(theta, z_t, y_g, z_g, z0, temperature=temperature)
    return jax.tree_util.tree_map(lambda v: v[..., -1], path)


def student_oracle_cosine(
    theta: Float[ArrayLike, "n n"],
    z_t: Float[ArrayLike, " n"],
    y_g: Float[ArrayLike, " n"],
    z_g: Float[ArrayLike, " n"],
    z0: Float[ArrayLike, " n"] | float = 0.0,
    *,
    soft_ratio=1.0,
    temperature=1.0,
) -> Float[Array, "*R"]:
    """cos alpha(dw, dw_g) of Eq. 11 with dz_s = z_eff(z_t, y_g; rho, T) - z0, for scalar or 1-D rho.

    Returns shape () or (R,) for 1-D ``soft_ratio``. rho = 0 needs soft labels y_g in (0, 1).
    """
    theta, z_t, y_g, z_g, z0 = _check_args(theta, z_t, y_g, z_g, z0)
    rho = jnp.asarray(soft_ratio, theta.dtype)
    z_eff = effective_logits(z_t[None, :], y_g[None, :], soft_ratio=rho.reshape(-1, 1), temperature=temperature)
    cos = theta_cosine(theta, (z_g - z0)[None, :], z_eff - z0[None, :])
    return cos.reshape(rho.shape)


@result
class HardLabelCurve(Result):
    """Fig. 5 right: Theorem 2 against teacher (E) and sample size (S), over K trials.

    Attributes:
      sample_sizes: n, shape (S,).
      projection: E <delta w_h, dw_c> over trials, shape (E, S).
      projection_stderr: its Monte-Carlo standard error, shape (E, S).
      derivative: E d cos alpha / d(1 - rho) at rho = 1 (Eq. 12), shape (E, S).
      derivative_stderr: its standard error, shape (E, S).
      trial_projection: per-trial projections, shape (E, K, S) (paired across E and S: one input
        draw per trial serves every teacher and every n).
      trial_derivative: per-trial derivatives, shape (E, K, S).
      inputs: how each trial's inputs were drawn, e.g. "Gaussian N(0, 5^2 I_2), fresh draws per
        trial (8 points each)" (docs/engine.md, "Inputs"); static in the pytree, and a column
        of ``to_dict`` / ``to_csv`` / ``to_dataframe``.
    """

    sample_sizes: Int[Array, " S"]
    projection: Float[Array, "E S"]
    projection_stderr: Float[Array, "E S"]
    derivative: Float[Array, "E S"]
    derivative_stderr: Float[Array, "E S"]
    trial_projection: Float[Array, "E K S"]
    trial_derivative: Float[Array, "E K S"]
    inputs: str = static()

    TABLE = ("projection", "projection_stderr", "derivative", "derivative_stderr")

    def coordinates(self):
        e = np.shape(self.projection)[0]
        return {"teacher": np.arange(e)[:, None], "n": np.asarray(self.sample_sizes)[None, :]}


def _evaluate(x, teachers, oracle):
    """Teacher logits (E, N) and oracle logits (N,) on one trial's inputs (callable contract), or
    (E, N, C) and (N, C) for C classes."""
    z_t = callables.call(teachers, x, "teachers", classes=True)
    z_g = callables.call(oracle, x, "oracle", classes=True)
    classes = z_t.shape[-1:] if z_t.ndim == len(callables.stack_shape(teachers)) + 2 else ()
    return z_t.reshape((-1, x.shape[0]) + classes), z_g


def _check_evaluated(evaluated):
    z_t, z_g = evaluated
    callables.check_values(z_t, "teachers")
    callables.check_values(z_g, "oracle")
    if z_t.shape[2:] != z_g.shape[1:]:
        raise ValueError(f"teachers and oracle must give the same number of logits per input, got "
                         f"{z_t.shape[2:] or (1,)} and {z_g.shape[1:] or (1,)}: both one logit (binary) or "
                         "both C logits (softmax distillation).")


def _trial(x, key, evaluated, net, sizes, temperature, init, block):
    """(2, E, S): projection and derivative of one trial (initial logits z0 from ``init``; "zero":
    the bias-free student), and the diagnosis of its kernel. C classes: the targets are centred
    on z0's class means (the student never moves along the all-ones direction), y_g is the
    oracle's top class and the correction is the softmax one."""
    z_t, z_g = evaluated
    classes = z_g.ndim == 2
    if init == "prior":   # one kernel pass gives the NNGP of the prior z0 and the NTK
        nngp, theta = blocked_kernel(net, x, x, ("nngp", "ntk"), block)
    else:
        nngp, theta = None, blocked_kernel(net, x, x, "ntk", block)
    z0 = initial_logits(net, x, key, init, nngp, classes=z_g.shape[-1] if classes else None)
    L = cholesky_factor(theta, jnp.zeros((), x.dtype))
    if classes:
        center = lambda z: z - jnp.mean(z, axis=-1, keepdims=True)   # noqa: E731
        y_g = jax.nn.one_hot(jnp.argmax(z_g, axis=-1), z_g.shape[-1], dtype=x.dtype)
        dz_h = softmax_correction(z_t, jnp.broadcast_to(y_g, z_t.shape), jnp.broadcast_to(temperature, z_t.shape[:-1]))
        eff = _effect_path(L, center(z_g) - center(z0), center(z_t) - center(z0)[None], dz_h, classes=True)
    else:
        y_g = (z_g > 0).astype(x.dtype)
        eff = _effect_path(L, z_g - z0, z_t - z0[None, :],
                           correction(*broadcast_named(z_t=z_t, y_g=y_g, T=temperature)))
    return (jnp.stack([eff.projection[:, sizes - 1], eff.derivative[:, sizes - 1]]),
            diagnose(theta, L, check_symmetry=False))


def _failure(bad):
    return KernelError(f"hard_label_effect_curve: trials {bad} gave non-finite Theorem 2 terms; "
                       "their kernel is not numerically positive definite (duplicate inputs?).")


def hard_label_effect_curve(
    teachers: Callable[[Array], Array],
    oracle: Callable[[Array], Array],
    net: Network,
    sample_sizes,
    *,
    key: Array,
    num_trials: int = 20,
    temperature: float = 1.0,
    init: str = "zero",
    inputs: Any = None,
    input_dim: int = 2,
    input_std: float = engine.INPUT_STD,
    dtype: Any = jnp.float64,
    trial_batch: int = 8,
    devices=None,
    progress: bool = False,
    check_memory: bool = True,
    block_rows: int = DEFAULT_BLOCK_ROWS,
) -> HardLabelCurve:
    """Ji & Zhu 2020, Fig. 5 right: <delta w_h, dw_c> and Eq. 12 against teacher and sample size.

    Each trial draws N = max(sample_sizes) inputs (the engine's key schedule), factors the
    student's NTK Theta(x, x) once, and evaluates Theorem 2 ([`hard_label_effect_path`][kdntk.ji_zhu.hard_label_effect_path])
    for all E teachers and all nested n from that factorization, with dz_g = z_g - z0 and
    dz_t = z_t - z0 for the student's initial logits z0 (``init``: "zero", the bias-free student of
    Sec. 3, by default; "prior" or "network" keep a random initial function, as the paper's
    networks do). The oracle's hard labels 1{z_g > 0} are the ground truth y_g.

    C classes (softmax distillation): teachers returning (n, C) logits and an oracle returning
    (n, C) logits. The student's NTK is Theta (x) I_C, so every Theta-inner product of Eq. 12
    sums over classes from the same factorization; dz_g and dz_t are the centred logits minus
    z0's centred logits (the class mean never moves), y_g is the oracle's top class and delta z_h
    the softmax correction T^2 [v / p - mean_c(v / p)], v = y_g - softmax(z_t), p =
    softmax(z_t / T) (the derivative of the softmax effective logits in 1 - rho at rho = 1). With
    C = 2 and logits (z, 0) this is the binary curve.

    Engine arguments (``key`` ... ``block_rows``): the same in every sweep (docs/engine.md).

    Args:
      teachers: inputs -> teacher logits, reduction factor included: a teacher stack (a
        [`kdntk.teachers.TeacherSnapshots`][kdntk.teachers.TeacherSnapshots] or a [`kdntk.teachers.FlowTeacher`][kdntk.teachers.FlowTeacher] with
        1-D stopping times, axis E) or a plain target (E = 1); (n, C) logits per teacher for C classes.
      oracle: inputs -> oracle logits z_g, (n,) or (n, 1); (n, C) for C classes.
      net: the student network (a [`kdntk.Network`][kdntk.Network] or a stax triple).
      sample_sizes: the n reported (1-D positive integers).
      key: PRNG key, typed or legacy.
      num_trials: K >= 2.
      temperature: T > 0 of the distillation loss.
      init: the student's initial logits z0: "zero" (default), "prior" (an NNGP sample) or
        "network" (a finite-width draw of ``net``), from each trial's own key.

    Returns:
      [`HardLabelCurve`][kdntk.ji_zhu.HardLabelCurve] with fields of shape (E, S) (and (E, K, S) per trial).

    Raises:
      ValueError / TypeError: bad arguments (each names itself).
      KernelError: a trial's kernel is not numerically positive definite.

    Example:
      >>> import jax, jax.numpy as jnp, kdntk
      >>> gt = kdntk.tasks.gaussian_mixture(jax.random.key(0), num_modes=2)
      >>> x = kdntk.tasks.sample_inputs(jax.random.key(1), 32)
      >>> flow = kdntk.teachers.flow_teacher(kdntk.mlp(3), x, jnp.sign(gt(x)), jnp.array([0.01, 10.0]))
      >>> res = kdntk.ji_zhu.hard_label_effect_curve(flow, gt, kdntk.mlp(2), [4, 8],
      ...                                            key=jax.random.key(2), num_trials=3)
      >>> res.projection.shape
      (2, 2)
    """
    sweep = engine.sweep_arguments("ji_zhu.hard_label_effect_curve", **engine.arguments_of(locals()))
    net = as_network(net)
    sizes = check_sample_sizes(sample_sizes)
    check_range(temperature, "temperature", low=0.0, low_open=True)
    check_choice(init, "init", INITS)
    n = int(sizes.max())
    with sweep.precision():
        features = engine.feature_shape(sweep, n)
        get, kernels = (("nngp", "ntk"), 2) if init == "prior" else ("ntk", 1)
        block = fit_block_rows(net, n, n, features, sweep.dtype, sweep.block_rows,
                               num_kernels=kernels, get=get)
        trials = engine.run(
            sweep, _trial, num_points=n, name="hard_label_effect_curve",
            evaluate=_evaluate, evaluate_args=(teachers, oracle), check_evaluated=_check_evaluated,
            args=(net, jnp.asarray(sizes), jnp.asarray(temperature, sweep.dtype), init, block),
            trial_bytes=kernel_bytes(n, n, dtype=sweep.dtype, block_rows=block, num_kernels=kernels,
                                     per_pair=pair_workspace(net, features, sweep.dtype, get))
            + sweep.dtype.itemsize * 8 * callables_size(teachers) * n,
            failure=_failure, diagnosed=True)
        out = np.moveaxis(trials.outputs, 0, 2)               # (2, E, K, S)
        mean, se = out.mean(axis=2), out.std(axis=2, ddof=1) / np.sqrt(out.shape[2])
        return HardLabelCurve(
            sample_sizes=jnp.asarray(sizes), projection=jnp.asarray(mean[0]),
            projection_stderr=jnp.asarray(se[0]), derivative=jnp.asarray(mean[1]),
            derivative_stderr=jnp.asarray(se[1]), trial_projection=jnp.asarray(out[0]),
            trial_derivative=jnp.asarray(out[1]), inputs=trials.inputs)
