"""Kernel matrices: closed-form infinite-width NTK / NNGP and the empirical NTK of finite networks.

The closed-form kernels come from neural-tangents' ``kernel_fn`` (loaded by kdntk's private loader; the layers are public as [`kdntk.stax`][kdntk.stax]),
evaluated in blocks of rows so that peak memory is the (n1, n2) result plus one block's
workspace. The empirical NTK is phi(x1)^T phi(x2) with phi(x) = d f(x; w0) / d w (Ji & Zhu 2020, Eq. 4),
computed in plain JAX by Jacobian contraction, for any apply function (stax or flax).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any, Callable

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from kdntk._src.arccos import fused_tile, relu_mlp_kernels, relu_mlp_recipe
from kdntk._src.checks import check_inputs, check_integer
from kdntk._src.memory import DEFAULT_BLOCK_ROWS, fit_block_rows
from kdntk._src.networks import Network, as_network

__all__ = ["ntk", "nngp", "empirical_ntk", "nnx_apply", "blocked_kernel"]


def blocked_kernel(net: Network, x1, x2, get, block_rows: int):
    """Closed-form kernel(s) ``get`` ("ntk", "nngp" or a tuple) of ``net``, (n1, n2) each, with at
    most ``block_rows`` rows of x1 per block (unchecked inputs; traceable).

    ``x2`` None or ``x1`` itself (the same array or tracer) is a Gram matrix, evaluated on and
    below the diagonal and mirrored. ReLU MLPs of ``kdntk.mlp`` run the fused arc-cosine recursion
    ([`relu_mlp_kernels`][kdntk._src.arccos.relu_mlp_kernels]) tile by tile; other networks run
    neural-tangents' ``kernel_fn`` on row blocks."""
    symmetric = x2 is None or x2 is x1
    return _blocked_kernel(net, x1, x1 if x2 is None else x2, get, block_rows, symmetric)


@functools.partial(jax.jit, static_argnames=("net", "get", "block_rows", "symmetric"))
def _blocked_kernel(net: Network, x1, x2, get, block_rows: int, symmetric: bool):
    recipe = relu_mlp_recipe(net)
    if recipe is not None:
        depth, W_std, b_std = recipe
        out = dict(zip(("nngp", "ntk"), _fused_tiles(x1, x2, block_rows, symmetric,
                                                     depth=depth, W_std=W_std, b_std=b_std)))
        return out[get] if isinstance(get, str) else tuple(out[g] for g in get)
    return _row_blocks(net, x1, x2, get, block_rows)


def _fused_tiles(x1, x2, block_rows, symmetric, **recipe):
    """(NNGP, NTK) of a ReLU MLP: the inputs' Gram x1 x2^T / d from one matrix product, as
    neural-tangents forms it, and the inputs' variances from matrix products too (the Gram's own
    diagonal, or ``_variances``), so that an input paired with itself or with an equal input
    sees Sigma_ij = v_i = v_j to the bit: angle 0 exactly, at every layer. Then one
    ``fused_tile`` at a time in a loop that writes into the two (n1, n2) results in place. A
    Gram matrix computes the tiles on and below the diagonal and writes each also transposed.
    Tiles are clamped into range (the last one overlaps its neighbour): nothing is padded."""
    dtype = jax.dtypes.canonicalize_dtype(jnp.float64)      # neural-tangents' compute dtype
    x1, x2 = x1.astype(dtype), x2.astype(dtype)
    d, (n1, n2) = x1.shape[1], (x1.shape[0], x2.shape[0])
    gram = jnp.tensordot(x1, x2, (1, 1)) / d
    v1, v2 = (jnp.diagonal(gram),) * 2 if symmetric else (_variances(x1), _variances(x2))
    t1, t2 = fused_tile(block_rows)
    t1, t2 = min(t1, n1), min(t2, n2)
    starts = jnp.asarray([(i * t1, j * t2) for i in range(math.ceil(n1 / t1)) for j in range(math.ceil(n2 / t2))
                          if not symmetric or j * t2 < min((i + 1) * t1, n1)], jnp.int32)

    def body(p, outs):
        r, c = jnp.minimum(starts[p, 0], n1 - t1), jnp.minimum(starts[p, 1], n2 - t2)  # clamped
        tiles = relu_mlp_kernels(jax.lax.dynamic_slice(gram, (r, c), (t1, t2)),
                                 jax.lax.dynamic_slice_in_dim(v1, r, t1),
                                 jax.lax.dynamic_slice_in_dim(v2, c, t2), **recipe)
        new = []
        for out, k in zip(outs, tiles):
            if symmetric:   # the mirror first: a diagonal tile's own values win
                out = jax.lax.dynamic_update_slice(out, k.T, (c, r))
            new.append(jax.lax.dynamic_update_slice(out, k, (r, c)))
        return tuple(new)

    return jax.lax.fori_loop(0, starts.shape[0], body, (jnp.zeros((n1, n2), dtype),) * 2)


