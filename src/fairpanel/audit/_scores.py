"""Scores, not only decisions: group gaps in scores, and reviewer × applicant-group gaps.

A disparity can arise before any decision: in the scores. Two views:

* *score gaps*: the mean (calibrated) score of each group against a reference group, as a
  difference with a Welch interval and as Hedges' g with its interval;

Scores stay on the rubric's own scale, where lower may be better (an AIBS 1–40 rating,
an SNSF letter grade). Every difference, interval, effect size and reviewer gap is
*oriented*: multiplied by +1 or −1 so that a positive value always means "scored better
than the reference" (or than the other reviewers), whatever the scale's direction.
* *reviewer gaps*: does a reviewer score one group lower than the other reviewers of the
  same submissions do? Each review is compared with the mean of the *other* reviews of
  its submission (so a reviewer's own score does not pull the benchmark), and a
  reviewer's gap for a group is contrasted with the same reviewer's gap for everyone
  else, so a uniformly harsh reviewer is not flagged. Welch t-tests, Holm-adjusted over
  all reviewer × group tests (Holm 1979).
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
    "REVIEWER_COLUMNS",
    "SCORE_GAP_COLUMNS",
    "holm",
    "holm_flags",
    "resolve_sign",
    "reviewer_gaps",
    "score_gaps",
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
REVIEWER_COLUMNS: Final[tuple[str, ...]] = (
    "reviewer_id",
    "attribute",
    "group",
    "n_reviews",
    "gap",
    "gap_others",
    "contrast",
    "p_value",
    "p_adjusted",
    "flagged",
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


def holm(p: np.ndarray) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values: ``max_{j ≤ i} min(1, (m − j + 1) p_(j))``.

    As ``statsmodels.stats.multitest.multipletests(method="holm")``, which forces a
    garbage collection on each call (a tenth of a second here).
    """
    m = p.size
    order = np.argsort(p, kind="stable")
    stepped = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = stepped
    return out


