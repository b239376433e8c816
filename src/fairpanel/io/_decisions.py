"""Loading a decisions table: one row per applicant, with the decision (or funnel stages)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import SubmissionColumns
from fairpanel._tables import ColumnKind
from fairpanel.io._checks import (
    Check,
    as_table,
    booleans,
    cell_error,
    empty_cells,
    raise_first,
    require_columns,
)
from fairpanel.io._columns import is_loaded, mark, other_columns, read_column
from fairpanel.io._counts import ERR_EMPTY_GROUP, HINT_EMPTY_GROUP
from fairpanel.io._read import Table, maybe_numeric
from fairpanel.io._submissions import load_submissions

__all__ = [
    "ERR_COLUMN_CLASH",
    "ERR_EMPTY_COVARIATE",
    "ERR_REPEATED_IDS",
    "ERR_STAGE_ORDER",
    "ERR_UNKNOWN_SUBMISSION",
    "load_decisions",
]

ERR_REPEATED_IDS = (
    "{count} submission ids appear on more than one row ({examples}), but a decisions "
    "table has one row per applicant"
)
HINT_REPEATED_IDS = (
    "this looks like a reviews or votes file (one row per reviewer); give one row per "
    "submission, such as the allocation 'fairpanel allocate' writes"
)
ERR_STAGE_ORDER = "passed stage '{stage}' without passing the stage '{previous}' before it"
HINT_STAGE_ORDER = "stages are conditional: each one counts only those who passed the previous"
ERR_UNKNOWN_SUBMISSION = "submission '{submission}' is not in the submissions table"
HINT_UNKNOWN_SUBMISSION = "audit the allocation against the submissions it was made from"
ERR_EMPTY_COVARIATE = "the covariate '{column}' is empty"
HINT_EMPTY_COVARIATE = "fill it in, or leave the covariate out"
ERR_COLUMN_CLASH = "the file has a column '{name}' besides the column '{column}' named as it"
#: ``attrs`` key of a loaded decisions table: the submissions table it was joined to.
_JOINED = "fairpanel_joined"
#: How many repeated ids, and rows of each, the error names.
_SHOWN = 3


def load_decisions(
    decisions: str | Path | pd.DataFrame,
    *,
    groups: Sequence[str] = (),
    selected: str = "selected",
    stages: Sequence[str] | None = None,
    submission_col: str = "submission_id",
    strata: str | None = None,
    covariates: Sequence[str] = (),
    probability: str | None = "selection_probability",
    submissions: pd.DataFrame | None = None,
    encoding: str = "utf-8",
    source: str | None = None,
    rename: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Load and check a decisions table: one row per applicant and its decision.

    Parameters
    ----------
    decisions : str, Path or DataFrame
        The decisions, from a CSV/TSV, .xlsx or .parquet file, or a DataFrame (such as
        :attr:`fairpanel.strategies.Allocation.table`).
    groups : sequence of str
        The group attribute columns (gender, career stage…).
    selected : str, default "selected"
        The yes/no decision column (unused with ``stages``).
    stages : sequence of str, optional
        The yes/no columns of a funnel, in order (screened, interviewed, offered); the
        last one is the selection, and nobody may pass a stage without the one before.
    submission_col : str, default "submission_id"
        The id column, required: an empty id is refused (a row without an id is not
        counted as an applicant) and so is a repeated one (one row per applicant: a
        file with a row per vote or review is not a decisions table).
    strata : str, optional
        The column of the stratum (discipline, cycle) of each applicant.
    covariates : sequence of str
        Columns the audit adjusts for: numbers (every cell a number) or text.
    probability : str or None, default "selection_probability"
        The column of each applicant's selection probability (an allocation's), read
        when the table has it: a number in [0, 1].
    submissions : DataFrame, optional
        A submissions table (see :func:`load_submissions`): every decision must be of
        one of its submissions, and the group, strata and covariate columns the
        decisions lack are taken from it (and checked there, naming its rows).
    encoding : str, default "utf-8"
        Text encoding of a CSV/TSV file.
    source : str, optional
        The name to give the table in error messages (default: the path, or
        ``"decisions table"`` for a DataFrame).
    rename : mapping of str to str, optional
        fairpanel's column name → the committee's (:meth:`fairpanel.io.ColumnMap.renames`):
        a column under the committee's name is read as fairpanel's.

    Returns
    -------
    DataFrame
        ``submission_id``, the group and strata columns
        (text), the covariates (float or text), the stages (bool) and ``selected``
        (bool; with stages, the last one), the probability (float) when present, then
        every other column of the file and of
        ``submissions``. ``attrs["fairpanel_source"]`` names the source.

    Raises
    ------
    FairpanelInputError
        Naming the file, spreadsheet row and column: a missing column (the id column
        too), no data rows, an
        empty or repeated id, a decision that is not yes/no (see
        :func:`fairpanel._schema.parse_bool`), a stage passed without the previous one,
        an empty group, stratum or covariate, or a submission not in ``submissions``.

    Examples
    --------
    >>> raw = pd.DataFrame({"id": ["a", "b"], "gender": ["w", "m"], "funded": ["yes", "0"]})
    >>> load_decisions(raw, groups=["gender"], selected="funded", submission_col="id")
      submission_id gender  selected
    0             a      w      True
    1             b      m     False
    """
    stage_list = list(stages or [])
    attributes = [*groups, *([strata] if strata else [])]
    wanted = [*attributes, *covariates, *stage_list]
    if is_loaded(decisions, "decisions", wanted) and (
        submissions is None or _joined(decisions) == _source(submissions)
    ):
        return decisions
    if is_loaded(decisions, "decisions"):
        # Checked once already, under fairpanel's names for the id and the decision.
        selected, submission_col = "selected", "submission_id"
    table = as_table(
        decisions, encoding=encoding, source=source, default_name="decisions table", rename=rename
    )
    own = set(table.frame.columns)
    # Every row counted as an applicant is one named applicant: without ids, a file of
    # votes or reviews (several rows per submission) would be counted row by row.
    required: dict[str, str | None] = {submission_col: "--submission-col"}
    subs = None
    if submissions is not None:
        # What the decisions lack comes from the submissions, and is checked there.
        from_subs = tuple(c for c in attributes if c not in own)
        subs = load_submissions(submissions, columns=SubmissionColumns(groups=from_subs))
        _check_covariates(subs, [c for c in covariates if c not in own])
    if stage_list:
        required.update(dict.fromkeys(stage_list, "--stages"))
    else:
        required[selected] = "--selected"
    if subs is None:
        required.update(dict.fromkeys(groups, "--group"))
        if strata:
            required[strata] = "--strata"
        required.update(dict.fromkeys(covariates, "--covariate"))
    require_columns(table, required)
    _refuse_clash(table, selected if not stage_list else None, submission_col)

    frame = table.frame
    here = [c for c in attributes if c in frame.columns]
    checks: list[Check] = [_empty_group(table, c) for c in here]
    out = pd.DataFrame(index=frame.index)
    kinds: dict[str, ColumnKind] = {}
    out["submission_id"] = frame[submission_col].astype("str")
    kinds["submission_id"] = "id"
    # The unit of analysis first: a file of reviews or votes is refused as such, not for
    # the first of its cells that is not a decision (a 1-40 rating in --selected).
    raise_first([empty_cells(table, submission_col, "submission id"),
                 _repeated(table, submission_col)])  # fmt: skip
    if subs is not None:
        checks.append(_unknown(table, submission_col, subs))
    for column in here:
        out[column] = frame[column].astype("str")
    covs = {c: _covariate(table, c, checks) for c in covariates if c in frame.columns}
    chance = None
    if probability is not None and probability in frame.columns:
        chance, more = read_column(table, probability, "probability")
        checks.extend(more)
    passed = []
    for column in stage_list or [selected]:
        values, more = booleans(table, column)
        checks.extend(more)
        passed.append(values)
    checks.extend(_stage_order(table, stage_list, passed))
    raise_first(checks)

    for column, values in covs.items():
        out[column] = values
    for column, values in zip(stage_list, passed, strict=False):
        out[column] = values
    out["selected"] = passed[-1]
    if probability is not None and chance is not None:
        out[probability] = chance
    out = other_columns(out, table, [submission_col, selected])
    if subs is not None:
        extra = [c for c in subs.columns if c not in out.columns]
        joined = subs.set_index("submission_id")[extra].reindex(out["submission_id"])
        out = pd.concat([out, joined.set_axis(out.index)], axis=1)
    kinds.update(dict.fromkeys(attributes, "text"))
    kinds.update({c: "number" if out[c].dtype.kind == "f" else "text" for c in covariates})
    kinds.update(dict.fromkeys([*stage_list, "selected"], "bool"))
    if probability is not None and chance is not None:
        kinds[probability] = "probability"
    out = mark(out, table="decisions", source=table.source, checked=kinds)
    if subs is not None:
        out.attrs[_JOINED] = _source(subs)
    return out


