"""Building a :class:`Panel`: from a reviews table, a wide matrix, or integer codes.

A multi-criterion rubric review becomes its *total* (:meth:`Rubric.totals`, the weighted
mean of its criterion scores on the rubric's scale), the number the committee ranks on,
unless one criterion is chosen. This is the one place that reads a reviews table into
arrays, so scoring and reliability see the same reviews: rows without a score are not
reviews, rows flagged in a ``conflict`` column are left out (a conflicted review is
removed, not down-weighted), a repeated (submission, reviewer, criterion) is refused, and
with a rubric every score must lie on its scale and name one of its criteria.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import BOOL_HINT, parse_bool
from fairpanel.panel._panel import FloatArray, Panel
from fairpanel.rubric import Rubric

__all__ = ["as_panel", "from_codes", "from_matrix", "from_reviews"]

SUBMISSION, REVIEWER, CRITERION, SCORE, CONFLICT = (
    "submission_id",
    "reviewer_id",
    "criterion",
    "score",
    "conflict",
)
#: The criterion of a table without a criterion column: one overall grade per review.
OVERALL = "overall"

ERR_MISSING_COLUMN = "the reviews table has no column '{column}'"
HINT_LOAD = "load the table with fairpanel.io.load_reviews"
ERR_LONG_COLUMNS = (
    "a reviews table needs the columns submission_id, reviewer_id and score; got {columns}"
)
ERR_WIDE_NUMERIC = "a wide ratings matrix must hold numbers only (NaN for a missing rating)"
ERR_WIDE_SHAPE = "a wide ratings matrix must be two-dimensional, got {ndim} dimension(s)"
ERR_CRITERION_WIDE = "criterion= applies to a long reviews table, not to a wide matrix"
ERR_NEED_RUBRIC = (
    "the reviews score {n} criteria; pass the rubric so each review's weighted total "
    "can be used, or choose one criterion"
)
ERR_CRITERION_NOT_FOUND = "criterion '{criterion}' does not occur in the reviews (found: {found})"
ERR_UNKNOWN_CRITERION = "criterion '{criterion}' is not in the rubric (its criteria: {known})"
ERR_DUPLICATE = (
    "reviewer '{reviewer}' scored criterion '{criterion}' of submission '{submission}' twice"
)
HINT_DUPLICATE = "keep one of the two rows"
ERR_NOT_NUMBER = "score {value!r} is not a number"
ERR_OFF_SCALE = "score {value:g} is off the scale {min}–{max}"
ERR_FLAT_SCALE = "every score is {value:g}: a scale cannot be inferred from the data"
ERR_NO_REVIEWS = "there are no scored reviews"
ERR_CONFLICT_VALUE = "conflict flag {value!r} is not yes or no"
ERR_DUPLICATE_PAIR = "each (submission, reviewer) pair may occur once; codes repeat a pair"
ERR_CODES = "sub, rev and values must be one-dimensional and of equal length"

Scale = tuple[int, int] | Literal["data"] | None


def from_reviews(
    reviews: pd.DataFrame,
    *,
    rubric: Rubric | None = None,
    criterion: str | None = None,
    scale: Scale = None,
    higher_is_better: bool = True,
) -> Panel:
    """Reduce a canonical reviews table to one total per review.

    Parameters
    ----------
    reviews : DataFrame
        The long reviews table (:func:`fairpanel.io.load_reviews`): columns
        ``submission_id``, ``reviewer_id``, ``score``, optionally ``criterion`` (absent:
        one overall grade per review) and ``conflict``.
    rubric : Rubric, optional
        Criteria, weights, scale and its direction. Needed when the reviews score several
        criteria (unless ``criterion`` picks one).
    criterion : str, optional
        Keep only this criterion's scores.
    scale : (int, int), "data" or None
        Without a rubric: the scale's ends, ``"data"`` for the data's floor(min) and
        ceil(max), or None for no scale at all (values only: what reliability needs).
    higher_is_better : bool, default True
        The scale's direction when ``scale`` is given instead of a rubric.

    Returns
    -------
    Panel
        Sorted by (submission, reviewer), so the order of the rows never matters.

    Raises
    ------
    FairpanelInputError
        A missing column, a score that is not a number or is off the scale, a criterion
        unknown to the rubric (or missing from the reviews), several criteria without a
        rubric, a repeated review, an unreadable conflict flag, or no review at all.

    Examples
    --------
    >>> import pandas as pd
    >>> reviews = pd.DataFrame({"submission_id": ["b", "a", "a"],
    ...                         "reviewer_id": ["r1", "r1", "r2"], "score": [2, 5, 4]})
    >>> panel = from_reviews(reviews, scale=(1, 5))
    >>> panel.submissions.tolist(), panel.raw_total.tolist(), panel.complete
    (['a', 'b'], [5.0, 4.0, 2.0], False)
    """
    for column in (SUBMISSION, REVIEWER, SCORE):
        if column not in reviews.columns:
            raise FairpanelInputError(
                ERR_MISSING_COLUMN.format(column=column), column=column, hint=HINT_LOAD
            )
    # Spreadsheet row of each row (header = 1), kept through the filters below: the
    # canonical table is in file order, one row per data row.
    frame = reviews.assign(_row=np.arange(2, len(reviews) + 2))
    if CONFLICT in frame.columns:
        frame = frame.loc[~_conflicted(frame)]
    if criterion is not None:
        found = sorted(map(str, frame[CRITERION].dropna().unique())) if CRITERION in frame else []
        if criterion not in found:
            raise FairpanelInputError(
                ERR_CRITERION_NOT_FOUND.format(criterion=criterion, found=", ".join(found)),
                column=CRITERION,
            )
        frame = frame.loc[(frame[CRITERION].astype(str) == criterion).to_numpy()]
    score = pd.to_numeric(frame[SCORE], errors="coerce")
    bad = (score.isna() & frame[SCORE].notna()).to_numpy()
    if bad.any():
        _fail(frame, bad, ERR_NOT_NUMBER.format(value=frame[SCORE].iloc[bad.argmax()]), SCORE)
    keep = score.notna().to_numpy()
    frame, values = frame.loc[keep], score.loc[keep].to_numpy(dtype=float)
    if frame.empty:
        raise FairpanelInputError(ERR_NO_REVIEWS, column=SCORE)
    crit = _criteria(frame, rubric)
    if rubric is None:
        n_criteria = crit.nunique()
        if n_criteria > 1:
            raise FairpanelInputError(ERR_NEED_RUBRIC.format(n=n_criteria))
        if scale is not None:
            rubric = _infer_rubric(values, scale, higher_is_better)
    if rubric is not None:
        crit = _check_on_rubric(frame, crit, values, rubric)
    long = pd.DataFrame(
        {
            SUBMISSION: frame[SUBMISSION].astype("str").to_numpy(),
            REVIEWER: frame[REVIEWER].astype("str").to_numpy(),
            CRITERION: crit.to_numpy(),
            SCORE: values,
        }
    )
    dup = long.duplicated([SUBMISSION, REVIEWER, CRITERION]).to_numpy()
    if dup.any():
        first = long.iloc[int(dup.argmax())]
        message = ERR_DUPLICATE.format(
            reviewer=first[REVIEWER], criterion=first[CRITERION], submission=first[SUBMISSION]
        )
        _fail(frame, dup, message, None, HINT_DUPLICATE)
    return _assemble(long, rubric)


def _conflicted(frame: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Which rows a reviewer flagged as a conflict of interest (an empty cell means no)."""
    raw = frame[CONFLICT]
    flags = [False if _blank(v) else parse_bool(v) for v in raw]
    unread = np.array([f is None for f in flags], dtype=bool)
    if unread.any():
        message = ERR_CONFLICT_VALUE.format(value=raw.iloc[unread.argmax()])
        _fail(frame, unread, message, CONFLICT, BOOL_HINT)
    return np.array(flags, dtype=bool)


