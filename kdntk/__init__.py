"""kdntk: the analytic theory of knowledge distillation in wide networks, in JAX.

A wide student is replaced by its linearization around initialization; everything then has a
closed form in one kernel matrix Theta(X, X) and the logit changes dz. See docs/ for the maths.
"""

from kdntk import tasks as tasks
from kdntk._checks import KernelError as KernelError
from kdntk._checks import NumericalError as NumericalError
from kdntk._checks import PrecisionWarning as PrecisionWarning
from kdntk.angles import isotropic_reverse_angle_cdf as isotropic_reverse_angle_cdf
from kdntk.angles import isotropic_transfer_risk as isotropic_transfer_risk
from kdntk.angles import reverse_angle_cdf as reverse_angle_cdf
from kdntk.angles import reverse_cdf as reverse_cdf
from kdntk.angles import signed_angle as signed_angle
from kdntk.angles import unsigned_angle as unsigned_angle
from kdntk.bounds import approximate_distillation_bound as approximate_distillation_bound
from kdntk.bounds import margin_bound as margin_bound
from kdntk.bounds import monotonicity_index as monotonicity_index
from kdntk.bounds import phuong_lampert_bound as phuong_lampert_bound
from kdntk.bounds import phuong_lampert_bound_curve as phuong_lampert_bound_curve
from kdntk.bounds import polynomial_bound as polynomial_bound
from kdntk.deviations import Deviations as Deviations
from kdntk.deviations import SwitchingGain as SwitchingGain
from kdntk.deviations import logit_transformed_probability as logit_transformed_probability
from kdntk.deviations import switched_flow as switched_flow
from kdntk.deviations import switching_gain_recovered as switching_gain_recovered
from kdntk.deviations import teacher_student_deviations as teacher_student_deviations
from kdntk.effective import correction_logits as correction_logits
from kdntk.effective import cutoff_logits as cutoff_logits
from kdntk.effective import effective_logits as effective_logits
from kdntk.effective import label_smoothing_threshold as label_smoothing_threshold
from kdntk.early_stopping import inefficiency_by_epoch as inefficiency_by_epoch
from kdntk.eigen import Eigensystem as Eigensystem
from kdntk.eigen import SparsificationTheorem as SparsificationTheorem
from kdntk.eigen import distilled_flow as distilled_flow
from kdntk.eigen import distilled_flow_predict as distilled_flow_predict
from kdntk.eigen import distilled_sparsifier as distilled_sparsifier
from kdntk.eigen import eigensystem as eigensystem
from kdntk.eigen import linear_flow_weights as linear_flow_weights
from kdntk.eigen import sparsification_theorem as sparsification_theorem
from kdntk.eigen import weight_projections as weight_projections
from kdntk.gradient_flow import gradient_flow as gradient_flow
from kdntk.gradient_flow import gradient_flow_predict as gradient_flow_predict
from kdntk.gradient_flow import sparsifier as sparsifier
from kdntk.imperfect import HardLabelEffect as HardLabelEffect
from kdntk.imperfect import cutoff_error as cutoff_error
from kdntk.imperfect import HardLabelCurve as HardLabelCurve
from kdntk.imperfect import hard_label_effect as hard_label_effect
from kdntk.imperfect import hard_label_effect_curve as hard_label_effect_curve
from kdntk.imperfect import hard_label_effect_path as hard_label_effect_path
from kdntk.zero_function import ZeroFunctionComparison as ZeroFunctionComparison
from kdntk.zero_function import zero_function_comparison as zero_function_comparison
from kdntk.imperfect import student_oracle_cosine as student_oracle_cosine
from kdntk.gradient_space import ChannelClassifier as ChannelClassifier
from kdntk.gradient_space import channel_accuracy as channel_accuracy
from kdntk.gradient_space import channel_logits as channel_logits
from kdntk.gradient_space import class_cosines as class_cosines
from kdntk.gradient_space import gradient_sign_fraction as gradient_sign_fraction
from kdntk.gradient_space import support_agreement_fraction as support_agreement_fraction
from kdntk.gradient_space import train_channel_classifier as train_channel_classifier
from kdntk.gradient_theorem import GradientQuality as GradientQuality
from kdntk.gradient_theorem import gradient_quality as gradient_quality
from kdntk.gradient_theorem import similarity_probabilities as similarity_probabilities
from kdntk.inefficiency import DataInefficiency as DataInefficiency
from kdntk.inefficiency import data_inefficiency as data_inefficiency
from kdntk.inefficiency import student_logit_changes as student_logit_changes
from kdntk.random_features import FeatureTrajectory as FeatureTrajectory
from kdntk.random_features import cross_entropy_feature_trajectory as cross_entropy_feature_trajectory
from kdntk.random_features import random_relu_features as random_relu_features
from kdntk.kernels import empirical_ntk as empirical_ntk
from kdntk.kernels import nngp as nngp
from kdntk.kernels import ntk as ntk
from kdntk.linear import balanced_init as balanced_init
from kdntk.linear import deep_linear_distance_bound as deep_linear_distance_bound
from kdntk.linear import deep_linear_flow as deep_linear_flow
from kdntk.linear import linear as linear
from kdntk.linear import linear_distillation_loss as linear_distillation_loss
from kdntk.linear import linear_distillation_loss_grad as linear_distillation_loss_grad
from kdntk.linear import linear_distillation_solution as linear_distillation_solution
from kdntk.linear import linear_transfer_risk as linear_transfer_risk
from kdntk.linear import perturbed_minimizer as perturbed_minimizer
from kdntk.losses import binary_cross_entropy as binary_cross_entropy
from kdntk.losses import distillation_loss as distillation_loss
from kdntk.losses import distillation_loss_grad as distillation_loss_grad
from kdntk.losses import distillation_loss_per_sample as distillation_loss_per_sample
from kdntk.memory import InsufficientMemoryError as InsufficientMemoryError
from kdntk.networks import Network as Network
from kdntk.networks import mlp as mlp
from kdntk.risk import TransferRisk as TransferRisk
from kdntk.risk import TransferRiskCurve as TransferRiskCurve
from kdntk.risk import prefix_predictions as prefix_predictions
from kdntk.risk import transfer_risk as transfer_risk
from kdntk.risk import transfer_risk_curve as transfer_risk_curve
from kdntk.risk_bound import OracleNorm as OracleNorm
from kdntk.risk_bound import feature_cosines as feature_cosines
from kdntk.risk_bound import ntk_alpha_bar as ntk_alpha_bar
from kdntk.risk_bound import ntk_diagonal as ntk_diagonal
from kdntk.risk_bound import ntk_reverse_angle_cdf as ntk_reverse_angle_cdf
from kdntk.risk_bound import ntk_risk_bound as ntk_risk_bound
from kdntk.risk_bound import oracle_norm_estimate as oracle_norm_estimate
from kdntk.risk_bound import vacuous_threshold as vacuous_threshold
from kdntk.sharding import trial_mesh as trial_mesh
from kdntk.solve import cholesky as cholesky
from kdntk.solve import predict as predict
from kdntk.solve import theta_angle as theta_angle
from kdntk.solve import theta_cosine as theta_cosine
from kdntk.solve import theta_inner as theta_inner
from kdntk.solve import weight_norm as weight_norm
from kdntk.solve import weight_norm_path as weight_norm_path
from kdntk.solve import weight_norm_path_from_cholesky as weight_norm_path_from_cholesky
from kdntk.teacher import CPU as CPU
from kdntk.teacher import PAPER as PAPER
from kdntk.teacher import FlowTeacher as FlowTeacher
from kdntk.teacher import Teacher as Teacher
from kdntk.teacher import TeacherConfig as TeacherConfig
from kdntk.teacher import TeacherSnapshots as TeacherSnapshots
from kdntk.teacher import flow_teacher as flow_teacher
from kdntk.teacher import train_teacher as train_teacher

