"""Figures of Ji & Zhu (2020): Figs. 1, 2 (left), 4 (left, middle), 5 (left, right), S3 and S5.

Each function takes computed arrays (or, for Fig. 1, computes the cheap effective logits itself)
and returns a matplotlib Figure without showing it. Fig. 4 right is [`plot_inefficiency`][kdntk.plotting.plot_inefficiency].
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np

from kdntk.plotting._inefficiency import plot_inefficiency
from kdntk.plotting._inputs import result, same_length, series
from kdntk.plotting._inputs import result as need

__all__ = [
    "plot_effective_logits_fig1",
    "plot_transfer_risk",
    "plot_teacher_and_student_1d",
    "plot_inefficiency_by_epoch",
    "plot_imperfect_distillation",
    "plot_hard_label_projection",
    "plot_teacher_boundary",
    "plot_zero_function",
]


def _finish(fig, title):
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_effective_logits_fig1(by_soft_ratio, by_temperature, *, title: str | None = None):
    """Ji & Zhu (2020), Fig. 1: z_eff against z_t for several rho at fixed T (left) and several T
    at fixed rho (right); solid: a correct teacher y_g = 1{z_t > 0}, dashed: a wrong one.

    Args:
      by_soft_ratio: the left panel's [`kdntk.ji_zhu.EffectiveLogitCurves`][kdntk.ji_zhu.EffectiveLogitCurves]
        (from [`kdntk.ji_zhu.effective_logit_curves`][kdntk.ji_zhu.effective_logit_curves]).
      by_temperature: the right panel's curves.
      title: figure title.
    """
    for name, curves in (("by_soft_ratio", by_soft_ratio), ("by_temperature", by_temperature)):
        result(curves, name, "a kdntk.ji_zhu.EffectiveLogitCurves", "z_t", "soft_ratio", "temperature",
               "correct", "wrong")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, curves, which in ((axes[0], by_soft_ratio, "rho"), (axes[1], by_temperature, "T")):
        z = np.asarray(curves.z_t)
        rho, T = np.asarray(curves.soft_ratio), np.asarray(curves.temperature)
        for k, (right, wrong) in enumerate(zip(np.asarray(curves.correct), np.asarray(curves.wrong))):
            label = f"rho={rho[k]:g}" if which == "rho" else f"T={T[k]:g}"
            ax.plot(z, right, color=f"C{k}", label=label)
            ax.plot(z, wrong, color=f"C{k}", ls="--")
        ax.plot(z, z, color="gray", lw=0.5)
        ax.set_xlabel("teacher logit z_t")
        ax.set_ylabel("effective student logit z_eff")
        ax.set_title(f"T = {T[0]:g}" if which == "rho" else f"rho = {rho[0]:g}")
        ax.legend(fontsize=8)
    return _finish(fig, title)


def plot_transfer_risk(curve, labels: Sequence[str] | None = None, *, title: str | None = None):
    """Ji & Zhu Fig. 2 left: transfer risk R_n against n (log-log, one-standard-error bars), one
    line per (teacher, soft ratio) of a [`kdntk.TransferRiskCurve`][kdntk.TransferRiskCurve] (risk (E, R, S))."""
    result(curve, "curve", "a kdntk.TransferRiskCurve", "sample_sizes", "risk", "risk_stderr")
    n = np.asarray(curve.sample_sizes)
    risk = np.asarray(curve.risk).reshape(-1, n.size)
    err = np.asarray(curve.risk_stderr).reshape(-1, n.size)
    labels = labels or [f"curve {i}" for i in range(len(risk))]
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for r, e, label in zip(risk, err, labels):
        ax.errorbar(n, r, yerr=e, marker="o", ms=3, capsize=2, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("sample size n")
    ax.set_ylabel("transfer risk P[z_t z_s < 0]")
    ax.legend(fontsize=8)
    return _finish(fig, title)


def plot_teacher_and_student_1d(x, ground_truth, teacher_logits, epochs, z_eff, soft_ratios, *,
                                title: str | None = None):
    """Ji & Zhu (2020), Fig. 4 left: along a 1-D slice x (M,): ground-truth class (top), teacher logits by
    stopping epoch (E, M) (middle), effective student logits by soft ratio (R, M) (bottom)."""
    x = series(x, "x")
    gt = series(ground_truth, "ground_truth")
    zt, ze = series(teacher_logits, "teacher_logits", ndim=2), series(z_eff, "z_eff", ndim=2)
    same_length(x=x, ground_truth=gt)
    same_length(teacher_logits=zt, epochs=series(epochs, "epochs"))
    same_length(z_eff=ze, soft_ratios=series(soft_ratios, "soft_ratios"))
    for name, z in (("teacher_logits", zt), ("z_eff", ze)):
        if z.shape[1] != x.shape[0]:
            raise ValueError(f"{name} must have one value per point of x {x.shape}, got shape {z.shape}.")
    fig, axes = plt.subplots(3, 1, figsize=(6, 7), sharex=True)
    axes[0].plot(x, (np.asarray(ground_truth) > 0).astype(float), color="k")
    axes[0].set_ylabel("ground-truth class")
    for z, e in zip(np.asarray(teacher_logits), np.asarray(epochs)):
        axes[1].plot(x, z, label=f"epoch {int(e)}")
    axes[1].set_ylabel("teacher logit z_t")
    axes[1].legend(fontsize=7)
    for z, r in zip(np.asarray(z_eff), np.asarray(soft_ratios)):
        axes[2].plot(x, z, label=f"rho={float(r):g}")
    axes[2].set_ylabel("z_eff")
    axes[2].set_xlabel("x (1-D slice)")
    axes[2].legend(fontsize=7)
    return _finish(fig, title)


def plot_inefficiency_by_epoch(result, epochs, *, title: str | None = None):
    """Ji & Zhu Fig. 4 middle: I(n) per teacher stopping epoch, from
    [`kdntk.ji_zhu.inefficiency_by_epoch`][kdntk.ji_zhu.inefficiency_by_epoch] (teacher axis E = epochs) and the E ``epochs``."""
    need(result, "result", "a kdntk.DataInefficiency", "inefficiency", "sample_sizes")
    epochs = series(epochs, "epochs")
    same_length(result=np.asarray(result.inefficiency), epochs=epochs)
    curves = {f"epoch {int(e)}": _teacher(result, i) for i, e in enumerate(epochs)}
    return plot_inefficiency(curves, title=title)


def _teacher(result, i):
    """The result restricted to teacher i (the teacher axis kept, of length 1)."""
    fields = {f: getattr(result, f) for f in ("inefficiency", "inefficiency_stderr", "mean_norm",
                                              "std_norm", "norms", "next_norms", "slope", "slope_stderr")}
    return dataclasses.replace(result, **{f: np.asarray(v)[i:i + 1] for f, v in fields.items()
                                          if v is not None})


def plot_imperfect_distillation(soft_ratios, error, stderr, *, teacher_error: float | None = None,
                                title: str | None = None):
    """Ji & Zhu (2020), Fig. 5 left: the student's error against the ground truth versus soft ratio rho."""
    rho, err, se = series(soft_ratios, "soft_ratios"), series(error, "error"), series(stderr, "stderr")
    same_length(soft_ratios=rho, error=err, stderr=se)
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.errorbar(rho, err, yerr=se, marker="o", capsize=2, label="student")
    if teacher_error is not None:
        ax.axhline(teacher_error, color="gray", ls="--", label="teacher")
    ax.set_xlabel("soft ratio rho")
    ax.set_ylabel("error P[z_g z_s < 0]")
    ax.legend(fontsize=8)
    return _finish(fig, title)


