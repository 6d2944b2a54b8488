"""The eigenspace view of distillation: gradient flow as a per-eigendirection sparsifier (Nagarajan et al. 2023, Sec. 4.1).

Gradient flow on the squared loss (1/2)||X beta - y||^2 from beta = 0 gives (Nagarajan et al. 2023, Eq. 3)

    beta(t) = X^T (X X^T)^-1 A(t) y,        A(t) = I - exp(-t X X^T),

and in kernel form (X X^T -> Theta) the function on the training inputs is f_t(X) = A(t) y. A student
trained for time t~ on the outputs of a teacher stopped at T_te has (Nagarajan et al. 2023, Eq. 4)

    A~(t~) = A(t~) A(T_te),   i.e.  alpha~_k = alpha_k(t~) alpha_k(T_te),  alpha_k(t) = 1 - exp(-lambda_k t),

with lambda_k the eigenvalues of Theta. Everything here is computed from ONE eigendecomposition of Theta
and broadcasts over the student time t and the teacher time T_te. ``t_teacher = inf`` is the standalone
model (A(inf) = I on the range of Theta), so one call covers teacher and student.

Theorem 4.1 (the student is a stronger sparsifier) is made checkable by [`sparsification_theorem`][kdntk.nagarajan.sparsification_theorem].
Eigendirections are ordered top first (largest lambda first), as in the paper.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from kdntk._src.checks import broadcast_named, check_array, check_inputs, check_range, check_square, is_concrete
from kdntk._src.conditioning import report, symmetry
from kdntk._src.gradient_flow import check_times, sparsifier

__all__ = [
    "Eigensystem",
    "SparsificationTheorem",
    "distilled_flow",
    "distilled_flow_predict",
    "distilled_sparsifier",
    "eigensystem",
    "linear_flow_weights",
    "sparsification_theorem",
    "weight_projections",
]


class Eigensystem(NamedTuple):
    """Theta = V diag(lambda) V^T with eigenvalues in DESCENDING order (top direction first).

    Attributes:
      eigenvalues: lambda_k >= 0 (tiny negative round-off clipped to 0), shape (N,).
      eigenvectors: V, orthonormal columns u_k, shape (N, N).
    """

    eigenvalues: Float[Array, " n"]
    eigenvectors: Float[Array, "n n"]


def eigensystem(theta: Float[ArrayLike, "n n"]) -> Eigensystem:
    """Eigendecomposition of a symmetric PSD kernel, top eigendirection first.

    Raises:
      ValueError: if ``theta`` is not a finite, symmetric square matrix (checked inside the
        program: O(N^2) reads, a few scalars back).
    """
    theta = check_square(theta, ndim=2)
    system, diagnosis = _checked_eigh(theta)
    report(diagnosis, theta.dtype)
    return system


@jax.jit
def _checked_eigh(theta):
    return _eigh_descending(theta), symmetry(theta)


@jax.jit
def _eigh_descending(theta):
    lam, V = jnp.linalg.eigh(theta)
    return Eigensystem(jnp.clip(lam[::-1], 0.0, None), V[:, ::-1])


def _alpha(lam, t):
    """sparsifier with alpha = 0 on null directions (also for t = inf, where 0 * inf is NaN)."""
    a = sparsifier(jnp.where(lam > 0, lam, 1.0), t)
    return jnp.where(lam > 0, a, 0.0)


def _times(t, t_teacher):
    """Validated (on the host) times as float arrays; they are broadcast together inside the jitted cores."""
    t = check_times(t, "t", ndim=None)
    t_teacher = check_times(t_teacher, "t_teacher", ndim=None)
    try:
        jnp.broadcast_shapes(t.shape, t_teacher.shape)
    except ValueError:
        raise ValueError(f"t {t.shape} and t_teacher {t_teacher.shape} must broadcast against each other.") from None
    return t, t_teacher


@jax.jit
def _distilled_alpha(lam, t, tt):
    t, tt = jnp.broadcast_arrays(t, tt)
    return _alpha(lam, t) * _alpha(lam, tt)


def distilled_sparsifier(
    eigenvalues: Float[ArrayLike, " k"], t: Float[ArrayLike, "..."], t_teacher: Float[ArrayLike, "..."]
) -> Float[Array, "... k"]:
    """alpha~_k(t) = alpha_k(t) alpha_k(T_te) = (1 - e^{-lambda_k t})(1 - e^{-lambda_k T_te}) (Nagarajan et al. 2023, Eq. 4).

    Args:
      eigenvalues: lambda_k >= 0, shape (k,).
      t: student training time(s) >= 0 (learning rate folded in).
      t_teacher: teacher stopping time(s) T_te >= 0; broadcast against ``t``. ``inf`` gives the
        standalone factor alpha_k(t) (for lambda_k > 0).

    Returns:
      Shape broadcast(t, t_teacher).shape + (k,).

    Raises:
      ValueError: if a time or an eigenvalue is negative or NaN.
    """
    lam = check_array(eigenvalues, "eigenvalues", ndim=1, runtime=True)
    check_range(lam, "eigenvalues", low=0.0)
    return _distilled_alpha(lam, *_times(t, t_teacher))


def check_targets(y, n, name: str = "y"):
    """y as an array of shape (N,) or (N, K), finite where concrete (checked on the host)."""
    y = check_array(y, name)
    if y.ndim not in (1, 2) or y.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},) or ({n}, K) (N = {n} training points), got {y.shape}.")
    return y


def test_train(theta_test_train, n):
    kxX = check_inputs(theta_test_train, "theta_test_train", ndim=2)
    if kxX.shape[1] != n:
        raise ValueError(f"theta_test_train must have shape (M, {n}), got {kxX.shape}.")
    return kxX


def _flow_coeffs(lam, V, y, t, tt):
    """Coefficients of f in the eigenbasis: alpha~_k (u_k^T y), shape broadcast(t, tt).shape + (N, *y.shape[1:])."""
    t, tt = jnp.broadcast_arrays(t, tt)
    c = V.T @ y.astype(V.dtype)
    a = _alpha(lam, t) * _alpha(lam, tt)
    if y.ndim == 1:
        return a * jnp.broadcast_to(c, a.shape)
    return a[..., None] * jnp.broadcast_to(c, a.shape + c.shape[1:])


def inverse_on_range(lam):
    """1 / lambda_k on the range of Theta, 0 on its null directions."""
    return jnp.where(lam > 0, 1.0 / jnp.where(lam > 0, lam, 1.0), 0.0)


def _in_basis(B, c, y_ndim):
    """sum_k B[m, k] c[..., k, (c)]: map eigen-coefficients c (..., N[, K]) through the columns of B."""
    return jnp.einsum("mk,...k->...m", B, c) if y_ndim == 1 else jnp.einsum("mk,...kc->...mc", B, c)


@jax.jit
def flow_on_train(lam, V, y, t, tt):
    """V diag(alpha~) V^T y: the function on the training inputs."""
    return _in_basis(V, _flow_coeffs(lam, V, y, t, tt), y.ndim)


@jax.jit
def flow_through(left, lam, V, y, t, tt):
    """left V diag(alpha~ / lambda) V^T y (zero on null directions): Theta(x, X) Theta^+ f or X^T (X X^T)^+ f."""
    B = left.astype(V.dtype) @ V * inverse_on_range(lam)[None, :]
    return _in_basis(B, _flow_coeffs(lam, V, y, t, tt), y.ndim)


def distilled_flow(
    theta: Float[ArrayLike, "n n"],
    y: Float[ArrayLike, "n *c"],
    t: Float[ArrayLike, "..."],
    *,
    t_teacher: Float[ArrayLike, "..."] = jnp.inf,
) -> Float[Array, "... n *c"]:
    """Student function on the training inputs, A(t) A(T_te) y = V diag(alpha~) V^T y (Nagarajan et al. 2023, Eq. 3-4).

    The student starts at f = 0 and follows gradient flow df/dt = -Theta (f - f_te) towards the
    outputs f_te = A(T_te) y of a teacher stopped at T_te. ``t_teacher = inf`` (the default) is the
    teacher itself / a standalone model trained on y: A(t) y.

    Args:
      theta: kernel Theta(X, X), shape (N, N), symmetric PSD.
      y: targets, shape (N,) or (N, K) (K outputs sharing the kernel).
      t: student time(s) >= 0, any shape; broadcast against ``t_teacher``.
      t_teacher: teacher stopping time(s) >= 0.

    Returns:
      Shape broadcast(t, t_teacher).shape + y.shape.

    Raises:
      ValueError: on a non-square/non-finite theta, mismatched y, or negative times.
    """
    lam, V = eigensystem(theta)
    return flow_on_train(lam, V, check_targets(y, lam.shape[0]), *_times(t, t_teacher))


def distilled_flow_predict(
    theta_test_train: Float[ArrayLike, "m n"],
    theta: Float[ArrayLike, "n n"],
    y: Float[ArrayLike, "n *c"],
    t: Float[ArrayLike, "..."],
    *,
    t_teacher: Float[ArrayLike, "..."] = jnp.inf,
) -> Float[Array, "... m *c"]:
    """Student function on new inputs, Theta(x, X) V diag(alpha~ / lambda) V^T y (Nagarajan et al. 2023, Eq. 4, kernel form).

    Null directions of Theta (lambda = 0) contribute nothing (the teacher never fits them at finite
    T_te; with T_te = inf they are dropped, i.e. the pseudo-inverse is used).

    Args:
      theta_test_train: Theta(x_test, X), shape (M, N).
      theta: Theta(X, X), shape (N, N).
      y: targets, (N,) or (N, K).
      t: student time(s) >= 0.
      t_teacher: teacher stopping time(s) >= 0.

    Returns:
      Shape broadcast(t, t_teacher).shape + (M,) + y.shape[1:].
    """
    lam, V = eigensystem(theta)
    kxX = test_train(theta_test_train, lam.shape[0])
    return flow_through(kxX, lam, V, check_targets(y, lam.shape[0]), *_times(t, t_teacher))


@jax.jit
def _linear_weights(x, y, t, tt):
    lam, V = _eigh_descending(x @ x.T)
    return flow_through(x.T, lam, V, y, t, tt)


def linear_flow_weights(
    x: Float[ArrayLike, "n p"],
    y: Float[ArrayLike, "n *c"],
    t: Float[ArrayLike, "..."],
    *,
    t_teacher: Float[ArrayLike, "..."] = jnp.inf,
) -> Float[Array, "... p *c"]:
    """Weights of the linear model, beta(t) = X^T (X X^T)^-1 A(t) A(T_te) y (Nagarajan et al. 2023, Eq. 3-4).

    Args:
      x: design matrix X (or features phi(X)), shape (N, P); X X^T should be invertible.
      y: targets, (N,) or (N, K).
      t: student time(s) >= 0.
      t_teacher: teacher stopping time(s) >= 0 (inf: standalone).

    Returns:
      Shape broadcast(t, t_teacher).shape + (P,) + y.shape[1:].
    """
    x = check_inputs(x, "x", ndim=2)
    return _linear_weights(x, check_targets(y, x.shape[0]), *_times(t, t_teacher))


@jax.jit
def _projections(lam, V, y, t, tt, idx):
    c = _flow_coeffs(lam, V, y.reshape(y.shape[0], -1), t, tt)[..., idx, :]
    return jnp.linalg.norm(c / jnp.sqrt(lam[idx])[:, None], axis=-1)


def weight_projections(
    theta: Float[ArrayLike, "n n"],
    y: Float[ArrayLike, "n *c"],
    t: Float[ArrayLike, "..."],
    *,
    t_teacher: Float[ArrayLike, "..."] = jnp.inf,
    directions: tuple[int, ...] | None = None,
) -> Float[Array, "... d"]:
    """||W^T v_k||: the weights projected on weight-space eigendirections (Nagarajan et al. 2023, App. C.4, Fig. 20).

    With features Phi (Theta = Phi Phi^T = sum_k lambda_k u_k u_k^T), the weight-space eigendirections
    are v_k = Phi^T u_k / sqrt(lambda_k), and W(t) = Phi^T Theta^-1 A~ Y gives

        W^T v_k = alpha~_k (u_k^T Y) / sqrt(lambda_k)   (a K-vector; its l2 norm is returned).

    Args:
      theta: Theta = Phi Phi^T, shape (N, N).
      y: targets, (N,) or (N, K).
      t: student time(s) >= 0.
      t_teacher: teacher stopping time(s) >= 0 (inf: standalone).
      directions: indices k (0 = top) to return; default all.

    Returns:
      Shape broadcast(t, t_teacher).shape + (len(directions),).

    Raises:
      ValueError: on bad directions (out of range, or a null direction of theta), shapes or times.
    """
    lam, V = eigensystem(theta)
    y = check_targets(y, lam.shape[0])
    idx = checked_directions(lam, directions)
    return _projections(lam, V, y, *_times(t, t_teacher), idx)


def checked_directions(eigenvalues: Float[ArrayLike, " n"], directions) -> np.ndarray:
    """``directions`` (default: all) as a numpy index array, checked on the host to index eigendirections
    with lambda_k > 0 (top first).

    Raises:
      ValueError: naming ``directions`` if one is out of [0, N) or a null direction (eigenvalue 0).
    """
    n = jnp.shape(eigenvalues)[0]
    idx = np.arange(n) if directions is None else np.asarray(directions)
    if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer) or np.any((idx < 0) | (idx >= n)):
        raise ValueError(f"directions must be indices in [0, {n}), got {directions}.")
    if is_concrete(eigenvalues) and np.any(np.asarray(eigenvalues)[idx] <= 0):
        raise ValueError("directions include a null direction of theta (eigenvalue 0).")
    return idx


class SparsificationTheorem(NamedTuple):
    """Both sides of Theorem 4.1 for a pair lambda_k1 > lambda_k2 and a level alpha* (Nagarajan et al. 2023, App. B).

    Attributes:
      time: the proof's choice T_te = t~ = -ln(1 - sqrt(alpha*)) / lambda_k1.
      student_top: alpha~_k1(t~) = (1 - e^{-lambda_k1 t~})^2 (= alpha*: claim (a)).
      student_bottom: alpha~_k2(t~) = (1 - (1 - sqrt(alpha*))^kappa)^2, kappa = lambda_k2 / lambda_k1.
      standalone_time: the earliest t with alpha_k1(t) >= alpha*, -ln(1 - alpha*) / lambda_k1.
      standalone_bottom: alpha_k2 at that time, 1 - (1 - alpha*)^kappa: the least bottom component
        of ANY early-stopped standalone model reaching alpha* (alpha_k2 increases with t).
      gap: standalone_bottom - student_bottom (> 0 is claim (b)).
    """

    time: Array
    student_top: Array
    student_bottom: Array
    standalone_time: Array
    standalone_bottom: Array
    gap: Array


def sparsification_theorem(
    eigenvalue_top: Float[ArrayLike, "..."],
    eigenvalue_bottom: Float[ArrayLike, "..."],
    alpha_star: Float[ArrayLike, "..."],
) -> SparsificationTheorem:
    """The construction of Theorem 4.1's proof and both sides of its inequality (Nagarajan et al. 2023, Eq. 5, 7-12).

    All arguments broadcast together. The sparsifier factors are evaluated as 1 - e^{-lambda t} at the
    constructed times (not from the closed forms in the attribute docs, which the tests use as the
    independent check).

    Raises:
      ValueError: if alpha_star is outside (0, 1), an eigenvalue is not positive, or
        eigenvalue_top <= eigenvalue_bottom somewhere.
    """
    check_range(alpha_star, "alpha_star", low=0.0, high=1.0, low_open=True, high_open=True)
    check_range(eigenvalue_top, "eigenvalue_top", low=0.0, low_open=True, finite=True)
    check_range(eigenvalue_bottom, "eigenvalue_bottom", low=0.0, low_open=True, finite=True)
    top, bottom, alpha = broadcast_named(eigenvalue_top=check_array(eigenvalue_top, "eigenvalue_top"),
                                         eigenvalue_bottom=check_array(eigenvalue_bottom, "eigenvalue_bottom"),
                                         alpha_star=check_array(alpha_star, "alpha_star"))
    if is_concrete(top) and is_concrete(bottom) and np.any(np.asarray(top) <= np.asarray(bottom)):
        raise ValueError("eigenvalue_top must exceed eigenvalue_bottom (Theorem 4.1 needs k1 < k2).")
    return _theorem(top, bottom, alpha)


@jax.jit
def _theorem(l1, l2, a):
    l1, l2, a = jnp.broadcast_arrays(l1, l2, a)
    t = -jnp.log1p(-jnp.sqrt(a)) / l1
    top = -jnp.expm1(-l1 * t) * -jnp.expm1(-l1 * t)  # alpha_k1(t~) alpha_k1(T_te), Eq. 4
    bottom = -jnp.expm1(-l2 * t) * -jnp.expm1(-l2 * t)
    ts = -jnp.log1p(-a) / l1
    alone = -jnp.expm1(-l2 * ts)
    return SparsificationTheorem(t, top, bottom, ts, alone, alone - bottom)
