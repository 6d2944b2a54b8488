"""The demo (`make demo`) runs end to end at small size, prints its table, writes its figures, and
its numbers reproduce the orderings of Figs. 3 and 4 that it exists to show.

One test: the demo runs once (a module fixture would run once per xdist worker that gets one of
its tests)."""

import io

import numpy as np

from kdntk import demo


def _gap_in_standard_errors(rows, high, low):
    (hi, se_hi), (lo, se_lo) = rows[high], rows[low]
    return (hi - lo) / np.hypot(se_hi, se_lo)


def test_demo_writes_its_table_and_figures_and_shows_the_papers_orderings(tmp_path):
    """Beyond the files: each gap of the average inefficiency (slope 16 -> 32 at this size) must
    exceed 5 standard errors:
    - Fig. 3's references: random logits (white noise) far above the zero function;
    - Fig. 4 right with a trained teacher: rho = 0.1 above rho = 1 (make demo, 200 trials:
      0.407 +- 0.008 against 0.103 +- 0.002);
    - the digits section (10 classes, an MLP teacher at 92 % pool accuracy, T = 4): rho = 0.1
      above rho = 1 (make demo: 0.370 +- 0.002 against 0.234 +- 0.001)."""
    stream = io.StringIO()
    result = demo.run(str(tmp_path), num_trials=40, sample_sizes=(8, 16, 32), oracle_epochs=64,
                      zero_init_trials=1, stream=stream)
    text = stream.getvalue()
    assert "fig3_modes" in text and "random logits" in text and "rho=0.1" in text
    assert "p_flip=0.5 [z0=0]" in text and "~0.8" in text           # both inits; the paper's values
    for name in ("fig3_modes.png", "fig3_flips.png", "fig4_soft_ratio.png", "fig3_flips_zero.png",
                 "digits_classes.png", "inefficiency.csv"):
        assert (tmp_path / name).stat().st_size > 1000, name
    rows = {label: (slope, se) for _, label, _, _, slope, se in result["rows"]}
    for high, low in (("random logits", "zero function"), ("rho=0.1", "rho=1"),
                      ("digits rho=0.1", "digits rho=1")):
        z = _gap_in_standard_errors(rows, high, low)
        assert z > 5, (high, low, z, rows[high], rows[low])
