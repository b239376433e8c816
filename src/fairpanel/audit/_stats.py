"""Closed-form intervals and tests for selection rates, vectorized over groups.

Every function takes counts as arrays (selected ``k`` out of ``n`` applicants) and
returns arrays, so one call covers all groups of an attribute. Undefined values (a rate
of a group with no applicants, a log interval with a zero count) are ``nan``, never an
exception: the caller decides what to show.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

__all__ = [
    "CONFIDENCE",
    "fisher_pair",
    "katz_ratio",
    "newcombe_difference",
    "omnibus_test",
    "wilson_interval",
    "woolf_odds_ratio",
]

#: Every interval of the audit is a 95% interval; one constant, so reports can say so.
CONFIDENCE: Final[float] = 0.95
_Z: Final[float] = float(stats.norm.ppf(0.5 + CONFIDENCE / 2))

Float = NDArray[np.float64]


def _f(x: ArrayLike) -> Float:
    return np.asarray(x, dtype=np.float64)


def wilson_interval(k: ArrayLike, n: ArrayLike, *, z: float = _Z) -> tuple[Float, Float]:
    """Wilson (1927) score interval for a proportion ``k / n``.

    The interval is the set of ``p`` not rejected by the score test,
    ``(k + z²/2) / (n + z²) ± z / (n + z²) · sqrt(k (n − k) / n + z²/4)``; it stays in
    [0, 1] and keeps near-nominal coverage for small ``n`` and rates near 0 or 1, where
    the Wald interval fails (Brown, Cai & DasGupta 2001). ``nan`` when ``n = 0``.

    Parameters
    ----------
    k : array_like
        Selected counts, one per group; ``0 <= k <= n``.
    n : array_like
        Applicant counts, broadcast against ``k``.
    z : float, optional
        The normal quantile of the interval; default ≈ 1.96, for the audit's 95%
        (:data:`CONFIDENCE`).

    Returns
    -------
    lo, hi : ndarray of float
        The bounds, in [0, 1].

    Examples
    --------
    >>> lo, hi = wilson_interval([0, 5], [10, 10])
    >>> lo.round(4).tolist(), hi.round(4).tolist()
    ([0.0, 0.2366], [0.2775, 0.7634])
    """
    k, n = _f(k), _f(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = n + z * z
        centre = (k + z * z / 2) / denom
        half = z / denom * np.sqrt(k * (n - k) / n + z * z / 4)
        lo = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
        hi = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    # Exact ends: the Wilson bound at k = 0 (or k = n) is 0 (or 1) analytically.
    lo = np.where((k == 0) & (n > 0), 0.0, lo)
    hi = np.where((k == n) & (n > 0), 1.0, hi)
    return lo, hi


def newcombe_difference(
    k1: ArrayLike, n1: ArrayLike, k2: ArrayLike, n2: ArrayLike, *, z: float = _Z
) -> tuple[Float, Float, Float]:
    """Newcombe (1998) hybrid score interval for ``p1 − p2`` (his method 10).

    With Wilson limits ``(l_i, u_i)`` of each proportion,
    ``L = d − sqrt((p1 − l1)² + (u2 − p2)²)`` and ``U = d + sqrt((u1 − p1)² + (p2 − l2)²)``.

    Parameters
    ----------
    k1, n1 : array_like
        Selected and applicants of group 1 (the compared group), one entry per
        comparison; ``0 <= k1 <= n1``.
    k2, n2 : array_like
        The same for group 2 (the reference group), broadcast against group 1.
    z : float, optional
        The normal quantile of the interval; default ≈ 1.96, for the audit's 95%
        (:data:`CONFIDENCE`).

    Returns
    -------
    difference, lo, hi : ndarray of float
        ``p1 − p2`` and its interval; ``nan`` where a group has no applicants.
    """
    k1, n1, k2, n2 = _f(k1), _f(n1), _f(k2), _f(n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1, z=z)
    l2, u2 = wilson_interval(k2, n2, z=z)
    d = p1 - p2
    lo = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, lo, hi


def katz_ratio(
    k1: ArrayLike, n1: ArrayLike, k2: ArrayLike, n2: ArrayLike, *, z: float = _Z
) -> tuple[Float, Float, Float]:
    """Rate ratio ``p1 / p2`` with the Katz et al. (1978) log interval.

    ``exp(log RR ± z · sqrt(1/k1 − 1/n1 + 1/k2 − 1/n2))``. The interval is undefined
    (``nan``) when either selected count is zero; no continuity correction is added,
    because an invented half-count would be reported as if it were data.

    Parameters
    ----------
    k1, n1 : array_like
        Selected and applicants of group 1 (the compared group), one entry per
        comparison; ``0 <= k1 <= n1``.
    k2, n2 : array_like
        The same for group 2 (the reference group), broadcast against group 1.
    z : float, optional
        The normal quantile of the interval; default ≈ 1.96, for the audit's 95%
        (:data:`CONFIDENCE`).

    Returns
    -------
    ratio, lo, hi : ndarray of float
        ``p1 / p2`` and its interval (``inf`` or ``nan`` ratio when ``p2 = 0``).
    """
    k1, n1, k2, n2 = _f(k1), _f(n1), _f(k2), _f(n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        rr = (k1 / n1) / (k2 / n2)
        se = np.sqrt(1 / k1 - 1 / n1 + 1 / k2 - 1 / n2)
        ok = (k1 > 0) & (k2 > 0)
        lo = np.where(ok, np.exp(np.log(rr) - z * se), np.nan)
        hi = np.where(ok, np.exp(np.log(rr) + z * se), np.nan)
    return rr, lo, hi


def woolf_odds_ratio(
    k1: ArrayLike, n1: ArrayLike, k2: ArrayLike, n2: ArrayLike, *, z: float = _Z
) -> tuple[Float, Float, Float]:
    """Sample odds ratio of selection, group 1 over group 2, with Woolf's (1955) interval.

    ``OR = k1 (n2 − k2) / ((n1 − k1) k2)``, interval ``exp(log OR ± z · sqrt(Σ 1/cell))``;
    ``nan`` bounds when a cell is zero (no continuity correction, as for the ratio).

    Parameters
    ----------
    k1, n1 : array_like
        Selected and applicants of group 1 (the compared group), one entry per
        comparison; ``0 <= k1 <= n1``.
    k2, n2 : array_like
        The same for group 2 (the reference group), broadcast against group 1.
    z : float, optional
        The normal quantile of the interval; default ≈ 1.96, for the audit's 95%
        (:data:`CONFIDENCE`).

    Returns
    -------
    odds_ratio, lo, hi : ndarray of float
        The sample odds ratio (``inf`` or ``nan`` when a denominator cell is zero) and
        its interval.
    """
    k1, n1, k2, n2 = _f(k1), _f(n1), _f(k2), _f(n2)
    a, b, c, d = k1, n1 - k1, k2, n2 - k2
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = (a * d) / (b * c)
        se = np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
        ok = (a > 0) & (b > 0) & (c > 0) & (d > 0)
        lo = np.where(ok, np.exp(np.log(odds) - z * se), np.nan)
        hi = np.where(ok, np.exp(np.log(odds) + z * se), np.nan)
    return odds, lo, hi


def fisher_pair(k1: ArrayLike, n1: ArrayLike, k2: ArrayLike, n2: ArrayLike) -> Float:
    """Two-sided Fisher exact p-values, one per pair of groups (``scipy.stats.fisher_exact``)."""
    k1a, n1a, k2a, n2a = (np.asarray(x, dtype=np.int64) for x in (k1, n1, k2, n2))
    out = np.full(k1a.shape, np.nan)
    for i in range(k1a.size):  # one call per compared group (a handful), not per applicant
        if n1a.flat[i] > 0 and n2a.flat[i] > 0:
            table = [
                [k1a.flat[i], n1a.flat[i] - k1a.flat[i]],
                [k2a.flat[i], n2a.flat[i] - k2a.flat[i]],
            ]
            out.flat[i] = stats.fisher_exact(table).pvalue
    return out


def omnibus_test(k: ArrayLike, n: ArrayLike) -> tuple[str, float, float, int, float]:
    """Test that all groups share one selection rate.

    Two groups: Fisher's exact test (no statistic; ``nan``). More: Pearson's chi-square
    test of the groups × {selected, not selected} table (``scipy.stats.chi2_contingency``,
    no continuity correction). Returns ``(test, statistic, p_value, dof, min_expected)``;
    the caller warns when the smallest expected count is below 5, the usual rule under
    which the chi-square approximation is trusted (Cochran 1954).
    """
    ka, na = np.asarray(k, dtype=np.int64), np.asarray(n, dtype=np.int64)
    keep = na > 0
    ka, na = ka[keep], na[keep]
    table = np.column_stack([ka, na - ka])
    if ka.size < 2:
        return ("none", float("nan"), float("nan"), 0, float("nan"))
    col = table.sum(axis=0)
    expected = np.outer(na, col) / max(int(na.sum()), 1)
    min_expected = float(expected.min())
    if ka.size == 2:
        return (
            "fisher_exact",
            float("nan"),
            float(stats.fisher_exact(table).pvalue),
            1,
            min_expected,
        )
    if (col == 0).any():  # everyone or no one selected: no variation to test
        return ("chi2_independence", 0.0, 1.0, int(ka.size - 1), min_expected)
    res = stats.chi2_contingency(table, correction=False)
    return (
        "chi2_independence",
        float(res.statistic),
        float(res.pvalue),
        int(res.dof),
        min_expected,
    )
