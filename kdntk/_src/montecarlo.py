"""Monte-Carlo statistics with standard errors for ratios of means (the delta method).

Data inefficiency is a difference of logarithms of means, ln E[a] - ln E[b], estimated from K
paired trials (a_k, b_k) (the same inputs give both). To first order,

    ln(mean a) - ln(mean b) - (ln E a - ln E b) ~= mean(a / E a - b / E b),

so its standard error is std_k(a_k / mean a - b_k / mean b) / sqrt(K). Pairing cancels most of the
trial-to-trial variation that a and b share, which is why differences along one all-prefix path
are far less noisy than differences of independent runs.

``windowed_slope`` applies the same first-order expansion to a least-squares slope of
ln(mean ||dw_j||) over a window of sizes j (a linear combination of logarithms of means): the
low-variance estimator of data inefficiency I(n) (docs/inefficiency.md).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from kdntk._src.checks import check_array, check_range

__all__ = ["Estimate", "log_mean_ratio", "log_log_slope", "WINDOW", "window_bounds",
           "window_coefficients", "windowed_slope"]

WINDOW = math.sqrt(2.0)
"""The default window w of ``windowed_slope``: sizes j in [n / w, (n + 1) w]."""


class Estimate(NamedTuple):
    """A Monte-Carlo estimate and its standard error (same shapes)."""

    value: Array
    stderr: Array


def _paired(a, b, names=("a", "b")):
    """Paired positive samples (..., K), K >= 2, finite and non-negative, broadcast together."""
    a = check_array(a, names[0], min_ndim=1)
    b = check_array(b, names[1], min_ndim=1)
    for v, name in ((a, names[0]), (b, names[1])):
        check_range(v, name, low=0.0)
        if v.shape[-1] < 2:
            raise ValueError(f"{name} needs at least 2 paired trials on its last axis, got shape {v.shape}.")
    try:
        return jnp.broadcast_arrays(a, b)
    except ValueError:
        raise ValueError(f"{names[0]} {a.shape} and {names[1]} {b.shape} must broadcast against each "
                         "other (paired trials on the last axis).") from None


def log_mean_ratio(a: Float[Array, "... K"], b: Float[Array, "... K"]) -> Estimate:
    """ln(mean a) - ln(mean b) over the last (trial) axis of paired samples, with its stderr.

    Raises:
      ValueError: NaN, inf or negative samples, fewer than 2 trials, shapes that do not
        broadcast (concrete arguments; a zero mean gives -inf or inf).
    """
    a, b = _paired(a, b)
    ma, mb = a.mean(-1), b.mean(-1)
    rel = a / ma[..., None] - b / mb[..., None]
    return Estimate(jnp.log(ma) - jnp.log(mb), jnp.std(rel, axis=-1, ddof=1) / jnp.sqrt(a.shape[-1]))


def log_log_slope(
    norms_small: Float[Array, "... K"], norms_large: Float[Array, "... K"], n_small: int, n_large: int
) -> Estimate:
    """Average data inefficiency between two sample sizes, with its standard error:

        [ln E||dw_{n_large}|| - ln E||dw_{n_small}||] / [ln n_large - ln n_small],

    the secant of ln E||dw_n|| against ln n, of which I(n) (Ji & Zhu 2020, Eq. 10) is the discrete
    derivative. Use it for orderings between tasks: it has a much smaller standard error than
    I(n) at a single n. ``norms_*`` are paired per-trial norms (e.g. ``DataInefficiency.norms``).
    """
    if not 0 < n_small < n_large:
        raise ValueError(f"need 0 < n_small < n_large, got n_small={n_small}, n_large={n_large}.")
    norms_large, norms_small = _paired(norms_large, norms_small, ("norms_large", "norms_small"))
    est = log_mean_ratio(norms_large, norms_small)
    scale = 1.0 / (jnp.log(n_large) - jnp.log(n_small))
    return Estimate(est.value * scale, est.stderr * scale)


def _check_window(window) -> float:
    w = float(window)
    if not (math.isfinite(w) and w >= 1.0):
        raise ValueError(f"window must be a finite number >= 1 (1 gives Definition 1's one-step "
                         f"difference; the default is sqrt 2), got {window!r}.")
    return w


def _check_sizes(sizes) -> np.ndarray:
    try:
        n = np.asarray(sizes)
    except Exception:   # a traced array: the windows' lengths are shapes
        raise TypeError("sizes must be concrete (numpy or a Python sequence): the windows' "
                        "lengths depend on them.") from None
    if n.ndim != 1 or n.size == 0 or n.dtype.kind not in "iu" or n.min() < 1:
        raise ValueError(f"sizes must be a non-empty 1-D array of positive integers, got {sizes!r}.")
    return n.astype(np.int64)


def window_bounds(sizes, *, window: float = WINDOW) -> np.ndarray:
    """First and last sample size of each window J(n) = {j integer : n / w <= j <= (n + 1) w}.

    J(n) always holds n and n + 1 (Definition 1's pair); w = 1 gives exactly {n, n + 1}. The
    window is centred on that pair in ln n: sqrt(first * last) ~ n + 1/2.

    Args:
      sizes: n, 1-D positive integers (concrete), shape (S,).
      window: w >= 1.

    Returns:
      int64 numpy array (S, 2) of [first, last]; the path must hold ||dw_j|| up to max(last).

    Example:
      >>> from kdntk._src.montecarlo import window_bounds
      >>> window_bounds([1, 3, 16, 128]).tolist()
      [[1, 2], [3, 5], [12, 24], [91, 182]]
    """
    n, w = _check_sizes(sizes), _check_window(window)
    eps = 1e-9   # n / w and (n + 1) w that are integers up to rounding stay in the window
    lo = np.minimum(np.ceil(n / w - eps), n).astype(np.int64)
    hi = np.maximum(np.floor((n + 1) * w + eps), n + 1).astype(np.int64)
    return np.stack([lo, hi], axis=-1)


def window_coefficients(sizes, num_points: int, *, window: float = WINDOW) -> np.ndarray:
    """Least-squares slope weights c (S, N): slope(n) = sum_j c[n, j] y_j for y_j = ln E||dw_j||.

    The regressor is the harmonic number x_j = H_{j-1} = sum_{i<j} 1/i, for which Definition 1's
    I(n) = n [y_{n+1} - y_n] = (y_{n+1} - y_n) / (x_{n+1} - x_n) is exactly the one-step secant
    (Ji & Zhu 2020, Eq. 10); so (x_j ~ ln j + 0.577 - 1/(2j)) the slope is a d y / d ln n, and
    over J(n) = [n / w, (n + 1) w] (``window_bounds``) truncated to j <= N,

        c[n, j] = (x_j - xbar) / sum_{i in J}(x_i - xbar)^2   for j in J(n), else 0.

    The slope is then a weighted average of Definition 1's one-step values I(i), i in J minus
    its last point, with positive weights summing to 1 (docs/inefficiency.md).

    Args:
      sizes: n, 1-D positive integers (concrete), shape (S,).
      num_points: N, the path length (sizes j = 1..N); needs max(n) + 1 <= N. Windows reaching
        past N are truncated there (one-sided towards small j).
      window: w >= 1.

    Returns:
      float64 numpy array (S, N); each row sums to 0.

    Raises:
      ValueError: a bad size or window, or max(n) + 1 > N.

    Example:
      >>> from kdntk._src.montecarlo import window_coefficients
      >>> window_coefficients([2], 3, window=1.0).round(6).tolist()   # Definition 1: 2 (y_3 - y_2)
      [[0.0, -2.0, 2.0]]
    """
    n = _check_sizes(sizes)
    if int(n.max()) + 1 > num_points:
        raise ValueError(f"the paths hold N = {num_points} sizes; I(n) needs n + 1 <= N, got "
                         f"max(sizes) = {int(n.max())}.")
    bounds = np.minimum(window_bounds(n, window=window), num_points)
    x = np.concatenate([[0.0], np.cumsum(1.0 / np.arange(1, num_points))])   # H_{j-1}, j = 1..N
    c = np.zeros((n.size, num_points))
    for s, (lo, hi) in enumerate(bounds):
        xs = x[lo - 1:hi]
        dev = xs - xs.mean()
        c[s, lo - 1:hi] = dev / np.sum(dev * dev)
    return c


def windowed_slope(
    paths: Float[Array, "... K N"], sizes, *, window: float = WINDOW
) -> Estimate:
    """Data inefficiency I(n) from every prefix norm near n, with its delta-method standard error.

    The least-squares slope of y_j = ln mean_k ||dw_j||_k against x_j = H_{j-1} (~ ln j) over
    the sizes j in J(n) = [n / w, (n + 1) w] (``window_coefficients``, weights c_j):

        slope(n) = sum_{j in J(n)} c_j ln m_j,     m_j = mean_k paths[..., k, j - 1].

    In expectation it is a positively weighted average of Definition 1's I(i) = i [ln E||dw_{i+1}||
    - ln E||dw_i||] over the window (Ji & Zhu 2020, Eq. 10), and w = 1 gives Definition 1
    itself. To first order slope - E slope = mean_k u_k with u_k = sum_j c_j ||dw_j||_k / m_j, so

        stderr(n) = std_k(u_k) / sqrt(K).

    Args:
      paths: ||dw_j|| for j = 1..N (last axis) of K paired trials (axis -2), e.g. the all-prefix
        output of [`kdntk.weight_norm_path`][kdntk.weight_norm_path]; positive.
      sizes: n, 1-D positive integers (concrete), with max(n) + 1 <= N.
      window: w >= 1 (default sqrt 2). Windows are cut at j = N (one-sided there); at the small
        end J(n) holds n and n + 1 always (for n = 1, exactly Definition 1's pair).

    Returns:
      [`Estimate`][kdntk.Estimate] of shape (..., S).

    Raises:
      ValueError: fewer than 2 trials, a bad size or window, or max(n) + 1 > N.

    Example:
      >>> import jax.numpy as jnp
      >>> from kdntk._src.montecarlo import windowed_slope
      >>> j = jnp.arange(1.0, 41.0)
      >>> paths = jnp.stack([j ** 0.5, 2 * j ** 0.5])          # 2 trials, E||dw_j|| ~ j^(1/2)
      >>> est = windowed_slope(paths, [8, 16, 24])
      >>> [round(float(v), 3) for v in est.value], bool(est.stderr.max() < 1e-4)
      ([0.471, 0.485, 0.49], True)

    (Definition 1 gives 0.5 n ln(1 + 1/n) = 0.471, 0.485, 0.490 for j^(1/2); the two trials
    differ only by a scale, which cancels, so the standard error is 0.)
    """
    paths = check_array(paths, "paths", min_ndim=2)
    check_range(paths, "paths", low=0.0)
    if paths.shape[-2] < 2:
        raise ValueError(f"paths must have shape (..., K, N) with K >= 2 trials, got {paths.shape}.")
    c = jnp.asarray(window_coefficients(sizes, paths.shape[-1], window=window), paths.dtype)
    means = paths.mean(-2)                                            # (..., N)
    value = jnp.log(means) @ c.T                                      # (..., S)
    u = (paths / means[..., None, :]) @ c.T                           # (..., K, S)
    return Estimate(value, jnp.std(u, axis=-2, ddof=1) / math.sqrt(paths.shape[-2]))
