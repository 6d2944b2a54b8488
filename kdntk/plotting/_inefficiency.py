"""Data-inefficiency figures: I(n) against n (000 Figs. 3 and 4 right) and E||dw_n|| (003 Figs. S4, S5)."""

from __future__ import annotations

from typing import Mapping

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["plot_inefficiency"]


def _cells(label, res):
    """(label, e, r) of every curve of a fixed-rank result with axes (E, R, S)."""
    e, r = np.shape(res.inefficiency)[:2]
    rho, T = np.asarray(res.soft_ratio), np.asarray(res.temperature)
    for i in range(e):
        for j in range(r):
            parts = [label] + ([f"teacher {i}"] if e > 1 else []) + (
                [f"rho={rho[j]:g}, T={T[j]:g}"] if r > 1 else [])
            yield ", ".join(p for p in parts if p) or "I(n)", i, j


def plot_inefficiency(curves: Mapping[str, object], *, title: str | None = None, norms: bool = True):
    """I(n) (with one-standard-error bars) and, if ``norms``, E||dw_n|| against n: one line per
    teacher and soft ratio of each result.

    Args:
      curves: a :class:`kdntk.DataInefficiency`, or label -> result; a result with several
        teachers (E) or soft ratios (R) draws one line per (teacher, soft ratio), labelled so.
      title: figure title.
      norms: add the right panel E||dw_n|| (log-log), as in the supplement's Fig. S4.

    Returns:
      The matplotlib Figure (not shown; save it with ``fig.savefig``).
    """
    if not isinstance(curves, Mapping):
        curves = {"": curves}
    ncols = 2 if norms else 1
    fig, axes = plt.subplots(1, ncols, figsize=(5.5 * ncols, 4), squeeze=False)
    ax_i = axes[0, 0]
    for name, res in curves.items():
        n = np.asarray(res.sample_sizes)
        for label, e, r in _cells(name, res):
            ax_i.errorbar(n, np.asarray(res.inefficiency)[e, r],
                          yerr=np.asarray(res.inefficiency_stderr)[e, r], marker="o", ms=3,
                          capsize=2, label=label)
            if norms:
                axes[0, 1].plot(n, np.asarray(res.mean_norm)[e, r], marker="o", ms=3, label=label)
    ax_i.set_xscale("log")
    ax_i.set_xlabel("sample size n")
    ax_i.set_ylabel("data inefficiency I(n)")
    ax_i.legend(fontsize=8)
    if norms:
        axes[0, 1].set_xscale("log")
        axes[0, 1].set_yscale("log")
        axes[0, 1].set_xlabel("sample size n")
        axes[0, 1].set_ylabel("E ||dw_n||")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
