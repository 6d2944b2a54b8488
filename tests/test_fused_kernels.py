"""The fused ReLU-MLP kernel path (kdntk/_src/arccos.py, tiles in kdntk/_src/kernels.py) against
neural-tangents' own kernel_fn on the same inputs (1e-12 relative in float64 away from cosine 1)
and against the same recursion in 80-bit extended precision (at cosine 1: an input with itself or
an equal input is exact, where kernel_fn is ~1e-9 off); its arctangent against numpy's; Gram
symmetry; and the networks that must not take it."""

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


@functools.cache
def _jitted_kernel_fn(net, get):
    """One jitted kernel_fn per network spec and ``get``: inputs of one shape compile once."""
    return jax.jit(functools.partial(net.kernel_fn, get=get))


def _nt(net, x1, x2, get):
    """neural-tangents' kernel ``get``; for a tuple ``get`` (as kdntk's blocked_kernel takes it),
    the kernels in that order from one kernel_fn program (it forms the NNGP on the way to the NTK)."""
    out = _jitted_kernel_fn(net, get)(x1, x2)
    return tuple(np.asarray(getattr(out, g)) for g in get) if isinstance(get, tuple) else np.asarray(out)


def _rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - b)) / np.max(np.abs(b)))


EDGE = 9   # rows 0-8 of _edge_inputs are equal, parallel or nearly so to another row
EXTENDED = np.finfo(np.longdouble).eps < 1e-18    # 80-bit (x86) or 128-bit long double
# Equal inputs off a Gram's diagonal, and in cross kernels, are exact where the matrix product rounds
# an entry alike wherever it sits (XLA:CPU; docs/kernels.md)
SAME_PRODUCTS = jax.default_backend() == "cpu"


def _extended(x1, x2, get, *, depth, W_std, b_std):
    """The arc-cosine recursion (Cho & Saul 2009; Arora et al. 2019) in numpy long double, written
    from the formulas (v_i v_j - Sigma_ij^2 as it stands, arctan2): rounding 2^11 times finer than
    float64's (where long double is float64, as on Windows or macOS arm64, float64). Where that
    difference cancels (cosine 1), its rounding still moves the angle by ~sqrt(2^-64) ~ 1e-10, so
    equal inputs get the angle they have exactly: 0, at every layer (their closed form, exact in
    either precision)."""
    equal = np.all(np.asarray(x1)[:, None] == np.asarray(x2)[None], axis=-1)
    x1, x2 = np.asarray(x1, np.longdouble), np.asarray(x2, np.longdouble)
    d, w2, b2, two_pi = x1.shape[1], np.longdouble(W_std) ** 2, np.longdouble(b_std) ** 2, 2 * np.pi * np.longdouble(1)
    sigma, v1, v2 = x1 @ x2.T / d, np.sum(x1 * x1, 1) / d, np.sum(x2 * x2, 1) / d
    theta = np.zeros_like(sigma)
    for _ in range(depth):
        sigma, v1, v2 = sigma * w2 + b2, v1 * w2 + b2, v2 * w2 + b2
        theta = sigma + w2 * theta
        s = np.where(equal, 0, np.sqrt(np.maximum(v1[:, None] * v2[None, :] - sigma * sigma, 0)))
        angle = np.where((s == 0) & (sigma == 0), np.pi / 2, np.arctan2(s, sigma))
        dot = 0.5 - angle / two_pi
        sigma, theta, v1, v2 = s / two_pi + dot * sigma, theta * dot, v1 / 2, v2 / 2
    sigma = sigma * w2 + b2
    return sigma if get == "nngp" else sigma + w2 * theta


def _edge(shape, equal):
    """The arccos' edge: rows and columns 0-8 of the edge inputs, and the ``equal`` pairs."""
    edge = np.zeros(shape, bool)
    edge[:EDGE, :EDGE] = True
    edge[tuple(np.asarray(equal).T)] = True
    return edge


def _check(got, ref, exact, equal, *, bias_dominated=False):
    """1e-12 relative (to the largest entry) to kernel_fn away from the arccos' edge. At the edge
    (equal, parallel or nearly parallel inputs, the cosine 1 up to rounding) both evaluate the
    angle from v_i v_j - Sigma_ij^2, which cancels to its rounding: 2e-8. Against ``exact`` (the
    long double recursion), what kdntk does better: an input with itself (the diagonal) or with
    an equal input (the ``equal`` pairs) is exact, since its variances come from the same matrix
    products as the Gram, so the angle is 0 to the bit at every layer (kernel_fn: ~1e-9 off).

    ``bias_dominated``: inputs of scale 1e-3 under a bias of comparable or larger size, cosines
    1 - O(1e-6) at every pair, so float64 loses ~6 digits of the angle to cancellation in both
    implementations (1e-12..3e-12 from the long double recursion at depth 5): off the edge, each
    is held to twice the other's error against the long double recursion, plus 1e-13."""
    got, scale = np.asarray(got), np.max(np.abs(ref))
    edge = _edge(ref.shape, equal)
    assert np.max(np.abs(got - ref)[edge]) / scale < 2e-8
    err = (np.abs(got - exact) / scale).astype(np.float64)
    assert max(err[i, j] for i, j in equal) < 1e-14
    if bias_dominated and EXTENDED:
        ref_err = (np.abs(ref - exact) / scale).astype(np.float64)
        assert np.max(err[~edge]) < 2 * np.max(ref_err[~edge]) + 1e-13
    else:
        assert np.max(np.abs(got - ref)[~edge]) / scale < (1e-11 if bias_dominated else 1e-12)


