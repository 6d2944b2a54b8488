"""Inputs, target functions and data sets of the papers' experiments; pure functions of PRNG keys."""

from kdntk.tasks._datasets import Dataset as Dataset
from kdntk.tasks._datasets import DatasetLabels as DatasetLabels
from kdntk.tasks._datasets import WithoutReplacement as WithoutReplacement
from kdntk.tasks._datasets import breast_cancer as breast_cancer
from kdntk.tasks._datasets import dataset_labels as dataset_labels
from kdntk.tasks._datasets import digits as digits
from kdntk.tasks._datasets import without_replacement as without_replacement
from kdntk.tasks._grid import LogitGrid as LogitGrid
from kdntk.tasks._grid import logit_grid as logit_grid
from kdntk.tasks._kappa import kappa_reverse_cdf as kappa_reverse_cdf
from kdntk.tasks._kappa import kappa_task as kappa_task
from kdntk.tasks._class_similarity import ClassSimilarityData as ClassSimilarityData
from kdntk.tasks._class_similarity import class_similarity_dataset as class_similarity_dataset
from kdntk.tasks._mnist_standin import NoisyImages as NoisyImages
from kdntk.tasks._mnist_standin import noisy_mnist_standin as noisy_mnist_standin
from kdntk.tasks._synthetic import INPUT_STD as INPUT_STD
from kdntk.tasks._synthetic import GaussianMixture as GaussianMixture
from kdntk.tasks._synthetic import HardLabels as HardLabels
from kdntk.tasks._synthetic import RandomLogits as RandomLogits
from kdntk.tasks._synthetic import SignFlip as SignFlip
from kdntk.tasks._synthetic import ZeroFunction as ZeroFunction
from kdntk.tasks._synthetic import gaussian_mixture as gaussian_mixture
from kdntk.tasks._synthetic import hard_labels as hard_labels
from kdntk.tasks._synthetic import random_logits as random_logits
from kdntk.tasks._synthetic import sample_inputs as sample_inputs
from kdntk.tasks._synthetic import sign_flip as sign_flip
from kdntk.tasks._synthetic import zero_function as zero_function

__all__ = [
    "breast_cancer",
    "class_similarity_dataset",
    "ClassSimilarityData",
    "Dataset",
    "dataset_labels",
    "DatasetLabels",
    "digits",
    "gaussian_mixture",
    "GaussianMixture",
    "hard_labels",
    "HardLabels",
    "INPUT_STD",
    "kappa_reverse_cdf",
    "kappa_task",
    "logit_grid",
    "LogitGrid",
    "noisy_mnist_standin",
    "NoisyImages",
    "random_logits",
    "RandomLogits",
    "sample_inputs",
    "sign_flip",
    "SignFlip",
    "without_replacement",
    "WithoutReplacement",
    "zero_function",
    "ZeroFunction",
]
