"""``fairpanel simulate``: compare selection strategies on synthetic cycles."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import DEFAULT_SEED, SIMULATED_STRATEGIES, ReviewColumns
from fairpanel.cli._common import (
    DropMissing,
    Encoding,
    Grades,
    Groups,
    LowerIsBetter,
    RawCsv,
    ScaleMax,
    ScaleMin,
    ScaleOptions,
    ScaleStep,
    Seed,
    existing_file,
    map_inputs,
    map_provenance,
    read_scored_reviews,
    read_submissions,
    with_review_columns,
)
from fairpanel.cli._guard import console, friendly_errors

if TYPE_CHECKING:
    from fairpanel.io import ColumnMap
    from fairpanel.simulate import Scenario

__all__ = ["ERR_STRATEGY", "simulate"]

ERR_STRATEGY = "unknown strategy '{name}'; allowed: {allowed}"
ERR_REPLICATES = "the number of replicates must be at least 2, got {value}"
ERR_ONE_SOURCE = "give --scenario (a YAML file) or --from-reviews (your panel's reviews), not both"
ERR_NO_SOURCE = "give --scenario (a YAML file) or --from-reviews (your panel's reviews)"
ERR_NEEDS_REVIEWS = "{option} describes a panel's reviews: it needs --from-reviews"
ERR_CAPACITY = "--from-reviews needs --capacity: the places (a count, or a fraction below 1)"
ERR_ONE_GROUP = (
    "a simulated panel has one group attribute; give one --group (from --submissions, or "
    "the same on every row of a submission in the reviews)"
)


def _strategies(text: str) -> tuple[str, ...]:
    names = tuple(s.strip() for s in text.split(",") if s.strip())
    for name in names or ("",):
        if name not in SIMULATED_STRATEGIES:
            raise FairpanelInputError(
                ERR_STRATEGY.format(name=name, allowed=", ".join(SIMULATED_STRATEGIES)),
                field="--strategies",
            )
    return names


@friendly_errors
@with_review_columns
def simulate(
    scenario: Annotated[
        Path | None, typer.Option("--scenario", help="Scenario YAML (see examples/scenarios/).")
    ] = None,
    from_reviews: Annotated[
        Path | None,
        typer.Option(
            "--from-reviews",
            help="Your panel's reviews: build a scenario shaped like it (size, reviewer "
            "pool, leniency and noise estimated by the scorer, group shares), print it as "
            "YAML, and compare the strategies on it.",
        ),
    ] = None,
    capacity: Annotated[
        float | None,
        typer.Option(
            "--capacity", help="With --from-reviews: the places (a count, or a fraction < 1)."
        ),
    ] = None,
    group: Groups = None,
    submissions: Annotated[
        Path | None,
        typer.Option("--submissions", help="With --from-reviews: the submissions table."),
    ] = None,
    rubric: Annotated[
        Path | None, typer.Option("--rubric", help="With --from-reviews: the rubric YAML.")
    ] = None,
    scale_min: ScaleMin = None,
    scale_max: ScaleMax = None,
    scale_step: ScaleStep = None,
    grades: Grades = None,
    lower_is_better: LowerIsBetter = False,
    drop_missing: DropMissing = False,
    encoding: Encoding = "utf-8",
    scenario_out: Annotated[
        Path | None,
        typer.Option(
            "--scenario-out", help="With --from-reviews: also write the scenario YAML here."
        ),
    ] = None,
    replicates: Annotated[
        int, typer.Option("--replicates", help="Simulated cycles (Monte Carlo replicates).")
    ] = 1000,
    seed: Seed = DEFAULT_SEED,
    strategies: Annotated[
        str | None,
        typer.Option(
            "--strategies",
            help="Comma-separated strategies to compare (add 'ml' for a model trained "
            "on simulated past decisions). Default: rank, lottery, partial-lottery, "
            "tiered-lottery, and quota-lottery when the scenario has quotas.",
        ),
    ] = None,
    sweep_over: Annotated[
        list[str] | None,
        typer.Option(
            "--sweep",
            help="Also sweep a scenario parameter, as PARAMETER=VALUE,VALUE,... "
            "(e.g. noise_sd=0.5,1,2); repeat for a second one. The sweep is shown "
            "with the comparison in the JSON and the report.",
        ),
    ] = None,
    sweep_replicates: Annotated[
        int, typer.Option("--sweep-replicates", help="Simulated cycles per sweep point.")
    ] = 100,
    json_out: Annotated[
        Path | None,
        typer.Option(
            "--json",
            help="Write the summary as JSON here (what `fairpanel report --simulation` reads).",
        ),
    ] = None,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Write the per-replicate tidy table here.")
    ] = None,
    raw_csv: RawCsv = False,
    progress: Annotated[
        bool,
        typer.Option(
            "--progress/--no-progress",
            help="Show a progress bar on stderr (only on a terminal, after one second).",
        ),
    ] = True,
    *,
    columns: ReviewColumns,
    column_map: ColumnMap,
) -> None:
    """Compare selection strategies on simulated cycles where true merit is known."""
    # Imported here, not at the top, for start-up time: the simulations pull in scipy
    # and the strategies, which other commands (and `fairpanel --help`) do not need.
    from fairpanel.io import OutputProvenance, open_outputs
    from fairpanel.simulate import (
        compare,
        default_strategies,
        load_scenario,
        parse_grid,
        scenario_yaml,
        sweep,
    )
    from fairpanel.simulate._scenario_parse import check_replicates

    if from_reviews is not None and not group and column_map.groups:
        group = list(column_map.groups[:1])
    if (scenario is None) == (from_reviews is None):
        raise FairpanelInputError(ERR_ONE_SOURCE if scenario else ERR_NO_SOURCE)
    if len(group or ()) > 1:
        raise FairpanelInputError(ERR_ONE_GROUP)
    if from_reviews is None:
        for option, value in (
            ("--capacity", capacity),
            ("--scenario-out", scenario_out),
            ("--group", group or None),
        ):
            if value is not None:
                raise FairpanelInputError(ERR_NEEDS_REVIEWS.format(option=option))
    elif capacity is None:
        raise FairpanelInputError(ERR_CAPACITY)
    outputs = open_outputs(
        {"--json": json_out, "--csv": csv_out, "--scenario-out": scenario_out},
        inputs={
            "--scenario": scenario,
            "--from-reviews": from_reviews,
            "--submissions": submissions,
            "--rubric": rubric,
            **map_inputs(column_map),
        },
        provenance=OutputProvenance("simulate", seed=str(seed), extra=map_provenance(column_map)),
    )
    if replicates < 2:
        raise FairpanelInputError(ERR_REPLICATES.format(value=replicates), field="--replicates")
    names = None if strategies is None else _strategies(strategies)
    grid = parse_grid(sweep_over or ())
    if grid and sweep_replicates < 2:
        raise FairpanelInputError(
            ERR_REPLICATES.format(value=sweep_replicates), field="--sweep-replicates"
        )
    if scenario is not None:
        sc = load_scenario(existing_file(scenario))
    else:
        assert from_reviews is not None  # checked above
        assert capacity is not None
        sc = _panel_scenario(
            existing_file(from_reviews),
            capacity=capacity,
            columns=columns,
            column_map=column_map,
            group_col=group[0] if group else None,
            submissions=submissions,
            rubric=rubric,
            scale=ScaleOptions(scale_min, scale_max, scale_step, grades, lower_is_better),
            drop_missing=drop_missing,
            encoding=encoding,
        )
    size = {"submissions": sc.submissions, "reviews_per_submission": sc.reviews_per_submission}
    check_replicates(replicates, **size, field="--replicates")
    names = names or default_strategies(sc)
    if grid:
        check_replicates(sweep_replicates, **size, field="--sweep-replicates")
    result = compare(
        sc,
        strategies=names,
        replicates=replicates,
        seed=seed,
        progress=None if progress else False,
    )
    if grid:
        swept = sweep(
            sc,
            grid,
            strategies=names,
            replicates=sweep_replicates,
            seed=seed,
            progress=None if progress else False,
            n_jobs=1,
        )
        result = replace(result, sweep=swept)
    with outputs:
        if scenario_out is not None:
            outputs.write_text(
                scenario_out, scenario_yaml(sc, source=Path(str(from_reviews)).name)
            )
        if json_out is not None:
            outputs.write_json(json_out, result.to_dict())
        if csv_out is not None:
            outputs.write_frame(csv_out, result.table, raw=raw_csv)
    from rich.table import Table  # start-up time: only the commands that print a table

    table = Table(title=f"{result.scenario.name}: {replicates} cycles, seed {seed}")
    for col in ("strategy", "merit recovered", "oracle overlap", "consistency", "AIR"):
        table.add_column(col)
    summary = result.to_dict()["strategies"]
    for name, entry in summary.items():
        cells = [
            entry[m]["mean"]
            for m in ("merit_recovered", "oracle_overlap", "consistency", "adverse_impact_ratio")
        ]
        table.add_row(name, *("–" if v is None else f"{v:.3f}" for v in cells))
    console.print(table)


def _panel_scenario(
    reviews: Path,
    *,
    capacity: float,
    columns: ReviewColumns,
    column_map: ColumnMap,
    group_col: str | None,
    submissions: Path | None,
    rubric: Path | None,
    scale: ScaleOptions,
    drop_missing: bool,
    encoding: str,
) -> Scenario:
    """Load the panel's tables, build its scenario and print it as YAML."""
    from fairpanel.io import submissions_from_reviews
    from fairpanel.simulate import scenario_from_reviews, scenario_yaml

    loaded, chosen, table = read_scored_reviews(
        reviews,
        rubric=rubric,
        scale=scale,
        columns=columns,
        encoding=encoding,
        drop_missing=drop_missing,
    )
    groups = None
    if group_col is not None:
        if submissions is not None:
            subs = read_submissions(
                submissions, column_map=column_map, groups=[group_col], encoding=encoding
            )
        else:
            subs = submissions_from_reviews(
                reviews, submission=columns.submission, keep=[group_col], encoding=encoding
            )
        groups = subs.set_index("submission_id")[group_col]
    sc, _ = scenario_from_reviews(
        table,
        capacity=capacity,
        rubric=loaded,
        scale=chosen.scale,
        groups=groups,
        name=reviews.stem,
    )
    text = scenario_yaml(sc, source=reviews.name)
    console.print(text, markup=False, highlight=False, soft_wrap=True)
    return sc
