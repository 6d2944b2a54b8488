"""A 2-D logit function evaluated on a square grid (for pictures of decision boundaries)."""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax.numpy as jnp
from jaxtyping import Array, Float

from kdntk._src import callables
from kdntk._src.checks import check_integer, check_range
from kdntk._src.jit import filter_jit

__all__ = ["LogitGrid", "logit_grid"]


class LogitGrid(NamedTuple):
    """Logits on the grid axis x axis.

    Attributes:
      axis: the grid's coordinates along each of the two input dimensions, shape (G,).
      logits: f((axis[j], axis[i])) at row i, column j, shape (G, G).
    """

    axis: Float[Array, " G"]
    logits: Float[Array, "G G"]


@filter_jit
def _evaluate(fn, points):
    """``fn`` on the grid's points, compiled once per function and resolution."""
    return callables.call(fn, points, "fn")


def logit_grid(fn: Callable[[Array], Array], *, extent: float = 15.0, resolution: int = 121) -> LogitGrid:
    """``fn`` on the square [-extent, extent]^2 with ``resolution`` points per side.

    Args:
      fn: a logit function of 2-D inputs, (n, 2) -> (n,) or (n, 1) (a task or a teacher).
      extent: half the side of the square (inputs N(0, 5^2 I) mostly lie within 15).
      resolution: G, grid points per side.

    Example:
      >>> import kdntk
      >>> g = kdntk.tasks.logit_grid(lambda x: x[:, 0] - x[:, 1], extent=1.0, resolution=3)
      >>> g.logits.tolist()
      [[0.0, 1.0, 2.0], [-1.0, 0.0, 1.0], [-2.0, -1.0, 0.0]]
    """
    check_range(extent, "extent", low=0.0, low_open=True, finite=True)
    resolution = check_integer(resolution, "resolution", low=2)
    axis = jnp.linspace(-extent, extent, resolution)
    xx, yy = jnp.meshgrid(axis, axis)
    points = jnp.stack([xx.ravel(), yy.ravel()], axis=1)
    logits = _evaluate(fn, points)
    callables.check_values(logits, "fn")
    return LogitGrid(axis, logits.reshape(xx.shape))
