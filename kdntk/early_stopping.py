"""Early stopping improves data efficiency (000 Sec. 4.1, Fig. 4 middle; 003 S4 Fig. 4).

I(n) of Definition 1 for a teacher stopped at several epochs: :func:`kdntk.data_inefficiency`
once per snapshot with the SAME key, so every epoch sees the same inputs and initializations
(paired trials) and, the snapshot being a pytree with the network static, one compiled program.
"""

from __future__ import annotations

import jax

from kdntk.inefficiency import DataInefficiency, data_inefficiency
from kdntk.networks import Network
from kdntk.teacher import TeacherSnapshots

__all__ = ["inefficiency_by_epoch"]


def inefficiency_by_epoch(
    snapshots: TeacherSnapshots, net: Network, sample_sizes, *, key, **kwargs
) -> DataInefficiency:
    """I(n) of the student for each teacher snapshot, stacked on a leading epoch axis E.

    Args:
      snapshots: teachers from :func:`kdntk.train_teacher` (their reduction factor applies).
      net: the student network.
      sample_sizes: n at which I(n) is reported.
      key: PRNG key shared by all epochs (paired trials).
      **kwargs: passed to :func:`kdntk.data_inefficiency` (num_trials, soft_ratio, init, ...).

    Returns:
      A :class:`kdntk.DataInefficiency` whose fields have a leading axis E = len(snapshots)
      (``sample_sizes`` too).
    """
    if not isinstance(snapshots, TeacherSnapshots):
        raise TypeError(f"snapshots must be kdntk.TeacherSnapshots, got {type(snapshots).__name__}.")
    results = [data_inefficiency(snapshots.teacher(i), net, sample_sizes, key=key, **kwargs)
               for i in range(len(snapshots))]
    return jax.tree_util.tree_map(lambda *v: jax.numpy.stack(v), *results)
