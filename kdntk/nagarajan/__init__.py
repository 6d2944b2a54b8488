"""Nagarajan, Menon, Bhojanapalli, Mobahi & Kumar, "On student-teacher deviations in distillation:
does it pay to disobey?" (NeurIPS 2023).

The eigenspace view (Eq. 3-4, Thm 4.1: distillation amplifies the sparsification of gradient
descent, A(t) = I - exp(-t X X^T)), the gradient-space view (Thm 4.2, App. C.5), per-sample
teacher/student confidence deviations, and loss switching.
"""

from kdntk._src.gradient_flow import sparsifier as sparsifier
from kdntk.nagarajan._deviations import Deviations as Deviations
from kdntk.nagarajan._deviations import SwitchingGain as SwitchingGain
from kdntk.nagarajan._deviations import logit_transformed_probability as logit_transformed_probability
from kdntk.nagarajan._deviations import switched_flow as switched_flow
from kdntk.nagarajan._deviations import switching_gain_recovered as switching_gain_recovered
from kdntk.nagarajan._deviations import teacher_student_deviations as teacher_student_deviations
from kdntk.nagarajan._eigen import Eigensystem as Eigensystem
from kdntk.nagarajan._eigen import SparsificationTheorem as SparsificationTheorem
from kdntk.nagarajan._eigen import distilled_flow as distilled_flow
from kdntk.nagarajan._eigen import distilled_flow_predict as distilled_flow_predict
from kdntk.nagarajan._eigen import distilled_sparsifier as distilled_sparsifier
from kdntk.nagarajan._eigen import eigensystem as eigensystem
from kdntk.nagarajan._eigen import linear_flow_weights as linear_flow_weights
from kdntk.nagarajan._eigen import sparsification_theorem as sparsification_theorem
from kdntk.nagarajan._eigen import weight_projections as weight_projections
from kdntk.nagarajan._gradient_space import C5_LITERAL as C5_LITERAL
from kdntk.nagarajan._gradient_space import C5_PAPER_MATCH as C5_PAPER_MATCH
from kdntk.nagarajan._gradient_space import ChannelClassifier as ChannelClassifier
from kdntk.nagarajan._gradient_space import channel_accuracy as channel_accuracy
from kdntk.nagarajan._gradient_space import channel_logits as channel_logits
from kdntk.nagarajan._gradient_space import class_cosines as class_cosines
from kdntk.nagarajan._gradient_space import GradientSpaceConfig as GradientSpaceConfig
from kdntk.nagarajan._gradient_space import GradientSpaceResult as GradientSpaceResult
from kdntk.nagarajan._gradient_space import gradient_sign_fraction as gradient_sign_fraction
from kdntk.nagarajan._gradient_space import gradient_space_experiment as gradient_space_experiment
from kdntk.nagarajan._gradient_space import support_agreement_fraction as support_agreement_fraction
from kdntk.nagarajan._gradient_space import train_channel_classifier as train_channel_classifier
from kdntk.nagarajan._gradient_theorem import GradientQuality as GradientQuality
from kdntk.nagarajan._gradient_theorem import gradient_quality as gradient_quality
from kdntk.nagarajan._gradient_theorem import similarity_probabilities as similarity_probabilities
from kdntk.nagarajan._random_features import FeatureTrajectory as FeatureTrajectory
from kdntk.nagarajan._random_features import cross_entropy_feature_trajectory as cross_entropy_feature_trajectory
from kdntk.nagarajan._random_features import random_relu_features as random_relu_features

__all__ = [
    "C5_LITERAL",
    "C5_PAPER_MATCH",
    "channel_accuracy",
    "channel_logits",
    "ChannelClassifier",
    "class_cosines",
    "cross_entropy_feature_trajectory",
    "Deviations",
    "distilled_flow",
    "distilled_flow_predict",
    "distilled_sparsifier",
    "Eigensystem",
    "eigensystem",
    "FeatureTrajectory",
    "gradient_quality",
    "gradient_sign_fraction",
    "gradient_space_experiment",
    "GradientSpaceConfig",
    "GradientSpaceResult",
    "GradientQuality",
    "linear_flow_weights",
    "logit_transformed_probability",
    "random_relu_features",
    "similarity_probabilities",
    "sparsification_theorem",
    "SparsificationTheorem",
    "sparsifier",
    "support_agreement_fraction",
    "switched_flow",
    "switching_gain_recovered",
    "SwitchingGain",
    "teacher_student_deviations",
    "train_channel_classifier",
    "weight_projections",
]
