"""``fairpanel audit``: disparity tables from decisions or from a published counts table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from fairpanel._errors import FairpanelInputError
from fairpanel.audit import AuditResult, audit, audit_counts, counts_from_wide
from fairpanel.cli._common import (
    Encoding,
    Groups,
    Seed,
    console,
    existing_file,
    friendly_errors,
    naming,
)
from fairpanel.io import guard_outputs, read_table, write_json

__all__ = [
    "DEFAULT_SEED",
    "ERR_BOTH_INPUTS",
    "ERR_COUNTS_OPTION",
    "ERR_DECISIONS_OPTION",
    "ERR_NO_INPUT",
    "audit_command",
]

#: A fixed default seed: the same input gives the same JSON, year after year.
DEFAULT_SEED = "fairpanel-audit"
ERR_NO_INPUT = "give --decisions FILE or --counts FILE"
ERR_BOTH_INPUTS = "give either --decisions or --counts, not both"
ERR_COUNTS_OPTION = "--counts needs {option}"
ERR_DECISIONS_OPTION = "--decisions needs at least one --group"


def _split(values: list[str]) -> list[str]:
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


def _read(path: Path, encoding: str, text: list[str]) -> object:
    with naming(path):
        return read_table(existing_file(path), encoding=encoding, text_columns=text)


def _summary(result: AuditResult) -> None:
    for row in result.comparisons.itertuples(index=False):
        air = pd.to_numeric(pd.Series([row.adverse_impact_ratio]), errors="coerce").iloc[0]
        flag = " [below four-fifths]" if row.four_fifths_flag is True else ""
        text = "not published" if pd.isna(air) else f"AIR {air:.2f}{flag}"
        console.print(f"{row.attribute}: {row.group} vs {row.reference}: {text}")


@friendly_errors
def audit_command(
    decisions: Annotated[
        Path | None,
        typer.Option("--decisions", help="Submission-level decisions (or allocation)."),
    ] = None,
    group: Groups = None,
    selected: Annotated[
        str, typer.Option("--selected", help="Decision column (0/1).")
    ] = "selected",
    submissions: Annotated[
        Path | None,
        typer.Option("--submissions", help="Submissions table to join by submission_id."),
    ] = None,
    intersect: Annotated[
        bool, typer.Option("--intersect", help="Also audit the combination of all groups.")
    ] = False,
    strata: Annotated[str | None, typer.Option("--strata", help="Strata column (CMH).")] = None,
    covariate: Annotated[
        list[str] | None,
        typer.Option("--covariate", help="Covariate of the logistic regression (repeatable)."),
    ] = None,
    stages: Annotated[
        str | None,
        typer.Option("--stages", help="Funnel stage columns in order, comma-separated."),
    ] = None,
    scores: Annotated[
        Path | None,
        typer.Option("--scores", help="Scores table (submission_id, calibrated_score)."),
    ] = None,
    reviews: Annotated[
        Path | None,
        typer.Option("--reviews", help="Reviews table (submission_id, reviewer_id, score)."),
    ] = None,
    counts: Annotated[
        Path | None, typer.Option("--counts", help="Aggregated counts table.")
    ] = None,
    group_col: Annotated[
        str | None, typer.Option("--group-col", help="Group column of --counts.")
    ] = None,
    applicants_col: Annotated[
        str, typer.Option("--applicants-col", help="Applicants column of --counts.")
    ] = "applicants",
    selected_col: Annotated[
        str, typer.Option("--selected-col", help="Selected column of --counts.")
    ] = "selected",
    strata_col: Annotated[
        str | None, typer.Option("--strata-col", help="Strata column of --counts.")
    ] = None,
    wide_groups: Annotated[
        str | None,
        typer.Option(
            "--wide-groups",
            help="Wide --counts: the groups filling the patterns, comma-separated (men,women).",
        ),
    ] = None,
    applicants_pattern: Annotated[
        str, typer.Option("--applicants-pattern", help="Wide --counts: e.g. applications_{group}.")
    ] = "applicants_{group}",
    selected_pattern: Annotated[
        str, typer.Option("--selected-pattern", help="Wide --counts: e.g. awards_{group}.")
    ] = "selected_{group}",
    reference: Annotated[
        str | None, typer.Option("--reference", help="Reference group (default: highest rate).")
    ] = None,
    min_cell: Annotated[
        int, typer.Option("--min-cell", min=0, help="Minimum published cell size (0: none).")
    ] = 5,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the JSON here.")] = None,
    seed: Seed = DEFAULT_SEED,
    encoding: Encoding = "utf-8",
) -> None:
    """Audit selection rates by group, with intervals, adjustment and suppression."""
    if (decisions is None) == (counts is None):
        raise FairpanelInputError(ERR_BOTH_INPUTS if decisions else ERR_NO_INPUT)
    guard_outputs([decisions, counts, submissions, scores, reviews], [json_out])
    if counts is not None:
        wide = _split([wide_groups]) if wide_groups else []
        name = group_col or ("group" if wide else None)
        if name is None:
            raise FairpanelInputError(ERR_COUNTS_OPTION.format(option="--group-col"))
        table = _read(counts, encoding, [name] + ([strata_col] if strata_col else []))
        try:
            if wide:
                table = counts_from_wide(
                    table,  # type: ignore[arg-type]
                    groups=wide,
                    applicants_pattern=applicants_pattern,
                    selected_pattern=selected_pattern,
                    strata_col=strata_col,
                    group_name=name,
                )
            result = audit_counts(
                table,  # type: ignore[arg-type]
                group_col=name,
                applicants_col="applicants" if wide else applicants_col,
                selected_col="selected" if wide else selected_col,
                strata_col=strata_col,
                reference=reference,
                min_cell=min_cell,
                seed=seed,
            )
        except FairpanelInputError as exc:
            raise exc.with_file(counts) from None
    elif decisions is not None:
        groups = _split(group or [])
        if not groups:
            raise FairpanelInputError(ERR_DECISIONS_OPTION)
        text = groups + ([strata] if strata else []) + ["submission_id"]
        frame = _read(decisions, encoding, text)
        subs = _read(submissions, encoding, text) if submissions else None
        ids = ["submission_id", "reviewer_id", "criterion"]
        score_table = _read(scores, encoding, ids) if scores else None
        review_table = _read(reviews, encoding, ids) if reviews else None
        try:
            result = audit(
                frame,
                groups=groups,
                selected=selected,
                submissions=subs,  # type: ignore[arg-type]
                strata=strata,
                covariates=_split(covariate or []),
                stages=_split([stages]) if stages else None,
                reference=reference,
                min_cell=min_cell,
                intersect=intersect,
                seed=seed,
                scores=score_table,  # type: ignore[arg-type]
                reviews=review_table,  # type: ignore[arg-type]
            )
        except FairpanelInputError as exc:
            raise exc.with_file(decisions) from None
    if json_out is not None:
        write_json(json_out, result.to_dict())
        console.print(f"audit written to {json_out}")
    _summary(result)
