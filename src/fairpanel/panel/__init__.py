"""The panel model: one design object and one REML fit for every model of a panel.

A :class:`Panel` holds one number per review (its rubric total) with the submission and
the reviewer as integer codes; :func:`fit_reml` estimates the submission, reviewer and
residual variance components of the crossed random-effects model on it. Reliability
(the ICC family) and scoring (the empirical-Bayes scorer, the Gibbs sampler) both start
from these two.
"""

from fairpanel.panel._build import from_reviews
from fairpanel.panel._matrix import as_panel, from_codes, from_matrix
from fairpanel.panel._panel import Panel
from fairpanel.panel._reml import VarianceComponents, fit_reml

__all__ = [
    "Panel",
    "VarianceComponents",
    "as_panel",
    "fit_reml",
    "from_codes",
    "from_matrix",
    "from_reviews",
]
