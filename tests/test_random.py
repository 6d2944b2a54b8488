"""kdntk._random.drawn_flat draws exactly the numbers of the direct sampler (threefry counts in row-major
order), so the data sets that use it are the ones the direct call gives. The fast test checks one small
shape (each threefry sampler costs ~0.5 s CPU to compile); the slow one the data sets' shapes and more
samplers."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kdntk._src.prng import drawn_flat


def test_drawn_flat_equals_direct_draw():
    key = jax.random.key(3)
    np.testing.assert_array_equal(drawn_flat(jax.random.normal, key, (2, 3, 5), jnp.float64),
                                  jax.random.normal(key, (2, 3, 5), jnp.float64))


@pytest.mark.slow
def test_drawn_flat_equals_direct_draw_at_data_set_shapes():
    key = jax.random.key(4)
    for sampler, shape in [(jax.random.normal, (12, 4, 32, 100)), (jax.random.uniform, (120, 10))]:
        np.testing.assert_array_equal(drawn_flat(sampler, key, shape, jnp.float64), sampler(key, shape, jnp.float64))
    np.testing.assert_array_equal(drawn_flat(jax.random.randint, key, (6, 10), 0, 7),
                                  jax.random.randint(key, (6, 10), 0, 7))
