"""Multi-host for real: a sweep sharded over 2 processes x 2 CPU devices with JAX's own
multi-controller runtime (jax.distributed, gloo collectives, a loopback coordinator) gives the
same numbers as one process on one device.

Each process runs the same script: it joins the cluster, calls the sweeps with the default
devices (every device of every process), and process 0 prints the results. The reference run
is a third process with one device.
"""

import json
import socket
import subprocess
import sys
import textwrap

import numpy as np
from _cpu_devices import cpu_devices_env

WORKER = textwrap.dedent("""
    import json, sys
    import jax
    jax.config.update("jax_enable_x64", True)
    process_id, port = int(sys.argv[1]), sys.argv[2]
    if process_id >= 0:
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.distributed.initialize(coordinator_address=f"127.0.0.1:{port}", num_processes=2,
                                   process_id=process_id)
        assert jax.process_count() == 2 and len(jax.devices()) == 4, jax.devices()
    import kdntk
    task = kdntk.tasks.gaussian_mixture(jax.random.key(0), num_modes=2)
    net = kdntk.mlp(2)
    devices = None if process_id >= 0 else jax.devices()[:1]
    ineff = kdntk.data_inefficiency(task, net, [3, 7], key=jax.random.PRNGKey(1), num_trials=6,
                                    soft_ratio=[0.5, 1.0], temperature=2.0, init="prior",
                                    trial_batch=4, devices=devices)
    risk = kdntk.transfer_risk_curve(task, net, [3, 7], key=jax.random.key(2), num_trials=5,
                                     num_test=30, soft_ratio=0.5, devices=devices)
    if process_id <= 0:
        print(json.dumps({"norms": ineff.norms.tolist(), "I": ineff.inefficiency.tolist(),
                          "risk": risk.trial_risk.tolist(), "devices": len(jax.devices())}))
""")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _result(proc) -> dict | None:
    """The JSON line a worker printed (None for process 1, which prints none), after it exits."""
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    lines = [line for line in out.splitlines() if line.startswith("{")]   # not gloo's log lines
    return json.loads(lines[-1]) if lines else None


def test_sweeps_sharded_over_two_processes_match_one_process_on_one_device():
    port = str(_free_port())
    cluster = [subprocess.Popen([sys.executable, "-c", WORKER, str(i), port], env=cpu_devices_env(2),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for i in (0, 1)]
    single = subprocess.Popen([sys.executable, "-c", WORKER, "-1", port], env=cpu_devices_env(1),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        sharded, second = _result(cluster[0]), _result(cluster[1])
        one = _result(single)
    finally:
        for p in (*cluster, single):
            p.kill()
    assert second is None and sharded["devices"] == 4 and one["devices"] == 1
    # 6 and 5 trials: batches padded to a multiple of 4 devices, padding dropped.
    assert np.shape(sharded["norms"]) == (1, 2, 6, 2) and np.shape(sharded["risk"]) == (1, 1, 5, 2)
    np.testing.assert_allclose(sharded["norms"], one["norms"], rtol=1e-12, atol=0)
    np.testing.assert_allclose(sharded["I"], one["I"], rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(sharded["risk"], one["risk"])
