"""The NTK-parameterized MLP (Ji & Zhu Eq. 1): its finite-width forward pass against a numpy
implementation of Eq. 1 from the drawn parameters, and the Network value semantics."""

import jax
import numpy as np
import pytest

import kdntk


@pytest.mark.parametrize("depth,W_std,b_std", [(1, 1.0, 1.0), (3, 1.4, 0.3)])
def test_mlp_apply_matches_numpy_eq1(depth, W_std, b_std):
    width, d = 6, 3
    net = kdntk.mlp(depth, width=width, W_std=W_std, b_std=b_std)
    _, params = net.init_fn(jax.random.key(0), (-1, d))
    dense = [p for p in params if p != ()]
    assert len(dense) == depth + 1
    x = np.random.default_rng(0).normal(size=(4, d))
    h = x
    for i, (W, b) in enumerate(dense):  # W, b ~ N(0, 1); h = sigma_W W x / sqrt(fan_in) + sigma_b b
        W, b = np.asarray(W), np.asarray(b)
        assert W.shape == ((d if i == 0 else width), (1 if i == depth else width))
        h = W_std * h @ W / np.sqrt(W.shape[0]) + b_std * b
        if i < depth:
            h = np.maximum(h, 0.0)
    np.testing.assert_allclose(net.apply_fn(params, x), h, rtol=1e-12, atol=1e-12)


def test_mlp_parameters_are_standard_normal_ntk_parameterization():
    net = kdntk.mlp(1, width=4096)
    _, params = net.init_fn(jax.random.key(1), (-1, 2))
    W = np.asarray(params[2][0]).ravel()  # readout weights: 4096 draws
    assert abs(W.mean()) < 5 / np.sqrt(W.size)
    assert abs(W.var() - 1.0) < 5 * np.sqrt(2 / W.size)


def test_network_equality_and_hash_follow_spec():
    a, b = kdntk.mlp(3, width=64), kdntk.mlp(3, width=64)
    assert a == b and hash(a) == hash(b)
    assert a != kdntk.mlp(3, width=64, b_std=0.5) and a != kdntk.mlp(2, width=64)
    init_fn, apply_fn, kernel_fn = a
    assert init_fn is a.init_fn and apply_fn is a.apply_fn and kernel_fn is a.kernel_fn
