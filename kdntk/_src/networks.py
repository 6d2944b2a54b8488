"""Networks as neural-tangents stax triples, and the NTK-parameterized MLP of Ji & Zhu Eq. 1.

    h^1     = sigma_W W^0 x / sqrt(d) + sigma_b b^0,          x^1 = g(h^1)
    h^{l+1} = sigma_W W^l x^l / sqrt(m) + sigma_b b^l,        x^{l+1} = g(h^{l+1})
    f(x)    = sigma_W W^L x^L / sqrt(m) + sigma_b b^L,        W, b ~ N(0, 1)

with ``depth`` = L hidden layers of width m and a scalar output (Ji & Zhu 2020, Eq. 1; supplement S4).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

from kdntk._src.checks import check_choice, check_integer, check_range
from kdntk._src.nt_loader import stax

__all__ = ["Network", "mlp", "as_network", "apply_network", "ACTIVATIONS"]

ACTIVATIONS: dict[str, Callable[[], tuple]] = {
    "relu": stax.Relu,
    "erf": stax.Erf,
    "gelu": stax.Gelu,
    "abs": stax.Abs,
    "sign": stax.Sign,
    "sin": stax.Sin,
    "leaky_relu": lambda: stax.LeakyRelu(0.1),
}
"""Activation names accepted by [`mlp`][kdntk.mlp], mapped to neural-tangents stax layers."""


@dataclasses.dataclass(frozen=True, eq=False)
class Network:
    """A network as neural-tangents' ``(init_fn, apply_fn, kernel_fn)`` triple.

    Any architecture built with [`kdntk.stax`][kdntk.stax] is one: ``kdntk.Network(*stax.serial(...))``,
    and every function that takes a network also accepts the plain triple.

    Attributes:
      init_fn: ``init_fn(key, input_shape) -> (output_shape, params)``, a finite-width draw.
      apply_fn: ``apply_fn(params, x) -> f(x)`` of shape ``(n, 1)`` for ``x`` of shape ``(n, d)``.
      kernel_fn: ``kernel_fn(x1, x2, "ntk" | "nngp")``, the closed-form infinite-width kernels.
      spec: a hashable description (for example ``("mlp", 3, 1024, 1.0, 1.0, "relu")``). Two
        networks with equal specs compare and hash equal, so jitted analyses that take a network
        as a static argument are compiled once per architecture, not once per object. Without a
        spec, networks are equal when they hold the same three functions.

    Example:
      >>> import kdntk, jax.numpy as jnp
      >>> from kdntk import stax
      >>> net = kdntk.Network(*stax.serial(stax.Dense(512), stax.Erf(), stax.Dense(1)))
      >>> kdntk.ntk(net, jnp.ones((3, 2))).shape
      (3, 3)
    """

    init_fn: Callable[..., Any]
    apply_fn: Callable[..., Any]
    kernel_fn: Callable[..., Any]
    spec: tuple = ()

    def __post_init__(self):
        for name in ("init_fn", "apply_fn", "kernel_fn"):
            if not callable(getattr(self, name)):
                raise TypeError(f"{name} must be a function (a stax triple's {name}), got "
                                f"{type(getattr(self, name)).__name__}. Build networks with kdntk.mlp "
                                "or kdntk.Network(*kdntk.stax.serial(...)).")
        if not isinstance(self.spec, tuple):
            raise TypeError(f"spec must be a hashable tuple, got {type(self.spec).__name__}.")
        try:
            hash(self.spec)
        except TypeError:
            raise TypeError(f"spec must be a hashable tuple, got {self.spec!r}.") from None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Network):
            return NotImplemented
        if self.spec or other.spec:
            return self.spec == other.spec
        return tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(self.spec) if self.spec else hash(tuple(self))

    def __iter__(self):
        """Unpacks as the stax triple: ``init_fn, apply_fn, kernel_fn = net``."""
        return iter((self.init_fn, self.apply_fn, self.kernel_fn))


def mlp(
    depth: int,
    *,
    width: int = 1024,
    W_std: float = 1.0,
    b_std: float = 1.0,
    activation: str = "relu",
) -> Network:
    """The NTK-parameterized MLP of Eq. 1 with ``depth`` hidden layers and a scalar output.

    Args:
      depth: number of hidden layers L >= 1 (the paper's students use 3, teachers 5).
      width: hidden width m of the finite network drawn by ``init_fn`` (the infinite-width
        kernels of ``kernel_fn`` do not depend on it).
      W_std: sigma_W of Eq. 1.
      b_std: sigma_b of Eq. 1; 0 removes the biases.
      activation: a name in ``ACTIVATIONS`` ("relu", "erf", "gelu", ...).

    Returns:
      A [`Network`][kdntk.Network]; ``kdntk.ntk(net, x)`` gives its closed-form NTK.

    Raises:
      ValueError: ``depth`` < 1, ``width`` < 1, a negative std, or an unknown activation.

    Example:
      >>> import kdntk, jax.numpy as jnp
      >>> net = kdntk.mlp(3)
      >>> kdntk.ntk(net, jnp.ones((4, 2))).shape
      (4, 4)
    """
    depth = check_integer(depth, "depth")
    width = check_integer(width, "width")
    check_range(W_std, "W_std", low=0.0, low_open=True, finite=True)
    check_range(b_std, "b_std", low=0.0, finite=True)
    check_choice(activation, "activation", sorted(ACTIVATIONS))
    b = b_std if b_std > 0 else None
    layers = []
    for _ in range(depth):
        layers += [stax.Dense(width, W_std=W_std, b_std=b, parameterization="ntk"),
                   ACTIVATIONS[activation]()]
    layers.append(stax.Dense(1, W_std=W_std, b_std=b, parameterization="ntk"))
    init_fn, apply_fn, kernel_fn = stax.serial(*layers)
    spec = ("mlp", int(depth), int(width), float(W_std), float(b_std), activation)
    return Network(init_fn, apply_fn, kernel_fn, spec)


def as_network(net, name: str = "net") -> Network:
    """``net`` as a [`Network`][kdntk.Network]: a Network itself, or a stax triple (init_fn, apply_fn, kernel_fn).

    Raises:
      TypeError: anything else, naming the argument and how to build one.
    """
    if isinstance(net, Network):
        return net
    if isinstance(net, tuple) and len(net) == 3 and all(callable(f) for f in net):
        return Network(*net)
    raise TypeError(
        f"{name} must be a kdntk.Network or a stax triple (init_fn, apply_fn, kernel_fn), e.g. "
        f"kdntk.mlp(3) or kdntk.stax.serial(kdntk.stax.Dense(512), kdntk.stax.Relu(), "
        f"kdntk.stax.Dense(1)); got {type(net).__name__}."
    )


def apply_network(net, params, x, what: str = "the network"):
    """``net.apply_fn(params, x)``; inputs of a shape the network cannot take raise a ValueError
    that names ``x`` and its shape (the network's own shape error is chained as the cause)."""
    try:
        return net.apply_fn(params, x)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"x of shape {tuple(x.shape)} does not fit {what}: its apply_fn cannot take these inputs "
            f"(a {type(err).__name__} inside it). Pass inputs of the shape its parameters were "
            "built for (init_fn(key, input_shape)).") from err
