"""Every notebook in notebooks/ executes top to bottom at small size (KDNTK_SMALL=1).

The default test runs the code cells in this process, each notebook in a fresh namespace: a
Jupyter kernel per notebook would re-import JAX, kdntk and matplotlib (about 8 s of CPU each on
the 2-core CI machine) and recompile what this worker already compiled. The notebooks use no
IPython magics (checked here), so the code that runs is the code a kernel would run. The same
notebooks in real Jupyter kernels: ``pytest -m slow tests/test_notebooks.py``.
"""

import os
import pathlib

import jax
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]


def _code_cells(path):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


@pytest.fixture
def small_env(tmp_path, monkeypatch):
    monkeypatch.setenv("KDNTK_SMALL", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_executes_at_small_size(path, small_env):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = _code_cells(path)
    magics = [line for src in cells for line in src.splitlines() if line.lstrip().startswith(("%", "!"))]
    assert not magics, f"IPython magics cannot run in-process: {magics}"
    namespace = {"__name__": "__main__"}
    try:
        # A user's kernel runs with JAX's default rank promotion, not the suite's "raise".
        with jax.numpy_rank_promotion("allow"):
            for i, src in enumerate(cells):
                exec(compile(src, f"{path.name}[cell {i}]", "exec"), namespace)
    finally:
        plt.close("all")
    assert os.environ["KDNTK_SMALL"] == "1"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_executes_in_a_jupyter_kernel(path, small_env):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(small_env)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
