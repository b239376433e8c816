"""Reading one column by its kind, and marking the frames the loaders return.

A column's kind comes from :data:`fairpanel._schema.TABLES` (``id``, ``text``,
``number``, ``count``, ``bool``, ``probability``, ``tier``): the loaders read every
column of that name the same way, whichever table it is in.

A frame a loader returns carries, in ``attrs``, the table it is, the file it came from
and the columns it checked. Handed such a frame again, a loader returns it as it is:
consumers (strategies, audit, report) call the loaders on whatever they receive, so a
notebook user's raw frame is checked and a loaded one is not checked twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Final, TypeGuard

import numpy as np
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import TIERS, TableSpec
from fairpanel._tables import ColumnKind
from fairpanel.io._checks import (
    Check,
    booleans,
    cell_error,
    empty_cells,
    numbers,
)
from fairpanel.io._read import Table, maybe_numeric

__all__ = [
    "ERR_BAD_COUNT",
    "ERR_BAD_PROBABILITY",
    "ERR_BAD_TIER",
    "ERR_NOT_FINITE",
    "is_loaded",
    "mark",
    "other_columns",
    "read_column",
    "read_spec_columns",
]

ERR_NOT_FINITE = "{value!r} is not a number"
ERR_BAD_COUNT = "{value!r} is not a whole number of at least 0"
ERR_BAD_PROBABILITY = "{value!r} is not a probability between 0 and 1"
ERR_BAD_TIER = "tier {value!r} is not one of {tiers}"

HINT_NUMBER = "enter a finite number"
HINT_COUNT = "counts are whole numbers of people"
HINT_PROBABILITY = "a selection probability is between 0 and 1"
HINT_TIER = "write the allocation with 'fairpanel allocate'"

#: ``attrs`` keys of a loaded frame.
TABLE_KEY: Final = "fairpanel_table"
SOURCE_KEY: Final = "fairpanel_source"
CHECKED_KEY: Final = "fairpanel_checked"


def read_column(
    table: Table, column: str, kind: ColumnKind, *, empty_ok: bool = False
) -> tuple[pd.Series, list[Check]]:
    """Read ``column`` as its kind; return the typed values and the checks of its cells.

    Parameters
    ----------
    table : Table
        The cells, as text.
    column : str
        The column's name in the file.
    kind : str
        One of :data:`fairpanel._tables.ColumnKind`.
    empty_ok : bool
        Whether an empty cell is allowed (read as missing; a bool as false).
    """
    raw = table.frame[column]
    checks: list[Check] = []
    if kind == "bool":
        return booleans(table, column, empty_means=False if empty_ok else None)
    if not empty_ok:
        what = "submission id" if kind == "id" else f"'{column}' cell"
        checks.append(empty_cells(table, column, what))
    if kind in ("id", "text"):
        return raw.astype("str"), checks
    if kind == "tier":
        bad = (raw.notna() & ~raw.isin(TIERS)).to_numpy()
        checks.append((bad, _error(table, column, raw, ERR_BAD_TIER, HINT_TIER)))
        return raw.astype("str"), checks
    values, not_number, _ = numbers(table, column, column, HINT_NUMBER)
    checks.append((not_number, _error(table, column, raw, ERR_NOT_FINITE, HINT_NUMBER)))
    arr = values.to_numpy(dtype=float)
    if kind == "count":
        with np.errstate(invalid="ignore"):
            bad = (arr < 0) | (arr != np.round(arr))
        checks.append(
            (bad & ~np.isnan(arr), _error(table, column, raw, ERR_BAD_COUNT, HINT_COUNT))
        )
        if not empty_ok:
            return values.fillna(0).astype(np.int64), checks
    elif kind == "probability":
        bad = (arr < 0) | (arr > 1)
        checks.append((bad, _error(table, column, raw, ERR_BAD_PROBABILITY, HINT_PROBABILITY)))
    return values.astype(float), checks


def _error(
    table: Table, column: str, raw: pd.Series, template: str, hint: str
) -> Callable[[int], FairpanelInputError]:
    def error(pos: int) -> FairpanelInputError:
        message = template.format(value=str(raw.iloc[pos]), tiers=", ".join(TIERS))
        return cell_error(table, pos, column, message, hint)

    return error


def read_spec_columns(
    table: Table, spec: TableSpec, *, empty_ok: bool | Iterable[str] = False
) -> tuple[dict[str, pd.Series], list[Check]]:
    """Read every column of ``spec`` the table has; raise nothing (the checks are returned).

    ``empty_ok`` allows empty cells in every optional column (True) or in those named.
    """
    out: dict[str, pd.Series] = {}
    checks: list[Check] = []
    allowed = set(empty_ok) if not isinstance(empty_ok, bool) else set()
    for col in spec.columns:
        if col.name not in table.frame.columns:
            continue
        ok = (empty_ok is True and not col.required) or col.name in allowed
        out[col.name], more = read_column(table, col.name, col.kind, empty_ok=ok)
        checks.extend(more)
    return out, checks


def other_columns(out: pd.DataFrame, table: Table, named: Iterable[str | None]) -> pd.DataFrame:
    """Add the file's columns not named by the loader (numeric where all are numbers)."""
    skip = {n for n in named if n is not None} | set(out.columns)
    for col in table.frame.columns:
        if col not in skip:
            out[col] = maybe_numeric(table.frame[col], table.decimal)
    return out


def mark(
    frame: pd.DataFrame, *, table: str, source: str, checked: Mapping[str, ColumnKind]
) -> pd.DataFrame:
    """Record in ``frame.attrs`` what a loader returns: table, source, checked columns.

    ``checked`` maps each checked column (as named in ``frame``) to its kind.
    """
    frame = frame.reset_index(drop=True)
    frame.attrs[TABLE_KEY] = table
    frame.attrs[SOURCE_KEY] = source
    frame.attrs[CHECKED_KEY] = dict(checked)
    return frame


def is_loaded(
    obj: object, table: str, columns: Iterable[str | None] = ()
) -> TypeGuard[pd.DataFrame]:
    """Whether ``obj`` is a frame the ``table`` loader returned, having checked ``columns``.

    The types of the checked columns are looked at too: a loaded frame whose bool column
    was overwritten with text is read again, not trusted.

    Examples
    --------
    >>> frame = mark(pd.DataFrame({"selected": [True]}), table="decisions", source="d",
    ...              checked={"selected": "bool"})
    >>> is_loaded(frame, "decisions", ["selected"]), is_loaded(frame, "decisions", ["g"])
    (True, False)
    """
    if not isinstance(obj, pd.DataFrame) or obj.attrs.get(TABLE_KEY) != table:
        return False
    checked: Mapping[str, ColumnKind] = obj.attrs.get(CHECKED_KEY) or {}
    wanted = {c for c in columns if c is not None}
    if not wanted <= set(checked) or not set(checked) <= set(obj.columns):
        return False
    return all(_typed(obj[c], kind) for c, kind in checked.items())


def _typed(values: pd.Series, kind: ColumnKind) -> bool:
    if kind == "bool":
        return pd.api.types.is_bool_dtype(values.dtype)
    if kind in ("number", "probability"):
        return pd.api.types.is_float_dtype(values.dtype)
    if kind == "count":
        return pd.api.types.is_integer_dtype(values.dtype) or pd.api.types.is_float_dtype(
            values.dtype
        )
    # ids, text and tiers stay text (an id such as 007 keeps its zeros).
    return pd.api.types.is_object_dtype(values.dtype) or pd.api.types.is_string_dtype(values.dtype)
