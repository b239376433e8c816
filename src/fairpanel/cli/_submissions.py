"""``fairpanel submissions``: a submissions table built from the committee's votes file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fairpanel._schema import SubmissionColumns
from fairpanel.cli._common import (
    Encoding,
    SubmissionCol,
    existing_file,
    friendly_errors,
    split_names,
)

__all__ = ["submissions"]

WROTE = "wrote {out}: {n} submissions with {columns}"


@friendly_errors
def submissions(
    from_reviews: Annotated[
        Path,
        typer.Option(
            "--from-reviews", help="The reviews or votes table: one row per review or vote."
        ),
    ],
    keep: Annotated[
        list[str],
        typer.Option(
            "--keep",
            help="Columns to carry over, the same on every row of a submission: e.g. "
            "'section,gender' or the decision 'Fund' (repeat or separate with commas).",
            callback=split_names,
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the submissions CSV.")],
    submission_col: SubmissionCol = SubmissionColumns.submission,
    encoding: Encoding = "utf-8",
) -> None:
    """Build a submissions table (one row per submission) from a reviews or votes table."""
    # Imported here for start-up time (pandas), as in every command.
    from fairpanel.io import guard_outputs, submissions_from_reviews, write_frame

    guard_outputs([from_reviews], [out])
    table = submissions_from_reviews(
        existing_file(from_reviews),
        submission=submission_col,
        keep=keep,
        encoding=encoding,
    )
    write_frame(out, table)
    named = ", ".join(f"'{c}'" for c in table.columns[1:])
    typer.echo(WROTE.format(out=out, n=len(table), columns=named))
