"""The documentation builds in strict mode, every public name is rendered on an API page, and the
docstring examples run (doctest) — documentation that nothing checks rots."""

import doctest
import importlib
import pathlib
import pkgutil
import re
import subprocess
import sys
import types
import zlib

import jax
import pytest

import kdntk

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One strict build of the site (notebooks rendered as stored, not executed)."""
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    return proc, out


def test_mkdocs_strict_build_succeeds(site):
    proc, _ = site
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _public_namespaces():
    """kdntk and every subpackage or module of it whose dotted name has no private part."""
    names = ["kdntk"]
    for info in pkgutil.walk_packages(kdntk.__path__, "kdntk."):
        if info.name != "kdntk.demo" and not any(p.startswith("_") for p in info.name.split(".")):
            names.append(info.name)
    return names


def _rendered_objects(site_dir):
    """The identifiers mkdocstrings rendered (primary entries of the site's objects.inv)."""
    data = (site_dir / "objects.inv").read_bytes()
    body = zlib.decompress(data.split(b"\n", 4)[4]).decode()
    return {m.group(1) for m in re.finditer(r"^(\S+) py:\w+ 1 ", body, re.M)}


def test_every_public_name_is_on_an_api_page(site):
    proc, site_dir = site
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rendered = _rendered_objects(site_dir)
    stax_page = (ROOT / "docs" / "api" / "stax.md").read_text()
    missing = []
    for ns in _public_namespaces():
        module = importlib.import_module(ns)
        if ns not in rendered:
            missing.append(ns)
        for name in module.__all__:
            if isinstance(getattr(module, name), types.ModuleType):
                continue                      # a namespace: checked as itself
            if ns == "kdntk.stax":            # built at import: listed in prose on its page
                if f"`{name}`" not in stax_page:
                    missing.append(f"{ns}.{name} (docs/api/stax.md)")
            elif f"{ns}.{name}" not in rendered:
                missing.append(f"{ns}.{name}")
    assert not missing, f"public names not rendered on any API page (docs/api/*.md): {missing}"


def test_no_private_module_in_the_navigation():
    nav = (ROOT / "mkdocs.yml").read_text().split("\nnav:", 1)[1].split("\nplugins:", 1)[0]
    pages = "\n".join(p.read_text() for p in (ROOT / "docs" / "api").glob("*.md"))
    private = re.findall(r"kdntk(?:\.\w+)*\._\w+", nav + pages)
    assert not private, f"private modules in the API pages or navigation: {sorted(set(private))}"


SPHINX_ROLE = re.compile(r":(?:py:)?(?:func|class|mod|data|meth|attr|obj|exc):`[^`]+`")
PAPER_NUMBER = re.compile(r"(?:\(|\b)00[0-3](?:,? (?:Eq|Sec|App|Fig|Figs|Thm|Cor|Def|Lemma|S\d)\b)")


def test_docs_use_autorefs_and_cite_papers_by_authors():
    """mkdocs renders Sphinx roles raw; internal paper numbers mean nothing to a reader."""
    files = sorted((ROOT / "kdntk").rglob("*.py")) + sorted((ROOT / "docs").glob("*.md"))
    bad = []
    for path in files:
        for i, line in enumerate(path.read_text().splitlines(), 1):
            if SPHINX_ROLE.search(line) or PAPER_NUMBER.search(line):
                bad.append(f"{path.relative_to(ROOT)}:{i}: {line.strip()}")
    assert not bad, ("write cross-references as [`kdntk.ntk`][kdntk.ntk] (public path; private "
                     "objects as plain ``code``) and cite papers as 'Ji & Zhu (2020), Eq. 3', "
                     "'Phuong & Lampert (2019)', 'Nagarajan et al. (2023)':\n" + "\n".join(bad))


def _modules():
    names = ["kdntk"]
    for info in pkgutil.walk_packages(kdntk.__path__, "kdntk."):
        if info.name != "kdntk.demo" and "._neural_tangents" not in info.name:
            names.append(info.name)
    return names

QUICKSTART = """
import re, sys, warnings
warnings.simplefilter("error")   # a warning (e.g. a float32 precision report) is a failure
for page in sys.argv[1:]:
    code = re.search(r"```python\\n(.*?)```", open(page).read(), re.S).group(1)
    exec(compile(code, page, "exec"), {"__name__": "__main__"})
"""


def test_quickstart_code_runs_silently_in_a_fresh_process(tmp_path):
    """The usage block a reader copies first (README, the site's index) runs as written in a
    fresh interpreter (JAX's defaults: float32 until the block enables x64) and warns nothing."""
    pages = [str(ROOT / "README.md"), str(ROOT / "docs" / "index.md")]
    proc = subprocess.run([sys.executable, "-c", QUICKSTART, *pages], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "inefficiency.csv").stat().st_size > 0


@pytest.mark.parametrize("module_name", _modules())
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    with jax.enable_x64(False):
        result = doctest.testmod(module, optionflags=flags, verbose=False, raise_on_error=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {module_name}"
