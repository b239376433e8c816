"""``fairpanel demo``: the whole pipeline on the bundled examples."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fairpanel._schema import DEMO_SEED
from fairpanel.cli._guard import console, friendly_errors

__all__ = ["demo"]


@friendly_errors
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder to write into.")] = Path(
        "demo-output"
    ),
    seed: Annotated[str, typer.Option("--seed", help="Seed of every random choice.")] = DEMO_SEED,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show a progress display.")
    ] = True,
) -> None:
    """Run score → allocate → audit → simulate → ML checks → report on the examples."""
    # Imported here for start-up time: the demo imports every subpackage.
    from fairpanel._demo import run_demo

    result = run_demo(out, seed=seed, progress=progress)
    console.print(f"done in {result.seconds:.1f} s")
    console.print(f"telescope report: {result.report}")
    console.print(f"hiring report:    {result.hiring_report}")
    console.print(f"distributed review report: {result.dpr_report}")
    # The path on stdout, alone, so scripts can open it.
    typer.echo(str(result.report))
