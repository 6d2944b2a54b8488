"""Matplotlib figures of the papers, one function per figure; each returns the Figure.

Importing this subpackage imports matplotlib; the rest of kdntk does not.
"""

from kdntk.plotting._distillation_views import plot_class_cosines as plot_class_cosines
from kdntk.plotting._distillation_views import plot_deviations as plot_deviations
from kdntk.plotting._distillation_views import plot_eigen_trajectories as plot_eigen_trajectories
from kdntk.plotting._distillation_views import plot_loss_switching as plot_loss_switching
from kdntk.plotting._distillation_views import plot_sparsification as plot_sparsification
from kdntk.plotting._finite_width import plot_finite_width as plot_finite_width
from kdntk.plotting._inefficiency import plot_inefficiency as plot_inefficiency
from kdntk.plotting._ji_zhu import plot_effective_logits_fig1 as plot_effective_logits_fig1
from kdntk.plotting._ji_zhu import plot_transfer_risk as plot_transfer_risk
from kdntk.plotting._ji_zhu import plot_teacher_and_student_1d as plot_teacher_and_student_1d
from kdntk.plotting._ji_zhu import plot_inefficiency_by_epoch as plot_inefficiency_by_epoch
from kdntk.plotting._ji_zhu import plot_imperfect_distillation as plot_imperfect_distillation
from kdntk.plotting._ji_zhu import plot_hard_label_projection as plot_hard_label_projection
from kdntk.plotting._ji_zhu import plot_teacher_boundary as plot_teacher_boundary
from kdntk.plotting._ji_zhu import plot_zero_function as plot_zero_function
from kdntk.plotting._phuong_lampert import plot_monotonicity as plot_monotonicity
from kdntk.plotting._phuong_lampert import plot_ntk_diagonal_ratio as plot_ntk_diagonal_ratio
from kdntk.plotting._phuong_lampert import plot_ntk_risk_bound as plot_ntk_risk_bound
from kdntk.plotting._phuong_lampert import plot_optimization_bias as plot_optimization_bias
from kdntk.plotting._phuong_lampert import plot_reverse_angle_cdf as plot_reverse_angle_cdf
from kdntk.plotting._phuong_lampert import plot_risk_vs_kappa as plot_risk_vs_kappa

__all__ = [
    "plot_class_cosines",
    "plot_deviations",
    "plot_effective_logits_fig1",
    "plot_eigen_trajectories",
    "plot_finite_width",
    "plot_hard_label_projection",
    "plot_imperfect_distillation",
    "plot_inefficiency",
    "plot_inefficiency_by_epoch",
    "plot_loss_switching",
    "plot_monotonicity",
    "plot_ntk_diagonal_ratio",
    "plot_ntk_risk_bound",
    "plot_optimization_bias",
    "plot_reverse_angle_cdf",
    "plot_risk_vs_kappa",
    "plot_sparsification",
    "plot_teacher_and_student_1d",
    "plot_teacher_boundary",
    "plot_transfer_risk",
    "plot_zero_function",
]
