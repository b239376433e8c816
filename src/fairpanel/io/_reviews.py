"""Loading a reviews table (long format: one row per criterion score) with its checks."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

import numpy as np
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import ReviewColumns
from fairpanel._tables import ColumnKind
from fairpanel.io._checks import (
    Check,
    as_table,
    cell_error,
    duplicate_rows,
    empty_cells,
    numbers,
    raise_first,
    require_columns,
    spreadsheet_row,
)
from fairpanel.io._columns import is_loaded, mark
from fairpanel.io._read import Table
from fairpanel.io._review_links import (
    ERR_CONFLICT,
    ERR_OWN_SUBMISSION,
    ERR_UNKNOWN_SUBMISSION,
    HINT_CONFLICT,
    HINT_OWN_SUBMISSION,
    HINT_UNKNOWN_SUBMISSION,
    conflict_checks,
    drop_conflicts,
    own_submission,
    unknown_submission,
)
from fairpanel.io._submissions import PI

if TYPE_CHECKING:
    # Annotation only: io sits below rubric in the layers, so a rubric is used through
    # what it offers (``scale.contains``/``min``/``max``/``points``, ``criterion_ids``,
    # ``criteria``), never imported at run time.
    from fairpanel.rubric import Rubric

__all__ = [
    "CONFLICTS_KEY",
    "ERR_CONFLICT",
    "ERR_OWN_SUBMISSION",
    "ERR_UNKNOWN_SUBMISSION",
    "HINT_CONFLICT",
    "HINT_OWN_SUBMISSION",
    "HINT_UNKNOWN_SUBMISSION",
    "REVIEWER_SEPARATOR",
    "REVIEW_COLUMNS",
    "load_reviews",
]

#: Canonical columns of a loaded reviews table (``conflict`` only when the file has one).
REVIEW_COLUMNS = ("submission_id", "reviewer_id", "criterion", "score")

#: The criterion of a table without a criterion column: one overall grade per review,
#: the id :meth:`Rubric.single_criterion` uses.
OVERALL = "overall"

#: Between the parts of a reviewer id built from several columns: ``"A/v_1"``.
REVIEWER_SEPARATOR: Final = "/"

#: ``attrs`` keys of a loaded reviews table: what its scores and criteria were checked
#: against (:func:`_checked_against` of the rubric, or None), and whether the file had no
#: criterion column (so the loader wrote one).
RUBRIC_KEY: Final = "fairpanel_rubric"
NO_CRITERION_KEY: Final = "fairpanel_no_criterion"

ERR_OFF_SCALE = "score {value:g} is off the rubric's scale {min}–{max}"
ERR_NOT_LEVEL = "score {value:g} is not a level of the rubric's scale {min}–{max}"
ERR_UNKNOWN_CRITERION = "criterion '{value}' is not in the rubric (its criteria: {known})"
ERR_NO_CRITERION_COLUMN = "there is no criterion column, but the rubric has {n} criteria ({known})"
ERR_DUPLICATE_REVIEW = (
    "reviewer '{reviewer}' scored criterion '{criterion}' of submission '{submission}' "
    "twice (rows {first} and {row})"
)

HINT_SCORE = "enter a number, or delete the row (--drop-missing if the rating was not given)"
HINT_EMPTY_SCORE = "enter the score, or pass --drop-missing if the rating was not given"
HINT_OFF_SCALE = "use one of the rubric's levels: {levels}"
HINT_OFF_STEP = "use a score of the rubric's scale: {levels}"
HINT_GRADE = "enter one of the scale's grades ({grades}) or a number"
HINT_UNKNOWN_CRITERION = "correct the criterion id, or use the rubric the reviewers scored on"
HINT_DUPLICATE = "keep one of the two rows"

#: The default column names (a frozen instance, shared safely as a default argument).
DEFAULT_REVIEW_COLUMNS = ReviewColumns()


MISSING_CHOICES: Final = ("error", "drop")
ERR_MISSING_CHOICE = "missing must be one of {allowed}, got {value!r}"
ERR_CONFLICTS_CHOICE = "conflicts must be one of {allowed}, got {value!r}"
#: ``attrs`` key of the (submission, reviewer) pairs of the conflicted reviews that
#: ``conflicts="drop"`` left out, in file order.
CONFLICTS_KEY: Final = "fairpanel_conflicts"
#: Cells read as "no rating given" with missing="drop" (compared upper-cased).
NOT_AVAILABLE: Final = frozenset({"", "NA", "N/A", "NAN", "NONE"})


def load_reviews(
    reviews: str | Path | pd.DataFrame,
    *,
    columns: ReviewColumns = DEFAULT_REVIEW_COLUMNS,
    rubric: Rubric | None = None,
    submissions: pd.DataFrame | None = None,
    encoding: str = "utf-8",
    source: str | None = None,
    missing: Literal["error", "drop"] = "error",
    conflicts: Literal["error", "drop"] = "error",
) -> pd.DataFrame:
    """Load and check a reviews table.

    Parameters
    ----------
    reviews : str, Path or DataFrame
        The reviews: one row per (submission, reviewer, criterion) score, from a CSV/TSV,
        .xlsx or .parquet file, or a DataFrame. Without a criterion column every row is
        one overall grade (criterion ``"overall"``, or the rubric's only criterion).
    columns : ReviewColumns
        The names of the columns in the file. Several reviewer columns
        (``reviewer="section,assessor"``) make one id, their values joined with ``/``.
    rubric : Rubric, optional
        When given, scores must be points of its scale and criteria must be its criteria.
    submissions : DataFrame, optional
        A table from :func:`load_submissions`; every review must be of one of its
        submissions, and, when it has a ``pi`` column (distributed review: the reviewer
        id of each submission's PI), no reviewer may review their own submission.
    encoding : str, default "utf-8"
        Text encoding of a CSV/TSV file.
    source : str, optional
        The name to give the table in error messages (default: the path, or
        ``"reviews table"`` for a DataFrame).
    missing : {"error", "drop"}, default "error"
        What a row without a score means. ``"error"`` refuses it (a blank may be a
        typing slip); ``"drop"`` reads it as a rating that was not given — an empty
        cell or ``NA``/``N/A``/``NaN``, as grid exports of incomplete panels hold — and
        leaves the row out; how many were left out is in ``result.attrs["dropped"]``.
    conflicts : {"error", "drop"}, default "error"
        What a review flagged in the conflict column means. ``"error"`` refuses it (a
        conflicted review must be removed before scoring); ``"drop"`` leaves it out and
        lists it, as (submission id, reviewer id) pairs in file order, in
        ``result.attrs["fairpanel_conflicts"]`` (:data:`CONFLICTS_KEY`): the
        distributed-review checks report every declared conflict at once.

    Returns
    -------
    DataFrame
        Columns ``submission_id``, ``reviewer_id``, ``criterion`` (text) and ``score``
        (float), plus ``conflict`` (bool, all False) when the file has a conflict
        column; one row per score, in file order. A frame this function returned is
        returned as it is when it was checked against the same rubric's criteria and
        scale (or ``rubric`` is None), ``submissions`` is None, and it still holds no
        empty score and no conflicted review: scoring and reliability load what they are
        handed, and a table the CLI loaded is not checked twice.

    Raises
    ------
    FairpanelInputError
        Naming the file, the spreadsheet row (header = 1) and the column of the first
        offending row, with what to do: a missing required column, no data rows, an
        empty id, criterion or score, a score that is not a number or is off the
        rubric's scale, a criterion unknown to the rubric, a repeated (submission,
        reviewer, criterion) (naming both rows), a submission not in ``submissions``, a
        review by the submission's own PI, or a review whose reviewer declared a
        conflict of interest (unless ``conflicts="drop"``).

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"proposal": ["P1", "P1", "P2"], "assessor": ["A", "B", "A"],
    ...                     "grade": [4, 5, 3]})
    >>> load_reviews(raw, columns=ReviewColumns(submission="proposal", reviewer="assessor",
    ...                                         score="grade"))
      submission_id reviewer_id criterion  score
    0            P1           A   overall    4.0
    1            P1           B   overall    5.0
    2            P2           A   overall    3.0
    >>> raw["section"] = ["one", "one", "two"]
    >>> load_reviews(raw, columns=ReviewColumns(submission="proposal",
    ...                                         reviewer="section,assessor", score="grade"))
      submission_id reviewer_id criterion  score
    0            P1       one/A   overall    4.0
    1            P1       one/B   overall    5.0
    2            P2       two/A   overall    3.0
    """
    if is_loaded(reviews, "reviews", REVIEW_COLUMNS):
        if submissions is None and _as_loaded(reviews, rubric):
            return reviews
        if reviews.attrs.get(NO_CRITERION_KEY):
            # The file had no criterion column: read it as such again, so that a rubric
            # with one criterion names every row (the loader wrote "overall").
            reviews = reviews.drop(columns="criterion")
    table = as_table(reviews, encoding=encoding, source=source, default_name="reviews table")
    defaults = DEFAULT_REVIEW_COLUMNS
    has_criterion = columns.criterion in table.frame.columns
    has_conflict = columns.conflict in table.frame.columns
    reviewer_columns = columns.reviewer_columns
    required = {columns.submission: "--submission-col"}
    required.update(dict.fromkeys(reviewer_columns, "--reviewer-col"))
    required[columns.score] = "--score-col"
    # A column the user named explicitly must exist; the defaults are optional.
    if columns.criterion != defaults.criterion:
        required[columns.criterion] = "--criterion-col"
    if columns.conflict != defaults.conflict:
        required[columns.conflict] = "--conflict-col"
    require_columns(table, required)
    if missing not in MISSING_CHOICES:
        raise ValueError(ERR_MISSING_CHOICE.format(value=missing, allowed=MISSING_CHOICES))
    if conflicts not in MISSING_CHOICES:
        raise ValueError(ERR_CONFLICTS_CHOICE.format(value=conflicts, allowed=MISSING_CHOICES))
    flagged: tuple[tuple[str, str], ...] = ()
    if has_conflict and conflicts == "drop":
        reviewers = _reviewer_ids(table.frame, columns.reviewer_columns)
        table, flagged = drop_conflicts(table, columns, reviewers)
    dropped = 0
    if missing == "drop":
        table, dropped = _drop_missing_scores(table, columns.score)
    if not has_criterion and rubric is not None and len(rubric.criteria) > 1:
        known = ", ".join(rubric.criterion_ids)
        raise FairpanelInputError(
            ERR_NO_CRITERION_COLUMN.format(n=len(rubric.criteria), known=known),
            file=table.source,
            column=columns.criterion,
            hint=f"add a '{columns.criterion}' column, or pass --criterion-col with its name",
        )

    frame = table.frame
    checks: list[Check] = [empty_cells(table, columns.submission, "submission id")]
    checks.extend(empty_cells(table, column, "reviewer id") for column in reviewer_columns)
    reviewer = _reviewer_ids(frame, reviewer_columns)
    if has_criterion:
        checks.append(empty_cells(table, columns.criterion, "criterion"))
        criterion = frame[columns.criterion]
    else:
        only = rubric.criterion_ids[0] if rubric is not None else OVERALL
        criterion = pd.Series(only, index=frame.index, dtype="str")
    checks.append(empty_cells(table, columns.score, "score", hint=HINT_EMPTY_SCORE))
    score_table = table
    grades = rubric.scale.grade_values if rubric is not None else {}
    if grades:
        score_table = _read_grades(table, columns.score, grades)
    score, not_number, not_number_error = numbers(
        score_table,
        columns.score,
        "score",
        HINT_GRADE.format(grades=", ".join(grades)) if grades else HINT_SCORE,
    )
    checks.append((not_number, not_number_error))
    if rubric is not None:
        checks.append(_off_scale(table, columns.score, score, rubric))
        if has_criterion:
            checks.append(_unknown_criterion(table, columns.criterion, rubric))
    if has_conflict:
        checks.extend(conflict_checks(table, columns, reviewer)[1])
    if submissions is not None:
        checks.append(unknown_submission(table, columns.submission, submissions))
        if PI in submissions.columns:
            checks.append(own_submission(table, columns, reviewer, submissions))
    checks.append(_duplicates(table, columns, reviewer, criterion))

    raise_first(checks)

    out = pd.DataFrame(
        {
            "submission_id": frame[columns.submission].astype("str"),
            "reviewer_id": reviewer.astype("str"),
            "criterion": criterion.astype("str"),
            "score": score.astype(float),
        }
    )
    checked: dict[str, ColumnKind] = dict.fromkeys(REVIEW_COLUMNS, "text")
    checked["score"] = "number"
    if has_conflict:
        out["conflict"] = False
        checked["conflict"] = "bool"
    out = mark(out, table="reviews", source=table.source, checked=checked)
    out.attrs[RUBRIC_KEY] = None if rubric is None else _checked_against(rubric)
    out.attrs[NO_CRITERION_KEY] = not has_criterion
    out.attrs["dropped"] = dropped
    if has_conflict:
        out.attrs[CONFLICTS_KEY] = flagged
    return out


def _checked_against(rubric: Rubric) -> tuple[tuple[str, ...], int, int]:
    """Return what the checks read of a rubric: its criterion ids and its scale's ends."""
    return rubric.criterion_ids, rubric.scale.min, rubric.scale.max


