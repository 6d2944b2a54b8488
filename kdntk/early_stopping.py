"""Early stopping improves data efficiency (000 Sec. 4.1, Fig. 4 middle; 003 S4 Fig. 4).

I(n) of Definition 1 for a teacher stopped at several epochs in ONE call of
:func:`kdntk.data_inefficiency`: the snapshots are a single target with logits of shape (E, n), so
each trial draws its inputs and initialization once, factors the student's NTK once and reads
||dw_n|| of every epoch and every n from that factorization (E extra right-hand sides). The epochs
are thereby compared on paired trials (common random numbers), and the trial axis is sharded over
``devices`` exactly as in :func:`kdntk.data_inefficiency`.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from kdntk.inefficiency import DataInefficiency, data_inefficiency
from kdntk.networks import Network
from kdntk.teacher import TeacherSnapshots

__all__ = ["inefficiency_by_epoch"]


def inefficiency_by_epoch(
    snapshots: TeacherSnapshots, net: Network, sample_sizes, *, key, devices=None, **kwargs
) -> DataInefficiency:
    """I(n) of the student for each teacher snapshot, stacked on a leading epoch axis E.

    Args:
      snapshots: teachers from :func:`kdntk.train_teacher` (their reduction factor applies).
      net: the student network.
      sample_sizes: n at which I(n) is reported.
      key: PRNG key shared by all epochs (paired trials).
      devices: devices to shard the trial axis over (see :func:`kdntk.data_inefficiency`).
      **kwargs: passed to :func:`kdntk.data_inefficiency` (num_trials, init, temperature, ...);
        ``soft_ratio`` and ``temperature`` must be scalars here (one epoch axis, no rho axis).

    Returns:
      A :class:`kdntk.DataInefficiency` whose fields have a leading axis E = len(snapshots)
      (``sample_sizes`` too).

    Raises:
      TypeError: ``snapshots`` is not a :class:`kdntk.TeacherSnapshots`.
      ValueError: a 1-D ``soft_ratio`` or ``temperature``.
    """
    if not isinstance(snapshots, TeacherSnapshots):
        raise TypeError(f"snapshots must be kdntk.TeacherSnapshots, got {type(snapshots).__name__}.")
    for name in ("soft_ratio", "temperature"):
        if np.ndim(kwargs.get(name, 1.0)) != 0:
            raise ValueError(f"{name} must be a scalar in inefficiency_by_epoch (call it once per value).")
    res = data_inefficiency(snapshots, net, sample_sizes, key=key, devices=devices, **kwargs)
    return res._replace(sample_sizes=jnp.broadcast_to(res.sample_sizes, (len(snapshots),) + res.sample_sizes.shape))
