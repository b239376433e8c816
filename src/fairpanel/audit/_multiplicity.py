"""Multiplicity: adjusted p-values for a family of comparisons, in one home.

An audit makes many comparisons at once (each group against the reference, for each
attribute, intersection, stratum and cycle); at the 5 % level one in twenty tests of a
true null comes out "significant" by chance. Holm's (1979) step-down adjustment controls
the family-wise error rate (the chance of any false finding) under any dependence;
Benjamini & Hochberg's (1995) step-up adjustment controls the false discovery rate (the
expected share of false findings among those reported) under independence or positive
dependence. Both are vectorized kernels, tested against
``statsmodels.stats.multitest.multipletests`` (which forces a garbage collection on each
call, a tenth of a second here).
"""

from __future__ import annotations

from typing import Final, Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "ADJUST_METHODS",
    "DEFAULT_ADJUST",
    "ERR_ADJUST",
    "MULTIPLICITY_COLUMNS",
    "Adjust",
    "adjust_p",
    "benjamini_hochberg",
    "check_adjust",
    "holm",
]

#: The adjustments the audit offers: ``holm`` (family-wise error) or ``bh`` (false
#: discovery rate).
Adjust = Literal["holm", "bh"]
ADJUST_METHODS: Final[tuple[str, ...]] = get_args(Adjust)
DEFAULT_ADJUST: Final[Adjust] = "holm"
#: The family of comparisons as published: each member, where it comes from, its p-value
#: before and after adjustment, and whether it survives at 5 %.
MULTIPLICITY_COLUMNS: Final[tuple[str, ...]] = (
    "method",
    "table",
    "attribute",
    "group",
    "reference",
    "stratum",
    "test",
    "p_value",
    "adjusted_p_value",
    "survives",
)
ERR_ADJUST = "adjust must be one of {allowed}, not {value!r}"


def holm(p: ArrayLike) -> NDArray[np.float64]:
    """Holm (1979) step-down adjusted p-values: ``max_{j ≤ i} min(1, (m − j + 1) p_(j))``.

    Parameters
    ----------
    p : array_like
        The unadjusted p-values of one family (finite, in [0, 1]).

    Returns
    -------
    ndarray of float
        The adjusted p-values, in the order given.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    q = np.asarray(p, dtype=np.float64)
    m = q.size
    order = np.argsort(q, kind="stable")
    stepped = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * q[order]))
    out = np.empty(m)
    out[order] = stepped
    return out


def benjamini_hochberg(p: ArrayLike) -> NDArray[np.float64]:
    """Benjamini & Hochberg (1995) step-up adjusted p-values (false discovery rate).

    ``min_{j ≥ i} min(1, m p_(j) / j)`` over the sorted p-values.

    Parameters
    ----------
    p : array_like
        The unadjusted p-values of one family (finite, in [0, 1]).

    Returns
    -------
    ndarray of float
        The adjusted p-values, in the order given.

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.04, 0.04]
    """
    q = np.asarray(p, dtype=np.float64)
    m = q.size
    order = np.argsort(q, kind="stable")
    scaled = q[order] * m / np.arange(1, m + 1)
    stepped = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    out = np.empty(m)
    out[order] = stepped
    return out


def check_adjust(method: object) -> Adjust:
    """Return ``method`` if it is one of :data:`ADJUST_METHODS`, else raise ``ValueError``.

    Parameters
    ----------
    method : object
        The adjustment asked for.
    """
    if method not in ADJUST_METHODS:
        raise ValueError(ERR_ADJUST.format(allowed=", ".join(ADJUST_METHODS), value=method))
    return method  # type: ignore[return-value]


def adjust_p(p: ArrayLike, method: Adjust = DEFAULT_ADJUST) -> NDArray[np.float64]:
    """Adjust the p-values of one family; missing ones (``nan``) stay missing, outside it.

    A withheld or undefined comparison takes no part in the family, so the adjusted
    values of the published ones reveal nothing about it.

    Parameters
    ----------
    p : array_like
        The unadjusted p-values, ``nan`` for those not in the family.
    method : {"holm", "bh"}
        Holm (family-wise error) or Benjamini–Hochberg (false discovery rate).

    Returns
    -------
    ndarray of float
        The adjusted p-values (``nan`` where ``p`` is).

    Examples
    --------
    >>> adjust_p([0.01, float("nan"), 0.04]).tolist()
    [0.02, nan, 0.04]
    """
    kernel = holm if check_adjust(method) == "holm" else benjamini_hochberg
    q = np.asarray(p, dtype=np.float64)
    out = np.full(q.shape, np.nan)
    inside = np.isfinite(q)
    if inside.any():
        out[inside] = kernel(q[inside])
    return out
