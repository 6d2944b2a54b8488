"""The fused ReLU-MLP kernel path (kdntk/_src/arccos.py, tiles in kdntk/_src/kernels.py) against
neural-tangents' own kernel_fn on the same inputs, to 1e-12 relative in float64; its arctangent
against numpy's; Gram symmetry; and the networks that must not take it."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kdntk
from kdntk._src.arccos import atan2_nonneg, relu_mlp_recipe
from kdntk._src.kernels import blocked_kernel


def _edge_inputs(seed, n, d, scale):
    """Gaussian inputs with duplicates, parallel and antiparallel pairs, a zero input and
    near-duplicates: the arccos at and next to the ends of its domain."""
    x = scale * np.random.default_rng(seed).normal(size=(n, d))
    x[1] = x[0]                     # duplicate: cosine 1 off the diagonal
    x[2] = 3.0 * x[0]               # parallel
    x[3] = -0.5 * x[0]              # antiparallel
    x[4] = 0.0                      # zero input (with b_std = 0, a zero covariance)
    x[5] = x[6] * (1 + 1e-9)        # nearly parallel
    x[7] = x[8] + 1e-7 * scale      # nearly equal
    return x


def _inputs(seed, n, d=3):
    return np.random.default_rng(seed).normal(size=(n, d))


def _nt(net, x1, x2, get):
    return np.asarray(jax.jit(functools.partial(net.kernel_fn, get=get))(x1, x2))


def _rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - b)) / np.max(np.abs(b)))


EDGE = 9   # rows 0-8 of _edge_inputs are equal, parallel or nearly so to another row


def _check(got, ref, gram):
    """1e-12 relative (to the largest entry) away from the arccos' edge; 2e-8 at it: there the
    cosine is 1 up to rounding, and whether v_i v_j - Sigma_ij^2 rounds to 0 or to one ulp (so
    the angle to 0 or ~1e-8) depends on how the compiler contracts it into a fused multiply-add
    in each program; neural-tangents' own row blocks differ from its whole matrix the same way
    (test_kernels: ~5e-10 per layer on the diagonal)."""
    got, scale = np.asarray(got), np.max(np.abs(ref))
    edge = np.zeros(ref.shape, bool)
    edge[:EDGE, :EDGE] = True
    if gram:
        edge[np.diag_indices(ref.shape[0])] = True
    assert np.max(np.abs(got - ref)[~edge]) / scale < 1e-12
    assert np.max(np.abs(got - ref)[edge]) / scale < 2e-8


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("W_std,b_std", [(1.0, 1.0), (1.3, 0.0), (0.7, 0.2)])
def test_fused_gram_and_cross_kernels_equal_neural_tangents_kernel_fn(depth, W_std, b_std):
    """Gram (tiles on and below the diagonal, mirrored) and cross kernels of 300 x 300 and
    300 x 70 in one row block (the inputs' Gram from one matrix product, as neural-tangents
    forms it) and 128 x 256 tiles, the last row and column tiles clamped; input scales 1e-3, 1
    and 1e3, with equal, parallel, antiparallel, zero and nearly equal inputs."""
    net = kdntk.mlp(depth, W_std=W_std, b_std=b_std)
    for k, scale in enumerate((1e-3, 1.0, 1e3)):
        x = _edge_inputs(depth + 10 * k, 300, 3, scale)
        y = _edge_inputs(depth + 10 * k + 5, 70, 3, scale)
        nngp, ntk = blocked_kernel(net, x, None, ("nngp", "ntk"), 4096)
        _check(nngp, _nt(net, x, x, "nngp"), True)
        _check(ntk, _nt(net, x, x, "ntk"), True)
        assert np.array_equal(ntk, ntk.T) and np.array_equal(nngp, nngp.T)
        cross = blocked_kernel(net, x, y, "ntk", 4096)
        assert cross.shape == (300, 70)
        _check(cross, _nt(net, x, y, "ntk"), False)


@pytest.mark.parametrize("symmetric", [True, False])
def test_fused_small_tiles_equal_neural_tangents(symmetric):
    """block_rows = 48: tiles of 48 x 256 (the last row tile clamped), one input Gram."""
    net = kdntk.mlp(3, b_std=0.5)
    x, y = _inputs(0, 130), _inputs(1, 300)
    x2 = x if symmetric else y
    got = blocked_kernel(net, x, None if symmetric else y, ("nngp", "ntk"), 48)
    _check(got[0], _nt(net, x, x2, "nngp"), symmetric)
    _check(got[1], _nt(net, x, x2, "ntk"), symmetric)


def test_fused_path_on_image_features_and_public_entry_points():
    """d = 64 (the digits' pixels) through kdntk.ntk / kdntk.nngp at default blocks."""
    net = kdntk.mlp(3)
    x = np.asarray(kdntk.tasks.digits().inputs[:300], np.float64).reshape(300, -1)
    x = x[np.unique(x, axis=0, return_index=True)[1]]          # distinct images
    ntk, ref = kdntk.ntk(net, x), _nt(net, x, x, "ntk")
    off = ~np.eye(len(x), dtype=bool)
    assert np.max(np.abs(np.asarray(ntk) - ref)[off]) / ref.max() < 1e-12 and _rel(ntk, ref) < 2e-8
    assert _rel(kdntk.nngp(net, x[:50], x[50:]), _nt(net, x[:50], x[50:], "nngp")) < 1e-12


def test_atan2_nonneg_within_one_ulp_of_numpy():
    rng = np.random.default_rng(0)
    y = np.abs(rng.normal(size=200_000)) * 10.0 ** rng.uniform(-30, 30, 200_000)
    x = rng.normal(size=200_000) * 10.0 ** rng.uniform(-30, 30, 200_000)
    y[:4], x[:4] = 0.0, [1.0, -1.0, 0.0, -0.0]
    got, ref = np.asarray(jax.jit(atan2_nonneg)(y, x)), np.arctan2(y, x)
    ref[2:4] = np.pi / 2                 # neural-tangents' fill at (0, 0)
    assert np.all(np.abs(got - ref) <= np.spacing(ref))
    assert got[1] == np.pi and got[0] == 0.0


def test_only_relu_mlps_take_the_fused_path():
    assert relu_mlp_recipe(kdntk.mlp(3, W_std=1.5, b_std=0.0)) == (3, 1.5, 0.0)
    assert relu_mlp_recipe(kdntk.mlp(3, activation="erf")) is None
    s = kdntk.stax
    assert relu_mlp_recipe(kdntk.Network(*s.serial(s.Dense(8), s.Relu(), s.Dense(1)))) is None
    net = kdntk.mlp(2, activation="erf")             # neural-tangents' row blocks, also as a Gram
    x = _inputs(0, 20)
    assert _rel(blocked_kernel(net, x, x, "ntk", 8), _nt(net, x, x, "ntk")) < 1e-12


def test_float32_inputs_follow_neural_tangents_dtype():
    net, x = kdntk.mlp(2), jnp.asarray(_inputs(1, 40, 2), jnp.float32)
    got, ref = kdntk.ntk(net, x), np.asarray(net.kernel_fn(x, x, "ntk"))
    off = ~np.eye(len(x), dtype=bool)
    assert got.dtype == ref.dtype and _rel(got, ref) < 2e-8
    assert np.max(np.abs(np.asarray(got) - ref)[off]) / ref.max() < 1e-12
