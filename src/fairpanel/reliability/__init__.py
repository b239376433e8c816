"""Rater reliability: intraclass correlations and Krippendorff's α.

:func:`assess_reliability` computes every ICC form and α at every level of measurement
in one call; ``reliability`` is the same function under the name it had before
``fairpanel.reliability`` became only the subpackage (kept so that existing code runs).
"""

from fairpanel.reliability._alpha import LEVELS, krippendorff_alpha
from fairpanel.reliability._icc import ICC_COLUMNS, icc
from fairpanel.reliability._result import ReliabilityResult, assess_reliability

#: Alias of :func:`assess_reliability`, its former name (prefer the new one).
reliability = assess_reliability

__all__ = [
    "ICC_COLUMNS",
    "LEVELS",
    "ReliabilityResult",
    "assess_reliability",
    "icc",
    "krippendorff_alpha",
    "reliability",
]
