"""``fairpanel submissions``: a submissions table built from the committee's votes file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fairpanel._errors import FairpanelInputError
from fairpanel.cli._common import (
    ColumnsFile,
    Encoding,
    SubmissionCol,
    existing_file,
    load_column_map,
    split_names,
)
from fairpanel.cli._guard import friendly_errors

__all__ = ["submissions"]

WROTE = "wrote {out}: {n} submissions with {columns}"
ERR_NO_KEEP = (
    "--keep names the columns to carry over (e.g. section,gender); or give --columns with "
    "its groups (and panel)"
)


@friendly_errors
def submissions(
    from_reviews: Annotated[
        Path,
        typer.Option(
            "--from-reviews", help="The reviews or votes table: one row per review or vote."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the submissions CSV.")],
    keep: Annotated[
        list[str] | None,
        typer.Option(
            "--keep",
            help="Columns to carry over, the same on every row of a submission: e.g. "
            "'section,gender' or the decision 'Fund' (repeat or separate with commas; "
            "default: the --columns file's groups and panel).",
            callback=split_names,
        ),
    ] = None,
    submission_col: SubmissionCol = None,
    columns_file: ColumnsFile = None,
    encoding: Encoding = "utf-8",
) -> None:
    """Build a submissions table (one row per submission) from a reviews or votes table."""
    # Imported here for start-up time (pandas), as in every command.
    from fairpanel.io import guard_outputs, submissions_from_reviews, write_frame

    column_map = load_column_map(columns_file).with_options(submission_id=submission_col)
    kept = keep or [*column_map.groups, *([column_map.panel] if column_map.panel else [])]
    if not kept:
        raise FairpanelInputError(ERR_NO_KEEP, field="--keep")
    guard_outputs([from_reviews], [out])
    table = submissions_from_reviews(
        existing_file(from_reviews),
        # the votes file is the committee's own: its id column as the reviews name it
        submission=column_map.review_columns().submission,
        keep=kept,
        encoding=encoding,
    )
    write_frame(out, table)
    named = ", ".join(f"'{c}'" for c in table.columns[1:])
    typer.echo(WROTE.format(out=out, n=len(table), columns=named))
