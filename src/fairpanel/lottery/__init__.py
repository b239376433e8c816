"""Verifiable lottery draws and exact selection probabilities.

A draw depends only on the seed text, the submission ids and their weights; its
certificate lets anyone recompute it (``fairpanel verify-draw``).
"""

from fairpanel.lottery._draw import (
    ALGORITHM,
    ALGORITHM_VERSION,
    DrawCertificate,
    DrawResult,
    VerificationResult,
    draw,
    entrant_uniform,
    input_checksum,
    verify_certificate,
)
from fairpanel.lottery._probability import inclusion_probabilities

__all__ = [
    "ALGORITHM",
    "ALGORITHM_VERSION",
    "DrawCertificate",
    "DrawResult",
    "VerificationResult",
    "draw",
    "entrant_uniform",
    "inclusion_probabilities",
    "input_checksum",
    "verify_certificate",
]
