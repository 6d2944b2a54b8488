"""Teachers: the scanned training loop against a plain Python loop of optax steps; the closed-form
flow teacher against scipy's matrix exponential; snapshots as data_inefficiency targets."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import scipy.linalg

import kdntk
from kdntk.teachers._trained import hard_label_loss

TINY = dataclasses.replace(kdntk.teachers.CPU, depth=2, width=16, batch_size=64, num_epochs=150, learning_rate=1e-2)
STOPS = [0, 2, 5, 6, 150]


def _ground_truth():
    return kdntk.tasks.gaussian_mixture(jax.random.key(0), num_modes=2, width=20.0)


@pytest.fixture(scope="module")
def snaps():
    """One trained teacher serves every test of the module (one compilation of the scan)."""
    return kdntk.teachers.train_teacher(_ground_truth(), jax.random.key(1), config=TINY, stop_epochs=STOPS)


def test_scan_snapshots_match_python_training_loop(snaps):
    gt, key = _ground_truth(), jax.random.key(1)
    # Reference: an independent Python loop, one optax Adam step per epoch on a fresh batch
    # (epoch e uses split(batch_key, num_epochs)[e - 1]); the first 6 epochs are compared.
    net = TINY.network()
    init_key, batch_key = jax.random.split(key)
    params = jax.jit(lambda k: net.init_fn(k, (-1, TINY.input_dim))[1])(init_key)
    opt = optax.adam(TINY.learning_rate, b1=0.9, b2=0.999)
    state = opt.init(params)
    expected = {0: params}

    @jax.jit
    def step(params, state, k):
        x = TINY.input_std * jax.random.normal(k, (TINY.batch_size, TINY.input_dim),
                                               jax.tree_util.tree_leaves(params)[0].dtype)
        y = (gt(x) > 0).astype(x.dtype)
        grads = jax.grad(lambda p: hard_label_loss(net, p, x, y))(params)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    for epoch, k in enumerate(jax.random.split(batch_key, TINY.num_epochs)[:6], start=1):
        params, state = step(params, state, k)
        expected[epoch] = params
    assert np.array_equal(np.asarray(snaps.epochs), STOPS)
    for i, e in enumerate(STOPS[:4]):
        got = jax.tree_util.tree_leaves(jax.tree_util.tree_map(lambda p: p[i], snaps.params))
        for a, b in zip(got, jax.tree_util.tree_leaves(expected[e])):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)


def test_teacher_learns_ground_truth_sign(snaps):
    gt = _ground_truth()
    x = kdntk.tasks.sample_inputs(jax.random.key(3), 2000, dtype=jnp.float32)
    err = kdntk.transfer_risk(gt(x)[None], snaps.logits(x)[jnp.array([0, 4])])
    # Untrained: a random sign pattern; trained (150 epochs): a good classifier. Margins >> SEs.
    assert float(err.risk[1]) < 0.1 and float(err.risk[0] - err.risk[1]) > 10 * float(err.stderr[0])
    # The reduction factor multiplies the logits of every snapshot.
    np.testing.assert_allclose(np.asarray(snaps.teacher(4)(x)), np.asarray(snaps.logits(x)[4]), rtol=1e-6)
    raw = TINY.network().apply_fn(jax.tree_util.tree_map(lambda p: p[4], snaps.params), x)[:, 0]
    np.testing.assert_allclose(np.asarray(snaps.teacher(4)(x)), TINY.reduction * np.asarray(raw), rtol=1e-6)


def test_flow_teacher_matches_matrix_exponential():
    net = kdntk.mlp(2)
    x = kdntk.tasks.sample_inputs(jax.random.key(4), 12)
    xt = kdntk.tasks.sample_inputs(jax.random.key(5), 5)
    y = np.sign(np.asarray(x[:, 0]))
    theta = np.asarray(kdntk.ntk(net, x))
    kxX = np.asarray(kdntk.ntk(net, xt, x))
    t = np.array([0.01, 0.1])
    teacher = kdntk.teachers.flow_teacher(net, x, y, t, reduction=0.5)
    expected = [0.5 * kxX @ np.linalg.solve(theta, (np.eye(12) - scipy.linalg.expm(-s * theta)) @ y) for s in t]
    np.testing.assert_allclose(np.asarray(teacher(xt)), np.array(expected), rtol=1e-6, atol=1e-9)


def test_snapshot_is_a_data_inefficiency_target_compiled_once(snaps):
    net = kdntk.mlp(2)
    kw = dict(key=jax.random.key(7), num_trials=2, init="zero")
    first = kdntk.ji_zhu.inefficiency_by_epoch(snaps, net, [2, 3], **kw)
    # Oracle: data_inefficiency of each single snapshot (a Teacher pytree: one compilation for
    # both i; Teacher itself is checked against the raw network in the test above).
    assert first.norms.shape == (5, 1, 2, 2)   # (epoch, soft ratio, trial, n)
    for i in (1, 4):
        ref = kdntk.data_inefficiency(snaps.teacher(i), net, [2, 3], **kw)
        np.testing.assert_allclose(np.asarray(first.norms[i]), np.asarray(ref.norms[0]), rtol=1e-10)


def test_train_teacher_rejects_bad_stop_epochs():
    with pytest.raises(ValueError, match="stop_epochs"):
        kdntk.teachers.train_teacher(_ground_truth(), jax.random.key(0), config=TINY, stop_epochs=[3, 2])
    with pytest.raises(ValueError, match="stop_epochs"):
        kdntk.teachers.train_teacher(_ground_truth(), jax.random.key(0), config=TINY, stop_epochs=[151])
