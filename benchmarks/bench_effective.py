"""Benchmark 3: effective logits z_eff on M points (10^6 in the full suite).

Methods:
  * kdntk.effective_logits: safeguarded Halley steps on P - Q (log space only where sigmoids
    saturate) from a linearized initial guess, in blocks of BLOCK_SIZE points whose loops stop
    once converged; both as called (it validates its arguments, then runs one compiled program)
    and under jax.jit (one fused program, the way it runs inside kdntk's analyses);
  * the papers' gradient descent on Eq. 3 (003 S4: lr 10, 10^4 steps): z <- z - 10 g(z) with
    z0 = 0 (a fully jitted fori_loop). Timed for ``gd_timed_steps`` steps on all M points
    and extrapolated linearly to 10^4 steps (column ``extrapolated``); its accuracy is that of the
    full 10^4 steps, run on a subsample;
  * scipy.optimize.elementwise.find_root (vectorized bracketing, Chandrupatla) on [-100, 100].
Accuracy: max |z - z_ref| / max(1, |z_ref|) against float64 bisection (200 halvings of
[-100, 100], numpy), on a subsample of ``num_check`` points.

Data: z_t ~ U(-10, 10), y_g = 1{z_t > 0} with 10% flipped, rho = 0.5, T = 2.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from scipy.optimize import elementwise

import kdntk
from _timing import interleaved, row

LR, GD_STEPS, RHO, TEMP, BRACKET = 10.0, 10_000, 0.5, 2.0, 100.0


def data(m, *, dtype=jnp.float64, key=0):
    k1, k2 = jax.random.split(jax.random.key(key))
    z_t = jax.random.uniform(k1, (m,), dtype, -10.0, 10.0)
    flip = jax.random.bernoulli(k2, 0.1, (m,))
    y_g = jnp.where(flip, z_t <= 0, z_t > 0).astype(dtype)
    return z_t, y_g


@jax.jit
def gradient_descent(z_t, y_g, steps):
    """The papers' method: ``steps`` steps of z <- z - lr g(z) from z = 0, jitted, with the
    loop-invariant sigma(z_t / T) hoisted (two sigmoids per step: the fairest GD on Eq. 3)."""
    soft_target = jax.nn.sigmoid(z_t / TEMP)

    def step(_, z):
        g = RHO / TEMP * (jax.nn.sigmoid(z / TEMP) - soft_target) + (1 - RHO) * (jax.nn.sigmoid(z) - y_g)
        return z - LR * g
    return jax.lax.fori_loop(0, steps, step, jnp.zeros_like(z_t))


def _g(z, z_t, y_g):
    sig = lambda u: 0.5 * (1.0 + np.tanh(0.5 * u))  # noqa: E731  (overflow-free sigmoid)
    return RHO / TEMP * (sig(z / TEMP) - sig(z_t / TEMP)) + (1 - RHO) * (sig(z) - y_g)


def bisection(z_t, y_g, iters=200):
    """Float64 reference root of g on [-100, 100] (g is increasing; g(-100) <= 0 <= g(100))."""
    lo, hi = np.full_like(z_t, -BRACKET), np.full_like(z_t, BRACKET)
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        neg = _g(mid, z_t, y_g) < 0
        lo, hi = np.where(neg, mid, lo), np.where(neg, hi, mid)
    return 0.5 * (lo + hi)


def scipy_root(z_t, y_g):
    res = elementwise.find_root(_g, (np.full_like(z_t, -BRACKET), np.full_like(z_t, BRACKET)),
                                args=(z_t, y_g))
    return res.x


_jitted = jax.jit(kdntk.effective_logits)


def _error(z, ref):
    return float(np.max(np.abs(np.asarray(z) - ref) / np.maximum(1.0, np.abs(ref))))


def run(num_points, *, repeats=3, gd_timed_steps=100, num_check=10_000, dtype=jnp.float64):
    rows = []
    name = np.dtype(dtype).name
    with jax.enable_x64(True):
        z_t, y_g = data(num_points, dtype=dtype)
        zt_np, y_np = np.asarray(z_t, np.float64), np.asarray(y_g, np.float64)
        steps = jnp.asarray(gd_timed_steps)
        t = interleaved({
            "jit(kdntk.effective_logits)": lambda: _jitted(z_t, y_g, soft_ratio=RHO, temperature=TEMP),
            "kdntk.effective_logits": lambda: kdntk.effective_logits(z_t, y_g, soft_ratio=RHO, temperature=TEMP),
            "paper GD (lr 10, 1e4 steps)": lambda: gradient_descent(z_t, y_g, steps),
            "scipy find_root": lambda: scipy_root(zt_np, y_np),
        }, repeats=repeats)
        # Accuracy on a subsample, GD at its full 10^4 steps.
        c = min(num_check, num_points)
        ref = bisection(zt_np[:c], y_np[:c])
        errs = {
            "jit(kdntk.effective_logits)": _error(t["jit(kdntk.effective_logits)"]["out"][:c], ref),
            "kdntk.effective_logits": _error(t["kdntk.effective_logits"]["out"][:c], ref),
            "paper GD (lr 10, 1e4 steps)": _error(gradient_descent(z_t[:c], y_g[:c], GD_STEPS), ref),
            "scipy find_root": _error(t["scipy find_root"]["out"][:c], ref),
        }
        gd = t["paper GD (lr 10, 1e4 steps)"]
        scale = GD_STEPS / gd_timed_steps
        gd.update({k: gd[k] * scale for k in ("median_s", "min_s", "max_s")})
        for method, timing in t.items():
            is_gd = method.startswith("paper GD")
            rows.append(row("effective", method, timing, N=num_points, dtype=name,
                            rel_error=errs[method], extrapolated=is_gd and scale > 1,
                            note=f"timed {gd_timed_steps} steps, x{scale:g}" if is_gd else ""))
    return rows
