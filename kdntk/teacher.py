"""Teachers: finite MLPs trained with Adam on hard labels, and closed-form gradient-flow teachers.

Finite teacher (003 S4). An NTK-parameterized MLP (000 Eq. 1) is trained with optax Adam on the
binary cross-entropy of the hard labels y = 1{f_g(x) > 0} of a ground-truth logit function f_g,
"online-batch": every epoch draws a fresh batch x ~ N(0, input_std^2 I) and takes one Adam step
on it, so teacher and student never share samples. All epochs run in ONE ``lax.scan``; the
parameters at the requested stopping epochs are written into a buffer carried by the scan, so
the snapshots come back stacked on a leading axis (vmap-able over stopping epochs).

Closed-form teacher. Kernel regression trained by gradient flow for time t on +-1 labels,
f_t(x) = Theta(x, X) V diag((1 - exp(-t lambda)) / lambda) V^T y (see :mod:`kdntk.gradient_flow`),
the analytic stand-in for a teacher stopped at time t.

Both teachers are callable pytrees x (n, d) -> logits (n,) usable as ``target`` of
:func:`kdntk.data_inefficiency`; their network is a static field, so calls with different
snapshots reuse one compiled computation.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float, Int

from kdntk._checks import check_inputs, check_range
from kdntk._jit import filter_jit
from kdntk.gradient_flow import gradient_flow_predict
from kdntk.kernels import ntk
from kdntk.losses import binary_cross_entropy
from kdntk.networks import Network, mlp
from kdntk.tasks._synthetic import INPUT_STD

__all__ = [
    "TeacherConfig",
    "PAPER",
    "CPU",
    "Teacher",
    "TeacherSnapshots",
    "train_teacher",
    "FlowTeacher",
    "flow_teacher",
]


@dataclasses.dataclass(frozen=True)
class TeacherConfig:
    """Sizes and optimizer of a finite teacher (003 S4).

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

    def network(self) -> Network:
        """The teacher architecture, ``kdntk.mlp(depth, width)``."""
        return mlp(self.depth, self.width)


PAPER = TeacherConfig()
"""The paper's Fig. 2 teacher (d = 2, L = 5, m = 1024, |D| = 4096, eta = 5e-4, r = 0.3). The Fig. 4
teacher uses ``dataclasses.replace(PAPER, learning_rate=1e-2)``. Meant for accelerators."""

CPU = TeacherConfig(depth=3, width=64, batch_size=256, learning_rate=1e-2, num_epochs=1024)
"""A CPU-sized teacher that trains in seconds on 2 cores and shows the same qualitative behaviour."""


def _pytree(data_fields, meta_fields=()):
    def wrap(cls):
        cls = dataclasses.dataclass(frozen=True)(cls)
        return jax.tree_util.register_dataclass(
            cls, data_fields=list(data_fields), meta_fields=list(meta_fields))

    return wrap


@_pytree(["params", "reduction"], ["net"])
class Teacher:
    """A finite teacher's logit function z_t(x) = r f(x; w), a callable pytree.

    Attributes:
      params: the network parameters w (a pytree; a leading epoch axis when stacked).
      reduction: r, a scalar array.
      net: the :class:`kdntk.Network` (static).
    """

    params: Any
    reduction: Array
    net: Network

    def __call__(self, x: Float[Array, "n d"]) -> Float[Array, " n"]:
        return _teacher_logits(self, x)


@_pytree(["params", "epochs", "reduction"], ["net"])
class TeacherSnapshots:
    """Parameters of one teacher at several stopping epochs, stacked on a leading axis E.

    Attributes:
      params: parameter pytree whose leaves have a leading axis E.
      epochs: the stopping epochs, shape (E,); epoch e means the parameters after e Adam steps.
      reduction: r, applied by :meth:`teacher`.
      net: the teacher :class:`kdntk.Network` (static).
    """

    params: Any
    epochs: Int[Array, " E"]
    reduction: Array
    net: Network

    def __len__(self) -> int:
        return int(self.epochs.shape[0])

    def teacher(self, i: int) -> Teacher:
        """The teacher stopped at ``epochs[i]`` as a callable :class:`Teacher`."""
        return Teacher(jax.tree_util.tree_map(lambda p: p[i], self.params), self.reduction, self.net)

    def logits(self, x: Float[Array, "n d"]) -> Float[Array, "E n"]:
        """z_t(x) of every snapshot, vmapped over the epoch axis: shape (E, n)."""
        return _snapshot_logits(self, x)

    def __call__(self, x: Float[Array, "n d"]) -> Float[Array, "E n"]:
        """Same as :meth:`logits`: the snapshots are one logit function with an epoch axis, a
        target for :func:`kdntk.hard_label_effect_curve` and :func:`kdntk.data_inefficiency`."""
        return self.logits(x)


