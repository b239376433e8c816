"""``fairpanel dpr-check``: distributed-review checks (own submissions, conflicts, competitors)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fairpanel._schema import ReviewColumns
from fairpanel.cli._common import (
    Encoding,
    LowerIsBetter,
    ReviewsFile,
    existing_file,
    map_inputs,
    map_provenance,
    read_submissions,
    with_review_columns,
)
from fairpanel.cli._guard import console, friendly_errors, naming

if TYPE_CHECKING:
    from fairpanel.io import ColumnMap

__all__ = ["dpr_check"]

WARN_CONFLICTS = (
    "warning: {n} declared conflict(s) of interest left out of the check ({first}{more}); "
    "remove them from the reviews before scoring"
)


@friendly_errors
@with_review_columns
def dpr_check(
    reviews: ReviewsFile,
    submissions: Annotated[
        Path,
        typer.Option(
            "--submissions",
            help="The submissions table, with a 'pi' column: each submission's PI as a "
            "reviewer id.",
        ),
    ],
    category: Annotated[
        str,
        typer.Option(
            "--category",
            help="The submissions column whose shared value makes proposals competitors "
            "(science category, panel).",
        ),
    ],
    review_type: Annotated[
        str,
        typer.Option("--review-type", help="ranks (1 = best of a set) or grades."),
    ] = "ranks",
    lower_is_better: LowerIsBetter = False,
    encoding: Encoding = "utf-8",
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the checks as JSON here.")
    ] = None,
    *,
    columns: ReviewColumns,
    column_map: ColumnMap,
) -> None:
    """Distributed review: refuse own-submission reviews, list conflicts, test competitor ranks."""
    # Imported here for start-up time (pandas, scipy), as in every command.
    from fairpanel.io import OutputProvenance, load_reviews, open_outputs
    from fairpanel.scoring import dpr_checks

    outputs = open_outputs(
        {"--json": json_out},
        inputs={"--reviews": reviews, "--submissions": submissions, **map_inputs(column_map)},
        provenance=OutputProvenance("dpr-check", extra=map_provenance(column_map)),
    )
    subs = read_submissions(submissions, column_map=column_map, encoding=encoding)
    table = load_reviews(
        existing_file(reviews),
        columns=columns,
        submissions=subs,
        encoding=encoding,
        conflicts="drop",
    )
    with naming(submissions):
        result = dpr_checks(
            table,
            subs,
            category=category,
            review_type=review_type,  # type: ignore[arg-type]  # checked by dpr_checks
            higher_is_better=not lower_is_better,
        )
    if len(result.conflicts):
        pairs = [f"{r} on {s}" for s, r in result.conflicts.itertuples(index=False)]
        more = f", and {len(pairs) - 3} more" if len(pairs) > 3 else ""
        first = ", ".join(pairs[:3])
        console.print(WARN_CONFLICTS.format(n=len(pairs), first=first, more=more), markup=False)
    console.print(result.summary(), markup=False)
    if json_out is not None:
        with outputs:
            outputs.write_json(json_out, result.to_dict())
        console.print(f"wrote {json_out}")
