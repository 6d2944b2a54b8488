"""Sharding the trial axis over devices: the sharded result equals the one-device result.

The multi-device checks run in a subprocess started with
XLA_FLAGS=--xla_force_host_platform_device_count=4, which must be set before JAX initializes.
"""

import json
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kdntk._src.sharding import map_trials, pad_trials, trial_mesh
from _cpu_devices import cpu_devices_env

SCRIPT = textwrap.dedent("""
    import json, sys, jax, numpy as np
    jax.config.update("jax_enable_x64", True)
    import kdntk
    from kdntk._src.sharding import trial_mesh
    assert jax.local_device_count() == 4, jax.local_devices()
    task = kdntk.tasks.gaussian_mixture(jax.random.key(0), num_modes=2)
    kw = dict(key=jax.random.key(1), num_trials=6, soft_ratio=[0.3, 0.9], trial_batch=3, init="prior")
    devices = {"one": jax.devices()[:1], "four": None,  # None: all 4 local devices
               "two": trial_mesh(jax.devices()[:2])}
    out = {}
    for name in sys.argv[1:]:
        res = kdntk.data_inefficiency(task, kdntk.mlp(2), [3, 9], devices=devices[name], **kw)
        out[name] = [np.asarray(res.norms).tolist(), np.asarray(res.inefficiency).tolist()]
    print(json.dumps(out))
""")


def _run_on_4_devices(*names):
    """{name: (norms, inefficiency)} of the runs named, in one subprocess with 4 CPU devices."""
    proc = subprocess.run([sys.executable, "-c", SCRIPT, *names], capture_output=True, text=True,
                          env=cpu_devices_env(4), timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {k: tuple(map(np.asarray, v)) for k, v in json.loads(proc.stdout.strip().splitlines()[-1]).items()}


@pytest.fixture(scope="module")
def sharded_run():
    # Every extra device layout compiles its own sharded programs (~8 s CPU each): the 2-device
    # mesh runs in the slow test below.
    return _run_on_4_devices("one", "four")


@pytest.mark.slow   # the default suite shards these sweeps over 2 processes x 2 devices (test_multihost.py)
def test_data_inefficiency_sharded_over_4_devices_matches_one_device(sharded_run):
    (one, one_ineff), (four, four_ineff) = sharded_run["one"], sharded_run["four"]
    assert one.shape == (1, 2, 6, 2)   # (teacher, soft ratio, trial, n)
    np.testing.assert_allclose(four, one, rtol=1e-12, atol=0)
    np.testing.assert_allclose(four_ineff, one_ineff, rtol=1e-10, atol=1e-12)


@pytest.mark.slow
def test_data_inefficiency_on_2_device_mesh_matches_one_device():
    runs = _run_on_4_devices("one", "two")
    np.testing.assert_allclose(runs["two"][0], runs["one"][0], rtol=1e-12, atol=0)


def test_trial_mesh_returns_a_given_mesh_as_it_is():
    mesh = trial_mesh()
    assert trial_mesh(mesh) is mesh


def test_map_trials_matches_lax_map_oracle():
    mesh = trial_mesh()
    x = jnp.arange(12.0).reshape(6, 2)
    (xp, k) = pad_trials(x, 4)
    assert xp.shape == (8, 2) and k == 6
    np.testing.assert_array_equal(xp[6:], jnp.stack([x[-1], x[-1]]))
    got = jax.jit(lambda a: map_trials(lambda s: jax.lax.map(jnp.sum, s), mesh, a))(x)
    np.testing.assert_array_equal(got, jax.lax.map(jnp.sum, x))


def test_trial_mesh_rejects_bad_devices():
    with pytest.raises(ValueError, match="devices"):
        trial_mesh([])
    with pytest.raises(ValueError, match="devices"):
        trial_mesh(["cpu"])