# One compiled program per network and input shape (called eagerly, the network's layers would
# each compile on their own); inside an enclosing jit these simply inline.
@filter_jit
def _teacher_logits(teacher: Teacher, x):
    return teacher.reduction * teacher.net.apply_fn(teacher.params, x).reshape(x.shape[0])


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
    """Mean binary cross-entropy of the teacher's raw logits f(x; w) against labels y (n,)."""
    return jnp.mean(binary_cross_entropy(y, net.apply_fn(params, x).reshape(x.shape[0])))


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
        y = (ground_truth(x) > 0).astype(x.dtype)
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

    One Adam step per epoch on a fresh batch (online-batch training of 003 S4), minimizing
    mean_i H(1{f_g(x_i) > 0}, sigma(f(x_i; w))), all epochs in one ``lax.scan``.

    Args:
      ground_truth: f_g, inputs (n, d) -> logits (n,); e.g. a task from :mod:`kdntk.tasks`.
      key: PRNG key; ``split(key)`` gives the initialization key and the batch keys
        (epoch e uses ``split(batch_key, num_epochs)[e - 1]``).
      config: a :class:`TeacherConfig` (:data:`CPU` by default, :data:`PAPER` for the paper).
      stop_epochs: strictly increasing epochs in [0, num_epochs] (0 = initialization);
        default: powers of two up to num_epochs, and num_epochs.

    Returns:
      :class:`TeacherSnapshots` with params stacked on a leading axis len(stop_epochs), in the
      dtype of the network's initialization (float32, or float64 under ``jax_enable_x64``);
      batches are drawn in that dtype.

    Raises:
      ValueError: bad ``stop_epochs`` or config values.

    Example:
      >>> import dataclasses, jax, kdntk
      >>> gt = kdntk.tasks.gaussian_mixture(jax.random.key(0), num_modes=2)
      >>> cfg = dataclasses.replace(kdntk.CPU, width=8, batch_size=16, num_epochs=4)
      >>> snaps = kdntk.train_teacher(gt, jax.random.key(1), config=cfg, stop_epochs=[2, 4])
      >>> snaps.logits(kdntk.tasks.sample_inputs(jax.random.key(2), 3)).shape
      (2, 3)
    """
    if not isinstance(config, TeacherConfig):
        raise TypeError(f"config must be a kdntk.TeacherConfig, got {type(config).__name__}.")
    for name in ("depth", "width", "input_dim", "batch_size", "num_epochs"):
        value = getattr(config, name)
        if int(value) != value or value < 1:
            raise ValueError(f"config.{name} must be a positive integer, got {value!r}.")
    check_range(config.learning_rate, "config.learning_rate", low=0.0, low_open=True)
    check_range(config.reduction, "config.reduction", low=0.0, low_open=True)
    if stop_epochs is None:
        powers = [2**k for k in range(int(np.log2(config.num_epochs)) + 1)]
        stop_epochs = sorted(set(powers) | {config.num_epochs})
    epochs = _stop_epochs(stop_epochs, config.num_epochs)
    net = config.network()
    buffer = _train(ground_truth, net, config, key, jnp.asarray(epochs))
    return TeacherSnapshots(buffer, jnp.asarray(epochs), jnp.asarray(config.reduction), net)


@_pytree(["x_train", "coefficients", "reduction"], ["net"])
class FlowTeacher:
    """z_t(x) = r Theta(x, X) c with c = V diag((1 - exp(-t lambda)) / lambda) V^T y, callable.

    Attributes:
      x_train: X, shape (N, d).
      coefficients: c, shape (N,) (or (*T, N) for several times; then calls return (*T, n)).
      reduction: r.
      net: the kernel's :class:`kdntk.Network` (static).
    """

    x_train: Float[Array, "N d"]
    coefficients: Float[Array, "*T N"]
    reduction: Array
    net: Network

    def __call__(self, x: Float[Array, "n d"]) -> Float[Array, "*T n"]:
        return _flow_logits(self, x)


@filter_jit
def _flow_logits(teacher: FlowTeacher, x):
    k = teacher.net.kernel_fn(x, teacher.x_train, "ntk")
    return teacher.reduction * (teacher.coefficients @ k.T)


def flow_teacher(
    net: Network,
    x_train: Float[Array, "N d"],
    labels: Float[Array, " N"],
    t,
    *,
    reduction: float = 1.0,
) -> FlowTeacher:
    """Closed-form teacher: kernel regression of ``labels`` trained by gradient flow for time t.

    f_t(x) = Theta(x, X) Theta^-1 (I - exp(-t Theta)) y (``kdntk.gradient_flow_predict``), stored as
    its coefficient vector so that it can be evaluated anywhere; ``t = inf`` interpolates.

    Args:
      net: the teacher's network; its closed-form NTK is the kernel.
      x_train: teacher's training inputs X, shape (N, d).
      labels: regression targets y on X, shape (N,), e.g. 2 * 1{f_g(X) > 0} - 1.
      t: stopping time(s), scalar or 1-D (the learning rate folded in).
      reduction: r applied to the logits.
    """
    x_train = check_inputs(x_train, "x_train")
    check_range(reduction, "reduction", low=0.0, low_open=True)
    theta = ntk(net, x_train)
    # With Theta(x, X) = I the prediction is the coefficient vector itself.
    eye = jnp.eye(x_train.shape[0], dtype=theta.dtype)
    coef = gradient_flow_predict(eye, theta, labels, t)
    return FlowTeacher(x_train, coef, jnp.asarray(reduction, theta.dtype), net)