def _variances(x, rows: int = 128):
    """sum(x_i^2) / d per input, each as the diagonal of a (rows, rows) block x_b x_b^T / d: the
    matrix product rounds x_i . x_i as it rounds the cross Gram's x_i . y_j for y_j = x_i (a
    sum over the features, ``jnp.sum(x ** 2)``, rounds in another order). The last block is
    clamped into range."""
    n, d = x.shape
    rows = min(rows, n)
    starts = jnp.minimum(jnp.arange(0, n, rows), n - rows)

    def block(r):
        xb = jax.lax.dynamic_slice_in_dim(x, r, rows)
        return jnp.diagonal(jnp.tensordot(xb, xb, (1, 1)) / d)

    out = jnp.zeros(n, x.dtype)
    return jax.lax.fori_loop(0, starts.shape[0], lambda i, out: jax.lax.dynamic_update_slice_in_dim(
        out, block(starts[i]), starts[i], 0), out)


def _row_blocks(net, x1, x2, get, block_rows):
    """neural-tangents' ``kernel_fn`` mapped over equal blocks of rows of x1 (padded with copies of
    the last row, valid inputs dropped after the map)."""
    n1 = x1.shape[0]
    num_blocks = math.ceil(n1 / block_rows)
    block_rows = math.ceil(n1 / num_blocks)  # equal blocks: at most num_blocks - 1 padded rows
    pad = num_blocks * block_rows - n1
    x1p = jnp.concatenate([x1, jnp.repeat(x1[-1:], pad, axis=0)], axis=0) if pad else x1
    blocks = x1p.reshape(num_blocks, block_rows, *x1.shape[1:])
    out = jax.lax.map(lambda b: net.kernel_fn(b, x2, get), blocks)
    for k in jax.tree_util.tree_leaves(out):
        if k.shape != (num_blocks, block_rows, x2.shape[0]):
            raise ValueError(
                f"net's kernel_fn returned a kernel of shape {k.shape[1:]} for inputs of shape "
                f"{blocks.shape[1:]} and {x2.shape}, not (rows, columns): the network must end in a "
                "readout to logits, e.g. stax.Flatten() or stax.GlobalAvgPool() then stax.Dense(1)."
            )
    return jax.tree_util.tree_map(
        lambda k: k.reshape(num_blocks * block_rows, x2.shape[0])[:n1], out)


def _kernel(net, x1, x2, get, block_rows):
    net = as_network(net)
    x1 = check_inputs(x1, "x1")
    if x2 is not None:
        x2 = check_inputs(x2, "x2")
        if x1.shape[1:] != x2.shape[1:]:
            raise ValueError(f"x1 and x2 must have the same feature shape, got {x1.shape} and {x2.shape}.")
        dtype = jnp.result_type(x1.dtype, x2.dtype)
        x1, x2 = x1.astype(dtype), x2.astype(dtype)
    block_rows = check_integer(block_rows, "block_rows")
    n2 = x1.shape[0] if x2 is None else x2.shape[0]
    # Fail early, before allocating; and rows per block small enough for the workspace.
    block = fit_block_rows(net, x1.shape[0], n2, x1.shape[1:], x1.dtype, block_rows, get=get)
    return blocked_kernel(net, x1, x2, get, block)


