"""``fairpanel rubric check|show``: validate a rubric, or render it as a card."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

from fairpanel._words import plural
from fairpanel.cli._common import existing_file
from fairpanel.cli._guard import console, friendly_errors

__all__ = ["app", "check", "show"]

app = typer.Typer(help="Validate a rubric or render it as a card.", no_args_is_help=True)

RubricFile = Annotated[Path, typer.Argument(help="The rubric YAML file.")]


@app.command("check")
@friendly_errors
def check(file: RubricFile) -> None:
    """Validate a rubric file: exit 0 if it is valid, 2 with the problem if not."""
    # Imported here for start-up time (pandas, yaml), as in every command.
    from fairpanel.rubric import load_rubric

    rubric = load_rubric(existing_file(file))
    console.print(
        f"{file}: valid rubric '{rubric.name}' — {plural(len(rubric.criteria), 'criterion')}, "
        f"{plural(len(rubric.bands), 'band')}, scale {rubric.scale.min}–{rubric.scale.max}",
        markup=False,
        soft_wrap=True,
    )


@app.command("show")
@friendly_errors
def show(
    file: RubricFile,
    format: Annotated[
        Literal["md", "html"] | None,
        typer.Option(
            "--format",
            help="md (Markdown) or html (one self-contained page). "
            "Default: html if --out ends in .html or .htm, else md.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the card to this file (default: standard output)."),
    ] = None,
) -> None:
    """Render a rubric as a one-page card to hand out with the call."""
    # Imported here for start-up time (pandas, yaml, jinja2), as in every command.
    from fairpanel.io import open_outputs
    from fairpanel.rubric import load_rubric, render_card

    if format is None:
        format = "html" if out is not None and out.suffix.lower() in {".html", ".htm"} else "md"
    rubric = load_rubric(existing_file(file))
    card = render_card(rubric, format=format)
    if out is None:
        sys.stdout.write(card)
        return
    outputs = open_outputs({"--out": out}, inputs={"rubric": file})
    with outputs:
        outputs.write_text(out, card)
    console.print(f"wrote the rubric card to {out}", markup=False, soft_wrap=True)
