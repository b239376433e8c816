"""``fairpanel simulate``: compare selection strategies on synthetic cycles."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import DEFAULT_SEED, STRATEGY_NAMES
from fairpanel.cli._common import RawCsv, Seed, console, existing_file, friendly_errors

__all__ = ["ERR_STRATEGY", "simulate"]

ERR_STRATEGY = "unknown strategy '{name}'; allowed: {allowed}"
ERR_REPLICATES = "the number of replicates must be at least 2, got {value}"


def _strategies(text: str) -> tuple[str, ...]:
    names = tuple(s.strip() for s in text.split(",") if s.strip())
    for name in names or ("",):
        if name not in STRATEGY_NAMES:
            raise FairpanelInputError(
                ERR_STRATEGY.format(name=name, allowed=", ".join(STRATEGY_NAMES)),
                field="--strategies",
            )
    return names


@friendly_errors
def simulate(
    scenario: Annotated[
        Path, typer.Option("--scenario", help="Scenario YAML (see examples/scenarios/).")
    ],
    replicates: Annotated[
        int, typer.Option("--replicates", help="Simulated cycles (Monte Carlo replicates).")
    ] = 1000,
    seed: Seed = DEFAULT_SEED,
    strategies: Annotated[
        str,
        typer.Option(
            "--strategies",
            help="Comma-separated strategies to compare (add 'ml' for a model trained "
            "on simulated past decisions).",
        ),
    ] = "rank,lottery,partial-lottery,tiered-lottery",
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
) -> None:
    """Compare selection strategies on simulated cycles where true merit is known."""
    # Imported here, not at the top, for start-up time: the simulations pull in scipy
    # and the strategies, which other commands (and `fairpanel --help`) do not need.
    from fairpanel.io import guard_outputs, write_frame, write_json
    from fairpanel.simulate import compare, load_scenario, parse_grid, sweep
    from fairpanel.simulate._scenario_parse import check_replicates

    path = existing_file(scenario)
    guard_outputs([path], [json_out, csv_out])
    if replicates < 2:
        raise FairpanelInputError(ERR_REPLICATES.format(value=replicates), field="--replicates")
    names = _strategies(strategies)
    grid = parse_grid(sweep_over or ())
    if grid and sweep_replicates < 2:
        raise FairpanelInputError(
            ERR_REPLICATES.format(value=sweep_replicates), field="--sweep-replicates"
        )
    sc = load_scenario(path)
    size = {"submissions": sc.submissions, "reviews_per_submission": sc.reviews_per_submission}
    check_replicates(replicates, **size, field="--replicates")
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
    if json_out is not None:
        write_json(json_out, result.to_dict())
    if csv_out is not None:
        write_frame(csv_out, result.table, raw=raw_csv)
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
