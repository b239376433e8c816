"""Scores, not only decisions: group gaps in scores, and reviewer × applicant-group gaps.

A disparity can arise before any decision: in the scores. Two views:

* *score gaps*: the mean (calibrated) score of each group against a reference group, as a
  difference with a Welch interval and as Hedges' g with its interval;
* *reviewer gaps* (:mod:`fairpanel.audit._reviewers`): does a reviewer score one group
  lower than the other reviewers of the same submissions do?

Scores stay on the rubric's own scale, where lower may be better (an AIBS 1–40 rating,
an SNSF letter grade). Every difference, interval, effect size and reviewer gap is
*oriented*: multiplied by +1 or −1 so that a positive value always means "scored better
than the reference" (or than the other reviewers), whatever the scale's direction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd
from scipy import stats

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import DEFAULT_MIN_CELL, SCORE_DIRECTION, score_sign
from fairpanel.audit._inputs import check_columns, group_column
from fairpanel.audit._stats import CONFIDENCE

__all__ = [
    "ERR_DIRECTION_CONFLICT",
    "SCORE_GAP_COLUMNS",
    "resolve_sign",
    "score_gaps",
    "welch",
]

ERR_DIRECTION_CONFLICT = (
    "the scores table says higher_is_better={table}, but higher_is_better={given} was given"
)
ERR_DIRECTION_VALUE = "column 'higher_is_better' must hold one value, true or false"

SCORE_GAP_COLUMNS: Final[tuple[str, ...]] = (
    "attribute",
    "group",
    "reference",
    "n",
    "mean_score",
    "reference_mean",
    "difference",
    "difference_ci_low",
    "difference_ci_high",
    "hedges_g",
    "g_ci_low",
    "g_ci_high",
    "p_value",
    "suppressed",
    "higher_is_better",
)


def resolve_sign(scores: pd.DataFrame | None, higher_is_better: bool | None) -> float:
    """Return +1 or −1: the scale's direction, from the argument or the scores table.

    The table's ``higher_is_better`` column (written by ``fairpanel score``) and an
    explicit argument must agree; with neither, higher is taken as better.
    """
    table: float | None = None
    if scores is not None and SCORE_DIRECTION in scores.columns:
        try:
            table = score_sign(scores)
        except ValueError:
            raise FairpanelInputError(
                ERR_DIRECTION_VALUE, file="scores", column=SCORE_DIRECTION
            ) from None
    given = None if higher_is_better is None else (1.0 if higher_is_better else -1.0)
    if table is not None and given is not None and table != given:
        raise FairpanelInputError(
            ERR_DIRECTION_CONFLICT.format(table=table > 0, given=given > 0),
            file="scores",
            column=SCORE_DIRECTION,
            hint="score the reviews again with the right scale direction",
        )
    return given if given is not None else (table if table is not None else 1.0)


def welch(
    m1: np.ndarray, v1: np.ndarray, n1: np.ndarray, m2: np.ndarray, v2: np.ndarray, n2: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Welch difference ``m1 − m2``: ``(diff, lo, hi, p)`` with Welch–Satterthwaite df."""
    with np.errstate(divide="ignore", invalid="ignore"):
        a, b = v1 / n1, v2 / n2
        se = np.sqrt(a + b)
        df = (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))
        diff = m1 - m2
        crit = stats.t.ppf(0.5 + CONFIDENCE / 2, df)
        p = 2 * stats.t.sf(np.abs(diff / se), df)
    return diff, diff - crit * se, diff + crit * se, p


