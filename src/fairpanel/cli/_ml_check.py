"""``fairpanel ml-check``: run the ML trust checks on a history of past cycles."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from fairpanel._errors import FairpanelInputError
from fairpanel.cli._common import (
    Encoding,
    RequiredGroups,
    Seed,
    console,
    existing_file,
    friendly_errors,
)

if TYPE_CHECKING:
    import pandas as pd

    from fairpanel.ml import CheckReport

__all__ = ["ml_check"]

_STYLE = {"ok": "green", "warning": "yellow", "critical": "bold red"}


class ModelName(StrEnum):
    """The model families of :class:`fairpanel.ml.SelectionModel`."""

    logistic = "logistic"
    gbm = "gbm"


def _read(path: Path, groups: list[str], encoding: str) -> pd.DataFrame:
    from fairpanel.io import read_table  # start-up time, as in ml_check

    # Ids and group attributes stay text ("007", "2"); other columns become numbers when
    # every cell is one.
    return read_table(
        existing_file(path), encoding=encoding, text_columns=["submission_id", *groups]
    )


def render(report: CheckReport) -> Table:
    """Render the findings as a Rich table (severity coloured)."""
    table = Table(title="ML trust checks", show_lines=True)
    for col in ("check", "about", "severity", "value", "what it means"):
        table.add_column(col, overflow="fold")
    for f in report.findings:
        style = _STYLE[f.severity]
        table.add_row(f.check, f.subject, f"[{style}]{f.severity}[/]", f"{f.value:.3f}", f.message)
    return table


@friendly_errors
def ml_check(
    history: Annotated[
        Path, typer.Option("--history", help="Past cycles: features, groups and outcomes.")
    ],
    group: RequiredGroups,
    target: Annotated[
        str, typer.Option("--target", help="The past decision (0/1) or past score to learn.")
    ] = "selected",
    shifted: Annotated[
        Path | None,
        typer.Option("--shifted", help="Data from another source, e.g. real cycles."),
    ] = None,
    post_decision: Annotated[
        list[str] | None,
        typer.Option("--post-decision", help="A column recorded after the decision (repeat)."),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="A column that must not be a feature (repeat)."),
    ] = None,
    score_col: Annotated[
        str | None,
        typer.Option("--score-col", help="The rubric score column (default: past_score)."),
    ] = None,
    model: Annotated[
        ModelName, typer.Option("--model", help="The model family.", case_sensitive=False)
    ] = ModelName.logistic,
    seed: Seed = "0",
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the findings as JSON.")
    ] = None,
    encoding: Encoding = "utf-8",
) -> None:
    """Check a model of past decisions before it ranks anyone.

    Proxies, inherited bias, leakage, overfit and overspecialization; the findings are
    printed in plain language.
    """
    # Imported here, not at the top, for start-up time: the checks pull in scikit-learn
    # and fairlearn, which other commands (and `fairpanel --help`) do not need.
    from fairpanel.io import guard_outputs, write_json
    from fairpanel.ml import run_checks
    from fairpanel.ml._shift import SHIFTED

    guard_outputs([history, shifted], [json_out])
    past = _read(history, group, encoding)
    other = None if shifted is None else _read(shifted, group, encoding)
    try:
        report = run_checks(
            past,
            target=target,
            groups=group,
            shifted=other,
            post_decision=post_decision or (),
            exclude=exclude or (),
            score=score_col,
            model=model.value,
            source_names=(history.stem, shifted.stem if shifted is not None else "shifted"),
            seed=seed,
        )
    except FairpanelInputError as exc:
        # The library names the shifted table; any other cell it reads is the history's.
        if exc.file is not None and exc.file != SHIFTED:
            raise
        raise exc.with_file(shifted if exc.file == SHIFTED and shifted else history) from None
    console.print(render(report))
    for reason in report.skipped:
        console.print(f"skipped: {reason}")
    if json_out is not None:
        payload = report.to_dict()
        payload["inputs"] = {
            "history": str(history),
            "shifted": None if shifted is None else str(shifted),
            "target": target,
            "groups": list(group),
            "post_decision": list(post_decision or ()),
            "seed": seed,
        }
        write_json(json_out, payload)
        console.print(f"wrote {json_out}")
