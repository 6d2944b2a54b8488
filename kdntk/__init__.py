"""kdntk: the analytic theory of knowledge distillation in wide networks, in JAX.

A wide student is replaced by its linearization around initialization; everything then has a
closed form in one kernel matrix Theta(X, X) and the logit changes dz. This namespace is the
general instrument: networks and their kernels, the linearized student's solves, effective
logits and losses, the trial engine's sweeps and their statistics, and the errors. The papers'
own analyses live in one namespace each ([`kdntk.ji_zhu`][kdntk.ji_zhu], [`kdntk.phuong_lampert`][kdntk.phuong_lampert],
[`kdntk.nagarajan`][kdntk.nagarajan]); inputs and targets in [`kdntk.tasks`][kdntk.tasks]; teachers in
[`kdntk.teachers`][kdntk.teachers]; architectures in [`kdntk.stax`][kdntk.stax]; figures in [`kdntk.plotting`][kdntk.plotting].
"""

from kdntk import ji_zhu as ji_zhu
from kdntk import nagarajan as nagarajan
from kdntk import phuong_lampert as phuong_lampert
from kdntk import stax as stax
from kdntk import tasks as tasks
from kdntk import teachers as teachers
from kdntk._src.checks import InsufficientMemoryError as InsufficientMemoryError
from kdntk._src.checks import KernelError as KernelError
from kdntk._src.checks import NumericalError as NumericalError
from kdntk._src.checks import PrecisionWarning as PrecisionWarning
from kdntk._src.effective import correction_logits as correction_logits
from kdntk._src.effective import effective_logits as effective_logits
from kdntk._src.engine import Trials as Trials
from kdntk._src.engine import run_trials as run_trials
from kdntk._src.engine import trial_inputs as trial_inputs
from kdntk._src.finite_width import FiniteWidthCheck as FiniteWidthCheck
from kdntk._src.finite_width import finite_width_check as finite_width_check
from kdntk._src.gradient_flow import gradient_flow as gradient_flow
from kdntk._src.gradient_flow import gradient_flow_predict as gradient_flow_predict
from kdntk._src.inefficiency import DataInefficiency as DataInefficiency
from kdntk._src.inefficiency import data_inefficiency as data_inefficiency
from kdntk._src.kernels import empirical_ntk as empirical_ntk
from kdntk._src.kernels import nngp as nngp
from kdntk._src.kernels import nnx_apply as nnx_apply
from kdntk._src.kernels import ntk as ntk
from kdntk._src.losses import binary_cross_entropy as binary_cross_entropy
from kdntk._src.losses import distillation_loss as distillation_loss
from kdntk._src.losses import distillation_loss_grad as distillation_loss_grad
from kdntk._src.losses import distillation_loss_per_sample as distillation_loss_per_sample
from kdntk._src.mixed_precision import weight_norm_mixed as weight_norm_mixed
from kdntk._src.montecarlo import Estimate as Estimate
from kdntk._src.montecarlo import log_log_slope as log_log_slope
from kdntk._src.montecarlo import log_mean_ratio as log_mean_ratio
from kdntk._src.montecarlo import windowed_slope as windowed_slope
from kdntk._src.networks import Network as Network
from kdntk._src.networks import mlp as mlp
from kdntk._src.risk import TransferRisk as TransferRisk
from kdntk._src.risk import TransferRiskCurve as TransferRiskCurve
from kdntk._src.risk import prefix_predictions as prefix_predictions
from kdntk._src.risk import transfer_risk as transfer_risk
from kdntk._src.risk import transfer_risk_curve as transfer_risk_curve
from kdntk._src.softmax_effective import softmax_effective_logits as softmax_effective_logits
from kdntk._src.softmax_losses import softmax_distillation_loss as softmax_distillation_loss
from kdntk._src.softmax_losses import softmax_distillation_loss_grad as softmax_distillation_loss_grad
from kdntk._src.softmax_losses import (
    softmax_distillation_loss_per_sample as softmax_distillation_loss_per_sample,
)
from kdntk._src.sharding import trial_mesh as trial_mesh
from kdntk._src.solve import cholesky as cholesky
from kdntk._src.solve import predict as predict
from kdntk._src.solve import theta_angle as theta_angle
from kdntk._src.solve import theta_cosine as theta_cosine
from kdntk._src.solve import theta_inner as theta_inner
from kdntk._src.solve import weight_norm as weight_norm
from kdntk._src.solve import weight_norm_path as weight_norm_path
from kdntk._src.solve import weight_norm_path_from_cholesky as weight_norm_path_from_cholesky
from kdntk._src.student import student_logit_changes as student_logit_changes

__version__ = "0.2.0"

__all__ = [
    "DataInefficiency",
    "Estimate",
    "FiniteWidthCheck",
    "InsufficientMemoryError",
    "KernelError",
    "Network",
    "NumericalError",
    "PrecisionWarning",
    "TransferRisk",
    "TransferRiskCurve",
    "Trials",
    "binary_cross_entropy",
    "cholesky",
    "correction_logits",
    "data_inefficiency",
    "distillation_loss",
    "distillation_loss_grad",
    "distillation_loss_per_sample",
    "effective_logits",
    "empirical_ntk",
    "finite_width_check",
    "gradient_flow",
    "gradient_flow_predict",
    "ji_zhu",
    "log_log_slope",
    "log_mean_ratio",
    "mlp",
    "nagarajan",
    "nngp",
    "nnx_apply",
    "ntk",
    "phuong_lampert",
    "predict",
    "prefix_predictions",
    "run_trials",
    "softmax_distillation_loss",
    "softmax_distillation_loss_grad",
    "softmax_distillation_loss_per_sample",
    "softmax_effective_logits",
    "stax",
    "student_logit_changes",
    "tasks",
    "teachers",
    "theta_angle",
    "theta_cosine",
    "theta_inner",
    "transfer_risk",
    "transfer_risk_curve",
    "trial_inputs",
    "trial_mesh",
    "weight_norm",
    "weight_norm_mixed",
    "weight_norm_path",
    "weight_norm_path_from_cholesky",
    "windowed_slope",
]
