"""Kernel matrices against independent routes: a from-scratch numpy arc-cosine recursion for the
closed-form ReLU NTK/NNGP (Eq. 1), wide finite networks (Monte Carlo over widths) and explicit
jax.jacfwd Jacobians for the empirical NTK, and unblocked evaluation for row blocking."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

import kdntk
from _oracles import relu_kernels


def _inputs(seed, n, d=3, std=2.0):
    return std * np.random.default_rng(seed).normal(size=(n, d))


# Every depth and every (W_std, b_std) once in the fast suite (b_std = 0: no bias); the other
# six combinations (one compiled kernel program each) run with -m slow.
FAST_KERNELS = [(1, 1.5, 0.1), (3, 0.8, 0.0), (5, 1.0, 1.0)]
SLOW_KERNELS = [(d, w, b) for d in (1, 3, 5) for w, b in [(1.0, 1.0), (1.5, 0.1), (0.8, 0.0)]
                if (d, w, b) not in FAST_KERNELS]


@pytest.mark.parametrize("depth,W_std,b_std", FAST_KERNELS + [pytest.param(*c, marks=pytest.mark.slow)
                                                             for c in SLOW_KERNELS])
def test_ntk_and_nngp_match_arccos_recursion(depth, W_std, b_std):
    """rtol 2e-8: at equal inputs (cosine exactly 1) neural-tangents evaluates the arccos at a
    clipped cosine, which moves the NTK diagonal by ~5e-10 relative per layer (and an antipodal
    pair without bias, exactly 0, to -1.4e-10), all measured; so atol = 1e-9 x the kernel scale. Every
    formula error (a missing factor, a wrong layer count, NNGP vs NTK) is >= 1e-2. One cross
    kernel K(x1, [x1; x2]) per kind holds both the Gram block (equal inputs) and the cross block."""
    x1, x2 = _inputs(depth, 6), _inputs(depth + 10, 4)
    x1[1] = -x1[0]  # antipodal pair: the arccos at angle pi
    x1[2] = x1[3] * 3.0  # parallel pair: angle 0
    both = np.concatenate([x1, x2])
    net = kdntk.mlp(depth, W_std=W_std, b_std=b_std)
    ntk_ref, nngp_ref = relu_kernels(x1, both, depth, W_std, b_std)
    atol, atol_nngp = 1e-9 * np.abs(ntk_ref[:, :6]).max(), 1e-9 * np.abs(nngp_ref[:, :6]).max()
    np.testing.assert_allclose(kdntk.ntk(net, x1, both), ntk_ref, rtol=2e-8, atol=atol)
    np.testing.assert_allclose(kdntk.nngp(net, x1, both), nngp_ref, rtol=2e-8, atol=atol_nngp)


def test_empirical_ntk_of_wide_network_approaches_closed_form():
    """Width 2048, depth 2: the finite-width NTK fluctuates by O(depth / sqrt(width)) ~ 2-3%
    relative (Frobenius); measured 1.7% and 1.6% for the two draws, asserted < 5%."""
    x = jnp.asarray(_inputs(0, 5, d=2, std=1.5), jnp.float32)
    net = kdntk.mlp(2, width=2048)
    ref, _ = relu_kernels(np.asarray(x, np.float64), np.asarray(x, np.float64), 2)
    errs = []
    for seed in range(2):
        _, params = net.init_fn(jax.random.key(seed), x.shape)
        emp = np.asarray(kdntk.empirical_ntk(net.apply_fn, params, x), np.float64)
        errs.append(np.linalg.norm(emp - ref) / np.linalg.norm(ref))
    assert max(errs) < 0.05, errs


def _explicit_ntk(apply_fn, params, x):
    """J(x) J(x)^T with J the (n, P) Jacobian over the flattened parameter vector (jacfwd)."""
    flat, unravel = ravel_pytree(params)

    @jax.jit
    def jac(x):
        return jax.jacfwd(lambda w: apply_fn(unravel(w), x).reshape(x.shape[0]))(flat)

    j = jac(x)
    return j @ j.T


def test_empirical_ntk_matches_explicit_jacfwd_jacobian_tiny_stax_network():
    # The cross kernel J(x1) J([x1; x2])^T: its first block is the Gram matrix (one compilation).
    net = kdntk.mlp(2, width=7)
    x1, x2 = jnp.asarray(_inputs(1, 4)), jnp.asarray(_inputs(2, 3))
    both = jnp.concatenate([x1, x2])
    _, params = net.init_fn(jax.random.key(1), x1.shape)
    np.testing.assert_allclose(kdntk.empirical_ntk(net.apply_fn, params, x1, both),
                               _explicit_ntk(net.apply_fn, params, both)[:4], rtol=1e-10, atol=1e-12)


class _Flax(nn.Module):
    @nn.compact
    def __call__(self, x):
        x = nn.tanh(nn.Dense(6)(x))
        x = nn.relu(nn.Dense(5)(x))
        return nn.Dense(1)(x)


def test_empirical_ntk_matches_explicit_jacfwd_jacobian_flax_module():
    # The Gram matrix of [x1; x2] (x2 = None path) holds the (5, 2) cross block too.
    model = _Flax()
    both = jnp.asarray(np.concatenate([_inputs(3, 5), _inputs(4, 2)]))
    variables = jax.tree.map(lambda a: a.astype(jnp.float64), jax.jit(model.init)(jax.random.key(2), both))
    got = kdntk.empirical_ntk(model.apply, variables, both)
    np.testing.assert_allclose(got, _explicit_ntk(model.apply, variables, both), rtol=1e-10, atol=1e-12)
    assert got.shape == (7, 7)


def test_ntk_row_blocking_equals_unblocked():
    """Blocks of 4 rows over n1 = 6 (the last block padded by 2) against one block, with n2 = 10;
    the one-block kernels are those of the depth-3 arccos check above (same net, inputs and shapes,
    so compiled once and checked against the numpy recursion there)."""
    depth, W_std, b_std = FAST_KERNELS[1]
    net = kdntk.mlp(depth, W_std=W_std, b_std=b_std)
    x1 = _inputs(depth, 6)
    both = np.concatenate([x1, _inputs(depth + 10, 4)])
    for kernel in (kdntk.ntk, kdntk.nngp):
        blocked = np.asarray(kernel(net, x1, both, block_rows=4))
        assert blocked.shape == (6, 10)
        whole = np.asarray(kernel(net, x1, both, block_rows=6))
        equal = np.eye(6, 10, dtype=bool)   # x1[i] = both[i]: the arccos at cosine 1 (test_fused_kernels)
        np.testing.assert_allclose(blocked[~equal], whole[~equal], rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(blocked[equal], whole[equal], rtol=2e-8)
