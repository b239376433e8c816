"""``fairpanel audit``: disparity tables from decisions or from a published counts table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fairpanel._errors import FairpanelInputError
from fairpanel.cli._common import (
    Encoding,
    Groups,
    Seed,
    SubmissionCol,
    console,
    existing_file,
    friendly_errors,
    naming,
)

if TYPE_CHECKING:
    from fairpanel.audit import AuditResult

__all__ = [
    "DEFAULT_SEED",
    "ERR_BOTH_INPUTS",
    "ERR_COUNTS_OPTION",
    "ERR_DECISIONS_OPTION",
    "ERR_NOT_WITH_COUNTS",
    "ERR_NOT_WITH_DECISIONS",
    "ERR_NO_INPUT",
    "audit_command",
]

#: A fixed default seed: the same input gives the same JSON, year after year.
DEFAULT_SEED = "fairpanel-audit"
ERR_NO_INPUT = "give --decisions FILE or --counts FILE"
ERR_BOTH_INPUTS = "give either --decisions or --counts, not both"
ERR_COUNTS_OPTION = "--counts needs {option}"
ERR_DECISIONS_OPTION = "--decisions needs at least one --group"
ERR_NOT_WITH_COUNTS = "{option} does not apply to --counts: {hint}"
ERR_NOT_WITH_DECISIONS = "{option} goes with --counts; with --decisions use {other}"
_DECISIONS_ONLY = "it needs submission-level decisions (--decisions)"


def _split(values: list[str]) -> list[str]:
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


def _read(path: Path, encoding: str, text: list[str]) -> object:
    from fairpanel.io import read_table  # start-up time, as in audit_command

    with naming(path):
        return read_table(existing_file(path), encoding=encoding, text_columns=text)


def _name_file(exc: FairpanelInputError, paths: dict[str, Path | None]) -> FairpanelInputError:
    """Replace the library's table name (``reviews``…) with the file the user gave."""
    from fairpanel.audit._inputs import DECISIONS  # start-up time, as in audit_command

    path = paths.get(exc.file) if exc.file is not None else paths[DECISIONS]
    return exc.with_file(path) if path is not None else exc


def _refuse(given: dict[str, bool], message: str, hints: dict[str, str]) -> None:
    for option, used in given.items():
        if used:
            raise FairpanelInputError(message.format(option=option, **_fill(hints[option])))


def _fill(hint: str) -> dict[str, str]:
    return {"hint": hint, "other": hint}


