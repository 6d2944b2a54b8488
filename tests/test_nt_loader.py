"""The private neural-tangents loader (kdntk._nt): it works on the locked JAX without TensorFlow
and leaves the name ``neural_tangents`` in sys.modules alone. Checked in fresh interpreters."""

import json
import pathlib
import subprocess
import sys
import tomllib

import jax
import pytest

import kdntk
from kdntk._src import nt_loader as _nt

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _locked_version(name: str) -> str:
    """The version of ``name`` that uv.lock resolves for the running Python: the lock may hold
    several entries of one package (jax 0.10.2 on Python 3.11, 0.12 on >= 3.12), each with the
    ``resolution-markers`` it applies to."""
    from packaging.markers import Marker

    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    entries = [p for p in lock["package"] if p["name"] == name]
    markers = [p.get("resolution-markers") for p in entries]
    matching = [p["version"] for p, m in zip(entries, markers)
                if not m or any(Marker(v).evaluate() for v in m)]
    assert len(matching) == 1, f"uv.lock holds {name} {[p['version'] for p in entries]}; {matching} match"
    return matching[0]


def test_loader_runs_on_the_jax_version_locked_in_uv_lock():
    assert jax.__version__ == _locked_version("jax")
    assert _nt.version == _locked_version("neural-tangents") == "0.6.5"
    assert callable(_nt.stax.Dense) and callable(_nt.stax.serial) and callable(_nt.stax.Relu)


def test_kernel_call_never_imports_tensorflow_nor_registers_neural_tangents():
    res = _run(
        "import sys, json, jax.numpy as jnp, kdntk\n"
        "k = kdntk.ntk(kdntk.mlp(2), jnp.ones((3, 2)))\n"
        "k.block_until_ready()\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('tensorflow', 'tf2jax')))\n"
        "nt = sorted(m for m in sys.modules if m == 'neural_tangents' or m.startswith('neural_tangents.'))\n"
        "print(json.dumps({'bad': bad, 'nt': nt, 'shape': list(k.shape)}))\n"
    )
    assert res == {"bad": [], "nt": [], "shape": [3, 3]}


@pytest.mark.slow  # two fresh interpreters that try the heavy neural_tangents import (~20 s)
def test_user_import_of_neural_tangents_behaves_as_without_kdntk():
    probe = (
        "try:\n"
        "    import neural_tangents\n"
        "    outcome = 'ok'\n"
        "except BaseException as e:\n"
        "    outcome = type(e).__name__\n"
    )
    alone = _run("import json, sys\n" + probe + "print(json.dumps({'o': outcome}))\n")
    after = _run("import json, sys, kdntk\n" + probe + "print(json.dumps({'o': outcome}))\n")
    assert alone == after


def test_loader_alias_is_private():
    assert _nt.__name__ == "kdntk._src.nt_loader"
    assert "kdntk._neural_tangents" in sys.modules
    assert "neural_tangents" not in sys.modules or sys.modules["neural_tangents"] is not sys.modules[
        "kdntk._neural_tangents"]
    assert kdntk.mlp(1).kernel_fn is not None
