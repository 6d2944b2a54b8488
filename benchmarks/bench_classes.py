"""Benchmark: data inefficiency with C = 10 classes against one class (binary) at the same N.

Both run kdntk.data_inefficiency on the same inputs with the same student (mlp(3), init zero):
the binary sweep distils a teacher with one logit, the multi-class sweep a teacher with ten
(softmax KD, Hinton et al. 2015; Ji & Zhu 2020, Eq. 2 with C classes). One kernel and one
Cholesky factorization per trial serve every class: the C right-hand sides add C triangular
solves of O(N^2) and the effective-logit solves, against the O(N^3) factorization.
Check first: the multi-class norms at n = N - 1 against numpy, trial 0: z_eff from
kdntk.softmax_effective_logits (z0 = 0), Theta from kdntk.ntk, then
||dw||^2 = sum_c dz_c^T Theta^-1 dz_c by scipy's cho_solve.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg

import kdntk
from _timing import interleaved, row

NUM_CLASSES, RHO, TEMP = 10, 0.5, 2.0


def _teachers():
    w = jax.random.normal(jax.random.key(3), (2, NUM_CLASSES))
    return {"1 class": lambda x: jnp.sin(x @ w[:, 0]), f"{NUM_CLASSES} classes": lambda x: jnp.sin(x @ w)}


def _call(target, inputs, net):
    n = inputs.shape[1]
    return kdntk.data_inefficiency(target, net, [n - 1], key=jax.random.key(1), window=1.0, init="zero",
                                   num_trials=inputs.shape[0], soft_ratio=RHO, temperature=TEMP,
                                   inputs=inputs).norms


def _check(target, inputs, net, norms) -> float:
    x = inputs[0, :-1]
    z_t = target(x)
    y = jax.nn.one_hot(jnp.argmax(z_t, -1), NUM_CLASSES, dtype=x.dtype)
    dz = np.asarray(kdntk.softmax_effective_logits(z_t, y, soft_ratio=RHO, temperature=TEMP))
    theta = np.asarray(kdntk.ntk(net, x, x))
    sq = np.sum(dz * scipy.linalg.cho_solve(scipy.linalg.cho_factor(theta, lower=True), dz))
    got = float(np.asarray(norms)[0, 0, 0, -1])
    return abs(got - np.sqrt(sq)) / np.sqrt(sq)


def run(sizes, *, num_trials=4, repeats=3, dtype=jnp.float64) -> list[dict]:
    rows = []
    net = kdntk.mlp(3)
    for n in sizes:
        inputs = 5.0 * jax.random.normal(jax.random.key(0), (num_trials, n, 2), dtype)
        teachers = _teachers()
        t = interleaved({name: (lambda f=f: _call(f, inputs, net)) for name, f in teachers.items()},
                        repeats=repeats)
        err = _check(teachers[f"{NUM_CLASSES} classes"], inputs, net, t[f"{NUM_CLASSES} classes"]["out"])
        if err > 1e-6:   # two float64 solves of an ill-conditioned NTK agree to about cond x eps
            raise AssertionError(f"multi-class norms disagree with scipy: {err:.2e}")
        for method, timing in t.items():
            rows.append(row("classes", method, timing, N=n, dtype=np.dtype(dtype).name, trials=num_trials,
                            rel_error=err))
    return rows
