"""kdntk: the analytic theory of knowledge distillation in wide networks, in JAX.

A wide student is replaced by its linearization around initialization; everything then has a
closed form in one kernel matrix Theta(X, X) and the logit changes dz. See docs/ for the maths.
"""

from kdntk import tasks as tasks
from kdntk._checks import KernelError as KernelError
from kdntk._checks import NumericalError as NumericalError
from kdntk._checks import PrecisionWarning as PrecisionWarning
from kdntk.deviations import Deviations as Deviations
from kdntk.deviations import logit_transformed_probability as logit_transformed_probability
from kdntk.deviations import switched_flow as switched_flow
from kdntk.deviations import teacher_student_deviations as teacher_student_deviations
from kdntk.effective import correction_logits as correction_logits
from kdntk.effective import cutoff_logits as cutoff_logits
from kdntk.effective import effective_logits as effective_logits
from kdntk.effective import label_smoothing_threshold as label_smoothing_threshold
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
from kdntk.inefficiency import DataInefficiency as DataInefficiency
from kdntk.inefficiency import data_inefficiency as data_inefficiency
from kdntk.inefficiency import student_logit_changes as student_logit_changes
from kdntk.kernels import empirical_ntk as empirical_ntk
from kdntk.kernels import nngp as nngp
from kdntk.kernels import ntk as ntk
from kdntk.losses import binary_cross_entropy as binary_cross_entropy
from kdntk.losses import distillation_loss as distillation_loss
from kdntk.losses import distillation_loss_grad as distillation_loss_grad
from kdntk.losses import distillation_loss_per_sample as distillation_loss_per_sample
from kdntk.networks import Network as Network
from kdntk.networks import mlp as mlp
from kdntk.solve import cholesky as cholesky
from kdntk.solve import predict as predict
from kdntk.solve import theta_angle as theta_angle
from kdntk.solve import theta_cosine as theta_cosine
from kdntk.solve import theta_inner as theta_inner
from kdntk.solve import weight_norm as weight_norm
from kdntk.solve import weight_norm_path as weight_norm_path
from kdntk.solve import weight_norm_path_from_cholesky as weight_norm_path_from_cholesky

__version__ = "0.1.0"

__all__ = [
    "DataInefficiency",
    "Deviations",
    "Eigensystem",
    "KernelError",
    "Network",
    "NumericalError",
    "PrecisionWarning",
    "SparsificationTheorem",
    "binary_cross_entropy",
    "cholesky",
    "correction_logits",
    "cutoff_logits",
    "data_inefficiency",
    "distillation_loss",
    "distillation_loss_grad",
    "distillation_loss_per_sample",
    "distilled_flow",
    "distilled_flow_predict",
    "distilled_sparsifier",
    "effective_logits",
    "eigensystem",
    "empirical_ntk",
    "gradient_flow",
    "gradient_flow_predict",
    "label_smoothing_threshold",
    "linear_flow_weights",
    "logit_transformed_probability",
    "mlp",
    "nngp",
    "ntk",
    "predict",
    "sparsification_theorem",
    "sparsifier",
    "student_logit_changes",
    "switched_flow",
    "tasks",
    "teacher_student_deviations",
    "theta_angle",
    "theta_cosine",
    "theta_inner",
    "weight_norm",
    "weight_norm_path",
    "weight_norm_path_from_cholesky",
    "weight_projections",
]