def _as_loaded(frame: pd.DataFrame, rubric: Rubric | None) -> bool:
    """Whether a loaded frame needs no check again for ``rubric``.

    Its types were looked at (:func:`is_loaded`); a score emptied or a conflict flagged
    since is looked for too (one pass over two columns), so it is refused with its row.
    """
    if rubric is not None and frame.attrs.get(RUBRIC_KEY) != _checked_against(rubric):
        return False
    if frame["score"].isna().any():
        return False
    return "conflict" not in frame.columns or not frame["conflict"].any()


def _drop_missing_scores(table: Table, column: str) -> tuple[Table, int]:
    """Leave out rows whose score is blank or a not-available marker."""
    text = table.frame[column].astype("str").str.strip().str.upper()
    mask = table.frame[column].isna() | text.isin(NOT_AVAILABLE)
    # The index keeps each row's position, so later errors still name spreadsheet rows.
    return replace(table, frame=table.frame.loc[~mask]), int(mask.sum())


def _read_grades(table: Table, column: str, grades: dict[str, float]) -> Table:
    """Put each grade's point in place of its name (``"AB"`` → 5); numbers stay as given.

    Case and surrounding spaces are ignored (``" ab"`` is AB); a cell that is neither a
    grade nor a number is left for the number check to refuse, naming its row.
    """
    raw = table.frame[column]
    named = raw.astype("str").str.strip().str.upper().map(grades)
    frame = table.frame.assign(**{column: named.where(named.notna(), raw)})
    return replace(table, frame=frame)


