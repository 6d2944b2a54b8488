"""Early stopping improves data efficiency (Ji & Zhu 2020, Sec. 4.1, Fig. 4 middle; supplement S4).

I(n) of Definition 1 for a teacher stopped at several epochs in ONE engine sweep: the snapshots
are a teacher stack with logits of shape (E, n), so each trial draws its inputs and
initialization once, factors the student's NTK once and reads ||dw_n|| of every epoch, every
soft ratio and every n from that factorization. The epochs are thereby compared on paired trials
(common random numbers).
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from kdntk._src import engine
from kdntk._src.inefficiency import DataInefficiency, data_inefficiency
from kdntk._src.memory import DEFAULT_BLOCK_ROWS
from kdntk._src.montecarlo import WINDOW
from kdntk._src.networks import Network
from kdntk.teachers._trained import TeacherSnapshots

__all__ = ["inefficiency_by_epoch"]


def inefficiency_by_epoch(
    snapshots: TeacherSnapshots,
    net: Network,
    sample_sizes,
    *,
    key,
    num_trials: int = 20,
    soft_ratio=1.0,
    temperature=1.0,
    init: str = "network",
    window: float = WINDOW,
    inputs: Any = None,
    input_dim: int = 2,
    input_std: float = engine.INPUT_STD,
    dtype: Any = jnp.float64,
    trial_batch: int = 8,
    devices=None,
    progress: bool = False,
    check_memory: bool = True,
    block_rows: int = DEFAULT_BLOCK_ROWS,
) -> DataInefficiency:
    """I(n) of the student for each teacher snapshot: the teacher axis E is the stopping epoch.

    Engine arguments (``key`` ... ``block_rows``): the same in every sweep (docs/engine.md).

    Args:
      snapshots: teachers from [`kdntk.teachers.train_teacher`][kdntk.teachers.train_teacher] (their reduction factor
        applies; the labels are the snapshots' own hard labels 1{z_t > 0}).
      net: the student network (a [`kdntk.Network`][kdntk.Network] or a stax triple).
      sample_sizes: n at which I(n) is reported.
      key: PRNG key shared by all epochs (paired trials).
      num_trials: K >= 2.
      soft_ratio: rho in [0, 1], scalar or 1-D (axis R).
      temperature: T > 0, scalar or 1-D.
      init: the student's initial function, "network", "prior" or "zero".
      window: w of the windowed slope ([`kdntk.data_inefficiency`][kdntk.data_inefficiency]); 1 draws only the
        max(n) + 1 points Definition 1 needs.

    Returns:
      A [`kdntk.DataInefficiency`][kdntk.DataInefficiency] with E = len(snapshots): entry [e] belongs to
      ``snapshots.epochs[e]``.

    Raises:
      TypeError: ``snapshots`` is not a [`kdntk.teachers.TeacherSnapshots`][kdntk.teachers.TeacherSnapshots].

    Example:
      >>> import dataclasses, jax, kdntk
      >>> gt = kdntk.tasks.gaussian_mixture(jax.random.key(0), num_modes=2)
      >>> cfg = dataclasses.replace(kdntk.teachers.CPU, width=8, batch_size=16, num_epochs=4)
      >>> snaps = kdntk.teachers.train_teacher(gt, jax.random.key(1), config=cfg, stop_epochs=[2, 4])
      >>> res = kdntk.ji_zhu.inefficiency_by_epoch(snaps, kdntk.mlp(2), [4, 8], key=jax.random.key(2),
      ...                                          num_trials=3, init="zero", window=1.0)
      >>> res.inefficiency.shape
      (2, 1, 2)
    """
    if not isinstance(snapshots, TeacherSnapshots):
        raise TypeError(f"snapshots must be kdntk.teachers.TeacherSnapshots, got {type(snapshots).__name__}.")
    return data_inefficiency(snapshots, net, sample_sizes, soft_ratio=soft_ratio, temperature=temperature, init=init,
                             window=window, **engine.arguments_of(locals()))
