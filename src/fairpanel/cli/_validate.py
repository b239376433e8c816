"""``fairpanel validate``: check the input tables before anything is computed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fairpanel._schema import ReviewColumns
from fairpanel.cli._common import (
    DropMissing,
    Encoding,
    Grades,
    Groups,
    LowerIsBetter,
    RequestCol,
    ReviewsFile,
    ScaleMax,
    ScaleMin,
    ScaleOptions,
    ScaleStep,
    read_scored_reviews,
    read_submissions,
    with_review_columns,
)
from fairpanel.cli._guard import friendly_errors

if TYPE_CHECKING:
    from fairpanel.io import ColumnMap

__all__ = ["validate"]

SUMMARY = "valid: {submissions}, {reviewers}, {reviews} ({scores} on {criteria})"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@friendly_errors
@with_review_columns
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
    group: Groups = None,
    request_col: RequestCol = None,
    encoding: Encoding = "utf-8",
    drop_missing: DropMissing = False,
    scale_min: ScaleMin = None,
    scale_max: ScaleMax = None,
    scale_step: ScaleStep = None,
    grades: Grades = None,
    lower_is_better: LowerIsBetter = False,
    *,
    columns: ReviewColumns,
    column_map: ColumnMap,
) -> None:
    """Check the reviews (and submissions, rubric): exit 0 with a summary, or 2 and the error."""
    subs = None
    if submissions is not None:
        subs = read_submissions(
            submissions,
            column_map=column_map.with_options(request=request_col),
            groups=group,
            encoding=encoding,
        )
    # The same scale rule as `fairpanel score`: a rubric's scale, or one given here
    # (without either, any number is a score: there is no scale to check against).
    _, _, table = read_scored_reviews(
        reviews,
        rubric=rubric,
        scale=ScaleOptions(scale_min, scale_max, scale_step, grades, lower_is_better),
        columns=columns,
        encoding=encoding,
        drop_missing=drop_missing,
        submissions=subs,
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
