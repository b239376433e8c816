"""Calibrated scores, reviewer leniency and expected ranks with honest uncertainty.

The Swiss National Science Foundation's Bayesian panel model (Heyard et al. 2022), fitted
by a vectorised blocked Gibbs sampler or by an empirical-Bayes (REML) fast path, on the
rubric totals of each review. See ``docs/scoring.md``.
"""

from fairpanel.scoring._diagnostics import ess_bulk, rhat
from fairpanel.scoring._dpr import DprCheck, dpr_checks
from fairpanel.scoring._panels import panels_linked, score_by_panel
from fairpanel.scoring._result import Diagnostics, ScoreResult
from fairpanel.scoring._score import METHODS, score

__all__ = [
    "METHODS",
    "Diagnostics",
    "DprCheck",
    "ScoreResult",
    "dpr_checks",
    "ess_bulk",
    "panels_linked",
    "rhat",
    "score",
    "score_by_panel",
]
