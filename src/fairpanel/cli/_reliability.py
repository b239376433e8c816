"""``fairpanel reliability``: how much do reviewers agree? Every ICC form and α."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from fairpanel._schema import DEFAULT_SEED, ReviewColumns
from fairpanel.cli._common import (
    DropMissing,
    Encoding,
    Grades,
    LowerIsBetter,
    ReviewsFile,
    ScaleMax,
    ScaleMin,
    ScaleOptions,
    ScaleStep,
    Seed,
    map_inputs,
    map_provenance,
    read_scored_reviews,
    with_review_columns,
)
from fairpanel.cli._guard import console, friendly_errors, naming

if TYPE_CHECKING:
    from fairpanel.io import ColumnMap
    from fairpanel.reliability import ReliabilityResult

__all__ = ["reliability_command"]


def _fmt(value: float, digits: int = 3) -> str:
    return "–" if math.isnan(value) else f"{value:.{digits}f}"


def _show(result: ReliabilityResult) -> None:
    from rich.table import Table  # start-up time: only the commands that print a table

    design = "complete" if result.complete else "incomplete"
    title = (
        f"Reviewer reliability — {result.n_submissions} submissions, "
        f"{result.n_reviewers} reviewers, {result.n_reviews} reviews ({design} design)"
    )
    table = Table(title=title, title_justify="left")
    for name in ("form", "M&W", "ICC", "95% CI", "F", "p"):
        justify: Literal["left", "right"] = "left" if name in ("form", "M&W") else "right"
        table.add_column(name, justify=justify, no_wrap=True)
    for row in result.icc.to_dict(orient="records"):
        low, high = float(row["ci_low"]), float(row["ci_high"])
        ci = "–" if math.isnan(low) else f"[{_fmt(low)}, {_fmt(high)}]"
        table.add_row(
            str(row["type"]),
            str(row["mcgraw_wong"]),
            _fmt(float(row["icc"])),
            ci,
            _fmt(float(row["f"]), 2),
            _fmt(float(row["p_value"]), 4),
        )
    table.caption = "method: " + ", ".join(dict.fromkeys(result.icc["method"].astype(str)))
    console.print(table)
    parts = []
    for level, value in result.alpha.items():
        low, high = result.alpha_ci.get(level, (math.nan, math.nan))
        ci = "" if math.isnan(low) else f" [{_fmt(low)}, {_fmt(high)}]"
        parts.append(f"{level} {_fmt(value)}{ci}")
    boot = f" (95% bootstrap CI, {result.n_boot} replicates)" if result.n_boot else ""
    console.print(f"Krippendorff's α{boot}: " + ", ".join(parts))
    for note in result.notes:
        console.print(f"Note: {note}")


@friendly_errors
@with_review_columns
def reliability_command(
    reviews: ReviewsFile,
    rubric: Annotated[
        Path | None,
        typer.Option(
            "--rubric",
            help="The rubric YAML; multi-criterion reviews are reduced to weighted totals.",
        ),
    ] = None,
    criterion: Annotated[
        str | None,
        typer.Option("--criterion", help="Use this criterion's scores instead of the totals."),
    ] = None,
    scale_min: ScaleMin = None,
    scale_max: ScaleMax = None,
    scale_step: ScaleStep = None,
    grades: Grades = None,
    lower_is_better: LowerIsBetter = False,
    encoding: Encoding = "utf-8",
    drop_missing: DropMissing = False,
    bootstrap: Annotated[
        int,
        typer.Option(
            "--bootstrap",
            min=0,
            help="Bootstrap replicates for α's intervals (resampling submissions); 0: none.",
        ),
    ] = 0,
    seed: Seed = DEFAULT_SEED,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the statistics as JSON here.")
    ] = None,
    *,
    columns: ReviewColumns,
    column_map: ColumnMap,
) -> None:
    """Rater reliability: the six intraclass correlations and Krippendorff's α."""
    # Imported here, not at the top, for start-up time: reliability pulls in scipy,
    # which other commands (and `fairpanel --help`) do not need.
    from fairpanel.io import OutputProvenance, open_outputs
    from fairpanel.reliability import assess_reliability

    outputs = open_outputs(
        {"--json": json_out},
        inputs={"--reviews": reviews, "--rubric": rubric, **map_inputs(column_map)},
        provenance=OutputProvenance(
            "reliability", seed=str(seed), extra=map_provenance(column_map)
        ),
    )
    # The same scale rule as `fairpanel score`: a rubric's scale, or one given here.
    _, chosen, table = read_scored_reviews(
        reviews,
        rubric=rubric,
        scale=ScaleOptions(scale_min, scale_max, scale_step, grades, lower_is_better),
        columns=columns,
        encoding=encoding,
        drop_missing=drop_missing,
    )
    with naming(reviews):
        result = assess_reliability(
            table, rubric=chosen.check, criterion=criterion, n_boot=bootstrap, seed=seed
        )
    _show(result)
    if json_out is not None:
        with outputs:
            outputs.write_json(json_out, result.to_dict())
        console.print(f"wrote {json_out}")
