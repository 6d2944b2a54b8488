"""Bad input gets a clear error that names the argument (a ValueError, or kdntk.KernelError,
itself a ValueError), or the documented special value; checked at the Python boundary."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kdntk
from kdntk import tasks


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda: kdntk.effective_logits(1.0, 1.0, soft_ratio=0.5, temperature=-1.0), "temperature"),
        (lambda: kdntk.effective_logits(1.0, 1.0, soft_ratio=0.5, temperature=0.0), "temperature"),
        (lambda: kdntk.effective_logits(1.0, 1.0, soft_ratio=1.5, temperature=1.0), "soft_ratio"),
        (lambda: kdntk.effective_logits(1.0, 1.0, soft_ratio=-0.1, temperature=1.0), "soft_ratio"),
        (lambda: kdntk.effective_logits(1.0, 1.2, soft_ratio=0.5, temperature=1.0), "y_g"),
        (lambda: kdntk.effective_logits(jnp.ones(3), jnp.ones(4), soft_ratio=0.5, temperature=1.0), "y_g"),
        (lambda: kdntk.effective_logits(jnp.nan, 1.0, soft_ratio=0.5, temperature=1.0), "z_t"),
        (lambda: kdntk.effective_logits(1.0, 1.0, soft_ratio=jnp.nan, temperature=1.0), "soft_ratio"),
        (lambda: kdntk.effective_logits(1.0, 1.0, soft_ratio=0.5, temperature=jnp.nan), "temperature"),
        (lambda: kdntk.correction_logits(1.0, 1.0, temperature=-2.0), "temperature"),
        (lambda: kdntk.distillation_loss(1.0, 1.0, 1.0, soft_ratio=0.5, temperature=-1.0), "temperature"),
        (lambda: kdntk.distillation_loss(1.0, 1.0, 1.0, soft_ratio=1.5, temperature=1.0), "soft_ratio"),
        (lambda: kdntk.distillation_loss_grad(1.0, 1.0, 1.0, soft_ratio=0.5, temperature=-1.0), "temperature"),
        (lambda: kdntk.ntk(kdntk.mlp(2), jnp.array([[1.0, jnp.nan]])), "x1"),
        (lambda: kdntk.ntk(kdntk.mlp(2), jnp.ones((3, 2)), jnp.ones((3, 3))), "x2"),
        (lambda: kdntk.ntk(kdntk.mlp(2), jnp.ones(3)), "x1"),
        (lambda: kdntk.empirical_ntk(lambda p, x: x @ p, jnp.ones(2), jnp.array([[jnp.inf, 1.0]])), "x1"),
        (lambda: kdntk.weight_norm_path(jnp.eye(3), jnp.ones(4)), "dz"),
        (lambda: kdntk.weight_norm_path(jnp.eye(3), jnp.array([1.0, jnp.nan, 1.0])), "dz"),
        (lambda: kdntk.weight_norm_path(jnp.ones((3, 2)), jnp.ones(3)), "theta"),
        (lambda: kdntk.predict(jnp.ones((2, 4)), jnp.eye(3), jnp.ones(3)), "theta_test_train"),
        (lambda: kdntk.theta_inner(jnp.eye(3), jnp.ones(3), jnp.ones(2)), "b"),
        (lambda: kdntk.cholesky(jnp.eye(3), jitter=-1.0), "jitter"),
        (lambda: kdntk.mlp(0), "depth"),
        (lambda: kdntk.mlp(2, activation="tanhh"), "activation"),
        (lambda: tasks.sign_flip(jax.random.key(0), tasks.zero_function(), p_flip=1.5), "p_flip"),
        (lambda: tasks.gaussian_mixture(jax.random.key(0), 0), "num_modes"),
        (lambda: tasks.random_logits(jax.random.key(0), scale=-1.0), "scale"),
        (lambda: kdntk.data_inefficiency(tasks.zero_function(), kdntk.mlp(2), [2], key=jax.random.key(0),
                                         soft_ratio=2.0), "soft_ratio"),
        (lambda: kdntk.data_inefficiency(tasks.zero_function(), kdntk.mlp(2), [2], key=jax.random.key(0),
                                         temperature=-1.0), "temperature"),
        (lambda: kdntk.data_inefficiency(tasks.zero_function(), kdntk.mlp(2), [0, 2], key=jax.random.key(0)),
         "sample_sizes"),
        (lambda: kdntk.data_inefficiency(tasks.zero_function(), kdntk.mlp(2), [2], key=jax.random.key(0),
                                         init="bogus"), "init"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_singular_kernel_from_duplicate_inputs_gives_kernel_error():
    x = np.random.default_rng(0).normal(size=(5, 2))
    x[3] = x[1]
    theta = kdntk.ntk(kdntk.mlp(3), x)
    for call in (lambda: kdntk.weight_norm_path(theta, np.ones(5)),
                 lambda: kdntk.predict(theta[:2], theta, np.ones(5)),
                 lambda: kdntk.theta_inner(theta, np.ones(5), np.ones(5))):
        with pytest.raises(kdntk.KernelError, match="theta is not numerically positive definite"):
            call()
    inputs = np.stack([x, x])
    with pytest.raises(kdntk.KernelError, match="duplicate inputs"):
        kdntk.data_inefficiency(tasks.gaussian_mixture(jax.random.key(0), 2), kdntk.mlp(3), [3],
                                key=jax.random.key(0), num_trials=2, inputs=inputs, init="zero")


def test_documented_special_values_instead_of_errors():
    # rho = 0 with hard labels: +-inf by label (no finite root), never NaN
    assert float(kdntk.effective_logits(3.0, 1.0, soft_ratio=0.0, temperature=2.0)) == np.inf
    assert float(kdntk.effective_logits(3.0, 0.0, soft_ratio=0.0, temperature=2.0)) == -np.inf
    # boundary values of the ranges are accepted
    assert float(kdntk.effective_logits(3.0, 0.0, soft_ratio=1.0, temperature=2.0)) == 3.0
    kdntk.distillation_loss(0.0, 0.0, 1.0, soft_ratio=0.0, temperature=1.0)
    kdntk.distillation_loss(0.0, 0.0, 1.0, soft_ratio=1.0, temperature=1e-3)
