"""From a reviews table (or a wide matrix) to the ratings the reliability statistics need.

Reliability is a property of one number per review. A multi-criterion rubric review is
reduced to its total (:meth:`fairpanel.rubric.Rubric.totals`, the weighted mean of its
criterion scores, on the rubric's scale) unless one criterion is chosen: the total is what
the committee ranks on, so its reliability is the one that matters for the decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel.rubric import Rubric

__all__ = ["Ratings", "as_ratings"]

SUBMISSION = "submission_id"
REVIEWER = "reviewer_id"
CRITERION = "criterion"
SCORE = "score"

ERR_LONG_COLUMNS = (
    "a reviews table needs the columns submission_id, reviewer_id and score; got {columns}"
)
ERR_WIDE_NUMERIC = "a wide ratings matrix must hold numbers only (NaN for a missing rating)"
ERR_WIDE_SHAPE = "a wide ratings matrix must be two-dimensional, got {ndim} dimension(s)"
ERR_NEED_RUBRIC = (
    "the reviews score {n} criteria; pass the rubric so each review's weighted total "
    "can be used, or choose one criterion"
)
ERR_UNKNOWN_CRITERION = "criterion '{criterion}' does not occur in the reviews (found: {found})"
ERR_DUPLICATE = (
    "reviewer '{reviewer}' scored submission '{submission}' more than once"
    " (criterion '{criterion}')"
)
ERR_NO_SCORES = "there are no scores to assess"
ERR_NON_NUMERIC = "score must be a number, got {value!r}"
ERR_CRITERION_WIDE = "criterion= applies to a long reviews table, not to a wide matrix"


@dataclass(frozen=True)
class Ratings:
    """One number per (submission, reviewer), as integer codes and values.

    ``target`` indexes ``target_ids`` (submissions), ``rater`` indexes ``rater_ids``
    (reviewers); ``value`` is finite. No (target, rater) pair occurs twice.
    """

    target: npt.NDArray[np.intp]
    rater: npt.NDArray[np.intp]
    value: npt.NDArray[np.float64]
    target_ids: tuple[str, ...]
    rater_ids: tuple[str, ...]
    criterion: str | None

    @property
    def n_targets(self) -> int:
        """Number of submissions with at least one rating."""
        return len(self.target_ids)

    @property
    def n_raters(self) -> int:
        """Number of reviewers with at least one rating."""
        return len(self.rater_ids)

    @property
    def n(self) -> int:
        """Number of ratings."""
        return int(self.value.size)

    @property
    def complete(self) -> bool:
        """Whether every reviewer scored every submission (a full crossed design)."""
        return self.n == self.n_targets * self.n_raters

    def wide(self) -> npt.NDArray[np.float64]:
        """Return the targets × raters matrix, NaN where a reviewer did not score a submission."""
        out = np.full((self.n_targets, self.n_raters), np.nan)
        out[self.target, self.rater] = self.value
        return out


def as_ratings(
    data: Any,
    *,
    rubric: Rubric | None = None,
    criterion: str | None = None,
) -> Ratings:
    """Normalise a long reviews table or a wide matrix to :class:`Ratings`.

    Parameters
    ----------
    data : DataFrame or array_like
        Either the canonical long reviews table (columns ``submission_id``,
        ``reviewer_id``, ``score`` and optionally ``criterion``), or a wide matrix with
        one row per submission and one column per reviewer (NaN = not scored).
    rubric : Rubric, optional
        Needed when the reviews score several criteria: each review is reduced to its
        weighted total.
    criterion : str, optional
        Use only this criterion's scores instead of the totals.
    """
    if isinstance(data, pd.DataFrame) and {SUBMISSION, REVIEWER, SCORE} <= set(data.columns):
        return _from_long(data, rubric=rubric, criterion=criterion)
    if criterion is not None:
        raise ValueError(ERR_CRITERION_WIDE)
    if isinstance(data, pd.DataFrame):
        if SCORE in data.columns or SUBMISSION in data.columns or REVIEWER in data.columns:
            raise FairpanelInputError(ERR_LONG_COLUMNS.format(columns=list(data.columns)))
        return _from_wide(data)
    return _from_wide(pd.DataFrame(_as_2d(data)))


def _as_2d(data: Any) -> npt.NDArray[np.float64]:
    try:
        arr = np.asarray(data, dtype=float)
    except (TypeError, ValueError):
        raise FairpanelInputError(ERR_WIDE_NUMERIC) from None
    if arr.ndim != 2:
        raise ValueError(ERR_WIDE_SHAPE.format(ndim=arr.ndim))
    return arr


def _from_wide(frame: pd.DataFrame) -> Ratings:
    try:
        values = frame.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise FairpanelInputError(ERR_WIDE_NUMERIC) from None
    t, r = np.nonzero(np.isfinite(values))
    return _build(
        t,
        r,
        values[t, r],
        tuple(str(i) for i in frame.index),
        tuple(str(c) for c in frame.columns),
        None,
    )


def _from_long(reviews: pd.DataFrame, *, rubric: Rubric | None, criterion: str | None) -> Ratings:
    frame = reviews
    has_criterion = CRITERION in frame.columns
    if criterion is not None:
        found = sorted(map(str, frame[CRITERION].dropna().unique())) if has_criterion else []
        if criterion not in found:
            raise FairpanelInputError(
                ERR_UNKNOWN_CRITERION.format(criterion=criterion, found=", ".join(found)),
                column=CRITERION,
            )
        frame = frame[frame[CRITERION].astype(str) == criterion]
    scores = pd.to_numeric(frame[SCORE], errors="coerce")
    bad = scores.isna() & frame[SCORE].notna()
    if bad.any():
        raise FairpanelInputError(
            ERR_NON_NUMERIC.format(value=frame.loc[bad, SCORE].iloc[0]), column=SCORE
        )
    long = pd.DataFrame(
        {
            SUBMISSION: frame[SUBMISSION].astype(str).to_numpy(),
            REVIEWER: frame[REVIEWER].astype(str).to_numpy(),
            CRITERION: (frame[CRITERION].astype(str).to_numpy() if has_criterion else "overall"),
            SCORE: scores.to_numpy(dtype=float),
        }
    ).dropna(subset=[SCORE])
    dup = long.duplicated([SUBMISSION, REVIEWER, CRITERION])
    if dup.any():
        first = long[dup].iloc[0]
        raise FairpanelInputError(
            ERR_DUPLICATE.format(
                reviewer=first[REVIEWER], submission=first[SUBMISSION], criterion=first[CRITERION]
            )
        )
    criteria = long[CRITERION].unique()
    if len(criteria) > 1:
        if rubric is None:
            raise FairpanelInputError(ERR_NEED_RUBRIC.format(n=len(criteria)))
        # Duplicates were rejected above, so "first" only reshapes.
        wide = long.pivot_table(
            index=[SUBMISSION, REVIEWER], columns=CRITERION, values=SCORE, aggfunc="first"
        )
        totals = rubric.totals(wide).dropna()
        long = totals.rename(SCORE).reset_index()
    if long.empty:
        raise FairpanelInputError(ERR_NO_SCORES)
    t_codes, t_ids = pd.factorize(long[SUBMISSION], sort=True)
    r_codes, r_ids = pd.factorize(long[REVIEWER], sort=True)
    used = (
        criterion if criterion is not None else (str(criteria[0]) if len(criteria) == 1 else None)
    )
    return _build(
        np.asarray(t_codes, dtype=np.intp),
        np.asarray(r_codes, dtype=np.intp),
        long[SCORE].to_numpy(dtype=float),
        tuple(map(str, t_ids)),
        tuple(map(str, r_ids)),
        used,
    )


def _build(
    target: npt.NDArray[np.intp],
    rater: npt.NDArray[np.intp],
    value: npt.NDArray[np.float64],
    target_ids: tuple[str, ...],
    rater_ids: tuple[str, ...],
    criterion: str | None,
) -> Ratings:
    if value.size == 0:
        raise FairpanelInputError(ERR_NO_SCORES)
    # Drop submissions and reviewers without any rating (empty wide rows/columns), so the
    # counts of targets and raters describe the design actually observed.
    t_used, t_new = np.unique(target, return_inverse=True)
    r_used, r_new = np.unique(rater, return_inverse=True)
    return Ratings(
        target=t_new.astype(np.intp),
        rater=r_new.astype(np.intp),
        value=np.asarray(value, dtype=np.float64),
        target_ids=tuple(target_ids[i] for i in t_used),
        rater_ids=tuple(rater_ids[i] for i in r_used),
        criterion=criterion,
    )