__version__ = "0.1.0"

__all__ = [
    "CPU",
    "ChannelClassifier",
    "DataInefficiency",
    "Deviations",
    "Eigensystem",
    "FeatureTrajectory",
    "FlowTeacher",
    "GradientQuality",
    "HardLabelEffect",
    "InsufficientMemoryError",
    "KernelError",
    "Network",
    "NumericalError",
    "OracleNorm",
    "PAPER",
    "PrecisionWarning",
    "SparsificationTheorem",
    "SwitchingGain",
    "Teacher",
    "TeacherConfig",
    "TeacherSnapshots",
    "TransferRisk",
    "TransferRiskCurve",
    "approximate_distillation_bound",
    "balanced_init",
    "binary_cross_entropy",
    "channel_accuracy",
    "channel_logits",
    "cholesky",
    "class_cosines",
    "correction_logits",
    "cross_entropy_feature_trajectory",
    "cutoff_error",
    "cutoff_logits",
    "data_inefficiency",
    "deep_linear_distance_bound",
    "deep_linear_flow",
    "distillation_loss",
    "distillation_loss_grad",
    "distillation_loss_per_sample",
    "distilled_flow",
    "distilled_flow_predict",
    "distilled_sparsifier",
    "effective_logits",
    "eigensystem",
    "empirical_ntk",
    "feature_cosines",
    "flow_teacher",
    "gradient_flow",
    "gradient_flow_predict",
    "gradient_quality",
    "gradient_sign_fraction",
    "hard_label_effect",
    "hard_label_effect_curve",
    "HardLabelCurve",
    "hard_label_effect_path",
    "zero_function_comparison",
    "ZeroFunctionComparison",
    "inefficiency_by_epoch",
    "isotropic_reverse_angle_cdf",
    "isotropic_transfer_risk",
    "label_smoothing_threshold",
    "linear",
    "linear_distillation_loss",
    "linear_distillation_loss_grad",
    "linear_distillation_solution",
    "linear_flow_weights",
    "linear_transfer_risk",
    "logit_transformed_probability",
    "margin_bound",
    "mlp",
    "monotonicity_index",
    "nngp",
    "ntk",
    "ntk_alpha_bar",
    "ntk_diagonal",
    "ntk_reverse_angle_cdf",
    "ntk_risk_bound",
    "oracle_norm_estimate",
    "perturbed_minimizer",
    "phuong_lampert_bound",
    "phuong_lampert_bound_curve",
    "polynomial_bound",
    "predict",
    "prefix_predictions",
    "random_relu_features",
    "reverse_angle_cdf",
    "reverse_cdf",
    "signed_angle",
    "similarity_probabilities",
    "sparsification_theorem",
    "sparsifier",
    "student_logit_changes",
    "student_oracle_cosine",
    "support_agreement_fraction",
    "switched_flow",
    "switching_gain_recovered",
    "tasks",
    "teacher_student_deviations",
    "theta_angle",
    "theta_cosine",
    "theta_inner",
    "train_channel_classifier",
    "train_teacher",
    "transfer_risk",
    "transfer_risk_curve",
    "trial_mesh",
    "unsigned_angle",
    "vacuous_threshold",
    "weight_norm",
    "weight_norm_path",
    "weight_norm_path_from_cholesky",
    "weight_projections",
]
