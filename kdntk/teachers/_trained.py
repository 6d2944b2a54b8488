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
from kdntk._src.checks import as_key, check_array, check_inputs, check_integer, check_labels, check_range
from kdntk._src.pytrees import dataclass_pytree
from kdntk._src.jit import filter_jit
from kdntk._src.losses import binary_cross_entropy
from kdntk._src.networks import Network, apply_network, mlp
from kdntk.tasks import INPUT_STD

__all__ = ["TeacherConfig", "PAPER", "CPU", "Teacher", "TeacherSnapshots", "train_teacher",
           "train_on_data", "hard_label_loss", "snapshots"]


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
                                              "the teacher network's apply_fn", classes=True)


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


def snapshots(step, carry, stop_epochs):
    """Run ``carry = step(carry, epoch)`` for epochs 1..stop_epochs[-1] in one scan and return the
    parameters (``carry[0]``) after each stopping epoch, stacked on a leading axis (traced).

    The scan runs over the intervals between stopping epochs, each a loop of its own length, so
    only the E snapshots are ever stored."""
    lengths = jnp.diff(stop_epochs, prepend=0)

    def interval(state, length):
        carry, epoch = state
        carry, epoch = jax.lax.fori_loop(0, length, lambda _, s: (step(s[0], s[1] + 1), s[1] + 1),
                                         (carry, epoch))
        return (carry, epoch), carry[0]

    _, params = jax.lax.scan(interval, (carry, jnp.zeros((), jnp.int32)), lengths)
    return params


@filter_jit
def _ground_truth_on(ground_truth, x):
    return callables.call(ground_truth, x, "ground_truth")


@filter_jit
def _train(ground_truth, net, config, key, stop_epochs):
    init_key, batch_key = jax.random.split(key)
    _, params = net.init_fn(init_key, (-1, config.input_dim))
    optimizer = _optimizer(config)
    dtype = jax.tree_util.tree_leaves(params)[0].dtype
    keys = jax.random.split(batch_key, config.num_epochs)

    def step(carry, epoch):
        params, opt_state = carry
        x = config.input_std * jax.random.normal(keys[epoch - 1], (config.batch_size, config.input_dim), dtype)
        y = (callables.call(ground_truth, x, "ground_truth") > 0).astype(x.dtype)
        grads = jax.grad(lambda p: hard_label_loss(net, p, x, y))(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    return snapshots(step, (params, optimizer.init(params)), stop_epochs)


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


@filter_jit
def _train_on_data(net, x, y, key, stop_epochs, learning_rate, batch_size):
    init_key, order_key = jax.random.split(key)
    _, params = net.init_fn(init_key, x.shape)
    optimizer = optax.adam(learning_rate, b1=0.9, b2=0.999)
    count = x.shape[0] // batch_size

    def loss(p, xb, yb):
        z = callables.call(lambda v: net.apply_fn(p, v), xb, "the network's apply_fn", classes=True)
        if z.ndim == 1:
            return jnp.mean(binary_cross_entropy(yb, z))
        if yb.ndim == 1:
            return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(z, yb.astype(jnp.int32)))
        return jnp.mean(optax.softmax_cross_entropy(z, yb))

    def update(carry, batch):
        params, opt_state = carry
        grads = jax.grad(loss)(params, x[batch], y[batch])
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    def step(carry, epoch):
        order = jax.random.permutation(jax.random.fold_in(order_key, epoch), x.shape[0])
        batches = order[: count * batch_size].reshape(count, batch_size)
        return jax.lax.fori_loop(0, count, lambda i, c: update(c, batches[i]), carry)

    return snapshots(step, (params, optimizer.init(params)), stop_epochs)


