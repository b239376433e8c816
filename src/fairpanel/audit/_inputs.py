"""Turning what a committee has into checked counts: decisions, allocations or count tables.

Everything the audit computes starts from *cells*: one row per combination of group
values (and stratum), with ``applicants`` and ``selected``. A submission-level table is
counted into cells; a published counts table already is one. Checks raise
:class:`~fairpanel.FairpanelInputError` naming the row (spreadsheet numbering: header is
row 1) and the column; the CLI adds the file name.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final

import numpy as np
import pandas as pd

from fairpanel._errors import FairpanelInputError

__all__ = [
    "DECISIONS",
    "ERR_BAD_BINARY",
    "ERR_BAD_COUNT",
    "ERR_BAD_COVARIATE",
    "ERR_DUPLICATE_GROUP",
    "ERR_EMPTY",
    "ERR_EMPTY_GROUP",
    "ERR_MISSING_COLUMN",
    "ERR_NOT_A_TABLE",
    "ERR_SELECTED_EXCEEDS",
    "ERR_STAGE_ORDER",
    "ERR_UNKNOWN_SUBMISSION",
    "REVIEWS",
    "SCORES",
    "STAGE_PREFIX",
    "SUBMISSIONS",
    "as_frame",
    "binary_column",
    "check_columns",
    "counts_from_wide",
    "covariate_column",
    "tagged",
    "unit_frame",
    "validate_counts",
]

ERR_MISSING_COLUMN = "missing column '{column}'"
ERR_EMPTY = "the table has no rows"
ERR_EMPTY_GROUP = "empty group value"
ERR_BAD_BINARY = "'{value}' is not a yes/no decision"
ERR_BAD_COUNT = "'{value}' is not a whole number of at least 0"
ERR_SELECTED_EXCEEDS = "{selected} selected out of {applicants} applicants"
#: No longer raised: rows sharing a group (and stratum) are summed, with a note.
ERR_DUPLICATE_GROUP = "group '{group}' appears twice"
ERR_STAGE_ORDER = "passed stage '{stage}' without passing the stage '{previous}' before it"
ERR_UNKNOWN_SUBMISSION = "submission '{submission}' is not in the submissions table"
ERR_BAD_COVARIATE = "'{value}' is not a number"
ERR_NOT_A_TABLE = "decisions must be a DataFrame or an Allocation (with .table), not {kind}"

_TRUE: Final = frozenset({"1", "1.0", "true", "t", "yes", "y", "selected"})
_FALSE: Final = frozenset({"0", "0.0", "false", "f", "no", "n", "not selected", ""})

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


def as_frame(decisions: Any, submissions: pd.DataFrame | None) -> pd.DataFrame:
    """Return a plain frame from a DataFrame or an ``Allocation`` (joined to ``submissions``).

    An allocation is anything with a ``.table`` DataFrame holding ``submission_id``; the
    strategies module is not imported, so the audit works without it.
    """
    table = getattr(decisions, "table", decisions)
    if not isinstance(table, pd.DataFrame):
        raise TypeError(ERR_NOT_A_TABLE.format(kind=type(decisions).__name__))
    frame = table.reset_index(drop=True)
    if submissions is None:
        return frame
    check_columns(frame, ["submission_id"], table=DECISIONS)
    check_columns(submissions, ["submission_id"], table=SUBMISSIONS)
    ids = frame["submission_id"].astype(str)
    known = set(submissions["submission_id"].astype(str))
    unknown = ~ids.isin(known)
    if unknown.any():
        pos = int(np.flatnonzero(unknown.to_numpy())[0])
        raise FairpanelInputError(
            ERR_UNKNOWN_SUBMISSION.format(submission=ids.iloc[pos]),
            file=DECISIONS,
            row=_row(pos),
            column="submission_id",
            hint="audit the allocation against the submissions it was made from",
        )
    subs = submissions.assign(submission_id=submissions["submission_id"].astype(str))
    extra = [c for c in subs.columns if c == "submission_id" or c not in frame.columns]
    return frame.assign(submission_id=ids).merge(subs[extra], on="submission_id", how="left")


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


def binary_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Return a 0/1 decision column as ``int64`` (accepts booleans, 0/1, yes/no, true/false)."""
    values = frame[column]
    if pd.api.types.is_bool_dtype(values) and not values.isna().any():
        return values.to_numpy(dtype=np.int64)
    text = values.astype(str).str.strip().str.lower()
    is_true = text.isin(_TRUE).to_numpy()
    is_false = text.isin(_FALSE).to_numpy() & values.notna().to_numpy()
    bad = ~(is_true | is_false)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise FairpanelInputError(
            ERR_BAD_BINARY.format(value=values.iloc[pos]),
            row=_row(pos),
            column=column,
            hint="use 1/0, true/false or yes/no",
        )
    return is_true.astype(np.int64)


