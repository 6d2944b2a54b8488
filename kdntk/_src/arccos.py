"""The ReLU MLP of Eq. 1 as one fused elementwise program: the arc-cosine NNGP / NTK recursion.

For networks built by [`kdntk.mlp`][kdntk.mlp] with ``activation="relu"`` (recognized by their spec,
``("mlp", depth, width, W_std, b_std, "relu")``), the closed-form kernels are evaluated here instead
of by neural-tangents' ``kernel_fn``, with its recursion (neural-tangents 0.6.5,
``stax.Dense(parameterization="ntk")`` and ``stax.Relu``, i.e. ``ABRelu(0, 1)``): per Dense layer
``Sigma <- W_std^2 Sigma + b_std^2`` (no bias term when ``b_std = 0``) and
``Theta <- Sigma + W_std^2 Theta``; per ReLU, with the per-input variances ``v``,

    g     = sqrt(v_i v_j)
    s     = sqrt(max((g - Sigma_ij) (g + Sigma_ij), 0))       (= sqrt(v_i v_j - Sigma_ij^2))
    theta = atan2(s, Sigma_ij)                                (pi / 2 where s = Sigma_ij = 0)
    dot   = 1/2 - theta / (2 pi)
    Sigma <- s / (2 pi) + dot Sigma,   Theta <- dot Theta,   v <- v / 2

(Cho & Saul 2009 arc-cosine kernels of degree 1 and 0; Jacot et al. 2018 and Arora et al. 2019 for
the NTK). Two things differ from neural-tangents. XLA:CPU evaluates float64 ``atan2`` element by
element at ~20 ns, so [`atan2_nonneg`][kdntk._src.arccos.atan2_nonneg] evaluates it with Cephes'
rational approximation in plain arithmetic that the compiler vectorizes (<= 1 ulp from XLA's).
And ``v_i v_j - Sigma_ij^2``, which cancels for an input with itself or an equal input, is formed
so that it is exactly 0 there when ``Sigma_ij = v_i = v_j`` to the bit (``sqrt(a * a) = a`` for ``a >= 0`` in
binary floating point, and no fused multiply-add can round the two factors apart); the callers pass
variances from the same matrix products as the Gram, so such pairs have angle 0 at every layer
(neural-tangents: ~1e-8, its NTK diagonal ~1e-9 low). docs/kernels.md has the checks.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

__all__ = ["atan2_nonneg", "fused_tile", "relu_mlp_kernels", "relu_mlp_recipe"]

# Cephes atan (double precision): atan(x) = x + x z P(z) / Q(z), z = x^2, |x| <= tan(pi / 8) after
# the reduction atan(r) = pi / 4 + atan((r - 1) / (r + 1)) for r > 0.66; relative error 1.8e-16.
_P = (-8.750608600031904122785e-1, -1.615753718733365076637e1, -7.500855792314704667340e1,
      -1.228866684490136173410e2, -6.485021904942025371773e1)
_Q = (2.485846490142306297962e1, 1.650270098316988542046e2, 4.328810604912902668951e2,
      4.853903996359136964868e2, 1.945506571482613964425e2)
_PI_LO = 1.2246467991473532e-16   # pi - float(pi)


def atan2_nonneg(y, x):
    """atan2(y, x) in [0, pi] for y >= 0, elementwise, pi / 2 at y = x = 0 (neural-tangents' fill).

    Division-and-polynomial form of Cephes' ``atan`` (no library call per element), within 1 ulp
    of ``jnp.arctan2``.

    Example:
      >>> import jax.numpy as jnp
      >>> from kdntk._src.arccos import atan2_nonneg
      >>> float(atan2_nonneg(jnp.float32(1.0), jnp.float32(-1.0)))  # 3 pi / 4
      2.356194...
    """
    ax = jnp.abs(x)
    lo, hi = jnp.minimum(y, ax), jnp.maximum(y, ax)
    reduce = lo > 0.66 * hi
    t = jnp.where(reduce, lo - hi, lo) / jnp.where(reduce, lo + hi, jnp.where(hi == 0, 1.0, hi))
    z = t * t
    p = (((_P[0] * z + _P[1]) * z + _P[2]) * z + _P[3]) * z + _P[4]
    q = ((((z + _Q[0]) * z + _Q[1]) * z + _Q[2]) * z + _Q[3]) * z + _Q[4]
    a = t + t * (z * p / q)                                     # atan(t), |t| <= tan(pi / 8)
    a = jnp.where(reduce, (math.pi / 4 + a) + _PI_LO / 4, a)    # atan(lo / hi) in [0, pi / 4]
    a = jnp.where(y > ax, (math.pi / 2 - a) + _PI_LO / 2, a)     # atan(y / |x|) in [0, pi / 2]
    a = jnp.where(x < 0, (math.pi - a) + _PI_LO, a)
    return jnp.where(hi == 0, math.pi / 2, a)


def fused_tile(block_rows: int) -> tuple[int, int]:
    """(rows, columns) of one tile of the fused ReLU-MLP path. On CPU a loop body runs on one
    thread and each of its ~20 fusions costs a few microseconds to launch, so tiles are large
    enough to amortize that and small enough that their intermediates stay in cache (128 x 256:
    fastest of 64-256 x 128-2048 on the 2-core CI machine at N = 1024-4096); on accelerators
    they are large enough to fill the device."""
    rows = 128 if jax.default_backend() == "cpu" else 1024
    return min(int(block_rows), rows), 2 * rows


def relu_mlp_recipe(net) -> tuple[int, float, float] | None:
    """``(depth, W_std, b_std)`` of a ReLU MLP built by ``kdntk.mlp`` (read from its spec), else None."""
    spec = getattr(net, "spec", ()) or ()
    if len(spec) == 6 and spec[0] == "mlp" and spec[5] == "relu":
        return int(spec[1]), float(spec[3]), float(spec[4])
    return None


def relu_mlp_kernels(sigma, v1, v2, *, depth: int, W_std: float, b_std: float):
    """(NNGP, NTK) of the Eq. 1 ReLU MLP from the inputs' Gram ``sigma = x1 x2^T / d`` (n1, n2)
    and their variances ``v = |x|^2 / d`` (computed once per input, not once per pair, and by the
    same matrix products as ``sigma``, so that an input's pair with itself has angle 0 exactly)."""
    # Run-time scalars, not constants: XLA folds chains of constant products (v W^2 / 2 W^2 ->
    # v * c), which would round the variances differently from the Gram's diagonal.
    w2, b2 = jax.lax.optimization_barrier((jnp.asarray(W_std ** 2, sigma.dtype), jnp.asarray(b_std ** 2, sigma.dtype)))

    def dense(k):
        k = k * w2
        return k + b2 if b_std else k

    theta = jnp.zeros((), sigma.dtype)
    factor = 1 / (2 * jnp.pi)
    for _ in range(depth):
        v1, v2, sigma = dense(v1), dense(v2), dense(sigma)
        theta = sigma + w2 * theta
        g = jnp.sqrt(v1[:, None] * v2[None, :])
        s = jnp.sqrt(jnp.maximum((g - sigma) * (g + sigma), 0.0))
        dot = 0.5 - factor * atan2_nonneg(s, sigma)
        # Materialized per layer: otherwise XLA re-derives each layer's cheap products inside
        # every later fusion that reads them (time quadratic in depth).
        sigma, theta = jax.lax.optimization_barrier((factor * s + dot * sigma, theta * dot))
        v1, v2 = 0.5 * v1, 0.5 * v2
    sigma = dense(sigma)
    return sigma, sigma + w2 * theta
