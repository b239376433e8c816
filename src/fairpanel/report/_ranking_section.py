"""The ranking section: expected ranks, and the funding line the rule actually used.

The line on the chart is the rule's own (issue 11): the partial lottery's is the
expected rank of the k-th place (Heyard et al. 2022), where every submission whose
interval lies wholly above it is funded and every one whose interval crosses it enters
the lottery; a ranking's lies between the last funded and the first unfunded
submission. A rule with no line on the rank axis (a lottery among all, tiers, a model)
gets none, and says so. The zone shaded is the allocation's own lottery zone.

Panels scored each on their own (``score --panel-col``) rank within their panel: one
chart across them would draw one line at a rank that means something else in every
panel, so each panel gets its own chart, its own allocation rows and its own line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel.report._model import Section
from fairpanel.viz import caterpillar_chart

__all__ = ["ERR_NO_RANKS", "RuleLine", "interval_span", "ranking_section", "rule_line"]

ERR_NO_RANKS = "the score table has no {columns} column, which the ranking chart draws"
HINT_NO_RANKS = "give the score table 'fairpanel score' wrote"
_RANK_COLUMNS: Final = ("expected_rank", "rank_lo50", "rank_hi50", "rank_lo90", "rank_hi90")

#: The order in which allocations are preferred for the chart: the rules that draw a line
#: on the rank axis first, the partial lottery's (defined by rank uncertainty) before all.
_PREFERRED: Final = ("partial-lottery", "rank")


@dataclass(frozen=True)
class RuleLine:
    """Where one allocation's rule drew its line on the expected-rank axis, and why.

    ``value`` is None for a rule without one; ``label`` is the chart's short text and
    ``meaning`` the sentence the report prints; ``lottery`` the ids drawn among.
    """

    strategy: str
    value: float | None
    label: str
    meaning: str
    lottery: tuple[str, ...]


def _ordinal(k: int) -> str:
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def _strategy(alloc: pd.DataFrame) -> str:
    return str(alloc["strategy"].iloc[0]) if "strategy" in alloc and len(alloc) else ""


def rule_line(alloc: pd.DataFrame, scores: pd.DataFrame) -> RuleLine:
    """Return the line one allocation's rule used, on the expected-rank axis of ``scores``.

    Parameters
    ----------
    alloc : DataFrame
        An allocation table (``submission_id, strategy, tier, selected``; the partial
        lottery's also ``funding_line``).
    scores : DataFrame
        The score table (``submission_id, expected_rank``).

    Returns
    -------
    RuleLine
    """
    strategy = _strategy(alloc)
    selected = alloc["selected"].astype(bool).to_numpy()
    lottery = tuple(alloc.loc[alloc["tier"] == "lottery", "submission_id"].astype(str))
    places = int(selected.sum())
    if strategy == "partial-lottery" and "funding_line" in alloc and len(alloc):
        value = float(alloc["funding_line"].iloc[0])
        if math.isfinite(value):
            return RuleLine(
                strategy,
                value,
                f"funding line {value:.1f}: expected rank of the {_ordinal(places)} place",
                f"The dashed line is the partial lottery's funding line, expected rank "
                f"{value:.1f}: the expected rank of the submission in the {_ordinal(places)} "
                "place. Submissions whose interval lies wholly above it were funded; those "
                "whose interval crosses it entered the lottery.",
                lottery,
            )
    ranks = scores.set_index(scores["submission_id"].astype(str))["expected_rank"]
    er = ranks.reindex(alloc["submission_id"].astype(str)).to_numpy(dtype=float)
    known = ~np.isnan(er)  # an allocated id missing from the scores has no rank
    if strategy == "rank" and (selected & known).any() and (~selected & known).any():
        last = float(er[selected & known].max())
        first = float(er[~selected & known].min())
        value = (last + first) / 2
        meaning = (
            f"The dashed line is the ranking's funding line, expected rank {value:.1f}: "
            f"between the last funded submission (expected rank {last:.1f}) and the first "
            f"not funded ({first:.1f})."
        )
        if last > first:
            meaning += (
                " The ranking funds by calibrated score, whose order differs here from the "
                "order of expected ranks, so some funded dots lie past the line."
            )
        label = f"funding line {value:.1f}: between the {_ordinal(places)} and next place"
        return RuleLine(strategy, value, label, meaning, lottery)
    meaning = f"The {strategy or 'selection'} rule draws no line on the rank axis" + (
        ": its lottery entrants are shown in red." if lottery else "."
    )
    return RuleLine(strategy, None, "", meaning, lottery)


def _aggregate_section(scores: pd.DataFrame, line: RuleLine | None) -> Section:
    """Build the ranking section of a report that lists no applicant: counts and widths."""
    paragraphs = [
        f"{len(scores)} submissions were ranked. This report shows no individual rank, by "
        "the committee's choice: the score table holds them. The median 90% rank interval "
        f"spans {interval_span(scores)} ranks: neighbours within that distance cannot "
        "honestly be told apart.",
    ]
    if line is not None and line.value is not None:
        # The rule's own sentence speaks of the chart; without it, the line alone.
        paragraphs.append(line.meaning.replace("The dashed line is", "The rule's line is"))
    if line is not None and line.lottery:
        paragraphs.append(
            f"{len(line.lottery)} submissions formed the lottery zone the draw was made in."
        )
    return Section("ranking", "The ranking and its uncertainty", tuple(paragraphs))


def interval_span(scores: pd.DataFrame) -> int:
    """Return how many whole ranks a typical (median) 90% rank interval spans.

    The summary and the ranking section both quote it, so they say the same number: an
    interval from rank 3 to rank 7 spans five ranks, its ends widened to whole ranks.

    Parameters
    ----------
    scores : DataFrame
        The score table (``rank_lo90, rank_hi90``).
    """
    lo = np.floor(scores["rank_lo90"].to_numpy(dtype=float))
    hi = np.ceil(scores["rank_hi90"].to_numpy(dtype=float))
    return round(float(np.median(hi - lo + 1)))


def _chosen(allocations: Sequence[pd.DataFrame]) -> pd.DataFrame | None:
    for name in _PREFERRED:
        for alloc in allocations:
            if _strategy(alloc) == name:
                return alloc
    with_lottery = [a for a in allocations if "tier" in a and (a["tier"] == "lottery").any()]
    candidates = with_lottery or list(allocations)
    return candidates[0] if candidates else None


def _panel_section(
    scores: pd.DataFrame, allocations: Sequence[pd.DataFrame], panel_col: str
) -> Section:
    """One chart and one line per panel: ranks within a panel, places within a panel."""
    labels = scores[panel_col].astype("str")
    names = sorted(pd.unique(labels))
    paragraphs = [
        f"{len(scores)} submissions in {len(names)} panels (by {panel_col.replace('_', ' ')}) "
        "were each ranked within their own panel, so a rank is comparable only inside its "
        "panel; each panel's chart shows its own ranking and the line its own rule drew. "
        f"The median 90% interval spans {interval_span(scores)} ranks.",
    ]
    charts = []
    for i, name in enumerate(names, start=1):
        part = scores[(labels == name).to_numpy()].reset_index(drop=True)
        ids = set(part["submission_id"].astype(str))
        mine = [a[a["submission_id"].astype(str).isin(ids)] for a in allocations]
        alloc = _chosen([a for a in mine if len(a)])
        line = None if alloc is None else rule_line(alloc, part)
        chart = caterpillar_chart(
            part,
            funding_line=None if line is None else line.value,
            line_label="" if line is None else line.label,
            lottery_ids=() if line is None else line.lottery,
            id=f"caterpillar-panel-{i}",
        )
        charts.append(replace(chart, title=f"Panel {name}: {chart.title}"))
        said = "" if line is None else " " + line.meaning.replace("The dashed line", "Its line")
        paragraphs.append(f"Panel {name}: {len(part)} submissions.{said}")
    return Section(
        "ranking", "The ranking and its uncertainty", tuple(paragraphs), charts=tuple(charts)
    )


def ranking_section(
    scores: pd.DataFrame,
    allocations: Sequence[pd.DataFrame],
    *,
    individual: bool = True,
    panel_col: str | None = None,
) -> Section:
    """Show the ranking with its uncertainty and the funding line the rule used.

    Parameters
    ----------
    scores : DataFrame
        The score table.
    allocations : sequence of DataFrame
        The allocations of the report: the line and the lottery zone drawn are those of
        the partial lottery if there is one, else the ranking, else the first with a
        lottery zone.
    individual : bool, default True
        Draw each submission's rank (the chart names them); False for a report that
        must not list applicants: the section then says only how wide the intervals
        are and where the line fell.
    panel_col : str, optional
        The scores' panel column when panels were ranked each on its own: one chart,
        one set of allocation rows and one line per panel.

    Returns
    -------
    Section
    """
    missing = [c for c in _RANK_COLUMNS if c not in scores.columns]
    if missing:
        raise FairpanelInputError(
            ERR_NO_RANKS.format(columns=", ".join(missing)), hint=HINT_NO_RANKS
        )
    alloc = _chosen(allocations)
    line = None if alloc is None else rule_line(alloc, scores)
    if not individual:
        return _aggregate_section(scores, line)
    if panel_col is not None and panel_col in scores.columns:
        return _panel_section(scores, allocations, panel_col)
    chart = caterpillar_chart(
        scores,
        funding_line=None if line is None else line.value,
        line_label="" if line is None else line.label,
        lottery_ids=() if line is None else line.lottery,
    )
    n = len(scores)
    paragraphs = [
        f"{n} submissions were ranked. Each dot is a submission's expected rank; the bars "
        "show the ranks it could plausibly have. The median 90% interval spans "
        f"{interval_span(scores)} ranks: neighbours within that distance cannot honestly be "
        "told apart.",
    ]
    if line is not None:
        zone = (
            f" The {len(line.lottery)} submissions in red, in the shaded band, form the "
            "lottery zone the draw was made in."
            if line.lottery
            else ""
        )
        paragraphs.append(line.meaning + zone)
    if n > len(chart.fallback.rows):
        which = (
            "nearest the funding line"
            if line is not None and line.value is not None
            else "ranked best"
        )
        paragraphs.append(
            f"With {n} submissions the chart draws the {len(chart.fallback.rows)} {which} one "
            "by one, under an overview of all of them in blocks of expected rank; every "
            "submission's expected rank and intervals are in the score table."
        )
    return Section(
        "ranking", "The ranking and its uncertainty", tuple(paragraphs), charts=(chart,)
    )
