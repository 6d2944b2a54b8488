"""Linear and deep-linear distillation of Phuong & Lampert (ICML 2019; Phuong & Lampert 2019, Sec. 3-4, App. A-C).

A linear teacher w* labels inputs x (rows of ``x``, shape (n, d); the paper's X = x^T) with soft
labels y_i = sigma(w*^T x_i). A student w^T = W_N ... W_1 minimizes the normalized cross-entropy

    L1(w) = (1/n) sum_i [H(y_i, sigma(w^T x_i)) - H(y_i, y_i)]            (Eq. 1, 35-36)
    grad L1(w) = (1/n) sum_i (sigma(w^T x_i) - y_i) x_i                    (Eq. 38)

by gradient flow. From w(0) = 0 (N = 1) it converges to the projection of w* onto the data span,

    w_hat = P_X w* = x^T (x x^T)^-1 x w*   (n < d),    w_hat = w*   (n >= d)   (Thm 1, Eq. 6)

and a deep linear student from a balanced near-zero initialization ends within the distance of
Eq. 73-76 of w_hat (Thm 2). [`linear`][kdntk.phuong_lampert.linear] is the model phi(x) = x as a [`kdntk.Network`][kdntk.Network],
so every kernel analysis of kdntk runs on linear students too (Theta(x1, x2) = x1 x2^T).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from kdntk._src.checks import as_key, check_array, check_inputs, check_integer, check_last_axis, check_range
from kdntk._src.losses import binary_cross_entropy
from kdntk._src.networks import Network

__all__ = [
    "linear",
    "linear_distillation_solution",
    "linear_distillation_loss",
    "linear_distillation_loss_grad",
    "linear_transfer_risk",
    "perturbed_minimizer",
    "balanced_init",
    "deep_linear_flow",
    "deep_linear_distance_bound",
]


def _linear_init(key, input_shape):
    d = input_shape[-1]
    return input_shape[:-1] + (1,), jax.random.normal(key, (d,))


def _linear_apply(params, x, **kwargs):
    return (x @ params)[:, None]


def _linear_kernel(x1, x2, get="ntk", **kwargs):
    k = x1 @ x2.T
    if isinstance(get, (tuple, list)):
        return tuple(k for _ in get)
    if get not in ("ntk", "nngp"):
        raise ValueError(f"get must be 'ntk' or 'nngp', got {get!r}.")
    return k


def linear() -> Network:
    """The bias-free linear model f(x) = w^T x as a [`kdntk.Network`][kdntk.Network] (Phuong & Lampert 2019, Sec. 3).

    Its features are phi(x) = x, so ``kernel_fn(x1, x2, "ntk")`` = ``kernel_fn(x1, x2, "nngp")``
    = x1 x2^T exactly; ``init_fn`` draws w ~ N(0, I_d). The kernel analyses of kdntk
    (``kdntk.ntk``, ``kdntk.data_inefficiency``, the Theta-solves) then describe linear
    distillation; with ``init="zero"`` the student starts from w(0) = 0 as in Thm 1.

    Returns:
      A Network with ``spec == ("linear",)``.

    Example:
      >>> import kdntk, jax.numpy as jnp
      >>> kdntk.ntk(kdntk.phuong_lampert.linear(), jnp.eye(2))
      Array([[1., 0.],
             [0., 1.]], dtype=float32)
    """
    return Network(_linear_init, _linear_apply, _linear_kernel, ("linear",))


def _check_xw(x, w_star, name="w_star"):
    x = check_inputs(x, "x", ndim=2)
    w_star = check_inputs(w_star, name, ndim=1)
    if w_star.shape[0] != x.shape[1]:
        raise ValueError(f"{name} must have shape ({x.shape[1]},) to match x {x.shape}, got {w_star.shape}.")
    return x, w_star.astype(x.dtype)


def _check_w(w, x):
    """Student weights w (d,) for inputs x (n, d)."""
    w = check_array(w, "w", ndim=1, dtype=x.dtype)
    return check_last_axis(w, "w", x.shape[1], f"x {x.shape}")


def linear_distillation_solution(
    x: Float[Array, "n d"], w_star: Float[Array, " d"]
) -> Float[Array, " d"]:
    """w_hat = P_X w*: the converged distilled linear student (Phuong & Lampert 2019, Thm 1, Eq. 6, 37).

        w_hat = w*                        if n >= d (and x has rank d),
        w_hat = x^T (x x^T)^-1 x w*       if n < d,

    computed for any n as the orthogonal projection of w* onto the row span of ``x`` (a thin QR
    of x^T), which is both formulas at once and stable for ill-conditioned x.

    Args:
      x: transfer-set inputs, one per row, shape (n, d).
      w_star: teacher weights, shape (d,).

    Returns:
      w_hat, shape (d,).

    Raises:
      ValueError: wrong shapes or NaN/inf entries.
    """
    x, w_star = _check_xw(x, w_star)
    return _project(x, w_star)


@jax.jit
def _project(x, w):
    q, _ = jnp.linalg.qr(x.T)  # (d, min(n, d)) orthonormal basis of the data span
    return q @ (q.T @ w)


def linear_distillation_loss(
    w: Float[Array, " d"], x: Float[Array, "n d"], w_star: Float[Array, " d"]
) -> Float[Array, ""]:
    """L1(w) of Eq. 1: the mean of KL(Bernoulli(y_i) || Bernoulli(sigma(w^T x_i))), minimum 0.

    With y_i = sigma(w*^T x_i), L1(w) = (1/n) sum_i H(y_i, sigma(w^T x_i)) - H(y_i, y_i); its
    zero set is {w : x w = x w*} (Phuong & Lampert 2019, Thm A.2). Evaluated from logits (stable when saturated).
    """
    x, w_star = _check_xw(x, w_star)
    return _loss(_check_w(w, x), x, jax.nn.sigmoid(x @ w_star), x @ w_star)


def _loss(w, x, y, z_star):
    return jnp.mean(binary_cross_entropy(y, x @ w) - binary_cross_entropy(y, z_star))


def _loss_from_targets(w, x, y):
    """L1 without the constant L*: the cross-entropy to targets y (same gradient)."""
    return jnp.mean(binary_cross_entropy(y, x @ w))


def linear_distillation_loss_grad(
    w: Float[Array, " d"], x: Float[Array, "n d"], w_star: Float[Array, " d"]
) -> Float[Array, " d"]:
    """grad L1(w) = (1/n) sum_i (sigma(w^T x_i) - sigma(w*^T x_i)) x_i (Phuong & Lampert 2019, Eq. 38).

    It lies in the span of the inputs, which is why gradient flow from 0 never leaves it.
    """
    x, w_star = _check_xw(x, w_star)
    w = _check_w(w, x)
    return (jax.nn.sigmoid(x @ w) - jax.nn.sigmoid(x @ w_star)) @ x / x.shape[0]


def linear_transfer_risk(
    w: Float[Array, "... d"], w_star: Float[Array, " d"], x_test: Float[Array, "m d"]
) -> Float[Array, "..."]:
    """Monte-Carlo transfer risk R = P_x[sign(w^T x) != sign(w*^T x)] on ``x_test`` (Phuong & Lampert 2019, Eq. 4).

    ``w`` may carry leading axes (several students). For x with a rotation-invariant direction
    distribution (e.g. isotropic Gaussian) the exact value is alpha(w, w*) / pi.
    """
    x_test = check_array(x_test, "x_test", ndim=2, runtime=True)
    against = f"x_test {x_test.shape}"
    w = check_last_axis(check_array(w, "w", min_ndim=1, dtype=x_test.dtype, runtime=True), "w",
                        x_test.shape[1], against)
    w_star = check_last_axis(check_array(w_star, "w_star", ndim=1, dtype=x_test.dtype, runtime=True),
                             "w_star", x_test.shape[1], against)
    teacher = x_test @ w_star >= 0
    student = jnp.einsum("...d,md->...m", w, x_test) >= 0
    disagree = student != teacher.reshape((1,) * (w.ndim - 1) + teacher.shape)
    return jnp.mean(disagree.astype(x_test.dtype), axis=-1)


def perturbed_minimizer(
    key: Array, x: Float[Array, "n d"], w_hat: Float[Array, " d"], *, delta: float
) -> Float[Array, " d"]:
    """w_delta = w_hat + delta ||w_hat|| q / ||q||, q Gaussian orthogonal to the data span (Phuong & Lampert 2019, Sec. 5.2).

    Every w_delta is a global minimizer of L1 (x w_delta = x w_hat); delta measures how far the
    learner departs from gradient descent's bias (delta = 0: w_hat). Needs n < d.

    Raises:
      ValueError: n >= d (the orthogonal complement is empty), bad shapes, NaN, or delta < 0.
      TypeError: ``key`` is not a PRNG key (typed or legacy).
    """
    key = as_key(key)
    x, w_hat = _check_xw(x, w_hat, "w_hat")
    check_range(delta, "delta", low=0.0, finite=True)
    if x.shape[0] >= x.shape[1]:
        raise ValueError(f"x must have fewer rows than columns (n < d) for a perturbation, got {x.shape}.")
    g = jax.random.normal(key, w_hat.shape, x.dtype)
    q = g - _project(x, g)
    return w_hat + delta * jnp.linalg.norm(w_hat) * q / jnp.linalg.norm(q)


def balanced_init(
    key: Array, dim: int, *, depth: int, width: int | None = None, scale: float = 1e-2
) -> list[Array]:
    """Balanced near-zero weights W_1 .. W_N with ||w(0)|| = ``scale`` (Phuong & Lampert 2019, Eq. 13).

    W_j = s v_j v_{j-1}^T with random unit vectors v_0 in R^d, v_1..v_{N-1} in R^width, v_N = 1
    and s = scale^(1/N); then W_{j+1}^T W_{j+1} = s^2 v_j v_j^T = W_j W_j^T exactly, and
    w(0)^T = W_N ... W_1 = scale * v_0^T. Shapes: W_1 (width, d), W_j (width, width), W_N (1, width);
    depth 1 gives [W_1] of shape (1, d).
    """
    key = as_key(key)
    dim = check_integer(dim, "dim")
    depth = check_integer(depth, "depth")
    width = dim if width is None else check_integer(width, "width")
    check_range(scale, "scale", low=0.0, low_open=True, finite=True)
    sizes = [dim] + [width] * (depth - 1) + [1]
    keys = jax.random.split(key, depth + 1)
    vs = [jax.random.normal(k, (m,)) for k, m in zip(keys, sizes)]
    vs = [v / jnp.linalg.norm(v) for v in vs[:-1]] + [jnp.ones((1,))]
    s = scale ** (1.0 / depth)
    return [s * vs[j + 1][:, None] * vs[j][None, :] for j in range(depth)]


def _end_to_end(weights):
    w = weights[0]
    for W in weights[1:]:
        w = W @ w
    return w[0]


def deep_linear_flow(
    weights: list[Array],
    x: Float[Array, "n d"],
    targets: Float[Array, " n"],
    *,
    step_size: float,
    num_steps: int,
    record_every: int = 1,
) -> Float[Array, "R d"]:
    """Gradient descent with a small fixed step on L(W_1..W_N) = L1(W_N ... W_1) (Phuong & Lampert 2019, Eq. 2-3).

    With ``weights = [w0[None, :]]`` it is the directly parameterized student (N = 1); with
    [`balanced_init`][kdntk.phuong_lampert.balanced_init] the deep linear student of Thm 2. Targets are soft labels y_i in [0, 1]
    (sigma(x w*) for distillation; hard labels 1{x w* > 0} give the hard-target learner). A step
    of size eta is the explicit Euler discretization of the gradient flow at time t = eta * steps.

    Args:
      weights: [W_1 (k, d), ..., W_N (1, k)].
      x: inputs, (n, d).
      targets: y, (n,).
      step_size: eta > 0 (stable for eta < 8 n / lambda_max(x^T x) when N = 1).
      num_steps: total steps, a multiple of ``record_every``.
      record_every: keep w every this many steps.

    Returns:
      The end-to-end weights w(t) at t = eta * record_every * (1..R), shape (R, d),
      R = num_steps // record_every.

    Raises:
      ValueError: bad shapes or step counts, or non-finite weights after the run (a step too
        large for the data), naming step_size.
    """
    x = check_inputs(x, "x", ndim=2)
    targets = check_inputs(targets, "targets", ndim=1)
    check_range(targets, "targets", low=0.0, high=1.0)
    check_range(step_size, "step_size", low=0.0, low_open=True, finite=True)
    if targets.shape[0] != x.shape[0]:
        raise ValueError(f"targets must have shape ({x.shape[0]},) to match x {x.shape}, got {targets.shape}.")
    num_steps = check_integer(num_steps, "num_steps")
    record_every = check_integer(record_every, "record_every")
    if num_steps % record_every:
        raise ValueError(f"num_steps ({num_steps}) must be a positive multiple of record_every ({record_every}).")
    weights = _check_chain(weights, x)
    path = _flow(weights, x, targets.astype(x.dtype), jnp.asarray(step_size, x.dtype),
                 int(num_steps) // int(record_every), int(record_every))
    if not bool(jnp.all(jnp.isfinite(path))):
        raise ValueError(f"gradient descent diverged (non-finite weights): reduce step_size={step_size!r}.")
    return path


def _check_chain(weights, x):
    """weights [W_1 (k_1, d), W_2 (k_2, k_1), ..., W_N (1, k_{N-1})] that map x (n, d) to a scalar."""
    if isinstance(weights, (str, bytes)) or not hasattr(weights, "__len__") or len(weights) == 0:
        raise TypeError(f"weights must be a non-empty list of matrices [W_1, ..., W_N], got {type(weights).__name__}.")
    ws = [check_array(W, f"weights[{j}]", ndim=2, dtype=x.dtype) for j, W in enumerate(weights)]
    shapes = [tuple(W.shape) for W in ws]
    cols = [x.shape[1]] + [s[0] for s in shapes[:-1]]
    if any(s[1] != c for s, c in zip(shapes, cols)) or shapes[-1][0] != 1:
        raise ValueError(f"weights must chain x {x.shape} to a scalar, W_1 (k_1, {x.shape[1]}), W_j (k_j, "
                         f"k_(j-1)), ..., W_N (1, k_(N-1)); got shapes {shapes}.")
    return ws


@functools.partial(jax.jit, static_argnums=(4, 5))
def _flow(weights, x, y, eta, num_records, every):
    grad = jax.grad(lambda ws: _loss_from_targets(_end_to_end(ws), x, y))

    def inner(ws, _):
        g = grad(ws)
        return [W - eta * G for W, G in zip(ws, g)], None

    def outer(ws, _):
        ws, _ = jax.lax.scan(inner, ws, None, length=every)
        return ws, _end_to_end(ws)

    _, path = jax.lax.scan(outer, weights, None, length=num_records)
    return path


def deep_linear_distance_bound(w0_norm, w_hat_norm, *, depth: int):
    """Thm 2's bound on limsup ||w(t) - w_hat|| for a balanced deep linear student (Phuong & Lampert 2019, Eq. 74-76).

        limsup ||w(t) - w_hat||^2 <= ||w_hat||^(2 + 2/N) / (||w_hat||^(2/N) - ||w(0)||^(2/N))
                                     - ||w_hat||^2,

    valid for ||w(0)|| < ||w_hat|| (condition 11) and n < d; it is 0 at w(0) = 0 and, as the
    proof (Eq. 60-67) shows, the whole excess lies orthogonal to the data span.

    Raises:
      ValueError: depth < 1 or ||w(0)|| >= ||w_hat||.
    """
    if int(depth) != depth or depth < 1:
        raise ValueError(f"depth must be a positive integer, got {depth!r}.")
    check_range(w0_norm, "w0_norm", low=0.0)
    a, b = jnp.asarray(w0_norm) ** (2.0 / depth), jnp.asarray(w_hat_norm) ** (2.0 / depth)
    check_range(jnp.asarray(w_hat_norm) - jnp.asarray(w0_norm), "w_hat_norm - w0_norm", low=0.0, low_open=True)
    h2 = jnp.asarray(w_hat_norm) ** 2
    return jnp.sqrt(jnp.clip(h2 * b / (b - a) - h2, 0.0, None))
