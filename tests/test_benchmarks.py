"""The benchmark suite's code paths at tiny sizes, so that they cannot rot (no timing asserts).

Each benchmark checks its own answer against its baseline before timing (kernel vs
neural-tangents' kernel_fn, all-prefix norms vs separate scipy solves, effective logits vs a
float64 bisection, softmax effective logits vs a float64 damped Newton method, batched soft
ratios vs a loop of single calls) and raises if they disagree;
here we also assert those recorded errors.
"""

import csv
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import run as bench_run  # noqa: E402


TINY = ["--quick", "--sizes", "12", "--points", "300", "--trials", "2", "--repeats", "1",
        "--gd-steps", "3", "--num-check", "300", "--num-prefix", "4", "--softmax-points", "300",
        "--conv-sizes", "6", "--classes-n", "12"]


def _main(out, *extra):
    bench_run.main([*TINY, "--out", str(out), *extra])
    with open(out / "results.csv") as f:
        return out, list(csv.DictReader(f))


def test_benchmark_suite_writes_table_and_plots_and_its_answers_match_the_baselines(tmp_path):
    """One test, so that the suite runs once (a module fixture would run once per xdist worker).
    The 32-right-hand-side comparison compiles two more pipeline programs: it has its own slow test."""
    out, rows = _main(tmp_path, "--rhs-n", "0")
    for name in ("results.csv", "results.md", "environment.json", "kernel.png", "solve.png",
                 "pipeline.png", "precision.png", "effective.png"):
        assert (out / name).stat().st_size > 0, name
    assert {r["benchmark"] for r in rows} == {"kernel", "conv", "solve", "effective", "softmax", "classes",
                                              "pipeline", "parts", "precision", "validation"}
    assert "## Summary" in (out / "results.md").read_text()
    for r in rows:
        if r["benchmark"] in ("kernel", "conv"):
            assert float(r["rel_error"]) < 1e-6, r
        if r["benchmark"] in ("solve", "effective", "softmax", "classes"):
            assert float(r["rel_error"]) < 1e-9, r
        if r["benchmark"] == "precision" and r["method"] == "float32":
            assert float(r["rel_error"]) < 1e-2, r
        if r["benchmark"] == "precision" and r["method"] == "mixed":
            assert float(r["rel_error"]) < 1e-10, r
        if r["benchmark"] == "validation":   # the checks change no number
            assert float(r["rel_error"]) == 0, r


def test_benchmark_cli_rejects_unknown_benchmark(tmp_path):
    with pytest.raises(SystemExit):
        bench_run.main(["--out", str(tmp_path), "--only", "nonsense"])


@pytest.mark.slow
def test_benchmark_rhs_batched_soft_ratios_match_loop(tmp_path):
    _, rows = _main(tmp_path, "--only", "pipeline")
    rhs = [r for r in rows if r["benchmark"] == "rhs"]
    assert len(rhs) == 3
    assert all(float(r["abs_error"]) < 1e-9 for r in rhs)
