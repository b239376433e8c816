"""From the long reviews table to the arrays the models need: review totals, orientation.

Every model in this package works on one number per review, its rubric *total* (the
weighted mean of its criterion scores, :meth:`Rubric.totals`), oriented so that higher is
better: on a lower-is-better scale a total ``t`` becomes ``(min + max) - t``. Results are
turned back to the rubric's own scale before anyone sees them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel.rubric import Rubric, Scale

__all__ = ["PanelData", "prepare_panel"]

ERR_MISSING_COLUMN = "the reviews table has no column '{column}'"
ERR_NO_REVIEWS = "there are no scored reviews to rank"
ERR_TOO_FEW_SUBMISSIONS = "at least two submissions are needed for a ranking, got {n}"
ERR_UNKNOWN_CRITERION = "criterion '{criterion}' is not in the rubric (its criteria: {known})"
ERR_DUPLICATE = "reviewer '{reviewer}' scored criterion '{criterion}' of '{submission}' twice"
ERR_OFF_SCALE = "score {value:g} is off the scale {min}–{max}"
ERR_FLAT_SCALE = "every score is {value:g}: a scale cannot be inferred from the data"
ERR_NOT_NUMBER = "score {value!r} is not a number"

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

REQUIRED = ("submission_id", "reviewer_id", "score")


@dataclass(frozen=True)
class PanelData:
    """One panel as arrays: one oriented total per review (a submission–reviewer pair).

    Attributes
    ----------
    submissions, reviewers : Index
        The ids, sorted, so that the order of the input rows never matters.
    sub, rev : ndarray of intp
        Position of each review's submission and reviewer in those indexes.
    y : ndarray
        Each review's total, oriented so that higher is better.
    raw_total : ndarray
        Each review's total on the rubric's own scale.
    contributions : DataFrame
        Per review (rows aligned with ``y``) and criterion (columns), the criterion's
        share of the review's total on the rubric's own scale: the weighted score with the
        weights renormalised over the criteria that review scored. Rows sum to the total.
    rubric : Rubric
        The rubric used (inferred single-criterion rubric when none was given).
    """

    submissions: pd.Index
    reviewers: pd.Index
    sub: IntArray
    rev: IntArray
    y: FloatArray
    raw_total: FloatArray
    contributions: pd.DataFrame
    rubric: Rubric

    @property
    def scale(self) -> Scale:
        """The rubric's scale."""
        return self.rubric.scale

    @property
    def n_sub(self) -> int:
        """Number of submissions."""
        return len(self.submissions)

    @property
    def n_rev(self) -> int:
        """Number of reviewers."""
        return len(self.reviewers)

    def to_scale(self, oriented: FloatArray) -> FloatArray:
        """Turn oriented values (higher is better) back into points of the rubric's scale."""
        if self.scale.higher_is_better:
            return oriented
        out: FloatArray = (self.scale.min + self.scale.max) - oriented
        return out

    @property
    def scale_range(self) -> float:
        """The scale's range, max − min: the unit the default priors are stated in."""
        return float(self.scale.max - self.scale.min)


def _infer_rubric(
    scores: npt.NDArray[np.floating[Any]], scale: tuple[int, int] | None, higher_is_better: bool
) -> Rubric:
    if scale is not None:
        lo, hi = scale
    else:
        lo, hi = int(np.floor(scores.min())), int(np.ceil(scores.max()))
        if lo == hi:
            raise FairpanelInputError(
                ERR_FLAT_SCALE.format(value=scores.min()),
                column="score",
                hint="pass the scale or a rubric",
            )
    return Rubric.single_criterion(minimum=lo, maximum=hi, higher_is_better=higher_is_better)


