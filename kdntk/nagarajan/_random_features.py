"""ReLU random features, the linear model of Nagarajan et al. (2023), App. C.4 (5000 features, 128 points).

phi(x) = max(0, x W + b) / sqrt(F), W ~ N(0, I / d), b ~ N(0, 1): a fixed random feature map; a linear
model on phi is a kernel model with Theta = phi(X) phi(X)^T, so [`kdntk.nagarajan`][kdntk.nagarajan] applies directly
(``kdntk.nagarajan.weight_projections`` gives the C.4 / Fig. 20 trajectories for squared-loss gradient flow,
exactly). The paper trains with cross-entropy; [`cross_entropy_feature_trajectory`][kdntk.nagarajan.cross_entropy_feature_trajectory] does that by
full-batch gradient descent in one ``lax.scan`` and records the same projections ||W^T v_k||.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from kdntk._src.checks import as_key, check_choice, check_inputs, check_integer, check_labels, check_range, error_if_nonfinite
from kdntk._src.prng import drawn_flat
from kdntk.nagarajan._eigen import checked_directions, eigensystem

__all__ = ["FeatureTrajectory", "cross_entropy_feature_trajectory", "random_relu_features"]


def random_relu_features(
    key: Array, x: Float[ArrayLike, "n d"], *, num_features: int = 5000
) -> Float[Array, "n f"]:
    """phi(x) = relu(x W + b) / sqrt(F), W ~ N(0, I/d), b ~ N(0, 1), F = num_features (Nagarajan et al. 2023, App. C.4).

    The same ``key`` gives the same feature map, so train and test inputs must be mapped with one key.

    Args:
      key: PRNG key of the feature map.
      x: inputs, shape (N, d).
      num_features: F >= 1 (5000 in the paper).

    Returns:
      Features, shape (N, F).

    Raises:
      ValueError: if x is not a finite (N, d) array or num_features < 1.
    """
    key = as_key(key)
    x = check_inputs(x, "x", ndim=2)
    num_features = check_integer(num_features, "num_features")
    return _relu_features(key, x, num_features=num_features)


@functools.partial(jax.jit, static_argnames=("num_features",))
def _relu_features(key, x, *, num_features):
    kw, kb = jax.random.split(key)
    w = drawn_flat(jax.random.normal, kw, (x.shape[1], num_features), x.dtype) / jnp.sqrt(x.shape[1])
    b = jax.random.normal(kb, (num_features,), x.dtype)
    return jax.nn.relu(x @ w + b[None, :]) / jnp.sqrt(num_features)


class FeatureTrajectory(NamedTuple):
    """Cross-entropy training of a linear model on fixed features, projected on eigendirections.

    Attributes:
      weights: final W, shape (F, K).
      projections: ||W^T v_k|| after every step, shape (steps + 1, len(directions)) (row 0: W = 0).
      logits: final Phi W, shape (N, K).
    """

    weights: Array
    projections: Array
    logits: Array


def _ce_loss(w, phi, targets, temperature, link):
    z = phi @ w / temperature
    if link == "softmax":
        return -jnp.mean(jnp.sum(targets * jax.nn.log_softmax(z, axis=-1), axis=-1))
    return -jnp.mean(jnp.sum(targets * jax.nn.log_sigmoid(z) + (1 - targets) * jax.nn.log_sigmoid(-z), axis=-1))


@functools.partial(jax.jit, static_argnames=("steps", "link"))
def _ce_scan(phi, targets, lam, U, idx, learning_rate, temperature, *, steps, link):
    grad = jax.grad(_ce_loss)
    v = phi.T @ U[:, idx] / jnp.sqrt(lam[idx])[None, :]

    def step(w, _):
        w = w - learning_rate * grad(w, phi, targets, temperature, link)
        return w, jnp.linalg.norm(v.T @ w, axis=-1)

    w0 = jnp.zeros((phi.shape[1], targets.shape[1]), phi.dtype)
    w, proj = jax.lax.scan(step, w0, None, length=steps)
    return FeatureTrajectory(w, jnp.concatenate([jnp.zeros((1, v.shape[1]), phi.dtype), proj], axis=0), phi @ w)


def cross_entropy_feature_trajectory(
    features: Float[ArrayLike, "n f"],
    targets: Float[ArrayLike, "n k"],
    *,
    steps: int,
    learning_rate: float,
    directions: tuple[int, ...],
    temperature: float = 1.0,
    link: str = "softmax",
) -> FeatureTrajectory:
    """Full-batch gradient descent on cross-entropy for f = Phi W from W = 0 (Nagarajan et al. 2023, App. C.4, Fig. 20).

    Loss: softmax link, -mean_i sum_k q_ik log softmax(Phi_i W / T)_k; sigmoid link, per-output binary
    cross-entropy of sigmoid(Phi_i W / T) against q_ik. A teacher uses one-hot (noisy) labels and T = 1;
    a self-distilled student uses the teacher's softmax(f_te / T) and the same T (C.4: T = 5). The
    update is W <- W - learning_rate * grad, all ``steps`` in one ``lax.scan``. Each step records
    ||W^T v_k|| for the weight-space eigendirections v_k = Phi^T u_k / sqrt(lambda_k) of
    Theta = Phi Phi^T (top first), the quantity of Fig. 20 and of ``kdntk.nagarajan.weight_projections``
    (its squared-loss, gradient-flow counterpart in closed form). The paper uses Adam with batch 16;
    kdntk uses full-batch gradient descent so that the trajectory is deterministic.

    Args:
      features: Phi, shape (N, F) (e.g. [`random_relu_features`][kdntk.nagarajan.random_relu_features]).
      targets: probability vectors (softmax) or per-output targets in [0, 1] (sigmoid), shape (N, K).
      steps: number of gradient steps >= 1.
      learning_rate: step size > 0 (stable for about learning_rate < 2 N T^2 / lambda_max for softmax).
      directions: eigendirection indices (0 = top) to record, each with lambda_k > 0.
      temperature: T > 0.
      link: "softmax" or "sigmoid".

    Returns:
      A [`FeatureTrajectory`][kdntk.nagarajan.FeatureTrajectory].

    Raises:
      ValueError: on bad shapes, arguments or directions; NumericalError if training diverges.
    """
    phi = check_inputs(features, "features", ndim=2)
    q = check_labels(targets, "targets", ndim=2, dtype=phi.dtype)
    if q.shape[0] != phi.shape[0]:
        raise ValueError(f"targets must have shape ({phi.shape[0]}, K) to match features {phi.shape}, got {q.shape}.")
    check_choice(link, "link", ("softmax", "sigmoid"))
    steps = check_integer(steps, "steps")
    check_range(learning_rate, "learning_rate", low=0.0, low_open=True, finite=True)
    check_range(temperature, "temperature", low=0.0, low_open=True, finite=True)
    lam, U = eigensystem(phi @ phi.T)
    idx = checked_directions(lam, directions)
    out = _ce_scan(phi, q, lam, U, idx, learning_rate, temperature, steps=steps, link=link)
    error_if_nonfinite(out.projections, "cross_entropy_feature_trajectory: training diverged (lower learning_rate).")
    return out
