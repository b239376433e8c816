"""``fairpanel allocate``: run one selection strategy on a score table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import ML_MODELS, Mitigation, MLModel, StrategyName, SubmissionColumns
from fairpanel.cli._common import (
    Encoding,
    Groups,
    RawCsv,
    RequestCol,
    Seed,
    SubmissionCol,
    console,
    existing_file,
    fail,
    friendly_errors,
    naming,
    read_history,
    read_submissions,
)

if TYPE_CHECKING:
    from fairpanel.rubric import Rubric
    from fairpanel.strategies import Allocation, Strategy

__all__ = ["allocate"]

NOTE_NO_DRAW = "no draw was needed (the capacity decided everything): no certificate written"
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
    seed: Seed,
    out: Annotated[Path, typer.Option("--out", help="Where to write the allocation CSV.")],
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
            help="partial-lottery: the rank interval, 0.5 or 0.9 (default 0.5).",
        ),
    ] = None,
    weights: Annotated[
        str | None,
        typer.Option("--weights", help="tiered-lottery: e.g. 'excellent=3,very good=2,good=1'."),
    ] = None,
    rubric: Annotated[
        Path | None,
        typer.Option("--rubric", help="The rubric YAML: band order, and bands if not in scores."),
    ] = None,
    submission_col: SubmissionCol = SubmissionColumns.submission,
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
    raw_csv: RawCsv = False,
) -> None:
    """Select submissions with one strategy; write the allocation (and draw certificate)."""
    # Imported here for start-up time: pandas, and only what the chosen strategy needs.
    from fairpanel.io import guard_outputs, load_scores
    from fairpanel.strategies import Capacity, check_strategy_options, make_strategy

    groups = group or []
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
        mitigation=mitigation,
        exclude=exclude or None,
    )
    guard_outputs([scores, submissions, rubric, history], [out, certificate, json_out])
    loaded_rubric = None if rubric is None else _load_rubric(rubric)
    table = load_scores(existing_file(scores), encoding=encoding)
    subs = None
    if submissions is not None:
        subs = read_submissions(
            submissions,
            submission_col=submission_col,
            groups=groups,
            request_col=request_col,
            encoding=encoding,
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
            rubric=loaded_rubric,
        )
    try:
        cap = (
            Capacity(count=capacity)
            if capacity is not None
            else Capacity(budget=budget, request_col=request_col)
        )
        # An error about a frame is the score file's; a band named in --weights or
        # --quality-bar is the user's typing, and keeps no file.
        with naming(scores):
            result = rule.allocate(table, subs, capacity=cap, seed=seed)
    except ValueError as exc:
        if isinstance(exc, FairpanelInputError):
            raise
        raise fail(str(exc)) from None
    _write(result, out, certificate, json_out, raw_csv=raw_csv)


def _load_rubric(path: Path) -> Rubric:
    # Imported only when a rubric is given: the rubric package loads YAML and templates.
    from fairpanel.rubric import load_rubric

    return load_rubric(existing_file(path))


def _write(
    result: Allocation,
    out: Path,
    certificate: Path | None,
    json_out: Path | None,
    *,
    raw_csv: bool = False,
) -> None:
    from fairpanel.io import write_frame, write_json  # start-up time, as above

    write_frame(out, result.table, raw=raw_csv)
    if json_out is not None:
        write_json(json_out, result.to_dict())
    if certificate is not None:
        if result.certificate is None:
            console.print(NOTE_NO_DRAW)
        else:
            write_json(certificate, result.certificate.to_dict())
    console.print(result.summary(max_ids=CONSOLE_MAX_IDS), markup=False)
    console.print(f"allocation written to {out}", markup=False)
