"""Run the kdntk benchmark suite and write results.csv, results.md and plots into --out.

    uv run python benchmarks/run.py --quick --out benchmark-results     # < 5 min on 2 CPU cores
    uv run python benchmarks/run.py --out benchmark-results              # full suite

Sizes and repeats are options (see --help). The same command runs on a GPU or TPU: JAX picks the
accelerator, and the report records the device.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

BENCHMARKS = ("kernel", "conv", "solve", "effective", "softmax", "classes", "pipeline", "parts", "precision",
              "validation")

FULL = dict(kernel_sizes=[512, 1024, 2048, 4096], solve_sizes=[1024, 2048, 4096],
            points=1_000_000, gd_steps=20, pipeline_sizes=[256, 512, 1024, 2048],
            rhs_n=2048, precision_sizes=[256, 1024, 2048, 4096], trials=20, repeats=3,
            softmax_points=100_000, softmax_scales=[1.0, 2.0], conv_sizes=[1024, 2048], classes_n=2048,
            parts_sizes=[256, 512, 1024, 2048, 4096, 8192])
# --quick: about 3 min on the loaded 2-core CPU with trials=4 and rhs_n=256, 95 s of it the
# pipeline (5 compiled programs and the loop over 8 soft ratios); 2 trials and the right-hand-side
# comparison at N = 128 keep every benchmark and cut that part by about half.
QUICK = dict(kernel_sizes=[128, 256, 512], solve_sizes=[256, 512, 1024],
             points=100_000, gd_steps=20, pipeline_sizes=[64, 128, 256],
             rhs_n=128, precision_sizes=[128, 256, 512], trials=2, repeats=2,
             softmax_points=100_000, softmax_scales=[1.0], conv_sizes=[128, 256], classes_n=256,
             parts_sizes=[128, 256, 512])


def _ints(text):
    return [int(v) for v in text.split(",") if v]


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, type=Path, help="folder for results.csv, results.md, *.png")
    p.add_argument("--quick", action="store_true", help="small sizes: under 5 minutes on 2 CPU cores")
    p.add_argument("--only", default=",".join(BENCHMARKS), help=f"comma list of {BENCHMARKS}")
    p.add_argument("--sizes", type=_ints, help="N for kernel, solve, precision and pipeline (overrides)")
    p.add_argument("--kernel-sizes", type=_ints)
    p.add_argument("--solve-sizes", type=_ints)
    p.add_argument("--precision-sizes", type=_ints)
    p.add_argument("--pipeline-sizes", type=_ints)
    p.add_argument("--parts-sizes", type=_ints, help="N of the sweep-against-its-parts benchmark")
    p.add_argument("--conv-sizes", type=_ints, help="N of the CNN kernel benchmark (8 x 8 digits)")
    p.add_argument("--classes-n", type=int, help="N of the 10-classes vs 1-class comparison")
    p.add_argument("--rhs-n", type=int, help="N of the 32-right-hand-side comparison (0: skip it)")
    p.add_argument("--points", type=int, help="points for the effective-logits benchmark")
    p.add_argument("--gd-steps", type=int, help="GD steps actually timed (extrapolated to 10^4)")
    p.add_argument("--softmax-points", type=int, help="samples (x 10 classes) for the softmax benchmark")
    p.add_argument("--softmax-scales", type=lambda t: [float(v) for v in t.split(",") if v],
                   help="teacher-logit scales s of the softmax benchmark, z_t ~ N(0, s^2)")
    p.add_argument("--num-check", type=int, default=10_000, help="subsample for the accuracy check")
    p.add_argument("--num-prefix", type=int, default=16, help="prefixes timed for separate solves")
    p.add_argument("--trials", type=int, help="data_inefficiency trials")
    p.add_argument("--rhs-trials", type=int,
                   help="trials of the right-hand-side comparison (default: --trials); its loop "
                        "baseline costs 8 pipelines, so fewer trials keep it affordable at N = 2048")
    p.add_argument("--repeats", type=int, help="timed repeats per measurement")
    args = p.parse_args(argv)
    conf = dict(QUICK if args.quick else FULL, rhs_trials=None)
    for k in list(conf):
        if getattr(args, k, None) is not None:
            conf[k] = getattr(args, k)
    if args.sizes:
        for k in ("kernel_sizes", "solve_sizes", "precision_sizes", "pipeline_sizes", "parts_sizes"):
            if getattr(args, k) is None:
                conf[k] = args.sizes
        if args.rhs_n is None and conf["rhs_n"] != 0:
            conf["rhs_n"] = max(args.sizes)
    only = [b.strip() for b in args.only.split(",") if b.strip()]
    bad = sorted(set(only) - set(BENCHMARKS))
    if bad:
        p.error(f"--only: unknown benchmarks {bad}; choose from {BENCHMARKS}")
    return args, conf, only


def run(conf, only, log=print, save=None) -> list[dict]:
    import bench_classes
    import bench_effective
    import bench_kernels
    import bench_parts
    import bench_pipeline
    import bench_precision
    import bench_softmax
    import bench_solve
    import bench_validation

    jobs = {
        "kernel": lambda: bench_kernels.run(conf["kernel_sizes"], repeats=conf["repeats"]),
        "conv": lambda: bench_kernels.run_conv(conf["conv_sizes"], repeats=conf["repeats"]),
        "classes": lambda: bench_classes.run([conf["classes_n"]], num_trials=min(conf["trials"], 4),
                                             repeats=conf["repeats"]),
        "solve": lambda: bench_solve.run(conf["solve_sizes"], repeats=conf["repeats"],
                                         num_prefix=conf["num_prefix"]),
        "effective": lambda: bench_effective.run(conf["points"], repeats=conf["repeats"],
                                                 gd_timed_steps=conf["gd_steps"],
                                                 num_check=conf["num_check"]),
        "softmax": lambda: bench_softmax.run(conf["softmax_points"], scales=conf["softmax_scales"],
                                             repeats=conf["repeats"], gd_timed_steps=conf["gd_steps"],
                                             num_check=min(conf["num_check"], 2_000),
                                             num_search=min(conf["num_check"], 2_000)),
        "pipeline": lambda: bench_pipeline.run(conf["pipeline_sizes"], num_trials=conf["trials"],
                                               repeats=conf["repeats"], rhs_n=conf["rhs_n"],
                                               rhs_trials=conf.get("rhs_trials")),
        # 4 trials (2 from N = 4096 on: a trial there takes seconds), as --trials allows
        "parts": lambda: bench_parts.run(conf["parts_sizes"], num_trials=min(conf["trials"], 4),
                                         repeats=conf["repeats"], trials_at={4096: 2, 8192: 2}),
        "precision": lambda: bench_precision.run(conf["precision_sizes"], repeats=conf["repeats"]),
        # the solves' own sizes: the checks' cost against the programs they guard
        "validation": lambda: bench_validation.run(conf["solve_sizes"], repeats=conf["repeats"]),
    }
    rows = []
    for name in only:
        t0 = time.perf_counter()
        new = jobs[name]()
        for r in new:
            if r["method"] in ("kdntk.weight_norm_path", "scipy.cholesky (floor)", "float32", "float64"):
                r["gflops"] = r["N"] ** 3 / 3 / r["median_s"] / 1e9  # factorization rate
        rows += new
        log(f"{name}: {len(new)} rows in {time.perf_counter() - t0:.1f} s")
        if save is not None:
            save(rows)  # partial results survive an interrupted run
    return rows


def main(argv=None) -> Path:
    args, conf, only = parse(argv)
    conf["num_check"], conf["num_prefix"] = args.num_check, args.num_prefix
    import jax

    jax.config.update("jax_enable_x64", True)
    from _timing import environment
    from report import plot, summary, write_csv, write_markdown

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    env = environment()
    print(json.dumps(env))
    def save(rows):
        write_csv(rows, out / "results.csv")
        write_markdown(rows, env, out / "results.md", quick=args.quick)

    rows = run(conf, only, save=save)
    (out / "environment.json").write_text(json.dumps({**env, "config": conf}, indent=1))
    plot(rows, out)
    print("\n".join(summary(rows)))
    print(f"wrote {out}/results.csv, results.md, environment.json and plots")
    return out


if __name__ == "__main__":
    main()
