"""The gap between the highest and the lowest selection rate, with an interval that holds.

The largest minus the smallest group rate (fairlearn's ``demographic_parity_difference``)
is biased away from zero: with equal true rates, the sample maximum of noisy rates minus
their minimum is still positive. Its percentile bootstrap inherits the bias, and on the
SNSF's MINT sections gave 0.039 to 0.222 while the chi-square test of equal rates had
p = 0.82: an interval that could not contain zero when nothing differed.

What replaces it is what a statistician can sign: **simultaneous intervals for every
pairwise difference**, and from them an interval for the gap. Each pair gets Newcombe's
hybrid score interval (method 10) with the Tukey–Kramer critical value
``z = q(0.95; G, ∞) / √2`` of the studentized range for ``G`` groups, as Agresti,
Bini, Bertaccini & Ryu (2008, *Biometrics* 64:1270) recommend for comparing several
binomial proportions (score-type intervals with the studentized-range quantile;
Tukey–Kramer is conservative for unequal sizes, Hayter 1984). If every pairwise interval
covers its difference (probability ≈ 0.95), the true gap ``R = p_a − p_b`` (``a`` the
truly highest group, ``b`` the lowest) lies in ``[max(0, max L_ij), max U_ij]`` over
ordered pairs: ``R ≥ p_i − p_j ≥ L_ij`` for every pair, and ``R = p_a − p_b ≤ U_ab``.
So the gap's interval keeps the level of the simultaneous intervals, and it contains 0
exactly when no pair differs at that level — read beside the global test (chi-square or
Fisher) in the ``tests`` table.

Why not Bonferroni (``z`` at ``1 − α / (2m)`` for the ``m`` pairs): it is guaranteed
conservative but, the pairs being correlated, over-covers with many groups (97–97.5%
for six groups of 30–60 at rates 0.2–0.3). Tukey–Kramer stays within 1.3 points of 95%
there and for large groups; it over-covers when groups expect only a handful of
selections (rate 0.1 in groups of 20–60: 96.5–99%) and, at some lattice points of equal
small groups, under-covers (six groups of 30 at rate 0.5: 92.5%). The coverage test is
in ``tests/test_audit_spread.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd
from scipy import stats

from fairpanel.audit._stats import CONFIDENCE, newcombe_difference

__all__ = [
    "PAIRWISE_COLUMNS",
    "SPREAD_COLUMNS",
    "SPREAD_METHOD",
    "gap_interval",
    "pairwise_differences",
    "rate_spread",
    "simultaneous_z",
]

SPREAD_COLUMNS: Final[tuple[str, ...]] = (
    "attribute",
    "statistic",
    "estimate",
    "ci_low",
    "ci_high",
    "highest",
    "lowest",
    "pairs",
    "method",
)
PAIRWISE_COLUMNS: Final[tuple[str, ...]] = (
    "attribute",
    "group",
    "other",
    "difference",
    "ci_low",
    "ci_high",
    "suppressed",
)
SPREAD_METHOD: Final = (
    "Newcombe intervals of every pairwise difference, simultaneous by the Tukey-Kramer "
    "critical value (studentized range); gap interval [max(0, max lower), max upper]"
)


def simultaneous_z(groups: int, *, confidence: float = CONFIDENCE) -> float:
    """Return the Tukey–Kramer critical value ``q(confidence; G, ∞) / √2`` for ``G`` groups.

    The studentized range quantile (``scipy.stats.studentized_range``) with infinite
    degrees of freedom, on the scale of a normal quantile; for two groups it is the
    ordinary two-sided 1.96.

    Parameters
    ----------
    groups : int
        The number of groups ``G`` (at least 2).
    confidence : float, default 0.95
        The simultaneous level over the ``G (G − 1) / 2`` pairs.

    Examples
    --------
    >>> round(simultaneous_z(3), 3)  # Tukey's table: q(0.95; 3, ∞) = 3.314
    2.344
    """
    if groups <= 2:
        return float(stats.norm.ppf(0.5 + confidence / 2))
    return float(stats.studentized_range.ppf(confidence, groups, np.inf) / np.sqrt(2))


def pairwise_differences(
    k: np.ndarray, n: np.ndarray, *, confidence: float = CONFIDENCE
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every pairwise difference ``p_i − p_j`` (``i < j``) with simultaneous intervals.

    Vectorized over leading axes: ``k`` and ``n`` are ``(..., G)`` arrays (a Monte
    Carlo test passes many replicates at once).

    Parameters
    ----------
    k, n : ndarray
        Selected and applicants per group, last axis the groups (``n > 0``).
    confidence : float, default 0.95
        The simultaneous level over the ``G (G − 1) / 2`` pairs.

    Returns
    -------
    i, j, difference, lo, hi : ndarray
        The pairs' group indices and, along the last axis, each pair's difference and
        Newcombe interval at the Tukey–Kramer critical value (:func:`simultaneous_z`).
    """
    groups = k.shape[-1]
    i, j = np.triu_indices(groups, 1)
    z = simultaneous_z(groups, confidence=confidence)
    d, lo, hi = newcombe_difference(k[..., i], n[..., i], k[..., j], n[..., j], z=z)
    return i, j, d, lo, hi


