"""Benchmark: a whole data-inefficiency sweep against the sum of its parts, each alone (issue 15, target 2).

The sweep: ``kdntk.data_inefficiency(task, mlp(3), [N - 1], window=1)`` for K trials x 8 soft
ratios (float64, ``init`` as given; the default "network"). Its parts are what the mathematics of
a trial needs, each a jitted program run alone on the same trial's inputs (the trials dispatched
one after another, blocked once at the end), in one process, interleaved with the sweep:

- ``inputs``: x = INPUT_STD * normal(input key, (N, 2)), the engine's key schedule;
- ``teacher``: z_t = task(x) and y_g = 1{z_t > 0};
- ``init``: the student's initial logits z0 (init="network": the width-1024 student's
  initialization and forward pass; "prior": the NNGP sample, which needs the NNGP and its
  Cholesky; "zero": no part);
- ``kernel``: Theta(X, X) (with the NNGP in the same pass for init="prior");
- ``effective``: z_eff for the 8 soft ratios (Eq. 3);
- ``factor + solves``: the Cholesky factor of Theta and the all-prefix norms of dz = z_eff - z0.

Bookkeeping is not a part: argument checks, the memory pre-check, host transfers, non-finite
detection, the condition estimate, and the statistics of the result. Check first: the parts
composed give the sweep's ||dw_{N-1}|| and ||dw_N|| for every trial and soft ratio.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from _timing import interleaved, row

import kdntk
from kdntk._src import engine
from kdntk._src.effective import solve_effective
from kdntk._src.kernels import blocked_kernel
from kdntk._src.memory import DEFAULT_BLOCK_ROWS, fit_block_rows
from kdntk._src.solve import cholesky_factor, norm_path
from kdntk._src.student import initial_logits, teacher_outputs

RHOS = np.linspace(0.05, 0.95, 8)
PARTS = ("inputs", "teacher", "init", "kernel", "effective", "factor + solves")


def _sweep(task, net, n, num_trials, init):
    res = kdntk.data_inefficiency(task, net, [n - 1], key=jax.random.key(1), window=1.0, init=init,
                                  num_trials=num_trials, soft_ratio=RHOS)
    return res.norms, res.next_norms


def _parts(task, net, n, num_trials, init):
    """{part: zero-argument function running it on every trial}, and the composed paths (K, R, N)."""
    input_keys, init_keys = engine.trial_keys(jax.random.key(1), num_trials)
    rho = jnp.asarray(RHOS)
    temp = jnp.ones_like(rho)
    get = ("nngp", "ntk") if init == "prior" else "ntk"
    block = fit_block_rows(net, n, n, (2,), np.float64, DEFAULT_BLOCK_ROWS,
                           num_kernels=2 if init == "prior" else 1, get=get)
    programs = {
        "inputs": jax.jit(lambda k: engine.INPUT_STD * jax.random.normal(k, (n, 2), jnp.float64)),
        "teacher": jax.jit(lambda x: teacher_outputs(x, task, None, 1.0)),
        "init": jax.jit(lambda x, k, nngp: initial_logits(net, x, k, init, nngp)),
        "kernel": jax.jit(lambda x: blocked_kernel(net, x, x, get, block)),
        "effective": jax.jit(lambda ev: solve_effective(ev[0][:, None], ev[1][:, None], rho[None, :, None],
                                                        temp[None, :, None])),
        "factor + solves": jax.jit(lambda theta, dz: norm_path(cholesky_factor(theta, jnp.zeros((), theta.dtype)), dz)),
    }
    # Each part's inputs, computed once by the parts before them.
    x = [programs["inputs"](k) for k in input_keys]
    ev = [programs["teacher"](v) for v in x]
    kern = [programs["kernel"](v) for v in x]
    nngp, theta = zip(*kern) if init == "prior" else ([None] * num_trials, kern)
    z0 = [programs["init"](v, k, g) for v, k, g in zip(x, init_keys, nngp)]
    z_eff = [programs["effective"](e) for e in ev]
    dz = [z - z0_k[None, None] for z, z0_k in zip(z_eff, z0)]
    args = {"inputs": [(k,) for k in input_keys], "teacher": [(v,) for v in x],
            "init": list(zip(x, init_keys, nngp)), "kernel": [(v,) for v in x],
            "effective": [(e,) for e in ev], "factor + solves": list(zip(theta, dz))}
    fns = {part: (lambda f=programs[part], a=args[part]: [f(*t) for t in a]) for part in PARTS
           if not (part == "init" and init == "zero")}
    paths = np.stack([np.asarray(programs["factor + solves"](t, d))[0] for t, d in zip(theta, dz)])
    return fns, paths


def run(sizes, *, num_trials=4, repeats=2, init="network", trials_at=None) -> list[dict]:
    """Rows per N: the sweep, each part alone, and their sum (``note``: sweep / sum of parts).

    ``trials_at``: {N: trials} overriding ``num_trials`` at large N (fewer trials there)."""
    task = kdntk.tasks.gaussian_mixture(jax.random.key(0), num_modes=2)
    net = kdntk.mlp(3)
    rows = []
    for n in sizes:
        k = (trials_at or {}).get(n, num_trials)
        fns, paths = _parts(task, net, n, k, init)
        t = interleaved({"sweep": lambda n=n, k=k: _sweep(task, net, n, k, init), **fns}, repeats=repeats)
        norms, nxt = (np.asarray(a)[0] for a in t["sweep"]["out"])           # (R, K, 1)
        ref = np.moveaxis(paths[..., -2:], 0, 1)                              # (R, K, 2)
        err = float(np.max(np.abs(np.concatenate([norms, nxt], -1) - ref) / np.abs(ref)))
        if err > 1e-6:   # the same maths in different programs: rounding, times cond(Theta)
            raise AssertionError(f"the parts composed disagree with the sweep at N = {n}: {err:.2e}")
        total = sum(t[p]["median_s"] for p in fns)
        ratio = t["sweep"]["median_s"] / total
        common = {"N": n, "dtype": "float64", "trials": k, "rhs": len(RHOS), "rel_error": err}
        rows.append(row("parts", "sweep", t["sweep"], **common, note=f"{ratio:.2f}x the sum of its parts"))
        rows.append({"benchmark": "parts", "method": "sum of parts", **common, "median_s": total,
                     "min_s": sum(t[p]["min_s"] for p in fns), "max_s": sum(t[p]["max_s"] for p in fns),
                     "repeats": repeats, "note": f"init={init}"})
        for p in fns:
            rows.append(row("parts", p, t[p], **common))
    return rows
