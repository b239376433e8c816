"""Checks shared by the loaders: required columns, empty cells, numbers, first bad row.

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
from fairpanel.io._read import Table, frame_as_text, read_raw, to_number

__all__ = [
    "ERR_MISSING_COLUMN",
    "ERR_MISSING_VALUE",
    "ERR_NOT_NUMBER",
    "ERR_NO_ROWS",
    "Check",
    "as_table",
    "cell_error",
    "first_failure",
    "require_columns",
    "spreadsheet_row",
    "to_number",
]

ERR_MISSING_COLUMN = "required column '{column}' is missing (found: {found})"
ERR_NO_ROWS = "the file has a header but no data rows"
ERR_MISSING_VALUE = "the {what} is empty"
ERR_NOT_NUMBER = "{what} {value!r} is not a number"

HINT_MISSING_COLUMN = "rename the column or pass {option} with its name"
HINT_NEAR_COLUMN = "the column '{near}' differs only in case or spaces; rename it or pass {option}"
HINT_MISSING_VALUE = "fill it in or delete the row"

#: A check: a boolean mask of failing rows and a function that builds the error for the
#: failing row at a given position (0-based, in file order).
Check = tuple[npt.NDArray[np.bool_], Callable[[int], FairpanelInputError]]


def as_table(
    obj: str | Path | pd.DataFrame, *, encoding: str, source: str | None, default_name: str
) -> Table:
    """Read a path, or wrap a DataFrame, as text cells with spreadsheet positions."""
    if isinstance(obj, pd.DataFrame):
        # Rows of a frame are counted by position, as if it were written to a sheet.
        return Table(frame_as_text(obj), source or default_name)
    if not isinstance(obj, str | Path):
        raise TypeError(f"expected a path or a DataFrame, got {type(obj).__name__}")
    table = read_raw(obj, encoding=encoding)
    if source is not None:
        return Table(table.frame, source, table.decimal)
    return table


def require_columns(table: Table, required: Mapping[str, str]) -> None:
    """Raise naming the first missing column; ``required`` maps column → CLI option."""
    found = list(table.frame.columns)
    for column, option in required.items():
        if column in found:
            continue
        near = [c for c in found if c.strip().casefold() == column.strip().casefold()]
        hint = (
            HINT_NEAR_COLUMN.format(near=near[0], option=f"{option} '{near[0]}'")
            if near
            else HINT_MISSING_COLUMN.format(option=option)
        )
        raise FairpanelInputError(
            ERR_MISSING_COLUMN.format(
                column=column, found=", ".join(f"'{c}'" for c in found) or "none"
            ),
            file=table.source,
            column=column,
            hint=hint,
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