def holm_flags(frame: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Holm-adjust the p-values of the published (not suppressed) rows; flag them.

    The family is what is published: a suppressed row's p-value takes no part, so the
    published adjusted p-values reveal nothing about it.
    """
    out = frame.copy()
    p = pd.to_numeric(out["p_value"], errors="coerce").to_numpy(np.float64, na_value=np.nan)
    shown = ~out["suppressed"].astype(bool).to_numpy()
    testable = np.isfinite(p) & shown
    adjusted = np.full(len(out), np.nan)
    if testable.any():
        adjusted[testable] = holm(p[testable])
    out["p_adjusted"] = adjusted
    out["flagged"] = np.nan_to_num(adjusted, nan=1.0) < alpha
    return out


def _welch(
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
        diff, lo, hi, p = _welch(m1, v1, n1, m2, v2, n2)
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


def reviewer_gaps(
    reviews: pd.DataFrame,
    submissions: pd.DataFrame,
    *,
    groups: Sequence[str],
    score: str = "score",
    alpha: float = 0.05,
    min_cell: int = DEFAULT_MIN_CELL,
    higher_is_better: bool = True,
) -> pd.DataFrame:
    """Per reviewer and group: mean score minus the other reviewers' mean, and a test.

    ``gap`` is the reviewer's mean of (own score − other reviewers' mean for the same
    submission) over submissions of the group; ``gap_others`` the same over the
    reviewer's other submissions; ``contrast = gap − gap_others``, Welch-tested, with
    Holm-adjusted p-values over every reviewer × group row; ``flagged`` when the adjusted
    p-value is below ``alpha``. Several criteria per review are averaged first (pass
    rubric totals as one criterion for weighted scores). The gaps are oriented by the
    scale's direction (``higher_is_better``, e.g. ``rubric.scale.higher_is_better``):
    a negative ``gap`` or ``contrast`` always means the reviewer scored the group
    *worse* than the other reviewers did. A row is suppressed (its ``n_reviews`` and
    statistics missing) when the reviewer reviewed fewer than ``min_cell`` of the
    group's submissions, or between 1 and ``min_cell − 1`` of the others (its
    ``gap_others`` would reveal a suppressed row); the Holm family is the published rows.

    Examples
    --------
    >>> rv = pd.DataFrame({"submission_id": list("aabbccdd"), "reviewer_id": list("xyxyxyxy"),
    ...                    "score": [5, 5, 4, 4, 5, 3, 4, 2]})
    >>> sub = pd.DataFrame({"submission_id": list("abcd"), "gender": list("mmww")})
    >>> reviewer_gaps(rv, sub, groups=["gender"], min_cell=1)["n_reviews"].tolist()
    [2, 2, 2, 2]
    """
    check_columns(reviews, ["submission_id", "reviewer_id", score])
    sign = 1.0 if higher_is_better else -1.0
    per_review = (
        reviews.assign(
            submission_id=reviews["submission_id"].astype(str),
            reviewer_id=reviews["reviewer_id"].astype(str),
            _s=pd.to_numeric(reviews[score], errors="coerce").astype(float),
        )
        .groupby(["submission_id", "reviewer_id"], as_index=False)["_s"]
        .mean()
    )
    by_sub = per_review.groupby("submission_id")["_s"].agg(["sum", "count"])
    tot = by_sub.loc[per_review["submission_id"]]
    count = tot["count"].to_numpy(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        others_mean = (tot["sum"].to_numpy() - per_review["_s"].to_numpy()) / (count - 1)
    resid = sign * (per_review["_s"].to_numpy() - others_mean)
    per_review = per_review.assign(resid=resid)
    per_review = per_review[count > 1]
    subs = submissions.assign(submission_id=submissions["submission_id"].astype(str))
    data = per_review.merge(subs, on="submission_id", how="inner")
    frames = []
    for attr in groups:
        g = group_column(data, attr)
        inside = (
            data.assign(_g=g).groupby(["reviewer_id", "_g"])["resid"].agg(["count", "mean", "var"])
        )
        total = data.groupby("reviewer_id")["resid"].agg(["count", "sum"])
        sq = data.assign(_q=data["resid"] ** 2).groupby("reviewer_id")["_q"].sum()
        rid = inside.index.get_level_values(0)
        n1 = inside["count"].to_numpy(np.float64)
        m1 = inside["mean"].to_numpy(np.float64)
        v1 = inside["var"].to_numpy(np.float64)
        n_all = total.loc[rid, "count"].to_numpy(np.float64)
        s_all = total.loc[rid, "sum"].to_numpy(np.float64)
        q_all = sq.loc[rid].to_numpy(np.float64)
        n2 = n_all - n1
        with np.errstate(divide="ignore", invalid="ignore"):
            s2 = s_all - m1 * n1
            # sum of squares inside the group; a single review has none around its mean
            q2 = q_all - (np.where(n1 > 1, v1 * (n1 - 1), 0.0) + n1 * m1**2)
            m2 = s2 / n2
            v2 = (q2 - n2 * m2**2) / (n2 - 1)
        v1 = np.where(n1 > 1, v1, np.nan)
        diff, _, _, p = _welch(m1, v1, n1, m2, np.maximum(v2, 0.0), n2)
        frames.append(
            pd.DataFrame(
                {
                    "reviewer_id": rid.astype(str),
                    "attribute": attr,
                    "group": inside.index.get_level_values(1).astype(str),
                    "n_reviews": n1.astype(np.int64),
                    "gap": m1,
                    "gap_others": m2,
                    "contrast": diff,
                    "p_value": p,
                    "suppressed": (n1 < min_cell) | ((n2 > 0) & (n2 < min_cell)),
                    "higher_is_better": sign > 0,
                },
            )
        )
    out = pd.concat(frames, ignore_index=True)
    hidden = out["suppressed"].to_numpy(bool)
    out["n_reviews"] = out["n_reviews"].astype("Int64")
    out.loc[hidden, "n_reviews"] = pd.NA
    out.loc[hidden, ["gap", "gap_others", "contrast", "p_value"]] = np.nan
    return holm_flags(out, alpha)[list(REVIEWER_COLUMNS)]
