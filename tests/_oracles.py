"""Independent reference implementations used as test oracles (no kdntk imports here).

- ``mp_effective_logit``: the root of Ji & Zhu Eq. 3 by bisection in mpmath at high precision.
- ``relu_kernels``: the closed-form ReLU NTK / NNGP of the NTK-parameterized MLP (Eq. 1) by the
  arc-cosine recursion (Cho & Saul 2009; Jacot et al. 2018), written from scratch in numpy.
- ``brent_effective_logit``: the root of Eq. 3 by scipy's brentq in float64.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import scipy.optimize


def _mp_sigmoid(x):
    return 1 / (1 + mpmath.exp(-x))


def mp_eq3(z, z_t, y_g, rho, T):
    """g(z) = (rho/T)(sigma(z/T) - sigma(z_t/T)) + (1 - rho)(sigma(z) - y_g), Eq. 3, in mpmath."""
    return rho / T * (_mp_sigmoid(z / T) - _mp_sigmoid(z_t / T)) + (1 - rho) * (_mp_sigmoid(z) - y_g)


def mp_effective_logit(z_t, y_g, rho, T, *, dps=300, rtol=1e-16):
    """Root of Eq. 3 in z by bisection at ``dps`` decimal digits; returns a Python float.

    g is increasing in z; the bracket is grown by doubling from z_t until g changes sign.
    """
    with mpmath.workdps(dps):
        z_t, y_g, rho, T = (mpmath.mpf(float(v)) for v in (z_t, y_g, rho, T))
        if rho == 1:
            return float(z_t)
        if rho == 0:
            if y_g in (0, 1):
                return math.inf if y_g == 1 else -math.inf
            return float(mpmath.log(y_g / (1 - y_g)))
        g = lambda z: mp_eq3(z, z_t, y_g, rho, T)  # noqa: E731
        g0 = g(z_t)
        if g0 == 0:
            return float(z_t)
        step = mpmath.mpf(1)
        if g0 < 0:
            lo, hi = z_t, z_t + step
            while g(hi) < 0:
                lo, hi, step = hi, hi + 2 * step, 2 * step
        else:
            lo, hi = z_t - step, z_t
            while g(lo) > 0:
                lo, hi, step = lo - 2 * step, lo, 2 * step
        while hi - lo > rtol * max(1, abs(lo), abs(hi)):
            mid = (lo + hi) / 2
            if g(mid) < 0:
                lo = mid
            else:
                hi = mid
        return float((lo + hi) / 2)


def brent_effective_logit(z_t, y_g, rho, T):
    """Root of Eq. 3 by scipy.optimize.brentq in float64 (moderate arguments, 0 < rho < 1)."""
    sig = lambda x: 0.5 * (1 + math.tanh(x / 2))  # noqa: E731
    g = lambda z: rho / T * (sig(z / T) - sig(z_t / T)) + (1 - rho) * (sig(z) - y_g)  # noqa: E731
    lo, hi = z_t - 1.0, z_t + 1.0
    while g(lo) > 0:
        lo -= 2 * (hi - lo)
    while g(hi) < 0:
        hi += 2 * (hi - lo)
    return scipy.optimize.brentq(g, lo, hi, xtol=1e-13, rtol=1e-14, maxiter=500)


def _relu_expectations(k11, k22, k12):
    """E[relu(u) relu(v)] and E[1{u>0} 1{v>0}] for (u, v) ~ N(0, [[k11, k12], [k12, k22]])."""
    norm = np.sqrt(k11 * k22)
    cos = np.clip(k12 / norm, -1.0, 1.0)
    angle = np.arccos(cos)
    e_relu = norm / (2 * np.pi) * (np.sin(angle) + (np.pi - angle) * cos)
    e_step = (np.pi - angle) / (2 * np.pi)
    return e_relu, e_step


def relu_kernels(x1, x2, depth, W_std=1.0, b_std=1.0):
    """(NTK, NNGP) of the ReLU MLP of Eq. 1 (NTK parameterization, ``depth`` hidden layers).

    Sigma^1 = sigma_W^2 x.x'/d + sigma_b^2 and Theta^1 = Sigma^1; then for each hidden ReLU
    layer followed by a dense layer (the last one being the readout):
    Sigma <- sigma_W^2 E[relu relu] + sigma_b^2, Sigma_dot = sigma_W^2 E[step step],
    Theta <- Sigma_new + Theta * Sigma_dot.
    """
    x1, x2 = np.asarray(x1, np.float64), np.asarray(x2, np.float64)
    d = x1.shape[1]
    w2, b2 = W_std**2, b_std**2
    s12 = w2 * x1 @ x2.T / d + b2
    s11 = w2 * np.sum(x1 * x1, 1) / d + b2
    s22 = w2 * np.sum(x2 * x2, 1) / d + b2
    theta = s12.copy()
    for _ in range(depth):
        e12, step12 = _relu_expectations(s11[:, None], s22[None, :], s12)
        e11, _ = _relu_expectations(s11, s11, s11)
        e22, _ = _relu_expectations(s22, s22, s22)
        s12 = w2 * e12 + b2
        s11 = w2 * e11 + b2
        s22 = w2 * e22 + b2
        theta = s12 + theta * (w2 * step12)
    return theta, s12