def _source(frame: pd.DataFrame) -> str | None:
    name = frame.attrs.get("fairpanel_source")
    return None if name is None else str(name)


def _joined(frame: pd.DataFrame) -> str:
    # Never equal to a raw frame's source (None): a raw submissions table is checked.
    return str(frame.attrs.get(_JOINED, "\0not joined"))


def _refuse_clash(table: Table, selected: str | None, submission_col: str) -> None:
    for name, column in (("selected", selected), ("submission_id", submission_col)):
        if column is not None and column != name and name in table.frame.columns:
            raise FairpanelInputError(
                ERR_COLUMN_CLASH.format(name=name, column=column),
                file=table.source,
                column=name,
                hint="rename one of the two columns",
            )


def _empty_group(table: Table, column: str) -> Check:
    message = ERR_EMPTY_GROUP.format(column=column)
    return empty_cells(table, column, "group attribute", message=message, hint=HINT_EMPTY_GROUP)


def _covariate(table: Table, column: str, checks: list[Check]) -> pd.Series:
    """Read a covariate: numbers when every cell is one (entered linearly), else text."""
    message = ERR_EMPTY_COVARIATE.format(column=column)
    checks.append(
        empty_cells(table, column, "covariate", message=message, hint=HINT_EMPTY_COVARIATE)
    )
    return maybe_numeric(table.frame[column], table.decimal)


