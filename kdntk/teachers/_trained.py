"""Finite teachers: NTK-parameterized MLPs trained with Adam on hard labels (Ji & Zhu 2020, supplement S4).

An MLP (Ji & Zhu Eq. 1) is trained with optax Adam on the binary cross-entropy of the hard
labels y = 1{f_g(x) > 0} of a ground-truth logit function f_g, "online-batch": every epoch draws a
fresh batch x ~ N(0, input_std^2 I) and takes one Adam step on it, so teacher and student never
share samples. All epochs run in ONE ``lax.scan``; the parameters at the requested stopping
epochs are written into a buffer carried by the scan, so the snapshots come back stacked on a
leading axis: a teacher stack (``stack_shape = (E,)``) that every sweep takes as a target.
"""

from __future__ import annotations

import dataclasses
import operator
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float, Int

from kdntk._src import callables
from kdntk._src.checks import as_key, check_inputs, check_integer, check_labels, check_range
from kdntk._src.pytrees import dataclass_pytree
from kdntk._src.jit import filter_jit
from kdntk._src.losses import binary_cross_entropy
from kdntk._src.networks import Network, apply_network, mlp
from kdntk.tasks import INPUT_STD

__all__ = ["TeacherConfig", "PAPER", "CPU", "Teacher", "TeacherSnapshots", "train_teacher",
           "hard_label_loss"]


@dataclasses.dataclass(frozen=True)
class TeacherConfig:
    """Sizes and optimizer of a finite teacher (Ji & Zhu 2020, supplement S4).

    Attributes:
      depth: hidden layers L of the teacher MLP.
      width: hidden width m.
      input_dim: d.
      batch_size: |D|, fresh samples per epoch (one Adam step per epoch).
      learning_rate: Adam step size eta (beta1 = 0.9, beta2 = 0.999).
      num_epochs: total epochs trained.
      reduction: the reduction factor r of S4 applied to the teacher's logits (z_t = r f(x)).
      input_std: standard deviation of the input distribution N(0, std^2 I).
    """

    depth: int = 5
    width: int = 1024
    input_dim: int = 2
    batch_size: int = 4096
    learning_rate: float = 5e-4
    num_epochs: int = 32768
    reduction: float = 0.3
    input_std: float = INPUT_STD

    def __post_init__(self):
        """Every field checked when a config is built (also by ``dataclasses.replace``)."""
        for name in ("depth", "width", "input_dim", "batch_size", "num_epochs"):
            check_integer(getattr(self, name), name)
        for name in ("learning_rate", "reduction", "input_std"):
            check_range(getattr(self, name), name, low=0.0, low_open=True, finite=True)

    def network(self) -> Network:
        """The teacher architecture, ``kdntk.mlp(depth, width=width)``."""
        return mlp(self.depth, width=self.width)


PAPER = TeacherConfig()
"""The paper's Fig. 2 teacher (d = 2, L = 5, m = 1024, |D| = 4096, eta = 5e-4, r = 0.3). The Fig. 4
teacher uses ``dataclasses.replace(PAPER, learning_rate=1e-2)``. Meant for accelerators."""

CPU = TeacherConfig(depth=3, width=64, batch_size=256, learning_rate=1e-2, num_epochs=1024)
"""A CPU-sized teacher that trains in seconds on 2 cores and shows the same qualitative behaviour."""


@dataclass_pytree(["params", "reduction"], ["net"])
class Teacher:
    """A finite teacher's logit function z_t(x) = r f(x; w), a callable pytree.

    Attributes:
      params: the network parameters w (a pytree; a leading epoch axis when stacked).
      reduction: r, a scalar array.
      net: the [`kdntk.Network`][kdntk.Network] (static).
    """

    params: Any
    reduction: Array
    net: Network

    def __call__(self, x: Float[Array, "n d"]) -> Float[Array, " n"]:
        return _teacher_logits(self, check_inputs(x, "x"))


