"""Early stopping (000 Sec. 4.1, Fig. 4 middle): an earlier-stopped teacher is easier to fit.

Closed-form flow teachers: the squared student norm on the teacher's own inputs is the eigen-sum
sum_k (1 - exp(-t lambda_k))^2 / lambda_k (v_k^T y)^2, increasing in t (independent closed form),
and the paired log-log slope of E||dw_n|| (Monte Carlo, with standard errors) grows with t.
Trained CPU-size teachers do NOT order robustly (docs/early_stopping.md), so they are not tested."""

import jax
import jax.numpy as jnp
import numpy as np

import kdntk


def test_flow_teacher_norm_matches_eigen_sum_and_grows_with_stopping_time():
    net = kdntk.mlp(2)
    x = kdntk.tasks.sample_inputs(jax.random.key(0), 24)
    y = np.sign(np.sin(np.asarray(x[:, 0])))
    times = np.array([0.5, 5.0, 50.0])
    teacher = kdntk.flow_teacher(net, x, y, times)
    theta = np.asarray(kdntk.ntk(net, x))
    norms = np.asarray(kdntk.weight_norm(jnp.asarray(theta), teacher(x)))   # student on the teacher's inputs
    lam, V = np.linalg.eigh(theta)
    proj = V.T @ y
    expected = np.sqrt([np.sum((1 - np.exp(-t * lam)) ** 2 / lam * proj**2) for t in times])
    np.testing.assert_allclose(norms, expected, rtol=1e-6)
    assert np.all(np.diff(norms) > 0)


def test_earlier_stopped_flow_teacher_has_lower_inefficiency_slope():
    """Fig. 4 middle with closed-form teachers: kernel regression (L = 5 NTK) on the +-1 labels of a
    Gaussian mixture, stopped at t = 1e-3 and t = 10; student mlp(3), rho = 1, init zero. The slope
    of ln E||dw_n|| between n = 16 and 96, paired by trial, is the low-noise form of I(n).
    Measured (40 trials): t = 1e-3: 0.020 +- 0.001, t = 0.1: 0.153 +- 0.007, t = 10: 0.338 +- 0.019;
    paired difference (10 vs 1e-3) 0.32 +- 0.02. The test uses n = 12 and 64, 10 trials."""
    gt = kdntk.tasks.gaussian_mixture(jax.random.key(0), num_modes=4)
    x = kdntk.tasks.sample_inputs(jax.random.key(1), 256)
    y = jnp.where(gt(x) > 0, 1.0, -1.0)
    slopes = []
    for t in (1e-3, 10.0):
        teacher = kdntk.flow_teacher(kdntk.mlp(5), x, y, t)
        res = kdntk.data_inefficiency(teacher, kdntk.mlp(3), [12, 64], key=jax.random.key(3),
                                      num_trials=10, init="zero")
        slopes.append(np.log(np.asarray(res.norms)[:, 1] / np.asarray(res.norms)[:, 0]) / np.log(64 / 12))
    diff = slopes[1] - slopes[0]
    assert diff.mean() > 5 * diff.std(ddof=1) / np.sqrt(diff.size), (np.mean(slopes, 1), diff.mean())
