"""Data-inefficiency figures: I(n) against n (000 Figs. 3 and 4 right) and E||dw_n|| (003 Figs. S4, S5)."""

from __future__ import annotations

from typing import Mapping

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["plot_inefficiency"]


def plot_inefficiency(curves: Mapping[str, object], *, title: str | None = None, norms: bool = True):
    """I(n) (with one-standard-error bars) and, if ``norms``, E||dw_n|| against n, one line per curve.

    Args:
      curves: label -> :class:`kdntk.DataInefficiency` without a soft-ratio axis (index the
        result, e.g. ``res._replace(...)``, or pass one result per soft ratio).
      title: figure title.
      norms: add the right panel E||dw_n|| (log-log), as in 003 Fig. S4.

    Returns:
      The matplotlib Figure (not shown; save it with ``fig.savefig``).
    """
    ncols = 2 if norms else 1
    fig, axes = plt.subplots(1, ncols, figsize=(5.5 * ncols, 4), squeeze=False)
    ax_i = axes[0, 0]
    for label, res in curves.items():
        n = np.asarray(res.sample_sizes)
        ineff = np.asarray(res.inefficiency)
        if ineff.ndim != 1:
            raise ValueError(f"curve {label!r} has a soft-ratio axis; pass one curve per soft ratio.")
        ax_i.errorbar(n, ineff, yerr=np.asarray(res.inefficiency_stderr), marker="o", ms=3,
                      capsize=2, label=label)
        if norms:
            axes[0, 1].plot(n, np.asarray(res.mean_norm), marker="o", ms=3, label=label)
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
