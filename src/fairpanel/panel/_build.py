"""Building a :class:`Panel` from a reviews table.

A multi-criterion rubric review becomes its *total* (:meth:`Rubric.totals`, the weighted
mean of its criterion scores on the rubric's scale), the number the committee ranks on,
unless one criterion is chosen. This is the one place that reads a reviews table into
arrays, so scoring and reliability see the same reviews: rows without a score are not
reviews, rows flagged in a ``conflict`` column are left out (a conflicted review is
removed, not down-weighted), a repeated (submission, reviewer, criterion) is refused, and
with a rubric every score must lie on its scale and name one of its criteria.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import BOOL_HINT, TABLES, parse_bool
from fairpanel.panel._panel import FloatArray, Panel
from fairpanel.rubric import Rubric

__all__ = ["REQUIRED", "from_reviews"]

SUBMISSION, REVIEWER, CRITERION, SCORE, CONFLICT = (
    "submission_id",
    "reviewer_id",
    "criterion",
    "score",
    "conflict",
)
#: The columns a reviews table cannot do without (its contract, :data:`TABLES`).
REQUIRED = TABLES["reviews"].required
#: The criterion of a table without a criterion column: one overall grade per review.
OVERALL = "overall"

ERR_MISSING_COLUMN = "the reviews table has no column '{column}'"
HINT_LOAD = "load the table with fairpanel.io.load_reviews"
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
    for column in REQUIRED:
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