def ntk(
    net: Network,
    x1: Float[Array, "n1 d"],
    x2: Float[Array, "n2 d"] | None = None,
    *,
    block_rows: int = DEFAULT_BLOCK_ROWS,
) -> Float[Array, "n1 n2"]:
    """Closed-form infinite-width NTK Theta(x1, x2) of ``net`` (Ji & Zhu 2020, Eq. 4, Theta = phi^T phi).

    Args:
      net: a [`kdntk.Network`][kdntk.Network], e.g. ``kdntk.mlp(3)``.
      x1: inputs, shape (n1, d).
      x2: inputs, shape (n2, d); ``None`` means ``x1`` (the Gram matrix Theta(X, X)).
      block_rows: rows of x1 per block; peak memory is the result plus one block's workspace.

    Returns:
      The (n1, n2) kernel matrix, in the dtype of the inputs.

    Raises:
      ValueError: inputs that are not 2-D, contain NaN/inf, or differ in feature dimension.

    Example:
      >>> import kdntk, jax.numpy as jnp
      >>> kdntk.ntk(kdntk.mlp(3), jnp.eye(2)).shape
      (2, 2)
    """
    return _kernel(net, x1, x2, "ntk", block_rows)


def nngp(
    net: Network,
    x1: Float[Array, "n1 d"],
    x2: Float[Array, "n2 d"] | None = None,
    *,
    block_rows: int = DEFAULT_BLOCK_ROWS,
) -> Float[Array, "n1 n2"]:
    """Closed-form NNGP kernel K(x1, x2): the covariance of f(x; w0) at initialization.

    Same arguments and shapes as [`ntk`][kdntk.ntk]. The student's initial logits z0 = f(X; w0) of an
    infinitely wide network are distributed as N(0, K(X, X)).
    """
    return _kernel(net, x1, x2, "nngp", block_rows)


def empirical_ntk(
    apply_fn: Callable[[Any, Array], Array],
    params: Any,
    x1: Float[Array, "n1 *features"],
    x2: Float[Array, "n2 *features"] | None = None,
) -> Float[Array, "n1 n2 *CC"]:
    """Finite-width NTK phi(x1)^T phi(x2), phi(x) = d f(x; w) / d w at ``params``.

    Computed by contracting the Jacobians of the outputs with respect to every parameter leaf;
    works for any JAX apply function: a stax ``apply_fn`` (e.g. ``kdntk.mlp(3).apply_fn``), a
    flax linen module's ``apply`` with its variables, a flax nnx module through
    [`kdntk.nnx_apply`][kdntk.nnx_apply], or a plain function of a parameter pytree.

    Args:
      apply_fn: ``apply_fn(params, x)``: outputs (n,) or (n, 1) (one logit), or (n, C) (C logits).
      params: the parameter pytree w at which the Jacobian is taken.
      x1: inputs, shape (n1, *features).
      x2: inputs, shape (n2, *features); ``None`` means ``x1``.

    Returns:
      One logit: the (n1, n2) kernel. C logits: the (n1, n2, C, C) kernel
      Theta[i, j, a, b] = d f_a(x1_i)/dw . d f_b(x2_j)/dw. (The closed-form NTK of a C-output
      stax network is Theta (x) I_C: [`kdntk.ntk`][kdntk.ntk] returns its (n1, n2) block, which
      the finite kernel's diagonal blocks Theta[:, :, a, a] approach as the width grows.)
      Memory is (n1 + n2) x C x (number of parameters).

    Raises:
      ValueError: inputs that are not finite or whose feature shapes differ, or outputs of
        another shape.

    Example:
      >>> import jax, kdntk, jax.numpy as jnp
      >>> net = kdntk.mlp(1, width=64)
      >>> _, params = net.init_fn(jax.random.key(0), (-1, 2))
      >>> kdntk.empirical_ntk(net.apply_fn, params, jnp.ones((3, 2))).shape
      (3, 3)
    """
    x1 = check_inputs(x1, "x1")
    x2 = x1 if x2 is None else check_inputs(x2, "x2")
    if x1.shape[1:] != x2.shape[1:]:
        raise ValueError(f"x1 and x2 must have the same feature shape, got {x1.shape} and {x2.shape}.")
    if not callable(apply_fn):
        raise TypeError(f"apply_fn must be a function apply_fn(params, x), got {type(apply_fn).__name__}.")
    out = jax.eval_shape(apply_fn, params, x1[:2])
    if out.shape in ((2,), (2, 1)):
        classes = None
    elif len(out.shape) == 2 and out.shape[0] == 2:
        classes = out.shape[1]
    else:
        raise ValueError(f"apply_fn must return (n,), (n, 1) or (n, C) outputs for inputs (n, ...); "
                         f"for inputs of shape {x1[:2].shape} it returned {out.shape}.")
    return _empirical_ntk(apply_fn, params, x1, x2, classes)


