"""Checks shared by the loaders: required columns, empty cells, numbers, yes/no, first bad row.

Every check is a vectorised boolean mask over the rows; only the single error that is
reported is formatted in Python. When several rows are wrong, the one reported is the
first in file order, so a committee fixing the file top to bottom meets them in turn.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import BOOL_HINT, FALSE_WORDS, TRUE_WORDS
from fairpanel.io._column_map import rename_columns
from fairpanel.io._read import Table, frame_as_text, read_raw, to_number

__all__ = [
    "ERR_DUPLICATE_ID",
    "ERR_MISSING_COLUMN",
    "ERR_MISSING_VALUE",
    "ERR_NOT_BOOL",
    "ERR_NOT_NUMBER",
    "ERR_NO_ROWS",
    "Check",
    "as_table",
    "bool_mask",
    "booleans",
    "cell_error",
    "duplicate_ids",
    "first_failure",
    "raise_first",
    "require_columns",
    "spreadsheet_row",
    "to_number",
]

ERR_MISSING_COLUMN = "required column '{column}' is missing (found: {found})"
ERR_NO_ROWS = "the file has a header but no data rows"
ERR_MISSING_VALUE = "the {what} is empty"
ERR_NOT_NUMBER = "{what} {value!r} is not a number"
#: Every yes/no column of every table is refused with this one sentence (and BOOL_HINT).
ERR_NOT_BOOL = "{value!r} is not a yes/no value"
ERR_DUPLICATE_ID = "submission id '{value}' appears twice (rows {first} and {row})"

HINT_MISSING_COLUMN = "rename the column or pass {option} with its name"
HINT_NEAR_COLUMN = "the column '{near}' differs only in case or spaces; rename it or pass {option}"
HINT_MISSING_VALUE = "fill it in or delete the row"
HINT_DUPLICATE_ID = "each submission has one row: merge the two rows or correct an id"

#: A check: a boolean mask of failing rows and a function that builds the error for the
#: failing row at a given position (0-based, in file order).
Check = tuple[npt.NDArray[np.bool_], Callable[[int], FairpanelInputError]]


def as_table(
    obj: str | Path | pd.DataFrame,
    *,
    encoding: str,
    source: str | None,
    default_name: str,
    rename: Mapping[str, str] | None = None,
) -> Table:
    """Read a path, or wrap a DataFrame, as text cells with spreadsheet positions.

    ``rename`` maps fairpanel's column names to the committee's (a ``--columns`` file):
    see :func:`fairpanel.io._column_map.rename_columns`.
    """
    if isinstance(obj, pd.DataFrame):
        # Rows of a frame are counted by position, as if it were written to a sheet. A
        # frame a loader returned still names the file it came from.
        named = obj.attrs.get("fairpanel_source")
        text = Table(frame_as_text(obj), source or (str(named) if named else default_name))
        return rename_columns(text, rename)
    if not isinstance(obj, str | Path):
        raise TypeError(f"expected a path or a DataFrame, got {type(obj).__name__}")
    table = read_raw(obj, encoding=encoding)
    if source is not None:
        table = Table(table.frame, source, table.decimal)
    return rename_columns(table, rename)


def require_columns(
    table: Table, required: Mapping[str, str | None], *, hint: str | None = None
) -> None:
    """Raise naming the first missing column; ``required`` maps column → CLI option.

    A column with no option (``None``: a column fairpanel itself writes) is hinted with
    ``hint``, such as which command writes the table.
    """
    found = list(table.frame.columns)
    for column, option in required.items():
        if column in found:
            continue
        near = [c for c in found if c.strip().casefold() == column.strip().casefold()]
        if option is None:
            what = f"rename '{near[0]}' to '{column}'" if near else None
            hint_text = "; ".join(h for h in (what, hint) if h) or None
        elif near:
            hint_text = HINT_NEAR_COLUMN.format(near=near[0], option=f"{option} '{near[0]}'")
        else:
            hint_text = HINT_MISSING_COLUMN.format(option=option)
        raise FairpanelInputError(
            ERR_MISSING_COLUMN.format(
                column=column, found=", ".join(f"'{c}'" for c in found) or "none"
            ),
            file=table.source,
            column=column,
            hint=hint_text,
        )
    if table.frame.empty:
        raise FairpanelInputError(
            ERR_NO_ROWS, file=table.source, hint="add the data rows below the header"
        )


def spreadsheet_row(table: Table, position: int) -> int:
    """Return the row a spreadsheet shows for the data row at ``position`` (header = 1)."""
    return int(table.frame.index[position]) + 2


def cell_error(
    table: Table, position: int, column: str, message: str, hint: str
) -> FairpanelInputError:
    """Return the error about ``column`` in the data row at ``position``: file, row, column."""
    return FairpanelInputError(
        message,
        file=table.source,
        row=spreadsheet_row(table, position),
        column=column,
        hint=hint,
    )


def first_failure(checks: Sequence[Check]) -> FairpanelInputError | None:
    """Return the error of the earliest failing row; on a tie, the first check listed wins."""
    best: tuple[int, int] | None = None
    for i, (mask, _) in enumerate(checks):
        if mask.any():
            pos = int(np.argmax(mask))
            if best is None or pos < best[0]:
                best = (pos, i)
    if best is None:
        return None
    pos, i = best
    return checks[i][1](pos)


def raise_first(checks: Sequence[Check]) -> None:
    """Raise the error of the earliest failing row (:func:`first_failure`), if any."""
    error = first_failure(checks)
    if error is not None:
        raise error


def empty_cells(
    table: Table,
    column: str,
    what: str,
    *,
    message: str | None = None,
    hint: str = HINT_MISSING_VALUE,
) -> Check:
    """Check that a column has no empty cell (default message: "the {what} is empty")."""
    mask = table.frame[column].isna().to_numpy()
    text = ERR_MISSING_VALUE.format(what=what) if message is None else message
    return mask, lambda pos: cell_error(table, pos, column, text, hint)


def numbers(
    table: Table, column: str, what: str, hint: str
) -> tuple[pd.Series, npt.NDArray[np.bool_], Callable[[int], FairpanelInputError]]:
    """Parse a column as numbers; return them, the mask of non-numeric cells, the error."""
    raw = table.frame[column]
    values = to_number(raw, table.decimal)
    mask = (values.isna() & raw.notna()).to_numpy()

    def error(pos: int) -> FairpanelInputError:
        message = ERR_NOT_NUMBER.format(what=what, value=str(raw.iloc[pos]))
        return cell_error(table, pos, column, message, hint)

    return values, mask, error


def duplicate_rows(frame: pd.DataFrame) -> tuple[npt.NDArray[np.bool_], Callable[[int], int]]:
    """Mask of rows repeating an earlier row's values, and where that earlier row is."""
    mask = frame.duplicated(keep="first").to_numpy()

    def first_of(pos: int) -> int:
        same = (frame == frame.iloc[pos]).all(axis=1).to_numpy()
        return int(np.argmax(same))

    return mask, first_of


