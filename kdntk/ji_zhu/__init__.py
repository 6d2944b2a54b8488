"""Ji & Zhu, "Knowledge Distillation in Wide Neural Networks: Risk Bound, Data Efficiency and
Imperfect Teacher" (NeurIPS 2020): the analyses beyond the core.

The core (``kdntk``) holds what this paper defines for every student: the effective logits
(Eq. 3, [`kdntk.effective_logits`][kdntk.effective_logits]), the linearized student's solves (Eq. 4-5), data
inefficiency (Definition 1, [`kdntk.data_inefficiency`][kdntk.data_inefficiency]) and transfer-risk curves (Sec. 3,
[`kdntk.transfer_risk_curve`][kdntk.transfer_risk_curve]). This namespace holds the paper's own analyses: the NTK
transfer-risk bound (Thm 1, Eq. 6-9), the label-smoothing view (Sec. 4.2), early stopping
(Fig. 4 middle), the zero function (supplement S5) and the imperfect teacher (Thm 2, Fig. 5).
"""

from kdntk.ji_zhu._effective_curves import EffectiveLogitCurves as EffectiveLogitCurves
from kdntk.ji_zhu._effective_curves import effective_logit_curves as effective_logit_curves
from kdntk.ji_zhu._early_stopping import inefficiency_by_epoch as inefficiency_by_epoch
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

__all__ = [
    "cutoff_error",
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
]
