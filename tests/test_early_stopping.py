"""Early stopping (000 Sec. 4.1, Fig. 4 middle): an earlier-stopped teacher is easier to fit.

Closed-form flow teachers: the squared student norm on the teacher's own inputs is the eigen-sum
sum_k (1 - exp(-t lambda_k))^2 / lambda_k (v_k^T y)^2, increasing in t (independent closed form),
and the paired log-log slope of E||dw_n|| (Monte Carlo, with standard errors) grows with t.
Trained CPU-size teachers order robustly between a trained-but-early and a late epoch, paired
across epochs and pooled over teacher seeds (docs/early_stopping.md). The sharded sweep of the
teacher analyses equals the one-device run (one subprocess with 4 forced CPU devices)."""

import dataclasses
import json
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kdntk
from _cpu_devices import cpu_devices_env


def test_flow_teacher_norm_matches_eigen_sum_and_grows_with_stopping_time():
    net = kdntk.mlp(2)
    x = kdntk.tasks.sample_inputs(jax.random.key(0), 24)
    y = np.sign(np.sin(np.asarray(x[:, 0])))
    times = np.array([0.5, 5.0, 50.0])
    teacher = kdntk.teachers.flow_teacher(net, x, y, times)
    theta = np.asarray(kdntk.ntk(net, x))
    norms = np.asarray(kdntk.weight_norm(jnp.asarray(theta), teacher(x)))   # student on the teacher's inputs
    lam, V = np.linalg.eigh(theta)
    proj = V.T @ y
    expected = np.sqrt([np.sum((1 - np.exp(-t * lam)) ** 2 / lam * proj**2) for t in times])
    np.testing.assert_allclose(norms, expected, rtol=1e-6)
    assert np.all(np.diff(norms) > 0)


@pytest.mark.slow
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
        teacher = kdntk.teachers.flow_teacher(kdntk.mlp(5), x, y, t)
        res = kdntk.data_inefficiency(teacher, kdntk.mlp(3), [12, 64], key=jax.random.key(3),
                                      num_trials=10, init="zero")
        norms = np.asarray(res.norms[0, 0])                   # (K, S)
        slopes.append(np.log(norms[:, 1] / norms[:, 0]) / np.log(64 / 12))
    diff = slopes[1] - slopes[0]
    assert diff.mean() > 5 * diff.std(ddof=1) / np.sqrt(diff.size), (np.mean(slopes, 1), diff.mean())


@pytest.mark.slow   # a reproduction (3 trained teachers x 40 trials); docs/early_stopping.md
def test_earlier_stopped_trained_teacher_has_lower_inefficiency_slope():
    """Fig. 4 middle with trained teachers (kdntk.teachers.train_teacher, L = 3, m = 32, batch 128,
    lr 1e-2) on a 4-mode mixture, stopped at epochs 16 and 512; student mlp(3), rho = 1, init zero,
    40 trials per teacher, slope of ln E||dw_n|| from n = 16 to 64 paired per trial across epochs
    and pooled over 3 teacher seeds. Measured: per seed z = +5.7 / +4.5 / +5.5 for 512 vs 16
    (adjacent epochs 16 vs 64 are not robust: z = +4.0 / -4.5 / +3.3)."""
    gt = kdntk.tasks.gaussian_mixture(jax.random.key(0), num_modes=4)
    cfg = dataclasses.replace(kdntk.teachers.CPU, width=32, batch_size=128, num_epochs=512)
    diffs = []
    for seed in (2, 5, 7):
        snaps = kdntk.teachers.train_teacher(gt, jax.random.key(seed), config=cfg, stop_epochs=[16, 512])
        res = kdntk.ji_zhu.inefficiency_by_epoch(snaps, kdntk.mlp(3), [16, 64], key=jax.random.key(seed + 10),
                                          num_trials=40, init="zero")
        norms = np.asarray(res.norms[:, 0])                 # (E, K, S)
        slope = np.log(norms[..., 1] / norms[..., 0]) / np.log(4)
        diffs.append(slope[1] - slope[0])
    d = np.concatenate(diffs)
    assert d.mean() > 4 * d.std(ddof=1) / np.sqrt(d.size), (d.mean(), d.std(ddof=1))


