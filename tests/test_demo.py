"""The demo (`make demo`) runs end to end at small size, prints its table, writes its figures, and
its numbers reproduce the orderings of Figs. 3 and 4 that it exists to show."""

import io

import numpy as np
import pytest

from kdntk import demo


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    stream = io.StringIO()
    result = demo.run(str(out), num_trials=40, sample_sizes=(8, 16, 32), oracle_epochs=64, stream=stream)
    return out, stream.getvalue(), result


def test_demo_writes_table_and_figures(small_demo):
    out, text, _ = small_demo
    assert "fig3_modes" in text and "random logits" in text and "rho=0.1" in text
    assert "p_flip=0.5 [z0=0]" in text and "~0.8" in text           # both inits; the paper's values
    for name in ("fig3_modes.png", "fig3_flips.png", "fig4_soft_ratio.png", "fig3_flips_zero.png",
                 "digits_classes.png", "inefficiency.csv"):
        assert (out / name).stat().st_size > 1000


def test_demo_random_logits_above_zero_function(small_demo):
    """Fig. 3's references: random logits (white noise) are far less data efficient than the
    zero function. The gap of the average inefficiency must exceed 5 standard errors."""
    rows = {label: (slope, se) for _, label, _, _, slope, se in small_demo[2]["rows"]}
    (hi, se_hi), (lo, se_lo) = rows["random logits"], rows["zero function"]
    assert hi - lo > 5 * np.hypot(se_hi, se_lo)


def test_demo_hard_labels_raise_the_trained_teachers_inefficiency(small_demo):
    """Fig. 4 right with a trained teacher: rho = 0.1 is less data efficient than rho = 1. The gap
    of the average inefficiency must exceed 5 standard errors (make demo, 200 trials: 0.375 +-
    0.007 against 0.105 +- 0.002)."""
    rows = {label: (slope, se) for _, label, _, _, slope, se in small_demo[2]["rows"]}
    (hi, se_hi), (lo, se_lo) = rows["rho=0.1"], rows["rho=1"]
    assert hi - lo > 5 * np.hypot(se_hi, se_lo), (hi, se_hi, lo, se_lo)


def test_demo_hard_labels_raise_the_inefficiency_of_ten_class_kd_on_digits(small_demo):
    """The digits section (10 classes, an MLP teacher at 92 % pool accuracy, T = 4): rho = 0.1 is
    less data efficient than rho = 1 by more than 5 standard errors (make demo, 200 trials:
    0.370 +- 0.002 against 0.234 +- 0.001)."""
    rows = {label: (slope, se) for _, label, _, _, slope, se in small_demo[2]["rows"]}
    (hi, se_hi), (lo, se_lo) = rows["digits rho=0.1"], rows["digits rho=1"]
    assert hi - lo > 5 * np.hypot(se_hi, se_lo), (hi, se_hi, lo, se_lo)