@dataclass_pytree(["params", "epochs", "reduction"], ["net"])
class TeacherSnapshots:
    """Parameters of one teacher at several stopping epochs, stacked on a leading axis E.

    Attributes:
      params: parameter pytree whose leaves have a leading axis E.
      epochs: the stopping epochs, shape (E,); epoch e means the parameters after e Adam steps.
      reduction: r, applied by [`teacher`][kdntk.teachers.TeacherSnapshots.teacher].
      net: the teacher [`kdntk.Network`][kdntk.Network] (static).
    """

    params: Any
    epochs: Int[Array, " E"]
    reduction: Array
    net: Network

    def __len__(self) -> int:
        return int(self.epochs.shape[0])

    @property
    def stack_shape(self) -> tuple:
        """(E,): the teacher-stack axis of the logits (the callable contract)."""
        return (len(self),)

    def teacher(self, i: int) -> Teacher:
        """The teacher stopped at ``epochs[i]`` as a callable [`Teacher`][kdntk.teachers.Teacher].

        Raises:
          IndexError: ``i`` outside [-E, E) (no clamping to the last snapshot).
        """
        i = operator.index(i)
        if not -len(self) <= i < len(self):
            raise IndexError(f"snapshot index {i} out of range for {len(self)} snapshots "
                             f"(epochs {np.asarray(self.epochs).tolist()}).")
        return Teacher(jax.tree_util.tree_map(lambda p: p[i], self.params), self.reduction, self.net)

    def logits(self, x: Float[Array, "n d"]) -> Float[Array, "E n"]:
        """z_t(x) of every snapshot, vmapped over the epoch axis: shape (E, n)."""
        return _snapshot_logits(self, check_inputs(x, "x"))

    def __call__(self, x: Float[Array, "n d"]) -> Float[Array, "E n"]:
        """Same as [`logits`][kdntk.teachers.TeacherSnapshots.logits]: the snapshots are one logit function with an epoch axis, a
        target for [`kdntk.ji_zhu.hard_label_effect_curve`][kdntk.ji_zhu.hard_label_effect_curve] and [`kdntk.data_inefficiency`][kdntk.data_inefficiency]."""
        return self.logits(x)


# One compiled program per network and input shape (called eagerly, the network's layers would
# each compile on their own); inside an enclosing jit these simply inline.
@filter_jit
def _teacher_logits(teacher: Teacher, x):
    return teacher.reduction * callables.call(lambda v: apply_network(teacher.net, teacher.params, v), x,
                                              "the teacher network's apply_fn")


@filter_jit
def _snapshot_logits(snaps: TeacherSnapshots, x):
    return jax.vmap(lambda p: _teacher_logits(Teacher(p, snaps.reduction, snaps.net), x))(snaps.params)


def _stop_epochs(stop_epochs, num_epochs):
    epochs = np.asarray(stop_epochs)
    if (epochs.ndim != 1 or epochs.size == 0 or not np.issubdtype(epochs.dtype, np.integer)
            or epochs.min() < 0 or epochs.max() > num_epochs or np.any(np.diff(epochs) <= 0)):
        raise ValueError(
            f"stop_epochs must be a strictly increasing 1-D array of integers in [0, num_epochs="
            f"{num_epochs}], got {stop_epochs!r}.")
    return epochs


def _optimizer(config):
    return optax.adam(config.learning_rate, b1=0.9, b2=0.999)


def hard_label_loss(net: Network, params, x, y) -> Array:
    """Mean binary cross-entropy of the teacher's raw logits f(x; w) against labels y (n,).

    Raises:
      ValueError: NaN or inf inputs, labels outside [0, 1] or not one per input (concrete values;
        shapes also when traced), inputs that do not fit the network.
    """
    x = check_inputs(x, "x")
    y = check_labels(y, "y", ndim=1, dtype=x.dtype)
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"y must have shape ({x.shape[0]},), one label per row of x {x.shape}, got {y.shape}.")
    z = callables.call(lambda v: apply_network(net, params, v), x, "the network's apply_fn")
    return jnp.mean(binary_cross_entropy(y, z))


@filter_jit
def _ground_truth_on(ground_truth, x):
    return callables.call(ground_truth, x, "ground_truth")


