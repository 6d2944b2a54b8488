"""Tests of kdntk.gradient_theorem against the closed forms of 001 App. B (Eqs. 17, 20, 25-26),
Monte-Carlo means with standard errors, brute-force softmax, Lemma B.1 and Theorem 4.2's claim."""

import jax
import numpy as np
import pytest

from kdntk.nagarajan._gradient_theorem import gradient_quality, similarity_probabilities


def test_similarity_probabilities_match_explicit_softmax():
    for a, tau, K in [(0.1, 3.0, 10), (0.5, 1.0, 5)]:
        f = np.zeros(K)
        f[0], f[1] = a * tau, a * tau / 2
        p = np.exp(f) / np.exp(f).sum()
        pp, pm = similarity_probabilities(a, tau, K)
        np.testing.assert_allclose([pp, pm], [p[0], p[1]], rtol=1e-12)


@pytest.fixture(scope="module")
def sample():
    return [gradient_quality(jax.random.key(i), alpha=0.05, alpha_teacher=0.2, tau=5.0, m=20, dim=50)
            for i in range(4)]


def test_parallel_parts_equal_exact_closed_form_not_papers(sample):
    r = sample[0]
    np.testing.assert_allclose(r.onehot_parallel, r.onehot_parallel_exact, rtol=1e-10)
    np.testing.assert_allclose(r.distill_parallel, r.distill_parallel_exact, rtol=1e-10)
    # the text's m tau ((1 - p+) - p-) differs by m tau p- / 2
    np.testing.assert_allclose(r.onehot_parallel - r.onehot_parallel_paper, 20 * 5.0 * r.p_minus / 2,
                               rtol=1e-10)


def test_perpendicular_norms_match_expectation_within_standard_error(sample):
    for name, mean in [("onehot_perp_sq", "onehot_perp_sq_mean"), ("distill_perp_sq", "distill_perp_sq_mean")]:
        v = np.concatenate([np.asarray(getattr(r, name)) for r in sample])  # 40 independent classes
        mu = float(getattr(sample[0], mean))
        # ||u_perp||^2 = c * chi^2_{D-1} / D: relative sd sqrt(2 / (D - 1)) = 0.2 per class
        assert abs(v.mean() - mu) < 4 * v.std(ddof=1) / np.sqrt(v.size)


def test_lemma_b1_gap_at_least_its_kappa_on_grid():
    K = 10
    for tau in [2.0, 5.0, 10.0]:
        ate = np.linspace(0.01, np.log(K - 2) / tau, 15)[:, None]  # alpha_te tau <= log(K - 2)
        a = np.linspace(0.0, 1.0, 15)[None, :] * ate
        pp, pm = (np.asarray(v) for v in similarity_probabilities(a, tau, K))
        qp, qm = (np.asarray(v) for v in similarity_probabilities(ate, tau, K))
        kappa = 1 - 3 * np.exp(-(ate - a) * tau / 2)
        assert np.all((qp - pp) / qp >= kappa - 1e-12)
        assert np.all((qm - pm) / qm >= kappa - 1e-12)


@pytest.mark.slow
def test_theorem_4_2_distillation_update_beats_onehot_and_teacher_large_tau():
    K, tau = 10, 20.0
    r = gradient_quality(jax.random.key(0), alpha=0.0, alpha_teacher=np.log(K - 2) / tau, tau=tau,
                         m=200, dim=1000, eps=1e-4)
    assert np.all(r.distill_cosine > np.maximum(r.onehot_cosine, r.teacher_cosine))
    assert np.all(r.distill_quality > r.onehot_quality)


def test_teacher_cosine_equals_one_minus_eps():
    r = gradient_quality(jax.random.key(5), alpha=0.05, alpha_teacher=0.2, tau=5.0, m=20, dim=50, eps=0.01)
    np.testing.assert_allclose(r.teacher_cosine, 0.99, rtol=1e-12)


def test_gradient_quality_rejects_bad_arguments():
    with pytest.raises(ValueError, match="tau"):
        gradient_quality(jax.random.key(0), alpha=0.1, alpha_teacher=0.2, tau=0.0, m=2, dim=5)
    with pytest.raises(ValueError, match="eps"):
        gradient_quality(jax.random.key(0), alpha=0.1, alpha_teacher=0.2, tau=1.0, m=2, dim=5, eps=2.0)
