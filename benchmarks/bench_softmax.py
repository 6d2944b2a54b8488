"""Benchmark: multi-class effective logits on M samples x C classes (10^5 x 10 in the full suite).

Methods:
  * kdntk.softmax_effective_logits: safeguarded Newton on one scalar per sample with C scalar
    class equations in log space (docs/softmax.md), in blocks; as called (it validates its
    arguments, then runs one compiled program) and under jax.jit;
  * gradient descent on the per-sample loss, z <- z - lr g(z) from z = 0: one jitted fori_loop,
    vectorized over all samples, with the loop-invariant target rho/T softmax(z_t/T) + (1 - rho) y
    hoisted (two softmaxes per step). Its step size is the best of a grid (multiples of 1/L,
    L = (rho/T^2 + 1 - rho)/2 bounding the Hessian), and it runs the number of steps that the best
    step size needs to reach the accuracy target (1e-9, kdntk's documented float64 accuracy; kdntk
    itself is ~1e-14) on a subsample of ``num_search`` samples: the full set's hardest samples need
    at least as many, so GD's time is a lower bound. GD is timed for ``gd_timed_steps`` steps on all
    M samples and extrapolated linearly (column ``extrapolated``).
Check first: kdntk against a float64 damped Newton method in numpy (batched C x C solves of the
loss's Hessian with a backtracking line search, from the centred teacher logits), on
``num_check`` samples; GD's error is measured against the same reference.
Accuracy = max over samples of max_c |z - z_ref| / max(1, max_c |z_ref|).

Data: z_t ~ N(0, s^2) per class (s = 1, and s = 2 in the full suite), y = one-hot of argmax z_t
with 10% of the labels replaced by a uniformly random class, rho = 0.5, T = 2.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import kdntk
from _timing import interleaved, row

RHO, TEMP, TARGET, CHUNK = 0.5, 2.0, 1e-9, 50
LR_MULTIPLES = (2.0, 3.0, 4.0, 5.0, 6.0, 1.5, 1.0)   # x 1/L; 2/L is always stable (tried first)


def data(m, num_classes, scale, *, dtype=jnp.float64, key=0):
    k1, k2, k3 = jax.random.split(jax.random.key(key), 3)
    z_t = scale * jax.random.normal(k1, (m, num_classes), dtype)
    label = jnp.where(jax.random.bernoulli(k2, 0.1, (m,)), jax.random.randint(k3, (m,), 0, num_classes),
                      jnp.argmax(z_t, -1))
    return z_t, jax.nn.one_hot(label, num_classes, dtype=dtype)


def _gd_step(z, target, lr):
    g = RHO / TEMP * jax.nn.softmax(z / TEMP, axis=-1) + (1 - RHO) * jax.nn.softmax(z, axis=-1) - target
    return z - lr * g


@jax.jit
def gradient_descent(z_t, y, lr, steps):
    """``steps`` steps of GD from z = 0 with the loop-invariant target hoisted (jitted, vectorized)."""
    target = RHO / TEMP * jax.nn.softmax(z_t / TEMP, axis=-1) + (1 - RHO) * y
    return jax.lax.fori_loop(0, steps, lambda _, z: _gd_step(z, target, lr), jnp.zeros_like(z_t))


def _error(z, ref):
    z, ref = np.asarray(z, np.float64), np.asarray(ref, np.float64)
    z = z - z.mean(-1, keepdims=True) + ref.mean(-1, keepdims=True)   # GD keeps the class mean 0 too
    return float(np.max(np.abs(z - ref).max(-1) / np.maximum(1.0, np.abs(ref).max(-1))))


@jax.jit
def _steps_to_target(z_t, y, ref, lr, budget):
    """GD steps (in chunks of CHUNK) until the max relative error is <= TARGET, or the budget."""
    target = RHO / TEMP * jax.nn.softmax(z_t / TEMP, axis=-1) + (1 - RHO) * y

    def error(z):
        z = z - jnp.mean(z, -1, keepdims=True)
        return jnp.max(jnp.max(jnp.abs(z - ref), -1) / jnp.maximum(1.0, jnp.max(jnp.abs(ref), -1)))

    def body(state):
        z, k, _ = state
        z = jax.lax.fori_loop(0, CHUNK, lambda _, z: _gd_step(z, target, lr), z)
        return z, k + CHUNK, error(z)

    def cond(state):
        _, k, err = state
        return (err > TARGET) & (k < budget) & jnp.isfinite(err)

    z0 = jnp.zeros_like(z_t)
    _, k, err = jax.lax.while_loop(cond, body, (z0, jnp.zeros((), jnp.int32), error(z0)))
    return k, err


def best_step(z_t, y, ref, max_steps):
    """The step size of the grid that reaches TARGET in the fewest steps, and those steps.
    Each candidate stops once it needs more steps than the best so far."""
    L = (RHO / TEMP ** 2 + 1 - RHO) / 2
    best = (None, max_steps)

    def attempt(lr, best):
        steps, err = _steps_to_target(z_t, y, ref, lr, best[1])
        return (lr, int(steps)) if float(err) <= TARGET and int(steps) <= best[1] else best

    for k in LR_MULTIPLES:
        best = attempt(k / L, best)
    if best[0] is not None:                       # refine around the best multiple
        for f in (0.9, 1.1, 0.8, 1.2):
            best = attempt(best[0] * f, best)
    if best[0] is None:
        raise RuntimeError(f"gradient descent did not reach {TARGET:g} within {max_steps} steps")
    return best


def newton_reference(z_t, y, iters=60):
    """Float64 damped Newton on f(z) = loss(z) + mean(z)^2 / 2 (same minimizer, class mean 0), numpy,
    batched over samples: the independent check of kdntk's roots."""
    z_t, y = np.asarray(z_t, np.float64), np.asarray(y, np.float64)
    n, C = z_t.shape

    def softmax(x):
        e = np.exp(x - x.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    def log_softmax(x):
        x = x - x.max(-1, keepdims=True)
        return x - np.log(np.exp(x).sum(-1, keepdims=True))

    p = softmax(z_t / TEMP)

    def f(z):
        return (-RHO * (p * log_softmax(z / TEMP)).sum(-1) - (1 - RHO) * (y * log_softmax(z)).sum(-1)
                + z.mean(-1) ** 2 / 2)

    z = z_t - z_t.mean(-1, keepdims=True)
    eye = np.eye(C)
    for _ in range(iters):
        a, s = softmax(z / TEMP), softmax(z)
        g = RHO / TEMP * (a - p) + (1 - RHO) * (s - y) + z.mean(-1, keepdims=True) / C
        H = (RHO / TEMP ** 2 * (a[:, :, None] * eye - a[:, :, None] * a[:, None, :])
             + (1 - RHO) * (s[:, :, None] * eye - s[:, :, None] * s[:, None, :]) + 1.0 / C ** 2)
        d = -np.linalg.solve(H, g[..., None])[..., 0]
        t, f0, slope = np.ones(n), f(z), (g * d).sum(-1)
        # Backtracking (Armijo) per sample, skipped once the predicted decrease is below the
        # rounding of f (full Newton steps are safe there and Armijo would stall at ~sqrt(eps)).
        damp = -slope > 1e-12 * np.maximum(1.0, np.abs(f0))
        for _ in range(40):
            bad = damp & (f(z + t[:, None] * d) > f0 + 1e-4 * t * slope)
            if not bad.any():
                break
            t = np.where(bad, t / 2, t)
        z = z + t[:, None] * d
    return z


_jitted = jax.jit(lambda z_t, y: kdntk.softmax_effective_logits(z_t, y, soft_ratio=RHO, temperature=TEMP))


def run(num_points, *, num_classes=10, scales=(1.0,), repeats=3, gd_timed_steps=100, num_check=2_000,
        num_search=2_000, max_steps=200_000, dtype=jnp.float64):
    rows = []
    name = np.dtype(dtype).name
    with jax.enable_x64(True):
        for scale in scales:
            z_t, y = data(num_points, num_classes, scale, dtype=dtype)
            c = min(num_check, num_points)
            ref = newton_reference(z_t[:c], y[:c])
            kd = np.asarray(kdntk.softmax_effective_logits(z_t[:c], y[:c], soft_ratio=RHO, temperature=TEMP))
            err = _error(kd, ref)
            if not err <= 1e-9:
                raise AssertionError(f"kdntk.softmax_effective_logits disagrees with the Newton reference: {err:.3g}")
            s = min(num_search, c)
            lr, steps = best_step(z_t[:s], y[:s], jnp.asarray(ref[:s]), max_steps)
            timed = jnp.asarray(min(gd_timed_steps, steps))
            t = interleaved({
                "jit(kdntk.softmax_effective_logits)": lambda: _jitted(z_t, y),
                "kdntk.softmax_effective_logits": lambda: kdntk.softmax_effective_logits(
                    z_t, y, soft_ratio=RHO, temperature=TEMP),
                "GD, best fixed step": lambda: gradient_descent(z_t, y, lr, timed),
            }, repeats=repeats)
            errs = {
                "jit(kdntk.softmax_effective_logits)": _error(t["jit(kdntk.softmax_effective_logits)"]["out"][:c], ref),
                "kdntk.softmax_effective_logits": _error(t["kdntk.softmax_effective_logits"]["out"][:c], ref),
                "GD, best fixed step": _error(gradient_descent(z_t[:s], y[:s], lr, steps), ref[:s]),
            }
            gd = t["GD, best fixed step"]
            factor = steps / int(timed)
            gd.update({k: gd[k] * factor for k in ("median_s", "min_s", "max_s")})
            data_note = f"C={num_classes}, z_t~N(0,{scale:g}^2), rho={RHO:g}, T={TEMP:g}"
            for method, timing in t.items():
                is_gd = method.startswith("GD")
                note = (f"{data_note}; lr {lr:.3g}, {steps} steps to {TARGET:g} on {s} samples, timed "
                        f"{int(timed)}, x{factor:g}" if is_gd else data_note)
                rows.append(row("softmax", method, timing, N=num_points, dtype=name, rel_error=errs[method],
                                extrapolated=is_gd and factor > 1, note=note))
    return rows