@filter_jit
def _train(ground_truth, net, config, key, stop_epochs):
    init_key, batch_key = jax.random.split(key)
    _, params = net.init_fn(init_key, (-1, config.input_dim))
    optimizer = _optimizer(config)
    dtype = jax.tree_util.tree_leaves(params)[0].dtype
    opt_state = optimizer.init(params)
    buffer = jax.tree_util.tree_map(
        lambda p: jnp.zeros((stop_epochs.shape[0],) + p.shape, p.dtype), params)
    # Epoch 0 (the initialization) may be requested too.
    buffer = jax.tree_util.tree_map(
        lambda b, p: b.at[0].set(jnp.where(stop_epochs[0] == 0, p, b[0])), buffer, params)
    slot0 = (stop_epochs[0] == 0).astype(jnp.int32)

    def step(carry, epoch_key):
        params, opt_state, buffer, slot, epoch = carry
        x = config.input_std * jax.random.normal(epoch_key, (config.batch_size, config.input_dim), dtype)
        y = (callables.call(ground_truth, x, "ground_truth") > 0).astype(x.dtype)
        grads = jax.grad(lambda p: hard_label_loss(net, p, x, y))(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        epoch = epoch + 1
        hit = (slot < stop_epochs.shape[0]) & (stop_epochs[jnp.minimum(slot, stop_epochs.shape[0] - 1)] == epoch)
        idx = jnp.minimum(slot, stop_epochs.shape[0] - 1)
        buffer = jax.tree_util.tree_map(
            lambda b, p: b.at[idx].set(jnp.where(hit, p, b[idx])), buffer, params)
        return (params, opt_state, buffer, slot + hit.astype(jnp.int32), epoch), None

    keys = jax.random.split(batch_key, config.num_epochs)
    carry = (params, opt_state, buffer, slot0, jnp.zeros((), jnp.int32))
    (_, _, buffer, _, _), _ = jax.lax.scan(step, carry, keys)
    return buffer


def train_teacher(
    ground_truth: Callable[[Array], Array],
    key: Array,
    *,
    config: TeacherConfig = CPU,
    stop_epochs=None,
) -> TeacherSnapshots:
    """Train a finite teacher on hard labels of ``ground_truth``; snapshots at ``stop_epochs``.

    One Adam step per epoch on a fresh batch (online-batch training of the supplement's S4), minimizing
    mean_i H(1{f_g(x_i) > 0}, sigma(f(x_i; w))), all epochs in one ``lax.scan``.

    Args:
      ground_truth: f_g, inputs (n, d) -> logits (n,) or (n, 1); e.g. a task from [`kdntk.tasks`][kdntk.tasks].
      key: PRNG key (typed or legacy); ``split(key)`` gives the initialization key and the batch keys
        (epoch e uses ``split(batch_key, num_epochs)[e - 1]``).
      config: a [`TeacherConfig`][kdntk.teachers.TeacherConfig] ([`CPU`][kdntk.teachers.CPU] by default, [`PAPER`][kdntk.teachers.PAPER] for the paper).
      stop_epochs: strictly increasing epochs in [0, num_epochs] (0 = initialization);
        default: powers of two up to num_epochs, and num_epochs.

    Returns:
      [`TeacherSnapshots`][kdntk.teachers.TeacherSnapshots] with params stacked on a leading axis len(stop_epochs), in the
      dtype of the network's initialization (float32, or float64 under ``jax_enable_x64``);
      batches are drawn in that dtype.

    Raises:
      ValueError: bad ``stop_epochs`` or config values.

    Example:
      >>> import dataclasses, jax, kdntk
      >>> gt = kdntk.tasks.gaussian_mixture(jax.random.key(0), num_modes=2)
      >>> cfg = dataclasses.replace(kdntk.teachers.CPU, width=8, batch_size=16, num_epochs=4)
      >>> snaps = kdntk.teachers.train_teacher(gt, jax.random.key(1), config=cfg, stop_epochs=[2, 4])
      >>> snaps.logits(kdntk.tasks.sample_inputs(jax.random.key(2), 3)).shape
      (2, 3)
    """
    key = as_key(key)
    if not isinstance(config, TeacherConfig):
        raise TypeError(f"config must be a kdntk.teachers.TeacherConfig, got {type(config).__name__}.")
    for name in ("depth", "width", "input_dim", "batch_size", "num_epochs"):
        check_integer(getattr(config, name), f"config.{name}")
    check_range(config.learning_rate, "config.learning_rate", low=0.0, low_open=True)
    check_range(config.reduction, "config.reduction", low=0.0, low_open=True)
    if stop_epochs is None:
        powers = [2**k for k in range(int(np.log2(config.num_epochs)) + 1)]
        stop_epochs = sorted(set(powers) | {config.num_epochs})
    epochs = _stop_epochs(stop_epochs, config.num_epochs)
    net = config.network()
    # The callable contract on one batch of the input distribution before training: a wrong
    # output shape, or NaN (whose hard label 1{NaN > 0} = 0 would train silently), is named.
    probe = config.input_std * jax.random.normal(jax.random.fold_in(key, 1), (config.batch_size, config.input_dim))
    callables.check_values(_ground_truth_on(ground_truth, probe), "ground_truth")
    buffer = _train(ground_truth, net, config, key, jnp.asarray(epochs))
    return TeacherSnapshots(buffer, jnp.asarray(epochs), jnp.asarray(config.reduction), net)
