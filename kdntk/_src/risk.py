"""Transfer risk of the linearized student (Ji & Zhu 2020, Sec. 3, Fig. 2 left; supplement S3-S4).

The transfer risk is the probability that student and teacher disagree in sign,

    R_n = P_{x ~ P(x)} [z_t(x) z_s(x) < 0],

for the linearized student trained to convergence on n samples (Eq. 4):
z_s(x) = z0(x) + Theta(x, X_n) Theta_n^-1 (z_eff(X_n) - z0(X_n)).

All-prefix predictions. With Theta_N = L L^T, a = L^-1 Theta(X, x) and c = L^-1 dz, the leading
n rows satisfy a[:n] = L_n^-1 Theta(X_n, x) and c[:n] = L_n^-1 dz_n (L is lower triangular), so

    Theta(x, X_n) Theta_n^-1 dz_n = sum_{i < n} a_i(x) c_i,

and the student's test logits for EVERY nested sample size n = 1..N come from one factorization
and one triangular solve with M test columns (cumulative sums over i).
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
    check_array,
    check_class_targets,
    check_integer,
    check_rhs,
    check_square,
)
from kdntk._src.multiclass import top1_disagreement
from kdntk._src.softmax_effective import solve_softmax_effective
from kdntk._src.inefficiency import callables_size, check_sample_sizes
from kdntk._src.conditioning import diagnose, factor_defect, report_factor, report_finite
from kdntk._src.kernels import blocked_kernel
from kdntk._src.memory import DEFAULT_BLOCK_ROWS, fit_block_rows, kernel_bytes, pair_workspace
from kdntk._src.networks import Network, as_network
from kdntk._src.results import Result, result, static
from kdntk._src.solve import cholesky_factor
from kdntk._src.student import (
    check_teacher_outputs,
    hyperparameters,
    initial_logits,
    teacher_outputs,
    with_effective_logits,
)
from kdntk._src.triangular import solve_lower

__all__ = ["TransferRisk", "transfer_risk", "TransferRiskCurve", "transfer_risk_curve",
           "prefix_predictions", "prefix_path"]


class TransferRisk(NamedTuple):
    """A disagreement probability and its Monte-Carlo standard error (same shapes)."""

    risk: Float[Array, "..."]
    stderr: Float[Array, "..."]


def transfer_risk(z_teacher: Float[ArrayLike, "... m"], z_student: Float[ArrayLike, "... m"]) -> TransferRisk:
    """R = P[z_t z_s < 0] estimated on M held-out points: mean of 1{z_t z_s < 0} over the last axis.

    The standard error is the binomial sqrt(R (1 - R) / M). Leading axes broadcast.

    Raises:
      ValueError: NaN or inf logits (a NaN would count as agreement), also under jit (from inside
        the compiled program); shapes whose last axes differ or whose leading axes do not
        broadcast; M = 0.

    Example:
      >>> import kdntk
      >>> kdntk.transfer_risk([1.0, -1.0, 2.0, 3.0], [1.0, 1.0, 2.0, 3.0]).risk
      Array(0.25, dtype=float32)
    """
    zt = check_array(z_teacher, "z_teacher", min_ndim=1, runtime=True)
    zs = check_array(z_student, "z_student", min_ndim=1, runtime=True)
    if zt.shape[-1] != zs.shape[-1]:
        raise ValueError(f"z_teacher and z_student need the same last dimension M, got {zt.shape} and {zs.shape}.")
    try:
        jnp.broadcast_shapes(zt.shape, zs.shape)
    except ValueError:
        raise ValueError(f"the leading axes of z_teacher {zt.shape} and z_student {zs.shape} must "
                         "broadcast against each other.") from None
    return _transfer_risk(zt, zs)


@jax.jit
def _transfer_risk(zt, zs):
    zt, zs = jnp.broadcast_arrays(zt, zs)
    dtype = jnp.result_type(zt.dtype, float)
    r = jnp.mean((zt * zs < 0).astype(dtype), axis=-1)
    return TransferRisk(r, jnp.sqrt(r * (1 - r) / zt.shape[-1]))


def prefix_predictions(
    L: Float[Array, "n n"], theta_test_train: Float[Array, "m n"], dz: Float[Array, "*R n"]
) -> Float[Array, "*R n m"]:
    """Theta(x, X_n) Theta_n^-1 dz_n for every prefix n = 1..N from one Cholesky factor (module doc).

    Args:
      L: the lower Cholesky factor of Theta(X, X), (N, N), e.g. ``kdntk.cholesky(theta)``.
      theta_test_train: Theta(x_test, X), (M, N).
      dz: logit changes on X, (*R, N); the leading axes share the factorization.

    Returns:
      Shape (*R, N, M): entry [..., n - 1, :] is the prediction of the student trained on the
      first n points (add the initial logits z0(x_test) for the student's logits).

    Example:
      >>> import jax.numpy as jnp, kdntk
      >>> L = kdntk.cholesky(jnp.eye(2) * 4.0)
      >>> kdntk.prefix_predictions(L, jnp.array([[2.0, 0.0]]), jnp.array([1.0, 3.0]))[:, 0].tolist()
      [0.5, 0.5]
    """
    L = check_square(L, "L", ndim=2)
    kxX = check_array(theta_test_train, "theta_test_train", ndim=2, dtype=L.dtype, finite=False)
    if kxX.shape[1] != L.shape[0]:
        raise ValueError(f"theta_test_train must have shape (M, {L.shape[0]}) to match L {L.shape}, "
                         f"got {kxX.shape}.")
    # L (an upper factor, its diagonal) and theta_test_train's values are checked inside the
    # program where the arrays live; only a code and a flag come back with the result.
    out, defect, finite = _checked_prefix_path(L, kxX, check_rhs(dz, L, "dz"))
    report_finite(finite, ("theta_test_train",))
    report_factor(defect, what="L")
    return out


@jax.jit
def _checked_prefix_path(L, kxX, dz):
    out = prefix_path(L, kxX, dz, row_major=True)   # L is this program's argument
    return out, factor_defect(L, out), jnp.all(jnp.isfinite(kxX))[None]


@functools.partial(jax.jit, static_argnames="row_major")
def prefix_path(L, kxX, dz, *, row_major=False):
    """[`prefix_predictions`][kdntk.prefix_predictions] without checks (traceable): (*R, N, M).
    ``row_major``: L is an argument of the program, not computed in it (kdntk/_src/triangular.py)."""
    n = L.shape[-1]
    a = solve_lower(L, kxX.T, row_major=row_major)                              # (N, M)
    c = solve_lower(L, dz.reshape(-1, n).T, row_major=row_major).T              # (B, N)
    return jnp.cumsum(c[:, :, None] * a[None], axis=-2).reshape(dz.shape + (kxX.shape[0],))


@result
class TransferRiskCurve(Result):
    """Result of [`kdntk.transfer_risk_curve`][kdntk.transfer_risk_curve]. Axes, always present: E teachers (1 for a
    plain target), R (soft ratio, temperature) pairs, K trials, S = len(sample_sizes).

    Attributes:
      sample_sizes: n, shape (S,).
      soft_ratio: rho of each pair, shape (R,).
      temperature: T of each pair, shape (R,).
      risk: E R_n = P[z_t z_s < 0] (student vs teacher), shape (E, R, S).
      risk_stderr: Monte-Carlo standard error of ``risk`` over trials (test points included).
      error: P[z_g z_s < 0], the student's error against the ground truth, shape (E, R, S).
      error_stderr: its standard error.
      trial_risk, trial_error: per-trial values, shape (E, R, K, S).
      inputs: how each trial's N + M training and held-out inputs were drawn, e.g. "Gaussian
        N(0, 5^2 I_2), fresh draws per trial (66 points each)" (docs/engine.md, "Inputs");
        static in the pytree, and a column of ``to_dict`` / ``to_csv`` / ``to_dataframe``.
    """

    sample_sizes: Int[Array, " S"]
    soft_ratio: Float[Array, " R"]
    temperature: Float[Array, " R"]
    risk: Float[Array, "E R S"]
    risk_stderr: Float[Array, "E R S"]
    error: Float[Array, "E R S"]
    error_stderr: Float[Array, "E R S"]
    trial_risk: Float[Array, "E R K S"]
    trial_error: Float[Array, "E R K S"]
    inputs: str = static()

    TABLE = ("risk", "risk_stderr", "error", "error_stderr")

    def coordinates(self):
        e = np.shape(self.risk)[0]
        return {"teacher": np.arange(e)[:, None, None],
                "soft_ratio": np.asarray(self.soft_ratio)[None, :, None],
                "temperature": np.asarray(self.temperature)[None, :, None],
                "n": np.asarray(self.sample_sizes)[None, None, :]}


def _evaluate(x, target, ground_truth, labels, reduction, n_train):
    """z_t on all N + M points ((E, N + M) or (E, N + M, C)), y_g on the N training points, and
    the ground truth on the M test points: logits (M,) for one logit; for C classes its top
    class (M,) (a callable returning (M, C) logits or probabilities, or (M,) classes)."""
    z_t, y = teacher_outputs(x, target, labels, reduction)
    y = y[:, :n_train]          # the labels of the training points
    z_g = callables.call(ground_truth, x[n_train:], "ground_truth", classes=z_t.ndim == 3)
    if z_t.ndim == 3 and z_g.ndim == 2:
        z_g = jnp.argmax(z_g, axis=-1).astype(x.dtype)
    return z_t, y, z_g


def _check_evaluated(evaluated, labels, rho):
    z_t, y_g, z_g = evaluated
    check_teacher_outputs((z_t, y_g), labels, rho)
    callables.check_values(z_g, "ground_truth")
    if z_t.ndim == 4:
        check_class_targets(np.asarray(z_g).astype(np.int64), z_t.shape[-1], "ground_truth")


def _trial(x, key, evaluated, net, rho, T, init, sizes, n_train, block):
    """Risk and error (E, R, S) of one trial, NaN where the factorization failed, and the
    diagnosis of its kernel. One logit: sign disagreements; C classes: top-1 disagreements."""
    z_t, y_g, z_g = evaluated[:3]         # and, with one logit, z_eff from the engine's host step
    k = blocked_kernel(net, x, x[:n_train], "ntk", block)                # (N + M, N)
    theta, kxX = k[:n_train], k[n_train:]
    L = cholesky_factor(theta, jnp.zeros((), x.dtype))
    if z_t.ndim == 3:                                                   # C classes
        z0 = initial_logits(net, x, key, init, classes=z_t.shape[-1])   # (N + M, C): joint prior
        z_eff = solve_softmax_effective(z_t[:, None, :n_train], y_g[:, None], rho[None, :, None],
                                        T[None, :, None], z0[None, None, :n_train])
        dz = jnp.swapaxes(z_eff - z0[None, None, :n_train], -1, -2)    # (E, R, C, N)
        z_s = prefix_path(L, kxX, dz)[..., sizes - 1, :]                # (E, R, C, S, M)
        z_s = jnp.moveaxis(z_s, 2, -1) + z0[None, None, None, n_train:]  # (E, R, S, M, C)
        risk = jnp.mean(top1_disagreement(z_s, z_t[:, None, None, n_train:]), axis=-1)
        error = jnp.mean((jnp.argmax(z_s, -1) != z_g[None, None, None].astype(jnp.int32)).astype(x.dtype), -1)
    else:
        z0 = initial_logits(net, x, key, init)                          # (N + M,): joint prior
        z_s = prefix_path(L, kxX, evaluated[3] - z0[None, None, :n_train])[..., sizes - 1, :] + z0[None, None, None, n_train:]  # (E, R, S, M)
        risk = jnp.mean((z_t[:, None, None, n_train:] * z_s < 0).astype(x.dtype), axis=-1)
        error = jnp.mean((z_g[None, None, None, :] * z_s < 0).astype(x.dtype), axis=-1)
    bad = ~jnp.all(jnp.isfinite(z_s))   # a failed factorization must not count as agreement
    return (jnp.where(bad, jnp.nan, risk), jnp.where(bad, jnp.nan, error)), diagnose(theta, L, check_symmetry=False)


def _failure(bad):
    return KernelError(f"transfer_risk_curve: trials {bad} produced non-finite predictions: their "
                       "kernel is not numerically positive definite (duplicate inputs?).")


def transfer_risk_curve(
    target: Callable[[Array], Array],
    net: Network,
    sample_sizes,
    *,
    key: Array,
    num_trials: int = 20,
    num_test: int = 1000,
    ground_truth: Callable[[Array], Array] | None = None,
    labels: Callable[[Array], Array] | None = None,
    soft_ratio=1.0,
    temperature=1.0,
    reduction: float = 1.0,
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
) -> TransferRiskCurve:
    """Transfer risk R_n of the converged linearized student against n (Ji & Zhu 2020, Sec. 3, Fig. 2 left).

    Each trial draws N = max(n) training and M = ``num_test`` held-out inputs (the engine's
    key schedule: the first N points are the training points), trains the linearized student on
    the effective logits z_eff(r target(x), y_g; rho, T) of the first n training points for every
    n (one Cholesky factorization, [`prefix_predictions`][kdntk.prefix_predictions]) and counts sign disagreements on
    the held-out points with the teacher (``risk``) and with ``ground_truth`` (``error``).

    Engine arguments (``key`` ... ``block_rows``): the same in every sweep (docs/engine.md).

    Args:
      target: teacher logits z_t (before the reduction r), inputs (n, *features) -> (n,) or
        (n, 1), or a teacher stack (axis E).
      net: the student network (a [`kdntk.Network`][kdntk.Network] or a stax triple).
      sample_sizes: 1-D positive integers n.
      key: PRNG key, typed or legacy.
      num_trials: K >= 2.
      num_test: M held-out points per trial.
      ground_truth: f_g for ``error``; default ``target`` (a perfect teacher).
      labels: y_g(x) in [0, 1] on the training points; default 1{z_t > 0}.
      soft_ratio: rho in [0, 1], scalar or 1-D.
      temperature: T > 0, scalar or 1-D (broadcast against soft_ratio: R pairs).
      reduction: r of the supplement's S4 (z_t = r target(x)).
      init: the student's initial function: "zero" (the bias-free student z = (dw - dw_z)^T phi(x)
        to which Sec. 3 reduces the problem; the default), "prior" (an NNGP sample on train and
        test points jointly) or "network" (a finite draw of ``net``).

    Returns:
      A [`TransferRiskCurve`][kdntk.TransferRiskCurve] with fields of shape (E, R, S).

    Raises:
      ValueError / TypeError: bad arguments (each names itself); KernelError: a kernel that is
      not positive definite; InsufficientMemoryError: the sweep cannot fit.

    Example:
      >>> import jax, kdntk
      >>> task = kdntk.tasks.gaussian_mixture(jax.random.key(0), num_modes=2)
      >>> curve = kdntk.transfer_risk_curve(task, kdntk.mlp(2), [4, 8], key=jax.random.key(1),
      ...                                   num_trials=2, num_test=100)
      >>> curve.risk.shape
      (1, 1, 2)
    """
    sweep = engine.sweep_arguments("transfer_risk_curve", **engine.arguments_of(locals()))
    net = as_network(net)
    sizes = check_sample_sizes(sample_sizes)
    num_test = check_integer(num_test, "num_test")
    if np.any(np.asarray(soft_ratio) == 0) and labels is None:
        raise ValueError("soft_ratio = 0 with hard labels has no finite effective logits; use soft_ratio > 0.")
    n_train = int(sizes.max())
    n = n_train + num_test
    ground_truth = target if ground_truth is None else ground_truth
    with sweep.precision():
        rho, T, r = hyperparameters(soft_ratio, temperature, reduction, init, sweep.dtype)
        features = engine.feature_shape(sweep, n)
        block = fit_block_rows(net, n, n_train, features, sweep.dtype, sweep.block_rows)
        trials = engine.run(
            sweep, _trial, num_points=n, name="transfer_risk_curve",
            evaluate=_evaluate, evaluate_args=(target, ground_truth, labels, r, n_train),
            check_evaluated=lambda ev: _check_evaluated(ev, labels, rho),
            prepare=with_effective_logits, prepare_args=(rho, T),
            args=(net, rho, T, init, jnp.asarray(sizes), n_train, block),
            trial_bytes=kernel_bytes(n, n_train, dtype=sweep.dtype, block_rows=block,
                                     per_pair=pair_workspace(net, features, sweep.dtype))
            + sweep.dtype.itemsize * (2 * n * n if init == "prior" else 0)
            + sweep.dtype.itemsize * callables_size(target) * rho.size * n_train * (len(sizes) + 3),
            failure=_failure, diagnosed=True)
        risk, error = (jnp.moveaxis(jnp.asarray(v), 0, 2) for v in trials.outputs)   # (E, R, K, S)
        k = risk.shape[-2]

        def stats(v):
            return v.mean(-2), v.std(-2, ddof=1) / np.sqrt(k)

        (rm, rs), (em, es) = stats(risk), stats(error)
        return TransferRiskCurve(
            sample_sizes=jnp.asarray(sizes), soft_ratio=rho, temperature=T, risk=rm,
            risk_stderr=rs, error=em, error_stderr=es, trial_risk=risk, trial_error=error,
            inputs=trials.inputs)
