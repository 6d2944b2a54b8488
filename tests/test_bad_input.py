"""Bad input through every public function (docs/errors.md): each case raises a ValueError or
TypeError (or kdntk.KernelError / NumericalError) whose message names the argument, or returns
the documented special value; no internal JAX message reaches the user.

The cases are generated from the table of minimal valid calls in tests/_api_table.py (NaN, inf,
0 rows, 0 features, wrong shapes for every array argument, plus each entry's out-of-range
hyperparameters). Oracle: the error contract itself, and the valid call for the cases that must
work. The sweeps' cases are in test_bad_input_sweeps.py, keys, callables, jit and vmap in
test_bad_input_transforms.py.
"""

import inspect
import types

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import kdntk  # noqa: E402
import kdntk.plotting  # noqa: E402
from _api_table import CALLS, ENTRIES, FIGURES, NO_USER_INPUT, RESULT_TYPES  # noqa: E402
from _bad_input import SWEEPS, assert_clear_error, cases, has_nan, per_entry  # noqa: E402

NAMESPACES = (kdntk, kdntk.ji_zhu, kdntk.phuong_lampert, kdntk.nagarajan, kdntk.tasks, kdntk.teachers,
              kdntk.plotting)


def test_every_public_name_has_an_entry_or_takes_no_user_input():
    public = {f"{ns.__name__}.{n}" for ns in NAMESPACES for n in ns.__all__}
    covered = {e.name for e in ENTRIES + FIGURES} | NO_USER_INPUT | RESULT_TYPES
    missing = sorted(public - covered)
    assert not missing, (f"public names without a bad-input entry: {missing}. Add a minimal valid call "
                         "and its bad cases to tests/_api_table.py (ENTRIES, or FIGURES for kdntk.plotting), "
                         "or list the name in NO_USER_INPUT / RESULT_TYPES there.")
    stale = sorted(covered - public)
    assert not stale, f"entries for names that are not public: {stale}"
    for e in ENTRIES + CALLS + FIGURES:
        assert callable(e.fn), e.name
        params = inspect.signature(e.fn).parameters
        assert set(e.kwargs) <= set(params), (e.name, set(e.kwargs) - set(params))
        for arg in e.arrays + e.keys + tuple(e.callables):
            assert arg in e.kwargs, (e.name, arg)


@pytest.mark.parametrize("entry", per_entry([e for e in ENTRIES + CALLS if e.name not in SWEEPS and not e.traceable]))
def test_minimal_call_is_valid(entry):
    """The table's valid calls work (so the bad cases fail for their own reason); the traceable
    entries' valid calls are the oracle of test_jit_of_vmap_gives_the_eager_numbers."""
    out = entry.call()
    assert out is not None or entry.name.endswith("Config")
    if not isinstance(out, (kdntk.Network, types.FunctionType)):
        assert not has_nan(out), entry.name


@pytest.mark.parametrize("entry", per_entry(FIGURES))
def test_minimal_figure_is_drawn(entry):
    plt.close(entry.call())


@pytest.mark.parametrize("entry,case,overrides,arg", cases(FIGURES, sweeps=False))
def test_bad_figure_input_raises_a_clear_error(entry, case, overrides, arg):
    assert_clear_error(lambda: plt.close(entry.call(**overrides)), arg)


@pytest.mark.parametrize("entry,case,overrides,arg", cases(ENTRIES + CALLS, sweeps=False))
def test_bad_input_raises_a_clear_error(entry, case, overrides, arg):
    expect = entry.expect.get(case)
    if expect == "valid":
        entry.call(**overrides)
    elif expect == "nan":
        assert has_nan(entry.call(**overrides))
    else:
        assert_clear_error(lambda: entry.call(**overrides), arg)
