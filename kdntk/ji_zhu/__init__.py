"""Ji & Zhu, "Knowledge Distillation in Wide Neural Networks: Risk Bound, Data Efficiency and
Imperfect Teacher" (NeurIPS 2020): the analyses beyond the core.

The core (``kdntk``) holds what this paper defines for every student: the effective logits
(Eq. 3, [`kdntk.effective_logits`][kdntk.effective_logits]), the linearized student's solves (Eq. 4-5), data
inefficiency (Definition 1, [`kdntk.data_inefficiency`][kdntk.data_inefficiency]) and transfer-risk curves (Sec. 3,
[`kdntk.transfer_risk_curve`][kdntk.transfer_risk_curve]). This namespace holds the paper's own analyses: the NTK
transfer-risk bound (Thm 1, Eq. 6-9), the label-smoothing view (Sec. 4.2), early stopping
(Fig. 4 middle), the zero function (supplement S5) and the imperfect teacher (Thm 2, Fig. 5), and
the Fig. 4 and Fig. 5 experiments in the paper's own pipeline (oracle network, teacher trained on
its labels, several seeds; configurations FIG4_PAPER / FIG4_CPU and FIG5_PAPER / FIG5_CPU).
"""

from kdntk.ji_zhu._effective_curves import EffectiveLogitCurves as EffectiveLogitCurves
from kdntk.ji_zhu._effective_curves import effective_logit_curves as effective_logit_curves
from kdntk.ji_zhu._early_stopping import inefficiency_by_epoch as inefficiency_by_epoch
from kdntk.ji_zhu._early_stopping_experiment import FIG4_CPU as FIG4_CPU
from kdntk.ji_zhu._early_stopping_experiment import FIG4_PAPER as FIG4_PAPER
from kdntk.ji_zhu._early_stopping_experiment import EarlyStoppingConfig as EarlyStoppingConfig
from kdntk.ji_zhu._early_stopping_experiment import EarlyStoppingExperiment as EarlyStoppingExperiment
from kdntk.ji_zhu._early_stopping_experiment import early_stopping_experiment as early_stopping_experiment
from kdntk.ji_zhu._hard_label_experiment import FIG5_CPU as FIG5_CPU
from kdntk.ji_zhu._hard_label_experiment import FIG5_PAPER as FIG5_PAPER
from kdntk.ji_zhu._hard_label_experiment import HardLabelConfig as HardLabelConfig
from kdntk.ji_zhu._hard_label_experiment import HardLabelExperiment as HardLabelExperiment
from kdntk.ji_zhu._hard_label_experiment import hard_label_experiment as hard_label_experiment
from kdntk.ji_zhu._imperfect import HardLabelCurve as HardLabelCurve
from kdntk.ji_zhu._imperfect import HardLabelEffect as HardLabelEffect
from kdntk.ji_zhu._imperfect import hard_label_effect as hard_label_effect
from kdntk.ji_zhu._imperfect import hard_label_effect_curve as hard_label_effect_curve
from kdntk.ji_zhu._imperfect import hard_label_effect_path as hard_label_effect_path
from kdntk.ji_zhu._imperfect import student_oracle_cosine as student_oracle_cosine
from kdntk.ji_zhu._label_smoothing import cutoff_error as cutoff_error
from kdntk.ji_zhu._label_smoothing import cutoff_logits as cutoff_logits
from kdntk.ji_zhu._label_smoothing import label_smoothing_threshold as label_smoothing_threshold
from kdntk.ji_zhu._risk_bound import OracleNorm as OracleNorm
from kdntk.ji_zhu._risk_bound import feature_cosines as feature_cosines
from kdntk.ji_zhu._risk_bound import ntk_alpha_bar as ntk_alpha_bar
from kdntk.ji_zhu._risk_bound import ntk_diagonal as ntk_diagonal
from kdntk.ji_zhu._risk_bound import ntk_reverse_angle_cdf as ntk_reverse_angle_cdf
from kdntk.ji_zhu._risk_bound import ntk_risk_bound as ntk_risk_bound
from kdntk.ji_zhu._risk_bound import oracle_norm_estimate as oracle_norm_estimate
from kdntk.ji_zhu._risk_bound import vacuous_threshold as vacuous_threshold
from kdntk.ji_zhu._zero_function import ZeroFunctionComparison as ZeroFunctionComparison
from kdntk.ji_zhu._zero_function import zero_function_comparison as zero_function_comparison
from kdntk.ji_zhu._zero_function import ZeroFunctionFlow as ZeroFunctionFlow
from kdntk.ji_zhu._zero_function import zero_function_flow as zero_function_flow

__all__ = [
    "cutoff_error",
    "early_stopping_experiment",
    "EarlyStoppingConfig",
    "EarlyStoppingExperiment",
    "FIG4_CPU",
    "FIG4_PAPER",
    "FIG5_CPU",
    "FIG5_PAPER",
    "hard_label_experiment",
    "HardLabelConfig",
    "HardLabelExperiment",
    "cutoff_logits",
    "effective_logit_curves",
    "EffectiveLogitCurves",
    "feature_cosines",
    "hard_label_effect",
    "hard_label_effect_curve",
    "hard_label_effect_path",
    "HardLabelCurve",
    "HardLabelEffect",
    "inefficiency_by_epoch",
    "label_smoothing_threshold",
    "ntk_alpha_bar",
    "ntk_diagonal",
    "ntk_reverse_angle_cdf",
    "ntk_risk_bound",
    "oracle_norm_estimate",
    "OracleNorm",
    "student_oracle_cosine",
    "vacuous_threshold",
    "zero_function_comparison",
    "ZeroFunctionComparison",
    "zero_function_flow",
    "ZeroFunctionFlow",
]
