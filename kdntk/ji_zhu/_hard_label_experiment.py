"""Fig. 5 right of Ji & Zhu (2020) in the paper's pipeline: the sign of the hard-label effect.

Supplement S4: an oracle network (the Fig. 2 teacher) is trained on a Gaussian mixture's hard
labels; the imperfect teacher (the Fig. 5 middle teacher, lr 1e-4, 10240 epochs) is trained on
the oracle's hard labels and stopped at several epochs; Theorem 2 (Eq. 12) is evaluated with
r = 0.3 for each snapshot, with the oracle as the ground truth, for students that keep their
initial logits. Several *teacher* seeds (one oracle) show how much the curve depends on the
teacher instance. The paper's timing claim compares each snapshot's error with that of "the best
hard-label student"; kdntk's proxy for it is the linearized student interpolating the oracle's
+-1 labels (the minimum-norm fit of the hard labels, from the same initial logits).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from kdntk._src.checks import as_key, check_integer, check_range
from kdntk._src.networks import mlp
from kdntk._src.results import Result, result, static
from kdntk._src.risk import transfer_risk_curve
from kdntk.ji_zhu._imperfect import hard_label_effect_curve
from kdntk.ji_zhu._pipeline import CPU_ORACLE, Signs, check_config, oracle_network, sign_error
from kdntk.tasks import gaussian_mixture, sample_inputs
from kdntk.teachers import PAPER, Teacher, TeacherConfig, train_teacher

__all__ = ["HardLabelConfig", "FIG5_PAPER", "FIG5_CPU", "HardLabelExperiment", "hard_label_experiment"]

_CPU_TEACHER = TeacherConfig(depth=5, width=64, batch_size=256, learning_rate=1e-3, num_epochs=10240,
                             reduction=0.3)


@dataclasses.dataclass(frozen=True)
class HardLabelConfig:
    """The Fig. 5 (right) pipeline of Ji & Zhu (2020), supplement S4.

    Attributes:
      num_modes: q of the ground-truth Gaussian mixture.
      oracle: the oracle network (the Fig. 2 teacher) trained on the mixture's hard labels; it
        is the ground truth z_g of Theorem 2 (its logits unreduced, its labels y_g = 1{z_g > 0}).
      teacher: the imperfect teacher, trained on the oracle's hard labels; ``reduction`` = r.
      stop_epochs: the teacher's stopping epochs (axis E).
      student_depth: hidden layers of the (infinite-width) student MLP.
      sample_sizes: the student's n (axis S).
      temperature: T of the distillation loss.
      init: the student's initial logits z0 ("prior": the network's own, at infinite width).
      num_test: held-out inputs for the errors.
      hard_label_trials: trials of the hard-label student's error.
    """

    num_modes: int = 4
    oracle: TeacherConfig = CPU_ORACLE
    teacher: TeacherConfig = _CPU_TEACHER
    stop_epochs: tuple = (16, 64, 256, 512, 1024, 2048, 4096, 6144, 8192, 10240)
    student_depth: int = 3
    sample_sizes: tuple = (16, 64, 256)
    temperature: float = 1.0
    init: str = "prior"
    num_test: int = 4000
    hard_label_trials: int = 40

    def __post_init__(self):
        check_config(self, min_sizes=1)
        check_integer(self.hard_label_trials, "hard_label_trials", low=2)
        check_range(self.temperature, "temperature", low=0.0, low_open=True, finite=True)


FIG5_PAPER = HardLabelConfig(
    oracle=PAPER, teacher=dataclasses.replace(PAPER, learning_rate=1e-4, num_epochs=10240),
    stop_epochs=(16, 64, 256, 512, 1024, 2048, 4096, 6144, 8192, 10240))
"""Supplement S4 as stated: oracle = the Fig. 2 teacher (L = 5, m = 1024, batch 4096, lr 5e-4),
teacher L = 5, m = 1024, lr 1e-4, 10240 epochs, r = 0.3; students keep their initial logits.
Sizes for an accelerator."""

FIG5_CPU = HardLabelConfig()
"""FIG5_PAPER at CPU size: oracle and teacher of width 64 (paper 1024), batches of 256 (4096),
teacher lr 1e-3 (paper 1e-4: at width 64 a step of 1e-4 moves the function about 4 times less,
and the teacher would still be poor after 10240 epochs); oracle 4096 epochs."""


@result
class HardLabelExperiment(Result):
    """Result of [`hard_label_experiment`][kdntk.ji_zhu.hard_label_experiment]: P teacher seeds, E stopping epochs,
    S sample sizes (one oracle).

    Attributes:
      epochs: (E,). sample_sizes: (S,).
      oracle_error: the oracle's error against the mixture, ().
      teacher_error: each snapshot's error against the oracle, (P, E).
      derivative: E d cos alpha / d(1 - rho) at rho = 1 (Eq. 12), (P, E, S).
      derivative_stderr: its standard error over the K trials, (P, E, S).
      projection: E <delta w_h, dw_c>, (P, E, S). projection_stderr: (P, E, S).
      hard_label_error: error of the student interpolating the oracle's +-1 labels, (S,).
      hard_label_error_stderr: its standard error, (S,).
      inputs: how each trial of the Theorem 2 sweeps drew its inputs (docs/engine.md, "Inputs");
        static in the pytree, and a column of ``to_dict`` / ``to_csv`` / ``to_dataframe``.
    """

    epochs: Int[Array, " E"]
    sample_sizes: Int[Array, " S"]
    oracle_error: Float[Array, ""]
    teacher_error: Float[Array, "P E"]
    derivative: Float[Array, "P E S"]
    derivative_stderr: Float[Array, "P E S"]
    projection: Float[Array, "P E S"]
    projection_stderr: Float[Array, "P E S"]
    hard_label_error: Float[Array, " S"]
    hard_label_error_stderr: Float[Array, " S"]
    inputs: str = static()

    TABLE = ("derivative", "derivative_stderr", "projection", "projection_stderr")

    def coordinates(self):
        p, e, s = np.shape(self.derivative)
        return {"seed": np.arange(p)[:, None, None], "epoch": np.asarray(self.epochs)[None, :, None],
                "teacher_error": np.asarray(self.teacher_error)[:, :, None],
                "n": np.asarray(self.sample_sizes)[None, None, :]}

    @property
    def z(self) -> np.ndarray:
        """derivative / derivative_stderr, (P, E, S)."""
        return np.asarray(self.derivative) / np.asarray(self.derivative_stderr)


def hard_label_experiment(
    config: HardLabelConfig = FIG5_CPU,
    *,
    key,
    num_seeds: int = 4,
    num_trials: int = 100,
    dtype=jnp.float64,
    trial_batch: int = 50,
    devices=None,
    progress: bool = False,
) -> HardLabelExperiment:
    """Ji & Zhu (2020), Fig. 5 right, in the paper's pipeline, for ``num_seeds`` teacher seeds.

    ``key`` is split into (test inputs, mixture, oracle, rest); teacher seed p trains
    ``train_teacher(oracle, fold_in(rest, p), config=config.teacher, stop_epochs=...)`` and runs
    [`hard_label_effect_curve`][kdntk.ji_zhu.hard_label_effect_curve] on its snapshots with the oracle as
    ground truth (``init=config.init``, K trials, its own key). The hard-label student's error is
    [`kdntk.transfer_risk_curve`][kdntk.transfer_risk_curve] of the oracle's +-1 labels at rho = 1
    (interpolation), against the oracle.

    Args:
      config: a [`HardLabelConfig`][kdntk.ji_zhu.HardLabelConfig] ([`FIG5_CPU`][kdntk.ji_zhu.FIG5_CPU] by default;
        [`FIG5_PAPER`][kdntk.ji_zhu.FIG5_PAPER] on an accelerator).
      key: PRNG key, typed or legacy.
      num_seeds: P, teacher seeds.
      num_trials: K >= 2 input draws per teacher seed.
      dtype: the sweeps' compute dtype (engine argument, docs/engine.md).
      trial_batch: trials per compiled batch of each sweep.
      devices: the devices the sweeps' trials are sharded over (default: all).
      progress: show the sweeps' progress bars (tqdm).

    Returns:
      [`HardLabelExperiment`][kdntk.ji_zhu.HardLabelExperiment].

    Example:
      >>> import dataclasses, jax, kdntk
      >>> small = dataclasses.replace(kdntk.teachers.CPU, width=8, batch_size=16, num_epochs=4)
      >>> cfg = kdntk.ji_zhu.HardLabelConfig(num_modes=2, oracle=small, teacher=small, stop_epochs=(2, 4),
      ...                                    student_depth=2, sample_sizes=(4, 8), init="zero", num_test=100,
      ...                                    hard_label_trials=2)
      >>> res = kdntk.ji_zhu.hard_label_experiment(cfg, key=jax.random.key(0), num_seeds=1, num_trials=3)
      >>> res.derivative.shape
      (1, 2, 2)
    """
    if not isinstance(config, HardLabelConfig):
        raise TypeError(f"config must be a kdntk.ji_zhu.HardLabelConfig, got {type(config).__name__}.")
    key = as_key(key)
    num_seeds = check_integer(num_seeds, "num_seeds")
    check_integer(num_trials, "num_trials", low=2)        # before any training, not after it
    check_integer(trial_batch, "trial_batch")
    k_test, k_gt, k_oracle, k_hard, rest = jax.random.split(key, 5)
    student = mlp(config.student_depth)
    sizes = np.asarray(config.sample_sizes)
    x_test = sample_inputs(k_test, config.num_test, dim=config.teacher.input_dim, std=config.teacher.input_std)
    truth = gaussian_mixture(k_gt, config.num_modes, dim=config.teacher.input_dim)
    oracle = oracle_network(truth, k_oracle, config.oracle)
    oracle = Teacher(oracle.params, jnp.ones_like(oracle.reduction), oracle.net)   # z_g unreduced
    z_oracle = oracle(x_test)
    engine_args = dict(dtype=dtype, trial_batch=trial_batch, devices=devices, progress=progress)
    hard = transfer_risk_curve(Signs(oracle), student, sizes, key=k_hard, num_trials=config.hard_label_trials,
                               num_test=config.num_test, ground_truth=oracle, init=config.init, **engine_args)
    teacher_err, curves = [], []
    for p in range(num_seeds):
        k_teacher, k_sweep = jax.random.split(jax.random.fold_in(rest, p))
        snaps = train_teacher(oracle, k_teacher, config=config.teacher, stop_epochs=list(config.stop_epochs))
        teacher_err.append(sign_error(z_oracle, snaps.logits(x_test)))
        curves.append(hard_label_effect_curve(snaps, oracle, student, sizes, key=k_sweep, num_trials=num_trials,
                                              temperature=config.temperature, init=config.init, **engine_args))
    stack = lambda name: jnp.asarray(np.stack([np.asarray(getattr(c, name)) for c in curves]))   # noqa: E731
    return HardLabelExperiment(
        epochs=jnp.asarray(config.stop_epochs), sample_sizes=jnp.asarray(sizes),
        oracle_error=jnp.asarray(sign_error(truth(x_test), z_oracle)), teacher_error=jnp.asarray(np.stack(teacher_err)),
        derivative=stack("derivative"), derivative_stderr=stack("derivative_stderr"),
        projection=stack("projection"), projection_stderr=stack("projection_stderr"),
        hard_label_error=hard.error[0, 0], hard_label_error_stderr=hard.error_stderr[0, 0],
        inputs=curves[0].inputs)
