"""``fairpanel allocate``: run one selection strategy on a score table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import ML_MODELS, Mitigation, MLModel, StrategyName
from fairpanel.cli._common import (
    Encoding,
    Groups,
    RequestCol,
    Seed,
    SubmissionCol,
    console,
    existing_file,
    fail,
    friendly_errors,
    naming,
)

if TYPE_CHECKING:
    from fairpanel.strategies import Allocation, Strategy

__all__ = ["allocate"]

ERR_CAPACITY = "give exactly one of --capacity N or --budget B (with --request-col)"
ERR_ML_HISTORY = "--strategy ml needs --history (past cycles with features and decisions)"
ERR_ML_SUBMISSIONS = "--strategy ml needs --submissions (the new cycle's features)"
ERR_ML_ONLY = "{option} is used only with --strategy ml"
ERR_REQUEST_COL = "--budget needs --request-col (the submissions column of each request)"
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
    submission_col: SubmissionCol = "submission_id",
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
) -> None:
    """Select submissions with one strategy; write the allocation (and draw certificate)."""
    # Imported here for start-up time: the strategies pull in scipy and scikit-learn.
    from fairpanel._schema import SubmissionColumns
    from fairpanel.io import guard_outputs, load_scores, load_submissions, read_table
    from fairpanel.rubric import load_rubric
    from fairpanel.strategies import Capacity, make_strategy

    if (capacity is None) == (budget is None):
        raise FairpanelInputError(ERR_CAPACITY)
    is_ml = strategy == "ml"
    if not is_ml and history is not None:
        raise FairpanelInputError(ERR_ML_ONLY.format(option="--history"))
    if is_ml and submissions is None:
        raise FairpanelInputError(ERR_ML_SUBMISSIONS)
    if budget is not None and request_col is None:
        raise FairpanelInputError(ERR_REQUEST_COL)
    guard_outputs([scores, submissions, rubric], [out, certificate, json_out])
    loaded_rubric = None if rubric is None else load_rubric(existing_file(rubric))
    table = load_scores(existing_file(scores), encoding=encoding)
    subs = None
    if submissions is not None:
        subs = load_submissions(
            existing_file(submissions),
            columns=SubmissionColumns(
                submission=submission_col, groups=tuple(group or ()), request=request_col
            ),
            encoding=encoding,
        )
    rule: Strategy
    if is_ml:
        # Imported here: only the ml strategy loads scikit-learn and fairlearn.
        from fairpanel.ml import MLStrategy

        if history is None:
            raise FairpanelInputError(ERR_ML_HISTORY)
        past = read_table(
            existing_file(history),
            encoding=encoding,
            text_columns=["submission_id", *(group or ())],
        )
        with naming(history):
            rule = MLStrategy(
                model=model,
                target=target,
                groups=tuple(group or ()),
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
        result = rule.allocate(table, subs, capacity=cap, seed=seed)
    except FairpanelInputError as exc:
        # A band named in --weights or --quality-bar is the user's typing, not a file's.
        if exc.file is not None or exc.field in {"weights", "quality_bar"}:
            raise
        about_submissions = exc.column in {request_col, "eligible"} or "submissions" in str(exc)
        source = submissions if about_submissions and submissions is not None else scores
        raise exc.with_file(source) from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    _write(result, out, certificate, json_out)


def _write(result: Allocation, out: Path, certificate: Path | None, json_out: Path | None) -> None:
    from fairpanel.io import write_frame, write_json  # start-up time, as above

    write_frame(out, result.table)
    if json_out is not None:
        write_json(json_out, result.to_dict())
    if certificate is not None:
        if result.certificate is None:
            console.print(NOTE_NO_DRAW)
        else:
            write_json(certificate, result.certificate.to_dict())
    console.print(result.summary(max_ids=CONSOLE_MAX_IDS), markup=False)
    console.print(f"allocation written to {out}", markup=False)
