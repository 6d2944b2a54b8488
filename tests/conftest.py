"""Test configuration: float64 on (accuracy is asserted against float64 oracles), strict rank
promotion (catches silent broadcasting bugs), and a small shared PRNG key fixture."""

import jax
import pytest

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")

import kdntk  # noqa: E402,F401  (first, as a user would: its XLA workaround precedes any computation)


@pytest.fixture
def key():
    return jax.random.key(0)
