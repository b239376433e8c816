"""``fairpanel report``: assemble what the other commands wrote into one report."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from fairpanel._errors import FairpanelInputError
from fairpanel._json import read_json
from fairpanel._schema import DEFAULT_MIN_CELL
from fairpanel._words import strategy_words
from fairpanel.cli._common import ColumnsFile, existing_file, load_column_map, map_inputs
from fairpanel.cli._guard import console, friendly_errors

if TYPE_CHECKING:
    import pandas as pd

    from fairpanel.ml import CheckReport
    from fairpanel.scoring import ScoreResult

__all__ = ["report"]


T = TypeVar("T")


def _read_json(path: Path) -> Any:
    return read_json(existing_file(path))  # within the JSON size and depth limits


def _load(path: Path, from_dict: Callable[[Any], T]) -> T:
    """Read a result's JSON file with the type's ``from_dict``; errors name the file."""
    data = _read_json(path)
    try:
        return from_dict(data)
    except FairpanelInputError as exc:
        raise exc.with_file(path) from None


def _labels(tables: list[pd.DataFrame], paths: list[Path]) -> list[str]:
    """Label allocations by strategy in words, adding the file name where one repeats."""
    names = [
        strategy_words(t["strategy"].iloc[0]) if "strategy" in t and len(t) else "?"
        for t in tables
    ]
    return [
        f"{n} ({p.name})" if names.count(n) > 1 else n for n, p in zip(names, paths, strict=True)
    ]


def _check_report(path: Path) -> CheckReport:
    # Imported only when given: the ML results load scikit-learn.
    from fairpanel.ml import CheckReport

    return _load(path, CheckReport.from_dict)


def _scores(path: Path, rename: dict[str, str]) -> ScoreResult | pd.DataFrame:
    """Read the scores: a score run's JSON (with its panels) or its table."""
    from fairpanel.io import load_scores
    from fairpanel.scoring import ScoreResult

    if path.suffix.lower() == ".json":
        return _load(path, ScoreResult.from_dict)
    return load_scores(path, rename=rename)


