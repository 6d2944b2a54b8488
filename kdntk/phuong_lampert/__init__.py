"""Phuong & Lampert, "Towards Understanding Knowledge Distillation" (ICML 2019).

Linear and deep-linear distillation: the converged student is the projection of the teacher onto
the data span (Thm 1-2), its transfer risk is bounded by the reverse angle cdf p(beta) of the data
geometry (Thm 3, Cor. 1-2, Eq. 16-19), and strong monotonicity (Sec. 5).
"""

from kdntk._src.angles import reverse_cdf as reverse_cdf
from kdntk._src.angles import signed_angle as signed_angle
from kdntk._src.angles import unsigned_angle as unsigned_angle
from kdntk.phuong_lampert._angles import isotropic_reverse_angle_cdf as isotropic_reverse_angle_cdf
from kdntk.phuong_lampert._angles import isotropic_transfer_risk as isotropic_transfer_risk
from kdntk.phuong_lampert._angles import reverse_angle_cdf as reverse_angle_cdf
from kdntk.phuong_lampert._bounds import approximate_distillation_bound as approximate_distillation_bound
from kdntk.phuong_lampert._bounds import margin_bound as margin_bound
from kdntk.phuong_lampert._bounds import monotonicity_index as monotonicity_index
from kdntk.phuong_lampert._bounds import polynomial_bound as polynomial_bound
from kdntk.phuong_lampert._bounds import risk_bound as risk_bound
from kdntk.phuong_lampert._bounds import risk_bound_curve as risk_bound_curve
from kdntk.phuong_lampert._linear import balanced_init as balanced_init
from kdntk.phuong_lampert._linear import deep_linear_distance_bound as deep_linear_distance_bound
from kdntk.phuong_lampert._linear import deep_linear_flow as deep_linear_flow
from kdntk.phuong_lampert._linear import linear as linear
from kdntk.phuong_lampert._linear import linear_distillation_loss as linear_distillation_loss
from kdntk.phuong_lampert._linear import linear_distillation_loss_grad as linear_distillation_loss_grad
from kdntk.phuong_lampert._linear import linear_distillation_solution as linear_distillation_solution
from kdntk.phuong_lampert._linear import linear_transfer_risk as linear_transfer_risk
from kdntk.phuong_lampert._linear import perturbed_minimizer as perturbed_minimizer

__all__ = [
    "approximate_distillation_bound",
    "balanced_init",
    "deep_linear_distance_bound",
    "deep_linear_flow",
    "isotropic_reverse_angle_cdf",
    "isotropic_transfer_risk",
    "linear",
    "linear_distillation_loss",
    "linear_distillation_loss_grad",
    "linear_distillation_solution",
    "linear_transfer_risk",
    "margin_bound",
    "monotonicity_index",
    "perturbed_minimizer",
    "polynomial_bound",
    "reverse_angle_cdf",
    "reverse_cdf",
    "risk_bound",
    "risk_bound_curve",
    "signed_angle",
    "unsigned_angle",
]
