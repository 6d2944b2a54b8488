"""The finite-width check's figure: gaps between trained networks and the closed form against width."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from kdntk.plotting._inputs import result

__all__ = ["plot_finite_width"]

_LABELS = {
    "train_gap": "train logits vs z_eff",
    "test_gap": "test logits vs closed form",
    "test_gap_empirical": "test logits vs empirical-NTK linearization",
    "norm_gap": "||w - w0|| vs closed-form ||dw||",
    "norm_gap_empirical": "||w - w0|| vs empirical-NTK ||dw||",
    "class_mean_gap": "class-mean drift (C classes)",
}


def plot_finite_width(check, *, fields=("test_gap", "test_gap_empirical", "norm_gap"),
                      title: str | None = None):
    """Relative gaps (mean over seeds, one-standard-error bars) against the width m, log-log, with
    the 1/sqrt(m) slope of the lazy regime drawn through the widest point.

    Args:
      check: a [`kdntk.FiniteWidthCheck`][kdntk.FiniteWidthCheck].
      fields: which of its gap fields to draw.
      title: figure title.
    """
    result(check, "check", "a kdntk.FiniteWidthCheck", "widths", *fields)
    m = np.asarray(check.widths, float)
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for field in fields:
        gap = np.asarray(getattr(check, field))
        se = gap.std(axis=1, ddof=1) / np.sqrt(gap.shape[1]) if gap.shape[1] > 1 else None
        ax.errorbar(m, gap.mean(axis=1), yerr=se, marker="o", ms=3, capsize=2, label=_LABELS.get(field, field))
        last = gap.mean(axis=1)[-1]
    ax.plot(m, last * np.sqrt(m[-1] / m), color="gray", ls=":", label="1/sqrt(m)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("width m")
    ax.set_ylabel("relative gap")
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