SHARDED = textwrap.dedent("""
    import json, dataclasses, jax, jax.numpy as jnp, numpy as np, kdntk
    jax.config.update("jax_enable_x64", True)
    assert len(jax.devices()) == 4
    gt = kdntk.tasks.gaussian_mixture(jax.random.key(0), num_modes=2)
    net, one = kdntk.mlp(2), jax.devices()[:1]
    params = jax.vmap(lambda k: net.init_fn(k, (-1, 2))[1])(jax.random.split(jax.random.key(1), 2))
    snaps = kdntk.teachers.TeacherSnapshots(params, jnp.array([1, 4]), jnp.asarray(0.3), net)  # untrained: cheap
    kw = dict(key=jax.random.key(2), num_trials=6, init="zero")
    ie = [kdntk.ji_zhu.inefficiency_by_epoch(snaps, net, [3, 5], devices=d, **kw).norms for d in (one, None)]
    hc = [kdntk.ji_zhu.hard_label_effect_curve(snaps, gt, net, [3, 5], key=jax.random.key(3), num_trials=5,
                                        devices=d).trial_projection for d in (one, None)]
    print(json.dumps({"ie": np.asarray(ie).tolist(), "hc": np.asarray(hc).tolist()}))
""")


@pytest.mark.slow   # sharding runs in the default suite over 2 processes x 2 devices (test_multihost.py)
def test_teacher_sweeps_sharded_over_4_devices_match_one_device():
    proc = subprocess.run([sys.executable, "-c", SHARDED], capture_output=True, text=True,
                          env=cpu_devices_env(4), timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    ie, hc = np.asarray(out["ie"]), np.asarray(out["hc"])
    assert ie.shape == (2, 2, 1, 6, 2) and hc.shape == (2, 2, 5, 2)   # 5 trials: padded to 8 on 4 devices
    np.testing.assert_allclose(ie[1], ie[0], rtol=1e-12, atol=0)
    np.testing.assert_allclose(hc[1], hc[0], rtol=1e-12, atol=0)


def test_inefficiency_by_epoch_has_a_soft_ratio_axis_and_rejects_a_single_teacher():
    """Epochs and soft ratios share each trial's factorization: the (E, R) grid of one call equals
    a call per soft ratio (paired trials, same key)."""
    net = kdntk.mlp(2)
    shapes = jax.eval_shape(lambda k: net.init_fn(k, (-1, 2))[1], jax.random.key(1))   # 2 random teachers
    rng = np.random.default_rng(1)
    params = jax.tree_util.tree_map(lambda s: jnp.asarray(rng.normal(size=(2, *s.shape))), shapes)
    snaps = kdntk.teachers.TeacherSnapshots(params, jnp.array([1, 4]), jnp.asarray(0.3), net)
    kw = dict(key=jax.random.key(0), num_trials=2, init="zero")
    grid = kdntk.ji_zhu.inefficiency_by_epoch(snaps, net, [2, 3], soft_ratio=[0.5, 1.0], **kw)
    assert grid.norms.shape == (2, 2, 2, 2)
    for r, rho in enumerate((0.5, 1.0)):
        one = kdntk.ji_zhu.inefficiency_by_epoch(snaps, net, [2, 3], soft_ratio=rho, **kw)
        np.testing.assert_allclose(grid.norms[:, r], one.norms[:, 0], rtol=1e-12)
    with pytest.raises(TypeError, match="snapshots"):
        kdntk.ji_zhu.inefficiency_by_epoch(snaps.teacher(0), net, [2], key=jax.random.key(0))


def _tiny_fig4_config():
    small = dataclasses.replace(kdntk.teachers.CPU, depth=2, width=8, batch_size=32, num_epochs=16,
                                learning_rate=1e-2)
    return kdntk.ji_zhu.EarlyStoppingConfig(oracle=small, teacher=small, stop_epochs=(2, 8, 16), student_depth=2,
                                            sample_sizes=(4, 8, 12), num_test=200)


def test_early_stopping_experiment_equals_its_steps_and_paired_slopes():
    """The Fig. 4 pipeline (tiny sizes) against the public calls it is made of (mixture -> oracle
    -> teacher snapshots -> inefficiency_by_epoch), and its slopes and paired steps against the
    per-trial formulas computed here with numpy (delta method over the shared trials)."""
    cfg = _tiny_fig4_config()
    key = jax.random.key(7)
    res = kdntk.ji_zhu.early_stopping_experiment(cfg, key=key, num_seeds=2, num_trials=4, trial_batch=4)
    _, rest = jax.random.split(key)
    k_gt, k_oracle, k_teacher, k_sweep = jax.random.split(jax.random.fold_in(rest, 1), 4)
    truth = kdntk.tasks.gaussian_mixture(k_gt, cfg.num_modes)
    oracle = kdntk.teachers.train_teacher(truth, k_oracle, config=cfg.oracle, stop_epochs=[16]).teacher(0)
    snaps = kdntk.teachers.train_teacher(oracle, k_teacher, config=cfg.teacher, stop_epochs=[2, 8, 16])
    ref = kdntk.ji_zhu.inefficiency_by_epoch(snaps, kdntk.mlp(2), [4, 8, 12], key=k_sweep, num_trials=4,
                                             init="prior", window=1.0, trial_batch=4)
    norms = np.asarray(ref.norms[:, 0])                          # (E, K, S)
    np.testing.assert_allclose(np.asarray(res.norms[1]), norms, rtol=1e-10)
    a, b = norms[..., 1], norms[..., 2]                          # n = 8 and 12
    c = 1 / np.log(12 / 8)
    np.testing.assert_allclose(np.asarray(res.slope[1, :, 1]), c * np.log(b.mean(1) / a.mean(1)), rtol=1e-10)
    u = c * (b / b.mean(1, keepdims=True) - a / a.mean(1, keepdims=True))      # (E, K)
    np.testing.assert_allclose(np.asarray(res.slope_stderr[1, :, 1]), u.std(1, ddof=1) / 2, rtol=1e-10)
    np.testing.assert_allclose(np.asarray(res.step_stderr[1, :, 1]), np.diff(u, axis=0).std(1, ddof=1) / 2,
                               rtol=1e-10)
    z = res.z_scores(2, 16)
    np.testing.assert_allclose(z[1, 1], (res.slope[1, 2, 1] - res.slope[1, 0, 1])
                               / ((u[2] - u[0]).std(ddof=1) / 2), rtol=1e-10)
    assert res.to_dict()["slope"].shape == (2 * 3 * 2,)
    assert res.inputs == ref.inputs == "Gaussian N(0, 5^2 I_2), fresh draws per trial (13 points each)"
    assert set(res.to_dict()["inputs"]) == {res.inputs}
    with pytest.raises(ValueError, match="stop_epochs"):
        dataclasses.replace(cfg, stop_epochs=(8, 4))


@pytest.mark.slow
def test_fig4_pipeline_earlier_stopping_lowers_the_slope_in_every_seed():
    """Ji & Zhu Fig. 4 middle in the paper's pipeline (FIG4_CPU: oracle and teacher L = 5, m = 64,
    teacher lr 1e-2, r = 0.3, student L = 5, init prior), mixture seeds 0-2, epochs 16 and 256,
    40 paired trials: the slope of ln E||dw_n|| between n = 64 and 256 is larger for the later
    epoch in every seed, beyond 5 SE. Measured with 100 trials (key 4, 5 seeds;
    docs/early_stopping.md): +29.9, +18.2, +14.2, +13.9, +16.6 SE."""
    cfg = dataclasses.replace(kdntk.ji_zhu.FIG4_CPU, stop_epochs=(16, 256), sample_sizes=(64, 256),
                              teacher=dataclasses.replace(kdntk.ji_zhu.FIG4_CPU.teacher, num_epochs=256),
                              num_test=500)
    res = kdntk.ji_zhu.early_stopping_experiment(cfg, key=jax.random.key(4), num_seeds=3, num_trials=40)
    z = res.z_scores(16, 256)[:, 0]
    assert np.all(z > 5), z
