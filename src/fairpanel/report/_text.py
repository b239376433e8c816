"""Formatting numbers for people: few digits, percentages, and dashes for missing."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["fmt", "pct", "pct_span", "slug"]

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


def pct_span(low: Any, high: Any, digits: int = 1) -> str:
    """Format a difference's interval in percent, an end that rounds to zero as "about 0".

    An end printed as ``0.0%`` would hide whether the interval excludes zero; the
    unrounded value's sign is said in words instead.

    Parameters
    ----------
    low, high : float or None
        The interval's ends, as proportions.
    digits : int, default 1
        Decimals of the percentages.

    Examples
    --------
    >>> pct_span(-0.345, -0.0002)
    '-34.5% to about 0 (just below)'
    >>> pct_span(0.0, 0.12)
    '0.0% to 12.0%'
    """
    return f"{_pct_end(low, digits)} to {_pct_end(high, digits)}"


def _pct_end(value: Any, digits: int) -> str:
    text = pct(value, digits)
    if _missing(value) or float(value) == 0 or round(100 * float(value), digits) != 0:
        return text
    return "about 0 (just below)" if float(value) < 0 else "about 0 (just above)"


def slug(text: str) -> str:
    """Make an HTML id fragment from text (letters and digits; the rest become dashes)."""
    return "".join(ch if ch.isalnum() else "-" for ch in str(text)).strip("-").lower() or "x"
