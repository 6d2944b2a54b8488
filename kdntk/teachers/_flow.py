"""Closed-form teachers: kernel regression trained by gradient flow for time t (Ji & Zhu 2020, S1).

f_t(x) = Theta(x, X) V diag((1 - exp(-t lambda)) / lambda) V^T y (see [`kdntk.gradient_flow`][kdntk.gradient_flow]),
the analytic stand-in for a teacher stopped at time t. Several stopping times make a teacher
stack (``stack_shape = t.shape``) that every sweep takes as a target.
"""

from __future__ import annotations

import jax.numpy as jnp
from jaxtyping import Array, Float

from kdntk._src.checks import check_array, check_inputs, check_last_axis, check_range
from kdntk._src.gradient_flow import gradient_flow_predict
from kdntk._src.jit import filter_jit
from kdntk._src.kernels import ntk
from kdntk._src.networks import Network, as_network
from kdntk._src.pytrees import dataclass_pytree

__all__ = ["FlowTeacher", "flow_teacher"]


@dataclass_pytree(["x_train", "coefficients", "reduction"], ["net"])
class FlowTeacher:
    """z_t(x) = r Theta(x, X) c with c = V diag((1 - exp(-t lambda)) / lambda) V^T y, callable.

    Attributes:
      x_train: X, shape (N, d).
      coefficients: c, shape (N,) (or (*T, N) for several times; then calls return (*T, n)).
      reduction: r.
      net: the kernel's [`kdntk.Network`][kdntk.Network] (static).
    """

    x_train: Float[Array, "N d"]
    coefficients: Float[Array, "*T N"]
    reduction: Array
    net: Network

    @property
    def stack_shape(self) -> tuple:
        """The stopping-time axes *T of the logits (the callable contract); () for one time."""
        return tuple(self.coefficients.shape[:-1])

    def __call__(self, x: Float[Array, "n d"]) -> Float[Array, "*T n"]:
        x = check_inputs(x, "x")
        if x.shape[1:] != self.x_train.shape[1:]:
            raise ValueError(f"x must have the feature shape of the teacher's training inputs "
                             f"{self.x_train.shape}, got {x.shape}.")
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
    net = as_network(net)
    x_train = check_inputs(x_train, "x_train")
    labels = check_last_axis(check_array(labels, "labels", ndim=1), "labels", x_train.shape[0],
                             f"x_train {x_train.shape}")
    check_range(reduction, "reduction", low=0.0, low_open=True, finite=True)
    theta = ntk(net, x_train)
    # With Theta(x, X) = I the prediction is the coefficient vector itself.
    eye = jnp.eye(x_train.shape[0], dtype=theta.dtype)
    coef = gradient_flow_predict(eye, theta, labels, t)
    return FlowTeacher(x_train, coef, jnp.asarray(reduction, theta.dtype), net)
