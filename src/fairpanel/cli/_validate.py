"""``fairpanel validate``: check the input tables before anything is computed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fairpanel.cli._common import (
    ConflictCol,
    CriterionCol,
    DropMissing,
    Encoding,
    Groups,
    RequestCol,
    ReviewerCol,
    ReviewsFile,
    ScoreCol,
    SubmissionCol,
    friendly_errors,
    read_reviews,
)

__all__ = ["validate"]

SUMMARY = "valid: {submissions}, {reviewers}, {reviews} ({scores} on {criteria})"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@friendly_errors
def validate(
    reviews: ReviewsFile,
    submissions: Annotated[
        Path | None,
        typer.Option("--submissions", help="The submissions table; every review must be of one."),
    ] = None,
    rubric: Annotated[
        Path | None,
        typer.Option("--rubric", help="The rubric YAML; scores must be on its scale."),
    ] = None,
    submission_col: SubmissionCol = "submission_id",
    reviewer_col: ReviewerCol = "reviewer_id",
    criterion_col: CriterionCol = "criterion",
    score_col: ScoreCol = "score",
    conflict_col: ConflictCol = "conflict",
    group: Groups = None,
    request_col: RequestCol = None,
    encoding: Encoding = "utf-8",
    drop_missing: DropMissing = False,
) -> None:
    """Check the reviews (and submissions, rubric): exit 0 with a summary, or 2 and the error."""
    # Imported here for start-up time (pandas, yaml), as in every command.
    from fairpanel._schema import ReviewColumns, SubmissionColumns
    from fairpanel.io import load_submissions
    from fairpanel.rubric import load_rubric

    loaded_rubric = None if rubric is None else load_rubric(rubric)
    subs = None
    if submissions is not None:
        subs = load_submissions(
            submissions,
            columns=SubmissionColumns(
                submission=submission_col, groups=tuple(group or ()), request=request_col
            ),
            encoding=encoding,
        )
    table = read_reviews(
        reviews,
        columns=ReviewColumns(
            submission=submission_col,
            reviewer=reviewer_col,
            criterion=criterion_col,
            score=score_col,
            conflict=conflict_col,
        ),
        rubric=loaded_rubric,
        submissions=subs,
        encoding=encoding,
        drop_missing=drop_missing,
    )
    n_reviews = len(table[["submission_id", "reviewer_id"]].drop_duplicates())
    typer.echo(
        SUMMARY.format(
            submissions=_count(table["submission_id"].nunique(), "submission", "submissions"),
            reviewers=_count(table["reviewer_id"].nunique(), "reviewer", "reviewers"),
            reviews=_count(n_reviews, "review", "reviews"),
            scores=_count(len(table), "score", "scores"),
            criteria=_count(table["criterion"].nunique(), "criterion", "criteria"),
        )
    )