def _summary(result: AuditResult) -> None:
    import pandas as pd  # start-up time, as in audit_command

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
        str, typer.Option("--selected", help="Decision column (yes/no, true/false or 1/0).")
    ] = "selected",
    submission_col: SubmissionCol = "submission_id",
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
        int,
        typer.Option(
            "--min-cell",
            min=0,
            help="Minimum published cell size (default 5; below it, including 0 for "
            'internal use, the JSON says "publishable": false).',
        ),
    ] = 5,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the JSON here.")] = None,
    seed: Seed = DEFAULT_SEED,
    encoding: Encoding = "utf-8",
) -> None:
    """Audit selection rates by group, with intervals, adjustment and suppression."""
    # Imported here, not at the top, for start-up time: the audit pulls in statsmodels
    # and scipy, which other commands (and `fairpanel --help`) do not need.
    from fairpanel._schema import ReviewColumns, SubmissionColumns
    from fairpanel.audit import audit_counts, counts_from_wide, run_audit
    from fairpanel.audit._inputs import DECISIONS, REVIEWS, SCORES, SUBMISSIONS
    from fairpanel.io import (
        guard_outputs,
        load_counts,
        load_decisions,
        load_reviews,
        load_scores,
        load_submissions,
        write_json,
    )
    from fairpanel.rubric import load_rubric

    if (decisions is None) == (counts is None):
        raise FairpanelInputError(ERR_BOTH_INPUTS if decisions else ERR_NO_INPUT)
    guard_outputs([decisions, counts, submissions, scores, reviews, rubric], [json_out])
    if counts is not None:
        _refuse(
            {
                "--group": bool(group),
                "--strata": strata is not None,
                "--intersect": intersect,
                "--covariate": bool(covariate),
                "--stages": stages is not None,
                "--submissions": submissions is not None,
                "--scores": scores is not None,
                "--reviews": reviews is not None,
                "--rubric": rubric is not None,
                "--lower-is-better/--higher-is-better": lower_is_better is not None,
            },
            ERR_NOT_WITH_COUNTS,
            {
                "--group": "name the group column with --group-col",
                "--strata": "name the strata column with --strata-col",
                "--covariate": "a counts table is adjusted for its --strata-col only; "
                + _DECISIONS_ONLY,
                **dict.fromkeys(
                    [
                        "--intersect",
                        "--stages",
                        "--submissions",
                        "--scores",
                        "--reviews",
                        "--rubric",
                        "--lower-is-better/--higher-is-better",
                    ],
                    _DECISIONS_ONLY,
                ),
            },
        )
    else:
        _refuse(
            {
                "--group-col": group_col is not None,
                "--strata-col": strata_col is not None,
                "--wide-groups": wide_groups is not None,
            },
            ERR_NOT_WITH_DECISIONS,
            {"--group-col": "--group", "--strata-col": "--strata", "--wide-groups": "--group"},
        )
    if counts is not None:
        wide = _split([wide_groups]) if wide_groups else []
        name = group_col or ("group" if wide else None)
        if name is None:
            raise FairpanelInputError(ERR_COUNTS_OPTION.format(option="--group-col"))
        if wide:
            table = _read(counts, encoding, [name] + ([strata_col] if strata_col else []))
            with naming(counts):
                table = counts_from_wide(
                    table,  # type: ignore[arg-type]
                    groups=wide,
                    applicants_pattern=applicants_pattern,
                    selected_pattern=selected_pattern,
                    strata_col=strata_col,
                    group_name=name,
                )
        loaded = load_counts(
            table if wide else existing_file(counts),  # type: ignore[arg-type]
            group_col=name,
            applicants_col="applicants" if wide else applicants_col,
            selected_col="selected" if wide else selected_col,
            strata_col=strata_col,
            encoding=encoding,
            source=str(counts),
        )
        with naming(counts):
            result = audit_counts(
                loaded,
                group_col=name,
                strata_col=strata_col,
                reference=reference,
                min_cell=min_cell,
                seed=seed,
            )
    elif decisions is not None:
        groups = _split(group or [])
        if not groups:
            raise FairpanelInputError(ERR_DECISIONS_OPTION)
        covariates = _split(covariate or [])
        stage_list = _split([stages]) if stages else None
        subs = None
        if submissions is not None:
            subs = load_submissions(
                existing_file(submissions),
                columns=SubmissionColumns(submission=submission_col),
                encoding=encoding,
            )
        frame = load_decisions(
            existing_file(decisions),
            groups=groups,
            selected=selected,
            stages=stage_list,
            submission_col=submission_col,
            strata=strata,
            covariates=covariates,
            submissions=subs,
            encoding=encoding,
        )
        score_table = load_scores(existing_file(scores), encoding=encoding) if scores else None
        review_table = (
            load_reviews(
                existing_file(reviews),
                columns=ReviewColumns(submission=submission_col),
                encoding=encoding,
            )
            if reviews
            else None
        )
        higher_is_better = None if lower_is_better is None else not lower_is_better
        if higher_is_better is None and rubric is not None:
            with naming(rubric):
                higher_is_better = load_rubric(existing_file(rubric)).scale.higher_is_better
        try:
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
                scores=score_table,
                reviews=review_table,
                higher_is_better=higher_is_better,
            )
        except FairpanelInputError as exc:
            paths = {
                DECISIONS: decisions,
                SUBMISSIONS: submissions,
                SCORES: scores,
                REVIEWS: reviews,
            }
            raise _name_file(exc, paths) from None
    if json_out is not None:
        write_json(json_out, result.to_dict())
        console.print(f"audit written to {json_out}")
    _summary(result)
