"""The audit's tables for the report, each re-applying the minimum cell size.

Defence in depth: every table suppresses again what the audit suppressed, and a cell the
audit left visible but too small (a JSON made with a smaller minimum cell, a result
built by hand) never reaches a publishable page. :mod:`fairpanel.report._audit_section`
puts them in the section with their sentences.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from fairpanel._words import words
from fairpanel.audit._suppress import defensive_hidden
from fairpanel.report._model import Table
from fairpanel.report._text import fmt, pct, pct_span

__all__ = [
    "SUPPRESSED",
    "blank_hidden",
    "comparisons_table",
    "funnel_table",
    "groups_table",
    "lottery_table",
    "noted",
    "score_gaps_table",
    "strata_table",
    "stratum_rates_table",
    "suppress_funnel",
    "suppress_small",
]


SUPPRESSED = "suppressed"


#: Row key set by :func:`suppress_small`: the row's applicant count may be shown although
#: the row is suppressed (the audit withheld only its selected count).
_COUNT_SHOWN = "_applicants_shown"


def _cell(row: Mapping[str, Any], key: str, *, percent: bool = False) -> str:
    if row.get("suppressed") and not (key == "applicants" and row.get(_COUNT_SHOWN)):
        return SUPPRESSED
    return pct(row.get(key)) if percent else fmt(row.get(key))


def suppress_small(rows: list[dict[str, Any]], min_cell: int) -> list[dict[str, Any]]:
    """Defence in depth: never show a count below ``min_cell``, whatever the input says.

    The audit's own rule (:func:`fairpanel.audit._suppress.defensive_hidden`) applied to
    rows read from its JSON: a row left visible but too small is suppressed here, and so
    is the smallest other row, so the two cannot be recomputed from the total.
    """
    out = [dict(r) for r in rows]
    if not out:
        return out

    def count(row: Mapping[str, Any], key: str) -> int:
        value = row.get(key)
        return 0 if value is None else int(value)

    n = np.array([count(r, "applicants") for r in out], dtype=np.int64)
    k = np.array([count(r, "selected") for r in out], dtype=np.int64)
    hidden = defensive_hidden(
        n,
        k,
        min_cell,
        hidden=np.array([bool(r.get("suppressed")) for r in out]),
        # Rows without a selected count (lottery rows) are judged on applicants alone.
        k_known=np.array([r.get("selected") is not None for r in out]),
    )
    # A group withheld for its selected count keeps the applicant count the audit
    # published (the funnel shows it too): the same group is never a count in one table
    # and "suppressed" in the next. Only when the report hides no row of its own, since
    # a count shown beside a row hidden here could give that row back from the total.
    own = hidden & ~np.array([bool(r.get("suppressed")) for r in out])
    for row, hide in zip(out, hidden, strict=True):
        row["suppressed"] = bool(hide)
        row[_COUNT_SHOWN] = bool(hide) and not own.any() and row.get("applicants") is not None
    return out


def _pair(low: Any, high: Any, *, percent: bool = False) -> str:
    f = pct if percent else fmt
    return f"{f(low)} to {f(high)}"


def _rate_cells(row: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """Applicants, selected, rate and its 95% CI of one row, each suppressed as needed."""
    ci = _pair(row.get("rate_ci_low"), row.get("rate_ci_high"), percent=True)
    return (
        _cell(row, "applicants"),
        _cell(row, "selected"),
        _cell(row, "selection_rate", percent=True),
        SUPPRESSED if row.get("suppressed") else ci,
    )


def groups_table(attr: str, groups: list[dict[str, Any]]) -> Table:
    return Table(
        f"Selection by {words(attr)}",
        ("group", "applicants", "selected", "rate", "95% CI"),
        tuple((str(g["group"]), *_rate_cells(g)) for g in groups),
    )


def comparisons_table(attr: str, comparisons: list[dict[str, Any]], hidden: set[str]) -> Table:
    rows = []
    for c in comparisons:
        hide = c.get("suppressed") or c["group"] in hidden or c.get("reference") in hidden
        if hide or c.get("rate_difference") is None:
            rows.append((str(c["group"]), str(c.get("reference")), *[SUPPRESSED] * 6))
            continue
        air = fmt(c.get("adverse_impact_ratio"))
        rows.append(
            (
                str(c["group"]),
                str(c.get("reference")),
                f"{pct(c.get('rate_difference'))} "
                f"({pct_span(c.get('difference_ci_low'), c.get('difference_ci_high'))})",
                f"{fmt(c.get('rate_ratio'))} ({_pair(c.get('ratio_ci_low'), c.get('ratio_ci_high'))})",
                fmt(c.get("odds_ratio")),
                air + (" ⚑ below 4/5" if c.get("four_fifths_flag") else ""),
                words(c.get("test", "")),
                fmt(c.get("p_value")),
            )
        )
    return Table(
        f"{words(attr)}: each group against the reference",
        (
            "group",
            "reference",
            "difference (95% CI)",
            "ratio (95% CI)",
            "odds ratio",
            "adverse-impact ratio",
            "test",
            "p",
        ),
        tuple(rows),
    )


def strata_table(attr: str, strata: list[dict[str, Any]], hidden: set[str]) -> Table:
    rows = tuple(
        (
            str(s["group"]),
            str(s.get("reference")),
            f"{fmt(s.get('crude_odds_ratio'))}",
            f"{fmt(s.get('pooled_odds_ratio'))} ({_pair(s.get('ci_low'), s.get('ci_high'))})",
            fmt(s.get("p_value")),
            fmt(s.get("homogeneity_p_value")),
            "yes" if s.get("simpson_reversal") else "no",
        )
        for s in strata
        if s["group"] not in hidden and s.get("pooled_odds_ratio") is not None
    )
    return Table(
        f"{words(attr)}: adjusted for strata (Cochran–Mantel–Haenszel)",
        (
            "group",
            "reference",
            "crude odds ratio",
            "pooled odds ratio (95% CI)",
            "p",
            "strata agree? (homogeneity p)",
            "reverses within strata",
        ),
        rows,
        note="A pooled odds ratio on the other side of 1 from the crude one is Simpson's "
        "paradox: the aggregate difference comes from how groups spread over the strata.",
    )


def stratum_rates_table(attr: str, rates: list[dict[str, Any]], min_cell: int) -> Table:
    # Complementary suppression applies within each stratum: its groups share a total.
    shown: list[dict[str, Any]] = []
    for stratum in dict.fromkeys(r["stratum"] for r in rates):
        shown.extend(suppress_small([r for r in rates if r["stratum"] == stratum], min_cell))
    return Table(
        f"{words(attr)}: selection rate within each stratum",
        ("stratum", "group", "applicants", "selected", "rate", "95% CI"),
        tuple((str(r["stratum"]), str(r["group"]), *_rate_cells(r)) for r in shown),
        collapsed=len(shown) > 12,
    )


def lottery_table(
    attr: str, lottery: list[dict[str, Any]], summary: list[dict[str, Any]]
) -> Table:
    rows = tuple(
        (
            str(r["group"]),
            *(
                [SUPPRESSED] * 3
                if r.get("suppressed")
                else [
                    pct(r.get("expected_rate")),
                    pct(r.get("realized_rate")),
                    pct(r.get("p_air_below_four_fifths")),
                ]
            ),
        )
        for r in lottery
    )
    note = ""
    if summary:
        s0 = summary[0]
        how = (
            "exact"
            if s0.get("method") == "exact"
            else f"Monte Carlo, {s0.get('replicates')} draws, SE {pct(s0.get('mc_se'))}"
        )
        note = (
            "Chance that a draw shows some group below four fifths of the highest rate: "
            f"{pct(s0.get('p_any_air_below_four_fifths'))} ({how}). It counts the whole "
            "selection, including the part fixed before the draw."
        )
    return Table(
        f"{words(attr)}: expected (exact) and realized selection rates under the lottery",
        ("group", "expected rate", "realized rate", "chance of a ratio below 4/5 in a draw"),
        rows,
        note=note,
    )


def score_gaps_table(attr: str, gaps: list[dict[str, Any]]) -> Table:
    rows = tuple(
        (
            str(g["group"]),
            str(g.get("reference")),
            *(
                [SUPPRESSED] * 3
                if g.get("suppressed")
                else [
                    f"{fmt(g.get('difference'))} "
                    f"({_pair(g.get('difference_ci_low'), g.get('difference_ci_high'))})",
                    f"{fmt(g.get('hedges_g'))} ({_pair(g.get('g_ci_low'), g.get('g_ci_high'))})",
                    fmt(g.get("p_value")),
                ]
            ),
        )
        for g in gaps
    )
    return Table(
        f"{words(attr)}: calibrated scores by group",
        ("group", "reference", "score difference (95% CI)", "Hedges' g (95% CI)", "p"),
        rows,
    )


def blank_hidden(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the rows with every count the tables show as suppressed set to None."""
    out = []
    for r in rows:
        row = dict(r)
        if row.get("suppressed"):
            row["selected"] = None
            if not row.get(_COUNT_SHOWN):
                row["applicants"] = None
        out.append(row)
    return out