def _reviewer_ids(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """Return each row's reviewer id: the parts joined, empty where any part is empty."""
    ids = frame[columns[0]]
    for column in columns[1:]:
        # Text cells: an empty (missing) part makes the joined id missing too.
        ids = ids + REVIEWER_SEPARATOR + frame[column]
    return ids


def _off_scale(table: Table, column: str, score: pd.Series, rubric: Rubric) -> Check:
    scale = rubric.scale
    values = score.to_numpy(dtype=float)
    mask = ~np.isnan(values) & ~scale.contains(values)
    plain = scale.step == 1 and not scale.grades
    hint = (HINT_OFF_SCALE if plain else HINT_OFF_STEP).format(levels=scale.describe())

    def error(pos: int) -> FairpanelInputError:
        # 3.5 on a 1–5 scale is within it but not one of its levels: say which.
        inside = scale.min <= values[pos] <= scale.max
        template = ERR_NOT_LEVEL if inside else ERR_OFF_SCALE
        message = template.format(value=values[pos], min=scale.min, max=scale.max)
        return cell_error(table, pos, column, message, hint)

    return mask, error


def _unknown_criterion(table: Table, column: str, rubric: Rubric) -> Check:
    values = table.frame[column]
    mask = (values.notna() & ~values.isin(rubric.criterion_ids)).to_numpy()
    known = ", ".join(rubric.criterion_ids)

    def error(pos: int) -> FairpanelInputError:
        message = ERR_UNKNOWN_CRITERION.format(value=values.iloc[pos], known=known)
        return cell_error(table, pos, column, message, HINT_UNKNOWN_CRITERION)

    return mask, error


def _duplicates(
    table: Table, columns: ReviewColumns, reviewer: pd.Series, criterion: pd.Series
) -> Check:
    key = pd.DataFrame({"s": table.frame[columns.submission], "r": reviewer, "c": criterion})
    mask, first_of = duplicate_rows(key)
    mask = mask & key.notna().all(axis=1).to_numpy()
    # Of a composite id (section, assessor), the part naming the person.
    column = columns.reviewer_columns[-1]

    def error(pos: int) -> FairpanelInputError:
        message = ERR_DUPLICATE_REVIEW.format(
            reviewer=key["r"].iloc[pos],
            criterion=key["c"].iloc[pos],
            submission=key["s"].iloc[pos],
            first=spreadsheet_row(table, first_of(pos)),
            row=spreadsheet_row(table, pos),
        )
        return cell_error(table, pos, column, message, HINT_DUPLICATE)

    return mask, error
