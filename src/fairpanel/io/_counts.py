"""Loading a published counts table: applicants and selected per group (and stratum)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._tables import ColumnKind
from fairpanel.io._checks import (
    Check,
    as_table,
    cell_error,
    empty_cells,
    raise_first,
    require_columns,
)
from fairpanel.io._columns import is_loaded, mark, other_columns, read_column
from fairpanel.io._read import Table

__all__ = ["ERR_EMPTY_GROUP", "ERR_SELECTED_EXCEEDS", "load_counts"]

ERR_EMPTY_GROUP = "the group attribute '{column}' is empty"
ERR_SELECTED_EXCEEDS = "{selected} selected out of {applicants} applicants"
HINT_EMPTY_GROUP = 'use an explicit value such as "not stated" so the audit can count this group'
HINT_EXCEEDS = "'{selected}' counts the selected among '{applicants}'"


def load_counts(
    counts: str | Path | pd.DataFrame,
    *,
    group_col: str = "group",
    applicants_col: str = "applicants",
    selected_col: str = "selected",
    strata_col: str | None = None,
    encoding: str = "utf-8",
    source: str | None = None,
    rename: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Load and check a counts table: one row per group (and stratum), as published.

    Rows repeating a group are kept: the audit adds them up (a table per call × research
    area × gender, audited by research area, adds up the calls).

    Parameters
    ----------
    counts : str, Path or DataFrame
        The counts, from a CSV/TSV, .xlsx or .parquet file, or a DataFrame.
    group_col, applicants_col, selected_col : str
        The columns of the group, of the number of applicants and of the number selected.
    strata_col : str, optional
        The column of the stratum (discipline, call) of each row.
    encoding : str, default "utf-8"
        Text encoding of a CSV/TSV file.
    source : str, optional
        The name to give the table in error messages (default: the path, or
        ``"counts table"`` for a DataFrame).
    rename : mapping of str to str, optional
        fairpanel's column name → the committee's (:meth:`fairpanel.io.ColumnMap.renames`):
        a column under the committee's name is read as fairpanel's.

    Returns
    -------
    DataFrame
        ``group`` (text), ``stratum`` (text, with ``strata_col``), ``applicants`` and
        ``selected`` (int), then every other column of the file; one row per row of the
        file, in file order. ``attrs["fairpanel_source"]`` names the source.

    Raises
    ------
    FairpanelInputError
        Naming the file, spreadsheet row and column: a missing column, no data rows, an
        empty group or stratum, a count that is not a whole number of at least 0, or
        more selected than applicants.

    Examples
    --------
    >>> raw = pd.DataFrame({"gender": ["m", "w"], "n": ["80", "40"], "k": [48, 12]})
    >>> load_counts(raw, group_col="gender", applicants_col="n", selected_col="k")
      group  applicants  selected
    0     m          80        48
    1     w          40        12
    """
    if is_loaded(counts, "counts", ["stratum"] if strata_col else []):
        return counts
    if is_loaded(counts, "counts"):
        # Checked once already, under fairpanel's names; only the stratum is new.
        group_col, applicants_col, selected_col = "group", "applicants", "selected"
    table = as_table(
        counts, encoding=encoding, source=source, default_name="counts table", rename=rename
    )
    required: dict[str, str | None] = {
        group_col: "--group-col",
        applicants_col: "--applicants-col",
        selected_col: "--selected-col",
    }
    if strata_col:
        required[strata_col] = "--strata-col"
    require_columns(table, required)
    attributes = [group_col] + ([strata_col] if strata_col else [])
    checks: list[Check] = [_group(table, column) for column in attributes]
    applicants, more = read_column(table, applicants_col, "count")
    checks.extend(more)
    selected, more = read_column(table, selected_col, "count")
    checks.extend(more)
    checks.append(_exceeds(table, selected_col, applicants_col, applicants, selected))
    raise_first(checks)

    out = pd.DataFrame({"group": table.frame[group_col].astype("str")}, index=table.frame.index)
    if strata_col:
        out["stratum"] = table.frame[strata_col].astype("str")
    out["applicants"] = applicants
    out["selected"] = selected
    out = other_columns(out, table, [*attributes, applicants_col, selected_col])
    kinds: dict[str, ColumnKind] = {"group": "text", "applicants": "count", "selected": "count"}
    if strata_col:
        kinds["stratum"] = "text"
    return mark(out, table="counts", source=table.source, checked=kinds)


def _group(table: Table, column: str) -> Check:
    return empty_cells(
        table,
        column,
        "group attribute",
        message=ERR_EMPTY_GROUP.format(column=column),
        hint=HINT_EMPTY_GROUP,
    )


def _exceeds(
    table: Table, column: str, of: str, applicants: pd.Series, selected: pd.Series
) -> Check:
    n = applicants.to_numpy(dtype=np.int64)
    k = selected.to_numpy(dtype=np.int64)

    def error(pos: int) -> FairpanelInputError:
        message = ERR_SELECTED_EXCEEDS.format(selected=k[pos], applicants=n[pos])
        return cell_error(
            table, pos, column, message, HINT_EXCEEDS.format(selected=column, applicants=of)
        )

    return k > n, error