def bool_mask(values: pd.Series) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Read a column as :func:`fairpanel._schema.parse_bool` reads each cell, vectorised.

    Parameters
    ----------
    values : Series
        A bool column, a numeric one (0/1), or text/objects (the words of
        :data:`~fairpanel._schema.TRUE_WORDS` / :data:`~fairpanel._schema.FALSE_WORDS`,
        case and surrounding spaces ignored).

    Returns
    -------
    true, bad : ndarray of bool
        Which cells read as true, and which are neither true nor false. An empty cell
        is neither true nor bad: the caller decides what a blank means.

    Examples
    --------
    >>> true, bad = bool_mask(pd.Series(["Yes", "0", "1.0", "y", None]))
    >>> true.tolist(), bad.tolist()
    ([True, False, True, False, False], [False, False, False, True, False])
    """
    present = values.notna().to_numpy()
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(dtype=bool, na_value=False), np.zeros(len(values), dtype=bool)
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        return numbers == 1.0, present & (numbers != 0.0) & (numbers != 1.0)
    # Text, or objects (a bool is written "True", a number 0/1 "0"/"1"/"1.0"): one reading.
    text = values.astype("str").str.strip().str.lower()
    is_true = present & text.isin(TRUE_WORDS).to_numpy()
    is_false = present & text.isin(FALSE_WORDS).to_numpy()
    return is_true, present & ~(is_true | is_false)


def booleans(
    table: Table, column: str, *, empty_means: bool | None = None
) -> tuple[pd.Series, list[Check]]:
    """Read a yes/no column; return its values and the checks of bad (and empty) cells.

    ``empty_means`` is what an empty cell reads as; None (the default) refuses it.
    """
    raw = table.frame[column]
    true, bad = bool_mask(raw)
    values = pd.Series(true, index=raw.index, dtype=bool)

    def not_bool(pos: int) -> FairpanelInputError:
        return cell_error(
            table, pos, column, ERR_NOT_BOOL.format(value=str(raw.iloc[pos])), BOOL_HINT
        )

    checks: list[Check] = [(bad, not_bool)]
    if empty_means is None:
        checks.append(empty_cells(table, column, "yes/no value", hint=BOOL_HINT))
    elif empty_means:
        values = values | raw.isna()
    return values, checks


def duplicate_ids(table: Table, column: str) -> Check:
    """Check that no submission id repeats (naming the row of its first appearance)."""
    ids = table.frame[column]
    mask, first_of = duplicate_rows(ids.to_frame())

    def error(pos: int) -> FairpanelInputError:
        message = ERR_DUPLICATE_ID.format(
            value=ids.iloc[pos],
            first=spreadsheet_row(table, first_of(pos)),
            row=spreadsheet_row(table, pos),
        )
        return cell_error(table, pos, column, message, HINT_DUPLICATE_ID)

    return mask & ids.notna().to_numpy(), error
