"""Ji & Zhu figures: Fig. 1's curves against the T = 1 closed form sigma(z_eff) = rho sigma(z_t) +
(1 - rho) y_g; the other figures draw exactly the arrays they are given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import kdntk  # noqa: E402
from kdntk import plotting  # noqa: E402

INPUTS = "Gaussian N(0, 5^2 I_2), fresh draws per trial (17 points each)"   # the results' inputs field


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_fig1_curves_match_closed_form_at_unit_temperature():
    curves = kdntk.ji_zhu.effective_logit_curves(np.linspace(-6.0, 6.0, 101), soft_ratio=0.3, temperature=1.0)
    fig = plotting.plot_effective_logits_fig1(curves, curves)
    lines = fig.axes[0].get_lines()
    z, correct = (np.asarray(v) for v in lines[0].get_data())
    _, wrong = (np.asarray(v) for v in lines[1].get_data())
    y = (z > 0).astype(float)
    np.testing.assert_allclose(_sigmoid(correct), 0.3 * _sigmoid(z) + 0.7 * y, atol=1e-6)
    np.testing.assert_allclose(_sigmoid(wrong), 0.3 * _sigmoid(z) + 0.7 * (1 - y), atol=1e-6)
    plt.close(fig)


def test_figures_draw_the_given_arrays():
    n = np.array([4, 8, 16])
    curve = kdntk.TransferRiskCurve(
        sample_sizes=n, soft_ratio=np.ones(1), temperature=np.ones(1), risk=np.array([[[0.3, 0.2, 0.1]]]),
        risk_stderr=np.full((1, 1, 3), 0.01), error=np.zeros((1, 1, 3)), error_stderr=np.zeros((1, 1, 3)),
        trial_risk=np.zeros((1, 1, 2, 3)), trial_error=np.zeros((1, 1, 2, 3)), inputs=INPUTS)
    fig = plotting.plot_transfer_risk(curve, ["rho=1"])
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), [0.3, 0.2, 0.1])
    plt.close(fig)
    proj = np.array([[1.0, 2.0, 3.0], [-0.1, -0.2, -0.3]])
    curve = kdntk.ji_zhu.HardLabelCurve(
        sample_sizes=n, projection=proj, projection_stderr=0.1 * np.abs(proj), derivative=proj,
        derivative_stderr=proj, trial_projection=proj[:, None], trial_derivative=proj[:, None],
        inputs=INPUTS)
    fig = plotting.plot_hard_label_projection(curve, [4, 1024])
    ys = [c.lines[0].get_ydata() for c in fig.axes[0].containers]  # one errorbar per sample size
    np.testing.assert_allclose(np.array(ys).T, proj)
    plt.close(fig)
    x = np.linspace(-1, 1, 5)
    fig = plotting.plot_teacher_and_student_1d(x, x, np.stack([x, 2 * x]), [1, 2], np.stack([x]), [0.5])
    np.testing.assert_allclose(fig.axes[1].get_lines()[1].get_ydata(), 2 * x)
    plt.close(fig)
    fig = plotting.plot_imperfect_distillation([0.1, 0.9], [0.2, 0.3], [0.01, 0.01], teacher_error=0.25)
    plt.close(fig)
    cmp = kdntk.ji_zhu.ZeroFunctionComparison(
        sample_sizes=n, task_sq=np.array([[[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]]),
        zero_sq=np.array([[[0.1, 0.1, 0.1], [0.3, 0.1, 0.2]]]), log_ratio=np.zeros((1, 3)),
        log_ratio_stderr=np.zeros((1, 3)), inputs=INPUTS)
    fig = plotting.plot_zero_function(cmp)
    np.testing.assert_allclose(fig.axes[0].get_lines()[1].get_ydata(), [0.2, 0.1, 0.15])
    plt.close(fig)


def test_teacher_boundary_grid_matches_logit_signs():
    fig = plotting.plot_teacher_boundary(kdntk.tasks.logit_grid(lambda x: x[:, 0] - x[:, 1], extent=1.0,
                                                                resolution=5))
    img = fig.axes[1].get_images()[0].get_array()
    g = np.linspace(-1, 1, 5)
    np.testing.assert_allclose(np.asarray(img), g[None, :] - g[:, None])
    plt.close(fig)


def test_inefficiency_by_epoch_plots_one_curve_per_epoch():
    ones = np.ones((2, 1, 3))
    res = kdntk.DataInefficiency(
        sample_sizes=np.array([2, 4, 8]), soft_ratio=np.ones(1), temperature=np.ones(1),
        inefficiency=ones, inefficiency_stderr=ones, mean_norm=ones, std_norm=ones,
        norms=np.ones((2, 1, 4, 3)), next_norms=np.ones((2, 1, 4, 3)), slope=ones, slope_stderr=ones,
        window=np.sqrt(2.0), inputs=INPUTS)
    fig = plotting.plot_inefficiency_by_epoch(res, [8, 512])
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["epoch 8", "epoch 512"]
    plt.close(fig)
