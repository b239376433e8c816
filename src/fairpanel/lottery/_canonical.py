"""The draw procedure's name and version, and how a weight is written in canonical text.

Shared by the draw (:mod:`fairpanel.lottery._draw`) and the commitment
(:mod:`fairpanel.lottery._commit`), which hash the same canonical JSON conventions.
"""

from __future__ import annotations

from typing import Final

__all__ = ["ALGORITHM", "ALGORITHM_VERSION", "canonical_weight"]

ALGORITHM: Final = "fairpanel-sha256-es"
ALGORITHM_VERSION: Final = 2


def canonical_weight(w: float) -> int | float:
    """Write an integer-valued weight as an integer (``2.0`` -> ``2``), others as given.

    Parameters
    ----------
    w : float
        A positive weight.

    Examples
    --------
    >>> canonical_weight(2.0), canonical_weight(2.5)
    (2, 2.5)
    """
    return int(w) if float(w).is_integer() else float(w)
