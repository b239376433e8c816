"""Altair charts for the report and the notebook, each with a static SVG and a table.

Each builder takes a tidy frame and returns a :class:`~fairpanel.viz.Chart`; the result
types call them from ``_repr_html_`` and the report from its sections, so a chart looks
the same in both.

Specs are embedded in the page and drawn by one inline Vega bundle; the SVG made by
vl-convert stands in where JavaScript does not run (print, e-mail, screen readers get
the table). Nothing refers to the network: the ``$schema`` URL is dropped from specs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import vl_convert as vlc

from fairpanel._words import words
from fairpanel.viz._model import Chart, Table

__all__ = [
    "funnel_chart",
    "probability_by_rank_chart",
    "probability_vs_merit_chart",
    "rate_by_group_chart",
    "sweep_grid_chart",
    "sweep_heatmap",
]

_WIDTH = 560


def _finish(
    chart: alt.TopLevelMixin, *, id: str, title: str, description: str, table: Table
) -> Chart:
    spec: dict[str, Any] = chart.to_dict()
    spec.pop("$schema", None)
    spec["description"] = description
    svg = vlc.vegalite_to_svg(spec)
    return Chart(id=id, title=title, description=description, spec=spec, svg=svg, fallback=table)


def _table(frame: pd.DataFrame, caption: str, formats: dict[str, str] | None = None) -> Table:
    formats = formats or {}
    rows = []
    for rec in frame.itertuples(index=False):
        cells = []
        for col, value in zip(frame.columns, rec, strict=True):
            if isinstance(value, float):
                text = "" if math.isnan(value) else format(value, formats.get(col, ".3g"))
                cells.append(text)
            else:
                cells.append(str(value))
        rows.append(tuple(cells))
    # A reader sees each column in words: 'selection rate', not 'selection_rate'.
    return Table(caption, tuple(words(c) for c in frame.columns), tuple(rows))


#: What a chart writes where a withheld group's value would be.
WITHHELD_LABEL = "suppressed: not assessable (small cells)"


def _withheld_rows(frame: pd.DataFrame) -> pd.Series:
    return frame["suppressed"].astype("boolean").fillna(False).astype(bool)


def _with_placeholders(frame: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    """Return the fallback table: a withheld row says so instead of showing numbers.

    A withheld row's applicant count is shown when the caller left it (the audit
    withheld only the selected count); the caller blanks the counts it hides.
    """
    out = frame[list(cols)].astype(object)
    hidden = _withheld_rows(frame).to_numpy()
    for col in cols:
        if col in ("group", "stage"):
            continue
        mask = hidden & (frame[col].isna().to_numpy() if col == "applicants" else True)
        out.loc[mask, col] = "suppressed"
    return out


def rate_by_group_chart(groups: pd.DataFrame, *, attribute: str, id: str) -> Chart:
    """Chart the selection rate per group with Wilson intervals; withheld groups are marked.

    A suppressed group keeps its row, with a labelled placeholder
    (:data:`WITHHELD_LABEL`) instead of a point, so the chart never shows one dot and
    says nothing about the others.

    Parameters
    ----------
    groups : DataFrame
        One attribute's groups: ``group, applicants, selected, selection_rate,
        rate_ci_low, rate_ci_high, suppressed``.
    attribute : str
        The group attribute, for the axis and the title.
    id : str
        The chart's id in the page.
    """
    df = groups.copy()
    df["group"] = df["group"].astype(str)
    hidden = _withheld_rows(df)
    df["suppressed"] = hidden
    for col in ("selection_rate", "rate_ci_low", "rate_ci_high"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float).where(~hidden)
    order = df["group"].tolist()
    x = alt.X("selection_rate:Q", title="selection rate", scale=alt.Scale(domain=[0, 1]))
    base = alt.Chart(df).encode(y=alt.Y("group:N", title=attribute, sort=order))
    shown = base.transform_filter("!datum.suppressed")
    layers = [
        shown.mark_rule().encode(x=alt.X("rate_ci_low:Q", title=""), x2="rate_ci_high:Q"),
        shown.mark_point(filled=True, size=60).encode(
            x=x, tooltip=["group", alt.Tooltip("selection_rate:Q", format=".1%")]
        ),
    ]
    if hidden.any():
        layers.append(
            base.transform_filter("datum.suppressed")
            .mark_text(align="left", fontStyle="italic", color="#555")
            .encode(x=alt.datum(0.01), text=alt.value(WITHHELD_LABEL))
        )
    chart = alt.layer(*layers).properties(width=_WIDTH, height=max(60, 28 * len(df)))
    cols = ["group", "applicants", "selected", "selection_rate", "rate_ci_low", "rate_ci_high"]
    return _finish(
        chart,
        id=id,
        title=f"Selection rate by {attribute}",
        description=f"Selection rate by {attribute} with 95% Wilson intervals"
        + (f"; withheld groups: {', '.join(df.loc[hidden, 'group'])}" if hidden.any() else ""),
        table=_table(_with_placeholders(df, cols), f"Selection rate by {attribute}"),
    )


#: Past this many points (strategies × submissions) the chance-by-rank chart shows each
#: strategy's mean chance per block of expected ranks: Altair refuses 5,000 rows and
#: thousands of dots say no more than their averages.
PROBABILITY_POINTS_MAX = 2000
#: Blocks of expected rank of the binned chart (per strategy).
PROBABILITY_BINS = 100


def probability_by_rank_chart(long: pd.DataFrame, *, id: str = "prob-rank") -> Chart:
    """Chart each strategy's selection probability against expected rank.

    Parameters
    ----------
    long : DataFrame
        One row per strategy and submission: ``strategy, expected_rank,
        selection_probability``. Past :data:`PROBABILITY_POINTS_MAX` rows, each
        strategy's mean per block of expected ranks is drawn instead (at most
        :data:`PROBABILITY_BINS` points per strategy).
    id : str, default "prob-rank"
        The chart's id in the page.
    """
    # A submission without an expected rank (not in the score table) has no place here.
    long = long.loc[long["expected_rank"].notna()]
    drawn = long[["strategy", "expected_rank", "selection_probability"]]
    binned_view = len(drawn) > PROBABILITY_POINTS_MAX
    if binned_view:
        ranks = drawn["expected_rank"].to_numpy(dtype=float)
        width = max((np.nanmax(ranks) - np.nanmin(ranks)) / PROBABILITY_BINS, 1.0)
        block = np.floor((ranks - np.nanmin(ranks)) / width)
        drawn = (
            drawn.assign(block=block)
            .groupby(["strategy", "block"], sort=True)
            .agg(
                expected_rank=("expected_rank", "mean"),
                selection_probability=("selection_probability", "mean"),
            )
            .reset_index()
            .drop(columns="block")
        )
    chart = (
        # Points, not a line: a line would carry one submission's chance to the next.
        alt.Chart(drawn)
        .mark_point(filled=True, size=18, opacity=0.7)
        .encode(
            x=alt.X("expected_rank:Q", title="expected rank (1 = best)"),
            y=alt.Y(
                "selection_probability:Q",
                title="mean chance of selection per block"
                if binned_view
                else "chance of selection",
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color("strategy:N"),
        )
        .properties(width=_WIDTH, height=220)
    )
    # Blocks of 10 ranks, or of a power of ten giving at most 100 blocks on a large panel.
    top = float(np.nanmax(long["expected_rank"].to_numpy(dtype=float), initial=1.0))
    size = 10 if top <= 1000 else int(10 ** math.ceil(math.log10(top / 100)))
    binned = long.assign(band=(long["expected_rank"] // size * size).astype(int))
    table = pd.DataFrame(
        binned.groupby(["strategy", "band"])["selection_probability"].mean().reset_index()
    )
    table.columns = pd.Index(["strategy", "expected rank from", "selection_probability"])
    return _finish(
        chart,
        id=id,
        title="Chance of selection by expected rank",
        description="Exact selection probability of each submission under each strategy",
        table=_table(table, f"Mean selection probability per block of {size} ranks"),
    )


def probability_vs_merit_chart(curve: pd.DataFrame, *, id: str = "prob-merit") -> Chart:
    """Chart selection probability against true-merit decile, one line per strategy.

    Parameters
    ----------
    curve : DataFrame
        ``strategy, merit_decile, selection_probability`` (a simulation's
        ``individual`` table).
    id : str, default "prob-merit"
        The chart's id in the page.
    """
    df = curve[["strategy", "merit_decile", "selection_probability"]]
    chart = (
        alt.Chart(df)
        .mark_line(point=True)
        .encode(
            x=alt.X("merit_decile:O", title="true merit decile (10 = best)"),
            y=alt.Y(
                "selection_probability:Q",
                title="chance of selection",
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color("strategy:N"),
        )
        .properties(width=_WIDTH, height=260)
    )
    return _finish(
        chart,
        id=id,
        title="Chance of selection by true merit",
        description="Similar merit should mean a similar chance: one line per strategy",
        table=_table(df, "Selection probability by merit decile"),
    )


def funnel_chart(funnel: pd.DataFrame, *, attribute: str, id: str) -> Chart:
    """Chart the selection rate at each stage, conditional on reaching it, by group.

    Parameters
    ----------
    funnel : DataFrame
        One attribute's funnel: ``stage, group, selection_rate, suppressed`` (and
        ``applicants, selected`` for the table), stages in order.
    attribute : str
        The group attribute, for the legend and the title.
    id : str
        The chart's id in the page.
    """
    every = funnel.copy()
    every["group"] = every["group"].astype(str)
    hidden = _withheld_rows(every)
    df = every.loc[~hidden].copy()
    stage_order = list(dict.fromkeys(every["stage"]))
    # a withheld point is named under the chart, never silently missing from its line
    gone = [
        f"{grp} at {', '.join(part['stage'].astype(str))}"
        for grp, part in every.loc[hidden].groupby("group", sort=False)
    ]
    title: alt.TitleParams | str = f"Funnel by {attribute}"
    if gone:
        title = alt.TitleParams(
            f"Funnel by {attribute}",
            subtitle=f"{WITHHELD_LABEL}: {'; '.join(gone)}",
            subtitleFontStyle="italic",
        )
    chart = (
        alt.Chart(df, title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X("stage:N", sort=stage_order),
            y=alt.Y("selection_rate:Q", title="rate given the previous stage"),
            color=alt.Color("group:N", title=attribute),
        )
        .properties(width=_WIDTH, height=240)
    )
    cols = [
        c for c in ("stage", "group", "applicants", "selected", "selection_rate") if c in every
    ]
    return _finish(
        chart,
        id=id,
        title=f"Funnel by {attribute}",
        description=f"Rate at each stage by {attribute}, among those who reached it"
        + (f"; withheld: {'; '.join(gone)}" if gone else ""),
        table=_table(_with_placeholders(every, cols), f"Funnel by {attribute}"),
    )


def sweep_heatmap(
    sweep: pd.DataFrame, *, x: str, y: str, value: str, facet: str | None = None, id: str
) -> Chart:
    """Draw a heatmap of one simulation metric over a two-parameter grid.

    Parameters
    ----------
    sweep : DataFrame
        One row per grid point (and ``facet`` value): the columns ``x``, ``y``, ``value``.
    x, y : str
        The grid parameters along each axis.
    value : str
        The column coloured.
    facet : str, optional
        A column to draw one panel per value of (the strategy).
    id : str
        The chart's id in the page.
    """
    df = sweep.copy()
    enc: dict[str, Any] = {
        "x": alt.X(f"{x}:O", title=words(x)),
        "y": alt.Y(f"{y}:O", title=words(y)),
        "color": alt.Color(f"{value}:Q", title=words(value), scale=alt.Scale(scheme="viridis")),
        "tooltip": [x, y, alt.Tooltip(f"{value}:Q", format=".3f")],
    }
    # Four strategy panels side by side must fit the page: keep each panel narrow.
    chart: alt.TopLevelMixin = (
        alt.Chart(df).mark_rect().encode(**enc).properties(width=110, height=90)
    )
    if facet is not None:
        chart = chart.facet(column=alt.Column(f"{facet}:N", title=words(facet)))  # type: ignore[attr-defined]
    cols = [c for c in (facet, x, y, value) if c is not None]
    return _finish(
        chart,
        id=id,
        title=f"{words(value).capitalize()} over {words(x)} × {words(y)}",
        description=f"Simulated {words(value)} for each combination of {words(x)} and {words(y)}",
        table=_table(df[cols], f"Sweep: {words(value)}"),
    )


def sweep_grid_chart(
    data: pd.DataFrame, *, parameters: Sequence[str], metric: str
) -> alt.FacetChart:
    """Return an Altair heatmap of a metric's mean over a sweep grid, one panel per strategy.

    The notebook view of :meth:`fairpanel.simulate.SweepResult.chart`: an Altair chart to
    show or save, not a report :class:`Chart` (the report draws :func:`sweep_heatmap`).

    Parameters
    ----------
    data : DataFrame
        One row per grid point and strategy: the ``parameters`` columns, then
        ``strategy``, ``mean`` and ``mc_se``.
    parameters : sequence of str
        One or two grid parameters: the first runs along x, the second (if any) along y.
    metric : str
        The metric the means are of, for the title and the colour legend.

    Returns
    -------
    altair.FacetChart
        Coloured cells labelled with the mean (two decimals), one column per strategy.
    """
    params = list(parameters)
    x = alt.X(f"{params[0]}:O", title=words(params[0]))
    enc: dict[str, Any] = {
        "x": x,
        "color": alt.Color("mean:Q", title=words(metric)),
        "tooltip": [*params, "strategy", "mean", "mc_se"],
    }
    if len(params) == 2:
        enc["y"] = alt.Y(f"{params[1]}:O", title=words(params[1]))
    base = alt.Chart(data).encode(**enc)
    text = base.mark_text(fontSize=10).encode(
        text=alt.Text("mean:Q", format=".2f"), color=alt.value("black")
    )
    return (
        alt.layer(base.mark_rect(), text)
        .properties(width=160, height=120)
        .facet(column=alt.Column("strategy:N", title=None))
        .properties(title=f"{words(metric)} (mean over replicates)")
    )
