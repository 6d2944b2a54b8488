"""Write benchmark rows as CSV, a Markdown report with ratios against the targets, and plots."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

COLUMNS = ["benchmark", "method", "N", "depth", "dtype", "median_s", "min_s", "max_s",
           "compile_s", "repeats", "rel_error", "abs_error", "extrapolated", "gflops",
           "loglog_slope", "trials", "rhs", "note"]


def write_csv(rows, path: Path) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: _fmt(r.get(k, "")) for k in COLUMNS})


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    return v


def _pick(rows, benchmark, method, n=None):
    for r in rows:
        if r["benchmark"] == benchmark and r["method"] == method and (n is None or r["N"] == n):
            return r
    return None


def _ratio(a, b):
    return a["median_s"] / b["median_s"] if a and b and b["median_s"] > 0 else math.nan


def summary(rows) -> list[str]:
    """Target lines: the ratios that issue 6 asks for, from the largest size measured."""
    out = []
    solve_ns = sorted({r["N"] for r in rows if r["benchmark"] == "solve"})
    for n in solve_ns:
        k = _pick(rows, "solve", "kdntk.weight_norm_path", n)
        out.append(f"- all-prefix norms, N = {n}: {_ratio(_pick(rows, 'solve', 'separate solves', n), k):.1f}x "
                   f"faster than N separate solves (target >= 100x at N = 4096); "
                   f"{_ratio(k, _pick(rows, 'solve', 'scipy.cholesky (floor)', n)):.2f}x the time of one "
                   "scipy Cholesky (target <= 1.5x).")
        ours, jax_, scipy_ = (_pick(rows, "solve", f"{m} (8 rhs)", n)
                              for m in ("kdntk solve_lower", "jax.scipy solve_triangular", "scipy solve_triangular"))
        out.append(f"- triangular solve, 8 right-hand sides, N = {n}: {_ratio(jax_, ours):.1f}x faster than "
                   f"jax.scipy's on the same factor; {_ratio(ours, scipy_):.2f}x the time of scipy's.")
    for r in rows:
        if r["benchmark"] == "effective" and r["method"].startswith("paper GD"):
            gd = r
            for m in ("jit(kdntk.effective_logits)", "kdntk.effective_logits"):
                k = _pick(rows, "effective", m)
                out.append(f"- {m} on {gd['N']:,} points: {_ratio(gd, k):.1f}x faster than the paper's GD "
                           f"(target >= 100x); max rel. error {k['rel_error']:.1e} vs GD's {gd['rel_error']:.1e}.")
            sp = _pick(rows, "effective", "scipy find_root")
            k = _pick(rows, "effective", "jit(kdntk.effective_logits)")
            out.append(f"- jit(kdntk.effective_logits) vs scipy find_root: {_ratio(sp, k):.1f}x "
                       f"(errors {k['rel_error']:.1e} / {sp['rel_error']:.1e}).")
    for gd in [r for r in rows if r["benchmark"] == "softmax" and r["method"].startswith("GD")]:
        same = [r for r in rows if r["benchmark"] == "softmax" and r["note"] == gd["note"].split(";")[0]]
        for k in same:
            out.append(f"- {k['method']} on {k['N']:,} samples ({k['note']}): {_ratio(gd, k):.1f}x faster than "
                       f"GD with the best fixed step to 1e-9 (target >= 30x); max rel. error {k['rel_error']:.1e} "
                       f"vs GD's {gd['rel_error']:.1e}.")
    for n in sorted({r["N"] for r in rows if r["benchmark"] == "conv"}):
        out.append(f"- kdntk.ntk of a small CNN on {n} 8x8 digits: "
                   f"{_ratio(_pick(rows, 'conv', 'kdntk.ntk', n), _pick(rows, 'conv', 'nt.kernel_fn', n)):.2f}x "
                   "the time of neural-tangents' whole-matrix kernel_fn.")
    one_class = _pick(rows, "classes", "1 class")
    if one_class:
        many = next(r for r in rows if r["benchmark"] == "classes" and r is not one_class)
        out.append(f"- data_inefficiency at N = {one_class['N']}: {many['method']} cost {_ratio(many, one_class):.2f}x "
                   f"one class (target <= 1.3x at N = 2048); norms {many['rel_error']:.1e} from scipy.")
    one = _pick(rows, "rhs", "1 rho")
    if one:
        out.append(f"- data_inefficiency at N = {one['N']}, {one['trials']} trials: 8 rho x 4 epochs (32 rhs) cost "
                   f"{_ratio(_pick(rows, 'rhs', '8 rho x 4 epochs (32 rhs)'), one):.2f}x one rho (target <= 1.3x); "
                   f"a loop over 8 rho costs {_ratio(_pick(rows, 'rhs', 'loop over 8 rho'), one):.2f}x.")
    pipe = [r for r in rows if r["benchmark"] == "pipeline"]
    if pipe:
        out.append(f"- data_inefficiency time ~ N^{pipe[0]['loglog_slope']:.2f} over N = "
                   f"{pipe[0]['N']}..{pipe[-1]['N']} (log-log slope).")
    sweeps = [r for r in rows if r["benchmark"] == "parts" and r["method"] == "sweep"]
    if sweeps:
        ratios = "; ".join(f"N = {r['N']} ({r['trials']} trials) {r['note'].split('x')[0]}x" for r in sweeps)
        out.append(f"- data_inefficiency against the sum of its parts alone (target <= 1.15x): {ratios}.")
    val_ns = sorted({r["N"] for r in rows if r["benchmark"] == "validation"})
    if val_ns:
        n = val_ns[-1]
        parts = [f"{r['method'].split(' (')[0]} {r['note'].split(' ', 1)[1]}" for r in rows
                 if r["benchmark"] == "validation" and r["N"] == n and r["method"].endswith("(checked)")]
        out.append(f"- input validation, N = {n}, checked minus unchecked program: " + "; ".join(parts) + ".")
    return out


def write_markdown(rows, env, path: Path, *, quick: bool) -> None:
    lines = ["# kdntk benchmark results", ""]
    lines += [f"- {k}: {v}" for k, v in env.items()]
    lines += [f"- mode: {'--quick' if quick else 'full'}", "",
              "Times are medians over repeats after a warm-up call (compile_s = first call minus "
              "median); spread = [min, max]. Rows marked extrapolated were timed on a subset "
              "(see note) and scaled linearly.", "", "## Summary", ""]
    lines += summary(rows) + [""]
    for bench in dict.fromkeys(r["benchmark"] for r in rows):
        sub = [r for r in rows if r["benchmark"] == bench]
        cols = [c for c in COLUMNS if any(r.get(c) not in (None, "", False) for r in sub)]
        lines += [f"## {bench}", "", "| " + " | ".join(cols) + " |",
                  "|" + "---|" * len(cols)]
        for r in sub:
            lines.append("| " + " | ".join(str(_fmt(r.get(c, ""))) for c in cols) + " |")
        lines.append("")
    path.write_text("\n".join(lines))


def plot(rows, folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for bench, ylabel in (("kernel", "time (s)"), ("solve", "time (s)"), ("pipeline", "time (s)"),
                          ("precision", "time (s)")):
        sub = [r for r in rows if r["benchmark"] == bench]
        if not sub:
            continue
        fig, ax = plt.subplots(figsize=(5, 3.5))
        keys = dict.fromkeys((r["method"], r.get("depth")) for r in sub)
        for method, depth in keys:
            pts = sorted((r["N"], r["median_s"], r["min_s"], r["max_s"]) for r in sub
                         if r["method"] == method and r.get("depth") == depth)
            n, med, lo, hi = map(np.asarray, zip(*pts))
            label = method if depth is None else f"{method}, depth {depth}"
            ax.errorbar(n, med, yerr=[med - lo, hi - med], marker="o", label=label, capsize=2)
        ax.set(xscale="log", yscale="log", xlabel="N", ylabel=ylabel, title=bench)
        ax.legend(fontsize=7)
        fig.tight_layout()
        p = folder / f"{bench}.png"
        fig.savefig(p, dpi=120)
        plt.close(fig)
        written.append(p)
    sub = [r for r in rows if r["benchmark"] == "effective"]
    if sub:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.barh([r["method"] for r in sub], [r["median_s"] for r in sub])
        ax.set(xscale="log", xlabel="time (s)", title=f"effective logits, {sub[0]['N']:,} points")
        fig.tight_layout()
        p = folder / "effective.png"
        fig.savefig(p, dpi=120)
        plt.close(fig)
        written.append(p)
    return written
