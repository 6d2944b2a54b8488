"""The data-inefficiency demo: Figs. 3 and 4 (right) of Ji & Zhu (NeurIPS 2020) in the paper's setting.

Run ``python -m kdntk.demo --out demo-output`` (``make demo``). Inputs x ~ N(0, 5^2 I) in d = 2;
student = infinite-width NTK-parameterized ReLU MLP with 5 hidden layers (Fig. 3's student,
supplement S4), sigma_W = sigma_b = 1 (Eq. 1). Fig. 3 left uses the paper's mode counts
q = 10, 50, 250 (widths 15 / q^2, S4), Fig. 4 right a trained teacher stopped at epoch 511 (an
oracle network on a mixture's labels, the teacher on the oracle's labels; CPU widths). Every task
runs with the student's initial logits z0 kept (``prior``: their infinite-width limit, as the
paper keeps the network's) and, for the sign-flip tasks, also with z0 = 0 (``--inits``). For each task it prints I(n) at
several n by two estimators, the windowed slope of ln E||dw_j|| over j in [n / w, (n + 1) w],
w = sqrt 2 by default (``--window``; ``DataInefficiency.slope``, drawn as lines with error
bands) and Definition 1's one-step difference (Eq. 10, faint points), the average inefficiency
(log-log slope of E||dw_n|| between the second and the largest n), all with standard errors,
and what the paper states for the curve; it writes one PNG per figure and init plus a CSV of
every number into the output folder. A last figure goes beyond the paper: softmax KD with 10
classes on scikit-learn's digits (an MLP teacher trained on 1000 images; each trial draws its
inputs from the other 797 without replacement; true digits as hard labels; T = 4).
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
STUDENT_DEPTH = 5
"""Fig. 3's student: an initialized network with L = 5 hidden layers (supplement S4)."""
MODES = (10, 50, 250)
"""Fig. 3 left's mode counts (supplement, Fig. S2), widths 15 / q^2 as S4 states."""
TEACHER_EPOCH = 511
"""Fig. 4 right's teacher: the Fig. 4 teacher stopped at its 511th epoch (supplement S4)."""
DIGITS_EPOCHS = 30
"""Epochs of the digits teacher (10 classes; beyond the papers, issue 13)."""
ZERO_INIT_TRIALS = 4
"""The z0 = 0 rows run this many times ``num_trials``: their windowed I(n) is about twice as
noisy as with the network's z0 (standard errors up to 0.08 at 200 trials, 0.04 at 800)."""

PAPER = {
    "zero function": "lowest (lower dashed line)",
    "random logits": "~0.8 (upper dashed line)",
    "p_flip=0.5": "~0.8 (I = 0.8: random)",
    "rho=1": "decreasing",
    "rho=0.1": "constant ~0.5",
}
"""What the paper's text states for the demo's curves (Ji & Zhu 2020, Sec. 4, Figs. 3-4);
the figures themselves give no more numbers in the text."""


def _paper(label: str) -> str:
    if label.startswith("modes q="):
        return "decreasing; more modes higher"
    if label.startswith("p_flip=") and label != "p_flip=0.5":
        return "between; more flips higher"
    if label.startswith("rho=") and label not in PAPER:
        return "hard labels raise I"
    if label.startswith("digits"):
        return "(10 classes: beyond the paper)"
    return PAPER.get(label, "")


def _fig4_teacher(key, oracle_epochs: int):
    """Fig. 4 right's teacher at CPU size: an oracle (L = 5, m = 64) trained on a 4-mode mixture's
    hard labels, a teacher (L = 5, m = 64, lr 1e-2, r = 0.3) trained on the oracle's labels and
    stopped at epoch 511 (kdntk.ji_zhu.FIG4_CPU's networks)."""
    import dataclasses

    k_gt, k_oracle, k_teacher = jax.random.split(key, 3)
    cfg = kdntk.ji_zhu.FIG4_CPU
    oracle_cfg = dataclasses.replace(cfg.oracle, num_epochs=oracle_epochs)
    teacher_cfg = dataclasses.replace(cfg.teacher, num_epochs=TEACHER_EPOCH)
    truth = tasks.gaussian_mixture(k_gt, cfg.num_modes)
    oracle = kdntk.teachers.train_teacher(truth, k_oracle, config=oracle_cfg, stop_epochs=[oracle_epochs]).teacher(0)
    return kdntk.teachers.train_teacher(oracle, k_teacher, config=teacher_cfg, stop_epochs=[TEACHER_EPOCH]).teacher(0)


def _digits_teacher(key):
    """Multi-class KD on real images (issue 13): an MLP teacher with 10 logits trained on 1000 of
    scikit-learn's digits (flat, 64 pixels); the students draw their n inputs from the other 797
    without replacement, and the labels are the true digits."""
    digits = tasks.digits(images=False)
    x, y = digits.inputs, digits.labels
    s = kdntk.stax
    net = s.serial(s.Dense(256), s.Relu(), s.Dense(10))
    snaps = kdntk.teachers.train_on_data(x[:1000], y[:1000], key, net=net, num_epochs=DIGITS_EPOCHS,
                                         learning_rate=1e-3, batch_size=100, stop_epochs=[DIGITS_EPOCHS])
    pool = tasks.Dataset(x[1000:], y[1000:], 10, "digits pool")
    return snaps.teacher(0), {"soft_ratio": jnp.array([1.0, 0.5, 0.1]), "temperature": 4.0,
                              "labels": tasks.dataset_labels(pool), "inputs": tasks.without_replacement(pool)}


