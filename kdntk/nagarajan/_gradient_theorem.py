"""Theorem 4.2 / B.4 evaluated exactly in the theorem's own setting (Nagarajan et al. 2023, Sec. 4.2, App. B.1).

Setting (App. B.1, Assumption B.1): K classes, unit class vectors mu_k in R^D; for each class y there
are m points whose channel y is N(0, I/D) conditioned on x_y . mu_y = tau and whose ONE similar class
z has x_z ~ N(0, I/D) conditioned on x_z . mu_z = tau / 2; other channels are 0. For balance
(|S+| = |S-| = m for every k) kdntk takes z = (y + 1) mod K. The student has w_k = alpha mu_k; a
teacher has ||w^te_k|| = alpha_te and cos-sim(w^te_k, mu_k) = 1 - eps (eps = 0: perfect teacher).

Per node k, with S+ = {y = k}, S- = {z = k} and p = the student's softmax probabilities:

    one-hot update      u_k = sum_{S+} (1 - p_k) x_k - sum_{S-} p_k x_k        (Eq. 25)
    distillation update u~_k = sum_{S+ u S-} (q_k - p_k) x_k                   (q = teacher probs)

On S+ the student has p_k = p+ = e^{alpha tau} / Z, on S- p_k = p- = e^{alpha tau / 2} / Z,
Z = e^{alpha tau} + e^{alpha tau / 2} + K - 2 (Eqs. 17, 20). Because x_k . mu_k = tau on S+ but tau / 2
on S-, the parallel parts are EXACTLY

    u_k . mu_k  = m tau ((1 - p+) - p- / 2)     (the text, after Eq. 26, has m tau ((1 - p+) - p-)),
    u~_k . mu_k = m tau ((p+te - p+) + (p-te - p-) / 2)   for a perfect teacher (Eq. 31 drops the 1/2),

and E ||u_perp||^2 = m ((1 - p+)^2 + p-^2) (D - 1) / D (the text writes its square root as the limit).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array

from kdntk._src.checks import as_key, check_array, check_integer, check_range
from kdntk._src.prng import drawn_flat
from kdntk.nagarajan._gradient_space import channel_logits

__all__ = ["GradientQuality", "gradient_quality", "similarity_probabilities"]


def similarity_probabilities(alpha, tau, num_classes: int):
    """(p+, p-) = (e^{alpha tau}, e^{alpha tau / 2}) / (e^{alpha tau} + e^{alpha tau / 2} + K - 2) (Eqs. 17, 20).

    The probability on node k of a model w = alpha mu, on an S+ point (target k) and an S- point
    (k the similar class). Broadcasts over alpha and tau.
    """
    num_classes = check_integer(num_classes, "num_classes", low=2)
    alpha, tau = check_array(alpha, "alpha"), check_array(tau, "tau")
    return _similarity_probabilities(alpha, tau, num_classes)


@functools.partial(jax.jit, static_argnames=("num_classes",))
def _similarity_probabilities(alpha, tau, num_classes):
    a = alpha * tau
    logz = jnp.logaddexp(jnp.logaddexp(a, a / 2), jnp.log(num_classes - 2.0))
    return jnp.exp(a - logz), jnp.exp(a / 2 - logz)


class GradientQuality(NamedTuple):
    """Measured and closed-form quantities of Theorem B.4 (per class k where shaped (K,)).

    Attributes:
      onehot_parallel, distill_parallel: u_k . mu_k, u~_k . mu_k, shape (K,).
      onehot_perp_sq, distill_perp_sq: ||u_k_perp||^2, ||u~_k_perp||^2, shape (K,).
      onehot_quality, distill_quality: ||u||^2 / ||u_perp||^2, shape (K,).
      onehot_cosine, distill_cosine, teacher_cosine: cos-sim with mu_k, shape (K,) (Eq. 6).
      p_plus, p_minus: student's p+ and p- (Eqs. 17, 20).
      p_plus_teacher, p_minus_teacher: the same for a PERFECT teacher of scale alpha_te.
      gap_plus, gap_minus: Lemma B.1's (p^te_k - p_k) / p^te_k on S+ and S- (perfect teacher).
      lemma_b1_kappa: the lemma's guaranteed level 1 - 3 e^{-(alpha_te - alpha) tau / 2}.
      onehot_parallel_exact: m tau ((1 - p+) - p- / 2). onehot_parallel_paper: m tau ((1 - p+) - p-).
      onehot_perp_sq_mean: m ((1 - p+)^2 + p-^2) (D - 1) / D.
      distill_parallel_exact: m tau ((p+te - p+) + (p-te - p-) / 2) (perfect teacher).
      distill_perp_sq_mean: m ((p+te - p+)^2 + (p-te - p-)^2) (D - 1) / D (perfect teacher).
    """

    onehot_parallel: Array
    distill_parallel: Array
    onehot_perp_sq: Array
    distill_perp_sq: Array
    onehot_quality: Array
    distill_quality: Array
    onehot_cosine: Array
    distill_cosine: Array
    teacher_cosine: Array
    p_plus: Array
    p_minus: Array
    p_plus_teacher: Array
    p_minus_teacher: Array
    gap_plus: Array
    gap_minus: Array
    lemma_b1_kappa: Array
    onehot_parallel_exact: Array
    onehot_parallel_paper: Array
    onehot_perp_sq_mean: Array
    distill_parallel_exact: Array
    distill_perp_sq_mean: Array


def _on_hyperplane(key, mu, level):
    """One draw per row of mu of N(0, I/D) conditioned on x . mu = level (unit mu): level mu + (I - mu mu^T) g."""
    g = drawn_flat(jax.random.normal, key, mu.shape, mu.dtype) / jnp.sqrt(mu.shape[-1])
    return level * mu + g - jnp.sum(g * mu, -1, keepdims=True) * mu


def _unit_perp(key, mu):
    r = drawn_flat(jax.random.normal, key, mu.shape, mu.dtype)
    r = r - jnp.sum(r * mu, -1, keepdims=True) * mu
    return r / jnp.linalg.norm(r, axis=-1, keepdims=True)


def gradient_quality(
    key: Array,
    *,
    alpha: float,
    alpha_teacher: float,
    tau: float,
    m: int,
    dim: int,
    num_classes: int = 10,
    eps: float = 0.0,
) -> GradientQuality:
    """One-hot vs distillation updates in the setting of Theorem B.4, computed exactly on a sample.

    Draws the B.1 data set (m points per class), class vectors and an eps-imperfect teacher from
    ``key``, then evaluates u_k, u~_k and the closed forms listed in [`GradientQuality`][kdntk.nagarajan.GradientQuality].
    Jit/vmap-friendly over ``key``, ``alpha``, ``alpha_teacher``, ``tau``, ``eps`` when called
    through ``jax.vmap`` (m, dim, num_classes are static sizes).

    Args:
      key: PRNG key.
      alpha: student scale alpha >= 0 (w_k = alpha mu_k).
      alpha_teacher: teacher scale alpha_te >= 0.
      tau: target margin tau > 0 (similar channels sit at tau / 2).
      m: points per class (|S+| = |S-| = m).
      dim: D >= 2.
      num_classes: K >= 3.
      eps: teacher imperfection, cos-sim(w^te_k, mu_k) = 1 - eps, eps in [0, 1].

    Returns:
      A [`GradientQuality`][kdntk.nagarajan.GradientQuality].

    Raises:
      ValueError: on out-of-range sizes or hyperparameters (concrete values).
    """
    key = as_key(key)
    m = check_integer(m, "m")
    dim = check_integer(dim, "dim", low=2)
    num_classes = check_integer(num_classes, "num_classes", low=3)
    check_range(alpha, "alpha", low=0.0, finite=True)
    check_range(alpha_teacher, "alpha_teacher", low=0.0, finite=True)
    check_range(tau, "tau", low=0.0, low_open=True, finite=True)
    check_range(eps, "eps", low=0.0, high=1.0)
    return _gradient_quality(key, alpha, alpha_teacher, tau, eps, m=m, dim=dim, num_classes=num_classes)


@functools.partial(jax.jit, static_argnames=("m", "dim", "num_classes"))
def _gradient_quality(key, alpha, alpha_teacher, tau, eps, *, m, dim, num_classes):
    K, D = num_classes, dim
    dtype = jnp.result_type(float)
    k_mu, k_t, k_z, k_r = jax.random.split(key, 4)
    mu = drawn_flat(jax.random.normal, k_mu, (K, D), dtype)
    mu = mu / jnp.linalg.norm(mu, axis=-1, keepdims=True)
    y = jnp.repeat(jnp.arange(K), m)
    z = (y + 1) % K
    xt = _on_hyperplane(k_t, mu[y], tau)
    xz = _on_hyperplane(k_z, mu[z], tau / 2)
    n = K * m
    x = jnp.zeros((n, K, D), dtype).at[jnp.arange(n), y].set(xt).at[jnp.arange(n), z].set(xz)
    c = 1.0 - jnp.asarray(eps, dtype)
    w_te = alpha_teacher * (c * mu + jnp.sqrt(jnp.clip(1 - c * c, 0.0, None)) * _unit_perp(k_r, mu))
    p = jax.nn.softmax(channel_logits(alpha * mu, x), axis=-1)
    q = jax.nn.softmax(channel_logits(w_te, x), axis=-1)
    onehot = jax.nn.one_hot(y, K, dtype=dtype)
    u = jnp.einsum("nk,nkd->kd", onehot - p, x)
    ut = jnp.einsum("nk,nkd->kd", q - p, x)

    def parts(v):
        par = jnp.sum(v * mu, -1)
        tot = jnp.sum(v * v, -1)
        perp = tot - par * par
        return par, perp, tot / perp, par / jnp.sqrt(tot)

    u_par, u_perp, u_q, u_cos = parts(u)
    d_par, d_perp, d_q, d_cos = parts(ut)
    t_cos = jnp.sum(w_te * mu, -1) / jnp.linalg.norm(w_te, axis=-1)
    pp, pm = similarity_probabilities(alpha, tau, K)
    qp, qm = similarity_probabilities(alpha_teacher, tau, K)
    frac = (D - 1) / D
    return GradientQuality(
        onehot_parallel=u_par, distill_parallel=d_par, onehot_perp_sq=u_perp, distill_perp_sq=d_perp,
        onehot_quality=u_q, distill_quality=d_q, onehot_cosine=u_cos, distill_cosine=d_cos,
        teacher_cosine=t_cos, p_plus=pp, p_minus=pm, p_plus_teacher=qp, p_minus_teacher=qm,
        gap_plus=(qp - pp) / qp, gap_minus=(qm - pm) / qm,
        lemma_b1_kappa=1 - 3 * jnp.exp(-(alpha_teacher - alpha) * tau / 2),
        onehot_parallel_exact=m * tau * ((1 - pp) - pm / 2),
        onehot_parallel_paper=m * tau * ((1 - pp) - pm),
        onehot_perp_sq_mean=m * ((1 - pp) ** 2 + pm**2) * frac,
        distill_parallel_exact=m * tau * ((qp - pp) + (qm - pm) / 2),
        distill_perp_sq_mean=m * ((qp - pp) ** 2 + (qm - pm) ** 2) * frac,
    )