def plot_hard_label_projection(curve, teachers, *, xlabel: str = "teacher stopping epoch",
                               title: str | None = None):
    """Ji & Zhu (2020), Fig. 5 right: <delta w_h, dw_c> (one-standard-error bars) against the teachers'
    stopping epochs or times ``teachers`` (E,), one line per sample size, from a
    [`kdntk.ji_zhu.HardLabelCurve`][kdntk.ji_zhu.HardLabelCurve] ([`kdntk.ji_zhu.hard_label_effect_curve`][kdntk.ji_zhu.hard_label_effect_curve])."""
    result(curve, "curve", "a kdntk.ji_zhu.HardLabelCurve", "sample_sizes", "projection", "projection_stderr")
    same_length(curve=np.asarray(curve.projection), teachers=series(teachers, "teachers"))
    fig, ax = plt.subplots(figsize=(5.5, 4))
    p, s = np.asarray(curve.projection), np.asarray(curve.projection_stderr)
    for j, n in enumerate(np.asarray(curve.sample_sizes)):
        ax.errorbar(np.asarray(teachers), p[:, j], yerr=s[:, j], marker="o", ms=3, capsize=2, label=f"n={n}")
    ax.axhline(0.0, color="k", lw=0.5)
    ax.set_xscale("log")
    ax.set_yscale("symlog", linthresh=1e-2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("<delta w_h, dw_c>")
    ax.legend(fontsize=8)
    return _finish(fig, title)


def plot_teacher_boundary(grid, *, title: str | None = None):
    """Ji & Zhu (2020), supplement Fig. S3: decision boundary (left) and logits (right) of a 2-D
    teacher, from a [`kdntk.tasks.LogitGrid`][kdntk.tasks.LogitGrid]
    ([`kdntk.tasks.logit_grid`][kdntk.tasks.logit_grid])."""
    result(grid, "grid", "a kdntk.tasks.LogitGrid", "axis", "logits")
    g, z = np.asarray(grid.axis), np.asarray(grid.logits)
    xx, yy = np.meshgrid(g, g)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    axes[0].contourf(xx, yy, z > 0, levels=1, cmap="coolwarm")
    axes[0].set_title("decision boundary")
    im = axes[1].imshow(z, extent=(g[0], g[-1], g[0], g[-1]), origin="lower", cmap="coolwarm")
    fig.colorbar(im, ax=axes[1])
    axes[1].set_title("logits")
    return _finish(fig, title)


def plot_zero_function(comparison, *, title: str | None = None):
    """Ji & Zhu (2020), supplement Fig. S6 analogue: E||dw_n||^2 of the task and E||dw_z,n||^2 of the zero function against
    n (log-log, unnormalized), from a [`kdntk.ji_zhu.ZeroFunctionComparison`][kdntk.ji_zhu.ZeroFunctionComparison] (its first
    teacher)."""
    result(comparison, "comparison", "a kdntk.ji_zhu.ZeroFunctionComparison", "sample_sizes", "task_sq", "zero_sq")
    n = np.asarray(comparison.sample_sizes)
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(n, np.asarray(comparison.task_sq[0]).mean(0), marker="o", label="task")
    ax.plot(n, np.asarray(comparison.zero_sq[0]).mean(0), marker="o", label="zero function")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("sample size n")
    ax.set_ylabel("E ||dw_n||^2")
    ax.legend(fontsize=8)
    return _finish(fig, title)
