"""Formatting numbers for people: few digits, percentages, and dashes for missing."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["fmt", "pct", "slug"]

MISSING = "–"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt(value: Any, digits: int = 3) -> str:
    """Format a number with ``digits`` significant digits; text passes through."""
    if _missing(value):
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e6:
            return str(int(value))
        return f"{value:.{digits}g}"
    return str(value)


def pct(value: Any, digits: int = 1) -> str:
    """Format a proportion as a percentage (0.123 → ``12.3%``)."""
    if _missing(value):
        return MISSING
    return f"{100 * float(value):.{digits}f}%"


def slug(text: str) -> str:
    """Make an HTML id fragment from text (letters and digits; the rest become dashes)."""
    return "".join(ch if ch.isalnum() else "-" for ch in str(text)).strip("-").lower() or "x"
