"""Checks of a reviews table against who reviews what: declared conflicts, own submissions.

A review links a reviewer to a submission. Three links are refused: to a submission the
submissions table does not hold, to one the reviewer declared a conflict of interest
with, and, in distributed review (every PI reviews others), to the reviewer's own
submission, named by the submissions table's ``pi`` column.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import ReviewColumns
from fairpanel.io._checks import Check, booleans, cell_error, empty_cells, raise_first
from fairpanel.io._read import Table
from fairpanel.io._submissions import PI

__all__ = [
    "ERR_CONFLICT",
    "ERR_OWN_SUBMISSION",
    "ERR_UNKNOWN_SUBMISSION",
    "HINT_CONFLICT",
    "HINT_OWN_SUBMISSION",
    "HINT_UNKNOWN_SUBMISSION",
    "conflict_checks",
    "drop_conflicts",
    "own_submission",
    "unknown_submission",
]

ERR_UNKNOWN_SUBMISSION = "submission '{value}' is not in {submissions}"
ERR_CONFLICT = (
    "reviewer '{reviewer}' declared a conflict of interest with submission '{submission}'"
)
ERR_OWN_SUBMISSION = (
    "reviewer '{reviewer}' is the PI of submission '{submission}' ({submissions}, column "
    "'{pi}') and may not review it"
)
HINT_UNKNOWN_SUBMISSION = "correct the id, or add the submission to the submissions table"
HINT_CONFLICT = (
    "this review must be removed before scoring: a conflicted review is removed, not down-weighted"
)
HINT_OWN_SUBMISSION = (
    "remove the review (in distributed review nobody reviews their own submission), "
    "or correct the PI's reviewer id"
)


def _where(submissions: pd.DataFrame) -> str:
    name = submissions.attrs.get("fairpanel_source")
    return f"the submissions table ({name})" if name else "the submissions table"


def conflict_checks(
    table: Table, columns: ReviewColumns, reviewer: pd.Series
) -> tuple[npt.NDArray[np.bool_], list[Check]]:
    """Return the rows flagged as conflicted, and the checks (the last refuses them).

    Parameters
    ----------
    table : Table
        The reviews as read.
    columns : ReviewColumns
        Its column names.
    reviewer : Series
        Each row's reviewer id.
    """
    frame = table.frame
    # An empty cell means "no conflict": most reviews have none and leave it blank.
    truthy, checks = booleans(table, columns.conflict, empty_means=False)

    def conflicted(pos: int) -> FairpanelInputError:
        message = ERR_CONFLICT.format(
            reviewer=reviewer.iloc[pos], submission=frame[columns.submission].iloc[pos]
        )
        return cell_error(table, pos, columns.conflict, message, HINT_CONFLICT)

    flagged = truthy.to_numpy(dtype=bool)
    return flagged, [*checks, (flagged, conflicted)]


def drop_conflicts(
    table: Table, columns: ReviewColumns, reviewer: pd.Series
) -> tuple[Table, tuple[tuple[str, str], ...]]:
    """Leave out the reviews flagged as conflicted; return their (submission, reviewer).

    A declared conflict means the review should not exist, so its score may be empty
    and is not checked; its ids and its flag are.

    Parameters
    ----------
    table : Table
        The reviews as read.
    columns : ReviewColumns
        Its column names.
    reviewer : Series
        Each row's reviewer id.
    """
    flagged, flag_checks = conflict_checks(table, columns, reviewer)
    ids = [empty_cells(table, c, "submission id" if c == columns.submission else "reviewer id")
           for c in (columns.submission, *columns.reviewer_columns)]  # fmt: skip
    raise_first([*ids, *flag_checks[:-1]])
    pairs = zip(
        table.frame[columns.submission].to_numpy()[flagged].astype(str).tolist(),
        reviewer.to_numpy()[flagged].astype(str).tolist(),
        strict=True,
    )
    # One review flagged on each of its criterion rows is one conflict.
    listed = tuple(dict.fromkeys(pairs))
    return replace(table, frame=table.frame.loc[~flagged]), listed


def own_submission(
    table: Table, columns: ReviewColumns, reviewer: pd.Series, submissions: pd.DataFrame
) -> Check:
    """Refuse a review by the PI of the submission reviewed (the ``pi`` column).

    Parameters
    ----------
    table : Table
        The reviews as read.
    columns : ReviewColumns
        Its column names.
    reviewer : Series
        Each row's reviewer id.
    submissions : DataFrame
        A loaded submissions table with a ``pi`` column.
    """
    pis = submissions[["submission_id", PI]].dropna()
    own = pd.MultiIndex.from_arrays([pis["submission_id"].astype(str), pis[PI].astype(str)])
    submission = table.frame[columns.submission]
    mask = np.asarray(pd.MultiIndex.from_arrays([submission, reviewer]).isin(own), dtype=bool)
    where = submissions.attrs.get("fairpanel_source") or "the submissions table"

    def error(pos: int) -> FairpanelInputError:
        message = ERR_OWN_SUBMISSION.format(
            reviewer=reviewer.iloc[pos], submission=submission.iloc[pos], pi=PI,
            submissions=where,
        )  # fmt: skip
        # Of a composite id (section, assessor), the part naming the person.
        column = columns.reviewer_columns[-1]
        return cell_error(table, pos, column, message, HINT_OWN_SUBMISSION)

    return mask, error


def unknown_submission(table: Table, column: str, submissions: pd.DataFrame) -> Check:
    """Refuse a review of a submission the submissions table does not hold.

    Parameters
    ----------
    table : Table
        The reviews as read.
    column : str
        The reviews' submission id column.
    submissions : DataFrame
        A loaded submissions table.
    """
    if "submission_id" not in submissions.columns:
        raise ValueError("submissions must be a table from load_submissions (no submission_id)")
    values = table.frame[column]
    known = submissions["submission_id"].astype(str)
    mask = (values.notna() & ~values.isin(known)).to_numpy()
    where = _where(submissions)

    def error(pos: int) -> FairpanelInputError:
        message = ERR_UNKNOWN_SUBMISSION.format(value=values.iloc[pos], submissions=where)
        return cell_error(table, pos, column, message, HINT_UNKNOWN_SUBMISSION)

    return mask, error
