"""Figures of linear distillation / NTK risk bound: the plotted data are the arrays passed in."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import kdntk.plotting as kp  # noqa: E402


def test_figures_plot_the_given_arrays():
    theta = np.linspace(0, np.pi / 2, 5)
    fig = kp.plot_reverse_angle_cdf({"k=1": (theta, 1 - 2 * theta / np.pi)})
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), 1 - 2 * theta / np.pi)
    fig = kp.plot_risk_vs_kappa([0.5, 1, 2], [0.3, 0.2, 0.1], [0.01] * 3, bound=[0.5, 0.4, 0.3])
    np.testing.assert_allclose(fig.axes[0].lines[-1].get_ydata(), [0.5, 0.4, 0.3])
    fig = kp.plot_ntk_risk_bound([1, 2, 4], [0.3, 0.2, 0.1], [0.01] * 3, [1.0, 0.9, 0.8], [1.2, 1.0, 0.9])
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), [1.2, 1.0, 0.9])
    for fig in (kp.plot_optimization_bias([0, 10], [0.1, 0.2], [0.01, 0.01]),
                kp.plot_monotonicity({"w_hat": (1.0, 0.01, 0.0, 0.001)}),
                kp.plot_ntk_diagonal_ratio([1, 5], [np.array([0.5, 0.6]), np.array([0.26, 0.3])])):
        assert len(fig.axes) == 1
