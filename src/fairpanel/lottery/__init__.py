"""Verifiable lottery draws and exact selection probabilities.

A draw depends only on the seed text, the submission ids and their weights; its
certificate lets anyone recompute it (``fairpanel verify-draw``).
:func:`inclusion_probabilities` loads on first use (SPEC 1): a rank allocation, which
only breaks ties by lot, never needs its quadrature.
"""

from typing import TYPE_CHECKING, Any

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
from fairpanel.lottery._verify import VerificationResult, verify_certificate

if TYPE_CHECKING:
    from fairpanel.lottery._probability import inclusion_probabilities

__all__ = [
    "ALGORITHM",
    "ALGORITHM_VERSION",
    "DrawCertificate",
    "DrawResult",
    "VerificationResult",
    "canonical_inputs",
    "draw",
    "entrant_uniform",
    "inclusion_probabilities",
    "input_checksum",
    "verify_certificate",
]


def __getattr__(name: str) -> Any:
    if name == "inclusion_probabilities":
        from fairpanel.lottery._probability import inclusion_probabilities

        globals()[name] = inclusion_probabilities  # resolved once
        return inclusion_probabilities
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