def _count_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    raw = frame[column]
    numeric = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(numeric) | (numeric < 0) | (numeric != np.round(numeric))
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise FairpanelInputError(
            ERR_BAD_COUNT.format(value=raw.iloc[pos]),
            row=_row(pos),
            column=column,
            hint="counts are whole numbers of people",
        )
    return numeric.astype(np.int64)


def validate_counts(
    counts: pd.DataFrame,
    *,
    group_col: str,
    applicants_col: str,
    selected_col: str,
    strata_col: str | None,
) -> tuple[pd.DataFrame, int]:
    """Check an aggregated counts table; return its cells and how many rows were merged.

    The cells have columns ``group[, stratum], applicants, selected``, one row per group
    (and stratum). Rows sharing a group and stratum are summed: a published table is
    often finer than the audit (the SNSF's Ambizione counts are per call × research
    area × gender; audited by research area, the calls are added up).
    """
    counts = counts.reset_index(drop=True)
    needed = [group_col, applicants_col, selected_col] + ([strata_col] if strata_col else [])
    check_columns(counts, needed)
    groups = group_column(counts, group_col)
    applicants = _count_column(counts, applicants_col)
    selected = _count_column(counts, selected_col)
    over = selected > applicants
    if over.any():
        pos = int(np.flatnonzero(over)[0])
        raise FairpanelInputError(
            ERR_SELECTED_EXCEEDS.format(selected=selected[pos], applicants=applicants[pos]),
            row=_row(pos),
            column=selected_col,
            hint=f"'{selected_col}' counts the selected among '{applicants_col}'",
        )
    cells = pd.DataFrame({"group": groups, "applicants": applicants, "selected": selected})
    keys = ["group"]
    if strata_col:
        cells.insert(1, "stratum", group_column(counts, strata_col))
        keys.append("stratum")
    merged = int(cells.duplicated(keys).sum())
    if merged:
        cells = cells.groupby(keys, as_index=False, sort=False)[["applicants", "selected"]].sum()
    return cells, merged


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
    selected: str,
    stages: Sequence[str],
    strata: str | None,
    covariates: Sequence[str],
) -> pd.DataFrame:
    """Check a decisions table; return one row per applicant with clean columns.

    Group attributes and the stratum as text; ``selected`` and each stage as 0/1 (the
    last stage is the selection); ``applicants`` = 1; covariates numeric or text.
    """
    unit = pd.DataFrame({g: group_column(frame, g) for g in groups})
    if stages:
        passed = [binary_column(frame, s) for s in stages]
        for j in range(1, len(stages)):
            jumped = (passed[j] == 1) & (passed[j - 1] == 0)
            if jumped.any():
                raise FairpanelInputError(
                    ERR_STAGE_ORDER.format(stage=stages[j], previous=stages[j - 1]),
                    row=int(np.flatnonzero(jumped)[0]) + 2,
                    column=stages[j],
                    hint="stages are conditional: each one counts only those who passed the previous",
                )
        for s, p in zip(stages, passed, strict=True):
            unit[f"{STAGE_PREFIX}{s}"] = p
        unit["selected"] = passed[-1]
    else:
        unit["selected"] = binary_column(frame, selected)
    unit["applicants"] = 1
    if strata:
        unit["stratum"] = group_column(frame, strata)
    for cov in covariates:
        unit[cov] = covariate_column(frame, cov)
    return unit


def covariate_column(frame: pd.DataFrame, column: str) -> np.ndarray | pd.Series:
    """Return a covariate: finite numbers (entered linearly), or text (as indicators)."""
    col = frame[column]
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        bad = ~np.isfinite(col.to_numpy(np.float64, na_value=np.nan))
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            raise FairpanelInputError(
                ERR_BAD_COVARIATE.format(value=col.iloc[pos]), row=_row(pos), column=column
            )
        return col.to_numpy(np.float64)
    return group_column(frame, column)
