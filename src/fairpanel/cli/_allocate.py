"""``fairpanel allocate``: run one selection strategy on a score table."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import ML_MODELS, Mitigation, MLModel, StrategyName
from fairpanel.cli._commit import (
    check_commit_options,
    custody,
    panel_custody,
    read_commitment,
    write_commitment,
)
from fairpanel.cli._common import (
    ColumnsFile,
    Encoding,
    Groups,
    RawCsv,
    RequestCol,
    SubmissionCol,
    existing_file,
    load_column_map,
    map_inputs,
    map_provenance,
    read_history,
    read_submissions,
)
from fairpanel.cli._guard import console, fail, friendly_errors, naming

if TYPE_CHECKING:
    from fairpanel.io import OutputTransaction
    from fairpanel.rubric import Rubric
    from fairpanel.strategies import Allocation, Strategy

__all__ = ["allocate"]

#: The seed of the zone computed for --commit: never published, never written.
COMMIT_STAND_IN = "commitment: no seed yet"
ERR_PANELS = (
    "--panel-col and --capacity-table go together: the panel column of the scores, and "
    "each panel's places (columns panel,capacity)"
)
ERR_PANELS_BOTH = "--capacity-table gives each panel's places: leave out --capacity and --budget"
ERR_PANEL_COMMIT = (
    "several panels drew lots, and a commitment fixes one zone: to commit, allocate each "
    "panel on its own (its scores and places) with the seed '<seed> / panel <name>' that "
    "a run of all panels uses for it"
)
ERR_PANEL_FILE = (
    "panels '{a}' and '{b}' would write the same certificate file {path}: rename one panel"
)
#: The console names the submissions of a tier only up to this many (the files have all).
CONSOLE_MAX_IDS = 20


@friendly_errors
def allocate(
    scores: Annotated[
        Path, typer.Option("--scores", help="The score table written by 'fairpanel score'.")
    ],
    strategy: Annotated[
        StrategyName,
        typer.Option("--strategy", help="The selection rule.", case_sensitive=False),
    ],
    seed: Annotated[
        str | None,
        typer.Option(
            "--seed",
            help="The published seed of the draw (any text); the output records it. "
            "Leave it out with --commit: the seed must not exist yet.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write the allocation CSV (not with --commit)."),
    ] = None,
    submissions: Annotated[
        Path | None,
        typer.Option(
            "--submissions", help="The submissions table (requests, optional 'eligible')."
        ),
    ] = None,
    capacity: Annotated[
        int | None, typer.Option("--capacity", min=0, help="The number of places.")
    ] = None,
    budget: Annotated[
        float | None, typer.Option("--budget", help="The total resource (hours, money).")
    ] = None,
    request_col: RequestCol = None,
    certificate: Annotated[
        Path | None, typer.Option("--certificate", help="Where to write the draw certificate.")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the allocation as JSON.")
    ] = None,
    quality_bar: Annotated[
        str | None,
        typer.Option("--quality-bar", help="lottery: a band name or a score threshold."),
    ] = None,
    interval: Annotated[
        float | None,
        typer.Option(
            "--interval",
            help="partial-lottery: the rank interval's level (default 0.5): 0.5, 0.9 or "
            "another the scores carry (score --interval-levels 0.8); quota-lottery: its zone.",
        ),
    ] = None,
    weights: Annotated[
        str | None,
        typer.Option("--weights", help="tiered-lottery: e.g. 'excellent=3,very good=2,good=1'."),
    ] = None,
    tiers: Annotated[
        str | None,
        typer.Option(
            "--tiers",
            help="tiered-lottery (or quota-lottery), in place of --weights: score "
            "threshold:weight pairs, e.g. '3.5:3,3.0:1' (below the lowest: no entry).",
        ),
    ] = None,
    rubric: Annotated[
        Path | None,
        typer.Option("--rubric", help="The rubric YAML: band order, and bands if not in scores."),
    ] = None,
    submission_col: SubmissionCol = None,
    columns_file: ColumnsFile = None,
    encoding: Encoding = "utf-8",
    history: Annotated[
        Path | None,
        typer.Option("--history", help="ml: past cycles (features and past decisions)."),
    ] = None,
    target: Annotated[
        str, typer.Option("--target", help="ml: the past decision or score to learn.")
    ] = "selected",
    group: Groups = None,
    model: Annotated[
        MLModel, typer.Option("--model", help="ml: the model to fit.", case_sensitive=False)
    ] = ML_MODELS[0],
    mitigation: Annotated[
        Mitigation | None,
        typer.Option(
            "--mitigation",
            help="ml: a fairlearn mitigation, for comparison.",
            case_sensitive=False,
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="ml: a column never to use as a feature (repeat)."),
    ] = None,
    quotas: Annotated[
        Path | None,
        typer.Option("--quotas", help="quota-lottery: quota table (attribute,value,min,max)."),
    ] = None,
    one_per: Annotated[
        list[str] | None,
        typer.Option("--one-per", help="quota-lottery: at most one per value of this column."),
    ] = None,
    leximin: Annotated[
        bool, typer.Option("--leximin", help="quota-lottery: leximin rather than maximin.")
    ] = False,
    commit: Annotated[
        Path | None,
        typer.Option(
            "--commit",
            help="Fix the lottery zone before the seed exists: write the commitment here "
            "and print the SHA-256 to publish (no --seed, no --out).",
        ),
    ] = None,
    commitment: Annotated[
        Path | None,
        typer.Option(
            "--commitment",
            help="Draw the zone committed earlier with --commit, refusing if the inputs "
            "no longer give it; the certificate embeds it.",
        ),
    ] = None,
    raw_csv: RawCsv = False,
    panel_col: Annotated[
        str | None,
        typer.Option(
            "--panel-col",
            help="The scores' panel column (from score --panel-col): run the strategy in "
            "each panel with its own places, from --capacity-table.",
        ),
    ] = None,
    capacity_table: Annotated[
        Path | None,
        typer.Option(
            "--capacity-table",
            help="With --panel-col: each panel's places, a table with columns panel,capacity.",
        ),
    ] = None,
) -> None:
    """Select submissions with one strategy; write the allocation (and draw certificate)."""
    # Imported here for start-up time: pandas, and only what the chosen strategy needs.
    from fairpanel.io import (
        OutputProvenance,
        load_capacities,
        load_quotas,
        load_scores,
        open_outputs,
    )
    from fairpanel.strategies import (
        Capacity,
        allocate_by_panel,
        check_strategy_options,
        make_strategy,
    )

    column_map = load_column_map(columns_file).with_options(
        submission_id=submission_col, request=request_col
    )
    groups = group or list(column_map.groups)
    panel_col = panel_col or (column_map.panel if capacity_table is not None else None)
    if (panel_col is None) != (capacity_table is None):
        raise FairpanelInputError(ERR_PANELS, field="--capacity-table")
    places = None
    if capacity_table is not None:
        if capacity is not None or budget is not None:
            raise FairpanelInputError(ERR_PANELS_BOTH, field="--capacity-table")
        places = load_capacities(existing_file(capacity_table), encoding=encoding)
        capacity = sum(places.values())
    # the request column as the submissions loader names it (the map's is renamed)
    budget_col = column_map.submission_columns().request
    check_commit_options(
        seed=seed,
        out=out,
        commit=commit,
        commitment=commitment,
        ml=history,
        also=certificate or json_out,
    )
    check_strategy_options(
        strategy,
        count=capacity,
        budget=budget,
        request_col=request_col,
        submissions=submissions,
        history=history,
        quality_bar=quality_bar,
        interval=interval,
        weights=weights,
        tiers=tiers,
        mitigation=mitigation,
        exclude=exclude or None,
        quotas=quotas,
        one_per=one_per or None,
        leximin=leximin or None,
    )
    # Panel by panel, each panel's draw has its own certificate beside the path given.
    panel_paths = (
        {} if places is None or certificate is None else _panel_paths(certificate, places)
    )
    outputs = open_outputs(
        {
            "--out": out,
            "--certificate": None if panel_paths else certificate,
            **{f"--certificate ({name})": path for name, path in panel_paths.items()},
            "--json": json_out,
            "--commit": commit,
        },
        inputs={
            "--scores": scores,
            "--submissions": submissions,
            "--rubric": rubric,
            "--history": history,
            "--quotas": quotas,
            "--commitment": commitment,
            "--capacity-table": capacity_table,
            **map_inputs(column_map),
        },
        provenance=OutputProvenance("allocate", seed=seed, extra=map_provenance(column_map)),
    )
    committed = None if commitment is None else read_commitment(commitment, outputs)
    loaded_rubric = None if rubric is None else _load_rubric(rubric)
    table = load_scores(
        existing_file(scores), encoding=encoding, rename=column_map.renames("scores")
    )
    subs = None
    if submissions is not None:
        subs = read_submissions(
            submissions, column_map=column_map, groups=groups, encoding=encoding
        )
    rule: Strategy
    if history is not None:  # the ml strategy (the options are checked above)
        # Imported here: only the ml strategy loads scikit-learn and fairlearn.
        from fairpanel.ml import MLStrategy

        past = read_history(history, groups=groups, encoding=encoding)
        with naming(history):
            rule = MLStrategy(
                model=model,
                target=target,
                groups=tuple(groups),
                exclude=tuple(exclude or ()),
                mitigation=mitigation,
                seed=seed,
            ).fit(past)
    else:
        rule = make_strategy(
            strategy,
            quality_bar=quality_bar,
            interval=interval,
            weights=weights,
            tiers=tiers,
            rubric=loaded_rubric,
            quotas=None
            if quotas is None
            else load_quotas(existing_file(quotas), encoding=encoding),
            one_per=one_per,
            leximin=leximin or None,
        )
    try:
        cap = (
            Capacity(count=capacity)
            if capacity is not None
            else Capacity(budget=budget, request_col=budget_col)
        )
        # An error about a frame is the score file's; a band named in --weights or
        # --quality-bar is the user's typing, and keeps no file.
        with naming(scores):
            # Before the seed exists (--commit) the zone is computed with a stand-in:
            # the zone does not depend on the seed, and this draw is never written.
            if panel_col is not None and places is not None:
                result = allocate_by_panel(
                    rule,
                    table,
                    subs,
                    panel_col=panel_col,
                    capacities=places,
                    seed=seed or COMMIT_STAND_IN,
                )
            else:
                result = rule.allocate(table, subs, capacity=cap, seed=seed or COMMIT_STAND_IN)
    except ValueError as exc:
        if isinstance(exc, FairpanelInputError):
            raise
        raise fail(str(exc)) from None
    _warn(result)
    drew_in_panels = places is not None and result.certificate is None
    if drew_in_panels and (result.table["tier"] == "lottery").any() and (commit or commitment):
        # one commitment fixes one zone: several panels drew (each with its own seed)
        raise fail(ERR_PANEL_COMMIT)
    if commit is not None:
        write_commitment(result, outputs, commit)
        return
    # Both given: checked by check_commit_options.
    assert out is not None
    assert seed is not None
    result = custody(
        result, committed, commitment, certificate is not None and not panel_paths, seed
    )
    _write(
        result,
        outputs,
        out,
        None if panel_paths else certificate,
        json_out,
        raw_csv=raw_csv,
        panel_paths=panel_paths,
    )


def _warn(result: Allocation) -> None:
    """Say loudly what the allocation does quietly: no quality bar, places left empty."""
    from fairpanel.strategies._notes import NO_BAR, NO_BAR_HINT  # start-up time

    if result.no_quality_bar:
        console.print(
            f"WARNING: {NO_BAR[result.strategy]}; {NO_BAR_HINT[result.strategy]}",
            style="bold",
            markup=False,
            soft_wrap=True,
        )
    if result.unfilled is not None:
        console.print(f"warning: {result.unfilled.sentence()}", markup=False, soft_wrap=True)


def _load_rubric(path: Path) -> Rubric:
    # Imported only when a rubric is given: the rubric package loads YAML and templates.
    from fairpanel.rubric import load_rubric

    return load_rubric(existing_file(path))


def _write(
    result: Allocation,
    outputs: OutputTransaction,
    out: Path,
    certificate: Path | None,
    json_out: Path | None,
    *,
    raw_csv: bool = False,
    panel_paths: Mapping[str, Path] | None = None,
) -> None:
    from fairpanel.lottery import DrawCertificate  # start-up time, as above

    by_panel = panel_custody(result, result.seed) if panel_paths else {}
    written = {name: path for name, path in (panel_paths or {}).items() if name in by_panel}
    if by_panel:  # the JSON carries the certificates published beside it, as published
        result = replace(result, panel_certificates=by_panel)

    with outputs:
        outputs.write_frame(out, result.table, raw=raw_csv)
        if certificate is not None and result.certificate is not None:
            # The certificate names the allocation written just before it (its SHA-256).
            outputs.write_json(certificate, result.certificate.to_dict())
        for name, path in written.items():
            # Each names the allocation written just before it, and its own panel.
            outputs.write_json(path, by_panel[name].to_dict())
        if json_out is not None:
            outputs.write_json(json_out, result.to_dict())
    if isinstance(result.certificate, DrawCertificate) and not result.certificate.draw_needed:
        console.print(
            f"{result.certificate.no_draw_reason}; the certificate says so", markup=False
        )
    console.print(result.summary(max_ids=CONSOLE_MAX_IDS), markup=False)
    console.print(f"allocation written to {out}", markup=False)
    for name, path in written.items():
        cert = by_panel[name]
        # (a quota lottery's certificate has no draw_needed: it always draws a panel)
        note = "" if getattr(cert, "draw_needed", True) else f" ({cert.no_draw_reason})"
        console.print(
            f"panel {name}: certificate written to {path}{note}", markup=False, soft_wrap=True
        )


def _panel_paths(certificate: Path, panels: Mapping[str, int]) -> dict[str, Path]:
    """Each panel's certificate path: ``draw.json`` → ``draw.<panel>.json``.

    A panel name is kept in the file name as far as it is letters, digits, ``-`` and
    ``_`` (anything else becomes ``_``); two panels that would share a file are refused.
    """
    paths: dict[str, Path] = {}
    seen: dict[Path, str] = {}
    for name in sorted(panels):
        slug = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "panel"
        path = certificate.with_name(f"{certificate.stem}.{slug}{certificate.suffix}")
        if path in seen:
            raise FairpanelInputError(
                ERR_PANEL_FILE.format(a=seen[path], b=name, path=path), field="--certificate"
            )
        paths[name], seen[path] = path, name
    return paths
