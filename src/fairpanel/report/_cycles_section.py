"""The report's "Before and after" section, and what the audit could and could not see.

:func:`cycles_section` shows the rates per cycle with the process change marked, and
the change estimate in points with the assumption it rests on. :func:`precision_section`
gathers what makes a gap defensible: the adjusted gap in points within strata (and the
strata that disagree), the smallest gap each comparison could have detected, how many
comparisons were made and which survive adjustment, and the subgroup scan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from fairpanel._words import words
from fairpanel.report._audit_section import attribute_rows
from fairpanel.report._audit_tables import SUPPRESSED
from fairpanel.report._model import Section, Table
from fairpanel.report._text import fmt, pct, slug
from fairpanel.viz._cycle_chart import rate_by_cycle_chart

if TYPE_CHECKING:
    from fairpanel.audit import AuditResult

__all__ = ["cycles_section", "precision_section"]

ASSUMPTION = (
    "The change is read as a difference in differences: how much the gap after the change "
    "differs from the gap before it, on the log-odds scale, with each cycle's overall rate "
    "free to move. It assumes that without the change the gap would have stayed as it was; "
    "a gap already closing before the change would be counted as the change's doing, which "
    "is why the trend test is shown beside it."
)


def points(value: Any, digits: int = 1) -> str:
    """Format a difference in rates as points (−0.012 → ``−1.2 points``)."""
    text = fmt(value)
    if text == fmt(None):
        return text
    return f"{100 * float(value):+.{digits}f} points".replace("-", "−")


def _interval(lo: Any, hi: Any) -> str:
    low = points(lo).removesuffix(" points")
    return f"{low} to {points(hi)}"


def _cycle_rows(rows: list[dict[str, Any]]) -> Table:
    out = []
    for r in rows:
        hidden = r.get("suppressed") or r.get("selection_rate") is None
        out.append(
            (
                str(r["cycle"]),
                str(r.get("period") or ""),
                str(r["group"]),
                SUPPRESSED if r.get("applicants") is None else fmt(r["applicants"]),
                SUPPRESSED if hidden else fmt(r["selected"]),
                SUPPRESSED
                if hidden
                else f"{pct(r['selection_rate'])} ({pct(r['rate_ci_low'])}–{pct(r['rate_ci_high'])})",
            )
        )
    columns = ("cycle", "period", "group", "applicants", "selected", "rate (95% CI)")
    return Table("Selection per cycle", columns, tuple(out), collapsed=len(out) > 12)


def _change_sentences(attr: str, change: list[dict[str, Any]]) -> list[str]:
    out = []
    for c in change:
        who = f"{c['group']} against {c['reference']}"
        if c.get("suppressed"):
            out.append(
                f"By {words(attr)}, {who}: withheld, because a cycle's cell is too small to publish."
            )
            continue
        sentence = (
            f"By {words(attr)}, over {fmt(c.get('n_cycles'))} cycles, {c['group']}'s rate "
            f"differs from {c['reference']}'s by {points(c.get('pooled_risk_difference'))} (95% CI "
            f"{_interval(c.get('pooled_ci_low'), c.get('pooled_ci_high'))}), cycle by cycle; "
            f"the trend in the gap has p = {fmt(c.get('trend_p_value'))}."
        )
        if c.get("change_at") is not None:
            sentence += (
                f" Before {c['change_at']} the gap was {points(c.get('gap_before'))}, from then "
                f"on {points(c.get('gap_after'))}: the change moved {c['group']}'s rate by "
                f"{points(c.get('change_points'))} (95% CI "
                f"{_interval(c.get('change_ci_low'), c.get('change_ci_high'))}; odds ratio "
                f"{fmt(c.get('interaction_odds_ratio'))}, p = {fmt(c.get('p_value'))}, "
                f"adjusted p = {fmt(c.get('adjusted_p_value'))})."
            )
        out.append(sentence)
    return out


def cycles_section(audit: AuditResult) -> Section | None:
    """Build the "Before and after" section, or None when the audit has no cycles.

    Parameters
    ----------
    audit : AuditResult
        An audit run with a cycle column.
    """
    if not len(audit.cycles):
        return None
    paragraphs: list[str] = []
    tables: list[Table] = []
    charts = []
    changed = False
    for attr in audit.attributes:
        rows = attribute_rows(audit.cycles, attr)
        if not rows:
            continue
        change = attribute_rows(audit.change, attr)
        change_at = next((c["change_at"] for c in change if c.get("change_at")), None)
        changed = changed or change_at is not None
        order = list(dict.fromkeys(str(r["cycle"]) for r in rows))  # the audit's time order
        charts.append(
            rate_by_cycle_chart(
                pd.DataFrame(rows),
                attribute=words(attr),
                order=order,
                change_at=change_at,
                id=f"cycles-{slug(attr)}",
            )
        )
        paragraphs.extend(_change_sentences(attr, change))
        tables.append(_cycle_rows(rows))
    if changed:
        paragraphs.append(ASSUMPTION)
    title = "Before and after" if changed else "Across cycles"
    return Section("cycles", title, tuple(paragraphs), tables=tuple(tables), charts=tuple(charts))


def _strata_sentences(audit: AuditResult) -> list[str]:
    out = []
    for attr in audit.attributes:
        for s in attribute_rows(audit.strata, attr):
            if s.get("risk_difference") is None:
                continue
            sentence = (
                f"Within strata, {s['group']}'s rate is {points(s['risk_difference'])} against "
                f"{s['reference']}'s (Mantel–Haenszel, 95% CI "
                f"{_interval(s.get('risk_difference_ci_low'), s.get('risk_difference_ci_high'))})"
            )
            named = s.get("disagreeing_strata")
            sentence += (
                f"; the strata whose own interval leaves this out: {named}."
                if named
                else "; no stratum's own interval leaves it out."
            )
            out.append(sentence)
    return out


def _power_sentences(audit: AuditResult) -> list[str]:
    out = []
    for c in audit.comparisons.to_dict("records"):
        mdd = c.get("min_detectable_difference")
        if mdd is None or pd.isna(mdd):
            continue
        out.append(
            f"{words(c['attribute'])}: {c['group']} against {c['reference']}: only a gap of "
            f"{100 * float(mdd):.0f} points or more could have been detected (80% power, 5% level)."
        )
    return out


def _within_table(rows: list[dict[str, Any]]) -> Table:
    out = []
    for r in rows:
        if r.get("rate_difference") is None:
            out.append(
                (str(r["stratum"]), str(r["group"]), str(r["reference"]), *[SUPPRESSED] * 4)
            )
            continue
        out.append(
            (
                str(r["stratum"]),
                str(r["group"]),
                str(r["reference"]),
                f"{points(r['rate_difference'])} ({_interval(r.get('difference_ci_low'), r.get('difference_ci_high'))})",
                fmt(r.get("p_value")),
                fmt(r.get("adjusted_p_value")),
                fmt(r.get("disagrees")),
            )
        )
    columns: tuple[str, ...] = ("stratum", "group", "reference", "difference (95% CI)")
    columns += ("p (exact)", "adjusted p", "leaves out the pooled gap")
    return Table("Each stratum on its own", columns, tuple(out), collapsed=len(out) > 12)


def _scan_table(scan: pd.DataFrame) -> Table:
    rows = []
    for r in scan.to_dict("records"):
        hidden = bool(r.get("suppressed"))
        rows.append(
            (
                fmt(r["rank"]),
                str(r["subgroup"]),
                SUPPRESSED if hidden else fmt(r["applicants"]),
                SUPPRESSED if hidden else pct(r["selection_rate"]),
                pct(r["expected_rate"]),
                fmt(r["p_value"]),
            )
        )
    columns = ("rank", "subgroup", "applicants", "rate", "overall rate", "p (search-adjusted)")
    return Table("Where the rate departs most from the overall rate", columns, tuple(rows))


def precision_section(audit: AuditResult) -> Section | None:
    """Build "How sure, and how much looking": gaps in points, power, multiplicity, scan.

    Parameters
    ----------
    audit : AuditResult
        The audit.
    """
    paragraphs = _strata_sentences(audit) + _power_sentences(audit)
    fam = audit.multiplicity
    if len(fam):
        method = "Holm" if str(fam["method"].iloc[0]) == "holm" else "Benjamini–Hochberg"
        alive = fam[fam["survives"].astype(bool)]
        names = [
            f"{r['group'] if pd.notna(r['group']) else r['attribute']}"
            f"{' in ' + str(r['stratum']) if pd.notna(r['stratum']) else ''} ({words(r['table'])})"
            for r in alive.to_dict("records")
        ]
        paragraphs.append(
            f"{len(fam)} comparisons were made in all; after the {method} adjustment, "
            + (
                f"{len(alive)} survive{'s' if len(alive) == 1 else ''} at the 5% level: {', '.join(names)}."
                if len(alive)
                else "none survives at the 5% level."
            )
        )
    tables: list[Table] = []
    within = [r for a in audit.attributes for r in attribute_rows(audit.stratum_comparisons, a)]
    if within:
        tables.append(_within_table(within))
    scan = audit.subgroup_scan
    if len(scan):
        top = scan.iloc[0]
        paragraphs.append(
            f"Of {fmt(top['subgroups_searched'])} subgroups searched, {top['subgroup']} departs "
            f"most from the overall rate; counting the search, a departure this large would "
            f"arise by chance with p = {fmt(top['p_value'])}."
        )
        tables.append(_scan_table(scan))
    if not paragraphs:
        return None
    return Section(
        "precision", "How sure, and how much looking", tuple(paragraphs), tables=tuple(tables)
    )
