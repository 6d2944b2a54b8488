"""The finite-width check: does a real network trained on the distillation loss end where the
linearized closed form says it ends?

For each width m, a finite NTK-parameterized network w0 is drawn, and from that same
initialization:

- the real network is trained by full-batch gradient descent (with Nesterov momentum) on the distillation loss (Ji & Zhu
  2020, Eq. 2; its softmax form for C outputs) until its gradient vanishes;
- kdntk's prediction for the converged network: the student reaches the effective logits z_eff
  on the training inputs (Eq. 3) and, linearized, moves by dw = phi(X) Theta^-1 dz with
  dz = z_eff - z0(X) (Eq. 4), so on test inputs z(x) = z0(x) + Theta(x, X) Theta^-1 dz and
  ||dw||^2 = dz^T Theta^-1 dz (summed over classes). Two kernels give two predictions: the
  infinite-width closed form Theta (what every kdntk analysis uses) and the network's own
  empirical NTK at w0 (its exact linearization), which separates the error of linearizing from
  the error of the finite kernel.

The gaps between the trained network and the predictions shrink as the width grows, at about
1/sqrt(m) in the lazy (NTK) regime; [`finite_width_check`][kdntk.finite_width_check] measures them over seeds.
"""

from __future__ import annotations

import warnings
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float

from kdntk._src import callables
from kdntk._src.checks import (
    PrecisionWarning,
    as_key,
    check_array,
    check_callable,
    check_distillation_args,
    check_integer,
    check_range,
)
from kdntk._src.conditioning import report
from kdntk._src.effective import solve_effective_blocks
from kdntk._src.jit import filter_jit
from kdntk._src.kernels import blocked_kernel, empirical_ntk
from kdntk._src.losses import distillation_loss_per_sample
from kdntk._src.networks import as_network
from kdntk._src.results import result
from kdntk._src.softmax_effective import solve_softmax_effective
from kdntk._src.softmax_losses import softmax_loss
from kdntk._src.solve import cholesky_factor, factor_and_diagnose
from kdntk._src.triangular import cho_solve

__all__ = ["FiniteWidthCheck", "finite_width_check", "MOMENTUM"]

MOMENTUM = 0.9
"""Nesterov momentum of the training (updates stay in the span of the gradients)."""


@result
class FiniteWidthCheck:
    """Result of [`finite_width_check`][kdntk.finite_width_check]: W widths, K seeds. Gaps are relative:
    ||a - b|| / ||b|| over the points (and classes), or |a - b| / b for the norms.

    Attributes:
      widths: m, shape (W,).
      train_gap: trained network vs z_eff on the training inputs, (W, K) (C classes: of the
        centred logits z - mean_c z, which alone the softmax loss determines).
      test_gap: trained network vs the closed-form prediction on the test inputs, (W, K)
        (centred likewise).
      test_gap_empirical: trained network vs the empirical-NTK prediction at w0, (W, K).
      norm_gap: ||w_trained - w0|| vs the closed-form ||dw||, (W, K).
      norm_gap_empirical: the same against the empirical-NTK ||dw||, (W, K).
      class_mean_gap: C classes: how far the trained network's per-sample class means on the
        test inputs drifted from the closed form's (z0's: the infinite-width student never
        moves along the all-ones direction), relative, (W, K); 0 for one logit.
      steps: gradient steps taken, (W, K); steps == max_steps means not converged.
      gradient_norm: the loss gradient's norm at the end, (W, K).
    """

    widths: Array
    train_gap: Array
    test_gap: Array
    test_gap_empirical: Array
    norm_gap: Array
    norm_gap_empirical: Array
    class_mean_gap: Array
    steps: Array
    gradient_norm: Array

    def slope(self, field: str = "test_gap"):
        """Least-squares slope of ln(mean gap over seeds) against ln m (about -1/2 in the lazy regime)."""
        gap = np.asarray(getattr(self, field)).mean(axis=1)
        return float(np.polyfit(np.log(np.asarray(self.widths)), np.log(gap), 1)[0])


def _tree_norm(tree):
    return jnp.sqrt(sum(jnp.sum(leaf ** 2) for leaf in jax.tree_util.tree_leaves(tree)))


def _relative(a, b):
    return jnp.linalg.norm((a - b).ravel()) / jnp.linalg.norm(b.ravel())


def _solve_norm(theta, dz):
    """(Theta^-1 dz, sqrt(sum over classes of dz^T Theta^-1 dz)) for dz (n,) or (n, C)."""
    alpha = cho_solve(cholesky_factor(theta, jnp.zeros((), theta.dtype)), dz)
    return alpha, jnp.sqrt(jnp.sum(dz * alpha))


def _empirical_kernels(net, params, x_train, x_test):
    """The network's empirical NTK at ``params``: (train x train, test x train); for C outputs
    the mean of the diagonal blocks (Theta (x) I_C in the wide limit)."""
    ktt, ktx = (empirical_ntk(net.apply_fn, params, a, x_train) for a in (x_train, x_test))
    if ktt.ndim == 4:
        ktt, ktx = (jnp.mean(jnp.diagonal(k, axis1=2, axis2=3), -1) for k in (ktt, ktx))
    return ktt, ktx


