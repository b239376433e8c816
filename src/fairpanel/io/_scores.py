"""Loading the tables fairpanel writes and reads back: scores and allocations."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import SCORE_DIRECTION, TABLES, TableSpec
from fairpanel.io._checks import (
    Check,
    as_table,
    cell_error,
    duplicate_ids,
    raise_first,
    require_columns,
    spreadsheet_row,
)
from fairpanel.io._columns import (
    is_loaded,
    mark,
    other_columns,
    read_spec_columns,
)
from fairpanel.io._read import Table

__all__ = ["ERR_MIXED_DIRECTION", "load_allocation", "load_scores"]

ERR_MIXED_DIRECTION = "the scale's direction changes: row {first} says {was}, this row says {now}"
HINT_MIXED_DIRECTION = "a score table has one direction; score the reviews again with one rubric"
HINT_WRITTEN_BY: Final = "the {table} table is written by '{command}'"


def load_scores(
    scores: str | Path | pd.DataFrame,
    *,
    encoding: str = "utf-8",
    source: str | None = None,
    rename: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Load and check a score table (one row per submission, as ``fairpanel score`` writes).

    Parameters
    ----------
    scores : str, Path or DataFrame
        The score table, from a CSV/TSV, .xlsx or .parquet file, or a DataFrame.
    encoding : str, default "utf-8"
        Text encoding of a CSV/TSV file.
    source : str, optional
        The name to give the table in error messages (default: the path, or
        ``"scores table"`` for a DataFrame).
    rename : mapping of str to str, optional
        fairpanel's column name → the committee's (:meth:`fairpanel.io.ColumnMap.renames`):
        a column under the committee's name is read as fairpanel's.

    Returns
    -------
    DataFrame
        The columns of :data:`fairpanel._schema.TABLES` ``["scores"]`` the table has,
        typed (``submission_id`` and ``band`` text, numbers float, ``n_reviews`` int,
        ``higher_is_better`` bool), in file order, then every other column (numeric
        where all its cells are numbers). ``attrs["fairpanel_source"]`` names the
        source; a frame this function returned is returned as it is.

    Raises
    ------
    FairpanelInputError
        Naming the file, spreadsheet row and column: a missing ``submission_id`` or
        ``calibrated_score``, no data rows, an empty or repeated id, a number column
        cell that is empty or not a finite number, a count that is not whole, a
        ``sucra`` outside [0, 1], a ``higher_is_better`` cell that is not yes/no or that
        differs from the rows above it.

    Examples
    --------
    >>> raw = pd.DataFrame({"submission_id": ["P1", "P2"], "calibrated_score": ["4.5", "3"],
    ...                     "higher_is_better": ["true", "TRUE"]})
    >>> load_scores(raw)
      submission_id  calibrated_score  higher_is_better
    0            P1               4.5              True
    1            P2               3.0              True
    """
    if is_loaded(scores, "scores"):
        return scores
    spec = TABLES["scores"]
    table = as_table(
        scores, encoding=encoding, source=source, default_name="scores table", rename=rename
    )
    # Scores are written whole: only the holistic band may be empty (no band given).
    values, checks = _read(table, spec, empty_ok=["band"])
    if SCORE_DIRECTION in values:
        checks.append(_one_direction(table, values[SCORE_DIRECTION]))
    raise_first(checks)
    return _assemble(table, spec, values)


def load_allocation(
    allocation: str | Path | pd.DataFrame,
    *,
    encoding: str = "utf-8",
    source: str | None = None,
    rename: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Load and check an allocation (one row per submission, as ``fairpanel allocate`` writes).

    Parameters
    ----------
    allocation : str, Path or DataFrame
        The allocation, from a CSV/TSV, .xlsx or .parquet file, or a DataFrame (such as
        :attr:`fairpanel.strategies.Allocation.table`).
    encoding : str, default "utf-8"
        Text encoding of a CSV/TSV file.
    source : str, optional
        The name to give the table in error messages (default: the path, or
        ``"allocation table"`` for a DataFrame).
    rename : mapping of str to str, optional
        fairpanel's column name → the committee's (:meth:`fairpanel.io.ColumnMap.renames`):
        a column under the committee's name is read as fairpanel's.

    Returns
    -------
    DataFrame
        The columns of :data:`fairpanel._schema.TABLES` ``["allocation"]`` the table
        has, typed (``selected`` and ``skipped_budget`` bool, probabilities and
        positions float, ``draw_position`` and ``request`` NaN where empty), then every
        other column. ``attrs["fairpanel_source"]`` names the source.

    Raises
    ------
    FairpanelInputError
        Naming the file, spreadsheet row and column: a missing required column, no data
        rows, an empty or repeated id, an empty ``strategy``, a tier not among
        :data:`fairpanel._schema.TIERS`, a ``selected`` cell that is not yes/no, or a
        selection probability that is not a number in [0, 1].

    Examples
    --------
    >>> raw = pd.DataFrame({"submission_id": ["P1"], "strategy": ["rank"],
    ...                     "tier": ["funded"], "selected": ["True"],
    ...                     "selection_probability": ["1.0"], "draw_position": [None]})
    >>> load_allocation(raw)[["selected", "selection_probability", "draw_position"]]
       selected  selection_probability  draw_position
    0      True                    1.0            NaN
    """
    if is_loaded(allocation, "allocation"):
        return allocation
    spec = TABLES["allocation"]
    table = as_table(
        allocation,
        encoding=encoding,
        source=source,
        default_name="allocation table",
        rename=rename,
    )
    # Optional columns may be empty: a submission not drawn has no draw position, and
    # without a budget there is no request.
    values, checks = _read(table, spec, empty_ok=True)
    raise_first(checks)
    return _assemble(table, spec, values)


def _read(
    table: Table, spec: TableSpec, *, empty_ok: bool | list[str]
) -> tuple[dict[str, pd.Series], list[Check]]:
    hint = HINT_WRITTEN_BY.format(table=spec.name, command=spec.written_by)
    require_columns(table, dict.fromkeys(spec.required), hint=hint)
    values, checks = read_spec_columns(table, spec, empty_ok=empty_ok)
    return values, [duplicate_ids(table, "submission_id"), *checks]


def _assemble(table: Table, spec: TableSpec, values: dict[str, pd.Series]) -> pd.DataFrame:
    out = pd.DataFrame(values, index=table.frame.index)
    out = other_columns(out, table, values)
    kinds = {c.name: c.kind for c in spec.columns if c.name in values}
    return mark(out, table=spec.name, source=table.source, checked=kinds)


def _one_direction(table: Table, flags: pd.Series) -> Check:
    """Check that ``higher_is_better`` says the same on every row."""
    raw = table.frame[SCORE_DIRECTION]
    given = raw.notna().to_numpy()
    arr = flags.to_numpy(dtype=bool)
    first = int(np.argmax(given)) if given.any() else 0
    mask = given & (arr != arr[first])

    def error(pos: int) -> FairpanelInputError:
        message = ERR_MIXED_DIRECTION.format(
            first=spreadsheet_row(table, first),
            was=raw.iloc[first],
            now=raw.iloc[pos],
        )
        return cell_error(table, pos, SCORE_DIRECTION, message, HINT_MIXED_DIRECTION)

    return mask, error
