"""Figures of linear distillation (Phuong & Lampert 2019, Figs. 1, 3-5) and of the NTK risk bound (Ji & Zhu 2020, Fig. 2; supplement Fig. S7).

Each function takes plain arrays (results of kdntk.phuong_lampert.linear / bounds / risk_bound) and returns a
matplotlib Figure without showing it.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from kdntk.plotting._inputs import mapping, same_length, series

__all__ = [
    "plot_reverse_angle_cdf",
    "plot_risk_vs_kappa",
    "plot_optimization_bias",
    "plot_monotonicity",
    "plot_ntk_risk_bound",
    "plot_ntk_diagonal_ratio",
]


def _finish(fig, ax, title):
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_reverse_angle_cdf(curves: Mapping[str, tuple], *, title: str | None = None):
    """p(theta) against theta in [0, pi/2], one line per ``label -> (theta, p)`` (Phuong & Lampert 2019, Fig. 1; Ji & Zhu 2020, Fig. 2 middle)."""
    for label, pair in mapping(curves, "curves", "(theta, p)").items():
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"curves[{label!r}] must be a pair (theta, p), got {type(pair).__name__}.")
        same_length(**{f"curves[{label!r}] theta": series(pair[0], f"curves[{label!r}] theta"),
                       f"curves[{label!r}] p": series(pair[1], f"curves[{label!r}] p")})
    fig, ax = plt.subplots(figsize=(5, 4))
    for label, (theta, p) in curves.items():
        ax.plot(np.asarray(theta), np.asarray(p), label=label)
    ax.set_xlim(0, np.pi / 2)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("angle beta")
    ax.set_ylabel("p(beta) = P[alpha_bar >= beta]")
    ax.legend(fontsize=8)
    return _finish(fig, ax, title)


def plot_risk_vs_kappa(
    kappas: Sequence[float],
    risk: Sequence[float],
    stderr: Sequence[float],
    *,
    bound: Sequence[float] | None = None,
    title: str | None = None,
):
    """Transfer risk of w_hat against kappa on a log2 axis, with error bars and Thm 3's bound (Phuong & Lampert 2019, Fig. 3)."""
    k, r, se = series(kappas, "kappas"), series(risk, "risk"), series(stderr, "stderr")
    same_length(kappas=k, risk=r, stderr=se, bound=None if bound is None else series(bound, "bound"))
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.errorbar(k, r, yerr=se, marker="o", capsize=2, label="measured risk")
    if bound is not None:
        ax.plot(k, np.asarray(bound), "k--", label="Thm 3 bound (tight)")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("kappa (angular alignment)")
    ax.set_ylabel("transfer risk")
    ax.legend(fontsize=8)
    return _finish(fig, ax, title)


def plot_optimization_bias(deltas, risk, stderr, *, title: str | None = None):
    """Transfer risk of the global minimizers w_delta against delta (Phuong & Lampert 2019, Fig. 4)."""
    d, r, se = series(deltas, "deltas"), series(risk, "risk"), series(stderr, "stderr")
    same_length(deltas=d, risk=r, stderr=se)
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.errorbar(d, r, yerr=se, marker="o", capsize=2)
    ax.set_xlabel("delta (larger = less optimisation bias)")
    ax.set_ylabel("transfer risk")
    return _finish(fig, ax, title)


def plot_monotonicity(points: Mapping[str, tuple], *, title: str | None = None):
    """Expected risk against monotonicity index, ``label -> (index, risk, index_se, risk_se)`` (Phuong & Lampert 2019, Fig. 5).

    Each value may be a scalar or a 1-D array (a family of learners, e.g. w_delta over delta).
    """
    for label, point in mapping(points, "points", "(index, risk, index_se, risk_se)").items():
        if not isinstance(point, (tuple, list)) or len(point) != 4:
            raise TypeError(f"points[{label!r}] must be (index, risk, index_se, risk_se), got "
                            f"{type(point).__name__}.")
    fig, ax = plt.subplots(figsize=(5, 4))
    for label, (m, r, m_se, r_se) in points.items():
        ax.errorbar(np.atleast_1d(m), np.atleast_1d(r), xerr=np.atleast_1d(m_se), yerr=np.atleast_1d(r_se),
                    marker="o", ls="none", capsize=2, label=label)
    ax.set_xlabel("monotonicity index")
    ax.set_ylabel("transfer risk")
    ax.legend(fontsize=8)
    return _finish(fig, ax, title)


def plot_ntk_risk_bound(n, risk, risk_stderr, bound, alpha_bar_n, *, title: str | None = None):
    """Left: measured R_n with error bars and Thm 1's bound p(pi/2 - alpha_bar_n); right: alpha_bar_n (Ji & Zhu 2020, Fig. 2)."""
    n = series(n, "n")
    same_length(n=n, risk=series(risk, "risk"), risk_stderr=series(risk_stderr, "risk_stderr"),
                bound=series(bound, "bound"), alpha_bar_n=series(alpha_bar_n, "alpha_bar_n"))
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    a1.errorbar(n, np.asarray(risk), yerr=np.asarray(risk_stderr), marker="o", ms=3, capsize=2, label="measured R_n")
    a1.plot(n, np.asarray(bound), "k--", label="Thm 1 bound")
    a1.set_xscale("log")
    a1.set_yscale("log")
    a1.set_xlabel("sample size n")
    a1.set_ylabel("transfer risk")
    a1.legend(fontsize=8)
    a2.plot(n, np.asarray(alpha_bar_n), marker="o", ms=3)
    a2.set_xscale("log")
    a2.set_xlabel("sample size n")
    a2.set_ylabel("alpha_bar_n (rad)")
    return _finish(fig, a1, title)


def plot_ntk_diagonal_ratio(scales, ratios: Sequence[np.ndarray], *, title: str | None = None):
    """Theta(x, x) / x^T x at several input scales, with the 1/4 line (Ji & Zhu 2020, supplement Fig. S7)."""
    scales = series(scales, "scales")
    ratios = [series(r, f"ratios[{i}]", ndim=None) for i, r in enumerate(ratios)]
    if len(ratios) != len(scales):
        raise ValueError(f"scales and ratios must have the same length, got {len(scales)} scales and "
                         f"{len(ratios)} arrays of ratios.")
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.boxplot(ratios, tick_labels=[f"{s:g}" for s in scales])
    ax.axhline(0.25, color="k", ls="--", label="1/4")
    ax.set_yscale("log")
    ax.set_xlabel("input scale sigma_x")
    ax.set_ylabel("Theta(x, x) / x^T x")
    ax.legend(fontsize=8)
    return _finish(fig, ax, title)
