"""Figures of the eigenspace and gradient-space views of distillation (Nagarajan et al. 2023, Figs. 1-4, 20, 23; Thm 4.1)."""

from __future__ import annotations

from typing import Mapping

import matplotlib.pyplot as plt
import numpy as np

from kdntk.plotting._inputs import mapping, result, same_length, series

__all__ = [
    "plot_class_cosines",
    "plot_deviations",
    "plot_eigen_trajectories",
    "plot_loss_switching",
    "plot_sparsification",
]


def plot_deviations(deviations, *, mislabeled=None, title: str | None = None):
    """phi(p^te_{y_te}) (X) vs phi(p^st_{y_te}) (Y) on train and test points, with X = Y dashed (Nagarajan et al. 2023, Fig. 1-2).

    Args:
      deviations: a [`kdntk.nagarajan.Deviations`][kdntk.nagarajan.Deviations] (also usable for Fig. 23 right with C.5 logits).
      mislabeled: optional boolean mask (N,) of training points with flipped labels, drawn in red.
      title: figure title.

    Returns:
      The matplotlib Figure.
    """
    result(deviations, "deviations", "a kdntk.nagarajan.Deviations", "teacher_train", "student_train",
           "teacher_test", "student_test")
    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    pairs = [(deviations.teacher_train, deviations.student_train, "train"),
             (deviations.teacher_test, deviations.student_test, "test")]
    for ax, (x, y, name) in zip(axes, pairs):
        x, y = np.asarray(x), np.asarray(y)
        if name == "train" and mislabeled is not None:
            m = np.asarray(mislabeled, bool)
            ax.scatter(x[~m], y[~m], s=6, alpha=0.6, label="clean")
            ax.scatter(x[m], y[m], s=8, alpha=0.8, c="C3", label="mislabeled")
            ax.legend(fontsize=8)
        else:
            ax.scatter(x, y, s=6, alpha=0.6)
        lo, hi = float(min(x.min(), y.min())), float(max(x.max(), y.max()))
        ax.plot([lo, hi], [lo, hi], "k--", lw=1)
        ax.set_xlabel("teacher  phi(p_te)")
        ax.set_ylabel("student  phi(p_st)")
        ax.set_title(name)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_sparsification(alpha_star, theorem, *, title: str | None = None):
    """Both sides of Theorem 4.1 against alpha*: student alpha~_k2 vs the standalone minimum (Nagarajan et al. 2023, Eq. 5).

    Args:
      alpha_star: levels, shape (A,).
      theorem: a [`kdntk.nagarajan.SparsificationTheorem`][kdntk.nagarajan.SparsificationTheorem] evaluated at those levels (fields shape (A,)
        or (A, C) for C eigenvalue ratios, one line each).
      title: figure title.

    Returns:
      The matplotlib Figure.
    """
    a = series(alpha_star, "alpha_star")
    result(theorem, "theorem", "a kdntk.nagarajan.SparsificationTheorem", "student_bottom", "standalone_bottom")
    st, alone = np.asarray(theorem.student_bottom), np.asarray(theorem.standalone_bottom)
    same_length(alpha_star=a, theorem=st)
    st, alone = st.reshape(len(a), -1), alone.reshape(len(a), -1)
    fig, ax = plt.subplots(figsize=(5, 4))
    for j in range(st.shape[1]):
        ax.plot(a, alone[:, j], color=f"C{j}", label="standalone min" if j == 0 else None)
        ax.plot(a, st[:, j], "--", color=f"C{j}", label="student (Thm 4.1 construction)" if j == 0 else None)
    ax.set_xlabel("alpha* on the top direction k1")
    ax.set_ylabel("component on the bottom direction k2")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_eigen_trajectories(teacher, student, *, labels=("top direction", "bottom direction"),
                            title: str | None = None):
    """Trajectories projected on a top (X) and a bottom (Y) eigendirection, star at the end (Nagarajan et al. 2023, Fig. 20).

    Args:
      teacher: projections over time, shape (T, 2) (e.g. ``kdntk.nagarajan.weight_projections``).
      student: the same for the student, shape (T', 2).
      labels: axis labels.
      title: figure title.

    Returns:
      The matplotlib Figure.
    """
    fig, ax = plt.subplots(figsize=(4.5, 4))
    for arr, name, c in [(teacher, "teacher", "C0"), (student, "student", "C1")]:
        arr = series(arr, name, ndim=2)
        if arr.shape[1] != 2:
            raise ValueError(f"{name} must have shape (T, 2), got {arr.shape}.")
        ax.plot(arr[:, 0], arr[:, 1], color=c, label=name)
        ax.plot(arr[-1, 0], arr[-1, 1], "*", ms=12, color=c)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_loss_switching(t, curves: Mapping[str, object], *, t_switch=None, ylabel: str = "test error",
                        xlabel: str = "training time t", title: str | None = None):
    """A metric along training for one-hot, distillation and switched runs (Nagarajan et al. 2023, Fig. 1b, 4).

    Also draws ``kdntk.nagarajan.switching_gain_recovered`` fractions against switching time (``xlabel``).

    Args:
      t: times, shape (T,).
      curves: label -> metric, shape (T,).
      t_switch: optional switching time (vertical line).
      ylabel: y-axis label.
      xlabel: x-axis label.
      title: figure title.

    Returns:
      The matplotlib Figure.
    """
    t = series(t, "t")
    for name, v in mapping(curves, "curves", "a metric of shape (T,)").items():
        same_length(t=t, **{f"curves[{name!r}]": series(v, f"curves[{name!r}]")})
    fig, ax = plt.subplots(figsize=(5, 4))
    for name, v in curves.items():
        ax.plot(t, np.asarray(v), label=name)
    if t_switch is not None:
        ax.axvline(float(t_switch), color="k", ls=":", lw=1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_class_cosines(teacher_cosines, student_cosines, *, title: str | None = None):
    """cos-sim(w_k, mu_k) per class for teacher and student (Nagarajan et al. 2023, Fig. 23 middle).

    Args:
      teacher_cosines: shape (K,).
      student_cosines: shape (K,).
      title: figure title.

    Returns:
      The matplotlib Figure.
    """
    te, st = series(teacher_cosines, "teacher_cosines"), series(student_cosines, "student_cosines")
    same_length(teacher_cosines=te, student_cosines=st)
    k = np.arange(len(te))
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.bar(k - 0.2, te, width=0.4, label="teacher")
    ax.bar(k + 0.2, st, width=0.4, label="student")
    ax.set_xlabel("class k")
    ax.set_ylabel("cos-sim(w_k, mu_k)")
    ax.set_xticks(k)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
