"""The transfer-risk bound of the linearized student (Ji & Zhu 2020, 000 Sec. 3, Thm 1; 003 S3, S6).

With the student linearized at initialization, phi(x) = d f(x; w0) / dw, and trained from the
zero function (so the zero weight change dw_z of Eq. 6 vanishes; kdntk's ``init="zero"``), the
oracle weight change dw* interpolates z_eff everywhere and the converged student is
dw_n = P_Phi dw* (Eq. 5). Then

    cos alpha_bar(phi(x), dw*) = |z_eff(x)| / (||dw*|| sqrt(Theta(x, x)))            (Eq. 8)
    p(beta) = P_x[alpha_bar(phi(x), dw*) > beta]                                     (Eq. 6)
    cos alpha_bar_n = ||P_Phi dw*|| / ||dw*|| = ||dw_n|| / ||dw*||,
    ||dw_n||^2 = dz_n^T Theta_n^-1 dz_n                                               (Eq. 9)
    R_n <= p(pi/2 - alpha_bar_n)                                                     (Thm 1, S3)

||dw*|| is not observable; it is the limit of the non-decreasing ||dw_n|| (nested data sets).
:func:`oracle_norm_estimate` extrapolates the path ||dw_n||, n = 1..N (docs/ntk_risk_bound.md).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from kdntk._checks import check_inputs, check_range
from kdntk.angles import reverse_cdf
from kdntk.bounds import ReverseCdf, _as_callable
from kdntk.networks import Network

__all__ = [
    "OracleNorm",
    "feature_cosines",
    "ntk_reverse_angle_cdf",
    "oracle_norm_estimate",
    "ntk_alpha_bar",
    "ntk_risk_bound",
    "ntk_diagonal",
    "vacuous_threshold",
]


def feature_cosines(
    z_eff: Float[ArrayLike, " m"], theta_diag: Float[ArrayLike, " m"], *, oracle_norm: float
) -> Float[Array, " m"]:
    """cos alpha_bar(phi(x), dw*) = |z_eff(x)| / (||dw*|| sqrt(Theta(x, x))) per input (000 Eq. 8).

    Args:
      z_eff: the oracle's logits (dw*^T phi(x)) at M inputs; effective logits of the teacher.
      theta_diag: Theta(x, x) at the same inputs (see :func:`ntk_diagonal`).
      oracle_norm: ||dw*|| (see :func:`oracle_norm_estimate`).

    Returns:
      The cosines, (M,). Values above 1 mean ``oracle_norm`` is underestimated (Cauchy-Schwarz).

    Raises:
      ValueError: shapes differ, Theta(x, x) <= 0 or oracle_norm <= 0.
    """
    z = jnp.asarray(z_eff)
    t = jnp.asarray(theta_diag, z.dtype)
    if z.ndim != 1 or t.shape != z.shape:
        raise ValueError(f"z_eff and theta_diag must be 1-D of equal length, got {z.shape}, {t.shape}.")
    check_range(t, "theta_diag", low=0.0, low_open=True)
    check_range(oracle_norm, "oracle_norm", low=0.0, low_open=True)
    return jnp.abs(z) / (oracle_norm * jnp.sqrt(t))


def ntk_reverse_angle_cdf(
    z_eff: Float[ArrayLike, " m"],
    theta_diag: Float[ArrayLike, " m"],
    theta: Float[ArrayLike, " k"],
    *,
    oracle_norm: float,
) -> Float[Array, " k"]:
    """p(beta) of Eq. 6 estimated by sampling Eq. 8 at M inputs (000 Sec. 3.1, Fig. 2 middle).

    Cosines above 1 (an underestimated ||dw*||) count as angle 0. Standard error sqrt(p(1-p)/M).
    """
    cos = feature_cosines(z_eff, theta_diag, oracle_norm=oracle_norm)
    return reverse_cdf(jnp.arccos(jnp.clip(cos, 0.0, 1.0)), theta)


class OracleNorm(NamedTuple):
    """Estimate of ||dw*|| from the path ||dw_n||, n = 1..N.

    Attributes:
      estimate: sqrt(||dw_N||^2 + tail); inf when the increments do not decay faster than 1/n
        (||dw_n|| diverges, e.g. hard labels).
      lower: ||dw_N||, a strict lower bound (||P_Phi dw*|| <= ||dw*||).
      tail: the extrapolated missing sum_{m >= N} (||dw_{m+1}||^2 - ||dw_m||^2).
      exponent: b of the fitted increments ||dw_{n+1}||^2 - ||dw_n||^2 ~ A n^-(1 + b).
    """

    estimate: Array
    lower: Array
    tail: Array
    exponent: Array


def oracle_norm_estimate(norm_path: Float[ArrayLike, " N"], *, fit_fraction: float = 0.5) -> OracleNorm:
    """||dw*|| = lim_n ||dw_n||, extrapolated from a power-law fit of the path's increments.

    The squared norms s_n = ||dw_n||^2 are non-decreasing in n (Lemma 1 of 002 / nested
    projections) with s_n -> ||dw*||^2. On the last ``fit_fraction`` of the path the increments
    Delta_n = s_{n+1} - s_n are fitted by least squares as log Delta_n = a - (1 + b) log n, and the
    unseen remainder is sum_{m >= N} Delta_m ~ e^a N^-b / b. If fewer than 3 increments are
    positive (the path has converged, e.g. a linear kernel with n >= d) the tail is 0. The error
    of the estimate is of the order of ``tail`` (the fitted model's own uncertainty); ``lower`` is
    a guaranteed lower bound. Pass the mean path over trials for a less noisy fit.

    Args:
      norm_path: ||dw_n|| for n = 1..N, e.g. ``kdntk.weight_norm_path(theta, z_eff)``.
      fit_fraction: the fraction of the path (its end) used for the fit, in (0, 1].

    Raises:
      ValueError: a path that is not 1-D with N >= 4, or a decreasing path (wrong ordering).
    """
    path = check_inputs(norm_path, "norm_path", ndim=1)
    check_range(fit_fraction, "fit_fraction", low=0.0, high=1.0, low_open=True)
    s = np.asarray(path, float) ** 2
    if s.size < 4:
        raise ValueError(f"norm_path needs N >= 4 entries, got {s.size}.")
    inc = np.diff(s)
    if np.any(inc < -1e-8 * s[-1]):
        raise ValueError("norm_path decreases: it must be ||dw_n|| of NESTED data sets, n = 1..N.")
    n = np.arange(1, s.size)
    start = int(np.floor((1 - fit_fraction) * (s.size - 1)))
    keep = (n > start) & (inc > 1e-12 * s[-1])
    lower = float(np.sqrt(s[-1]))
    if keep.sum() < 3:
        return OracleNorm(*map(jnp.asarray, (lower, lower, 0.0, np.inf)))
    slope, a = np.polyfit(np.log(n[keep]), np.log(inc[keep]), 1)
    b = -slope - 1.0
    tail = np.exp(a) * float(s.size) ** (-b) / b if b > 0 else np.inf
    return OracleNorm(*map(jnp.asarray, (np.sqrt(s[-1] + tail), lower, tail, b)))


def ntk_alpha_bar(norm_path: Float[ArrayLike, "... N"], *, oracle_norm: float) -> Float[Array, "... N"]:
    """alpha_bar_n = arccos(||dw_n|| / ||dw*||) for each n (000 Eq. 9), clipped to [0, pi/2]."""
    check_range(oracle_norm, "oracle_norm", low=0.0, low_open=True)
    return jnp.arccos(jnp.clip(jnp.asarray(norm_path) / oracle_norm, 0.0, 1.0))


def ntk_risk_bound(p: ReverseCdf, alpha_bar_n: Float[ArrayLike, "..."]) -> Float[Array, "..."]:
    """Thm 1 of 000: R_n <= p(pi/2 - alpha_bar_n) (Eq. 7, S3).

    Args:
      p: the reverse angle cdf of Eq. 6, a callable or a tabulated ``(theta, values)`` (a
        tabulated curve is read at the grid angle below, so the bound stays conservative).
      alpha_bar_n: angles between dw_n and dw*, any shape, in [0, pi/2].
    """
    a = jnp.asarray(alpha_bar_n, jnp.result_type(float))
    check_range(a, "alpha_bar_n", low=0.0, high=jnp.pi / 2 + 1e-12)
    f = _as_callable(p)
    return f(jnp.clip(jnp.pi / 2 - a, 0.0, jnp.pi / 2).ravel()).reshape(a.shape)


def ntk_diagonal(net: Network, x: Float[ArrayLike, "m d"]) -> Float[Array, " m"]:
    """Theta(x_i, x_i) for each row of x, without forming the M x M matrix (003 S6, Fig. S7)."""
    if not isinstance(net, Network):
        raise TypeError(f"net must be a kdntk.Network, got {type(net).__name__}.")
    x = check_inputs(x, "x")
    return _diag(net, x)


def _diag_impl(net, x):
    return jax.lax.map(lambda r: net.kernel_fn(r[None, :], r[None, :], "ntk")[0, 0], x)


_diag = jax.jit(_diag_impl, static_argnums=0)


def vacuous_threshold(cosines: Float[ArrayLike, " m"]) -> Float[Array, ""]:
    """beta_t = arccos(max |cos alpha_bar|): the sampled p(beta) = 1 on [0, beta_t] (003 S6).

    When beta_t is near pi/2, p(pi/2 - beta) = 1 wherever p(beta) < 1, and the Phuong-Lampert
    bound min_beta p(beta) + p(pi/2 - beta)^n equals 1 (000 Sec. 3.2) for every n.
    """
    c = jnp.asarray(cosines)
    return jnp.arccos(jnp.clip(jnp.max(jnp.abs(c)), 0.0, 1.0))
