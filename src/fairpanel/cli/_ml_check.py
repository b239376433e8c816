"""``fairpanel ml-check``: run the ML trust checks on a history of past cycles."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import DEFAULT_SEED, ML_MODELS, MLModel
from fairpanel.cli._common import (
    ColumnsFile,
    Encoding,
    Groups,
    Seed,
    load_column_map,
    map_inputs,
    map_provenance,
    read_history,
)
from fairpanel.cli._guard import console, friendly_errors, naming

if TYPE_CHECKING:
    from rich.table import Table

    from fairpanel.ml import CheckReport

__all__ = ["ml_check"]

_STYLE = {"ok": "green", "warning": "yellow", "critical": "bold red"}
ERR_NO_GROUP = "--group is required: a group attribute column (or give --columns with its groups)"


def render(report: CheckReport) -> Table:
    """Render the findings as a Rich table (severity coloured)."""
    from rich.table import Table  # start-up time: only the commands that print a table

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
    group: Groups = None,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            help="The past decision (0/1) or past score to learn (default: selected, or "
            "the --columns file's name of it).",
        ),
    ] = None,
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
        MLModel, typer.Option("--model", help="The model family.", case_sensitive=False)
    ] = ML_MODELS[0],
    seed: Seed = DEFAULT_SEED,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the findings as JSON.")
    ] = None,
    encoding: Encoding = "utf-8",
    columns_file: ColumnsFile = None,
) -> None:
    """Check a model of past decisions before it ranks anyone.

    Proxies, inherited bias, leakage, overfit and overspecialization; the findings are
    printed in plain language.
    """
    # Imported here, not at the top, for start-up time: the checks pull in scikit-learn
    # and fairlearn, which other commands (and `fairpanel --help`) do not need.
    from fairpanel.io import OutputProvenance, open_outputs
    from fairpanel.ml import run_checks
    from fairpanel.ml._shift import SHIFTED

    column_map = load_column_map(columns_file)
    group = group or list(column_map.groups)
    if not group:
        raise FairpanelInputError(ERR_NO_GROUP, field="--group")
    mapped_target = column_map.name("decisions", "selected")
    target = target or (mapped_target if isinstance(mapped_target, str) else "selected")
    mapped_id = column_map.name("decisions", "submission_id")
    id_col = mapped_id if isinstance(mapped_id, str) else "submission_id"
    outputs = open_outputs(
        {"--json": json_out},
        inputs={"--history": history, "--shifted": shifted, **map_inputs(column_map)},
        provenance=OutputProvenance("ml-check", seed=str(seed), extra=map_provenance(column_map)),
    )
    past = read_history(history, groups=group, encoding=encoding, id_col=id_col)
    other = (
        None
        if shifted is None
        else read_history(shifted, groups=group, encoding=encoding, id_col=id_col)
    )
    # The library names the shifted table; any other cell it reads is the history's.
    with naming(history, {SHIFTED: shifted}):
        report = run_checks(
            past,
            target=target,
            groups=group,
            shifted=other,
            post_decision=post_decision or (),
            exclude=exclude or (),
            score=score_col,
            model=model,
            source_names=(history.stem, shifted.stem if shifted is not None else "shifted"),
            seed=seed,
        )
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
        with outputs:
            outputs.write_json(json_out, payload)
        console.print(f"wrote {json_out}")
