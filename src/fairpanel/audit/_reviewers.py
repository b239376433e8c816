"""Reviewer × applicant-group gaps: whether a reviewer scores one group lower than others.

Each review is compared with the mean of the *other* reviews of its submission (so a
reviewer's own score does not pull the benchmark), and a reviewer's gap for a group is
contrasted with the same reviewer's gap for everyone else, so a uniformly harsh reviewer
is not flagged. Welch t-tests, Holm-adjusted over all reviewer × group tests (Holm 1979).
Gaps are oriented like score gaps: positive means "scored better than the other
reviewers did", whatever the scale's direction.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Final

import numpy as np
import pandas as pd

from fairpanel._schema import DEFAULT_MIN_CELL
from fairpanel.audit._inputs import check_columns, group_column
from fairpanel.audit._multiplicity import adjust_p, holm
from fairpanel.audit._publication import protect_rows
from fairpanel.audit._scores import welch

__all__ = ["REVIEWER_COLUMNS", "holm", "holm_flags", "reviewer_gaps"]

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


def holm_flags(frame: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Holm-adjust the p-values of the published (not suppressed) rows; flag them.

    The family is what is published: a suppressed row's p-value takes no part, so the
    published adjusted p-values reveal nothing about it.
    """
    out = frame.copy()
    p = pd.to_numeric(out["p_value"], errors="coerce").to_numpy(np.float64, na_value=np.nan)
    shown = ~out["suppressed"].astype(bool).to_numpy()
    adjusted = adjust_p(np.where(shown, p, np.nan), "holm")
    out["p_adjusted"] = adjusted
    out["flagged"] = np.nan_to_num(adjusted, nan=1.0) < alpha
    return out


def reviewer_gaps(
    reviews: pd.DataFrame,
    submissions: pd.DataFrame,
    *,
    groups: Sequence[str],
    score: str = "score",
    alpha: float = 0.05,
    min_cell: int = DEFAULT_MIN_CELL,
    higher_is_better: bool = True,
    withheld: Collection[tuple[str, str]] = (),
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

    Parameters
    ----------
    reviews : DataFrame
        The long reviews table: ``submission_id``, ``reviewer_id`` and the ``score``
        column (one row per review, or per review and criterion). Submissions with a
        single reviewer have no benchmark and are left out; scores that are not
        numbers count as missing.
    submissions : DataFrame
        The submissions table: ``submission_id`` and the ``groups`` columns. Only
        reviews of submissions in both tables count; an empty group value is
        refused.
    groups : sequence of str
        The group attributes, each on its own.
    score : str, default "score"
        The score column, on the rubric's scale.
    alpha : float, default 0.05
        Level at which a Holm-adjusted p-value flags a row.
    min_cell : int, default 5
        Fewest reviews of the group's submissions (and, unless none, of the other
        submissions) a reviewer needs for the row to be published.
    higher_is_better : bool, default True
        The scale's direction (unlike :func:`score_gaps`, the reviews table carries
        none).
    withheld : collection of (attribute, group), optional
        Groups whose applicant count the published tables withhold: their rows are
        withheld too, before the complementary rows are chosen (each reviewer's rows
        add up to the reviewer's public number of reviews).

    Returns
    -------
    DataFrame
        :data:`REVIEWER_COLUMNS`: one row per reviewer and group of each attribute
        the reviewer reviewed; gaps in scale points, oriented (negative = scored
        the group worse than the other reviewers did).

    Raises
    ------
    FairpanelInputError
        For a missing column or an empty group value.

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
        diff, _, _, p = welch(m1, v1, n1, m2, np.maximum(v2, 0.0), n2)
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
                    "_total": n_all.astype(np.int64),  # the reviewer's reviews: public
                },
            )
        )
    out = pd.concat(frames, ignore_index=True)
    gone = set(withheld)
    out["suppressed"] |= np.array(
        [(a, x) in gone for a, x in zip(out["attribute"], out["group"], strict=True)], dtype=bool
    )
    out["suppressed"] = protect_rows(
        out["reviewer_id"].to_numpy(),
        out["attribute"].to_numpy(),
        out["group"].to_numpy(),
        out["n_reviews"].to_numpy(np.int64),
        out.pop("_total").to_numpy(np.int64),
        out["suppressed"].to_numpy(bool),
    )
    hidden = out["suppressed"].to_numpy(bool)
    out["n_reviews"] = out["n_reviews"].astype("Int64")
    out.loc[hidden, "n_reviews"] = pd.NA
    out.loc[hidden, ["gap", "gap_others", "contrast", "p_value"]] = np.nan
    return holm_flags(out, alpha)[list(REVIEWER_COLUMNS)]
