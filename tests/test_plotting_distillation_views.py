"""The figures draw exactly the arrays they are given (read back from the matplotlib artists)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import kdntk  # noqa: E402
from kdntk import plotting  # noqa: E402


def test_plot_deviations_scatters_given_points_and_identity_line():
    rng = np.random.default_rng(0)
    d = kdntk.nagarajan.Deviations(*(rng.normal(size=n) for n in (6, 6, 4, 4)), np.zeros(6, int), np.zeros(4, int))
    mis = np.array([1, 0, 0, 1, 0, 0], bool)
    fig = plotting.plot_deviations(d, mislabeled=mis)
    ax_tr, ax_te = fig.axes
    pts = np.concatenate([c.get_offsets() for c in ax_tr.collections])
    want = np.stack([np.concatenate([d.teacher_train[~mis], d.teacher_train[mis]]),
                     np.concatenate([d.student_train[~mis], d.student_train[mis]])], 1)
    np.testing.assert_allclose(pts, want)
    np.testing.assert_allclose(ax_te.collections[0].get_offsets(), np.stack([d.teacher_test, d.student_test], 1))
    x, y = ax_te.lines[0].get_data()
    np.testing.assert_allclose(x, y)
    plt.close(fig)


def test_plot_sparsification_lines_equal_theorem_values():
    a = np.linspace(0.1, 0.9, 5)
    th = kdntk.nagarajan.sparsification_theorem(np.ones_like(a), 0.3 * np.ones_like(a), a)
    fig = plotting.plot_sparsification(a, th)
    ys = [ln.get_ydata() for ln in fig.axes[0].lines]
    np.testing.assert_allclose(ys[0], 1 - (1 - a) ** 0.3)
    np.testing.assert_allclose(ys[1], (1 - (1 - np.sqrt(a)) ** 0.3) ** 2)
    plt.close(fig)


def test_plot_eigen_trajectories_rejects_bad_shape_and_draws_data():
    tr = np.cumsum(np.ones((5, 2)), 0)
    fig = plotting.plot_eigen_trajectories(tr, 2 * tr)
    np.testing.assert_allclose(np.stack(fig.axes[0].lines[2].get_data(), 1), 2 * tr)
    plt.close(fig)
    with pytest.raises(ValueError, match="teacher"):
        plotting.plot_eigen_trajectories(np.ones(3), tr)


def test_plot_switching_and_cosines_draw_given_values():
    t = np.linspace(0, 1, 4)
    fig = plotting.plot_loss_switching(t, {"a": t**2}, t_switch=0.5, xlabel="switching time t_s")
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), t**2)
    assert fig.axes[0].get_xlabel() == "switching time t_s"
    plt.close(fig)
    fig = plotting.plot_class_cosines(np.array([0.1, 0.2]), np.array([0.3, 0.4]))
    heights = [p.get_height() for p in fig.axes[0].patches]
    np.testing.assert_allclose(heights, [0.1, 0.2, 0.3, 0.4])
    plt.close(fig)
