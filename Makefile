# Two commands for a fresh machine (see README.md): `make demo` and `make test`.
# Each creates or reuses the project's virtual environment (.venv) from uv.lock; if `uv` is not
# on PATH it is bootstrapped into .tools/ from PyPI with the system python3.
SHELL := /bin/bash
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
RUN := $(UV) run --locked

.PHONY: demo test bench docs
demo: $(UV)
	$(RUN) python -m kdntk.demo --out demo-output

# PYTHONDONTWRITEBYTECODE emptied: Python then caches the bytecode of what it imports, so the
# suite's processes after the first (xdist workers, the multi-process and multi-device
# subprocesses) do not each recompile jax's and kdntk's sources (3-4 s per process on 2 cores)
# where the environment sets it.
test: $(UV)
	PYTHONDONTWRITEBYTECODE= $(RUN) python -m pytest -n 2 --dist worksteal

bench: $(UV)
	$(RUN) python benchmarks/run.py --quick --out benchmark-results

# The notebooks are executed at small size while the site is built, so their pages show their
# outputs (a few minutes on 2 CPU cores); a plain `mkdocs build` renders them as stored.
docs: $(UV)
	KDNTK_SMALL=1 KDNTK_DOCS_EXECUTE=true $(RUN) mkdocs build --strict --site-dir site

$(CURDIR)/.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/python -m pip install --quiet uv