def gap_interval(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the interval of ``max − min`` from simultaneous intervals of the pairs.

    Over ordered pairs the lower limits are ``lo`` and ``−hi`` (the reversed pair);
    the gap is at least each of them and at least 0, and at most the largest upper
    limit (``hi`` and ``−lo``).

    Parameters
    ----------
    lo, hi : ndarray
        The simultaneous limits of ``p_i − p_j`` for the pairs ``i < j``, pairs on the
        last axis (as :func:`pairwise_differences` returns them).

    Examples
    --------
    >>> low, high = gap_interval(np.array([-0.1, 0.02]), np.array([0.2, 0.3]))
    >>> float(low), float(high)
    (0.02, 0.3)
    """
    low = np.maximum(0.0, np.maximum(lo.max(axis=-1), (-hi).max(axis=-1)))
    high = np.maximum(hi.max(axis=-1), (-lo).max(axis=-1))
    return low, high


def rate_spread(
    cells: pd.DataFrame, attributes: Sequence[str], *, confidence: float = CONFIDENCE
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the max − min selection-rate gap per attribute, and every pairwise difference.

    Parameters
    ----------
    cells : DataFrame
        One row per combination of the attributes' values (as
        :func:`fairpanel.audit_counts` builds it): a column per attribute, and the
        integer counts ``applicants`` and ``selected``. Attribute values are compared
        as text; groups without applicants are left out.
    attributes : sequence of str
        The attribute columns, each on its own.
    confidence : float, default 0.95
        The simultaneous level of the pairwise intervals, and so the gap's.

    Returns
    -------
    spread, pairwise : DataFrame
        ``spread`` (:data:`SPREAD_COLUMNS`): one row per attribute, ``statistic`` =
        ``"max_min_rate_difference"``, the plug-in ``estimate`` (biased upwards; the
        interval is not), its interval, the ``highest`` and ``lowest`` groups, the
        number of ``pairs`` and the ``method``. ``pairwise``
        (:data:`PAIRWISE_COLUMNS`): one row per pair of groups (``group`` before
        ``other`` in sorted order), the difference of their rates and its
        simultaneous interval.

    Examples
    --------
    >>> cells = pd.DataFrame({"g": ["a", "b", "c"], "applicants": [100, 100, 100],
    ...                       "selected": [30, 33, 27]})
    >>> spread, pairs = rate_spread(cells, ["g"])
    >>> round(float(spread["estimate"].iloc[0]), 2), float(spread["ci_low"].iloc[0])
    (0.06, 0.0)
    """
    spreads, pairs = [], []
    for attr in attributes:
        by = cells.groupby(cells[attr].astype(str), sort=True)[["applicants", "selected"]].sum()
        by = by[by["applicants"] > 0]
        names = np.asarray(by.index.astype(str))
        n = by["applicants"].to_numpy(np.float64)
        k = by["selected"].to_numpy(np.float64)
        rate = k / n
        if names.size < 2:
            continue
        i, j, d, lo, hi = pairwise_differences(k, n, confidence=confidence)
        low, high = gap_interval(lo, hi)
        top, bottom = int(np.argmax(rate)), int(np.argmin(rate))
        spreads.append(
            [attr, "max_min_rate_difference", float(rate[top] - rate[bottom]), float(low),
             float(high), str(names[top]), str(names[bottom]), int(i.size), SPREAD_METHOD]
        )  # fmt: skip
        pairs.append(
            pd.DataFrame(
                {
                    "attribute": attr,
                    "group": names[i],
                    "other": names[j],
                    "difference": d,
                    "ci_low": lo,
                    "ci_high": hi,
                    "suppressed": False,
                },
                columns=list(PAIRWISE_COLUMNS),
            )
        )
    spread = pd.DataFrame(spreads, columns=list(SPREAD_COLUMNS))
    pairwise = (
        pd.concat(pairs, ignore_index=True)
        if pairs
        else pd.DataFrame(columns=list(PAIRWISE_COLUMNS))
    )
    return spread, pairwise