# Every depth 1..5 and every (W_std, b_std) at two depths; b_std = 0 (a zero input's zero
# covariance through the layers) at depths 2 and 5; the bias-dominated regime (scale 1e-3 under
# b_std > 0) at depths 1, 3, 4 and 5, both bias sizes at the deepest (each network compiles its
# own fused program and kernel_fn, so the full 5 x 3 grid costs 2.5 times as much)
@pytest.mark.parametrize("depth,W_std,b_std", [(1, 1.0, 1.0), (2, 1.3, 0.0), (3, 0.7, 0.2),
                                               (4, 1.0, 1.0), (5, 1.3, 0.0), (5, 0.7, 0.2)])
def test_fused_gram_and_cross_kernels_equal_neural_tangents_kernel_fn(depth, W_std, b_std):
    """Gram (tiles on and below the diagonal, mirrored) and cross kernels of 300 x 300 and
    300 x 70 in one row block (the inputs' Gram from one matrix product, as neural-tangents
    forms it) and 128 x 256 tiles, the last row and column tiles clamped; input scales 1e-3, 1
    and 1e3, with equal, parallel, antiparallel, zero and nearly equal inputs."""
    net = kdntk.mlp(depth, W_std=W_std, b_std=b_std)
    recipe = dict(depth=depth, W_std=W_std, b_std=b_std)
    for k, scale in enumerate((1e-3, 1.0, 1e3)):
        x = _edge_inputs(depth + 10 * k, 300, 3, scale)
        y = _edge_inputs(depth + 10 * k + 5, 70, 3, scale)
        y[0] = x[0]                                     # equal inputs across x and y
        hard = dict(bias_dominated=scale < 1 and b_std > 0)
        nngp, ntk = blocked_kernel(net, x, None, ("nngp", "ntk"), 4096)
        diagonal = [(i, i) for i in range(300)]
        gram_equal = diagonal + ([(0, 1), (1, 0)] if SAME_PRODUCTS else [])
        for got, get, ref in zip((nngp, ntk), ("nngp", "ntk"), _nt(net, x, x, ("nngp", "ntk"))):
            _check(got, ref, _extended(x, x, get, **recipe), gram_equal, **hard)
        assert np.array_equal(ntk, ntk.T) and np.array_equal(nngp, nngp.T)
        cross = blocked_kernel(net, x, y, "ntk", 4096)
        assert cross.shape == (300, 70)
        if SAME_PRODUCTS:   # x[1] = x[0] = y[0]: a singular kernel, to the bit
            assert ntk[0, 1] == ntk[0, 0] == ntk[1, 1] == cross[0, 0] == cross[1, 0]
        _check(cross, _nt(net, x, y, "ntk"), _extended(x, y, "ntk", **recipe),
               [(0, 0), (1, 0)] if SAME_PRODUCTS else [], **hard)


@pytest.mark.parametrize("symmetric", [True, False])
def test_fused_small_tiles_equal_neural_tangents(symmetric):
    """block_rows = 48: tiles of 48 x 256 (the last row tile clamped), one input Gram."""
    net = kdntk.mlp(3, b_std=0.5)
    x, y = _inputs(0, 130), _inputs(1, 300)
    y[0] = x[0]
    x2 = x if symmetric else y
    got = blocked_kernel(net, x, None if symmetric else y, ("nngp", "ntk"), 48)
    depth, W_std, b_std = relu_mlp_recipe(net)
    equal = [(i, i) for i in range(130)] if symmetric else [(0, 0)] if SAME_PRODUCTS else []
    for k, get, ref in zip(got, ("nngp", "ntk"), _nt(net, x, x2, ("nngp", "ntk"))):
        _check(k, ref, _extended(x, x2, get, depth=depth, W_std=W_std, b_std=b_std), equal)


def test_fused_path_on_image_features_and_public_entry_points():
    """d = 64 (the digits' pixels) through kdntk.ntk / kdntk.nngp at default blocks."""
    net = kdntk.mlp(3)
    x = np.asarray(kdntk.tasks.digits().inputs[:300], np.float64).reshape(300, -1)
    x = x[np.unique(x, axis=0, return_index=True)[1]]          # distinct images
    ntk, ref = kdntk.ntk(net, x), _nt(net, x, x, "ntk")
    off = ~np.eye(len(x), dtype=bool)
    assert np.max(np.abs(np.asarray(ntk) - ref)[off]) / ref.max() < 1e-12 and _rel(ntk, ref) < 2e-8
    _, W_std, b_std = relu_mlp_recipe(net)
    exact = np.diag(_extended(x, x, "ntk", depth=3, W_std=W_std, b_std=b_std))
    assert np.max(np.abs(np.diag(ntk) - exact).astype(float)) / ref.max() < 1e-14   # kernel_fn (jitted): ~1e-9
    assert _rel(kdntk.nngp(net, x[:50], x[50:]), _nt(net, x[:50], x[50:], "nngp")) < 1e-12
    if SAME_PRODUCTS:
        # Cross kernels take their variances from 128-row block products; at d = 64 a sum over the
        # features, sum(x ** 2) / d, rounds differently in most rows. Every input against a copy
        # of itself, in another position: the Gram's diagonal, to the bit.
        perm = np.random.default_rng(0).permutation(len(x))
        cross = np.asarray(kdntk.ntk(net, x, x[perm].copy()))
        np.testing.assert_array_equal(cross[perm, np.arange(len(x))], np.diag(ntk)[perm])


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
    got, ref = kdntk.ntk(net, x), _nt(net, x, x, "ntk")
    off = ~np.eye(len(x), dtype=bool)
    assert got.dtype == ref.dtype and _rel(got, ref) < 2e-8
    assert np.max(np.abs(np.asarray(got) - ref)[off]) / ref.max() < 1e-12