def score_gaps(
    scores: pd.DataFrame,
    submissions: pd.DataFrame,
    *,
    groups: Sequence[str],
    score: str = "calibrated_score",
    reference: str | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    higher_is_better: bool | None = None,
    avoid: Sequence[str] = (),
) -> pd.DataFrame:
    """Mean score per group against a reference group (default: the best-scored group).

    ``difference`` (with its Welch interval) and ``hedges_g`` (with its interval) are
    oriented: positive means the group scored *better* than the reference, on either
    kind of scale. The scale's direction is ``higher_is_better`` or, by default, the
    scores table's ``higher_is_better`` column (see :func:`fairpanel._schema.score_sign`);
    ``mean_score`` and ``reference_mean`` stay on the scale. The default reference is
    the group with the best mean among groups large enough to publish and not in
    ``avoid`` (the audit passes the groups its tables withhold).

    ``hedges_g`` is the standardized mean difference with the small-sample correction
    ``J = 1 − 3 / (4 (n1 + n2) − 9)``; its interval ``g ± t · sqrt((n1 + n2)/(n1 n2) +
    g² / (2 (n1 + n2)))`` (Hedges & Olkin 1985), as pingouin's ``compute_esci``.
    Groups with fewer than ``min_cell`` submissions are suppressed.

    Parameters
    ----------
    scores : DataFrame
        The score table: ``submission_id`` and the ``score`` column; its
        ``higher_is_better`` column, when present, gives the scale's direction.
    submissions : DataFrame
        The submissions table: ``submission_id`` and the ``groups`` columns. Only
        submissions in both tables count; an empty group value is refused.
    groups : sequence of str
        The group attributes, each compared on its own.
    score : str, default "calibrated_score"
        The score column, on the rubric's scale.
    reference : str, optional
        The group every other group is compared with, for each attribute that has
        a group of that name; for the other attributes (and by default) the group
        with the best mean among those with at least ``min_cell`` submissions and
        not in ``avoid`` (among all groups, if none qualifies).
    min_cell : int, default 5
        Smallest group (and reference group) whose statistics are published; a row
        with fewer submissions on either side keeps ``n`` and ``suppressed=True``,
        and its means, differences, intervals and p-value are NaN.
    higher_is_better : bool, optional
        The scale's direction. None (default): the scores table's
        ``higher_is_better`` column, else higher is better. Given together with
        the column, the two must agree.
    avoid : sequence of str, default ()
        Groups that must not be the default reference (the audit passes the groups
        its tables withhold, so that a withheld group's mean is not published as
        ``reference_mean``).

    Returns
    -------
    DataFrame
        :data:`SCORE_GAP_COLUMNS`: one row per non-reference group of each
        attribute; ``difference`` is in scale points, ``hedges_g`` in pooled
        standard deviations, both oriented (positive = better than the reference);
        intervals are 95%; ``p_value`` is the two-sided Welch t-test.

    Raises
    ------
    FairpanelInputError
        For a missing column, an empty group value, an unreadable
        ``higher_is_better`` column, or one that disagrees with the argument.

    Examples
    --------
    >>> s = pd.DataFrame({"submission_id": list("abcdefgh"),
    ...                   "calibrated_score": [5, 4, 6, 5, 3, 4, 2, 3.5]})
    >>> sub = pd.DataFrame({"submission_id": list("abcdefgh"), "gender": list("mmmmwwww")})
    >>> score_gaps(s, sub, groups=["gender"], min_cell=1)["difference"].round(3).tolist()
    [-1.875]
    >>> low = s.assign(calibrated_score=7 - s["calibrated_score"], higher_is_better=False)
    >>> score_gaps(low, sub, groups=["gender"], min_cell=1)["difference"].round(3).tolist()
    [-1.875]
    """
    sign = resolve_sign(scores, higher_is_better)
    check_columns(scores, ["submission_id", score])
    data = scores[["submission_id", score]].assign(
        submission_id=scores["submission_id"].astype(str)
    )
    subs = submissions.assign(submission_id=submissions["submission_id"].astype(str))
    data = data.merge(subs, on="submission_id", how="inner")
    rows = []
    for attr in groups:
        g = group_column(data, attr)
        stats_ = data[score].astype(float).groupby(g).agg(["count", "mean", "var"])
        # default reference: the best mean among groups large enough to publish
        big = stats_[(stats_["count"] >= min_cell) & ~stats_.index.isin(list(avoid))]
        pool = big if len(big) else stats_
        ref = reference if reference in stats_.index else str((sign * pool["mean"]).idxmax())
        r = stats_.loc[ref]
        others = stats_.drop(index=ref)
        n1, m1, v1 = (others[c].to_numpy(np.float64) for c in ("count", "mean", "var"))
        n2, m2, v2 = (np.full(n1.shape, r[c], dtype=np.float64) for c in ("count", "mean", "var"))
        diff, lo, hi, p = welch(m1, v1, n1, m2, v2, n2)
        # orient: positive = better than the reference (a lower-is-better scale flips)
        diff, lo, hi = (diff, lo, hi) if sign > 0 else (-diff, -hi, -lo)
        with np.errstate(divide="ignore", invalid="ignore"):
            pooled = np.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
            hedges = diff / pooled * (1 - 3 / (4 * (n1 + n2) - 9))
            se_g = np.sqrt((n1 + n2) / (n1 * n2) + hedges**2 / (2 * (n1 + n2)))
            crit = stats.t.ppf(0.5 + CONFIDENCE / 2, n1 + n2 - 2)
        hidden = (n1 < min_cell) | (n2 < min_cell)
        frame = pd.DataFrame(
            {
                "attribute": attr,
                "group": others.index.astype(str),
                "reference": ref,
                "n": n1.astype(np.int64),
                "mean_score": m1,
                "reference_mean": m2,
                "difference": diff,
                "difference_ci_low": lo,
                "difference_ci_high": hi,
                "hedges_g": hedges,
                "g_ci_low": hedges - crit * se_g,
                "g_ci_high": hedges + crit * se_g,
                "p_value": p,
                "suppressed": hidden,
                "higher_is_better": sign > 0,
            },
            columns=list(SCORE_GAP_COLUMNS),
        )
        numeric = list(SCORE_GAP_COLUMNS[4:-2])
        frame.loc[hidden, numeric] = np.nan
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)
