"""Section builders: one per kind of result, each from the JSON its command writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from fairpanel.report._charts import (
    funnel_chart,
    probability_vs_merit_chart,
    rate_by_group_chart,
    sweep_heatmap,
)
from fairpanel.report._model import Chart, Section, Table
from fairpanel.report._text import fmt, pct
from fairpanel.rubric import Rubric

__all__ = [
    "audit_section",
    "certificate_section",
    "methods_section",
    "ml_section",
    "rubric_section",
    "simulation_section",
    "strategies_section",
]

SUPPRESSED = "suppressed"


def rubric_section(rubric: Rubric) -> Section:
    """Show the rubric as handed to applicants: criteria, weights, levels and bands."""
    direction = "higher is better" if rubric.scale.higher_is_better else "lower is better"
    paragraphs = [p for p in (rubric.purpose,) if p]
    paragraphs.append(
        f"Reviewers score each criterion from {rubric.scale.min} to {rubric.scale.max} "
        f"({direction}). A review's total is the weighted mean of its criterion scores."
    )
    weights = rubric.weights
    criteria = Table(
        "Criteria",
        ("criterion", "weight", "what it asks"),
        tuple((c.title, pct(weights[c.id], 0), c.asks) for c in rubric.criteria),
    )
    levels = tuple(
        Table(
            f"{c.title}: levels",
            ("level", "what the reviewer sees in the submission"),
            tuple(
                (f"{lvl.value}" + (f" – {lvl.label}" if lvl.label else ""), lvl.descriptor)
                for lvl in c.levels
            ),
        )
        for c in rubric.criteria
    )
    comparison = "≥" if rubric.scale.higher_is_better else "≤"
    bands = Table(
        "Holistic bands",
        ("band", "total", "meaning"),
        tuple((b.name, f"{comparison} {fmt(b.threshold)}", b.descriptor) for b in rubric.bands),
    )
    if rubric.notes:
        paragraphs.append(rubric.notes)
    return Section(
        "rubric", f"The rubric: {rubric.name}", tuple(paragraphs), (criteria, *levels, bands)
    )


def strategies_section(allocations: Sequence[pd.DataFrame]) -> Section:
    """Show who each strategy selects, in which tier, with exact selection probabilities."""
    summary_rows = []
    tables: list[Table] = []
    for alloc in allocations:
        name = str(alloc["strategy"].iloc[0]) if len(alloc) else "?"
        tiers = alloc["tier"].value_counts()
        summary_rows.append(
            (
                name,
                str(int(alloc["selected"].astype(bool).sum())),
                str(int(tiers.get("funded", 0))),
                str(int(tiers.get("lottery", 0))),
                str(int(tiers.get("rejected", 0))),
                fmt(float(alloc["selection_probability"].to_numpy(dtype=float).sum())),
            )
        )
        shown = alloc.loc[alloc["selection_probability"] > 0].sort_values(
            ["selection_probability", "submission_id"], ascending=[False, True]
        )
        rows = tuple(
            (
                str(r["submission_id"]),
                str(r["tier"]),
                "yes" if bool(r["selected"]) else "no",
                fmt(float(r["selection_probability"])),
                fmt(r.get("draw_position")),
            )
            for r in shown.to_dict("records")
        )
        tables.append(
            Table(
                f"{name}: submissions with a chance of selection",
                ("submission", "tier", "selected", "probability", "draw position"),
                rows,
            )
        )
    overview = Table(
        "Strategies at the same capacity",
        ("strategy", "selected", "funded", "lottery zone", "rejected", "expected selected"),
        tuple(summary_rows),
        note="Probabilities are exact where a closed form exists, otherwise Monte Carlo "
        "with its standard error in the allocation file.",
    )
    return Section(
        "strategies",
        "The strategies compared",
        (
            "Every strategy was run on the same scores and capacity. A probability of 1 means "
            "selected whatever the draw; between 0 and 1 means the submission's place was "
            "decided by lot.",
        ),
        (overview, *tables),
    )


def _cell(row: Mapping[str, Any], key: str, *, percent: bool = False) -> str:
    if row.get("suppressed"):
        return SUPPRESSED
    return pct(row.get(key)) if percent else fmt(row.get(key))


def _suppress_small(groups: list[dict[str, Any]], min_cell: int) -> list[dict[str, Any]]:
    """Defence in depth: never show a count below ``min_cell``, whatever the input says.

    A cell the audit left visible but which is too small is suppressed here, and so is the
    smallest other visible group, so the two cannot be recomputed from the total.
    """
    out = [dict(g) for g in groups]

    def small(g: Mapping[str, Any]) -> bool:
        counts = (g.get("applicants"), g.get("selected"))
        values = [c for c in counts if c is not None]
        if len(values) == 2:
            values.append(values[0] - values[1])
        return any(0 < v < min_cell for v in values)

    newly = [g for g in out if not g.get("suppressed") and small(g)]
    for g in newly:
        g["suppressed"] = True
    if sum(bool(g.get("suppressed")) for g in out) == 1:
        visible = [g for g in out if not g.get("suppressed")]
        if visible:
            min(visible, key=lambda g: g.get("applicants") or 0)["suppressed"] = True
    return out


def audit_section(audit: Mapping[str, Any], *, min_cell: int) -> Section:
    """Show selection rates, comparisons with the reference group, strata and funnels."""
    tables: list[Table] = []
    charts: list[Chart] = []
    attributes = audit.get("attributes") or {}
    for attr, body in attributes.items():
        groups = _suppress_small(list(body.get("groups", [])), min_cell)
        hidden = {g["group"] for g in groups if g.get("suppressed")}
        tables.append(
            Table(
                f"Selection by {attr}",
                ("group", "applicants", "selected", "rate", "95% CI"),
                tuple(
                    (
                        str(g["group"]),
                        _cell(g, "applicants"),
                        _cell(g, "selected"),
                        _cell(g, "selection_rate", percent=True),
                        SUPPRESSED
                        if g.get("suppressed")
                        else f"{pct(g.get('rate_ci_low'))} to {pct(g.get('rate_ci_high'))}",
                    )
                    for g in groups
                ),
            )
        )
        comps = []
        for c in body.get("comparisons", []):
            hide = c.get("suppressed") or c["group"] in hidden or c.get("reference") in hidden
            if hide:
                comps.append((str(c["group"]), str(c.get("reference")), *[SUPPRESSED] * 6))
                continue
            comps.append(
                (
                    str(c["group"]),
                    str(c.get("reference")),
                    f"{pct(c.get('rate_difference'))} ({pct(c.get('difference_ci_low'))} to "
                    f"{pct(c.get('difference_ci_high'))})",
                    f"{fmt(c.get('rate_ratio'))} ({fmt(c.get('ratio_ci_low'))} to "
                    f"{fmt(c.get('ratio_ci_high'))})",
                    fmt(c.get("odds_ratio")),
                    fmt(c.get("adverse_impact_ratio"))
                    + (" ⚑ below 4/5" if c.get("four_fifths_flag") else ""),
                    str(c.get("test", "")),
                    fmt(c.get("p_value")),
                )
            )
        if comps:
            tables.append(
                Table(
                    f"{attr}: each group against the reference",
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
                    tuple(comps),
                )
            )
        visible = pd.DataFrame([g for g in groups if not g.get("suppressed")])
        if len(visible) and "rate_ci_low" in visible:
            charts.append(rate_by_group_chart(visible, attribute=attr, id=f"rate-{_slug(attr)}"))
        strata = body.get("strata")
        if strata:
            tables.append(
                Table(
                    f"{attr}: adjusted for strata",
                    ("test", "statistic", "p", "pooled odds ratio", "95% CI"),
                    (
                        (
                            str(strata.get("test", "")),
                            fmt(strata.get("statistic")),
                            fmt(strata.get("p_value")),
                            fmt(strata.get("pooled_odds_ratio")),
                            f"{fmt(strata.get('ci_low'))} to {fmt(strata.get('ci_high'))}",
                        ),
                    ),
                )
            )
        funnel = body.get("funnel")
        if funnel:
            frame = pd.DataFrame(_suppress_small(list(funnel), min_cell))
            charts.append(funnel_chart(frame, attribute=attr, id=f"funnel-{_slug(attr)}"))
    return Section(
        "audit",
        "Outcomes by group",
        (
            "Rates are shown with 95% intervals. The reference group is the one with the "
            "highest rate unless the committee named another. A difference whose interval "
            "includes zero is compatible with chance.",
        ),
        tuple(tables),
        tuple(charts),
    )


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in str(text)).strip("-").lower() or "x"


def _interval(body: Mapping[str, Any] | None, *, percent: bool = True) -> str:
    if not body:
        return "–"
    f = pct if percent else fmt
    low = body.get("ci_low", body.get("low"))
    high = body.get("ci_high", body.get("high"))
    return f"{f(body.get('mean'))} ({f(low)} to {f(high)})"


def simulation_section(sim: Mapping[str, Any]) -> Section:
    """Compare strategies on synthetic cycles where true merit is known."""
    rows = tuple(
        (
            str(name),
            _interval(body.get("merit_recovered")),
            _interval(body.get("oracle_overlap")),
            _interval(body.get("consistency")),
            _interval(body.get("adverse_impact_ratio"), percent=False),
        )
        for name, body in (sim.get("strategies") or {}).items()
    )
    tables = [
        Table(
            "Simulated comparison (mean and 95% interval over replicates)",
            ("strategy", "merit recovered", "overlap with best", "consistency", "AIR"),
            rows,
            note=f"{sim.get('replicates', '?')} replicates, seed {sim.get('seed', '?')}.",
        )
    ]
    charts: list[Chart] = []
    curve = sim.get("individual_fairness")
    if curve:
        charts.append(probability_vs_merit_chart(pd.DataFrame(curve)))
    sweep = sim.get("sweep")
    if sweep and sweep.get("rows"):
        charts.append(
            sweep_heatmap(
                pd.DataFrame(sweep["rows"]),
                x=sweep["x"],
                y=sweep["y"],
                value=sweep.get("value", "merit_recovered"),
                facet=sweep.get("facet"),
                id="sweep",
            )
        )
    return Section(
        "simulation",
        "What each rule does when merit is known",
        (
            "Synthetic cycles where true merit is known show what each rule recovers, how "
            "reproducible it is (two independent panels), and how it treats groups.",
        ),
        tuple(tables),
        tuple(charts),
    )


def ml_section(ml: Mapping[str, Any]) -> Section:
    """List the ML trust checks: one plain sentence per finding."""
    findings = ml.get("findings", [])
    rows = tuple(
        (str(f.get("check")), str(f.get("severity")), fmt(f.get("value")), str(f.get("message")))
        for f in findings
    )
    return Section(
        "ml",
        "Can the ML ranking be trusted?",
        (
            "Each check looks for a way a model trained on past decisions can mislead: "
            "keying on a proxy of group, leaking the decision, copying past bias, or "
            "learning the quirks of its training data.",
        ),
        (Table("ML trust checks", ("check", "severity", "value", "finding"), rows),),
    )


def certificate_section(certificates: Sequence[Mapping[str, Any]]) -> Section:
    """Show the draw certificates and how anyone can verify them."""
    tables = []
    for cert in certificates:
        result = cert.get("result") or []
        tables.append(
            Table(
                f"Draw certificate ({cert.get('algorithm', '?')})",
                ("field", "value"),
                (
                    ("seed", str(cert.get("seed"))),
                    ("places", str(cert.get("places"))),
                    ("entrants", str(len(cert.get("entrants") or []))),
                    ("input checksum", str(cert.get("input_checksum"))),
                    ("package version", str(cert.get("package_version"))),
                    ("draw order", ", ".join(str(r) for r in result[:60])),
                ),
            )
        )
    return Section(
        "draw",
        "The draw and how to verify it",
        (
            "The draw depends only on the seed, the entrants' ids and their weights: each "
            "entrant's key is derived from a SHA-256 hash of the seed and its id, and keys are "
            "sorted. Anyone can re-run it with `fairpanel verify-draw certificate.json`, or by "
            "hand following docs/lottery.md.",
        ),
        tuple(tables),
    )


def methods_section() -> Section:
    """Summarise methods and limitations (docs/ holds the full methods pages)."""
    return Section(
        "methods",
        "Methods and limitations",
        (
            "Scores: the Bayesian hierarchical model of the Swiss National Science Foundation "
            "(Heyard et al. 2022) separates each submission's quality from its reviewers' "
            "leniency and gives expected ranks with credible intervals.",
            "Rates: Wilson intervals; differences: Newcombe's hybrid score interval; ratios: "
            "log (Katz) interval; tests: Fisher's exact test (two groups) or chi-square; "
            "strata: Cochran–Mantel–Haenszel.",
            "Limitations: scores measure reviewers' judgement, not merit itself; a lottery is "
            "fair among those it includes, not a remedy for biased scores upstream; small "
            "groups give wide intervals, and cells below the minimum size are withheld.",
        ),
    )