def noted(table: Table, gone: str) -> Table:
    """Add to a table's note which groups it could not assess and why."""
    if not gone:
        return table
    note = f"{gone[0].upper()}{gone[1:]}."
    return replace(table, note=f"{table.note} {note}".strip() if table.note else note)


def suppress_funnel(rows: list[dict[str, Any]], min_cell: int) -> list[dict[str, Any]]:
    # Complementary suppression works within one stage: its groups share a total.
    out: list[dict[str, Any]] = []
    for stage in dict.fromkeys(r["stage"] for r in rows):
        out.extend(suppress_small([r for r in rows if r["stage"] == stage], min_cell))
    return out


def funnel_table(attr: str, frame: pd.DataFrame) -> Table:
    records: list[dict[str, Any]] = frame.to_dict("records")  # type: ignore[assignment]
    rows = tuple(
        (
            str(r["stage"]),
            str(r["group"]),
            _cell(r, "applicants"),
            _cell(r, "selected"),
            _cell(r, "selection_rate", percent=True),
            _air(r),
        )
        for r in records
    )
    return Table(
        f"Funnel by {words(attr)}",
        ("stage", "group", "reached", "passed", "rate", "adverse-impact ratio"),
        rows,
    )


def _air(row: Mapping[str, Any]) -> str:
    """Show a stage's adverse-impact ratio, naming its reference group, with the flag."""
    text = _cell(row, "adverse_impact_ratio")
    if row.get("suppressed") or row.get("adverse_impact_ratio") is None:
        return text
    ref = row.get("reference")
    if ref is not None and not (isinstance(ref, float) and np.isnan(ref)):
        text += f" (vs {ref})"
    return text + (" ⚑ below 4/5" if row.get("four_fifths_flag") is True else "")
