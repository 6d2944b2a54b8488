"""Data-inefficiency figures: I(n) against n (Ji & Zhu 2020, Figs. 3 and 4 right) and E||dw_n|| (Ji & Zhu 2020, supplement Figs. S4, S5)."""

from __future__ import annotations

from typing import Mapping

import matplotlib.pyplot as plt
import numpy as np

from kdntk.plotting._inputs import result

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
    """I(n) against n: the windowed estimate as lines with one-standard-error bands, Definition 1's
    one-step values (Ji & Zhu 2020, Eq. 10) as faint crosses of the same colour (their standard
    errors, 2-5x larger, are in the result, not drawn); and, if ``norms``,
    E||dw_n|| against n. One line per teacher and soft ratio of each result.

    The line is ``kdntk.DataInefficiency.slope`` (least-squares slope of ln E||dw_j|| over
    j in [n / w, (n + 1) w], docs/inefficiency.md); a result without it (built by hand) draws
    Definition 1's values as the line instead.

    Args:
      curves: a [`kdntk.DataInefficiency`][kdntk.DataInefficiency], or label -> result; a result with several
        teachers (E) or soft ratios (R) draws one line per (teacher, soft ratio), labelled so.
      title: figure title.
      norms: add the right panel E||dw_n|| (log-log), as in the supplement's Fig. S4.

    Returns:
      The matplotlib Figure (not shown; save it with ``fig.savefig``).
    """
    if not isinstance(curves, Mapping):
        curves = {"": curves}
    for label, res in curves.items():
        result(res, "curves" if label == "" else f"curves[{label!r}]", "a kdntk.DataInefficiency",
               "sample_sizes", "soft_ratio", "temperature", "inefficiency", "mean_norm")
    ncols = 2 if norms else 1
    fig, axes = plt.subplots(1, ncols, figsize=(5.5 * ncols, 4), squeeze=False)
    ax_i = axes[0, 0]
    windowed, k = False, 0
    for name, res in curves.items():
        n = np.asarray(res.sample_sizes)
        for label, e, r in _cells(name, res):
            color, k = f"C{k % 10}", k + 1
            d1 = np.asarray(res.inefficiency)[e, r]
            if getattr(res, "slope", None) is not None:
                windowed = True
                y, se = np.asarray(res.slope)[e, r], np.asarray(res.slope_stderr)[e, r]
                ax_i.plot(n, y, marker="o", ms=3, color=color, label=label)
                ax_i.fill_between(n, y - se, y + se, color=color, alpha=0.2, lw=0)
                ax_i.plot(n, d1, "x", ms=5, color=color, alpha=0.35)
            else:
                ax_i.errorbar(n, d1, yerr=np.asarray(res.inefficiency_stderr)[e, r], marker="o", ms=3,
                              capsize=2, color=color, label=label)
            if norms:
                axes[0, 1].plot(n, np.asarray(res.mean_norm)[e, r], marker="o", ms=3, color=color,
                                label=label)
    ax_i.set_xscale("log")
    ax_i.set_xlabel("sample size n")
    ax_i.set_ylabel("data inefficiency I(n)")
    if windowed:
        ax_i.set_title("lines: windowed slope (bands: +-1 SE); faint x: Definition 1, Eq. 10", fontsize=8)
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
