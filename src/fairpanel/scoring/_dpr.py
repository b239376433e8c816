"""Distributed-review checks: declared conflicts, and how reviewers rank their competitors.

In distributed review (ALMA since Cycle 8, ESO since Period 110) the reviewers are the
applicants: the PI of each proposal ranks or grades about ten proposals of other teams.
A reviewer then has a stake in the outcome, and the question both observatories studied
(Kerzendorf et al. 2020, Nature Astronomy 4, 711; ALMA's Cycle 8 2021 and later
proposal review reports) is whether reviewers place their *direct competitors* —
proposals of their own science category or panel — lower than those proposals deserve.

The check here is within reviewer, so a reviewer's general harshness cancels out:

1. Each review becomes a normalised position in the reviewer's set: 0 for the best of
   the set, 1 for the worst (ties share the mean position), from ranks (1 = best) or
   from grades (direction of the scale).
2. Its residual is that position minus the mean position the *other* reviewers of the
   same submission gave it (leave-one-out consensus), so a strong or weak category does
   not look like strategy. Submissions with a single review have no consensus and drop.
3. For each reviewer who is the PI of a submission (``pi`` column) and reviewed both
   competitors (same category as one of their own submissions) and others, the
   difference of the mean residuals, competitors minus others: above 0, competitors
   were placed lower than their other reviewers placed them, relative to the rest.
4. Across reviewers: the mean difference with its 95% t interval, and the Wilcoxon
   signed-rank test of a zero median (scipy; two-sided), paired within reviewers.

Declared conflicts are listed (they are left out of the comparison: a conflicted review
is removed, not down-weighted), and reviews of one's own submission never get here: the
reviews loader refuses them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
from scipy import stats

from fairpanel._errors import FairpanelInputError
from fairpanel._json import SCHEMA_KEY, Kind, Node, check_schema, jsonable, records, stamp, table
from fairpanel.io._review_links import ERR_OWN_SUBMISSION, HINT_OWN_SUBMISSION
from fairpanel.io._reviews import CONFLICTS_KEY
from fairpanel.io._submissions import PI

__all__ = [
    "DPR_REVIEWER_COLUMNS",
    "SCHEMA_KIND",
    "SCHEMA_VERSION",
    "DprCheck",
    "dpr_checks",
]

SCHEMA_KIND: Final = "dpr_check"
SCHEMA_VERSION: Final = 1
#: One row per reviewer who is a PI: the competitor comparison's data.
DPR_REVIEWER_COLUMNS: Final = (
    "reviewer_id",
    "category",
    "n_competitors",
    "n_others",
    "competitor_position",
    "other_position",
    "difference",
)
_REVIEWER_KINDS: Final[Mapping[str, Kind]] = {
    "reviewer_id": "id",
    "category": "text",
    "n_competitors": "integer",
    "n_others": "integer",
    **dict.fromkeys(("competitor_position", "other_position", "difference"), "number"),
}
_CONFLICT_KINDS: Final[Mapping[str, Kind]] = {"submission_id": "id", "reviewer_id": "id"}

ERR_NO_COLUMN = "the submissions table has no '{column}' column, which the {what} needs"
HINT_PI = "add a 'pi' column holding the reviewer id of each submission's PI"
HINT_CATEGORY = "name the column of each submission's science category or panel"
ERR_REVIEW_TYPE = "review_type must be 'grades' or 'ranks', got {value!r}"
#: Above this p-value the summary says no difference was found.
ALPHA: Final = 0.05


@dataclass(frozen=True, eq=False)
class DprCheck:
    """The distributed-review checks of one cycle.

    Attributes
    ----------
    reviewers : DataFrame
        One row per reviewer who is a PI, columns :data:`DPR_REVIEWER_COLUMNS`:
        their category (several joined by ``"; "``), how many competitors and others
        they reviewed, the mean normalised position they gave each (0 best, 1 worst)
        and the difference of the mean residuals against the other reviewers
        (competitors minus others; NaN without both kinds).
    conflicts : DataFrame
        ``submission_id, reviewer_id`` of each declared conflict (left out).
    category : str
        The submissions column that defines a competitor.
    review_type : str
        ``"ranks"`` or ``"grades"``.
    n_paired : int
        Reviewers in the comparison (a finite difference).
    mean_difference, ci_low, ci_high : float
        Mean difference across them and its 95% t interval (NaN below two).
    wilcoxon_statistic, p_value : float
        The Wilcoxon signed-rank test of a zero median difference (two-sided).
    """

    reviewers: pd.DataFrame
    conflicts: pd.DataFrame
    category: str
    review_type: str
    n_paired: int
    mean_difference: float
    ci_low: float
    ci_high: float
    wilcoxon_statistic: float
    p_value: float

    def summary(self) -> str:
        """One sentence a committee can read: what the competitor comparison found."""
        if self.n_paired < 2 or math.isnan(self.p_value):
            return (
                f"Too few reviewers ({self.n_paired}) reviewed both competitors and "
                "others to compare how they placed them."
            )
        found = self.p_value < ALPHA
        side = "lower" if self.mean_difference > 0 else "higher"
        verdict = (
            f"placed their direct competitors {side} than those proposals' other reviewers did"
            if found
            else "placed their direct competitors no differently, as far as can be "
            "detected, from how those proposals' other reviewers placed them"
        )
        return (
            f"Across {self.n_paired} reviewers, reviewers {verdict} (mean shift "
            f"{self.mean_difference:+.3f} of a set's range from best to worst, 95% CI "
            f"{self.ci_low:+.3f} to {self.ci_high:+.3f}; Wilcoxon signed-rank "
            f"p = {self.p_value:.3g})."
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON (schema ``fairpanel.dpr_check``)."""
        return {
            SCHEMA_KEY: stamp(SCHEMA_KIND, SCHEMA_VERSION),
            "category": self.category,
            "review_type": self.review_type,
            "n_paired": self.n_paired,
            "mean_difference": jsonable(self.mean_difference),
            "ci_low": jsonable(self.ci_low),
            "ci_high": jsonable(self.ci_high),
            "wilcoxon_statistic": jsonable(self.wilcoxon_statistic),
            "p_value": jsonable(self.p_value),
            "summary": self.summary(),
            "conflicts": records(self.conflicts),
            "reviewers": records(self.reviewers),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DprCheck:
        """Read the JSON of :meth:`to_dict`.

        Parameters
        ----------
        data : mapping
            The parsed JSON.

        Raises
        ------
        FairpanelInputError
            Naming the first field that is missing or of the wrong type.
        """
        doc = Node(data)
        check_schema(doc, SCHEMA_KIND, SCHEMA_VERSION)
        rows = doc["reviewers"].records(_REVIEWER_KINDS, required=DPR_REVIEWER_COLUMNS)
        flagged = doc["conflicts"].records(_CONFLICT_KINDS, required=tuple(_CONFLICT_KINDS))
        return cls(
            reviewers=table(rows, kinds=_REVIEWER_KINDS, columns=DPR_REVIEWER_COLUMNS),
            conflicts=table(flagged, kinds=_CONFLICT_KINDS, columns=tuple(_CONFLICT_KINDS)),
            category=doc["category"].text(),
            review_type=doc["review_type"].text(),
            n_paired=doc["n_paired"].integer(),
            mean_difference=doc["mean_difference"].number_or_nan(),
            ci_low=doc["ci_low"].number_or_nan(),
            ci_high=doc["ci_high"].number_or_nan(),
            wilcoxon_statistic=doc["wilcoxon_statistic"].number_or_nan(),
            p_value=doc["p_value"].number_or_nan(),
        )


def dpr_checks(
    reviews: pd.DataFrame,
    submissions: pd.DataFrame,
    *,
    category: str,
    review_type: Literal["grades", "ranks"] = "ranks",
    higher_is_better: bool = True,
) -> DprCheck:
    """Check a distributed review: declared conflicts, and the ranks given to competitors.

    Parameters
    ----------
    reviews : DataFrame
        A loaded reviews table (:func:`fairpanel.io.load_reviews`, with the submissions
        so that reviews of one's own submission were refused; ``conflicts="drop"`` lists
        declared conflicts instead of refusing them). Several criteria of one review are
        averaged.
    submissions : DataFrame
        A loaded submissions table with a ``pi`` column (each submission's PI as a
        reviewer id) and the ``category`` column.
    category : str
        The submissions column whose shared value makes two proposals competitors
        (science category, panel).
    review_type : {"ranks", "grades"}, default "ranks"
        Ranks: 1 is the best of a reviewer's set. Grades: the scale's direction says.
    higher_is_better : bool, default True
        The grades' direction (ignored for ranks).

    Returns
    -------
    DprCheck

    Raises
    ------
    FairpanelInputError
        When the submissions table has no ``pi`` or no ``category`` column, or a
        reviewer reviewed their own submission (the loader names its row; this is
        checked again for a frame that was not loaded with the submissions).

    Examples
    --------
    >>> from fairpanel.simulate import dpr_cycle
    >>> cycle = dpr_cycle(300, 10, seed=3, strategic_share=0.5, strategic_shift=1.0)
    >>> check = dpr_checks(cycle.reviews, cycle.submissions, category="category")
    >>> check.mean_difference > 0 and check.p_value < 0.01
    True
    """
    if review_type not in ("grades", "ranks"):
        raise ValueError(ERR_REVIEW_TYPE.format(value=review_type))
    source = submissions.attrs.get("fairpanel_source") or "submissions table"
    for column, what, hint in ((PI, "distributed-review check", HINT_PI),
                               (category, "competitor comparison", HINT_CATEGORY)):  # fmt: skip
        if column not in submissions.columns:
            raise FairpanelInputError(
                ERR_NO_COLUMN.format(column=column, what=what), file=source, column=column,
                hint=hint,
            )  # fmt: skip
    _refuse_own(reviews, submissions, source)
    residuals = _residuals(reviews, review_type, higher_is_better)
    per_reviewer = _by_reviewer(residuals, submissions, category)
    d = per_reviewer["difference"].to_numpy(dtype=float)
    d = d[np.isfinite(d)]
    mean = lo = hi = stat = p = math.nan
    if len(d) >= 2:
        mean = float(d.mean())
        half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
        lo, hi = mean - half, mean + half
        if np.any(d != 0):
            test = stats.wilcoxon(d, alternative="two-sided")
            stat, p = float(test.statistic), float(test.pvalue)
    flagged = pd.DataFrame(
        list(reviews.attrs.get(CONFLICTS_KEY, ())), columns=list(_CONFLICT_KINDS), dtype=str
    )
    return DprCheck(per_reviewer, flagged, category, review_type, len(d), mean, lo, hi, stat, p)


def _refuse_own(reviews: pd.DataFrame, submissions: pd.DataFrame, source: str) -> None:
    pis = submissions[["submission_id", PI]].dropna().astype(str)
    own = pd.MultiIndex.from_arrays([pis["submission_id"], pis[PI]])
    keys = pd.MultiIndex.from_arrays(
        [reviews["submission_id"].astype(str), reviews["reviewer_id"].astype(str)]
    )
    hits = np.flatnonzero(keys.isin(own))
    if len(hits):
        first = reviews.iloc[hits[0]]
        message = ERR_OWN_SUBMISSION.format(
            reviewer=first["reviewer_id"], submission=first["submission_id"], pi=PI,
            submissions=source,
        )  # fmt: skip
        name = reviews.attrs.get("fairpanel_source") or "reviews table"
        raise FairpanelInputError(message, file=name, column="reviewer_id",
                                  hint=HINT_OWN_SUBMISSION)  # fmt: skip


def _residuals(reviews: pd.DataFrame, review_type: str, higher_is_better: bool) -> pd.DataFrame:
    """Each review's normalised position in its reviewer's set, and its residual."""
    # Several criteria of one review: their mean places the review in the set.
    mean = reviews.groupby(["reviewer_id", "submission_id"], sort=False)["score"].mean()
    one = mean.reset_index()
    worse_last = one["score"] if review_type == "ranks" or not higher_is_better else -one["score"]
    by_reviewer = one.assign(key=worse_last).groupby("reviewer_id", sort=False)["key"]
    size = by_reviewer.transform("size").to_numpy(dtype=float)
    place = by_reviewer.rank(method="average").to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        position = np.where(size >= 2, (place - 1.0) / (size - 1.0), np.nan)
    one["position"] = position
    by_submission = one.groupby("submission_id", sort=False)["position"]
    total = by_submission.transform("sum").to_numpy(dtype=float)
    count = by_submission.transform("count").to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        consensus = np.where(count >= 2, (total - position) / (count - 1.0), np.nan)
    one["residual"] = position - consensus
    return one


def _by_reviewer(
    residuals: pd.DataFrame, submissions: pd.DataFrame, category: str
) -> pd.DataFrame:
    """Per PI-reviewer: competitor and other counts, mean positions, residual difference."""
    own = submissions[[PI, category]].dropna().astype(str).drop_duplicates()
    own.columns = pd.Index(["reviewer_id", "own_category"])
    labels = own.groupby("reviewer_id", sort=True)["own_category"].agg("; ".join)
    category_of = pd.Series(
        submissions[category].astype(str).to_numpy(),
        index=submissions["submission_id"].astype(str),
    )
    rows = residuals[residuals["reviewer_id"].isin(labels.index)]
    reviewed = rows["submission_id"].map(category_of)
    pairs = pd.MultiIndex.from_frame(own)
    competitor = pd.MultiIndex.from_arrays([rows["reviewer_id"], reviewed]).isin(pairs)
    # One column per kind of review, NaN where the row is of the other kind: one
    # group-by gives both means and both counts without a loop over reviewers.
    parts = pd.DataFrame(
        {
            "reviewer_id": rows["reviewer_id"].to_numpy(),
            "comp_pos": rows["position"].where(competitor).to_numpy(),
            "other_pos": rows["position"].where(~competitor).to_numpy(),
            "comp_res": rows["residual"].where(competitor).to_numpy(),
            "other_res": rows["residual"].where(~competitor).to_numpy(),
            "comp_n": competitor.astype(int),
            "other_n": (~competitor).astype(int),
        }
    )
    agg = parts.groupby("reviewer_id", sort=True).agg(
        comp_pos=("comp_pos", "mean"), other_pos=("other_pos", "mean"),
        comp_res=("comp_res", "mean"), other_res=("other_res", "mean"),
        comp_n=("comp_n", "sum"), other_n=("other_n", "sum"),
    ).reindex(labels.index)  # fmt: skip
    return pd.DataFrame(
        {
            "reviewer_id": labels.index.astype(str),
            "category": labels.to_numpy(),
            "n_competitors": agg["comp_n"].fillna(0).to_numpy(dtype=int),
            "n_others": agg["other_n"].fillna(0).to_numpy(dtype=int),
            "competitor_position": agg["comp_pos"].to_numpy(dtype=float),
            "other_position": agg["other_pos"].to_numpy(dtype=float),
            "difference": (agg["comp_res"] - agg["other_res"]).to_numpy(dtype=float),
        }
    )
