"""The data-inefficiency demo: Figs. 3 and 4 (right) of Ji & Zhu at the paper's embedded default.

Run ``python -m kdntk.demo --out demo-output`` (``make demo``). Inputs x ~ N(0, 5^2 I) in d = 2;
student = infinite-width NTK-parameterized ReLU MLP with 3 hidden layers, sigma_W = sigma_b = 1
(Ji & Zhu 2020, Eq. 1 and supplement S4). For each task it prints I(n) at several n by two
estimators, the windowed slope of ln E||dw_j|| over j in [n / w, (n + 1) w], w = sqrt 2 by
default (``--window``; ``DataInefficiency.slope``, drawn as lines with error bands) and
Definition 1's one-step difference (Eq. 10, faint points), and the average inefficiency (log-log
slope of E||dw_n|| between the second and the largest n), all with standard errors; it writes one
PNG per figure plus a CSV of every number into the output folder.
"""

from __future__ import annotations

import argparse
import math
import csv
import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

import kdntk
from kdntk import tasks
from kdntk import log_log_slope

SAMPLE_SIZES = (8, 16, 32, 64, 128)


def _experiments(key):
    """name -> (figure, label, target, extra data_inefficiency kwargs)."""
    k_gm, k_flip, k_rand, k_teacher = jax.random.split(key, 4)
    exps = {}
    for q in (1, 2, 4, 8):
        exps[f"modes q={q}"] = ("fig3_modes", tasks.gaussian_mixture(jax.random.fold_in(k_gm, q), q), {})
    exps["zero function"] = ("fig3_modes", tasks.zero_function(), {})
    exps["random logits"] = ("fig3_modes", tasks.random_logits(k_rand), {})
    base = tasks.gaussian_mixture(jax.random.fold_in(k_gm, 2), 2)
    for p in (0.0, 0.1, 0.3, 0.5):
        exps[f"p_flip={p}"] = ("fig3_flips", tasks.sign_flip(k_flip, base, p_flip=p), {})
    # Fig. 4 right: a smooth teacher whose sign changes across the input distribution (broad
    # modes), its perfect hard labels 1{z_t > 0}, T = 10 as in S4; soft ratios share one solve.
    teacher = tasks.gaussian_mixture(k_teacher, 4, amplitude=3.0, width=20.0)
    exps["soft ratios"] = ("fig4_soft_ratio", teacher,
                           {"soft_ratio": jnp.array([1.0, 0.9, 0.5, 0.1]), "temperature": 10.0})
    return exps


