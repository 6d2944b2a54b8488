"""Transfer risk of the linearized student (000 Sec. 3, Fig. 2 left; 003 S3-S4).

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

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np
from jaxtyping import Array, ArrayLike, Float, Int

from kdntk._checks import KernelError, check_range
from kdntk._jit import filter_jit
from kdntk.effective import _broadcast, _effective, _validate
from kdntk.inefficiency import INITS, _check_sweep, _initial_logits
from kdntk.kernels import _blocked_kernel
from kdntk.networks import Network
from kdntk.solve import _cholesky
from kdntk.tasks._synthetic import INPUT_STD

__all__ = ["TransferRisk", "transfer_risk", "TransferRiskCurve", "transfer_risk_curve",
           "prefix_predictions"]


class TransferRisk(NamedTuple):
    """A disagreement probability and its Monte-Carlo standard error (same shapes)."""

    risk: Float[Array, "..."]
    stderr: Float[Array, "..."]


def transfer_risk(z_teacher: Float[ArrayLike, "... m"], z_student: Float[ArrayLike, "... m"]) -> TransferRisk:
    """R = P[z_t z_s < 0] estimated on M held-out points: mean of 1{z_t z_s < 0} over the last axis.

    The standard error is the binomial sqrt(R (1 - R) / M). Leading axes broadcast.

    Example:
      >>> import kdntk
      >>> kdntk.transfer_risk([1.0, -1.0, 2.0, 3.0], [1.0, 1.0, 2.0, 3.0]).risk
      Array(0.25, dtype=float32)
    """
    zt, zs = jnp.asarray(z_teacher), jnp.asarray(z_student)
    if zt.ndim < 1 or zs.ndim < 1 or zt.shape[-1] != zs.shape[-1]:
        raise ValueError(f"z_teacher and z_student need the same last dimension M, got {zt.shape} and {zs.shape}.")
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

    Entry [..., n - 1, :] is the prediction of the student trained on the first n points.
    """
    a = jsl.solve_triangular(L, theta_test_train.T, lower=True)       # (N, M)
    c = jsl.solve_triangular(L, jnp.moveaxis(dz, -1, 0), lower=True)   # (N, *R)
    c = jnp.moveaxis(c, 0, -1)[..., :, None]                           # (*R, N, 1)
    return jnp.cumsum(c * a.reshape((1,) * (c.ndim - 2) + a.shape), axis=-2)


class TransferRiskCurve(NamedTuple):
    """Result of :func:`transfer_risk_curve`. R: soft-ratio axis (only for 1-D soft_ratio or
    temperature); S = len(sample_sizes); K = trials.

    Attributes:
      sample_sizes: n, shape (S,).
      risk: E R_n = P[z_t z_s < 0] (student vs teacher), shape (R?, S).
      risk_stderr: Monte-Carlo standard error of ``risk`` over trials (test points included).
      error: P[z_g z_s < 0], the student's error against the ground truth, shape (R?, S).
      error_stderr: its standard error.
      trial_risk, trial_error: per-trial values, shape (R?, K, S).
    """

    sample_sizes: Int[Array, " S"]
    risk: Float[Array, "*R S"]
    risk_stderr: Float[Array, "*R S"]
    error: Float[Array, "*R S"]
    error_stderr: Float[Array, "*R S"]
    trial_risk: Float[Array, "*R K S"]
    trial_error: Float[Array, "*R K S"]


