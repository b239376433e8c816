"""Rater reliability: intraclass correlations and Krippendorff's α."""

from fairpanel.reliability._alpha import LEVELS, krippendorff_alpha
from fairpanel.reliability._icc import ICC_COLUMNS, icc
from fairpanel.reliability._result import ReliabilityResult, reliability

__all__ = [
    "ICC_COLUMNS",
    "LEVELS",
    "ReliabilityResult",
    "icc",
    "krippendorff_alpha",
    "reliability",
]