def _experiments(key, oracle_epochs: int):
    """name -> (figure, target, extra data_inefficiency kwargs, every init?). The flips run with
    every init: there z0 = 0 against the network's z0 changes I(n) most (docs/inefficiency.md).
    The random logits and the trained teacher's logits dominate z0, the zero function needs
    z0 != 0, and the narrow mixtures with z0 = 0 are sparse spikes (I near 1 with standard
    errors up to 0.3 at 200 trials, and 5-10 times slower), so those run with the first init only."""
    k_gm, k_flip, k_rand, k_teacher, k_digits = jax.random.split(key, 5)
    exps = {}
    for q in MODES:
        exps[f"modes q={q}"] = ("fig3_modes", tasks.gaussian_mixture(jax.random.fold_in(k_gm, q), q), {}, False)
    exps["zero function"] = ("fig3_modes", tasks.zero_function(), {}, False)
    exps["random logits"] = ("fig3_modes", tasks.random_logits(k_rand), {}, False)
    # The flip task's q is not stated; q = 2 (widths 3.75) keeps the mixture away from zero on
    # a third of the inputs, so that flipping its sign changes the task (docs/inefficiency.md).
    base = tasks.gaussian_mixture(jax.random.fold_in(k_gm, 2), 2)
    for p in (0.0, 0.1, 0.3, 0.5):
        exps[f"p_flip={p}"] = ("fig3_flips", tasks.sign_flip(k_flip, base, p_flip=p), {}, True)
    # Fig. 4 right: a trained teacher (its reduction r = 0.3 included), its hard labels
    # 1{z_t > 0}, T = 10 as in S4; the soft ratios share one solve.
    exps["soft ratios"] = ("fig4_soft_ratio", _fig4_teacher(k_teacher, oracle_epochs),
                           {"soft_ratio": jnp.array([1.0, 0.9, 0.5, 0.1]), "temperature": 10.0}, False)
    exps["digits"] = ("digits_classes", *_digits_teacher(k_digits), False)
    return exps


