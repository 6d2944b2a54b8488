"""The windowed estimator of data inefficiency (kdntk._src.montecarlo.windowed_slope) against
independent truths: numpy's least-squares fit on brute-force windows, Definition 1 (Ji & Zhu
2020, Eq. 10) at w = 1, bootstrap standard errors, and a closed form of E||dw_n||.

The closed form (derivation in docs/inefficiency.md): a linear kernel Theta = X X^T with inputs
x ~ N(0, sigma^2 I_d) and logit changes dz ~ N(0, s^2 I) independent of X (init zero, random
logits) give ||dw_n||^2 = (s / sigma)^2 chi^2_n / chi^2_{d-n+1} with independent chi-squares, so

    E||dw_n|| = (s / sigma) Gamma((n+1)/2) Gamma((d-n)/2) / [Gamma(n/2) Gamma((d-n+1)/2)],

and Definition 1's I(n) and the windowed slope's limit S_w(n) = sum_j c_j ln E||dw_j|| are exact.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import digamma, gammaln

import kdntk
from kdntk import tasks
from kdntk._src.inefficiency import num_points
from kdntk._src.montecarlo import WINDOW, window_bounds, window_coefficients, windowed_slope

D = 64                            # input dimension of the closed-form case
SIZES = np.array([4, 8, 16, 32])  # N = floor(33 sqrt 2) = 46 < D - 1: every moment used is finite


def _exact_log_mean(j, d=D):
    """ln E||dw_j|| up to the constant ln(s / sigma): the chi / inverse-chi closed form."""
    j = np.asarray(j, float)
    return gammaln((j + 1) / 2) - gammaln(j / 2) + gammaln((d - j) / 2) - gammaln((d - j + 1) / 2)


def _exact_targets(sizes=SIZES, window=WINDOW):
    """(Definition 1's I(n), the windowed slope's limit S_w(n)) from the closed form."""
    n_max = int(window_bounds(sizes, window=window)[:, 1].max())
    y = _exact_log_mean(np.arange(1, n_max + 1))
    return sizes * (y[sizes] - y[sizes - 1]), window_coefficients(sizes, n_max, window=window) @ y


def _numpy_paths(rng, m, n, d=D):
    """||dw_j||, j = 1..n, of m independent trials, by numpy: Theta = X X^T, Cholesky, prefix sums."""
    x, dz = rng.normal(size=(m, n, d)), rng.normal(size=(m, n))
    chol = np.linalg.cholesky(x @ np.swapaxes(x, 1, 2))
    v = np.linalg.solve(chol, dz[..., None])[..., 0]
    return np.sqrt(np.cumsum(v * v, axis=-1))


def test_window_one_is_definition_1():
    """Oracle: Eq. 10 and its paired delta-method standard error written out in numpy."""
    paths = np.exp(np.random.default_rng(0).normal(size=(3, 20, 12)).cumsum(-1) * 0.1)
    sizes = np.array([1, 5, 11])
    est = windowed_slope(paths, sizes, window=1.0)
    a, b = paths[..., sizes - 1], paths[..., sizes]
    ma, mb = a.mean(-2), b.mean(-2)
    rel = b / mb[..., None, :] - a / ma[..., None, :]
    np.testing.assert_allclose(est.value, sizes * (np.log(mb) - np.log(ma)), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(est.stderr, sizes * rel.std(-2, ddof=1) / math.sqrt(20), rtol=1e-12)


@pytest.mark.parametrize("window", [WINDOW, 1.7, 2.0])
def test_windowed_slope_matches_numpy_polyfit_on_brute_force_windows(window):
    """Oracle: np.polyfit of ln(mean) against digamma(j) + Euler's gamma (= H_{j-1}) over the j
    with n / w <= j <= (n + 1) w found by scanning, cut at N."""
    paths = np.exp(np.random.default_rng(1).normal(size=(7, 40)).cumsum(-1) * 0.2)
    sizes = np.array([1, 2, 3, 9, 17, 30, 39])
    est = windowed_slope(paths, sizes, window=window)
    y = np.log(paths.mean(0))
    for n, value in zip(sizes, np.asarray(est.value)):
        j = np.array([j for j in range(1, 41) if n / window <= j + 1e-12 and j <= (n + 1) * window + 1e-12])
        np.testing.assert_allclose(value, np.polyfit(digamma(j) + np.euler_gamma, y[j - 1], 1)[0],
                                   rtol=1e-9, atol=1e-12)


def test_windowed_slope_is_a_weighted_average_of_definition_1_steps():
    """Oracle: the identity OLS slope = sum_i omega_i (dy_i / dx_i), omega_i >= 0, sum 1: for any
    positive sequence the slope lies between the smallest and largest one-step I(i) in its window."""
    rng = np.random.default_rng(2)
    sizes = np.arange(1, 60)
    bounds = window_bounds(sizes)
    for _ in range(20):
        m = np.exp(rng.standard_cauchy(80).cumsum() * 0.05)
        slope = np.asarray(windowed_slope(np.stack([m, m]), sizes).value)
        steps = np.arange(1, 80) * np.diff(np.log(m))           # Definition 1 at i = 1..79
        for s, (lo, hi) in zip(slope, bounds):
            assert steps[lo - 1:hi - 1].min() - 1e-9 <= s <= steps[lo - 1:hi - 1].max() + 1e-9


def test_window_bounds_hold_definition_1_pair_and_center_on_it():
    n = np.arange(1, 2000)
    lo, hi = window_bounds(n).T
    assert np.all(lo <= n) and np.all(hi >= n + 1)
    big = n >= 20   # geometric centre ~ n + 1/2 (up to the integer rounding of the ends)
    np.testing.assert_allclose(np.sqrt(lo * hi)[big] / (n[big] + 0.5), 1.0, atol=1.5 / 20)
    np.testing.assert_array_equal(window_bounds(n, window=1.0), np.stack([n, n + 1], -1))


def test_windowed_slope_stderr_matches_bootstrap():
    """Oracle: 2000 bootstrap resamples of the trials (numpy); the delta method agrees within 10%
    (measured ratios 0.996, 1.004, 1.013, 0.998 at K = 400)."""
    rng = np.random.default_rng(3)
    paths = _numpy_paths(rng, 400, 46)
    sizes = SIZES
    est = windowed_slope(paths, sizes)
    c = window_coefficients(sizes, 46)
    boot = np.stack([np.log(paths[rng.integers(0, 400, 400)].mean(0)) @ c.T for _ in range(2000)])
    np.testing.assert_allclose(np.asarray(est.stderr), boot.std(0, ddof=1), rtol=0.1)


def test_windowed_slope_rejects_bad_arguments():
    paths = jnp.ones((4, 10))
    with pytest.raises(ValueError, match="window"):
        windowed_slope(paths, [3], window=0.9)
    with pytest.raises(ValueError, match="n \\+ 1 <= N"):
        windowed_slope(paths, [10])
    with pytest.raises(ValueError, match="K >= 2"):
        windowed_slope(jnp.ones((1, 10)), [3])
    with pytest.raises(ValueError, match="positive integers"):
        windowed_slope(paths, [0, 3])


@pytest.fixture(scope="module")
def closed_form_run():
    """data_inefficiency end to end on the closed-form case: linear kernel, d = 64, random
    logits, init zero, K = 4000 trials, sizes 4..32 (N = 46)."""
    return kdntk.data_inefficiency(tasks.random_logits(jax.random.key(7)), kdntk.phuong_lampert.linear(),
                                   SIZES, key=jax.random.key(8), num_trials=4000, init="zero",
                                   input_dim=D, trial_batch=1000)


def test_data_inefficiency_converges_to_closed_form(closed_form_run):
    """Both estimators at K = 4000 within 4 standard errors of their exact limits: Definition 1
    -> I(n) = 0.529, 0.571, 0.670, 1.016 and the windowed slope -> S_w(n) at n = 4, 8, 16, 32.
    S_w(n) - I(n) is the window's smoothing bias, exactly 0.001, 0.002, 0.015, 0.065: it grows
    where I(n) curves up towards the interpolation threshold n = d (docs/inefficiency.md).
    Measured z-scores: Definition 1 -0.98, -0.87, 0.34, 0.86; windowed 0.49, -0.99, -0.89, -0.69."""
    res = closed_form_run
    ineff, s_w = _exact_targets()
    z_def1 = (np.asarray(res.inefficiency[0, 0]) - ineff) / np.asarray(res.inefficiency_stderr[0, 0])
    z_slope = (np.asarray(res.slope[0, 0]) - s_w) / np.asarray(res.slope_stderr[0, 0])
    assert np.all(np.abs(z_def1) < 4) and np.all(np.abs(z_slope) < 4), (z_def1, z_slope)
    np.testing.assert_allclose(s_w - ineff, [0.0014, 0.0017, 0.0150, 0.0649], atol=2e-4)
    assert np.asarray(res.window) == WINDOW


def test_windowed_slope_has_lower_standard_error_at_every_n(closed_form_run):
    """The delta-method standard errors of the same K = 4000 trials: the windowed slope's is
    below 0.7 of Definition 1's at every n (measured 0.52, 0.41, 0.29, 0.21 at n = 4..32: the
    window [n / sqrt 2, (n + 1) sqrt 2] holds 5, 7, 13, 24 sizes)."""
    ratio = np.asarray(closed_form_run.slope_stderr / closed_form_run.inefficiency_stderr)[0, 0]
    assert np.all(ratio < 0.7), ratio


def test_data_inefficiency_slope_matches_windowed_slope_of_numpy_paths(closed_form_run):
    """Oracle: the same trials' paths by numpy (the engine's inputs from kdntk.trial_inputs, the
    teacher's logits, Theta = X X^T, Cholesky, prefix sums) fed to windowed_slope."""
    res = closed_form_run
    x = np.asarray(kdntk.trial_inputs(jax.random.key(8), 4000, 46, input_dim=D))
    dz = np.asarray(tasks.random_logits(jax.random.key(7))(jnp.asarray(x.reshape(-1, D)))).reshape(4000, 46)
    chol = np.linalg.cholesky(x @ np.swapaxes(x, 1, 2))
    paths = np.sqrt(np.cumsum(np.linalg.solve(chol, dz[..., None])[..., 0] ** 2, axis=-1))
    est = windowed_slope(paths, SIZES)
    np.testing.assert_allclose(res.norms[0, 0], paths[:, SIZES - 1], rtol=1e-7)
    np.testing.assert_allclose(res.slope[0, 0], est.value, rtol=1e-7)
    np.testing.assert_allclose(res.slope_stderr[0, 0], est.stderr, rtol=1e-6)


