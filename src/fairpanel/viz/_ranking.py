"""The ranking chart: expected ranks with intervals, the funding line the rule used, any size.

The line drawn is the line the selection rule used, given by the caller with what it
means (the partial lottery's expected rank of the k-th place; between the last funded
and the first unfunded submission for a ranking), and the shaded zone is the zone the
lottery drew in, so that what the chart shows is what was done.

A panel of thousands of submissions cannot be drawn one row each (the Vega conversion
overflowed its stack near 1,450 rows, and Altair refuses 5,000): past
:data:`DETAIL_ROWS` submissions the chart shows the rows around the funding line, one
by one, above a binned overview of the whole ranking; its marks are bounded whatever
the panel's size, and so is its table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import altair as alt
import numpy as np
import pandas as pd

from fairpanel.viz._charts import _WIDTH, _finish, _table
from fairpanel.viz._model import Chart

__all__ = ["DETAIL_ROWS", "OVERVIEW_BINS", "caterpillar_chart", "whole_ranks"]

#: Most submissions drawn one row each: 200 rows of 12 px fill a screen and a printed
#: page, and Vega draws them in well under a second.
DETAIL_ROWS: Final = 200
#: Bars of the overview of a large panel (one per block of expected ranks).
OVERVIEW_BINS: Final = 40

_ZONES: Final = ["ranked", "lottery"]
_COLOURS: Final = ["#4c78a8", "#e45756"]
_COLS: Final = [
    "submission_id",
    "expected_rank",
    "rank_lo50",
    "rank_hi50",
    "rank_lo90",
    "rank_hi90",
]


def whole_ranks(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the frame with its rank bounds as whole ranks, widened outwards.

    A bound from interpolated quantiles (rank 3.5) is not a rank a reader can name:
    the lower bound is rounded down and the upper up, so the interval shown still
    holds the one computed.

    Parameters
    ----------
    frame : DataFrame
        A score table, or part of one, with any of the ``rank_lo*`` / ``rank_hi*`` columns.
    """
    out = frame.copy()
    for col in out.columns:
        if col.startswith(("rank_lo", "rank_hi")):
            values = pd.to_numeric(out[col], errors="coerce").to_numpy(dtype=float)
            whole = np.floor(values) if col.startswith("rank_lo") else np.ceil(values)
            out[col] = pd.array(whole, dtype="Int64")
    return out