@friendly_errors
def report(
    out: Annotated[Path, typer.Option("--out", help="Folder for report.html, .md and .json.")],
    scores: Annotated[
        Path | None,
        typer.Option(
            "--scores",
            help="Scores from `fairpanel score`: its table (CSV), or its --json (which "
            "adds the diagnostics and the panels that share no reviewer).",
        ),
    ] = None,
    reviewers: Annotated[
        Path | None, typer.Option("--reviewers", help="Reviewer leniency table (CSV).")
    ] = None,
    reliability: Annotated[
        Path | None, typer.Option("--reliability", help="JSON from `fairpanel reliability`.")
    ] = None,
    allocation: Annotated[
        list[Path] | None,
        typer.Option("--allocation", help="Allocation CSV from `fairpanel allocate` (repeat)."),
    ] = None,
    certificate: Annotated[
        list[Path] | None, typer.Option("--certificate", help="Draw certificate JSON (repeat).")
    ] = None,
    audit: Annotated[
        Path | None, typer.Option("--audit", help="JSON from `fairpanel audit`.")
    ] = None,
    simulation: Annotated[
        Path | None, typer.Option("--simulation", help="JSON from `fairpanel simulate`.")
    ] = None,
    ml: Annotated[
        Path | None, typer.Option("--ml", help="JSON from `fairpanel ml-check`.")
    ] = None,
    dpr: Annotated[
        Path | None, typer.Option("--dpr", help="JSON from `fairpanel dpr-check`.")
    ] = None,
    panel_col: Annotated[
        str | None,
        typer.Option(
            "--panel-col",
            help="The scores' panel column when panels were ranked each on its own "
            "(score --panel-col): one chart and one funding line per panel.",
        ),
    ] = None,
    rubric: Annotated[
        Path | None, typer.Option("--rubric", help="The rubric YAML, shown as its card.")
    ] = None,
    title: Annotated[str, typer.Option("--title", help="Report title.")] = "Selection report",
    seed: Annotated[
        str | None, typer.Option("--seed", help="Seed to record (the one used upstream).")
    ] = None,
    min_cell: Annotated[
        int, typer.Option("--min-cell", min=1, help="Smallest group cell that may be shown.")
    ] = DEFAULT_MIN_CELL,
    no_individual_ranks: Annotated[
        bool,
        typer.Option(
            "--no-individual-ranks",
            help="List no applicant: no ids, rows or ranks, only counts and aggregates "
            "(hiring reports). Recorded in report.json.",
        ),
    ] = False,
    audit_describes: Annotated[
        str | None,
        typer.Option(
            "--audit-describes",
            help="Which decisions the audit is of, e.g. 'the partial lottery (50% intervals)'.",
        ),
    ] = None,
    columns_file: ColumnsFile = None,
) -> None:
    """Write a self-contained HTML report, with Markdown and JSON twins, into OUT."""
    # Imported here, not at the top, for start-up time: the report pulls in altair and
    # vl-convert, which other commands (and `fairpanel --help`) do not need.
    from fairpanel.audit import AuditResult
    from fairpanel.io import load_allocation, open_outputs, read_table
    from fairpanel.io._checksum import file_checksums
    from fairpanel.lottery import certificate_from_dict
    from fairpanel.reliability import ReliabilityResult
    from fairpanel.report import ReportInputs, build_report, write_report
    from fairpanel.report._render import report_paths
    from fairpanel.rubric import load_rubric
    from fairpanel.scoring import DprCheck
    from fairpanel.simulate import SimulationResult

    column_map = load_column_map(columns_file)
    allocations = list(allocation or [])
    certificates = list(certificate or [])
    inputs: list[Path | None] = [
        scores,
        reviewers,
        reliability,
        *allocations,
        *certificates,
        audit,
        simulation,
        ml,
        dpr,
        rubric,
    ]
    for path in inputs:
        if path is not None:
            existing_file(path)
    targets = report_paths(out)
    outputs = open_outputs(
        {f"--out's report.{ext}": p for ext, p in targets.items()},
        inputs={
            "--scores": scores,
            "--reviewers": reviewers,
            "--reliability": reliability,
            "--allocation": allocations,
            "--certificate": certificates,
            "--audit": audit,
            "--simulation": simulation,
            "--ml": ml,
            "--dpr": dpr,
            "--rubric": rubric,
            **map_inputs(column_map),
        },
    )
    from fairpanel.report._custody import verify_chain

    custody = verify_chain(
        {
            "scores": [scores] if scores else [],
            "reviewers": [reviewers] if reviewers else [],
            "reliability": [reliability] if reliability else [],
            "allocation": allocations,
            "certificate": certificates,
            "audit": [audit] if audit else [],
            "simulation": [simulation] if simulation else [],
            "ml": [ml] if ml else [],
            "dpr": [dpr] if dpr else [],
            "rubric": [rubric] if rubric else [],
        }
    )
    tables = [load_allocation(p, rename=column_map.renames("allocation")) for p in allocations]
    model = build_report(
        ReportInputs(
            rubric=load_rubric(rubric) if rubric else None,
            scores=_scores(scores, column_map.renames("scores")) if scores else None,
            reviewers=read_table(reviewers, text_columns=["reviewer_id"]) if reviewers else None,
            reliability=_load(reliability, ReliabilityResult.from_dict) if reliability else None,
            allocations=tables,
            allocation_labels=_labels(tables, allocations),
            audit_describes=audit_describes,
            certificates=[_load(p, certificate_from_dict) for p in certificates],
            audit=_load(audit, AuditResult.from_dict) if audit else None,
            simulation=_load(simulation, SimulationResult.from_dict) if simulation else None,
            ml=_check_report(ml) if ml else None,
            dpr=_load(dpr, DprCheck.from_dict) if dpr else None,
            seed=seed,
            input_checksums=file_checksums(inputs),
            verification=custody.checks,
            verify_commands=custody.commands,
            command_line=shlex.join(["fairpanel", *sys.argv[1:]]),
            title=title,
            min_cell=min_cell,
            individual_ranks=not no_individual_ranks,
            panel_col=panel_col or column_map.panel,
        )
    )
    paths = write_report(model, out, outputs=outputs)
    console.print(f"report written to {paths['html']}")
