"""Turning checked tables into what the audit counts: one row per applicant, or cells.

Everything the audit computes starts from *cells*: one row per combination of group
values (and stratum), with ``applicants`` and ``selected``. A decisions table is counted
into cells; a published counts table already is one. The tables are checked where they
enter, by :func:`fairpanel.io.load_decisions` and :func:`fairpanel.io.load_counts`
(the audit calls them on what it is handed); what is left here is aggregation, and
the column checks of the score views (:func:`check_columns`, :func:`group_column`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Final

import numpy as np
import pandas as pd

from fairpanel._errors import FairpanelInputError

__all__ = [
    "DECISIONS",
    "ERR_EMPTY",
    "ERR_EMPTY_GROUP",
    "ERR_MISSING_COLUMN",
    "ERR_NOT_A_TABLE",
    "REVIEWS",
    "SCORES",
    "STAGE_PREFIX",
    "SUBMISSIONS",
    "check_columns",
    "counts_from_wide",
    "group_column",
    "merge_cells",
    "tagged",
    "unit_frame",
]

ERR_MISSING_COLUMN = "missing column '{column}'"
ERR_EMPTY = "the table has no rows"
ERR_EMPTY_GROUP = "empty group value"
ERR_NOT_A_TABLE = "decisions must be a DataFrame or an Allocation (with .table), not {kind}"

#: Names of the audit's input tables in errors (``FairpanelInputError.file``) until the
#: CLI replaces them with the paths the user gave.
DECISIONS: Final = "decisions"
SUBMISSIONS: Final = "submissions"
SCORES: Final = "scores"
REVIEWS: Final = "reviews"

#: Column prefix of the per-stage pass counts in the cells.
STAGE_PREFIX: Final = "stage:"

#: Spreadsheet row of the first data row (the header is row 1).
_FIRST_ROW: Final = 2


def _row(position: int) -> int:
    return position + _FIRST_ROW


def as_table(decisions: object) -> pd.DataFrame:
    """Return the frame of a DataFrame or of an ``Allocation`` (anything with ``.table``).

    The strategies module is not imported, so the audit works without it.
    """
    table = getattr(decisions, "table", decisions)
    if not isinstance(table, pd.DataFrame):
        raise TypeError(ERR_NOT_A_TABLE.format(kind=type(decisions).__name__))
    return table


@contextmanager
def tagged(table: str) -> Iterator[None]:
    """Name ``table`` in an input error raised inside that names no table yet."""
    try:
        yield
    except FairpanelInputError as exc:
        if exc.file is not None:
            raise
        raise exc.with_file(table) from None


def check_columns(
    frame: pd.DataFrame, columns: Sequence[str], *, table: str | None = None
) -> None:
    """Raise for the first of ``columns`` missing from ``frame``, and for an empty frame.

    ``table`` names the input in the error (``"reviews"``, ``"submissions"``…), so an
    error about one of several tables says which; the CLI replaces it with the file name.
    """
    for column in columns:
        if column not in frame.columns:
            raise FairpanelInputError(
                ERR_MISSING_COLUMN.format(column=column),
                file=table,
                column=column,
                hint=f"the table has columns {', '.join(map(str, frame.columns))}",
            )
    if len(frame) == 0:
        raise FairpanelInputError(ERR_EMPTY, file=table, hint="give at least one applicant")


def group_column(frame: pd.DataFrame, column: str) -> pd.Series:
    """Group values as strings, refusing empty ones (an applicant must belong somewhere)."""
    values = frame[column]
    blank = values.isna().to_numpy() | (values.astype(str).str.strip() == "").to_numpy()
    if blank.any():
        raise FairpanelInputError(
            ERR_EMPTY_GROUP,
            row=_row(int(np.flatnonzero(blank)[0])),
            column=column,
            hint="fill it in, or use an explicit value such as 'not stated'",
        )
    return values.astype(str).str.strip()


def counts_from_wide(
    wide: pd.DataFrame,
    *,
    groups: Sequence[str],
    applicants_pattern: str,
    selected_pattern: str,
    strata_col: str | None = None,
    group_name: str = "group",
) -> pd.DataFrame:
    """Reshape a wide published table (one column pair per group) into long counts.

    Parameters
    ----------
    wide : DataFrame
        One row per stratum (or a single row), with columns such as
        ``applications_men, applications_women, awards_men, awards_women``.
    groups : sequence of str
        The group names that fill the patterns, e.g. ``("men", "women")``.
    applicants_pattern, selected_pattern : str
        Column names with ``{group}`` as placeholder, e.g. ``"applications_{group}"``.
    strata_col : str, optional
        The column naming the stratum of each row (e.g. ``discipline``).
    group_name : str
        Name of the group column in the result.

    Returns
    -------
    DataFrame
        Columns ``[strata_col,] group_name, applicants, selected``: one row per
        stratum and group, ready for :func:`audit_counts`.

    Examples
    --------
    >>> wide = pd.DataFrame({"field": ["a", "b"], "n_m": [10, 20], "n_w": [12, 18],
    ...                      "k_m": [3, 5], "k_w": [4, 6]})
    >>> counts_from_wide(wide, groups=["m", "w"], applicants_pattern="n_{group}",
    ...                  selected_pattern="k_{group}", strata_col="field",
    ...                  group_name="gender").shape
    (4, 4)
    """
    wide = wide.reset_index(drop=True)
    columns = [p.format(group=g) for g in groups for p in (applicants_pattern, selected_pattern)]
    check_columns(wide, columns + ([strata_col] if strata_col else []))
    parts = []
    for g in groups:
        part = pd.DataFrame(
            {
                group_name: g,
                "applicants": wide[applicants_pattern.format(group=g)].to_numpy(),
                "selected": wide[selected_pattern.format(group=g)].to_numpy(),
            }
        )
        if strata_col:
            part.insert(0, strata_col, wide[strata_col].to_numpy())
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    return long.sort_values(([strata_col] if strata_col else []) + [group_name], kind="stable")


def unit_frame(
    frame: pd.DataFrame,
    groups: Sequence[str],
    *,
    stages: Sequence[str],
    strata: str | None,
    covariates: Sequence[str],
) -> pd.DataFrame:
    """One row per applicant of a loaded decisions table, ready to be counted into cells.

    Group attributes and the stratum as text; each stage and ``selected`` as 0/1 (the
    last stage is the selection); ``applicants`` = 1; covariates as loaded.
    """
    unit = pd.DataFrame({g: frame[g].astype(str) for g in groups})
    for s in stages:
        unit[f"{STAGE_PREFIX}{s}"] = frame[s].to_numpy(dtype=np.int64)
    unit["selected"] = frame["selected"].to_numpy(dtype=np.int64)
    unit["applicants"] = 1
    if strata:
        unit["stratum"] = frame[strata].astype(str)
    for cov in covariates:
        unit[cov] = frame[cov].to_numpy()
    return unit


def merge_cells(counts: pd.DataFrame, *, strata: bool) -> tuple[pd.DataFrame, int]:
    """Add up the rows of a loaded counts table sharing a group (and stratum).

    A published table is often finer than the audit (the SNSF's Ambizione counts are
    per call × research area × gender; audited by research area, the calls are added
    up). Returns the cells ``group[, stratum], applicants, selected`` and how many rows
    were merged.
    """
    keys = ["group", "stratum"] if strata else ["group"]
    cells = counts[[*keys, "applicants", "selected"]].reset_index(drop=True)
    merged = int(cells.duplicated(keys).sum())
    if merged:
        cells = cells.groupby(keys, as_index=False, sort=False)[["applicants", "selected"]].sum()
    return cells, merged
