"""Fig. 4 middle of Ji & Zhu (2020) in the paper's pipeline: earlier stopping, lower inefficiency.

Supplement S4: a ground-truth Gaussian mixture labels an oracle network (the Fig. 2 teacher,
L = 5); the Fig. 4 teacher (L = 5, lr 1e-2) is trained on the oracle's hard labels and stopped at
several epochs; the student (Fig. 3: L = 5, the network's initial logits kept) is distilled from
each snapshot with rho = 1. For every mixture seed, one [`inefficiency_by_epoch`][kdntk.ji_zhu.inefficiency_by_epoch]
sweep compares all stopping epochs on the same K input draws (paired trials), and the statistic is
the log-log slope of E||dw_n|| between consecutive sample sizes,

    s_e(n_1, n_2) = [ln E||dw_{n_2}|| - ln E||dw_{n_1}||] / ln(n_2 / n_1),

the average of I(n) (Definition 1) over [n_1, n_2], with paired standard errors for the slope of
each epoch and for the step between consecutive epochs.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from kdntk._src.checks import as_key, check_integer
from kdntk._src.networks import mlp
from kdntk._src.results import Result, result, static
from kdntk.ji_zhu._early_stopping import inefficiency_by_epoch
from kdntk.ji_zhu._pipeline import CPU_ORACLE, check_config, oracle_network, paired_slopes, sign_error
from kdntk.tasks import gaussian_mixture, sample_inputs
from kdntk.teachers import PAPER, TeacherConfig, train_teacher

__all__ = ["EarlyStoppingConfig", "FIG4_PAPER", "FIG4_CPU", "EarlyStoppingExperiment",
           "early_stopping_experiment"]


_CPU_TEACHER = TeacherConfig(depth=5, width=64, batch_size=256, learning_rate=1e-2, num_epochs=8192,
                             reduction=0.3)


@dataclasses.dataclass(frozen=True)
class EarlyStoppingConfig:
    """The Fig. 4 (middle) pipeline of Ji & Zhu (2020), supplement S4.

    Attributes:
      num_modes: q of the ground-truth Gaussian mixture (S4 widths 15 / q^2).
      oracle: the oracle network (the Fig. 2 teacher), trained on the mixture's hard labels;
        its reduction factor is not used (only its labels 1{f > 0} are).
      teacher: the Fig. 4 teacher, trained on the oracle's hard labels; its ``reduction`` r
        scales the logits the student sees.
      stop_epochs: the teacher's stopping epochs (axis E), increasing, within
        ``teacher.num_epochs``.
      student_depth: hidden layers of the (infinite-width) student MLP.
      sample_sizes: n at which ||dw_n|| is read; slopes between consecutive sizes.
      init: the student's initial logits, "prior" (the infinite-width limit of the
        network's own initial logits), "network" or "zero".
      num_test: held-out inputs for the teachers' and the oracle's errors.
    """

    num_modes: int = 4
    oracle: TeacherConfig = CPU_ORACLE
    teacher: TeacherConfig = _CPU_TEACHER
    stop_epochs: tuple = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192)
    student_depth: int = 5
    sample_sizes: tuple = (16, 64, 256)
    init: str = "prior"
    num_test: int = 4000

    def __post_init__(self):
        check_config(self, min_sizes=2)   # Fig. 4 compares slopes: stop_epochs, too, needs two
        if len(self.stop_epochs) < 2:
            raise ValueError(f"stop_epochs must hold at least two epochs to compare, got {self.stop_epochs!r}.")


FIG4_PAPER = EarlyStoppingConfig(
    oracle=PAPER, teacher=dataclasses.replace(PAPER, learning_rate=1e-2),
    stop_epochs=tuple(2**k for k in range(16)))
"""Supplement S4 as stated: oracle = the Fig. 2 teacher (L = 5, m = 1024, batch 4096, lr 5e-4),
teacher L = 5, m = 1024, lr 1e-2, 32768 epochs, r = 0.3; student L = 5 with its initial logits.
Sizes for an accelerator."""

FIG4_CPU = EarlyStoppingConfig()
"""FIG4_PAPER at CPU size: oracle and teacher of width 64 (paper 1024) with batches of 256 (4096),
the oracle trained for 4096 epochs, the teacher for 8192 (32768); everything else as the paper."""


@result
class EarlyStoppingExperiment(Result):
    """Result of [`early_stopping_experiment`][kdntk.ji_zhu.early_stopping_experiment]: P mixture seeds, E stopping
    epochs, K paired trials, S sample sizes.

    Attributes:
      epochs: the stopping epochs, (E,).
      sample_sizes: n, (S,).
      oracle_error: the oracle's error against the mixture's labels, (P,).
      teacher_error: each snapshot's error against the oracle's labels, (P, E).
      teacher_scale: standard deviation of each snapshot's logits z_t = r f (held-out inputs), (P, E).
      slope: log-log slope of E||dw_n|| between sample_sizes[s] and [s + 1], (P, E, S - 1).
      slope_stderr: its paired standard error, (P, E, S - 1).
      step: slope[:, e + 1] - slope[:, e], paired over trials, (P, E - 1, S - 1).
      step_stderr: its standard error, (P, E - 1, S - 1).
      norms: ||dw_n|| of every trial, (P, E, K, S).
      inputs: how each trial of the sweeps drew its inputs (docs/engine.md, "Inputs"); static in
        the pytree, and a column of ``to_dict`` / ``to_csv`` / ``to_dataframe``.
    """

    epochs: Int[Array, " E"]
    sample_sizes: Int[Array, " S"]
    oracle_error: Float[Array, " P"]
    teacher_error: Float[Array, "P E"]
    teacher_scale: Float[Array, "P E"]
    slope: Float[Array, "P E S1"]
    slope_stderr: Float[Array, "P E S1"]
    step: Float[Array, "P E1 S1"]
    step_stderr: Float[Array, "P E1 S1"]
    norms: Float[Array, "P E K S"]
    inputs: str = static()

    TABLE = ("slope", "slope_stderr")

    def coordinates(self):
        p, e, s = np.shape(self.slope)
        sizes = np.asarray(self.sample_sizes)
        return {"seed": np.arange(p)[:, None, None], "epoch": np.asarray(self.epochs)[None, :, None],
                "n_from": sizes[None, None, :-1], "n_to": sizes[None, None, 1:]}

    def z_scores(self, first: int, last: int) -> np.ndarray:
        """Paired z-score of slope[epoch last] - slope[epoch first] per seed and size range, (P, S - 1),
        from the trials' norms (epochs given by value)."""
        epochs = list(np.asarray(self.epochs))
        i, j = epochs.index(first), epochs.index(last)
        norms = np.asarray(self.norms)[:, [i, j]]
        _, _, step, se = paired_slopes(norms, np.asarray(self.sample_sizes))
        return step[:, 0] / se[:, 0]