def prepare_panel(
    reviews: pd.DataFrame,
    *,
    rubric: Rubric | None,
    scale: tuple[int, int] | None,
    higher_is_better: bool,
) -> PanelData:
    """Check a canonical reviews table and reduce it to one oriented total per review.

    Rows without a score (NaN) are not reviews and are left out, as are rows flagged in a
    ``conflict`` column: a conflicted review is removed, not down-weighted.
    """
    for column in REQUIRED:
        if column not in reviews.columns:
            raise FairpanelInputError(
                ERR_MISSING_COLUMN.format(column=column),
                column=column,
                hint="load the table with fairpanel.io.load_reviews",
            )
    # Spreadsheet row of each row (header = 1), kept through the filters below: the
    # canonical table is in file order, one row per data row.
    frame = reviews.assign(_row=np.arange(2, len(reviews) + 2))
    if "conflict" in frame.columns:
        frame = frame.loc[~frame["conflict"].fillna(False).astype(bool).to_numpy()]
    score = pd.to_numeric(frame["score"], errors="coerce")
    bad = score.isna() & frame["score"].notna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise FairpanelInputError(
            ERR_NOT_NUMBER.format(value=frame["score"].iloc[pos]),
            row=int(frame["_row"].iloc[pos]),
            column="score",
        )
    keep = score.notna().to_numpy()
    frame = frame.loc[keep]
    score = score.loc[keep].astype(float)
    if frame.empty:
        raise FairpanelInputError(ERR_NO_REVIEWS, column="score")
    sub_ids = frame["submission_id"].astype("str")
    rev_ids = frame["reviewer_id"].astype("str")
    if rubric is None:
        rubric = _infer_rubric(score.to_numpy(dtype=float), scale, higher_is_better)
    if "criterion" in frame.columns:
        crit = frame["criterion"].astype("str")
    elif len(rubric.criteria) == 1:
        crit = pd.Series(rubric.criterion_ids[0], index=frame.index, dtype="str")
    else:
        raise FairpanelInputError(
            ERR_MISSING_COLUMN.format(column="criterion"),
            column="criterion",
            hint=f"the rubric has {len(rubric.criteria)} criteria",
        )
    unknown = ~crit.isin(set(rubric.criterion_ids))
    if unknown.any() and len(rubric.criteria) == 1 and (crit == crit.iloc[0]).all():
        # A one-criterion rubric and a table naming its one criterion differently (e.g.
        # "overall" from the loader): there is nothing to mix up.
        crit = pd.Series(rubric.criterion_ids[0], index=frame.index, dtype="str")
        unknown = ~crit.isin(set(rubric.criterion_ids))
    if unknown.any():
        pos = int(np.flatnonzero(unknown.to_numpy())[0])
        raise FairpanelInputError(
            ERR_UNKNOWN_CRITERION.format(
                criterion=crit.iloc[pos], known=", ".join(rubric.criterion_ids)
            ),
            row=int(frame["_row"].iloc[pos]),
            column="criterion",
        )
    values = score.to_numpy()
    off = (values < rubric.scale.min) | (values > rubric.scale.max)
    if off.any():
        pos = int(np.flatnonzero(off)[0])
        raise FairpanelInputError(
            ERR_OFF_SCALE.format(value=values[pos], min=rubric.scale.min, max=rubric.scale.max),
            row=int(frame["_row"].iloc[pos]),
            column="score",
        )
    long = pd.DataFrame(
        {"submission_id": sub_ids, "reviewer_id": rev_ids, "criterion": crit, "score": values}
    )
    dup = long.duplicated(["submission_id", "reviewer_id", "criterion"])
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        raise FairpanelInputError(
            ERR_DUPLICATE.format(
                reviewer=rev_ids.iloc[pos], criterion=crit.iloc[pos], submission=sub_ids.iloc[pos]
            ),
            row=int(frame["_row"].iloc[pos]),
            hint="keep one of the two rows",
        )
    # One row per review, sorted by (submission, reviewer): row order never matters.
    keyed = long.set_index(["submission_id", "reviewer_id", "criterion"])["score"]
    wide = keyed.unstack("criterion").sort_index()  # noqa: PD010 (unique keys: no aggregation)
    wide = wide.reindex(columns=[c for c in rubric.criterion_ids if c in wide.columns])
    total = rubric.totals(wide).to_numpy(dtype=float)
    weights = rubric.weights[list(wide.columns)].to_numpy()
    present = wide.notna().to_numpy()
    norm = present.astype(float) @ weights
    contributions = pd.DataFrame(
        np.where(present, wide.to_numpy(dtype=float) * weights, 0.0) / norm[:, None],
        columns=list(wide.columns),
    )
    sub_codes, submissions = pd.factorize(wide.index.get_level_values(0), sort=True)
    rev_codes, reviewers = pd.factorize(wide.index.get_level_values(1), sort=True)
    if len(submissions) < 2:
        raise FairpanelInputError(ERR_TOO_FEW_SUBMISSIONS.format(n=len(submissions)))
    scale_ = rubric.scale
    y = total if scale_.higher_is_better else (scale_.min + scale_.max) - total
    return PanelData(
        submissions=pd.Index(submissions, name="submission_id"),
        reviewers=pd.Index(reviewers, name="reviewer_id"),
        sub=np.asarray(sub_codes, dtype=np.intp),
        rev=np.asarray(rev_codes, dtype=np.intp),
        y=np.asarray(y, dtype=float),
        raw_total=total,
        contributions=contributions,
        rubric=rubric,
    )
