"""Tests of kdntk.random_features (against the arc-cosine kernel, Cho & Saul 2009) and of the noisy
MNIST stand-in (its stated label-noise rate and ranges); cross-entropy training against explicit
numpy steps and the C.4 / Fig. 20 claim."""

import jax
import numpy as np
import pytest
from scipy.special import softmax

from kdntk.nagarajan._random_features import cross_entropy_feature_trajectory, random_relu_features
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


@pytest.fixture(scope="module")
def standin():
    """2000 stand-in points (8 x 8, 25% label noise): one compiled sampler serves both tests that use it."""
    return noisy_mnist_standin(jax.random.key(1), 2000, side=8, label_noise=0.25)


def test_mnist_standin_label_noise_rate_and_ranges(standin):
    x, y, c = (np.asarray(a) for a in standin)
    assert x.shape == (2000, 64) and x.min() >= 0 and x.max() <= 1
    rate = np.mean(y != c)
    assert abs(rate - 0.25) < 4 * np.sqrt(0.25 * 0.75 / 2000)
    # same prototypes -> same class means across independent draws
    e = noisy_mnist_standin(jax.random.key(2), 2000, side=8,
                            prototype_key=jax.random.split(jax.random.key(1), 5)[0])
    xe, ce = np.asarray(e.inputs), np.asarray(e.clean_labels)
    m1, m2 = x[c == 3].mean(0), xe[ce == 3].mean(0)
    assert np.abs(m1 - m2).max() < 0.1


@pytest.mark.parametrize("link", ["softmax", "sigmoid"])
def test_cross_entropy_trajectory_matches_explicit_python_steps(link):
    rng = np.random.default_rng(4)
    phi = rng.normal(size=(7, 12)) / 3
    q = softmax(rng.normal(size=(7, 3)), axis=-1)
    lr, T, dirs = 0.7, 2.0, (0, 4)
    got = cross_entropy_feature_trajectory(phi, q, steps=4, learning_rate=lr, directions=dirs,
                                           temperature=T, link=link)
    lam, U = np.linalg.eigh(phi @ phi.T)
    lam, U = lam[::-1], U[:, ::-1]
    v = phi.T @ U[:, dirs] / np.sqrt(lam[list(dirs)])
    w, proj = np.zeros((12, 3)), [np.zeros(2)]
    for _ in range(4):
        z = phi @ w / T
        p = softmax(z, axis=-1) if link == "softmax" else 1 / (1 + np.exp(-z))
        w = w - lr * phi.T @ (p - q) / (7 * T)  # d/dW of the mean cross-entropy, both links
        proj.append(np.linalg.norm(v.T @ w, axis=-1))
    np.testing.assert_allclose(got.weights, w, rtol=1e-10)
    np.testing.assert_allclose(got.projections, np.array(proj), rtol=1e-10, atol=1e-14)


def test_cross_entropy_student_lags_teacher_on_bottom_direction(standin):
    """C.4 / Fig. 20: when the top coordinate reaches 90% of the teacher's final value, the distilled
    student (T = 5) has made far less progress on a bottom eigendirection than the teacher had.

    On the first 32 fixture points (and on the next three disjoint 32-point blocks, checked once) the
    student gets there in 486-829 steps vs the teacher's 1015-1111, its bottom coordinate is 0.08-0.11
    of the teacher's (asserted: < 0.5) and the teacher has 0.72-0.78 of its final bottom value (> 0.3)."""
    n = 32
    labels = standin.labels[:n]
    phi = random_relu_features(jax.random.key(1), standin.inputs[:n], num_features=400)
    lr = n / float(np.linalg.eigvalsh(np.asarray(phi @ phi.T))[-1])
    dirs, T = (1, 20), 5.0
    te = cross_entropy_feature_trajectory(phi, jax.nn.one_hot(labels, 10), steps=1500, learning_rate=lr,
                                          directions=dirs)
    st = cross_entropy_feature_trajectory(phi, jax.nn.softmax(te.logits / T), steps=1500, learning_rate=lr * T**2,
                                          directions=dirs, temperature=T)
    P, S = np.asarray(te.projections), np.asarray(st.projections)
    x_final, y_final = P[-1]
    i_te, i_st = np.argmax(P[:, 0] >= 0.9 * x_final), np.argmax(S[:, 0] >= 0.9 * x_final)
    assert S[i_st, 0] >= 0.9 * x_final  # the student does reach it
    assert i_st < i_te  # ... sooner than the teacher
    assert S[i_st, 1] < 0.5 * P[i_te, 1]  # with much less progress along the bottom direction
    assert P[i_te, 1] > 0.3 * y_final