def test_num_points_covers_every_window_and_is_capped_by_explicit_inputs():
    """N = the largest window's last size (floor(33 sqrt 2) = 46 for n = 32), at least
    max(n) + 1 (window 1), capped by explicit inputs' points but never below max(n) + 1."""
    sizes = np.array([4, 32])
    assert num_points(sizes, WINDOW) == 46 and num_points(sizes, 1.0) == 33
    assert num_points(sizes, WINDOW, np.zeros((2, 40, 3))) == 40
    assert num_points(sizes, WINDOW, np.zeros((2, 20, 3))) == 33   # the engine then rejects it
    assert num_points(sizes, WINDOW, lambda key, n: None) == 46   # a sampler draws what is asked


def test_windowed_stderr_covers_truth_over_200_independent_runs():
    """Calibration: 200 independent runs of K = 50 trials of the closed-form case (numpy paths);
    at each n the fraction of runs with |slope - S_w(n)| < 1.96 SE must be 0.95 within 4 binomial
    standard errors (0.062). Also, across the same runs, the windowed slope's spread is below
    0.75 of Definition 1's at every n (sampling error of a spread ratio over 200 runs: ~7%).
    Measured coverage 0.94, 0.96, 0.93, 0.955 (Definition 1's own: 0.945, 0.95, 0.915, 0.92);
    spread ratios 0.56, 0.41, 0.29, 0.20 at n = 4, 8, 16, 32."""
    runs, k = 200, 50
    paths = _numpy_paths(np.random.default_rng(6), runs * k, 46).reshape(runs, k, 46)
    ineff, s_w = _exact_targets()
    est, def1 = windowed_slope(paths, SIZES), windowed_slope(paths, SIZES, window=1.0)
    value, se = np.asarray(est.value), np.asarray(est.stderr)
    coverage = np.mean(np.abs(value - s_w) < 1.96 * se, axis=0)
    assert np.all(np.abs(coverage - 0.95) < 4 * math.sqrt(0.95 * 0.05 / runs)), coverage
    spread = value.std(0, ddof=1) / np.asarray(def1.value).std(0, ddof=1)
    assert np.all(spread < 0.75), spread
