"""Monte-Carlo statistics with standard errors for ratios of means (the delta method).

Data inefficiency is a difference of logarithms of means, ln E[a] - ln E[b], estimated from K
paired trials (a_k, b_k) (the same inputs give both). To first order,

    ln(mean a) - ln(mean b) - (ln E a - ln E b) ~= mean(a / E a - b / E b),

so its standard error is std_k(a_k / mean a - b_k / mean b) / sqrt(K). Pairing cancels most of the
trial-to-trial variation that a and b share, which is why differences along one all-prefix path
are far less noisy than differences of independent runs.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
from jaxtyping import Array, Float

__all__ = ["Estimate", "log_mean_ratio", "log_log_slope"]


class Estimate(NamedTuple):
    """A Monte-Carlo estimate and its standard error (same shapes)."""

    value: Array
    stderr: Array


def log_mean_ratio(a: Float[Array, "... K"], b: Float[Array, "... K"]) -> Estimate:
    """ln(mean a) - ln(mean b) over the last (trial) axis of paired samples, with its stderr."""
    a, b = jnp.broadcast_arrays(jnp.asarray(a), jnp.asarray(b))
    if a.shape[-1] < 2:
        raise ValueError(f"need at least 2 paired trials on the last axis, got shape {a.shape}.")
    ma, mb = a.mean(-1), b.mean(-1)
    rel = a / ma[..., None] - b / mb[..., None]
    return Estimate(jnp.log(ma) - jnp.log(mb), jnp.std(rel, axis=-1, ddof=1) / jnp.sqrt(a.shape[-1]))


def log_log_slope(
    norms_small: Float[Array, "... K"], norms_large: Float[Array, "... K"], n_small: int, n_large: int
) -> Estimate:
    """Average data inefficiency between two sample sizes, with its standard error:

        [ln E||dw_{n_large}|| - ln E||dw_{n_small}||] / [ln n_large - ln n_small],

    the secant of ln E||dw_n|| against ln n, of which I(n) (000 Eq. 10) is the discrete
    derivative. Use it for orderings between tasks: it has a much smaller standard error than
    I(n) at a single n. ``norms_*`` are paired per-trial norms (e.g. ``DataInefficiency.norms``).
    """
    if not 0 < n_small < n_large:
        raise ValueError(f"need 0 < n_small < n_large, got n_small={n_small}, n_large={n_large}.")
    est = log_mean_ratio(norms_large, norms_small)
    scale = 1.0 / (jnp.log(n_large) - jnp.log(n_small))
    return Estimate(est.value * scale, est.stderr * scale)
