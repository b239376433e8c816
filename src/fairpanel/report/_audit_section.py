"""The audit's section of the report: rates, comparisons, strata, lotteries, funnels.

Every table re-applies the minimum cell size (defence in depth, in
:mod:`fairpanel.report._audit_tables`) so a cell the audit left visible but too small
never reaches a publishable page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from fairpanel._json import records
from fairpanel._words import words
from fairpanel.audit._assess import REASON_CELLS, not_assessable_text, unassessed
from fairpanel.report._audit_tables import (
    blank_hidden,
    comparisons_table,
    funnel_table,
    groups_table,
    lottery_table,
    noted,
    score_gaps_table,
    strata_table,
    stratum_rates_table,
    suppress_funnel,
    suppress_small,
)
from fairpanel.report._model import Chart, Section, Table
from fairpanel.report._text import fmt, pct, pct_span, slug
from fairpanel.viz import funnel_chart, rate_by_group_chart

if TYPE_CHECKING:
    from fairpanel.audit import AuditResult

__all__ = [
    "attribute_rows",
    "audit_section",
    "not_assessable",
    "reviewer_sentence",
]


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
            tables.append(noted(groups_table(attr, groups), gone))
        every = pd.DataFrame(blank_hidden(groups))
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
            tables.append(noted(comparisons_table(attr, comps, hidden), why))
        elif comps:
            why = not_assessable(audit, attr, ("rates", "comparisons"), extra=hidden,
                                 min_cell=min_cell)  # fmt: skip
            paragraphs.append(
                f"By {words(attr)}, no comparison between groups can be published: {why}."
            )
        strata = attribute_rows(audit.strata, attr)
        if strata:
            table = strata_table(attr, strata, hidden)
            if table.rows:
                tables.append(table)
            else:
                paragraphs.append(WITHHELD_STRATA.format(attr=words(attr)))
        stratum_rates = [
            r for r in attribute_rows(audit.stratum_rates, attr) if r["group"] not in hidden
        ]
        if stratum_rates:
            tables.append(stratum_rates_table(attr, stratum_rates, min_cell))
        lottery = attribute_rows(audit.lottery, attr)
        if lottery:
            tables.append(
                lottery_table(
                    attr,
                    suppress_small(lottery, min_cell),
                    attribute_rows(audit.lottery_summary, attr),
                )
            )
        score_gaps = attribute_rows(audit.score_gaps, attr)
        if score_gaps:
            why = not_assessable(audit, attr, ("score_gaps",))
            tables.append(noted(score_gaps_table(attr, score_gaps), why))
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
            frame = pd.DataFrame(blank_hidden(suppress_funnel(renamed, min_cell)))
            charts.append(funnel_chart(frame, attribute=words(attr), id=f"funnel-{slug(attr)}"))
            why = not_assessable(audit, attr, ("rates", "funnel"), extra=hidden, min_cell=min_cell)
            tables.append(noted(funnel_table(attr, frame), why))
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
