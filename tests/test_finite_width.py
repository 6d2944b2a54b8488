"""The finite-width check (issue 13, item 4): real networks trained on the distillation loss from
kdntk's initialization end where the linearized closed form says, up to a gap that shrinks like
1/sqrt(width). Oracles: the network's own trained logits and weights (no kdntk solve involved in
training), and the 1/sqrt(m) law of the lazy regime."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kdntk

X = kdntk.tasks.sample_inputs(jax.random.key(0), 12, dim=3, std=1.0)
XT = kdntk.tasks.sample_inputs(jax.random.key(1), 20, dim=3, std=1.0)


def _check(target, **kw):
    return kdntk.finite_width_check(target, lambda m: kdntk.mlp(1, width=m), X, XT,
                                    key=jax.random.key(2), **kw)


def test_binary_gaps_shrink_like_one_over_sqrt_width():
    """Measured (3 seeds, widths 64..4096, rho = 1, T = 1): slopes -0.41 (test logits) and -0.51
    (||dw||); at m = 4096 the test gap is 1.6% and the norm gap 3.5%."""
    res = _check(lambda v: v[:, 0] - v[:, 1], widths=[64, 4096], num_seeds=2)
    assert np.all(np.asarray(res.steps) < 20000) and np.all(np.asarray(res.train_gap) < 1e-4)
    gap = np.asarray(res.test_gap).mean(1)
    norm = np.asarray(res.norm_gap).mean(1)
    assert gap[1] < 0.05 and norm[1] < 0.1, (gap, norm)
    assert res.slope("test_gap") < -0.25 and res.slope("norm_gap") < -0.25, (res.slope("test_gap"),
                                                                                res.slope("norm_gap"))


def test_multiclass_student_reaches_the_softmax_effective_logits_and_the_closed_form():
    """C = 3 outputs, softmax KD (rho = 1, T = 2): trained logits equal the softmax effective
    logits with z0's class means, and the test logits approach the closed form Theta (x) I_C."""
    w = jax.random.normal(jax.random.key(5), (3, 3))
    res = kdntk.finite_width_check(lambda v: v @ w, lambda m: kdntk.Network(*kdntk.stax.serial(
        kdntk.stax.Dense(m, parameterization="ntk"), kdntk.stax.Relu(),
        kdntk.stax.Dense(3, parameterization="ntk"))), X, XT, widths=[128, 4096],
        key=jax.random.key(3), num_seeds=2, soft_ratio=1.0, temperature=2.0)
    assert np.all(np.asarray(res.train_gap) < 1e-4), res.train_gap
    gap, drift = np.asarray(res.test_gap).mean(1), np.asarray(res.class_mean_gap).mean(1)
    assert gap[1] < 0.1 and gap[1] < gap[0] / 2, gap
    assert drift[1] < drift[0], drift       # the class mean stays put in the limit


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="widths"):
        _check(lambda v: v[:, 0], widths=[0, 8])
    with pytest.raises(ValueError, match="x_train and x_test"):
        kdntk.finite_width_check(lambda v: v[:, 0], lambda m: kdntk.mlp(1, width=m), X, XT[:, :2],
                                 widths=[8], key=jax.random.key(0))
    with pytest.raises(ValueError, match="soft_ratio"):
        _check(lambda v: v[:, 0], widths=[8], soft_ratio=0.0)


def test_singular_kernels_are_reported_not_returned_as_numbers():
    """Duplicate training inputs make the closed-form NTK singular: a KernelError, or (where
    rounding lets the factorization through) a PrecisionWarning from its condition. A width-1
    network has a rank-deficient empirical NTK on 12 inputs (4 parameters): its empirical gaps
    are NaN, with a PrecisionWarning naming the width; the closed-form gaps are finite."""
    with warnings.catch_warnings(), pytest.raises((kdntk.KernelError, kdntk.PrecisionWarning), match="x_train"):
        warnings.simplefilter("error", kdntk.PrecisionWarning)
        kdntk.finite_width_check(lambda v: v[:, 0], lambda m: kdntk.mlp(1, width=m), jnp.concatenate([X, X[:1]]),
                                 XT, widths=[8], key=jax.random.key(0), num_seeds=1, max_steps=5)
    with pytest.warns(kdntk.PrecisionWarning, match=r"widths \[1\]"):
        res = _check(lambda v: v[:, 0], widths=[1], num_seeds=1, max_steps=5)
    assert np.isnan(res.test_gap_empirical).all() and np.isfinite(res.test_gap).all()