@filter_jit
def _trial_risks(target, ground_truth, labels, net, xs, keys, rho, T, reduction, init, sizes, n_train):
    def one(x, key):
        x_train = x[:n_train]
        k = _blocked_kernel(net, x, x_train, "ntk", min(256, x.shape[0]))   # (N + M, N)
        theta, kxX = k[:n_train], k[n_train:]
        z_t = reduction * target(x)
        y_g = (z_t[:n_train] > 0).astype(x.dtype) if labels is None else labels(x_train)
        z_eff = _effective(*_broadcast(z_t[:n_train], y_g, rho[..., None], T[..., None]))
        z0 = _initial_logits(net, x, key, init)

        def lift(v, ndim):  # explicit broadcasting (rank promotion may be strict)
            return v.reshape((1,) * (ndim - v.ndim) + v.shape)

        dz = z_eff - lift(z0[:n_train], z_eff.ndim)
        L = _cholesky(theta, jnp.zeros((), x.dtype))
        z_s = prefix_predictions(L, kxX, dz)[..., sizes - 1, :]   # (*R, S, M)
        z_s = z_s + lift(z0[n_train:], z_s.ndim)
        z_g = ground_truth(x[n_train:])
        risk = jnp.mean((lift(z_t[n_train:], z_s.ndim) * z_s < 0).astype(x.dtype), axis=-1)
        error = jnp.mean((lift(z_g, z_s.ndim) * z_s < 0).astype(x.dtype), axis=-1)
        bad = ~jnp.all(jnp.isfinite(z_s))   # a failed factorization must not count as agreement
        return jnp.where(bad, jnp.nan, risk), jnp.where(bad, jnp.nan, error)

    return jax.lax.map(lambda a: one(*a), (xs, keys))   # (K, *R, S) each


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
    input_dim: int = 2,
    input_std: float = INPUT_STD,
    dtype: Any = jnp.float64,
) -> TransferRiskCurve:
    """Transfer risk R_n of the converged linearized student against n (000 Sec. 3, Fig. 2 left).

    Each trial draws N = max(n) training and M = ``num_test`` held-out inputs from
    N(0, input_std^2 I), trains the linearized student on the effective logits
    z_eff(r target(x), y_g; rho, T) of the first n training points for every n (one Cholesky
    factorization, :func:`prefix_predictions`) and counts sign disagreements on the held-out
    points with the teacher (``risk``) and with ``ground_truth`` (``error``).

    Args:
      target: teacher logit function z_t (before the reduction r), inputs (n, d) -> (n,).
      net: the student :class:`kdntk.Network` (closed-form NTK).
      sample_sizes: 1-D positive integers n.
      key: PRNG key (trial k uses ``split(key, K)[k]``).
      num_trials: K >= 2.
      num_test: M held-out points per trial.
      ground_truth: f_g for ``error``; default ``target`` (a perfect teacher).
      labels: y_g(x) on the training points; default 1{z_t > 0}.
      soft_ratio: rho in [0, 1], scalar or 1-D (axis R).
      temperature: T > 0, scalar or 1-D (broadcast against soft_ratio).
      reduction: r of 003 S4 (z_t = r target(x)).
      init: the student's initial function: "zero" (the bias-free student z = (dw - dw_z)^T phi(x)
        to which Sec. 3 reduces the problem; the default), "prior" (an NNGP sample on train and
        test points jointly) or "network" (a finite draw of ``net``).
      input_dim: d of the inputs.
      input_std: standard deviation of the inputs N(0, std^2 I).
      dtype: float64 by default (computed under ``jax.enable_x64``).

    Returns:
      A :class:`TransferRiskCurve`.

    Raises:
      ValueError: bad arguments; KernelError: a kernel that is not positive definite.
    """
    sizes = _check_sweep(sample_sizes, net, num_trials)
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}.")
    if int(num_test) != num_test or num_test < 1:
        raise ValueError(f"num_test must be a positive integer, got {num_test!r}.")
    _validate(0.0, 0.5, soft_ratio, temperature)
    check_range(reduction, "reduction", low=0.0, low_open=True)
    if np.ndim(soft_ratio) > 1 or np.ndim(temperature) > 1:
        raise ValueError("soft_ratio and temperature must be scalars or 1-D arrays.")
    if np.any(np.asarray(soft_ratio) == 0) and labels is None:
        raise ValueError("soft_ratio = 0 with hard labels has no finite effective logits; use soft_ratio > 0.")
    n_train = int(sizes.max())
    ground_truth = target if ground_truth is None else ground_truth
    with jax.enable_x64(np.dtype(dtype) == np.float64):
        dtype = jnp.dtype(dtype)
        keys = jax.random.split(key, int(num_trials))
        input_keys, init_keys = jax.vmap(lambda k: jax.random.split(k, 2))(keys).transpose(1, 0)
        xs = jax.vmap(lambda k: input_std * jax.random.normal(k, (n_train + int(num_test), input_dim), dtype))(
            input_keys)
        rho, T = jnp.broadcast_arrays(jnp.asarray(soft_ratio, dtype), jnp.asarray(temperature, dtype))
        risk, error = _trial_risks(target, ground_truth, labels, net, xs, init_keys, rho, T,
                                   jnp.asarray(reduction, dtype), init, jnp.asarray(sizes), n_train)
        if not (np.all(np.isfinite(np.asarray(risk))) and np.all(np.isfinite(np.asarray(error)))):
            raise KernelError("a trial produced non-finite predictions: its kernel is not numerically "
                              "positive definite (duplicate inputs?).")
        risk, error = jnp.moveaxis(risk, 0, -2), jnp.moveaxis(error, 0, -2)   # (*R, K, S)
        k = risk.shape[-2]

        def stats(v):
            return v.mean(-2), v.std(-2, ddof=1) / np.sqrt(k)

        (r, rs), (e, es) = stats(risk), stats(error)
        return TransferRiskCurve(jnp.asarray(sizes), r, rs, e, es, risk, error)