def run(out: str, *, num_trials: int, sample_sizes=SAMPLE_SIZES, inits=("prior", "zero"), seed: int = 0,
        window: float = math.sqrt(2.0), oracle_epochs: int = 1024, zero_init_trials: int = ZERO_INIT_TRIALS,
        stream=sys.stdout) -> dict:
    """Compute every curve, print the table to ``stream``, write PNGs and a CSV into ``out``.

    Every Fig. 3 flip task runs once per initial function in ``inits`` ("prior": the
    infinite-width limit of the network's initial logits, as the paper keeps them; "zero":
    z0 = 0); the other tasks run with the first init only (``_experiments``).
    ``oracle_epochs``: training of the Fig. 4 oracle; ``zero_init_trials``: the z0 = 0 rows run this
    many times ``num_trials``.

    Returns ``{"rows": [(figure, label, I (S,), I_stderr (S,), slope, slope_stderr)],
    "windowed": [(I_windowed (S,), I_windowed_stderr (S,))] (parallel to rows), "inits": [init
    of each row], "elapsed": s}``: Definition 1's I(n), the average slope between the second and
    the largest n, and the windowed estimate of I(n) (``DataInefficiency.slope``). Labels of rows
    with z0 = 0 end in " [z0=0]" unless z0 = 0 is the first init."""
    import matplotlib

    matplotlib.use("Agg")
    from kdntk.plotting import plot_inefficiency

    os.makedirs(out, exist_ok=True)
    net = kdntk.mlp(STUDENT_DEPTH)
    key = jax.random.key(seed)
    sizes = np.asarray(sample_sizes)
    n_lo, n_hi = int(sizes[1]), int(sizes[-1])
    figures: dict[str, dict] = {}
    rows, windowed, row_inits = [], [], []
    t0 = time.perf_counter()
    for i, (name, (fig, target, kwargs, every)) in enumerate(_experiments(key, oracle_epochs).items()):
        for j, init in enumerate(inits):
            if (j > 0 and not every) or (init == "zero" and name == "zero function"):
                continue                      # (the zero function's dz = -z0 needs a random z0)
            suffix = "" if j == 0 else " [z0=0]" if init == "zero" else f" [z0={init}]"
            trials = num_trials * (zero_init_trials if j > 0 and init == "zero" else 1)
            res = kdntk.data_inefficiency(target, net, sizes, key=jax.random.fold_in(key, i),
                                          num_trials=trials, init=init, trial_batch=num_trials,
                                          window=window, **kwargs)
            rhos = np.asarray(res.soft_ratio)
            figure = fig if j == 0 else f"{fig}_{init}"
            figures.setdefault(figure, {})[name if len(rhos) == 1 else ""] = res
            lo = int(np.flatnonzero(sizes == n_lo)[0])
            with jax.enable_x64(True):
                slope = log_log_slope(res.norms[0, ..., lo], res.norms[0, ..., -1], n_lo, n_hi)   # (R,)
            for r, rho in enumerate(rhos):
                label = (name if len(rhos) == 1 else
                         f"rho={rho:g}" if name == "soft ratios" else f"{name} rho={rho:g}") + suffix
                rows.append((fig, label, np.asarray(res.inefficiency[0, r]),
                             np.asarray(res.inefficiency_stderr[0, r]), float(slope.value[r]),
                             float(slope.stderr[r])))
                windowed.append((np.asarray(res.slope[0, r]), np.asarray(res.slope_stderr[0, r])))
                row_inits.append(init)
    elapsed = time.perf_counter() - t0

    print(f"Data inefficiency I(n) +- standard error; {num_trials} trials per curve "
          f"({zero_init_trials * num_trials} for the [z0=0] rows), "
          f"student: infinite-width ReLU MLP, {STUDENT_DEPTH} hidden layers (Fig. 3); x ~ N(0, 25 I_2); "
          f"initial logits z0: {', '.join(inits)}\n"
          f"'window': slope of ln E||dw_j|| over j in [n/w, (n+1)w], w = {float(window):.3g} "
          f"(the figures' lines); 'Def. 1': n [ln E||dw_(n+1)|| - ln E||dw_n||] (Eq. 10); "
          f"'paper': what Ji & Zhu (2020) state for the curve", file=stream)
    print(f"{'figure':16s} {'task':22s} {'':7s}" + " ".join(f"{'I(' + str(n) + ')':>13s}" for n in sizes)
          + f"   slope {n_lo}->{n_hi}   paper", file=stream)
    for (fig, label, ineff, se, sl, sl_se), (win, win_se) in zip(rows, windowed):
        cells = " ".join(f"{v:6.3f}+-{e:5.3f}" for v, e in zip(win, win_se))
        print(f"{fig:16s} {label:22s} {'window':7s}{cells}   {sl:5.3f}+-{sl_se:5.3f}   "
              f"{_paper(label.split(' [')[0])}", file=stream)
        cells = " ".join(f"{v:6.3f}+-{e:5.3f}" for v, e in zip(ineff, se))
        print(f"{'':16s} {'':22s} {'Def. 1':7s}{cells}", file=stream)
    print(f"computed in {elapsed:.1f} s on {jax.devices()[0].platform}", file=stream)

    with open(os.path.join(out, "inefficiency.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["figure", "task", "init", "n", "I_windowed", "I_windowed_stderr", "I", "I_stderr",
                    "slope", "slope_stderr", "paper"])
        for (fig, label, ineff, se, sl, sl_se), (win, win_se), init in zip(rows, windowed, row_inits):
            for n, a, b, v, e in zip(sizes, win, win_se, ineff, se):
                w.writerow([fig, label, init, int(n), f"{a:.6g}", f"{b:.6g}", f"{v:.6g}", f"{e:.6g}",
                            f"{sl:.6g}", f"{sl_se:.6g}", _paper(label.split(" [")[0])])
    titles = {"fig3_modes": f"Fig. 3 left: modes q = {', '.join(map(str, MODES))} (zero / random references)",
              "fig3_flips": "Fig. 3 right: sign-flip probability",
              "fig4_soft_ratio": f"Fig. 4 right: soft ratio (T = 10, teacher at epoch {TEACHER_EPOCH})",
              "digits_classes": "10 classes: digits, MLP teacher, soft ratio (T = 4)"}
    for fig, curves in figures.items():
        name = next(k for k in titles if fig.startswith(k))
        extra = "" if fig == name else f", z0 = {fig[len(name) + 1:]}"
        plot_inefficiency(curves, title=titles[name] + extra).savefig(os.path.join(out, f"{fig}.png"), dpi=110)
    print(f"wrote {', '.join(sorted(f + '.png' for f in figures))} and inefficiency.csv to {out}/",
          file=stream)
    return {"rows": rows, "windowed": windowed, "inits": row_inits, "elapsed": elapsed}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kdntk.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo-output", help="folder for the PNG figures and CSV")
    parser.add_argument("--trials", type=int, default=200, help="trials per curve (default 200)")
    parser.add_argument("--inits", default="prior,zero",
                        help="comma-separated student initial logits, each of prior (NNGP sample), "
                             "network (finite draw), zero; default prior,zero")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--window", type=float, default=math.sqrt(2.0),
                        help="w >= 1 of the windowed I(n) over sizes [n/w, (n+1)w] (default sqrt 2; "
                             "1 gives Definition 1)")
    args = parser.parse_args(argv)
    inits = tuple(v.strip() for v in args.inits.split(","))
    if not inits or any(v not in ("prior", "network", "zero") for v in inits):
        parser.error(f"--inits must list prior, network or zero, got {args.inits!r}")
    run(args.out, num_trials=args.trials, inits=inits, seed=args.seed, window=args.window)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
