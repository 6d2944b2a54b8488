"""Matplotlib figures of the papers, one function per figure; each returns the Figure.

Importing this subpackage imports matplotlib; the rest of kdntk does not.
"""

from kdntk.plotting._inefficiency import plot_inefficiency as plot_inefficiency
from kdntk.plotting._phuong_lampert import plot_monotonicity as plot_monotonicity
from kdntk.plotting._phuong_lampert import plot_ntk_diagonal_ratio as plot_ntk_diagonal_ratio
from kdntk.plotting._phuong_lampert import plot_ntk_risk_bound as plot_ntk_risk_bound
from kdntk.plotting._phuong_lampert import plot_optimization_bias as plot_optimization_bias
from kdntk.plotting._phuong_lampert import plot_reverse_angle_cdf as plot_reverse_angle_cdf
from kdntk.plotting._phuong_lampert import plot_risk_vs_kappa as plot_risk_vs_kappa

__all__ = [
    "plot_inefficiency",
    "plot_monotonicity",
    "plot_ntk_diagonal_ratio",
    "plot_ntk_risk_bound",
    "plot_optimization_bias",
    "plot_reverse_angle_cdf",
    "plot_risk_vs_kappa",
]