def _blank(value: object) -> bool:
    return (
        value is None
        or value is pd.NA
        or (isinstance(value, float) and np.isnan(value))
        or (isinstance(value, str) and not value.strip())
    )


def _fail(
    frame: pd.DataFrame,
    mask: npt.NDArray[np.bool_],
    message: str,
    column: str | None,
    hint: str | None = None,
) -> None:
    row = int(frame["_row"].iloc[int(np.argmax(mask))])
    raise FairpanelInputError(message, row=row, column=column, hint=hint)


def _criteria(frame: pd.DataFrame, rubric: Rubric | None) -> pd.Series:
    """Each row's criterion: its column, or the one criterion of a table without one."""
    if CRITERION in frame.columns:
        return frame[CRITERION].astype("str")
    if rubric is not None and len(rubric.criteria) > 1:
        raise FairpanelInputError(
            ERR_MISSING_COLUMN.format(column=CRITERION),
            column=CRITERION,
            hint=f"the rubric has {len(rubric.criteria)} criteria",
        )
    only = rubric.criterion_ids[0] if rubric is not None else OVERALL
    return pd.Series(only, index=frame.index, dtype="str")


def _infer_rubric(
    values: FloatArray, scale: tuple[int, int] | Literal["data"], higher_is_better: bool
) -> Rubric:
    if scale != "data":
        lo, hi = scale
    else:
        lo, hi = int(np.floor(values.min())), int(np.ceil(values.max()))
        if lo == hi:
            raise FairpanelInputError(
                ERR_FLAT_SCALE.format(value=values.min()),
                column=SCORE,
                hint="pass the scale or a rubric",
            )
    return Rubric.single_criterion(minimum=lo, maximum=hi, higher_is_better=higher_is_better)


