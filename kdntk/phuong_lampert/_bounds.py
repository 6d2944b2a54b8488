"""Transfer-risk bounds of linear distillation (Phuong & Lampert 2019, Phuong & Lampert (2019), Thm 3, Cor. 1-2, Thm D.1).

For the distilled linear student w_hat = P_X w* and n < d, for every beta in [0, pi/2]

    E_X R(h_X) <= p(beta) + p(pi/2 - beta)^n                              (Thm 3, Eq. 19)
    E_X R(h_X) <= p(beta) + (1 - p(beta)) p(pi/2 - beta)^n                (end of its proof)

and E_X R = 0 for n >= d (Eq. 18). Special cases: a margin (p(beta) = 0, gamma = p(pi/2 - beta))
gives gamma^n (Cor. 1); p(theta) <= c (1 - 2 theta / pi)^kappa gives c (1 + (log n)^kappa) / n^kappa
(Cor. 2, proved here for c = 1, docs/phuong_lampert.md). A student within epsilon of w_hat pays
delta = sqrt(2 pi epsilon / ||w_hat||) of angle: p(beta) + p(pi/2 - delta - beta)^n (Thm D.1).

``p`` is either a callable (vectorized over an array of angles) or a tabulated curve
``(theta, values)`` with increasing theta covering [0, pi/2]; a tabulated p is evaluated
conservatively, at the nearest grid angle below (p is non-increasing), so an empirical curve
gives a bound on the bound.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from kdntk._src.checks import broadcast_named, check_array, check_integer, check_range
from kdntk._src.angles import ReverseCdf, as_reverse_cdf, check_pair, unsigned_angle

NUM_BETA = 4097
"""Grid points on [0, pi/2] for the minimization over beta when p is a callable."""

__all__ = [
    "risk_bound",
    "risk_bound_curve",
    "margin_bound",
    "polynomial_bound",
    "approximate_distillation_bound",
    "monotonicity_index",
]


def risk_bound_curve(
    p: ReverseCdf, beta: Float[ArrayLike, " k"], n: Float[ArrayLike, "..."], *, tight: bool = False
) -> Float[Array, "... k"]:
    """Thm 3's right-hand side at each beta: p(beta) + [1 - p(beta)] p(pi/2 - beta)^n (Eq. 19).

    ``tight=False`` drops the factor 1 - p(beta) (Eq. 19 as stated); ``tight=True`` keeps it (the
    last line of the proof). ``n`` broadcasts as leading axes.
    """
    f = as_reverse_cdf(p)
    beta = check_array(beta, "beta", ndim=1)
    check_range(beta, "beta", low=0.0, high=jnp.pi / 2 + 1e-12)
    n = _sizes(n, beta.dtype)
    pb, pc = f(beta), f(jnp.pi / 2 - beta)
    tail = pc[None, :] ** n.reshape(-1, 1)
    weight = (1.0 - pb) if tight else jnp.ones_like(pb)
    out = pb[None, :] + weight[None, :] * tail
    return jnp.minimum(out, 1.0).reshape(n.shape + beta.shape)


def risk_bound(
    p: ReverseCdf,
    n: Float[ArrayLike, "..."],
    *,
    dim: int | None = None,
    tight: bool = False,
    num_beta: int = NUM_BETA,
) -> Float[Array, "..."]:
    """min over beta in [0, pi/2] of Thm 3's bound on the expected transfer risk (Phuong & Lampert 2019, Eq. 18-19).

    Args:
      p: the task's reverse angle cdf p(theta) (Eq. 17): a vectorized callable, e.g.
        ``functools.partial(kdntk.phuong_lampert.isotropic_reverse_angle_cdf, dim=d)``, or ``(theta, values)``.
      n: transfer-set size(s), any shape.
      dim: input dimension d; where given, n >= d gives 0 (Eq. 18).
      tight: use p(beta) + (1 - p(beta)) p(pi/2 - beta)^n (never larger).
      num_beta: grid size for beta (a tabulated p also uses its own grid angles).

    Returns:
      The bound, shape of ``n``, in [0, 1].

    Raises:
      ValueError: malformed p, negative n.

    Example:
      >>> import kdntk, functools
      >>> p = functools.partial(kdntk.tasks.kappa_reverse_cdf, kappa=1.0)
      >>> round(float(kdntk.phuong_lampert.risk_bound(p, 100)), 3)
      0.055
    """
    num_beta = check_integer(num_beta, "num_beta", low=2)
    beta = jnp.linspace(0.0, jnp.pi / 2, num_beta)
    if not callable(p):
        as_reverse_cdf(p)
        grid = jnp.asarray(p[0], beta.dtype)
        beta = jnp.unique(jnp.clip(jnp.concatenate([beta, grid, jnp.pi / 2 - grid]), 0.0, jnp.pi / 2))
    n_arr = _sizes(n, beta.dtype)
    out = jnp.min(risk_bound_curve(p, beta, n_arr, tight=tight), axis=-1)
    if dim is not None:
        out = jnp.where(n_arr >= dim, 0.0, out)
    return out


def _sizes(n, dtype=None, name="n", low=0.0):
    """Transfer-set sizes n: finite, >= ``low``, any shape (non-empty)."""
    n = check_array(n, name, dtype=dtype)
    check_range(n, name, low=low)
    return n


def margin_bound(gamma: Float[ArrayLike, "..."], n: Float[ArrayLike, "..."]) -> Float[Array, "..."]:
    """Corollary 1: gamma^n, if p(beta) = 0 and gamma = p(pi/2 - beta) < 1 for some beta (Eq. 20)."""
    gamma = check_array(gamma, "gamma")
    check_range(gamma, "gamma", low=0.0, high=1.0)
    gamma, n = broadcast_named(gamma=gamma, n=_sizes(n))
    return gamma ** n


def polynomial_bound(kappa: Float[ArrayLike, "..."], n: Float[ArrayLike, "..."], *, c: float = 1.0) -> Array:
    """Corollary 2: c (1 + (log n)^kappa) / n^kappa if p(theta) <= c (1 - 2 theta / pi)^kappa (Eq. 21).

    The proof (Eq. 22-23) takes 2 beta / pi = n^(-1/n); for c = 1 every step holds (docs). For
    c > 1 the second term of Eq. 22 carries c^n, not c, so kdntk only guarantees c <= 1.

    Raises:
      ValueError: kappa < 0, n < 1, or c outside (0, 1].
    """
    kappa = check_array(kappa, "kappa")
    check_range(kappa, "kappa", low=0.0)
    n = _sizes(n, low=1.0)
    check_range(c, "c", low=0.0, high=1.0, low_open=True)
    kappa, n = broadcast_named(kappa=kappa, n=n)
    return c * (1.0 + jnp.log(n) ** kappa) / n**kappa


def approximate_distillation_bound(
    p: ReverseCdf,
    n: Float[ArrayLike, "..."],
    *,
    epsilon: float,
    w_hat_norm: float,
    num_beta: int = NUM_BETA,
) -> Float[Array, "..."]:
    """Thm D.1: min over beta in [0, pi/2 - delta] of p(beta) + p(pi/2 - delta - beta)^n (Eq. 78).

    For a student w_eps with ||w_eps - w_hat|| <= epsilon <= ||w_hat|| / 2, with
    delta = sqrt(2 pi epsilon / ||w_hat||) (Lemma D.1); epsilon = 0 recovers Thm 3. n < d assumed.

    Raises:
      ValueError: epsilon < 0, epsilon > ||w_hat|| / 2, or delta > pi/2.
    """
    check_range(w_hat_norm, "w_hat_norm", low=0.0, low_open=True, finite=True)
    check_range(epsilon, "epsilon", low=0.0, high=0.5 * float(w_hat_norm))
    num_beta = check_integer(num_beta, "num_beta", low=2)
    delta = float(np.sqrt(2 * np.pi * epsilon / float(w_hat_norm)))
    if delta > np.pi / 2:
        raise ValueError(f"epsilon gives delta = {delta:.3f} > pi/2: the bound is void.")
    f = as_reverse_cdf(p)
    beta = jnp.linspace(0.0, jnp.pi / 2 - delta, num_beta)
    n = _sizes(n, beta.dtype)
    vals = f(beta)[None, :] + f(jnp.pi / 2 - delta - beta)[None, :] ** n.reshape(-1, 1)
    return jnp.minimum(jnp.min(vals, axis=-1), 1.0).reshape(n.shape)


def monotonicity_index(
    w_star: Float[ArrayLike, " d"],
    w_before: Float[ArrayLike, "k d"],
    w_after: Float[ArrayLike, "k d"],
) -> tuple[Array, Array]:
    """Monotonicity index m = P[alpha_bar(w*, w([X, x])) < alpha_bar(w*, w(X))] (Phuong & Lampert 2019, Eq. 34).

    Args:
      w_star: teacher, (d,).
      w_before: a learner's weights on K transfer sets X, (K, d).
      w_after: the same learner's weights after adding one fresh x to each set, (K, d).

    Returns:
      (m, its binomial standard error sqrt(m (1 - m) / K)).
    """
    w_before = check_array(w_before, "w_before", ndim=2, runtime=True)
    w_after = check_array(w_after, "w_after", ndim=2, runtime=True)
    if w_before.shape != w_after.shape:
        raise ValueError(f"w_before and w_after must both be (K, d), got {w_before.shape}, {w_after.shape}.")
    ws = check_array(w_star, "w_star", ndim=1, dtype=w_before.dtype, runtime=True)
    check_pair(ws, w_before, ("w_star", "w_before"))
    ws = ws[None, :]
    better = unsigned_angle(w_after, ws) < unsigned_angle(w_before, ws)
    m = jnp.mean(better.astype(jnp.result_type(w_before.dtype, float)))
    return m, jnp.sqrt(m * (1 - m) / w_before.shape[0])
