"""Scores, not only decisions: group gaps in scores, and reviewer × applicant-group gaps.

A disparity can arise before any decision: in the scores. Two views:

* *score gaps*: the mean (calibrated) score of each group against a reference group, as a
  difference with a Welch interval and as Hedges' g with its interval;
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
from statsmodels.stats.multitest import multipletests

from fairpanel.audit._inputs import check_columns, group_column
from fairpanel.audit._stats import CONFIDENCE

__all__ = ["REVIEWER_COLUMNS", "SCORE_GAP_COLUMNS", "reviewer_gaps", "score_gaps"]

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
)


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
    min_cell: int = 5,
) -> pd.DataFrame:
    """Mean score per group against a reference group (default: highest mean).

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
    """
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
        # default reference: the highest mean among groups large enough to publish
        big = stats_[stats_["count"] >= min_cell]
        pool = big if len(big) else stats_
        ref = reference if reference in stats_.index else str(pool["mean"].idxmax())
        r = stats_.loc[ref]
        others = stats_.drop(index=ref)
        n1, m1, v1 = (others[c].to_numpy(np.float64) for c in ("count", "mean", "var"))
        n2, m2, v2 = (np.full(n1.shape, r[c], dtype=np.float64) for c in ("count", "mean", "var"))
        diff, lo, hi, p = _welch(m1, v1, n1, m2, v2, n2)
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
            },
            columns=list(SCORE_GAP_COLUMNS),
        )
        numeric = list(SCORE_GAP_COLUMNS[4:-1])
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
    min_cell: int = 5,
) -> pd.DataFrame:
    """Per reviewer and group: mean score minus the other reviewers' mean, and a test.

    ``gap`` is the reviewer's mean of (own score − other reviewers' mean for the same
    submission) over submissions of the group; ``gap_others`` the same over the
    reviewer's other submissions; ``contrast = gap − gap_others``, Welch-tested, with
    Holm-adjusted p-values over every reviewer × group row; ``flagged`` when the adjusted
    p-value is below ``alpha``. Several criteria per review are averaged first (pass
    rubric totals as one criterion for weighted scores). Cells with fewer than
    ``min_cell`` reviews are suppressed.

    Examples
    --------
    >>> rv = pd.DataFrame({"submission_id": list("aabbccdd"), "reviewer_id": list("xyxyxyxy"),
    ...                    "score": [5, 5, 4, 4, 5, 3, 4, 2]})
    >>> sub = pd.DataFrame({"submission_id": list("abcd"), "gender": list("mmww")})
    >>> reviewer_gaps(rv, sub, groups=["gender"], min_cell=1)["n_reviews"].tolist()
    [2, 2, 2, 2]
    """
    check_columns(reviews, ["submission_id", "reviewer_id", score])
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
    per_review = per_review.assign(resid=per_review["_s"].to_numpy() - others_mean)
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
                },
            )
        )
    out = pd.concat(frames, ignore_index=True)
    testable = np.isfinite(out["p_value"].to_numpy())
    adjusted = np.full(len(out), np.nan)
    if testable.any():
        adjusted[testable] = multipletests(out["p_value"].to_numpy()[testable], method="holm")[1]
    out["p_adjusted"] = adjusted
    out["flagged"] = np.nan_to_num(adjusted, nan=1.0) < alpha
    hidden = out["n_reviews"].to_numpy() < min_cell
    out["suppressed"] = hidden
    out.loc[hidden, ["gap", "gap_others", "contrast", "p_value", "p_adjusted"]] = np.nan
    out.loc[hidden, "flagged"] = False
    return out[list(REVIEWER_COLUMNS)]
