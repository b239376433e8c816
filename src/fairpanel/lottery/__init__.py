"""Verifiable lottery draws and exact selection probabilities.

A draw depends only on the seed text, the submission ids and their weights; its
certificate lets anyone recompute it (``fairpanel verify-draw``).
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
from fairpanel.lottery._probability import inclusion_probabilities
from fairpanel.lottery._verify import VerificationResult, verify_certificate

__all__ = [
    "ALGORITHM",
    "ALGORITHM_VERSION",
    "MAX_CERTIFICATE_ENTRANTS",
    "Commitment",
    "DrawCertificate",
    "DrawResult",
    "VerificationResult",
    "allocation_differences",
    "canonical_inputs",
    "check_work",
    "commitment_differences",
    "draw",
    "entrant_uniform",
    "explain_no_draw",
    "inclusion_probabilities",
    "input_checksum",
    "no_draw_certificate",
    "verify_certificate",
]
