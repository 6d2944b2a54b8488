"""Matplotlib figures of the papers, one function per figure; each returns the Figure.

Importing this subpackage imports matplotlib; the rest of kdntk does not.
"""

from kdntk.plotting._inefficiency import plot_inefficiency as plot_inefficiency
from kdntk.plotting._inefficiency import plot_effective_logits as plot_effective_logits

__all__ = [
    "plot_effective_logits",
    "plot_inefficiency",
]
