"""``fairpanel score``: calibrated scores, leniency and expected ranks with intervals."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import DEFAULT_SEED, ReviewColumns, parse_interval_levels
from fairpanel.cli._common import (
    DropMissing,
    Encoding,
    Grades,
    LowerIsBetter,
    RawCsv,
    ReviewsFile,
    ScaleMax,
    ScaleMin,
    ScaleOptions,
    ScaleStep,
    Seed,
    map_inputs,
    map_provenance,
    read_scored_reviews,
    with_review_columns,
)
from fairpanel.cli._guard import console, fail, friendly_errors, naming

if TYPE_CHECKING:
    import pandas as pd

    from fairpanel.io import ColumnMap
    from fairpanel.scoring import ScoreResult

__all__ = ["score_command"]

WARN_PANELS = (
    "warning: the reviews form {n} panels that share no reviewer ({sizes} submissions): "
    "the model cannot tell a lenient panel from a strong one, so scores compare across "
    "panels only through its priors; rank within panels, or link them with shared "
    "reviewers (a reviewer id repeated across panels is one person only if it is the same "
    "person: see --reviewer-col panel,assessor)"
)
WARN_INFERRED = (
    "warning: no scale was given, so the scores' own range {lo}–{hi} ({direction} is "
    "better) was taken as the scale and recorded as inferred in the JSON; state it with "
    "--rubric, --scale-min/--scale-max or --grades"
)

NOTE_PER_PANEL = (
    "scored {n} panels on their own ({names}): they share no reviewer, so each is "
    "ranked among its own ('{column}' in the output); --one-ranking fits them together"
)
NOTE_LINKED = (
    "the {n} panels in '{column}' share reviewers: one fit and one ranking across them "
    "('{column}' in the output); if a reviewer id is only a number within its panel "
    "(voter 1 of each section), it is not one person: name both columns, "
    "--reviewer-col {column},<reviewer column>, and each panel is scored on its own"
)

ERR_NO_SPREAD = (
    "{file}: the Bayesian model cannot be fitted: the scores hardly vary (every review "
    "the same, or nearly), so reviewer leniency and noise cannot be told apart; check the "
    "score column, or use --method eb"
)

ERR_UNCONVERGED = (
    "the posterior has not converged ({message}); the scores are not final. "
    "Rerun with more --draws, or pass --allow-unconverged to write them marked provisional"
)


def score(
    reviews: pd.DataFrame,
    /,
    *,
    panels: pd.Series | None = None,
    panel_col: str | None = None,
    together: bool = True,
    **options: Any,
) -> ScoreResult:
    """Call :func:`fairpanel.scoring.score`, imported on the first call.

    With ``panels`` (each submission's panel), :func:`fairpanel.scoring.score_by_panel`.
    The scoring module pulls in scipy, which ``fairpanel --help`` need not wait for; a
    module-level name (not an import inside the command) keeps it replaceable in tests.
    """
    from fairpanel.scoring import score as score_
    from fairpanel.scoring import score_by_panel

    if panels is None:
        return score_(reviews, **options)
    return score_by_panel(reviews, panels, column=str(panel_col), together=together, **options)


def _panels(
    path: Path,
    table: pd.DataFrame,
    panel_col: str,
    columns: ReviewColumns,
    encoding: str,
    one_ranking: bool,
) -> tuple[pd.Series, bool]:
    """Each submission's panel (the same on all its rows), and whether to fit them together."""
    from fairpanel.io import submissions_from_reviews
    from fairpanel.scoring import panels_linked

    subs = submissions_from_reviews(
        path, submission=columns.submission, keep=[panel_col], encoding=encoding
    )
    panels = subs.set_index("submission_id")[panel_col].astype("str")
    return panels, one_ranking or panels_linked(table, panels)


def _fmt(value: float, digits: int = 2) -> str:
    return "–" if math.isnan(value) else f"{value:.{digits}f}"


def _show(result: ScoreResult, top: int = 15) -> None:
    from rich.table import Table  # start-up time: only the commands that print a table

    d = result.diagnostics
    status = "converged" if d.converged else "NOT CONVERGED (provisional)"
    title = (
        f"Scores ({result.method}) — {len(result.table)} submissions, "
        f"{len(result.reviewers)} reviewers; {status}"
    )
    table = Table(title=title, title_justify="left")
    for name in ("submission", "n", "mean", "calibrated", "SE", "exp. rank", "50% CrI", "90% CrI"):
        table.add_column(name, justify="left" if name == "submission" else "right")
    for row in result.table.head(top).to_dict(orient="records"):
        table.add_row(
            str(row["submission_id"]),
            str(row["n_reviews"]),
            _fmt(float(row["mean_score"])),
            _fmt(float(row["calibrated_score"])),
            _fmt(float(row["score_se"])),
            _fmt(float(row["expected_rank"]), 1),
            f"{row['rank_lo50']:g}–{row['rank_hi50']:g}",
            f"{row['rank_lo90']:g}–{row['rank_hi90']:g}",
        )
    console.print(table)
    if len(result.table) > top:
        console.print(f"… {len(result.table) - top} more in the output file")
    if d.method == "bayes":
        console.print(
            f"Convergence: max R-hat {d.max_rhat:.4f} (≤ {d.rhat_threshold}), min bulk ESS "
            f"{d.min_ess:.0f} (≥ {d.ess_threshold:.0f}), {d.chains} chains × {d.draws} draws"
        )


@friendly_errors
@with_review_columns
def score_command(
    reviews: ReviewsFile,
    out: Annotated[Path, typer.Option("--out", help="Write the score table (CSV) here.")],
    rubric: Annotated[
        Path | None,
        typer.Option("--rubric", help="The rubric YAML (criteria, weights, scale, bands)."),
    ] = None,
    method: Annotated[
        str,
        typer.Option(
            "--method", help="bayes: full posterior (Gibbs); eb: REML empirical Bayes (fast)."
        ),
    ] = "bayes",
    seed: Seed = DEFAULT_SEED,
    draws: Annotated[int, typer.Option("--draws", help="Kept draws per chain.")] = 1000,
    chains: Annotated[int, typer.Option("--chains", help="Number of chains.")] = 4,
    scale_min: ScaleMin = None,
    scale_max: ScaleMax = None,
    scale_step: ScaleStep = None,
    grades: Grades = None,
    lower_is_better: LowerIsBetter = False,
    allow_unconverged: Annotated[
        bool,
        typer.Option(
            "--allow-unconverged",
            help="Write results that did not converge, marked provisional, instead of failing.",
        ),
    ] = False,
    encoding: Encoding = "utf-8",
    drop_missing: DropMissing = False,
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Write scores, reviewers, decomposition and diagnostics."),
    ] = None,
    reviewers_out: Annotated[
        Path | None,
        typer.Option("--reviewers-out", help="Write the reviewer leniency table (CSV) here."),
    ] = None,
    raw_csv: RawCsv = False,
    reviewer_precision: Annotated[
        bool,
        typer.Option(
            "--reviewer-precision",
            help="Estimate each reviewer's own noise SD (bayes): erratic grades count less.",
        ),
    ] = False,
    review_type: Annotated[
        str,
        typer.Option(
            "--review-type",
            help="grades: scores on the scale; ranks: each reviewer's rank of their set "
            "(1 = best, ties allowed), fitted by a rank-ordered probit (bayes).",
        ),
    ] = "grades",
    interval_levels: Annotated[
        str | None,
        typer.Option(
            "--interval-levels",
            help="Rank intervals to add to the 50% and 90% ones, e.g. '0.8' or '0.8,0.95' "
            "(for allocate --strategy partial-lottery --interval 0.8).",
        ),
    ] = None,
    panel_col: Annotated[
        str | None,
        typer.Option(
            "--panel-col",
            help="The reviews' column of each submission's panel (section, committee): "
            "panels that share no reviewer are scored each on its own and ranked within "
            "it; the output carries the column (allocate --panel-col gives places per "
            "panel).",
        ),
    ] = None,
    one_ranking: Annotated[
        bool,
        typer.Option(
            "--one-ranking",
            help="With --panel-col: fit every panel together and rank across them, even "
            "when they share no reviewer (compared then only through the model's priors).",
        ),
    ] = False,
    *,
    columns: ReviewColumns,
    column_map: ColumnMap,
) -> None:
    """Calibrated scores, reviewer leniency and expected ranks (the SNSF model)."""
    # Imported here for start-up time (pandas, yaml), as in every command.
    from fairpanel.io import OutputProvenance, open_outputs

    try:
        levels = () if interval_levels is None else parse_interval_levels(interval_levels)
    except ValueError as exc:
        raise FairpanelInputError(str(exc), field="--interval-levels") from None

    outputs = open_outputs(
        {"--out": out, "--json": json_out, "--reviewers-out": reviewers_out},
        inputs={"--reviews": reviews, "--rubric": rubric, **map_inputs(column_map)},
        provenance=OutputProvenance("score", seed=str(seed), extra=map_provenance(column_map)),
    )
    scale = ScaleOptions(scale_min, scale_max, scale_step, grades, lower_is_better)
    loaded_rubric, chosen, table = read_scored_reviews(
        reviews,
        rubric=rubric,
        scale=scale,
        columns=columns,
        encoding=encoding,
        drop_missing=drop_missing,
    )
    panel_col = panel_col or column_map.panel
    panels, together = None, True
    if panel_col is not None:
        panels, together = _panels(reviews, table, panel_col, columns, encoding, one_ranking)
    try:
        with naming(reviews):
            result = score(
                table,
                panels=panels,
                panel_col=panel_col,
                together=together,
                rubric=loaded_rubric,
                scale=chosen.scale,
                higher_is_better=not lower_is_better,
                method=method,
                seed=seed,
                chains=chains,
                draws=draws,
                reviewer_precision=reviewer_precision,
                review_type=review_type,
                interval_levels=levels,
            )
    except ValueError as exc:  # an option out of range (--method, --chains, --draws)
        if isinstance(exc, FairpanelInputError):
            raise
        from numpy.linalg import LinAlgError  # numpy is loaded by now

        if isinstance(exc, LinAlgError):  # no spread left to model (identical scores)
            raise fail(ERR_NO_SPREAD.format(file=reviews)) from None
        raise fail(str(exc)) from None
    _show(result)
    if panels is not None:
        names = sorted(set(panels.astype(str)))
        note = NOTE_LINKED if together else NOTE_PER_PANEL
        console.print(
            note.format(n=len(names), names=", ".join(names), column=panel_col), markup=False
        )
    if together and len(result.panel_sizes) > 1:
        sizes = ", ".join(map(str, result.panel_sizes))
        console.print(WARN_PANELS.format(n=len(result.panel_sizes), sizes=sizes), markup=False)
    if result.scale.inferred:
        console.print(
            WARN_INFERRED.format(
                lo=result.scale.min,
                hi=result.scale.max,
                direction="higher" if result.scale.higher_is_better else "lower",
            ),
            markup=False,
        )
    if result.provisional and not allow_unconverged:
        raise fail(ERR_UNCONVERGED.format(message=result.diagnostics.message))
    frame_out = result.table
    if result.provisional:
        frame_out = frame_out.assign(provisional=True)
        console.print("[bold]Results are provisional: the posterior did not converge.[/bold]")
    with outputs:
        outputs.write_frame(out, frame_out, raw=raw_csv)
        if reviewers_out is not None:
            outputs.write_frame(reviewers_out, result.reviewers, raw=raw_csv)
        if json_out is not None:
            outputs.write_json(json_out, result.to_dict())
    for path in (out, reviewers_out, json_out):
        if path is not None:
            console.print(f"wrote {path}")
