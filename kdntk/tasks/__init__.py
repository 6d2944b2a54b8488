"""Inputs, target functions and data sets of the papers' experiments; pure functions of PRNG keys."""

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
    "ClassSimilarityData",
    "GaussianMixture",
    "HardLabels",
    "INPUT_STD",
    "LogitGrid",
    "NoisyImages",
    "RandomLogits",
    "SignFlip",
    "ZeroFunction",
    "class_similarity_dataset",
    "gaussian_mixture",
    "hard_labels",
    "kappa_reverse_cdf",
    "kappa_task",
    "logit_grid",
    "noisy_mnist_standin",
    "random_logits",
    "sample_inputs",
    "sign_flip",
    "zero_function",
]