@filter_jit
def _one(net, params, x_train, x_test, z_t, y, rho, T, z_eff, theta, kxX, learning_rate, max_steps, tol):
    """Train one network and compare it with both linearized predictions: the closed-form NTK
    ``theta`` (train x train) and ``kxX`` (test x train), and the network's empirical NTK at
    ``params``. Only ``net`` and ``max_steps`` are static, so one program serves every call,
    seed and key with the same shapes and width. ``z_eff``: the binary effective logits, solved
    outside (``solve_effective_blocks``); None for C classes, solved here (they need z0)."""
    classes = z_t.ndim == 2

    def logits(p, x):
        out = net.apply_fn(p, x)
        return out if classes else out.reshape(x.shape[0])

    def loss(p):
        z = logits(p, x_train)
        per_sample = (softmax_loss(z, z_t, y, rho, T) if classes
                      else distillation_loss_per_sample(z, z_t, y, soft_ratio=rho, temperature=T))
        return jnp.mean(per_sample)

    grad = jax.grad(loss)
    # Nesterov momentum: every update stays in the span of the gradients, so in the lazy regime it
    # converges to the same point as plain gradient descent, in about sqrt(condition) fewer steps.
    optimizer = optax.sgd(learning_rate, momentum=MOMENTUM, nesterov=True)

    def cond(state):
        return (state[2] > tol) & (state[3] < max_steps)

    def body(state):
        p, opt_state, _, k = state
        gr = grad(p)
        updates, opt_state = optimizer.update(gr, opt_state, p)
        return optax.apply_updates(p, updates), opt_state, _tree_norm(gr), k + 1

    start = (params, optimizer.init(params), jnp.asarray(jnp.inf, x_train.dtype), 0)
    trained, _, g_norm, steps = jax.lax.while_loop(cond, body, start)
    z0_train, z0_test = logits(params, x_train), logits(params, x_test)
    if classes:
        z_eff = solve_softmax_effective(z_t, y, rho, T, z0_train)
    dz = z_eff - z0_train
    z_net_train, z_net_test = logits(trained, x_train), logits(trained, x_test)
    moved = _tree_norm(jax.tree_util.tree_map(lambda a, b: a - b, trained, params))
    # Softmax ignores each sample's class mean: the loss fixes only the centred logits, and the
    # class mean moves only through the finite network's cross-class kernel (zero in the limit).
    center = (lambda z: z - z.mean(axis=-1, keepdims=True)) if classes else (lambda z: z)
    out = {"train_gap": _relative(center(z_net_train), center(z_eff)), "steps": steps,
           "gradient_norm": g_norm}
    kernels = {"": (theta, kxX), "_empirical": _empirical_kernels(net, params, x_train, x_test)}
    for suffix, (ktt, ktx) in kernels.items():
        alpha, norm = _solve_norm(ktt, dz)
        predicted = z0_test + ktx @ alpha
        out["test_gap" + suffix] = _relative(center(z_net_test), center(predicted))
        out["norm_gap" + suffix] = jnp.abs(moved - norm) / norm
        if suffix == "_empirical":   # a finite network's kernel may be singular (module doc)
            out["empirical_factored"] = jnp.all(jnp.isfinite(alpha))
        else:
            drift = (z_net_test - predicted).mean(axis=-1) if classes else jnp.zeros(())
            out["class_mean_gap"] = jnp.linalg.norm(drift) / jnp.linalg.norm(predicted)
    return out


