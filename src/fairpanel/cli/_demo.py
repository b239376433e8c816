"""``fairpanel demo``: the whole pipeline on the bundled examples."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fairpanel.cli._common import console, friendly_errors

__all__ = ["DEMO_SEED", "demo"]

#: ``fairpanel._demo.DEMO_SEED``, repeated (a test checks they agree) because the
#: default must exist when the command is defined and ``fairpanel._demo`` imports every
#: subpackage: importing it here would make every command slow to start.
DEMO_SEED = "fairpanel-demo-2026"


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
    # The path on stdout, alone, so scripts can open it.
    typer.echo(str(result.report))
