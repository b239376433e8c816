"""Building a :class:`Panel` from a wide matrix or integer codes, or from whichever it is.

Reliability statistics are often computed on a plain matrix (one row per submission, one
column per reviewer, NaN where a reviewer did not score), as in Shrout & Fleiss (1979) and
Krippendorff (2011); the model code needs integer codes. Both become the same
:class:`Panel` a reviews table does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel.panel._build import (
    ERR_NO_REVIEWS,
    REQUIRED,
    REVIEWER,
    SCORE,
    SUBMISSION,
    from_reviews,
)
from fairpanel.panel._panel import FloatArray, Panel
from fairpanel.rubric import Rubric

__all__ = ["as_panel", "from_codes", "from_matrix"]

ERR_LONG_COLUMNS = (
    "a reviews table needs the columns submission_id, reviewer_id and score; got {columns}"
)
ERR_WIDE_NUMERIC = "a wide ratings matrix must hold numbers only (NaN for a missing rating)"
ERR_WIDE_SHAPE = "a wide ratings matrix must be two-dimensional, got {ndim} dimension(s)"
ERR_CRITERION_WIDE = "criterion= applies to a long reviews table, not to a wide matrix"
ERR_DUPLICATE_PAIR = "each (submission, reviewer) pair may occur once; codes repeat a pair"
ERR_CODES = "sub, rev and values must be one-dimensional and of equal length"


def from_codes(
    sub: npt.ArrayLike,
    rev: npt.ArrayLike,
    values: npt.ArrayLike,
    *,
    submissions: npt.ArrayLike | None = None,
    reviewers: npt.ArrayLike | None = None,
) -> Panel:
    """Build a panel (without a scale) from integer codes and one value per review.

    Parameters
    ----------
    sub, rev : array_like of int
        Codes of each review's submission and reviewer (0, 1, …).
    values : array_like of float
        One finite value per review.
    submissions, reviewers : array_like, optional
        The ids the codes index (default: the codes as text). Ids without a review are
        dropped and the codes renumbered.

    Returns
    -------
    Panel

    Examples
    --------
    >>> panel = from_codes([0, 0, 1], [0, 1, 1], [4.0, 5.0, 2.0])
    >>> panel.n_sub, panel.n_rev, panel.wide().tolist()
    (2, 2, [[4.0, 5.0], [nan, 2.0]])
    """
    s = np.asarray(sub, dtype=np.intp)
    r = np.asarray(rev, dtype=np.intp)
    v = np.asarray(values, dtype=float)
    if not (s.ndim == r.ndim == v.ndim == 1) or not (s.size == r.size == v.size):
        raise ValueError(ERR_CODES)
    if v.size == 0:
        raise FairpanelInputError(ERR_NO_REVIEWS)
    # Drop submissions and reviewers without any review (empty matrix rows/columns), so
    # the counts describe the design actually observed.
    s_used, s_new = np.unique(s, return_inverse=True)
    r_used, r_new = np.unique(r, return_inverse=True)
    if np.unique(s_new * r_used.size + r_new).size != v.size:
        raise ValueError(ERR_DUPLICATE_PAIR)
    s_ids = np.asarray(s_used if submissions is None else np.asarray(submissions)[s_used])
    r_ids = np.asarray(r_used if reviewers is None else np.asarray(reviewers)[r_used])
    return Panel(
        submissions=pd.Index([str(i) for i in s_ids], name=SUBMISSION, dtype="object"),
        reviewers=pd.Index([str(i) for i in r_ids], name=REVIEWER, dtype="object"),
        sub=s_new.astype(np.intp).reshape(-1),
        rev=r_new.astype(np.intp).reshape(-1),
        raw_total=v,
        y=v,
        contributions=pd.DataFrame({SCORE: v}),
        criterion=None,
    )


def from_matrix(data: Any) -> Panel:
    """Build a panel from a wide matrix: one row per submission, one column per reviewer.

    Parameters
    ----------
    data : DataFrame or array_like
        Numbers, NaN where a reviewer did not score a submission. A DataFrame's index
        and columns give the ids (default: positions).

    Returns
    -------
    Panel
        Rows and columns without any score are dropped.

    Raises
    ------
    FairpanelInputError
        If the matrix holds anything but numbers, or no number at all.
    """
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(_as_2d(data))
    try:
        values = frame.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise FairpanelInputError(ERR_WIDE_NUMERIC) from None
    t, r = np.nonzero(np.isfinite(values))
    return from_codes(
        t, r, values[t, r], submissions=list(frame.index), reviewers=list(frame.columns)
    )


def _as_2d(data: Any) -> FloatArray:
    try:
        arr = np.asarray(data, dtype=float)
    except (TypeError, ValueError):
        raise FairpanelInputError(ERR_WIDE_NUMERIC) from None
    if arr.ndim != 2:
        raise ValueError(ERR_WIDE_SHAPE.format(ndim=arr.ndim))
    return arr


def as_panel(data: Any, *, rubric: Rubric | None = None, criterion: str | None = None) -> Panel:
    """Read a long reviews table or a wide matrix as a :class:`Panel`, whichever it is.

    Parameters
    ----------
    data : DataFrame or array_like
        A long reviews table (columns ``submission_id``, ``reviewer_id``, ``score``; see
        :func:`from_reviews`) or a wide matrix (see :func:`from_matrix`).
    rubric : Rubric, optional
        For a long table: reduce multi-criterion reviews to their weighted totals.
    criterion : str, optional
        For a long table: keep only this criterion's scores.

    Returns
    -------
    Panel
    """
    if isinstance(data, pd.DataFrame) and set(REQUIRED) <= set(data.columns):
        return from_reviews(data, rubric=rubric, criterion=criterion)
    if criterion is not None:
        raise ValueError(ERR_CRITERION_WIDE)
    if isinstance(data, pd.DataFrame) and set(REQUIRED) & set(data.columns):
        raise FairpanelInputError(ERR_LONG_COLUMNS.format(columns=list(data.columns)))
    return from_matrix(data)
