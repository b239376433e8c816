"""Loading a submissions table (one row per submission) with its checks."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import SubmissionColumns
from fairpanel._tables import ColumnKind
from fairpanel.io._checks import (
    ERR_DUPLICATE_ID,
    HINT_DUPLICATE_ID,
    Check,
    as_table,
    booleans,
    cell_error,
    duplicate_ids,
    empty_cells,
    numbers,
    raise_first,
    require_columns,
)
from fairpanel.io._columns import is_loaded, mark
from fairpanel.io._read import Table, maybe_numeric

__all__ = ["PI", "load_submissions"]

ERR_DUPLICATE_SUBMISSION = ERR_DUPLICATE_ID
ERR_EMPTY_GROUP = "the group attribute '{column}' is empty"
ERR_NEGATIVE_REQUEST = "the request {value:g} is negative"
ERR_COLUMN_CLASH = (
    "the file has a column 'submission_id' besides the id column '{column}' "
    "named for the submission id"
)

#: The default column names (a frozen instance, shared safely as a default argument).
DEFAULT_SUBMISSION_COLUMNS = SubmissionColumns()

HINT_DUPLICATE = HINT_DUPLICATE_ID
#: The submissions column saying whether a submission may be selected at all.
ELIGIBLE = "eligible"
#: The submissions column naming, in distributed review, the reviewer id of the
#: submission's PI (an empty cell: the PI does not review). Kept as text: ``007`` is an id.
PI = "pi"
HINT_EMPTY_GROUP = 'use an explicit value such as "not stated" so the audit can count this group'
HINT_REQUEST = "enter the requested amount as a number (0 if nothing is requested)"


def load_submissions(
    submissions: str | Path | pd.DataFrame,
    *,
    columns: SubmissionColumns = DEFAULT_SUBMISSION_COLUMNS,
    encoding: str = "utf-8",
    source: str | None = None,
    rename: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Load and check a submissions table.

    Parameters
    ----------
    submissions : str, Path or DataFrame
        One row per submission, from a CSV/TSV, .xlsx or .parquet file, or a DataFrame.
    columns : SubmissionColumns
        The id column, the group attribute columns and the optional request column. An
        ``eligible`` column, when the file has one, is read as yes/no (see
        :func:`fairpanel._schema.parse_bool`; an empty cell is refused). A ``pi``
        column, when the file has one, is kept as text: in distributed review, the
        reviewer id of the submission's PI, whom :func:`load_reviews` then refuses as a
        reviewer of that submission.
    encoding : str, default "utf-8"
        Text encoding of a CSV/TSV file.
    source : str, optional
        The name to give the table in error messages (default: the path, or
        ``"submissions table"`` for a DataFrame).
    rename : mapping of str to str, optional
        fairpanel's column name → the committee's (:meth:`fairpanel.io.ColumnMap.renames`):
        a column under the committee's name is read as fairpanel's.

    Returns
    -------
    DataFrame
        ``submission_id`` (text) first, then the group attribute columns (text) as
        named, the request column (float) as named, ``eligible`` (bool) and ``pi``
        (text, missing where empty) when present, then every other column of the file (numeric where all its cells are numbers,
        text otherwise). One row per submission, in file order.
        ``attrs["fairpanel_source"]`` names the source. A frame this function returned
        is returned as it is when the columns asked for were checked already.

    Raises
    ------
    FairpanelInputError
        Naming the file, spreadsheet row and column: a missing id or group column, no
        data rows, an empty id, a repeated id (naming both rows), an empty group value,
        a request that is not a number or is negative, or an ``eligible`` cell that is
        not yes/no.

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
    if is_loaded(submissions, "submissions", (*columns.groups, columns.request)):
        return submissions
    if is_loaded(submissions, "submissions"):
        # Checked once already, under fairpanel's id column name.
        columns = SubmissionColumns(groups=columns.groups, request=columns.request)
    table = as_table(
        submissions,
        encoding=encoding,
        source=source,
        default_name="submissions table",
        rename=rename,
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
        duplicate_ids(table, columns.submission),
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
    eligible = None
    if ELIGIBLE in frame.columns and ELIGIBLE not in named_columns(columns):
        eligible, more = booleans(table, ELIGIBLE)
        checks.extend(more)
    raise_first(checks)

    out = pd.DataFrame({"submission_id": ids.astype("str")})
    for group in columns.groups:
        out[group] = frame[group].astype("str")
    if columns.request is not None and request is not None:
        out[columns.request] = request.astype(float)
    if eligible is not None:
        out[ELIGIBLE] = eligible
    has_pi = PI in frame.columns and PI not in named_columns(columns)
    if has_pi:
        out[PI] = frame[PI]
    named = {columns.submission, *columns.groups, columns.request, ELIGIBLE, PI}
    for col in frame.columns:
        if col not in named:
            out[col] = maybe_numeric(frame[col], table.decimal)
    checked: dict[str, ColumnKind] = {"submission_id": "id"}
    checked.update(dict.fromkeys(columns.groups, "text"))
    if columns.request is not None:
        checked[columns.request] = "number"
    if eligible is not None:
        checked[ELIGIBLE] = "bool"
    if has_pi:
        checked[PI] = "id"
    return mark(out, table="submissions", source=table.source, checked=checked)


def named_columns(columns: SubmissionColumns) -> set[str]:
    """Return the columns a :class:`SubmissionColumns` names (id, groups, request)."""
    return {c for c in (columns.submission, *columns.groups, columns.request) if c is not None}


def _negative(table: Table, column: str, request: pd.Series) -> Check:
    values = request.to_numpy(dtype=float)
    mask = values < 0  # NaN compares False: empty and non-numeric cells are other checks

    def error(pos: int) -> FairpanelInputError:
        message = ERR_NEGATIVE_REQUEST.format(value=values[pos])
        return cell_error(table, pos, column, message, HINT_REQUEST)

    return mask, error
