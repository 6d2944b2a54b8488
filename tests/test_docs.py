"""The documentation builds in strict mode, every public name has an API page, and the
docstring examples run (doctest) — documentation that nothing checks rots."""

import doctest
import importlib
import pathlib
import pkgutil
import subprocess
import sys

import jax
import pytest

import kdntk

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_mkdocs_strict_build_succeeds(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _modules():
    names = ["kdntk"]
    for info in pkgutil.walk_packages(kdntk.__path__, "kdntk."):
        if info.name != "kdntk.demo" and "._neural_tangents" not in info.name:
            names.append(info.name)
    return names


def test_every_public_name_is_on_an_api_page():
    pages = "\n".join(p.read_text() for p in (ROOT / "docs" / "api").glob("*.md"))
    documented_modules = {line.split(":::", 1)[1].strip() for line in pages.splitlines() if ":::" in line}
    missing = []
    for name in kdntk.__all__:
        obj = getattr(kdntk, name)
        module = getattr(obj, "__module__", None) or getattr(obj, "__name__", "")
        if module not in documented_modules and f"kdntk.{name}" not in documented_modules:
            missing.append(f"{name} ({module})")
    assert not missing, f"public names without an API page (docs/api/*.md ':::' entry): {missing}"


@pytest.mark.parametrize("module_name", _modules())
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    with jax.enable_x64(False):
        result = doctest.testmod(module, optionflags=flags, verbose=False, raise_on_error=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {module_name}"
