"""Multi-class (softmax) distillation through the sweeps (issue 13, section 1): a target with C
logits means C classes. Oracles: the binary sweeps (C = 2 with logits (z, 0)), a numpy loop of
separate solves per n and class with the numpy arccos kernel and the public softmax effective
logits, and an explicit top-1 count."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kdntk
from _oracles import relu_kernels

GM = kdntk.tasks.gaussian_mixture(jax.random.key(0), num_modes=3)
W = jax.random.normal(jax.random.key(4), (2, 4))


def three_class(x):
    return 2.0 * jnp.tanh(x @ W[:, :3] / 5.0)


def test_two_classes_with_logits_z_and_0_are_the_binary_sweeps():
    """Softmax over (z, 0) is the sigmoid: the centred effective logits are (z_eff, -z_eff) / 2,
    so ||dw_n|| is the binary one over sqrt 2, I(n) (scale-free) and the risks are equal."""
    two = lambda x: jnp.stack([GM(x), jnp.zeros(x.shape[0])], -1)   # noqa: E731
    kw = dict(key=jax.random.key(1), num_trials=4, soft_ratio=[1.0, 0.5], temperature=2.0, init="zero",
              window=1.0)
    b = kdntk.data_inefficiency(GM, kdntk.mlp(2), [4, 8], **kw)
    m = kdntk.data_inefficiency(two, kdntk.mlp(2), [4, 8], **kw)
    np.testing.assert_allclose(m.norms, b.norms / np.sqrt(2.0), rtol=1e-10)
    np.testing.assert_allclose(m.inefficiency, b.inefficiency, rtol=1e-9, atol=1e-12)
    kw = dict(key=jax.random.key(2), num_trials=3, num_test=40, soft_ratio=0.5, temperature=2.0)
    r1 = kdntk.transfer_risk_curve(GM, kdntk.mlp(2), [4, 8], **kw)
    r2 = kdntk.transfer_risk_curve(two, kdntk.mlp(2), [4, 8], **kw)
    np.testing.assert_array_equal(r2.trial_risk, r1.trial_risk)
    np.testing.assert_array_equal(r2.trial_error, r1.trial_error)


@pytest.fixture(scope="module")
def three_class_run():
    x = kdntk.trial_inputs(jax.random.key(3), 3, 9)
    labels = lambda v: jnp.argmax(v @ W[:, 1:], axis=-1)   # noqa: E731  (ground truth: integer classes)
    res = kdntk.data_inefficiency(three_class, kdntk.mlp(2), [2, 5, 8], key=jax.random.key(3), num_trials=3,
                                  labels=labels, soft_ratio=[0.3, 1.0], temperature=4.0, init="prior",
                                  window=1.0, inputs=x)
    return res, x, labels


def test_multiclass_norms_match_numpy_solves_per_n_and_class(three_class_run):
    """||dw_n||^2 = sum_c dz_c[:n]^T Theta_n^-1 dz_c[:n] with dz = z_eff - z0, z_eff from the public
    kdntk.softmax_effective_logits with z0's class means, z0 the sweep's prior draw (C independent
    NNGP samples from the init key), Theta from the numpy arccos recursion."""
    res, xs, labels = three_class_run
    from kdntk._src.engine import trial_keys

    _, init_keys = trial_keys(jax.random.key(3), 3)
    for k, x in enumerate(np.asarray(xs)):
        theta, nngp = relu_kernels(x, x, 2)
        nngp = nngp + np.diag(1e-10 * np.diag(nngp))               # the prior's documented jitter
        g = np.asarray(jax.random.normal(init_keys[k], (9, 3)))
        z0 = np.linalg.cholesky(nngp) @ g
        z_t = np.asarray(three_class(jnp.asarray(x)))
        y = np.eye(3)[np.asarray(labels(jnp.asarray(x)))]
        for r, rho in enumerate((0.3, 1.0)):
            z_eff = np.asarray(kdntk.softmax_effective_logits(z_t, y, soft_ratio=rho, temperature=4.0, z0=z0))
            dz = z_eff - z0
            for j, n in enumerate((2, 5, 8)):
                sq = sum(dz[:n, c] @ np.linalg.solve(theta[:n, :n], dz[:n, c]) for c in range(3))
                np.testing.assert_allclose(res.norms[0, r, k, j], np.sqrt(sq), rtol=1e-7)


def test_integer_and_one_hot_labels_agree_and_bad_labels_raise(three_class_run):
    res, xs, labels = three_class_run
    one_hot = lambda v: jax.nn.one_hot(labels(v), 3)   # noqa: E731
    again = kdntk.data_inefficiency(three_class, kdntk.mlp(2), [2, 5, 8], key=jax.random.key(3), num_trials=3,
                                    labels=one_hot, soft_ratio=[0.3, 1.0], temperature=4.0, init="prior",
                                    window=1.0, inputs=xs)
    np.testing.assert_array_equal(again.norms, res.norms)
    for bad, match in ((lambda v: labels(v) + 3, "labels"), (lambda v: 0.5 * one_hot(v), "labels"),
                       (lambda v: jnp.ones((v.shape[0], 2)) / 2, "classes")):
        with pytest.raises(ValueError, match=match):
            kdntk.data_inefficiency(three_class, kdntk.mlp(2), [2], key=jax.random.key(3), num_trials=2,
                                    labels=bad, init="zero")


def test_network_init_needs_a_student_with_the_targets_logits():
    with pytest.raises(ValueError, match="Dense"):
        kdntk.data_inefficiency(three_class, kdntk.mlp(2), [2], key=jax.random.key(0), num_trials=2,
                                init="network")
    student = kdntk.stax.serial(kdntk.stax.Dense(64), kdntk.stax.Relu(), kdntk.stax.Dense(3))
    res = kdntk.data_inefficiency(three_class, student, [2, 4], key=jax.random.key(0), num_trials=2,
                                  init="network")
    assert res.norms.shape == (1, 1, 2, 2) and np.all(np.isfinite(res.norms))


def test_multiclass_transfer_risk_counts_top1_disagreements():
    """Brute force: the linearized student's test logits per class from numpy solves, argmax
    against the teacher's and the ground truth's argmax."""
    net, sizes, k, m = kdntk.mlp(2), [3, 6], 2, 25
    truth = lambda v: v @ W[:, 1:]   # noqa: E731
    res = kdntk.transfer_risk_curve(three_class, net, sizes, key=jax.random.key(7), num_trials=k, num_test=m,
                                    ground_truth=truth, soft_ratio=0.5, temperature=2.0, init="zero")
    for t, x in enumerate(np.asarray(kdntk.trial_inputs(jax.random.key(7), k, 6 + m))):
        theta, _ = relu_kernels(x[:6], x[:6], 2)
        kxX, _ = relu_kernels(x[6:], x[:6], 2)
        z_t = np.asarray(three_class(jnp.asarray(x)))
        y = np.eye(3)[z_t[:6].argmax(-1)]
        z_eff = np.asarray(kdntk.softmax_effective_logits(z_t[:6], y, soft_ratio=0.5, temperature=2.0))
        for j, n in enumerate(sizes):
            z_s = kxX[:, :n] @ np.linalg.solve(theta[:n, :n], z_eff[:n])
            assert res.trial_risk[0, 0, t, j] == pytest.approx(np.mean(z_s.argmax(-1) != z_t[6:].argmax(-1)))
            truth_cls = np.asarray(truth(jnp.asarray(x[6:]))).argmax(-1)
            assert res.trial_error[0, 0, t, j] == pytest.approx(np.mean(z_s.argmax(-1) != truth_cls))


def oracle3(x):
    return 2.0 * jnp.tanh(x @ W[:, 1:] / 5.0)


def test_hard_label_curve_with_two_classes_z_and_0_is_the_binary_curve():
    """Softmax over (z, 0): the centred dz are (dz, -dz) / 2, so every Theta-inner product of
    Theorem 2 is half the binary one: the projection halves and the derivative (a ratio) is equal."""
    two = lambda f: (lambda x: jnp.stack([f(x), jnp.zeros(x.shape[0])], -1))   # noqa: E731
    teacher = lambda x: 0.7 * GM(x) + 0.3   # noqa: E731
    kw = dict(key=jax.random.key(3), num_trials=3, temperature=2.0)
    b = kdntk.ji_zhu.hard_label_effect_curve(teacher, GM, kdntk.mlp(2), [3, 6], **kw)
    m = kdntk.ji_zhu.hard_label_effect_curve(two(teacher), two(GM), kdntk.mlp(2), [3, 6], **kw)
    np.testing.assert_allclose(m.trial_derivative, b.trial_derivative, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(m.trial_projection, b.trial_projection / 2, rtol=1e-9, atol=1e-12)


def test_hard_label_curve_with_three_classes_is_the_rho_derivative_of_the_softmax_cosine():
    """Oracle: cos alpha(dw_s(rho), dw_g) from the public softmax effective logits and scipy solves
    on the trial's inputs, differentiated in 1 - rho at rho = 1 by a one-sided second-order finite
    difference (step 1e-4)."""
    import scipy.linalg

    x = 5.0 * jax.random.normal(jax.random.key(8), (2, 7, 2))
    res = kdntk.ji_zhu.hard_label_effect_curve(three_class, oracle3, kdntk.mlp(2), [7], key=jax.random.key(0),
                                               num_trials=2, temperature=2.0, inputs=x)
    xs = x[0]
    theta = np.asarray(kdntk.ntk(kdntk.mlp(2), xs, xs))
    factor = scipy.linalg.cho_factor(theta, lower=True)
    z_t, z_g = three_class(xs), oracle3(xs)
    y_g = jax.nn.one_hot(jnp.argmax(z_g, -1), 3, dtype=xs.dtype)
    dz_g = np.asarray(z_g - z_g.mean(-1, keepdims=True))

    def cosine(rho):
        dz = np.asarray(kdntk.softmax_effective_logits(z_t, y_g, soft_ratio=rho, temperature=2.0))
        inner = lambda a, b: np.sum(a * scipy.linalg.cho_solve(factor, b))   # noqa: E731
        return inner(dz_g, dz) / np.sqrt(inner(dz_g, dz_g) * inner(dz, dz))

    h = 1e-4
    fd = (-3 * cosine(1.0) + 4 * cosine(1 - h) - cosine(1 - 2 * h)) / (2 * h)
    np.testing.assert_allclose(res.trial_derivative[0, 0, 0], fd, rtol=1e-5)
