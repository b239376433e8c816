"""The audit's section of the report: rates, comparisons, strata, lotteries, funnels.

Every table re-applies the minimum cell size (defence in depth) so a cell the audit left
visible but too small never reaches a publishable page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from fairpanel._json import records
from fairpanel._words import words
from fairpanel.audit._assess import REASON_CELLS, not_assessable_text, unassessed
from fairpanel.audit._suppress import defensive_hidden
from fairpanel.report._model import Chart, Section, Table
from fairpanel.report._text import fmt, pct, pct_span, slug
from fairpanel.viz import funnel_chart, rate_by_group_chart

if TYPE_CHECKING:
    from fairpanel.audit import AuditResult

__all__ = [
    "SUPPRESSED",
    "attribute_rows",
    "audit_section",
    "not_assessable",
    "reviewer_sentence",
    "suppress_small",
]

SUPPRESSED = "suppressed"
WITHHELD_STRATA = (
    "By {attr}, the analysis within strata (Cochran–Mantel–Haenszel, homogeneity, "
    "regression) is withheld: it was fitted to cells too small to publish. Merging small "
    "strata or groups would let it be shown, and it may change the conclusion."
)


def attribute_rows(frame: pd.DataFrame, attribute: str) -> list[dict[str, Any]]:
    """Return one attribute's rows of an audit table as records (missing values None).

    Parameters
    ----------
    frame : DataFrame
        A table of :class:`~fairpanel.audit.AuditResult` (``groups``, ``strata``, ...).
    attribute : str
        The group attribute.
    """
    if frame.empty or "attribute" not in frame.columns:
        return []
    return records(frame[frame["attribute"] == attribute], drop=("attribute",))


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


def _groups_table(attr: str, groups: list[dict[str, Any]]) -> Table:
    return Table(
        f"Selection by {words(attr)}",
        ("group", "applicants", "selected", "rate", "95% CI"),
        tuple(
            (
                str(g["group"]),
                _cell(g, "applicants"),
                _cell(g, "selected"),
                _cell(g, "selection_rate", percent=True),
                SUPPRESSED
                if g.get("suppressed")
                else _pair(g.get("rate_ci_low"), g.get("rate_ci_high"), percent=True),
            )
            for g in groups
        ),
    )


def _comparisons_table(attr: str, comparisons: list[dict[str, Any]], hidden: set[str]) -> Table:
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


def _strata_table(attr: str, strata: list[dict[str, Any]], hidden: set[str]) -> Table:
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


def _stratum_rates_table(attr: str, rates: list[dict[str, Any]], min_cell: int) -> Table:
    # Complementary suppression applies within each stratum: its groups share a total.
    shown: list[dict[str, Any]] = []
    for stratum in dict.fromkeys(r["stratum"] for r in rates):
        shown.extend(suppress_small([r for r in rates if r["stratum"] == stratum], min_cell))
    return Table(
        f"{words(attr)}: selection rate within each stratum",
        ("stratum", "group", "applicants", "selected", "rate", "95% CI"),
        tuple(
            (
                str(r["stratum"]),
                str(r["group"]),
                _cell(r, "applicants"),
                _cell(r, "selected"),
                _cell(r, "selection_rate", percent=True),
                SUPPRESSED
                if r.get("suppressed")
                else _pair(r.get("rate_ci_low"), r.get("rate_ci_high"), percent=True),
            )
            for r in shown
        ),
        collapsed=len(shown) > 12,
    )


def _lottery_table(
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


def _score_gaps_table(attr: str, gaps: list[dict[str, Any]]) -> Table:
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


def not_assessable(
    audit: AuditResult,
    attr: str,
    views: tuple[str, ...],
    *,
    extra: set[str] | None = None,
    min_cell: int | None = None,
) -> str:
    """Name the groups of ``attr`` the ``views`` could not assess, with the reasons.

    Parameters
    ----------
    audit : AuditResult
        The audit.
    attr : str
        The group attribute.
    views : tuple of str
        Views of :func:`fairpanel.audit._assess.unassessed` (``"rates"``, ...).
    extra : set of str, optional
        Groups the report withholds besides (its own minimum cell), named as rates.
    min_cell : int, optional
        The report's minimum cell, the reason ``extra`` groups are withheld (default:
        the audit's).
    """
    un = unassessed(audit)
    part = un[(un["attribute"] == attr) & un["view"].isin(views)]
    more = sorted((extra or set()) - set(part.loc[part["view"] == "rates", "group"]))
    if more and "rates" in views:
        reason = REASON_CELLS.format(min_cell=audit.min_cell if min_cell is None else min_cell)
        added = pd.DataFrame({"attribute": attr, "view": "rates", "group": more, "reason": reason})
        part = pd.concat([part, added], ignore_index=True)
    return not_assessable_text(part)


def reviewer_sentence(audit: AuditResult, attr: str) -> str | None:
    """Say what the reviewer gaps found for ``attr``, naming the groups they could not assess.

    Silence is not a finding: a group none of whose reviewer rows could be published
    is named as not assessable, never folded into "no reviewer scores one group
    differently". Reviewers are counted, not named (which ones is for the committee).

    Parameters
    ----------
    audit : AuditResult
        The audit.
    attr : str
        The group attribute.
    """
    rows = attribute_rows(audit.reviewer_gaps, attr)
    if not rows:
        return None
    shown = list(dict.fromkeys(str(r["group"]) for r in rows if not r.get("suppressed")))
    flagged = [r for r in rows if r.get("flagged")]
    gone = not_assessable(audit, attr, ("reviewer_gaps",))
    if not shown:
        return f"By {words(attr)}, reviewer gaps could not be assessed for any group: {gone}."
    among = f"among reviewers with at least {audit.min_cell} reviews of a group"
    if not flagged:
        text = (
            f"By {words(attr)}: for {', '.join(shown)}, no reviewer ({among}) scores the group "
            "differently from the rest of the panel beyond chance (after correcting for "
            "multiple comparisons)"
        )
    else:
        text = (
            f"By {words(attr)}: {len(flagged)} reviewer × group "
            f"combination{'s' if len(flagged) > 1 else ''} ({among}) score that group "
            "differently from the rest of the panel beyond chance (after correcting for "
            "multiple comparisons); the audit file names them for the committee"
        )
    return text + (f". {gone[0].upper()}{gone[1:]}." if gone else ".")


def audit_section(audit: AuditResult, *, min_cell: int, describes: str | None = None) -> Section:
    """Show selection rates, comparisons with the reference group, strata and funnels."""
    tables: list[Table] = []
    charts: list[Chart] = []
    paragraphs = [
        "Rates are shown with 95% intervals. The reference group is the one with the "
        "highest rate among groups large enough to publish, unless the committee named "
        "another. A difference whose interval includes zero is compatible with chance."
    ]
    if describes:
        paragraphs.append(f"These outcomes are those of {describes}.")
    # The audit's own notes say why a table is withheld and what would let it be shown.
    paragraphs.extend(_plain_note(str(note), audit.attributes) for note in audit.notes)
    for attr in audit.attributes:
        groups = suppress_small(attribute_rows(audit.groups, attr), min_cell)
        hidden = {g["group"] for g in groups if g.get("suppressed")}
        gone = not_assessable(audit, attr, ("rates",), extra=hidden, min_cell=min_cell)
        if any(g.get("selected") is not None or g.get("suppressed") for g in groups):
            tables.append(_noted(_groups_table(attr, groups), gone))
        every = pd.DataFrame(_blank_hidden(groups))
        has_rates = len(every) and "rate_ci_low" in every
        if has_rates and every.loc[~every["suppressed"], "selection_rate"].notna().any():
            # withheld groups stay in the chart as labelled placeholders
            charts.append(
                rate_by_group_chart(every, attribute=words(attr), id=f"rate-{slug(attr)}")
            )
        comps = attribute_rows(audit.comparisons, attr)
        if any(c.get("rate_difference") is not None for c in comps):
            why = not_assessable(
                audit, attr, ("rates", "comparisons"), extra=hidden, min_cell=min_cell
            )
            tables.append(_noted(_comparisons_table(attr, comps, hidden), why))
        elif comps:
            why = not_assessable(audit, attr, ("rates", "comparisons"), extra=hidden,
                                 min_cell=min_cell)  # fmt: skip
            paragraphs.append(
                f"By {words(attr)}, no comparison between groups can be published: {why}."
            )
        strata = attribute_rows(audit.strata, attr)
        if strata:
            table = _strata_table(attr, strata, hidden)
            if table.rows:
                tables.append(table)
            else:
                paragraphs.append(WITHHELD_STRATA.format(attr=words(attr)))
        stratum_rates = [
            r for r in attribute_rows(audit.stratum_rates, attr) if r["group"] not in hidden
        ]
        if stratum_rates:
            tables.append(_stratum_rates_table(attr, stratum_rates, min_cell))
        lottery = attribute_rows(audit.lottery, attr)
        if lottery:
            tables.append(
                _lottery_table(
                    attr,
                    suppress_small(lottery, min_cell),
                    attribute_rows(audit.lottery_summary, attr),
                )
            )
        score_gaps = attribute_rows(audit.score_gaps, attr)
        if score_gaps:
            why = not_assessable(audit, attr, ("score_gaps",))
            tables.append(_noted(_score_gaps_table(attr, score_gaps), why))
        spread = attribute_rows(audit.spread, attr)
        if spread and spread[0].get("ci_low") is not None and len(groups) > 2:
            s0 = spread[0]
            tests = attribute_rows(audit.tests, attr)
            p = tests[0].get("p_value") if tests else None
            paragraphs.append(
                f"By {words(attr)}, the highest selection rate ({s0['highest']}) is "
                f"{pct(s0.get('estimate'))} above the lowest ({s0['lowest']}); 95% interval "
                f"{pct_span(s0.get('ci_low'), s0.get('ci_high'))}, simultaneous over "
                f"the {s0.get('pairs')} pairs of groups"
                + (f" (test of equal rates: p = {fmt(p)})." if p is not None else ".")
            )
        sentence = reviewer_sentence(audit, attr)
        if sentence is not None:
            paragraphs.append(sentence)
        funnel = attribute_rows(audit.funnel, attr)
        if funnel:
            names = {"reached": "applicants", "passed": "selected", "pass_rate": "selection_rate"}
            renamed = [{names.get(k, k): v for k, v in row.items()} for row in funnel]
            frame = pd.DataFrame(_blank_hidden(_suppress_funnel(renamed, min_cell)))
            charts.append(funnel_chart(frame, attribute=words(attr), id=f"funnel-{slug(attr)}"))
            why = not_assessable(audit, attr, ("rates", "funnel"), extra=hidden, min_cell=min_cell)
            tables.append(_noted(_funnel_table(attr, frame), why))
            below = [
                f"{r['group']} at {r['stage']} ({fmt(r.get('adverse_impact_ratio'))} of "
                f"{r.get('reference')}'s rate)"
                for r in funnel
                if r.get("four_fifths_flag") is True and not r.get("suppressed")
            ]
            if below:
                paragraphs.append(
                    f"Funnel by {words(attr)}: below four-fifths of the reference group's pass "
                    f"rate: {'; '.join(below)}."
                )
    return Section("audit", "Outcomes by group", tuple(paragraphs), tuple(tables), tuple(charts))


def _plain_note(note: str, attributes: Sequence[str]) -> str:
    """Name the attributes of an audit note in words (``career_stage`` → ``career stage``)."""
    for attr in sorted(attributes, key=len, reverse=True):
        note = note.replace(str(attr), words(attr))
    return note


def _blank_hidden(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
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


def _noted(table: Table, gone: str) -> Table:
    """Add to a table's note which groups it could not assess and why."""
    if not gone:
        return table
    note = f"{gone[0].upper()}{gone[1:]}."
    return replace(table, note=f"{table.note} {note}".strip() if table.note else note)


def _suppress_funnel(rows: list[dict[str, Any]], min_cell: int) -> list[dict[str, Any]]:
    # Complementary suppression works within one stage: its groups share a total.
    out: list[dict[str, Any]] = []
    for stage in dict.fromkeys(r["stage"] for r in rows):
        out.extend(suppress_small([r for r in rows if r["stage"] == stage], min_cell))
    return out


def _funnel_table(attr: str, frame: pd.DataFrame) -> Table:
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
