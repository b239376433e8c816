"""``fairpanel rubric check|show``: validate a rubric, or render it as a card."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fairpanel.cli._common import console, existing_file, friendly_errors
from fairpanel.rubric import load_rubric

__all__ = ["app"]

app = typer.Typer(help="Validate a rubric or render it as a card.", no_args_is_help=True)


@app.command("check")
@friendly_errors
def check(
    file: Annotated[Path, typer.Argument(help="The rubric YAML file.")],
) -> None:
    """Validate a rubric file: exit 0 if it is valid, 2 with the problem if not."""
    rubric = load_rubric(existing_file(file))
    console.print(
        f"{file}: valid rubric '{rubric.name}' — {len(rubric.criteria)} criteria, "
        f"{len(rubric.bands)} bands, scale {rubric.scale.min}–{rubric.scale.max}"
    )