def _check_on_rubric(
    frame: pd.DataFrame, crit: pd.Series, values: FloatArray, rubric: Rubric
) -> pd.Series:
    """Refuse criteria the rubric does not have and scores off its scale."""
    known = set(rubric.criterion_ids)
    unknown = ~crit.isin(known).to_numpy()
    if unknown.any() and len(rubric.criteria) == 1 and (crit == crit.iloc[0]).all():
        # A one-criterion rubric and a table naming its one criterion differently (e.g.
        # "overall" from the loader): there is nothing to mix up.
        crit = pd.Series(rubric.criterion_ids[0], index=frame.index, dtype="str")
        unknown = np.zeros(len(crit), dtype=bool)
    if unknown.any():
        message = ERR_UNKNOWN_CRITERION.format(
            criterion=crit.iloc[int(unknown.argmax())], known=", ".join(rubric.criterion_ids)
        )
        _fail(frame, unknown, message, CRITERION)
    lo, hi = rubric.scale.min, rubric.scale.max
    off = (values < lo) | (values > hi)
    if off.any():
        _fail(frame, off, ERR_OFF_SCALE.format(value=values[off.argmax()], min=lo, max=hi), SCORE)
    return crit


def _assemble(long: pd.DataFrame, rubric: Rubric | None) -> Panel:
    # One row per review, sorted by (submission, reviewer): row order never matters.
    keyed = long.set_index([SUBMISSION, REVIEWER, CRITERION])[SCORE]
    wide = keyed.unstack(CRITERION).sort_index()  # noqa: PD010 (unique keys: no aggregation)
    if rubric is not None:
        wide = wide.reindex(columns=[c for c in rubric.criterion_ids if c in wide.columns])
        total = rubric.totals(wide).to_numpy(dtype=float)
        weights = rubric.weights[list(wide.columns)].to_numpy(dtype=float)
    else:
        total = wide.iloc[:, 0].to_numpy(dtype=float)
        weights = np.ones(1)
    present = wide.notna().to_numpy()
    norm = present.astype(float) @ weights
    contributions = pd.DataFrame(
        np.where(present, wide.to_numpy(dtype=float) * weights, 0.0) / norm[:, None],
        columns=list(map(str, wide.columns)),
    )
    sub_codes, submissions = pd.factorize(wide.index.get_level_values(0), sort=True)
    rev_codes, reviewers = pd.factorize(wide.index.get_level_values(1), sort=True)
    y = total
    if rubric is not None and not rubric.scale.higher_is_better:
        y = (rubric.scale.min + rubric.scale.max) - total
    return Panel(
        submissions=pd.Index(submissions, name=SUBMISSION, dtype="object"),
        reviewers=pd.Index(reviewers, name=REVIEWER, dtype="object"),
        sub=np.asarray(sub_codes, dtype=np.intp),
        rev=np.asarray(rev_codes, dtype=np.intp),
        raw_total=total,
        y=np.asarray(y, dtype=float),
        contributions=contributions,
        criterion=str(wide.columns[0]) if wide.shape[1] == 1 else None,
        scale_rubric=rubric,
    )


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
    if isinstance(data, pd.DataFrame) and {SUBMISSION, REVIEWER, SCORE} <= set(data.columns):
        return from_reviews(data, rubric=rubric, criterion=criterion)
    if criterion is not None:
        raise ValueError(ERR_CRITERION_WIDE)
    if isinstance(data, pd.DataFrame) and {SCORE, SUBMISSION, REVIEWER} & set(data.columns):
        raise FairpanelInputError(ERR_LONG_COLUMNS.format(columns=list(data.columns)))
    return from_matrix(data)
