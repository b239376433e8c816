"""Loading a submissions table (one row per submission) with its checks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import SubmissionColumns
from fairpanel.io._checks import (
    Check,
    as_table,
    cell_error,
    duplicate_rows,
    empty_cells,
    first_failure,
    numbers,
    require_columns,
    spreadsheet_row,
)
from fairpanel.io._read import Table, maybe_numeric

__all__ = ["load_submissions"]

ERR_DUPLICATE_SUBMISSION = "submission id '{value}' appears twice (rows {first} and {row})"
ERR_EMPTY_GROUP = "the group attribute '{column}' is empty"
ERR_NEGATIVE_REQUEST = "the request {value:g} is negative"
ERR_COLUMN_CLASH = (
    "the file has a column 'submission_id' besides the id column '{column}' "
    "named for the submission id"
)

#: The default column names (a frozen instance, shared safely as a default argument).
DEFAULT_SUBMISSION_COLUMNS = SubmissionColumns()

HINT_DUPLICATE = "each submission has one row: merge the two rows or correct an id"
HINT_EMPTY_GROUP = 'use an explicit value such as "not stated" so the audit can count this group'
HINT_REQUEST = "enter the requested amount as a number (0 if nothing is requested)"


def load_submissions(
    submissions: str | Path | pd.DataFrame,
    *,
    columns: SubmissionColumns = DEFAULT_SUBMISSION_COLUMNS,
    encoding: str = "utf-8",
    source: str | None = None,
) -> pd.DataFrame:
    """Load and check a submissions table.

    Parameters
    ----------
    submissions : str, Path or DataFrame
        One row per submission, from a CSV/TSV, .xlsx or .parquet file, or a DataFrame.
    columns : SubmissionColumns
        The id column, the group attribute columns and the optional request column.
    encoding : str, default "utf-8"
        Text encoding of a CSV/TSV file.
    source : str, optional
        The name to give the table in error messages (default: the path, or
        ``"submissions table"`` for a DataFrame).

    Returns
    -------
    DataFrame
        ``submission_id`` (text) first, then the group attribute columns (text) as
        named, the request column (float) as named, then every other column of the file
        (numeric where all its cells are numbers, text otherwise). One row per
        submission, in file order. ``attrs["fairpanel_source"]`` names the source.

    Raises
    ------
    FairpanelInputError
        Naming the file, spreadsheet row and column: a missing id or group column, no
        data rows, an empty id, a repeated id (naming both rows), an empty group value,
        or a request that is not a number or is negative.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"id": ["P1", "P2"], "gender": ["woman", "not stated"],
    ...                     "hours": [3.5, 10]})
    >>> load_submissions(raw, columns=SubmissionColumns(submission="id", groups=("gender",),
    ...                                                 request="hours"))
      submission_id      gender  hours
    0            P1       woman    3.5
    1            P2  not stated   10.0
    """
    table = as_table(
        submissions, encoding=encoding, source=source, default_name="submissions table"
    )
    frame = table.frame
    required = {columns.submission: "--submission-col"}
    required.update(dict.fromkeys(columns.groups, "--group"))
    if columns.request is not None:
        required[columns.request] = "--request-col"
    require_columns(table, required)
    if columns.submission != "submission_id" and "submission_id" in frame.columns:
        raise FairpanelInputError(
            ERR_COLUMN_CLASH.format(column=columns.submission),
            file=table.source,
            column="submission_id",
            hint="rename one of the two columns",
        )

    ids = frame[columns.submission]
    checks: list[Check] = [
        empty_cells(table, columns.submission, "submission id"),
        _duplicates(table, columns.submission),
    ]
    checks.extend(
        empty_cells(
            table,
            group,
            "group attribute",
            message=ERR_EMPTY_GROUP.format(column=group),
            hint=HINT_EMPTY_GROUP,
        )
        for group in columns.groups
    )
    request = None
    if columns.request is not None:
        checks.append(empty_cells(table, columns.request, "request"))
        request, bad, bad_error = numbers(table, columns.request, "request", HINT_REQUEST)
        checks.append((bad, bad_error))
        checks.append(_negative(table, columns.request, request))
    error = first_failure(checks)
    if error is not None:
        raise error

    out = pd.DataFrame({"submission_id": ids.astype("str")})
    for group in columns.groups:
        out[group] = frame[group].astype("str")
    if columns.request is not None and request is not None:
        out[columns.request] = request.astype(float)
    named = {columns.submission, *columns.groups, columns.request}
    for col in frame.columns:
        if col not in named:
            out[col] = maybe_numeric(frame[col], table.decimal)
    out = out.reset_index(drop=True)
    out.attrs["fairpanel_source"] = table.source
    return out


def _duplicates(table: Table, column: str) -> Check:
    ids = table.frame[column]
    mask, first_of = duplicate_rows(ids.to_frame())

    def error(pos: int) -> FairpanelInputError:
        message = ERR_DUPLICATE_SUBMISSION.format(
            value=ids.iloc[pos],
            first=spreadsheet_row(table, first_of(pos)),
            row=spreadsheet_row(table, pos),
        )
        return cell_error(table, pos, column, message, HINT_DUPLICATE)

    return mask & ids.notna().to_numpy(), error


def _negative(table: Table, column: str, request: pd.Series) -> Check:
    values = request.to_numpy(dtype=float)
    mask = values < 0  # NaN compares False: empty and non-numeric cells are other checks

    def error(pos: int) -> FairpanelInputError:
        message = ERR_NEGATIVE_REQUEST.format(value=values[pos])
        return cell_error(table, pos, column, message, HINT_REQUEST)

    return mask, error
