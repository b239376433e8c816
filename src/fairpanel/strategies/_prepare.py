"""What every strategy starts from: the scores joined to eligibility and requests.

The tables are checked where they enter, by :mod:`fairpanel.io`: a raw frame handed to
a strategy goes through :func:`~fairpanel.io.load_scores` /
:func:`~fairpanel.io.load_submissions` (a loaded one is not checked twice). What is left
here is the strategies' own logic: the scale's direction, who may be selected, and each
submission's request against a budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import SubmissionColumns
from fairpanel.io import load_scores, load_submissions
from fairpanel.strategies._allocation import Capacity
from fairpanel.strategies._direction import score_direction

if TYPE_CHECKING:
    from fairpanel.rubric import Rubric

__all__ = [
    "ERR_MISSING_COLUMN",
    "ERR_NO_SUBMISSIONS",
    "ERR_UNKNOWN_SUBMISSION",
    "Prepared",
    "prepare_inputs",
]

ERR_MISSING_COLUMN = "the score table has no column {column!r}"
ERR_NO_SUBMISSIONS = "a budget needs the submissions table with the request column {column!r}"
ERR_UNKNOWN_SUBMISSION = "submission {sid!r} has a score but is not in the submissions table"
HINT_SCORES = "write the score table with 'fairpanel score'"
HINT_UNKNOWN = "score only the submissions of this cycle, or add it to the submissions table"


@dataclass(frozen=True, eq=False)
class Prepared:
    """Checked inputs, sorted by ``submission_id`` so row order never matters.

    ``frame`` holds the score table's columns plus ``eligible`` (bool) and ``request``
    (float, NaN without a budget).
    """

    frame: pd.DataFrame
    sign: float = 1.0

    @property
    def merit(self) -> npt.NDArray[np.float64]:
        """``calibrated_score`` oriented so that higher is better (times :attr:`sign`)."""
        return self.sign * self.frame["calibrated_score"].to_numpy(dtype=float)

    @property
    def ids(self) -> npt.NDArray[np.str_]:
        """The submission ids, sorted."""
        return self.frame["submission_id"].to_numpy(dtype=str)


def prepare_inputs(
    scores: pd.DataFrame,
    submissions: pd.DataFrame | None,
    capacity: Capacity,
    *,
    required: tuple[str, ...] = ("submission_id", "calibrated_score"),
    rubric: Rubric | None = None,
) -> Prepared:
    """Join the scores to eligibility and requests, sorted by id.

    Parameters
    ----------
    scores : DataFrame
        The score table (raw frames are checked by :func:`fairpanel.io.load_scores`).
    submissions : DataFrame, optional
        The submissions table (checked by :func:`fairpanel.io.load_submissions`, with
        the capacity's request column): its ``eligible`` column, when present, says who
        may be selected; with a budget, it holds each submission's request.
    capacity : Capacity
        A count, or a budget with the request column.
    required : tuple of str
        Columns of the score table this strategy needs.
    rubric : Rubric, optional
        Gives the scale's direction where the table does not (see
        :func:`~fairpanel.strategies._direction.score_direction`).

    Returns
    -------
    Prepared
        The frame and the sign orienting ``calibrated_score``.
    """
    scores = load_scores(scores)
    source = scores.attrs.get("fairpanel_source")
    for col in required:
        if col not in scores.columns:
            raise FairpanelInputError(
                ERR_MISSING_COLUMN.format(column=col), file=source, hint=HINT_SCORES
            )
    sign = score_direction(scores, rubric)
    frame = scores.copy()
    frame["eligible"] = True
    frame["request"] = np.nan
    request = str(capacity.request_col) if capacity.is_budget else None
    if submissions is not None:
        subs = load_submissions(submissions, columns=SubmissionColumns(request=request))
        indexed = subs.set_index("submission_id")
        known = frame["submission_id"].isin(indexed.index).to_numpy()
        if not known.all():
            pos = int(np.argmin(known))
            raise FairpanelInputError(
                ERR_UNKNOWN_SUBMISSION.format(sid=frame["submission_id"].iloc[pos]),
                file=source,
                row=pos + 2,
                column="submission_id",
                hint=HINT_UNKNOWN,
            )
        if "eligible" in indexed.columns:
            frame["eligible"] = indexed["eligible"].reindex(frame["submission_id"]).to_numpy()
        if request is not None:
            frame["request"] = indexed[request].reindex(frame["submission_id"]).to_numpy()
    elif request is not None:
        raise FairpanelInputError(ERR_NO_SUBMISSIONS.format(column=request))
    frame = frame.sort_values("submission_id", kind="stable").reset_index(drop=True)
    return Prepared(frame, sign)
