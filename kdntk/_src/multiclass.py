"""C-class (softmax) distillation in the linearized student: what the sweeps need beyond one logit.

The student has C logits; its infinite-width NTK is Theta (x) I_C (each logit moves by its own
copy of Theta, and the per-sample gradient of the softmax loss sums to zero over classes, so the
class mean of the logits never moves). Every quantity of the binary analyses then sums over
classes from ONE factorization of Theta: ||dw||^2 = sum_c dz_c^T Theta^-1 dz_c, the all-prefix
path, predictions class by class, and Theta-inner products <a, b> = sum_c a_c^T Theta^-1 b_c.

Here: labels as probability rows, the correction logits of Theorem 2 for softmax (the derivative
of the softmax effective logits in 1 - rho at rho = 1), and top-1 disagreement.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = ["probability_rows", "softmax_correction", "top1_disagreement"]


def probability_rows(y, num_classes: int, dtype):
    """Labels as probability rows (..., C): integer classes (...) become one-hot rows."""
    y = jnp.asarray(y)
    if y.ndim >= 1 and y.shape[-1:] == (num_classes,) and jnp.issubdtype(y.dtype, jnp.floating):
        return y.astype(dtype)
    return jax.nn.one_hot(y.astype(jnp.int32), num_classes, dtype=dtype)


def softmax_correction(z_t, y, T):
    """delta z_h = d z_eff / d(1 - rho) at rho = 1 for softmax distillation (traced), (..., C).

    At rho = 1 the effective logits are z_t (centred on z0's class mean). Differentiating the
    stationarity condition (rho / T)(softmax(z / T) - p) + (1 - rho)(softmax(z) - y) = 0,
    p = softmax(z_t / T), gives (1 / T^2) J dz/d(1 - rho) = y - softmax(z_t) with
    J = diag(p) - p p^T, whose solution with class mean 0 is

        delta z_h = T^2 [v / p - mean_c(v / p)],    v = y - softmax(z_t),

    since J x = v for x = D^-1 v + beta 1 exactly when beta = p^T x (Sherman-Morrison on the
    sum-zero subspace). For C = 2 and logits (z, 0) the difference of the two entries is the
    binary correction T^2 (y - sigma(z)) / sigma'(z / T) of Ji & Zhu's Theorem 2.
    """
    log_p = jax.nn.log_softmax(z_t / T[..., None], axis=-1)
    s = jax.nn.softmax(z_t, axis=-1)
    ratio = (y - s) * jnp.exp(-log_p)
    return T[..., None] ** 2 * (ratio - jnp.mean(ratio, axis=-1, keepdims=True))


def top1_disagreement(a, b):
    """1{argmax_c a != argmax_c b} per sample (...,), as a float (the multi-class transfer risk)."""
    return (jnp.argmax(a, axis=-1) != jnp.argmax(b, axis=-1)).astype(jnp.result_type(a.dtype, float))
