"""Tests of kdntk.random_features (against the arc-cosine kernel, Cho & Saul 2009) and of the noisy
MNIST stand-in (its stated label-noise rate and ranges)."""

import jax
import numpy as np

from kdntk.random_features import random_relu_features
from kdntk.tasks._mnist_standin import noisy_mnist_standin


def test_feature_gram_matches_arccos_kernel_monte_carlo():
    rng = np.random.default_rng(0)
    d, F = 5, 40000
    x = rng.normal(size=(3, d))
    phi = np.asarray(random_relu_features(jax.random.key(0), x, num_features=F))
    got = phi @ phi.T
    cov = x @ x.T / d + 1.0  # pre-activation covariance of x W + b
    s = np.sqrt(np.diag(cov))
    cos = np.clip(cov / np.outer(s, s), -1, 1)
    th = np.arccos(cos)
    want = np.outer(s, s) / (2 * np.pi) * (np.sin(th) + (np.pi - th) * cos)
    # each entry is a mean of F iid terms with variance <= E[relu^4] ~ 1.5 s^4: sd ~ 1.3 s^2 / sqrt(F)
    assert np.all(np.abs(got - want) < 4 * 1.3 * np.outer(s, s) / np.sqrt(F))


def test_mnist_standin_label_noise_rate_and_ranges():
    d = noisy_mnist_standin(jax.random.key(1), 2000, label_noise=0.25)
    x, y, c = (np.asarray(a) for a in d)
    assert x.shape == (2000, 784) and x.min() >= 0 and x.max() <= 1
    rate = np.mean(y != c)
    assert abs(rate - 0.25) < 4 * np.sqrt(0.25 * 0.75 / 2000)
    # same prototypes -> same class means across independent draws
    e = noisy_mnist_standin(jax.random.key(2), 2000, prototype_key=jax.random.split(jax.random.key(1), 5)[0])
    xe, ce = np.asarray(e.inputs), np.asarray(e.clean_labels)
    m1, m2 = x[c == 3].mean(0), xe[ce == 3].mean(0)
    assert np.abs(m1 - m2).max() < 0.1
