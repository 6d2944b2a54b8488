"""Per-sample teacher-student deviations and loss switching in closed-form kernel dynamics (Nagarajan et al. 2023, Sec. 3).

Sec. 3.1 compares, for every train and test point, phi(p^te_{y_te}(x)) with phi(p^st_{y_te}(x)), where
y_te = argmax_k p^te_k(x) is the teacher's label and phi(u) = log(u / (1 - u)). For logits f and a label
y this is, without forming probabilities,

    phi(softmax(f)_y) = f_y - logsumexp_{j != y} f_j        (binary, logits (z, 0): phi = +-z).

Here teacher and student are linearized models (kernel Theta, shared across K outputs) trained by
gradient flow on the squared loss: teacher on the labels up to T_te, student on the teacher's logits
for time t~ (Nagarajan et al. 2023, Eq. 3-4; [`kdntk.nagarajan.distilled_flow`][kdntk.nagarajan.distilled_flow]). The closed form predicts the paper's
finding: the student's function is A(t~) times the teacher's, so it shrinks every eigendirection by
alpha_k(t~) <= 1 -- most the bottom ones, where mislabeled points live.

Sec. 3.2 (loss switching) is the flow df/dt = -Theta (f - y_1) for t < t_s and -Theta (f - y_2) after:

    f(t) = A(t) y_1                                           for t <= t_s,
    f(t) = y_2 + exp(-(t - t_s) Theta) (A(t_s) y_1 - y_2)     for t >  t_s  (on the range of Theta).

How much of distillation's gain late switching recovers (Sec. 3.2, Fig. 4) is the ratio
(R_onehot - R_switch(t_s)) / (R_onehot - R_distill) of squared risks at the end of training
([`switching_gain_recovered`][kdntk.nagarajan.switching_gain_recovered]).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, Int

from kdntk._src.checks import check_array, check_range
from kdntk._src.gradient_flow import check_times
from kdntk.nagarajan._eigen import (
    check_targets,
    eigensystem,
    flow_on_train,
    flow_through,
    inverse_on_range,
    test_train,
)

__all__ = [
    "Deviations",
    "SwitchingGain",
    "teacher_student_deviations",
    "logit_transformed_probability",
    "switched_flow",
    "switching_gain_recovered",
]


def logit_transformed_probability(
    logits: Float[ArrayLike, "... k"], labels: Int[ArrayLike, "..."]
) -> Float[Array, "..."]:
    """phi(p_y) = log(p_y / (1 - p_y)) of p = softmax(logits), as f_y - logsumexp_{j != y} f_j (Nagarajan et al. 2023, Sec. 3.1).

    Args:
      logits: shape (..., K), K >= 2.
      labels: integer labels in [0, K), shape (...).

    Returns:
      Shape (...). Finite even where p_y rounds to 0 or 1.

    Raises:
      ValueError: if K < 2 or the shapes disagree.
    """
    f = check_array(logits, "logits", min_ndim=1)
    y = jnp.asarray(labels)
    if f.shape[-1] < 2 or y.shape != f.shape[:-1]:
        raise ValueError(f"logits (..., K>=2) and labels (...) disagree: {f.shape} vs {y.shape}.")
    if not jnp.issubdtype(y.dtype, jnp.integer):
        raise TypeError(f"labels must be integer class labels in [0, {f.shape[-1]}), got dtype {y.dtype}.")
    check_range(y, "labels", low=0, high=f.shape[-1] - 1)
    return _log_odds(f, y)


@jax.jit
def _log_odds(f, y):
    onehot = jax.nn.one_hot(y, f.shape[-1], dtype=bool)
    fy = jnp.sum(jnp.where(onehot, f, 0.0), axis=-1)
    rest = jax.nn.logsumexp(jnp.where(onehot, -jnp.inf, f), axis=-1)
    return fy - rest


class Deviations(NamedTuple):
    """phi of teacher and student probability of the teacher's label (Nagarajan et al. 2023, Sec. 3.1, Fig. 1-2).

    Attributes:
      teacher_train, student_train: shape (N,) (X and Y axes of the train scatter).
      teacher_test, student_test: shape (M,).
      teacher_label_train, teacher_label_test: y_te, shapes (N,) and (M,).
    """

    teacher_train: Array
    student_train: Array
    teacher_test: Array
    student_test: Array
    teacher_label_train: Array
    teacher_label_test: Array


def _as_logits(f):
    return jnp.stack([f, jnp.zeros_like(f)], axis=-1) if f.ndim == 1 else f


def teacher_student_deviations(
    theta: Float[ArrayLike, "n n"],
    theta_test_train: Float[ArrayLike, "m n"],
    targets: Float[ArrayLike, "n *k"],
    *,
    t_teacher: float,
    t_student: float,
) -> Deviations:
    """Per-sample deviations of a kernel student distilled from a stopped kernel teacher (Nagarajan et al. 2023, Sec. 3.1).

    Teacher: f_te = A(T_te) Y (gradient flow on squared loss, Eq. 3). Student: A(t~) f_te (Eq. 4).
    Binary: ``targets`` of shape (N,) (e.g. +-1), the logit is f and p = sigmoid(f) (two-class
    softmax of (f, 0)). Multi-class: one-hot ``targets`` of shape (N, K), K outputs sharing Theta,
    p = softmax(f).

    Args:
      theta: Theta(X, X), shape (N, N).
      theta_test_train: Theta(X_test, X), shape (M, N).
      targets: training targets, (N,) or (N, K) (possibly noisy labels).
      t_teacher: teacher stopping time T_te >= 0 (inf: interpolation).
      t_student: student time t~ >= 0.

    Returns:
      A [`Deviations`][kdntk.nagarajan.Deviations].

    Raises:
      ValueError: on bad shapes or negative times.
    """
    t_teacher = check_times(t_teacher, "t_teacher", ndim=0)
    t_student = check_times(t_student, "t_student", ndim=0)
    lam, V = eigensystem(theta)
    kxX = test_train(theta_test_train, lam.shape[0])
    return _deviations(lam, V, kxX, check_targets(targets, lam.shape[0], "targets"), t_teacher, t_student)


@jax.jit
def _deviations(lam, V, kxX, y, t_teacher, t_student):
    """One compiled program from one eigensystem: teacher A(T_te) y and student A(t~) A(T_te) y, on X and x."""
    te_tr = _as_logits(flow_on_train(lam, V, y, t_teacher, jnp.inf))
    st_tr = _as_logits(flow_on_train(lam, V, y, t_student, t_teacher))
    te_te = _as_logits(flow_through(kxX, lam, V, y, t_teacher, jnp.inf))
    st_te = _as_logits(flow_through(kxX, lam, V, y, t_student, t_teacher))
    ytr = jnp.argmax(te_tr, axis=-1)
    yte = jnp.argmax(te_te, axis=-1)
    return Deviations(_log_odds(te_tr, ytr), _log_odds(st_tr, ytr), _log_odds(te_te, yte),
                      _log_odds(st_te, yte), ytr, yte)


def switched_flow(
    theta: Float[ArrayLike, "n n"],
    y_first: Float[ArrayLike, "n *k"],
    y_second: Float[ArrayLike, "n *k"],
    t: Float[ArrayLike, " T"],
    *,
    t_switch: float,
    theta_test_train: Float[ArrayLike, "m n"] | None = None,
) -> Float[Array, "T n *k"]:
    """Closed-form trajectory of gradient flow whose target switches from y_first to y_second at t_s.

    (Nagarajan et al. 2023, Sec. 3.2, "late distillation" with y_first = one-hot labels, y_second = teacher outputs; the
    reverse for distillation-then-one-hot.) In the eigenbasis, with c = V^T y:

        coefficient_k(t) = alpha_k(t) c1_k                                       (t <= t_s)
                         = c2_k + e^{-lambda_k (t - t_s)} (alpha_k(t_s) c1_k - c2_k)  (t > t_s),

    and null directions of Theta stay at 0. With ``theta_test_train`` the trajectory on the test
    inputs is returned instead: Theta(x, X) V diag(coefficient / lambda) (the test function is driven
    by the same residuals, so it is Theta(x, X) Theta^+ f(X)).

    Args:
      theta: Theta(X, X), shape (N, N).
      y_first: targets before the switch, shape (N,) or (N, K).
      y_second: targets after the switch, same shape as y_first.
      t: times >= 0, shape (T,).
      t_switch: switching time t_s >= 0.
      theta_test_train: optional Theta(X_test, X), shape (M, N).

    Returns:
      Shape (T, N, *K), or (T, M, *K) with ``theta_test_train``.

    Raises:
      ValueError: on bad shapes or negative times.
    """
    t = check_times(t, "t")
    check_range(t_switch, "t_switch", low=0.0, finite=True)
    lam, V = eigensystem(theta)
    y1, y2 = _target_pair(y_first, y_second, lam.shape[0], ("y_first", "y_second"))
    if t.ndim != 1:
        raise ValueError(f"t must be 1-D, got shape {t.shape}.")
    t = t.astype(V.dtype)
    kxX = None if theta_test_train is None else test_train(theta_test_train, lam.shape[0])
    return _switched(lam, V, y1, y2, t, jnp.asarray(t_switch, V.dtype), kxX)


def _target_pair(y1, y2, n, names):
    y1, y2 = check_targets(y1, n, names[0]), check_targets(y2, n, names[1])
    if y1.shape != y2.shape:
        raise ValueError(f"{names[0]} and {names[1]} must have the same shape, ({n},) or ({n}, K); got "
                         f"{y1.shape} and {y2.shape}.")
    return y1, y2


@jax.jit
def _switched(lam, V, y1, y2, t, t_switch, kxX):
    """The switched trajectory (see switched_flow) from one eigensystem; kxX None: on the training inputs."""
    n = lam.shape[0]
    c1 = (V.T @ y1.astype(V.dtype)).reshape(n, -1)
    c2 = (V.T @ y2.astype(V.dtype)).reshape(n, -1)
    pos = lam > 0
    before = -jnp.expm1(-t[:, None] * lam[None, :])  # (T, N)
    a_s = -jnp.expm1(-t_switch * lam)
    decay = jnp.exp(-jnp.clip(t[:, None] - t_switch, 0.0, None) * lam[None, :])
    after = c2[None] + decay[..., None] * (a_s[:, None] * c1 - c2)[None]
    coef = jnp.where((t[:, None] <= t_switch)[..., None], before[..., None] * c1[None], after)
    coef = jnp.where(pos[None, :, None], coef, 0.0)
    basis = V if kxX is None else kxX.astype(V.dtype) @ V * inverse_on_range(lam)[None, :]
    out = jnp.einsum("mk,tkc->tmc", basis, coef)
    return out[..., 0] if y1.ndim == 1 else out


class SwitchingGain(NamedTuple):
    """Late-switching risks at the end of training and the recovered fraction of distillation's gain.

    Attributes:
      fraction: (R_onehot - R_switch) / (R_onehot - R_distill), shape (S,) over switching times;
        1 at t_s = 0 and 0 at t_s = t_end (``reverse``: the other way round); nan/inf if
        distillation has no gain (R_onehot = R_distill).
      risk_switched: R_switch(t_s), shape (S,).
      risk_onehot: R_onehot, the run on y_first throughout, shape ().
      risk_distill: R_distill, the run on y_second throughout, shape ().
    """

    fraction: Array
    risk_switched: Array
    risk_onehot: Array
    risk_distill: Array


def switching_gain_recovered(
    theta: Float[ArrayLike, "n n"],
    labels: Float[ArrayLike, "n *k"],
    teacher_targets: Float[ArrayLike, "n *k"],
    t_switch: Float[ArrayLike, " S"],
    *,
    t_end: float,
    eval_targets: Float[ArrayLike, "m *k"],
    theta_test_train: Float[ArrayLike, "m n"] | None = None,
    reverse: bool = False,
) -> SwitchingGain:
    """How much of distillation's gain a late switch to distillation recovers (Nagarajan et al. 2023, Sec. 3.2, Fig. 4).

    Three closed-form gradient flows ([`switched_flow`][kdntk.nagarajan.switched_flow]) are run to ``t_end``: one-hot (on
    ``labels`` throughout), distillation (on ``teacher_targets`` throughout) and, for every t_s in
    ``t_switch``, one-hot up to t_s then distillation. Each is scored by the squared risk
    R = mean_points ||f(x) - eval_target(x)||^2 on the test inputs (with ``theta_test_train``) or
    the training inputs, and

        fraction(t_s) = (R_onehot - R_switch(t_s)) / (R_onehot - R_distill).

    With ``reverse=True`` the switch goes from distillation to one-hot (Fig. 1b): the fraction is
    then how much of the gain survives the switch, with the same normalisation.

    Args:
      theta: Theta(X, X), shape (N, N).
      labels: one-hot (possibly noisy) training targets, shape (N,) or (N, K).
      teacher_targets: the teacher's outputs on X, same shape as ``labels``.
      t_switch: switching times in [0, t_end], shape (S,).
      t_end: length of training >= 0.
      eval_targets: targets the risk is measured against (e.g. clean test labels), shape (M, *K)
        on the test inputs or (N, *K) on the training inputs.
      theta_test_train: optional Theta(X_test, X), shape (M, N).
      reverse: switch from distillation to one-hot instead.

    Returns:
      A [`SwitchingGain`][kdntk.nagarajan.SwitchingGain].

    Raises:
      ValueError: on bad shapes, negative times or switching times after ``t_end``.
    """
    check_range(t_end, "t_end", low=0.0, finite=True)
    ts = check_array(t_switch, "t_switch", ndim=1)
    check_range(ts, "t_switch", low=0.0, high=t_end)
    lam, V = eigensystem(theta)
    labels, teacher_targets = _target_pair(labels, teacher_targets, lam.shape[0], ("labels", "teacher_targets"))
    kxX = None if theta_test_train is None else test_train(theta_test_train, lam.shape[0])
    target = check_array(eval_targets, "eval_targets")
    want = (lam.shape[0] if kxX is None else kxX.shape[0],) + labels.shape[1:]
    if target.shape != want:
        raise ValueError(f"eval_targets must have shape {want}, got {target.shape}.")
    return _switching_gain(lam, V, labels, teacher_targets, ts, jnp.asarray(t_end, ts.dtype), target, kxX,
                           bool(reverse))


@jax.jit
def _switching_gain(lam, V, labels, teacher_targets, ts, t_end, target, kxX, reverse):
    """``reverse`` is traced: one compiled program for both switching directions."""
    first = jnp.where(reverse, teacher_targets, labels)
    second = jnp.where(reverse, labels, teacher_targets)
    end = t_end[None]

    def risk(y1, y2, s):
        f = _switched(lam, V, y1, y2, end, s, kxX)[0]
        return jnp.mean(jnp.sum((f - target).reshape(f.shape[0], -1) ** 2, axis=-1))

    r_onehot = risk(labels, labels, 0.0)
    r_distill = risk(teacher_targets, teacher_targets, 0.0)
    r_switch = jax.vmap(lambda s: risk(first, second, s))(ts)
    return SwitchingGain((r_onehot - r_switch) / (r_onehot - r_distill), r_switch, r_onehot, r_distill)