def _check_covariates(subs: pd.DataFrame, columns: list[str]) -> None:
    if not columns:
        return
    table = as_table(subs[["submission_id", *columns]], encoding="utf-8", source=None,
                     default_name="submissions table")  # fmt: skip
    checks: list[Check] = []
    for column in columns:
        require_columns(table, {column: "--covariate"})
        _covariate(table, column, checks)
    raise_first(checks)


def _repeated(table: Table, column: str) -> Check:
    ids = table.frame[column]
    mask = (ids.duplicated(keep="first") & ids.notna()).to_numpy()

    def error(pos: int) -> FairpanelInputError:
        repeated = ids[ids.duplicated(keep=False) & ids.notna()]
        # The index of a table is each row's position below the header.
        rows = {
            str(sid): [int(i) + 2 for i in idx]
            for sid, idx in repeated.groupby(repeated, sort=False).groups.items()
        }
        examples = "; ".join(
            f"'{sid}' on rows {', '.join(map(str, r[:_SHOWN]))}{', …' if len(r) > _SHOWN else ''}"
            for sid, r in list(rows.items())[:_SHOWN]
        )
        if len(rows) > _SHOWN:
            examples += "; …"
        message = ERR_REPEATED_IDS.format(count=len(rows), examples=examples)
        return cell_error(table, pos, column, message, HINT_REPEATED_IDS)

    return mask, error


def _unknown(table: Table, column: str, subs: pd.DataFrame) -> Check:
    ids = table.frame[column]
    mask = (ids.notna() & ~ids.isin(subs["submission_id"])).to_numpy()

    def error(pos: int) -> FairpanelInputError:
        message = ERR_UNKNOWN_SUBMISSION.format(submission=ids.iloc[pos])
        return cell_error(table, pos, column, message, HINT_UNKNOWN_SUBMISSION)

    return mask, error


def _stage_order(table: Table, stages: list[str], passed: list[pd.Series]) -> list[Check]:
    checks: list[Check] = []
    for j in range(1, len(stages)):
        jumped = (passed[j] & ~passed[j - 1]).to_numpy()
        message = ERR_STAGE_ORDER.format(stage=stages[j], previous=stages[j - 1])

        def error(pos: int, column: str = stages[j], text: str = message) -> FairpanelInputError:
            return cell_error(table, pos, column, text, HINT_STAGE_ORDER)

        checks.append((jumped, error))
    return checks
