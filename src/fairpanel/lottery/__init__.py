"""Verifiable lottery draws and exact selection probabilities.

A draw depends only on the seed text, the submission ids and their weights; its
certificate lets anyone recompute it (``fairpanel verify-draw``). A quota lottery draws
one panel from a maximin distribution over the panels its quotas allow
(:func:`maximin_distribution`, :func:`draw_panel`); its certificate lists the panels.
:func:`inclusion_probabilities` imports scipy only when it runs: a rank allocation, which
only breaks ties by lot, never needs its quadrature.
"""

from fairpanel.lottery._commit import Commitment, commitment_differences
from fairpanel.lottery._custody import (
    MAX_CERTIFICATE_ENTRANTS,
    allocation_differences,
    check_work,
    explain_no_draw,
    no_draw_certificate,
)
from fairpanel.lottery._draw import (
    ALGORITHM,
    ALGORITHM_VERSION,
    DrawCertificate,
    DrawResult,
    canonical_inputs,
    draw,
    entrant_uniform,
    input_checksum,
)
from fairpanel.lottery._panel import PANEL_CONTEXT, certificate_panel, of_panel, with_panel
from fairpanel.lottery._probability import inclusion_probabilities
from fairpanel.lottery._quota_draw import QUOTA_ALGORITHM, QuotaDrawCertificate, draw_panel
from fairpanel.lottery._quota_grid import PanelDistribution
from fairpanel.lottery._quota_maximin import maximin_distribution
from fairpanel.lottery._quota_problem import QuotaProblem, check_quota_feasibility
from fairpanel.lottery._quota_verify import (
    certificate_from_dict,
    is_panel_certificate,
    verify_quota_certificate,
)
from fairpanel.lottery._verify import VerificationResult, verify_certificate
from fairpanel.lottery._view import describe_certificate

__all__ = [
    "ALGORITHM",
    "ALGORITHM_VERSION",
    "MAX_CERTIFICATE_ENTRANTS",
    "PANEL_CONTEXT",
    "QUOTA_ALGORITHM",
    "Commitment",
    "DrawCertificate",
    "DrawResult",
    "PanelDistribution",
    "QuotaDrawCertificate",
    "QuotaProblem",
    "VerificationResult",
    "allocation_differences",
    "canonical_inputs",
    "certificate_from_dict",
    "certificate_panel",
    "check_quota_feasibility",
    "check_work",
    "commitment_differences",
    "describe_certificate",
    "draw",
    "draw_panel",
    "entrant_uniform",
    "explain_no_draw",
    "inclusion_probabilities",
    "input_checksum",
    "is_panel_certificate",
    "maximin_distribution",
    "no_draw_certificate",
    "of_panel",
    "verify_certificate",
    "verify_quota_certificate",
    "with_panel",
]