def _window(df: pd.DataFrame, line: float | None) -> pd.DataFrame:
    """Return the :data:`DETAIL_ROWS` submissions nearest the funding line, best first."""
    ordered = df.sort_values(["expected_rank", "submission_id"], kind="stable")
    if len(ordered) <= DETAIL_ROWS:
        return ordered
    centre = 0 if line is None else int(np.searchsorted(ordered["expected_rank"], line))
    start = min(max(centre - DETAIL_ROWS // 2, 0), len(ordered) - DETAIL_ROWS)
    return ordered.iloc[start : start + DETAIL_ROWS]


def _overview(
    df: pd.DataFrame, line_layers: list[alt.Chart], window: pd.DataFrame
) -> alt.LayerChart:
    """How many submissions lie in each block of expected ranks, lottery entrants apart."""
    lo, hi = float(df["expected_rank"].min()), float(df["expected_rank"].max())
    edges = np.linspace(lo, hi, OVERVIEW_BINS + 1)
    which = np.clip(np.searchsorted(edges, df["expected_rank"], side="right") - 1, 0, None)
    which = np.minimum(which, OVERVIEW_BINS - 1)
    counts = (
        pd.DataFrame({"bin": which, "zone": df["zone"].to_numpy()})
        .groupby(["bin", "zone"])
        .size()
        .rename("submissions")
        .reset_index()
    )
    counts["from"] = edges[counts["bin"]]
    counts["to"] = edges[counts["bin"] + 1]
    colour = alt.Color("zone:N", scale=alt.Scale(domain=_ZONES, range=_COLOURS), title="")
    bars = (
        alt.Chart(counts)
        .mark_bar(opacity=0.8)
        .encode(
            x=alt.X(
                "from:Q",
                title="expected rank (1 = best), all submissions",
                scale=alt.Scale(nice=False, zero=False),
            ),
            x2="to:Q",
            y=alt.Y("sum(submissions):Q", title="submissions", stack=True),
            color=colour,
        )
    )
    shown = pd.DataFrame(
        {
            "from": [float(window["expected_rank"].min())],
            "to": [float(window["expected_rank"].max())],
        }
    )
    detail = alt.Chart(shown).mark_rect(color="#999", opacity=0.15).encode(x="from:Q", x2="to:Q")
    return alt.LayerChart(layer=[detail, bars, *line_layers], width=_WIDTH, height=110)


def caterpillar_chart(
    scores: pd.DataFrame,
    *,
    funding_line: float | None = None,
    line_label: str = "",
    lottery_ids: Sequence[str] = (),
    id: str = "caterpillar",
) -> Chart:
    """Chart the expected rank of each submission with its 50% and 90% intervals (the SNSF figure).

    Parameters
    ----------
    scores : DataFrame
        The score table (``submission_id, expected_rank, rank_lo50, rank_hi50,
        rank_lo90, rank_hi90``).
    funding_line : float, optional
        Where the rule drew its line, on the expected-rank axis: drawn dashed and
        labelled with ``line_label``.
    line_label : str
        The line's value and meaning, as the chart shows it (e.g. "funding line 78.8:
        the expected rank of the 60th place").
    lottery_ids : sequence of str
        The submissions the lottery drew among: coloured, and their span of expected
        ranks shaded as the lottery zone.
    id : str, default "caterpillar"
        The chart's id in the page.

    Returns
    -------
    Chart
        Past :data:`DETAIL_ROWS` submissions, the rows nearest the line above a binned
        overview; the table behind the chart holds the rows drawn.
    """
    df = scores[_COLS].copy()
    df["submission_id"] = df["submission_id"].astype(str)
    lottery = set(map(str, lottery_ids))
    df["zone"] = np.where(df["submission_id"].isin(lottery), "lottery", "ranked")
    window = _window(df, funding_line)
    partial = len(window) < len(df)
    order = window["submission_id"].tolist()
    height = max(160, min(12 * len(window), 900))
    # Past ~80 rows the ids cannot be read; the table behind the chart lists them.
    many = len(window) > 80
    y = alt.Y(
        "submission_id:N",
        sort=order,
        title="submissions, best first" if many else "submission",
        axis=alt.Axis(labels=not many, ticks=not many, labelLimit=120),
    )
    base = alt.Chart(window).encode(y=y)
    colour = alt.Color("zone:N", scale=alt.Scale(domain=_ZONES, range=_COLOURS), title="")
    wide = base.mark_rule(opacity=0.45).encode(
        x=alt.X("rank_lo90:Q", title="rank (1 = best)"), x2="rank_hi90:Q", color=colour
    )
    narrow = base.mark_rule(strokeWidth=3).encode(x="rank_lo50:Q", x2="rank_hi50:Q", color=colour)
    point = base.mark_point(filled=True, color="black", size=18).encode(
        x="expected_rank:Q",
        tooltip=["submission_id", alt.Tooltip("expected_rank:Q", format=".1f")],
    )
    zone_layers: list[alt.Chart] = []
    entrants = df.loc[df["zone"] == "lottery", "expected_rank"]
    if len(entrants):
        span = pd.DataFrame({"from": [entrants.min()], "to": [entrants.max()]})
        zone_layers.append(
            alt.Chart(span).mark_rect(color="#e45756", opacity=0.08).encode(x="from:Q", x2="to:Q")
        )
    line_layers: list[alt.Chart] = []
    if funding_line is not None:
        line = pd.DataFrame({"funding_line": [funding_line], "label": [line_label]})
        rule = alt.Chart(line).mark_rule(color="#333", strokeDash=[4, 3], strokeWidth=1.5)
        line_layers.append(rule.encode(x="funding_line:Q"))
        text = alt.Chart(line).mark_text(align="left", dx=4, dy=8, fontSize=11, color="#333")
        line_layers.append(text.encode(x="funding_line:Q", y=alt.value(0), text="label:N"))
    detail = alt.layer(*zone_layers, wide, narrow, point, *line_layers).properties(
        width=_WIDTH, height=height
    )
    chart: alt.TopLevelMixin = detail
    if partial:
        chart = alt.vconcat(_overview(df, line_layers[:1], window), detail)
    caption = "Expected ranks with intervals"
    # Without a line the window is the best-ranked: say so, not "nearest the line".
    which = "nearest the funding line" if funding_line is not None else "ranked best"
    if partial:
        caption += (
            f": the {len(window)} submissions {which}, of {len(df)} "
            "(every submission is in the score table)"
        )
    description = "Expected rank (dot) with 50% (thick) and 90% (thin) credible intervals"
    if funding_line is not None:
        description += f"; the dashed line is the {line_label or 'funding line'}"
    if len(entrants):
        description += f"; the shaded band is the lottery zone ({len(entrants)} entrants)"
    if partial:
        description += (
            f". Above: all {len(df)} submissions in blocks of expected rank (grey: the "
            f"{len(window)} drawn below, those {which})"
        )
    return _finish(
        chart,
        id=id,
        title="Ranking with uncertainty",
        description=description,
        table=_table(whole_ranks(window.drop(columns="zone")), caption),
    )