def run(out: str, *, num_trials: int, sample_sizes=SAMPLE_SIZES, init: str = "prior", seed: int = 0,
        window: float = math.sqrt(2.0), stream=sys.stdout) -> dict:
    """Compute every curve, print the table to ``stream``, write PNGs and a CSV into ``out``.

    Returns ``{"rows": [(figure, label, I (S,), I_stderr (S,), slope, slope_stderr)],
    "windowed": [(I_windowed (S,), I_windowed_stderr (S,))] (parallel to rows), "elapsed": s}``:
    Definition 1's I(n), the average slope between the second and the largest n, and the windowed
    estimate of I(n) (``DataInefficiency.slope``)."""
    import matplotlib

    matplotlib.use("Agg")
    from kdntk.plotting import plot_inefficiency

    os.makedirs(out, exist_ok=True)
    net = kdntk.mlp(3)
    key = jax.random.key(seed)
    sizes = np.asarray(sample_sizes)
    n_lo, n_hi = int(sizes[1]), int(sizes[-1])
    figures: dict[str, dict] = {}
    rows, windowed = [], []
    t0 = time.perf_counter()
    for i, (name, (fig, target, kwargs)) in enumerate(_experiments(key).items()):
        res = kdntk.data_inefficiency(target, net, sizes, key=jax.random.fold_in(key, i),
                                      num_trials=num_trials, init=init, trial_batch=num_trials,
                                      window=window, **kwargs)
        rhos = np.asarray(res.soft_ratio)
        figures.setdefault(fig, {})[name if len(rhos) == 1 else ""] = res
        lo = int(np.flatnonzero(sizes == n_lo)[0])
        with jax.enable_x64(True):
            slope = log_log_slope(res.norms[0, ..., lo], res.norms[0, ..., -1], n_lo, n_hi)   # (R,)
        for j, rho in enumerate(rhos):
            label = name if len(rhos) == 1 else f"rho={rho:g}"
            rows.append((fig, label, np.asarray(res.inefficiency[0, j]),
                         np.asarray(res.inefficiency_stderr[0, j]), float(slope.value[j]),
                         float(slope.stderr[j])))
            windowed.append((np.asarray(res.slope[0, j]), np.asarray(res.slope_stderr[0, j])))
    elapsed = time.perf_counter() - t0

    print(f"Data inefficiency I(n) +- standard error; {num_trials} trials, init={init!r}, "
          f"student: infinite-width ReLU MLP, 3 hidden layers; x ~ N(0, 25 I_2)\n"
          f"'window': slope of ln E||dw_j|| over j in [n/w, (n+1)w], w = {float(res.window):.3g} "
          f"(the figures' lines); 'Def. 1': n [ln E||dw_(n+1)|| - ln E||dw_n||] (Eq. 10)",
          file=stream)
    print(f"{'figure':16s} {'task':14s} {'':7s}" + " ".join(f"{'I(' + str(n) + ')':>13s}" for n in sizes)
          + f"   slope {n_lo}->{n_hi}", file=stream)
    for (fig, label, ineff, se, sl, sl_se), (win, win_se) in zip(rows, windowed):
        cells = " ".join(f"{v:6.3f}+-{e:5.3f}" for v, e in zip(win, win_se))
        print(f"{fig:16s} {label:14s} {'window':7s}{cells}   {sl:5.3f}+-{sl_se:5.3f}", file=stream)
        cells = " ".join(f"{v:6.3f}+-{e:5.3f}" for v, e in zip(ineff, se))
        print(f"{'':16s} {'':14s} {'Def. 1':7s}{cells}", file=stream)
    print(f"computed in {elapsed:.1f} s on {jax.devices()[0].platform}", file=stream)

    with open(os.path.join(out, "inefficiency.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["figure", "task", "n", "I_windowed", "I_windowed_stderr", "I", "I_stderr",
                    "slope", "slope_stderr"])
        for (fig, label, ineff, se, sl, sl_se), (win, win_se) in zip(rows, windowed):
            for n, a, b, v, e in zip(sizes, win, win_se, ineff, se):
                w.writerow([fig, label, int(n), f"{a:.6g}", f"{b:.6g}", f"{v:.6g}", f"{e:.6g}",
                            f"{sl:.6g}", f"{sl_se:.6g}"])
    titles = {"fig3_modes": "Fig. 3 left: number of modes (with zero / random references)",
              "fig3_flips": "Fig. 3 right: sign-flip probability",
              "fig4_soft_ratio": "Fig. 4 right: soft ratio (T = 10, perfect teacher)"}
    for fig, curves in figures.items():
        plot_inefficiency(curves, title=titles[fig]).savefig(os.path.join(out, f"{fig}.png"), dpi=110)
    print(f"wrote {', '.join(sorted(f + '.png' for f in figures))} and inefficiency.csv to {out}/",
          file=stream)
    return {"rows": rows, "windowed": windowed, "elapsed": elapsed}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kdntk.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo-output", help="folder for the PNG figures and CSV")
    parser.add_argument("--trials", type=int, default=200, help="trials per curve (default 200)")
    parser.add_argument("--init", default="prior", choices=["prior", "network", "zero"],
                        help="student initial logits: NNGP sample (default), finite network, zero")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--window", type=float, default=math.sqrt(2.0),
                        help="w >= 1 of the windowed I(n) over sizes [n/w, (n+1)w] (default sqrt 2; "
                             "1 gives Definition 1)")
    args = parser.parse_args(argv)
    run(args.out, num_trials=args.trials, init=args.init, seed=args.seed, window=args.window)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