def train_on_data(
    inputs: Float[Array, "P *features"],
    labels,
    key: Array,
    *,
    net,
    num_epochs: int,
    learning_rate: float = 1e-3,
    batch_size: int | None = None,
    stop_epochs=None,
    reduction: float = 1.0,
) -> TeacherSnapshots:
    """Train a teacher network on a fixed data set; snapshots at ``stop_epochs``.

    Adam on the cross-entropy of the labels: binary (a network with one output; labels in
    [0, 1]) or softmax (C outputs; integer classes (P,) or probability rows (P, C)). An epoch is
    one pass over the data set: full-batch (``batch_size=None``: one step per epoch) or
    minibatches of ``batch_size`` in a fresh random order every epoch (the last incomplete batch
    is dropped). All epochs run in one compiled scan; only the snapshots are stored.

    Args:
      inputs: the training set, (P, *features) (e.g. ``kdntk.tasks.digits().inputs``).
      labels: (P,) labels in [0, 1] for one output, or (P,) classes / (P, C) probabilities for C.
      key: PRNG key (typed or legacy) for the initialization and the batch order.
      net: the teacher network (a [`kdntk.Network`][kdntk.Network] or a stax triple; any
        architecture, e.g. a CNN on images).
      num_epochs: epochs to train.
      learning_rate: Adam's step size.
      batch_size: minibatch size, or None for full-batch gradient descent with Adam.
      stop_epochs: strictly increasing epochs in [0, num_epochs] to keep (0 = initialization);
        default: powers of two up to num_epochs, and num_epochs.
      reduction: the reduction factor r applied to the logits (Ji & Zhu 2020, supplement S4).

    Returns:
      [`TeacherSnapshots`][kdntk.teachers.TeacherSnapshots]: a teacher stack (E epochs), whose
      logits are (E, n) for one output and (E, n, C) for C.

    Example:
      >>> import jax, kdntk
      >>> d = kdntk.tasks.breast_cancer()
      >>> snaps = kdntk.teachers.train_on_data(d.inputs, d.labels, jax.random.key(0),
      ...                                      net=kdntk.mlp(1, width=32), num_epochs=20,
      ...                                      learning_rate=1e-2, stop_epochs=[1, 20])
      >>> z = snaps.logits(d.inputs)
      >>> z.shape, bool(((z[1] > 0) == d.labels).mean() > 0.9)
      ((2, 569), True)
    """
    from kdntk._src.networks import as_network

    net = as_network(net)
    key = as_key(key)
    x = check_array(inputs, "inputs", min_ndim=2)
    num_epochs = check_integer(num_epochs, "num_epochs")
    check_range(learning_rate, "learning_rate", low=0.0, low_open=True)
    check_range(reduction, "reduction", low=0.0, low_open=True)
    batch = x.shape[0] if batch_size is None else check_integer(batch_size, "batch_size")
    if batch > x.shape[0]:
        raise ValueError(f"batch_size = {batch} exceeds the {x.shape[0]} training points.")
    y = check_array(labels, "labels", dtype=None)
    if y.shape[0] != x.shape[0] or y.ndim > 2:
        raise ValueError(f"labels must have shape ({x.shape[0]},) or ({x.shape[0]}, C) to match inputs "
                         f"{x.shape}, got {y.shape}.")
    outputs = jax.eval_shape(lambda: net.apply_fn(net.init_fn(key, x.shape)[1], x[:2])).shape
    if outputs in ((2,), (2, 1)):
        check_range(y, "labels", low=0.0, high=1.0)
    elif y.ndim == 1:
        check_range(y, "labels", low=0, high=outputs[-1] - 1)
        if np.any(np.asarray(y) != np.round(np.asarray(y))):
            raise ValueError("labels of a C-output network must be integer classes (P,) or probability rows (P, C).")
    elif y.shape[1] != outputs[-1]:
        raise ValueError(f"labels have {y.shape[1]} columns but the network has {outputs[-1]} outputs.")
    if stop_epochs is None:
        powers = [2**k for k in range(int(np.log2(num_epochs)) + 1)]
        stop_epochs = sorted(set(powers) | {num_epochs})
    epochs = _stop_epochs(stop_epochs, num_epochs)
    params = _train_on_data(net, x, y, key, jnp.asarray(epochs), jnp.asarray(learning_rate, x.dtype), batch)
    return TeacherSnapshots(params, jnp.asarray(epochs), jnp.asarray(reduction, x.dtype), net)
