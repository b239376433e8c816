"""``fairpanel audit``: disparity tables from decisions or from a published counts table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fairpanel._schema import AUDIT_SEED, DEFAULT_MIN_CELL, ReviewColumns
from fairpanel.cli._common import (
    Encoding,
    Groups,
    existing_file,
    map_inputs,
    map_provenance,
    read_submissions,
    split_names,
    with_review_columns,
)
from fairpanel.cli._guard import console, friendly_errors, naming

if TYPE_CHECKING:
    import pandas as pd

    from fairpanel.audit import AuditPlan
    from fairpanel.io import ColumnMap

__all__ = ["ERR_ADJUST", "ERR_CHANGE_BOTH", "ERR_CHANGE_NEEDS_CYCLE", "audit_command"]

ERR_ADJUST = "--adjust {value!r} is not one of {allowed}"
ERR_CHANGE_NEEDS_CYCLE = "--change-at and --change-col need --cycle-col (the column of the cycle)"
ERR_CHANGE_BOTH = "give either --change-at or --change-col, not both"


@friendly_errors
@with_review_columns
def audit_command(
    decisions: Annotated[
        Path | None,
        typer.Option("--decisions", help="Submission-level decisions (or allocation)."),
    ] = None,
    group: Groups = None,
    selected: Annotated[
        str | None,
        typer.Option(
            "--selected", help="Decision column (yes/no, true/false or 1/0; default: selected)."
        ),
    ] = None,
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
        typer.Option(
            "--covariate",
            help="Covariate of the logistic regression (repeat, or separate by commas).",
            callback=split_names,
        ),
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
    rubric: Annotated[
        Path | None,
        typer.Option("--rubric", help="Rubric YAML: the scale's direction for --reviews."),
    ] = None,
    lower_is_better: Annotated[
        bool | None,
        typer.Option(
            "--lower-is-better/--higher-is-better",
            help="Scale direction of --scores/--reviews (default: the scores file's "
            "higher_is_better column, else the rubric, else higher is better).",
        ),
    ] = None,
    counts: Annotated[
        Path | None, typer.Option("--counts", help="Aggregated counts table.")
    ] = None,
    group_col: Annotated[
        str | None, typer.Option("--group-col", help="Group column of --counts.")
    ] = None,
    applicants_col: Annotated[
        str | None,
        typer.Option(
            "--applicants-col", help="Applicants column of --counts (default: applicants)."
        ),
    ] = None,
    selected_col: Annotated[
        str | None,
        typer.Option("--selected-col", help="Selected column of --counts (default: selected)."),
    ] = None,
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
    recode: Annotated[
        list[str] | None,
        typer.Option(
            "--recode",
            help="Pool group labels before counting, recorded in the output: e.g. "
            "'gender:non-binary,not stated=another or not stated' (repeat; the column "
            "may be left out when one group column holds the labels).",
        ),
    ] = None,
    min_cell: Annotated[
        int,
        typer.Option(
            "--min-cell",
            min=0,
            help="Minimum published cell size; below the default (0 for internal use), "
            'the JSON says "publishable": false.',
        ),
    ] = DEFAULT_MIN_CELL,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the JSON here.")] = None,
    seed: Annotated[
        str,
        typer.Option(
            "--seed",
            help="Seed of the lottery simulation (any text); the default "
            "is fixed so that the same input gives the same JSON, year after year.",
        ),
    ] = AUDIT_SEED,
    encoding: Encoding = "utf-8",
    cycle_col: Annotated[
        str | None,
        typer.Option(
            "--cycle-col",
            help="Cycle column (year, call) of --decisions or --counts: rates per cycle, the "
            "gap pooled over cycles and a trend test.",
        ),
    ] = None,
    change_at: Annotated[
        str | None,
        typer.Option(
            "--change-at", help="With --cycle-col: the first cycle after a process change."
        ),
    ] = None,
    change_col: Annotated[
        str | None,
        typer.Option(
            "--change-col",
            help="With --cycle-col: a yes/no column marking the rows after the change.",
        ),
    ] = None,
    adjust: Annotated[
        str,
        typer.Option("--adjust", help="Adjustment of the family of comparisons: holm or bh."),
    ] = "holm",
    scan: Annotated[
        bool,
        typer.Option(
            "--scan", help="Search the groups' (and strata's) conjunctions for the largest gap."
        ),
    ] = False,
    *,
    columns: ReviewColumns,
    column_map: ColumnMap,
) -> None:
    """Audit selection rates by group, with intervals, adjustment and suppression."""
    # Imported here, not at the top, for start-up time: the audit pulls in statsmodels
    # and scipy, which other commands (and `fairpanel --help`) do not need.
    from fairpanel.audit import audit_counts, plan_audit, run_audit
    from fairpanel.audit._inputs import DECISIONS, REVIEWS, SCORES, SUBMISSIONS
    from fairpanel.cli._audit_table import print_audit
    from fairpanel.io import (
        OutputProvenance,
        load_decisions,
        load_reviews,
        load_scores,
        open_outputs,
    )

    groups = group or []
    if counts is None:
        groups = groups or list(column_map.groups)
    elif group_col is None:
        # a counts table's group column: the map's counts name, else its one group
        mapped = column_map.name("counts", "group")
        one = column_map.groups[0] if len(column_map.groups) == 1 else None
        group_col = mapped if isinstance(mapped, str) else one
    covariates = covariate or []
    stage_list = split_names([stages]) if stages else None
    wide = split_names([wide_groups]) if wide_groups else []
    higher_is_better = None if lower_is_better is None else not lower_is_better
    plan = plan_audit(
        decisions=decisions,
        counts=counts,
        groups=groups,
        strata=strata,
        intersect=intersect,
        covariates=covariates,
        stages=stage_list,
        submissions=submissions,
        scores=scores,
        reviews=reviews,
        rubric=rubric,
        higher_is_better=higher_is_better,
        group_col=group_col,
        strata_col=strata_col,
        wide_groups=wide,
    )
    across = _across(cycle_col, change_at, change_col, adjust, scan)
    outputs = open_outputs(
        {"--json": json_out},
        inputs={
            "--decisions": decisions,
            "--counts": counts,
            "--submissions": submissions,
            "--scores": scores,
            "--reviews": reviews,
            "--rubric": rubric,
            **map_inputs(column_map),
        },
        provenance=OutputProvenance("audit", seed=str(seed), extra=map_provenance(column_map)),
    )
    if counts is not None:
        count_map = column_map.with_options(
            group=group_col, applicants=applicants_col, selected=selected_col
        )
        count_cols = (
            (applicants_pattern, selected_pattern)
            if wide
            else (count_map.column("applicants"), count_map.column("selected"))
        )
        table = _counts_table(
            counts, plan, wide, count_cols, strata_col, encoding, count_map.renames("counts")
        )
        with naming(counts):
            result = audit_counts(
                table,
                group_col=str(plan.group_col),
                recode=_recodes(recode or []),
                strata_col=strata_col,
                reference=reference,
                min_cell=min_cell,
                seed=seed,
                **across,  # type: ignore[arg-type]
            )
    elif decisions is not None:  # always, once the plan has checked the inputs
        subs = None
        if submissions is not None:
            subs = read_submissions(submissions, column_map=column_map, encoding=encoding)
        # A decisions file may be the committee's (its names, from the map) or an
        # allocation fairpanel wrote (its own names): the map renames only what it finds.
        decision_map = column_map.with_options(selected=selected)
        frame = load_decisions(
            existing_file(decisions),
            groups=groups,
            selected=decision_map.column("selected"),
            stages=stage_list,
            submission_col=decision_map.column("submission_id"),
            strata=strata,
            covariates=covariates,
            submissions=subs,
            encoding=encoding,
            rename=decision_map.renames("decisions"),
        )
        if higher_is_better is None and rubric is not None:
            higher_is_better = _rubric_direction(rubric)
        tables = {DECISIONS: decisions, SUBMISSIONS: submissions, SCORES: scores, REVIEWS: reviews}
        with naming(decisions, tables):
            result = run_audit(
                frame,
                groups=groups,
                submissions=subs,
                strata=strata,
                covariates=covariates,
                stages=stage_list,
                reference=reference,
                min_cell=min_cell,
                intersect=intersect,
                seed=seed,
                recode=_recodes(recode or []),
                scores=None
                if scores is None
                else load_scores(
                    existing_file(scores),
                    encoding=encoding,
                    rename=column_map.renames("scores"),
                ),
                reviews=None
                if reviews is None
                else load_reviews(existing_file(reviews), columns=columns, encoding=encoding),
                higher_is_better=higher_is_better,
                cycle=across.pop("cycle_col"),  # type: ignore[arg-type]
                **across,  # type: ignore[arg-type]
            )
    if json_out is not None:
        with outputs:
            outputs.write_json(json_out, result.to_dict())
        console.print(f"audit written to {json_out}")
    print_audit(result, seed)


def _counts_table(
    path: Path,
    plan: AuditPlan,
    wide: list[str],
    columns: tuple[str, str],
    strata_col: str | None,
    encoding: str,
    rename: dict[str, str],
) -> pd.DataFrame:
    """Load a counts file; a wide one (a column pair per group in ``wide``) is reshaped.

    ``columns``: the applicants and selected columns, or a wide table's two patterns;
    ``rename``: the ``--columns`` file's names of a long table's columns.
    """
    from fairpanel.audit import counts_from_wide
    from fairpanel.io import load_counts, read_table

    group_col = str(plan.group_col)
    source: Path | pd.DataFrame = existing_file(path)
    applicants_col, selected_col = columns
    if wide:
        with naming(path):
            text = [group_col, *([strata_col] if strata_col else [])]
            source = counts_from_wide(
                read_table(path, encoding=encoding, text_columns=text),
                groups=wide,
                applicants_pattern=applicants_col,
                selected_pattern=selected_col,
                strata_col=strata_col,
                group_name=group_col,
            )
        # the reshaped table's count columns are counts_from_wide's own
        applicants_col, selected_col = "applicants", "selected"
    return load_counts(
        source,
        group_col=group_col,
        applicants_col=applicants_col,
        selected_col=selected_col,
        strata_col=strata_col,
        encoding=encoding,
        source=str(path),
        rename=None if wide else rename,
    )


def _across(
    cycle_col: str | None, change_at: str | None, change_col: str | None, adjust: str, scan: bool
) -> dict[str, object]:
    """Check the options across cycles and of multiplicity; return them as keywords."""
    from fairpanel._errors import FairpanelInputError
    from fairpanel.audit._multiplicity import ADJUST_METHODS

    if adjust not in ADJUST_METHODS:
        raise FairpanelInputError(
            ERR_ADJUST.format(value=adjust, allowed=", ".join(ADJUST_METHODS))
        )
    if (change_at is not None or change_col is not None) and cycle_col is None:
        raise FairpanelInputError(ERR_CHANGE_NEEDS_CYCLE)
    if change_at is not None and change_col is not None:
        raise FairpanelInputError(ERR_CHANGE_BOTH)
    return {
        "cycle_col": cycle_col,
        "change_at": change_at,
        "change_col": change_col,
        "adjust": adjust,
        "scan": scan,
    }


def _rubric_direction(path: Path) -> bool:
    from fairpanel.rubric import load_rubric  # start-up time, as in audit_command

    with naming(path):
        return load_rubric(existing_file(path)).scale.higher_is_better


def _recodes(values: list[str]) -> dict[str | None, tuple[tuple[str, str], ...]]:
    """Read each --recode: an optional 'column:' before the labels."""
    from fairpanel.io._groups import parse_recode

    out: dict[str | None, tuple[tuple[str, str], ...]] = {}
    for value in values:
        head, sep, rest = value.partition(":")
        column, text = (head.strip(), rest) if sep and "=" not in head else (None, value)
        out[column] = out.get(column, ()) + parse_recode(text)
    return out
