"""The transfer-risk bound of the linearized student (Ji & Zhu 2020, Ji & Zhu (2020), Sec. 3, Thm 1; Ji & Zhu 2020, supplement S3, S6).

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
[`oracle_norm_estimate`][kdntk.ji_zhu.oracle_norm_estimate] extrapolates the path ||dw_n||, n = 1..N (docs/ntk_risk_bound.md).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from kdntk._src.checks import check_array, check_inputs, check_range
from kdntk._src.angles import ReverseCdf, as_reverse_cdf, reverse_cdf
from kdntk._src.networks import Network, as_network

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
    """cos alpha_bar(phi(x), dw*) = |z_eff(x)| / (||dw*|| sqrt(Theta(x, x))) per input (Ji & Zhu 2020, Eq. 8).

    Args:
      z_eff: the oracle's logits (dw*^T phi(x)) at M inputs; effective logits of the teacher.
      theta_diag: Theta(x, x) at the same inputs (see [`ntk_diagonal`][kdntk.ji_zhu.ntk_diagonal]).
      oracle_norm: ||dw*|| (see [`oracle_norm_estimate`][kdntk.ji_zhu.oracle_norm_estimate]).

    Returns:
      The cosines, (M,). Values above 1 mean ``oracle_norm`` is underestimated (Cauchy-Schwarz).

    Raises:
      ValueError: shapes differ, Theta(x, x) <= 0 or oracle_norm <= 0.
    """
    z = check_array(z_eff, "z_eff", ndim=1)
    t = check_array(theta_diag, "theta_diag", ndim=1, dtype=z.dtype)
    if t.shape != z.shape:
        raise ValueError(f"z_eff and theta_diag must be 1-D of equal length, got {z.shape}, {t.shape}.")
    check_range(t, "theta_diag", low=0.0, low_open=True)
    check_range(oracle_norm, "oracle_norm", low=0.0, low_open=True, finite=True)
    return jnp.abs(z) / (oracle_norm * jnp.sqrt(t))


def ntk_reverse_angle_cdf(
    z_eff: Float[ArrayLike, " m"],
    theta_diag: Float[ArrayLike, " m"],
    theta: Float[ArrayLike, " k"],
    *,
    oracle_norm: float,
) -> Float[Array, " k"]:
    """p(beta) of Eq. 6 estimated by sampling Eq. 8 at M inputs (Ji & Zhu 2020, Sec. 3.1, Fig. 2 middle).

    Cosines above 1 (an underestimated ||dw*||) count as angle 0. Standard error sqrt(p(1-p)/M).
    """
    cos = feature_cosines(z_eff, theta_diag, oracle_norm=oracle_norm)
    return reverse_cdf(jnp.arccos(jnp.clip(cos, 0.0, 1.0)), theta)


class OracleNorm(NamedTuple):
    """Estimate of ||dw*|| from the path ||dw_n||, n = 1..N.

    Attributes:
      estimate: sqrt(||dw_N||^2 + tail); inf when the growth per doubling of n does not shrink
        (||dw_n|| has not converged or diverges, e.g. hard labels).
      lower: ||dw_N||, a strict lower bound (||P_Phi dw*|| <= ||dw*||).
      tail: the extrapolated missing ||dw*||^2 - ||dw_N||^2.
      ratio: the fitted factor r = D_{k+1} / D_k between the growths of ||dw_n||^2 over successive
        doublings of n (power law s_n = A - B n^-b gives r = 2^-b).
    """

    estimate: Array
    lower: Array
    tail: Array
    ratio: Array


def oracle_norm_estimate(norm_path: Float[ArrayLike, " N"], *, num_doublings: int = 3) -> OracleNorm:
    """||dw*|| = lim_n ||dw_n||, extrapolated geometrically over doublings of n (docs/ntk_risk_bound.md).

    The squared norms s_n = ||dw_n||^2 of nested data sets are non-decreasing with limit
    ||dw*||^2. Let D_k = s_{N / 2^(k-1)} - s_{N / 2^k} be the growth over the k-th last doubling of
    n. If s_n = A - B n^-b, then D_{k} = r D_{k+1} exactly, with r = 2^-b < 1, and the missing
    tail is D_1 r / (1 - r). kdntk fits log D over the last ``num_doublings`` doublings by least
    squares; r >= 1 (no convergence yet) gives an infinite estimate, D_1 = 0 (converged, e.g. a
    linear kernel once w* is in the span) a zero tail. Growth over doublings averages the noisy
    per-point increments. The error is that of the power-law model; ``lower`` is guaranteed.

    Args:
      norm_path: ||dw_n|| for n = 1..N, e.g. ``kdntk.weight_norm_path(theta, z_eff)`` (pass the
        mean over trials for less noise).
      num_doublings: doublings used for the fit, >= 2 (needs N >= 2^num_doublings).

    Raises:
      ValueError: a path that is not 1-D or too short, or a decreasing path (wrong ordering).
    """
    path = check_inputs(norm_path, "norm_path", ndim=1)
    if int(num_doublings) != num_doublings or num_doublings < 2:
        raise ValueError(f"num_doublings must be an integer >= 2, got {num_doublings!r}.")
    s = np.asarray(path, float) ** 2
    N = s.size
    if N < 2 ** num_doublings:
        raise ValueError(f"norm_path needs N >= 2^num_doublings = {2 ** num_doublings} entries, got {N}.")
    if np.any(np.diff(s) < -1e-8 * s[-1]):
        raise ValueError("norm_path decreases: it must be ||dw_n|| of NESTED data sets, n = 1..N.")
    ends = [N // 2**k for k in range(num_doublings + 1)]            # N, N/2, N/4, ...
    D = np.array([s[ends[k] - 1] - s[ends[k + 1] - 1] for k in range(num_doublings)])  # D_1 first
    lower = float(np.sqrt(s[-1]))
    if D[0] <= 1e-12 * s[-1]:
        return OracleNorm(*map(jnp.asarray, (lower, lower, 0.0, 0.0)))
    if np.any(D <= 0):
        return OracleNorm(*map(jnp.asarray, (np.inf, lower, np.inf, np.inf)))
    # log D_k = c - k log r  (D_1 is the most recent doubling)
    slope = np.polyfit(np.arange(num_doublings), np.log(D), 1)[0]
    r = float(np.exp(-slope))
    tail = D[0] * r / (1 - r) if r < 1 - 1e-9 else np.inf  # r = 1 to rounding: no convergence
    return OracleNorm(*map(jnp.asarray, (np.sqrt(s[-1] + tail), lower, tail, r)))


def ntk_alpha_bar(norm_path: Float[ArrayLike, "... N"], *, oracle_norm: float) -> Float[Array, "... N"]:
    """alpha_bar_n = arccos(||dw_n|| / ||dw*||) for each n (Ji & Zhu 2020, Eq. 9), clipped to [0, pi/2]."""
    path = check_array(norm_path, "norm_path", min_ndim=1)
    check_range(path, "norm_path", low=0.0)
    check_range(oracle_norm, "oracle_norm", low=0.0, low_open=True)
    return jnp.arccos(jnp.clip(path / oracle_norm, 0.0, 1.0))


def ntk_risk_bound(p: ReverseCdf, alpha_bar_n: Float[ArrayLike, "..."]) -> Float[Array, "..."]:
    """Thm 1 of Ji & Zhu (2020): R_n <= p(pi/2 - alpha_bar_n) (Eq. 7, S3).

    Args:
      p: the reverse angle cdf of Eq. 6, a callable or a tabulated ``(theta, values)`` (a
        tabulated curve is read at the grid angle below, so the bound stays conservative).
      alpha_bar_n: angles between dw_n and dw*, any shape, in [0, pi/2].
    """
    a = check_array(alpha_bar_n, "alpha_bar_n")
    check_range(a, "alpha_bar_n", low=0.0, high=jnp.pi / 2 + 1e-12)
    f = as_reverse_cdf(p)
    return f(jnp.clip(jnp.pi / 2 - a, 0.0, jnp.pi / 2).ravel()).reshape(a.shape)


def ntk_diagonal(net: Network, x: Float[ArrayLike, "m d"]) -> Float[Array, " m"]:
    """Theta(x_i, x_i) for each row of x, without forming the M x M matrix (Ji & Zhu 2020, supplement S6, Fig. S7)."""
    net = as_network(net)
    x = check_inputs(x, "x")
    return _diag(net, x)


def _diag_impl(net, x):
    return jax.lax.map(lambda r: net.kernel_fn(r[None, :], r[None, :], "ntk")[0, 0], x)


_diag = jax.jit(_diag_impl, static_argnums=0)


def vacuous_threshold(cosines: Float[ArrayLike, " m"]) -> Float[Array, ""]:
    """beta_t = arccos(max |cos alpha_bar|): the sampled p(beta) = 1 on [0, beta_t] (Ji & Zhu 2020, supplement S6).

    When beta_t is near pi/2, p(pi/2 - beta) = 1 wherever p(beta) < 1, and the Phuong-Lampert
    bound min_beta p(beta) + p(pi/2 - beta)^n equals 1 (Ji & Zhu 2020, Sec. 3.2) for every n.
    """
    c = check_array(cosines, "cosines", min_ndim=1)
    return jnp.arccos(jnp.clip(jnp.max(jnp.abs(c)), 0.0, 1.0))