def finite_width_check(
    target: Callable[[Array], Array],
    make_net: Callable[[int], object],
    x_train: Float[Array, "n *features"],
    x_test: Float[Array, "m *features"],
    *,
    widths,
    key,
    num_seeds: int = 4,
    labels: Callable[[Array], Array] | None = None,
    soft_ratio=1.0,
    temperature=1.0,
    learning_rate: float | None = None,
    max_steps: int = 20000,
    tol: float = 1e-7,
) -> FiniteWidthCheck:
    """Train finite-width students on the distillation loss and compare them with kdntk's
    linearized closed form, for each width (module doc).

    Args:
      target: teacher logits on the inputs: (n,) or (n, 1) (binary, Eq. 2) or (n, C) (softmax KD).
      make_net: ``make_net(m)`` -> the student of width m with NTK parameterization, e.g.
        ``lambda m: kdntk.mlp(1, width=m)``; its closed-form kernel must not depend on m.
      x_train: the n training inputs (n, *features).
      x_test: the test inputs (m, *features).
      widths: the widths m to train (1-D, increasing).
      key: PRNG key (typed or legacy); seed s initializes every width from ``fold_in(key, s)``.
      num_seeds: K >= 1 initializations per width.
      labels: ground-truth labels on x_train: binary (n,) in [0, 1] (default 1{z_t > 0}), or for
        C classes integer classes (n,) / probabilities (n, C) (default the teacher's argmax).
      soft_ratio: rho in (0, 1] (rho = 0 has no finite effective logits with hard labels).
      temperature: T > 0.
      learning_rate: gradient-descent step; default n / (lambda_max(Theta) c) with c the loss's
        largest curvature (stable, the fastest safe step of the linearized dynamics).
      max_steps: cap on gradient steps (the result's ``steps`` says whether it was reached).
      tol: stop once the loss gradient's norm is below this.

    Returns:
      [`FiniteWidthCheck`][kdntk.FiniteWidthCheck] with gaps of shape (W, K). Where a finite network's empirical
      NTK at w0 is singular (a narrow network on more inputs than it can separate), its two
      ``_empirical`` gaps are NaN and a [`kdntk.PrecisionWarning`][kdntk.PrecisionWarning] names the widths.

    Raises:
      kdntk.KernelError: the closed-form NTK of ``x_train`` is not positive definite (e.g.
        duplicate training inputs).

    Example:
      >>> import jax, kdntk
      >>> x = kdntk.tasks.sample_inputs(jax.random.key(0), 12, dim=3, std=1.0)
      >>> xt = kdntk.tasks.sample_inputs(jax.random.key(1), 20, dim=3, std=1.0)
      >>> res = kdntk.finite_width_check(lambda v: v[:, 0] - v[:, 1], lambda m: kdntk.mlp(1, width=m),
      ...                                x, xt, widths=[16, 1024], key=jax.random.key(2), num_seeds=1)
      >>> bool(res.test_gap.mean(1)[1] < res.test_gap.mean(1)[0] / 2)
      True
    """
    key = as_key(key)
    x_train = check_array(x_train, "x_train", min_ndim=2)
    x_test = check_array(x_test, "x_test", min_ndim=2, dtype=x_train.dtype)
    if x_train.shape[1:] != x_test.shape[1:]:
        raise ValueError(f"x_train and x_test must have the same feature shape, got {x_train.shape} "
                         f"and {x_test.shape}.")
    widths = np.asarray(widths)
    if widths.ndim != 1 or widths.size == 0 or not np.issubdtype(widths.dtype, np.integer) or widths.min() < 1:
        raise ValueError(f"widths must be a non-empty 1-D array of positive integers, got {widths!r}.")
    num_seeds = check_integer(num_seeds, "num_seeds")
    max_steps = check_integer(max_steps, "max_steps")
    check_range(tol, "tol", low=0.0, low_open=True)
    check_distillation_args(0.0, 0.5, soft_ratio, temperature)
    check_range(soft_ratio, "soft_ratio", low=0.0, low_open=True)
    rho, T = (jnp.asarray(v, x_train.dtype) for v in (soft_ratio, temperature))
    z_t = callables.call(target, x_train, "target", classes=True)
    callables.check_values(z_t, "target")
    classes = z_t.ndim == 2
    if labels is None:
        y = jax.nn.one_hot(jnp.argmax(z_t, -1), z_t.shape[-1], dtype=x_train.dtype) if classes \
            else (z_t > 0).astype(x_train.dtype)
    else:
        y = callables.call(labels, x_train, "labels", classes=True)
        callables.check_values(y, "labels", labels=True)
        if classes and y.ndim == 1:
            y = jax.nn.one_hot(y.astype(jnp.int32), z_t.shape[-1], dtype=x_train.dtype)
    check_callable(make_net, "make_net", "a function width -> network")
    nets = [as_network(make_net(int(m)), "make_net(m)") for m in widths]
    theta = blocked_kernel(nets[0], x_train, x_train, "ntk", x_train.shape[0])
    report(factor_and_diagnose(theta, jnp.zeros((), theta.dtype))[1], theta.dtype,
           what="the NTK of x_train")
    kxX = blocked_kernel(nets[0], x_test, x_train, "ntk", x_test.shape[0])
    if learning_rate is None:
        curvature = float(rho / T ** 2 + (1 - rho)) / (2 if classes else 4)
        learning_rate = x_train.shape[0] / (float(jnp.linalg.eigvalsh(theta)[-1]) * curvature)
    check_range(learning_rate, "learning_rate", low=0.0, low_open=True)
    z_eff = None if classes else jnp.asarray(solve_effective_blocks(z_t, y, rho, T))
    rows = []
    for m, net in zip(widths, nets):
        per_seed = []
        for s in range(num_seeds):
            _, params = net.init_fn(jax.random.fold_in(key, s), x_train.shape)
            per_seed.append(_one(net, params, x_train, x_test, z_t, y, rho, T, z_eff, theta, kxX,
                                 learning_rate, max_steps, tol))
        rows.append({k: np.stack([np.asarray(r[k]) for r in per_seed]) for k in per_seed[0]})
    fields = {k: jnp.asarray(np.stack([r[k] for r in rows])) for k in rows[0]}
    factored = np.asarray(fields.pop("empirical_factored"))
    if not factored.all():
        failed = sorted({int(m) for m, ok in zip(widths, factored) if not ok.all()})
        warnings.warn(f"the empirical NTK at w0 is singular at widths {failed} (too few parameters or "
                      "dead units for the training inputs): test_gap_empirical and norm_gap_empirical are "
                      "NaN there. The closed-form comparisons are unaffected.", PrecisionWarning, stacklevel=2)
    return FiniteWidthCheck(widths=jnp.asarray(widths), **fields)