def early_stopping_experiment(
    config: EarlyStoppingConfig = FIG4_CPU,
    *,
    key,
    num_seeds: int = 5,
    num_trials: int = 100,
    dtype=jnp.float64,
    trial_batch: int = 50,
    devices=None,
    progress: bool = False,
) -> EarlyStoppingExperiment:
    """Ji & Zhu (2020), Fig. 4 middle, in the paper's pipeline, over ``num_seeds`` mixture seeds.

    For seed p (``fold_in(split(key)[1], p)`` split four ways; ``split(key)[0]`` draws the held-out inputs): a q-mode Gaussian mixture f_g;
    the oracle, ``train_teacher(f_g, config=config.oracle)`` at its last epoch; the teacher,
    ``train_teacher(oracle, config=config.teacher, stop_epochs=config.stop_epochs)``; then
    [`inefficiency_by_epoch`][kdntk.ji_zhu.inefficiency_by_epoch] of ``kdntk.mlp(config.student_depth)`` on all
    snapshots (rho = 1, ``config.init``; Definition 1's norms at ``config.sample_sizes``), K
    paired trials. The slopes of ln E||dw_n|| and their paired steps between epochs come from
    those norms (module docstring).

    Args:
      config: an [`EarlyStoppingConfig`][kdntk.ji_zhu.EarlyStoppingConfig] ([`FIG4_CPU`][kdntk.ji_zhu.FIG4_CPU] by default;
        [`FIG4_PAPER`][kdntk.ji_zhu.FIG4_PAPER] on an accelerator).
      key: PRNG key, typed or legacy.
      num_seeds: P, mixture seeds (each with its own oracle and teacher).
      num_trials: K >= 2 per seed.
      dtype: the sweeps' compute dtype (engine argument, docs/engine.md).
      trial_batch: trials per compiled batch of each sweep.
      devices: the devices the sweeps' trials are sharded over (default: all).
      progress: show the sweeps' progress bars (tqdm).

    Returns:
      [`EarlyStoppingExperiment`][kdntk.ji_zhu.EarlyStoppingExperiment].

    Example:
      >>> import dataclasses, jax, kdntk
      >>> small = dataclasses.replace(kdntk.teachers.CPU, width=8, batch_size=16, num_epochs=4)
      >>> cfg = kdntk.ji_zhu.EarlyStoppingConfig(num_modes=2, oracle=small, teacher=small, stop_epochs=(2, 4),
      ...                                        student_depth=2, sample_sizes=(4, 8), init="zero", num_test=100)
      >>> res = kdntk.ji_zhu.early_stopping_experiment(cfg, key=jax.random.key(0), num_seeds=1, num_trials=3)
      >>> res.slope.shape, res.step.shape
      ((1, 2, 1), (1, 1, 1))
    """
    if not isinstance(config, EarlyStoppingConfig):
        raise TypeError(f"config must be a kdntk.ji_zhu.EarlyStoppingConfig, got {type(config).__name__}.")
    key = as_key(key)
    num_seeds = check_integer(num_seeds, "num_seeds")
    check_integer(num_trials, "num_trials", low=2)        # before any training, not after it
    check_integer(trial_batch, "trial_batch")
    student = mlp(config.student_depth)
    sizes = np.asarray(config.sample_sizes)
    k_test, key = jax.random.split(key)
    x_test = sample_inputs(k_test, config.num_test, dim=config.teacher.input_dim, std=config.teacher.input_std)
    oracle_err, teacher_err, scale, norms = [], [], [], []
    for p in range(num_seeds):
        k_gt, k_oracle, k_teacher, k_sweep = jax.random.split(jax.random.fold_in(key, p), 4)
        truth = gaussian_mixture(k_gt, config.num_modes, dim=config.teacher.input_dim)
        oracle = oracle_network(truth, k_oracle, config.oracle)
        snaps = train_teacher(oracle, k_teacher, config=config.teacher, stop_epochs=list(config.stop_epochs))
        z_oracle, z_teacher = oracle(x_test), snaps.logits(x_test)
        oracle_err.append(sign_error(truth(x_test), z_oracle))
        teacher_err.append(sign_error(z_oracle, z_teacher))
        scale.append(np.asarray(z_teacher).std(axis=-1))
        res = inefficiency_by_epoch(snaps, student, sizes, key=k_sweep, num_trials=num_trials, init=config.init,
                                    window=1.0, dtype=dtype, trial_batch=trial_batch, devices=devices,
                                    progress=progress)
        norms.append(np.asarray(res.norms[:, 0]))                    # (E, K, S)
    norms = np.stack(norms)
    slope, slope_se, step, step_se = paired_slopes(norms, sizes)
    return EarlyStoppingExperiment(
        epochs=jnp.asarray(config.stop_epochs), sample_sizes=jnp.asarray(sizes),
        oracle_error=jnp.asarray(np.asarray(oracle_err)), teacher_error=jnp.asarray(np.stack(teacher_err)),
        teacher_scale=jnp.asarray(np.stack(scale)), slope=jnp.asarray(slope), slope_stderr=jnp.asarray(slope_se),
        step=jnp.asarray(step), step_stderr=jnp.asarray(step_se), norms=jnp.asarray(norms),
        inputs=res.inputs)