@functools.partial(jax.jit, static_argnums=(0, 4))
def _empirical_ntk(apply_fn, params, x1, x2, classes):
    def jacobian(x):
        lead = x.shape[:1] if classes is None else (x.shape[0], classes)
        flat = jax.jacrev(lambda p: apply_fn(p, x).reshape(lead))(params)
        return [leaf.reshape(lead + (-1,)) for leaf in jax.tree_util.tree_leaves(flat)]

    j1, j2 = jacobian(x1), jacobian(x2)
    if classes is None:
        return sum(a @ b.T for a, b in zip(j1, j2))
    return sum(jnp.einsum("iap,jbp->ijab", a, b) for a, b in zip(j1, j2))


@dataclasses.dataclass(frozen=True)
class _NnxApply:
    """``apply_fn(params, x)`` of a flax nnx module's graph (hashable: one compilation per graph)."""

    graphdef: Any

    def __call__(self, params, x):
        from flax import nnx

        return nnx.merge(self.graphdef, params)(x)


def nnx_apply(module) -> tuple[Callable[[Any, Array], Array], Any]:
    """A flax nnx module as ``(apply_fn, params)`` for [`kdntk.empirical_ntk`][kdntk.empirical_ntk].

    nnx modules hold their parameters as state; ``nnx.split`` separates the graph from the
    parameters so that the Jacobian can be taken with respect to them.

    Args:
      module: a flax ``nnx.Module`` whose state is only ``nnx.Param`` variables (no batch
        statistics or RNG state: the NTK is taken at fixed parameters).

    Returns:
      ``(apply_fn, params)`` with ``apply_fn(params, x) = module(x)``.

    Raises:
      TypeError: not an nnx module, or state other than parameters.

    Example:
      >>> import jax.numpy as jnp, kdntk
      >>> from flax import nnx
      >>> model = nnx.Sequential(nnx.Linear(2, 16, rngs=nnx.Rngs(0)), nnx.relu,
      ...                        nnx.Linear(16, 1, rngs=nnx.Rngs(1)))
      >>> apply_fn, params = kdntk.nnx_apply(model)
      >>> kdntk.empirical_ntk(apply_fn, params, jnp.ones((3, 2))).shape
      (3, 3)
    """
    try:
        from flax import nnx
    except ImportError:
        raise ImportError("nnx_apply needs flax (pip install flax).") from None
    if not isinstance(module, nnx.Module):
        raise TypeError(f"module must be a flax nnx.Module, got {type(module).__name__}.")
    graphdef, params, rest = nnx.split(module, nnx.Param, ...)
    if jax.tree_util.tree_leaves(rest):
        raise TypeError("module holds state other than nnx.Param (batch statistics, RNG state): "
                        "the NTK is defined at fixed parameters; use a module without it.")
    return _NnxApply(graphdef), params
