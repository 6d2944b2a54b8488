"""Shared pieces of the paper-pipeline experiments of Ji & Zhu (2020), Figs. 4 and 5 (supplement S4).

The paper's teachers are trained in two stages: a ground-truth Gaussian mixture labels an
*oracle* network (the Fig. 2 teacher, trained on the mixture's hard labels), and the teacher of
Figs. 4 and 5 is a second network trained on the oracle's hard labels. This module holds the
paired slope statistics of ln E||dw_n|| that the experiments report (numpy, on the host) and the
sign of a logit function as a callable pytree.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from kdntk._src import callables
from kdntk._src.checks import check_choice, check_integer
from kdntk._src.student import INITS
from kdntk._src.pytrees import dataclass_pytree
from kdntk.teachers import TeacherConfig, train_teacher

__all__ = ["CPU_ORACLE", "Signs", "check_config", "oracle_network", "paired_slopes", "sign_error"]

CPU_ORACLE = TeacherConfig(depth=5, width=64, batch_size=256, learning_rate=5e-4, num_epochs=4096,
                           reduction=1.0)
"""The oracle of Figs. 4 and 5 (the Fig. 2 teacher, supplement S4) at CPU size: width 64 (paper
1024), batches of 256 (4096), 4096 epochs."""


def oracle_network(truth, key, config: TeacherConfig):
    """The oracle: a network trained on the hard labels of ``truth``, at its last epoch."""
    return train_teacher(truth, key, config=config, stop_epochs=[config.num_epochs]).teacher(0)


def check_config(config, *, min_sizes: int) -> None:
    """The fields that the Fig. 4 and Fig. 5 configurations share: networks, integers, the
    student's init, stopping epochs within the teacher's training and increasing sample sizes."""
    for name in ("oracle", "teacher"):
        if not isinstance(getattr(config, name), TeacherConfig):
            raise TypeError(f"{name} must be a kdntk.teachers.TeacherConfig, got "
                            f"{type(getattr(config, name)).__name__}.")
    for name in ("num_modes", "student_depth", "num_test"):
        check_integer(getattr(config, name), name)
    check_choice(config.init, "init", INITS)
    epochs = np.asarray(config.stop_epochs)
    if (epochs.ndim != 1 or epochs.size < 1 or not np.issubdtype(epochs.dtype, np.integer)
            or epochs.min() < 1 or np.any(np.diff(epochs) <= 0) or epochs.max() > config.teacher.num_epochs):
        raise ValueError(f"stop_epochs must be increasing epochs >= 1 within teacher.num_epochs = "
                         f"{config.teacher.num_epochs}, got {config.stop_epochs!r}.")
    sizes = np.asarray(config.sample_sizes)
    if (sizes.ndim != 1 or sizes.size < min_sizes or not np.issubdtype(sizes.dtype, np.integer)
            or sizes.min() < 1 or np.any(np.diff(sizes) <= 0)):
        raise ValueError(f"sample_sizes must be at least {min_sizes} increasing positive integers, got "
                         f"{config.sample_sizes!r}.")


@dataclass_pytree(["target"])
class Signs:
    """x -> sgn(target(x)) in {-1, +1} (0 -> -1): the +-1 hard labels of a logit function, as
    targets of a student that interpolates them (the hard-label student of Fig. 5 right)."""

    target: object

    def __call__(self, x):
        return jnp.where(callables.call(self.target, x, "target") > 0, 1.0, -1.0).astype(x.dtype)


def paired_slopes(norms: np.ndarray, sizes) -> tuple[np.ndarray, ...]:
    """Log-log slopes of E||dw_n|| between consecutive sample sizes, and their paired differences
    between consecutive teachers (delta method over the K shared trials).

    With a_k = ||dw_{n_s}||, b_k = ||dw_{n_{s+1}}|| of trial k and c = 1 / ln(n_{s+1} / n_s),
    the slope is c [ln mean b - ln mean a] and its per-trial influence u_k = c (b_k / mean b -
    a_k / mean a); the standard error of a slope is std_k(u_k) / sqrt(K), that of a difference
    between teachers e and e + 1 (same trials) std_k(u_k^(e+1) - u_k^(e)) / sqrt(K).

    Args:
      norms: per-trial norms of shape (..., E, K, S) (E teachers, K paired trials, S sizes).
      sizes: the S sample sizes, increasing.

    Returns:
      ``(slope, slope_stderr, step, step_stderr)``: slopes (..., E, S - 1) and the paired
      differences slope[e + 1] - slope[e], (..., E - 1, S - 1).
    """
    norms = np.asarray(norms, dtype=np.float64)
    c = 1.0 / np.diff(np.log(np.asarray(sizes, dtype=np.float64)))              # (S - 1,)
    mean = norms.mean(axis=-2)                                                    # (..., E, S)
    slope = c * np.diff(np.log(mean), axis=-1)
    rel = norms / mean[..., None, :]                                              # (..., E, K, S)
    u = c * np.diff(rel, axis=-1)                                                 # (..., E, K, S - 1)
    k = norms.shape[-2]
    se = u.std(axis=-2, ddof=1) / np.sqrt(k)
    du = np.diff(u, axis=-3)
    return slope, se, np.diff(slope, axis=-2), du.std(axis=-2, ddof=1) / np.sqrt(k)


def sign_error(reference, logits) -> np.ndarray:
    """Fraction of inputs where ``logits`` (..., M) and ``reference`` (M,) differ in sign."""
    return np.mean((np.asarray(logits) > 0) != (np.asarray(reference) > 0), axis=-1)
