"""``fairpanel allocate``: run one selection strategy on a score table."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import ML_MODELS, Mitigation, MLModel, StrategyName
from fairpanel.cli._common import (
    ColumnsFile,
    Encoding,
    Groups,
    RawCsv,
    RequestCol,
    SubmissionCol,
    console,
    existing_file,
    fail,
    friendly_errors,
    load_column_map,
    map_inputs,
    map_provenance,
    naming,
    read_history,
    read_submissions,
)

if TYPE_CHECKING:
    from fairpanel.io import OutputTransaction
    from fairpanel.lottery import Commitment
    from fairpanel.rubric import Rubric
    from fairpanel.strategies import Allocation, Strategy

__all__ = ["allocate"]

#: The seed of the zone computed for --commit: never published, never written.
COMMIT_STAND_IN = "commitment: no seed yet"
ERR_NEED_SEED = "--seed is required: give the published seed (or --commit to fix the zone first)"
ERR_NEED_OUT = "--out is required: where to write the allocation"
ERR_COMMIT_SEED = "--commit fixes the lottery zone before the seed exists: leave out --seed"
ERR_COMMIT_OUT = "--commit writes only the commitment: leave out --out, --json and --certificate"
ERR_COMMIT_BOTH = "--commit and --commitment are two steps: commit first, then draw"
ERR_COMMIT_ML = "--commit needs a zone that does not depend on the seed; the ml strategy's does"
ERR_COMMIT_NO_DRAW = "nothing to commit: {reason}"
ERR_COMMIT_QUOTA = (
    "--commit and --commitment are for weighted draws; a quota-lottery certificate "
    "carries its own commitment hash (verify-draw checks it)"
)
ERR_COMMIT_INPUT = (
    "the {role} file has changed since the commitment was made (SHA-256 {now}, committed {then})"
)
ERR_COMMIT_ZONE = "the inputs no longer give the committed lottery zone: {problem}"
OK_COMMIT = (
    "commitment written to {path}: publish its SHA-256 now, then take as the seed a "
    "public value that appears later (docs/lottery.md, 'Commit, then reveal')"
)
ERR_PANELS = (
    "--panel-col and --capacity-table go together: the panel column of the scores, and "
    "each panel's places (columns panel,capacity)"
)
ERR_PANELS_BOTH = "--capacity-table gives each panel's places: leave out --capacity and --budget"
ERR_PANEL_CERTIFICATE = (
    "several panels drew lots, and a certificate holds one draw: for certificates, "
    "allocate each panel on its own (its scores and places) with the seed "
    "'<seed> / panel <name>' that this run used for it"
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
    _check_commit_options(
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
    outputs = open_outputs(
        {"--out": out, "--certificate": certificate, "--json": json_out, "--commit": commit},
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
    committed = None if commitment is None else _read_commitment(commitment, outputs)
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
    if drew_in_panels and (result.table["tier"] == "lottery").any() and (certificate or commit):
        # one certificate holds one draw: several panels drew (each with its own seed)
        raise fail(ERR_PANEL_CERTIFICATE)
    if commit is not None:
        _write_commitment(result, outputs, commit)
        return
    # Both given: checked by _check_commit_options.
    assert out is not None
    assert seed is not None
    result = _custody(result, committed, commitment, certificate is not None, seed)
    _write(result, outputs, out, certificate, json_out, raw_csv=raw_csv)


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
) -> None:
    from fairpanel.lottery import DrawCertificate  # start-up time, as above

    with outputs:
        outputs.write_frame(out, result.table, raw=raw_csv)
        if certificate is not None and result.certificate is not None:
            # The certificate names the allocation written just before it (its SHA-256).
            outputs.write_json(certificate, result.certificate.to_dict())
        if json_out is not None:
            outputs.write_json(json_out, result.to_dict())
    if isinstance(result.certificate, DrawCertificate) and not result.certificate.draw_needed:
        console.print(
            f"{result.certificate.no_draw_reason}; the certificate says so", markup=False
        )
    console.print(result.summary(max_ids=CONSOLE_MAX_IDS), markup=False)
    console.print(f"allocation written to {out}", markup=False)


def _check_commit_options(
    *,
    seed: str | None,
    out: Path | None,
    commit: Path | None,
    commitment: Path | None,
    ml: Path | None,
    also: Path | None,
) -> None:
    if commit is not None:
        if commitment is not None:
            raise FairpanelInputError(ERR_COMMIT_BOTH, field="--commitment")
        if seed is not None:
            raise FairpanelInputError(ERR_COMMIT_SEED, field="--seed")
        if out is not None or also is not None:
            raise FairpanelInputError(ERR_COMMIT_OUT, field="--commit")
        if ml is not None:
            raise FairpanelInputError(ERR_COMMIT_ML, field="--commit")
        return
    if seed is None:
        raise FairpanelInputError(ERR_NEED_SEED, field="--seed")
    if out is None:
        raise FairpanelInputError(ERR_NEED_OUT, field="--out")


def _read_commitment(path: Path, outputs: OutputTransaction) -> Commitment:
    """Read a commitment; refuse it if an input it names has changed since."""
    from fairpanel.cli._verify_draw import read_json_object
    from fairpanel.lottery import Commitment

    try:
        committed = Commitment.from_dict(read_json_object(path))
    except FairpanelInputError as exc:
        raise exc.with_file(path) from None
    assert outputs.provenance is not None
    now = {r.role: r.sha256 for r in outputs.provenance.inputs}
    for role, digest in committed.inputs:
        if now.get(role) != digest:
            raise FairpanelInputError(
                ERR_COMMIT_INPUT.format(
                    role=role, now=(now.get(role) or "none")[:12] + "…", then=digest[:12] + "…"
                ),
                file=path,
            )
    return committed


def _write_commitment(result: Allocation, outputs: OutputTransaction, path: Path) -> None:
    from fairpanel.lottery import Commitment, DrawCertificate, explain_no_draw

    cert = result.certificate
    if cert is not None and not isinstance(cert, DrawCertificate):
        raise fail(ERR_COMMIT_QUOTA)
    if cert is None:
        reason = explain_no_draw(
            funded=int(result.table["selected"].sum()), places=result.capacity.count
        )
        raise fail(ERR_COMMIT_NO_DRAW.format(reason=reason))
    assert outputs.provenance is not None
    inputs = {r.role: r.sha256 for r in outputs.provenance.inputs if r.role != "commitment"}
    committed = Commitment.of(cert.entrants, places=cert.places, inputs=inputs)
    with outputs:
        outputs.write_json(path, committed.to_dict())
    console.print(OK_COMMIT.format(path=path), markup=False, soft_wrap=True)
    typer.echo(committed.sha256)


def _custody(
    result: Allocation,
    committed: Commitment | None,
    commitment_path: Path | None,
    certificate: bool,
    seed: str,
) -> Allocation:
    """Give the allocation the certificate to publish.

    With its parameters and its commitment; when no draw was needed, one that says so.
    """
    from fairpanel.lottery import (
        DrawCertificate,
        commitment_differences,
        explain_no_draw,
        no_draw_certificate,
    )

    cert = result.certificate
    if cert is not None and not isinstance(cert, DrawCertificate):
        if committed is not None:
            raise FairpanelInputError(ERR_COMMIT_QUOTA, file=commitment_path)
        return result
    if cert is None:
        if committed is not None:
            raise FairpanelInputError(
                ERR_COMMIT_ZONE.format(problem="no draw is needed any more"), file=commitment_path
            )
        if not certificate:
            return result
        reason = explain_no_draw(
            funded=int(result.table["selected"].sum()), places=result.capacity.count
        )
        from fairpanel.strategies._engine import certificate_context

        base = {"strategy": result.strategy, "capacity": result.capacity.to_dict()}
        context = {**base, **certificate_context(result.params)}
        if result.unfilled is not None:  # the places left empty, and why, on the record
            context["unfilled"] = result.unfilled.to_dict()
        cert = no_draw_certificate(seed=seed, reason=reason, context=context)
        return replace(result, certificate=cert)
    if committed is not None:
        diffs = commitment_differences(committed, entrants=cert.entrants, places=cert.places)
        if diffs:
            raise FairpanelInputError(
                ERR_COMMIT_ZONE.format(problem=diffs[0]), file=commitment_path
            )
        cert = replace(cert, commitment=committed)
    return replace(result, certificate=cert)
