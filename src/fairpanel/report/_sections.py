"""Section builders: one per kind of result, each from the JSON its command writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from fairpanel.report._charts import (
    funnel_chart,
    probability_by_rank_chart,
    probability_vs_merit_chart,
    rate_by_group_chart,
    sweep_heatmap,
)
from fairpanel.report._model import Chart, Section, Table
from fairpanel.report._text import fmt, pct
from fairpanel.rubric import Rubric, card_model

__all__ = [
    "audit_section",
    "certificate_section",
    "coerce_allocation",
    "coerce_scores",
    "methods_section",
    "ml_section",
    "rubric_section",
    "simulation_section",
    "strategies_section",
    "strategy_labels",
    "suppress_small",
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
    # The card states each band's full range ("≥ 3 and < 3.75"), not only its threshold.
    bands = Table(
        "Holistic bands",
        ("band", "total", "meaning"),
        tuple((b["name"], b["range"], b["descriptor"]) for b in card_model(rubric)["bands"]),
    )
    if rubric.notes:
        paragraphs.append(rubric.notes)
    return Section(
        "rubric", f"The rubric: {rubric.name}", tuple(paragraphs), (criteria, *levels, bands)
    )


def _strategy_name(alloc: pd.DataFrame) -> str:
    return str(alloc["strategy"].iloc[0]) if "strategy" in alloc and len(alloc) else "?"


def strategy_labels(allocations: Sequence[pd.DataFrame]) -> list[str]:
    """Name each allocation by its strategy; repeats get a number ("partial-lottery (2)")."""
    names = [_strategy_name(a) for a in allocations]
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if names.count(name) == 1 else f"{name} ({seen[name]})")
    return out


_TRUE = frozenset({"true", "1", "1.0", "yes"})


def coerce_allocation(alloc: pd.DataFrame) -> pd.DataFrame:
    """Give an allocation read back from CSV its types: booleans and probabilities.

    A CSV holds ``True``/``False`` as text, and ``bool("False")`` is true, so the text is
    read, not cast.
    """
    out = alloc.copy()
    if "selected" in out and not pd.api.types.is_bool_dtype(out["selected"]):
        out["selected"] = out["selected"].astype(str).str.strip().str.lower().isin(_TRUE)
    for col in ("selection_probability", "selection_probability_se", "draw_position"):
        if col in out:
            out[col] = pd.to_numeric(out[col], errors="coerce")
    return out


def coerce_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """Give a score table read back from CSV numeric columns (ids stay text)."""
    out = scores.copy()
    for col in out.columns:
        if col not in ("submission_id", "band", "higher_is_better"):
            converted = pd.to_numeric(out[col], errors="coerce")
            if converted.notna().sum() == out[col].notna().sum():
                out[col] = converted
    return out


def _mark(row: Mapping[str, Any]) -> str:
    p = float(row["selection_probability"])
    if p == 0:
        return ""
    return f"{fmt(p)}{' ✓' if bool(row['selected']) else ''}"


def strategies_section(
    allocations: Sequence[pd.DataFrame], scores: pd.DataFrame | None = None
) -> Section:
    """Show who each strategy selects, in which tier, with exact selection probabilities."""
    summary_rows = []
    for label, alloc in zip(strategy_labels(allocations), allocations, strict=True):
        tiers = alloc["tier"].value_counts()
        summary_rows.append(
            (
                label,
                str(int(alloc["selected"].astype(bool).sum())),
                str(int(tiers.get("funded", 0))),
                str(int(tiers.get("lottery", 0))),
                str(int(tiers.get("rejected", 0))),
                fmt(float(alloc["selection_probability"].to_numpy(dtype=float).sum())),
            )
        )
    overview = Table(
        "Strategies at the same capacity",
        ("strategy", "selected", "funded", "lottery zone", "rejected", "expected selected"),
        tuple(summary_rows),
        note="Probabilities are exact where a closed form exists, otherwise Monte Carlo "
        "with its standard error in the allocation file.",
    )
    # One row per submission with any chance under any strategy, strategies side by side.
    names = strategy_labels(allocations)
    wide = pd.concat(
        [
            a.set_index("submission_id")[["selection_probability", "selected"]].add_prefix(f"{n}:")
            for n, a in zip(names, allocations, strict=True)
        ],
        axis=1,
    )
    chance = wide[[f"{n}:selection_probability" for n in names]].to_numpy(dtype=float)
    wide = wide.loc[pd.Series((chance > 0).any(axis=1), index=wide.index)]
    charts: list[Chart] = []
    if scores is not None:
        ranks = scores.set_index("submission_id")["expected_rank"]
        wide = wide.join(ranks).sort_values("expected_rank")
        long = pd.concat(
            [
                pd.DataFrame(
                    {
                        "expected_rank": ranks.reindex(a["submission_id"]).to_numpy(),
                        "selection_probability": a["selection_probability"].to_numpy(dtype=float),
                        "strategy": n,
                    }
                )
                for n, a in zip(names, allocations, strict=True)
            ]
        )
        charts.append(probability_by_rank_chart(long))
    rows = tuple(
        (
            str(sid),
            *([fmt(rec["expected_rank"])] if scores is not None else []),
            *(
                _mark(
                    {
                        "selection_probability": rec[f"{n}:selection_probability"],
                        "selected": rec[f"{n}:selected"],
                    }
                )
                for n in names
            ),
        )
        for sid, rec in zip(wide.index, wide.to_dict("records"), strict=True)
    )
    detail = Table(
        "Chance of selection of every submission that has one (✓ = selected in this draw)",
        ("submission", *(["expected rank"] if scores is not None else []), *names),
        rows,
        collapsed=True,
    )
    return Section(
        "strategies",
        "The strategies compared",
        (
            "Every strategy was run on the same scores and capacity. A probability of 1 means "
            "selected whatever the draw; between 0 and 1 means the submission's place was "
            "decided by lot.",
        ),
        (overview, detail),
        tuple(charts),
    )


def _cell(row: Mapping[str, Any], key: str, *, percent: bool = False) -> str:
    if row.get("suppressed"):
        return SUPPRESSED
    return pct(row.get(key)) if percent else fmt(row.get(key))


def suppress_small(groups: list[dict[str, Any]], min_cell: int) -> list[dict[str, Any]]:
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


def _pair(low: Any, high: Any, *, percent: bool = False) -> str:
    f = pct if percent else fmt
    return f"{f(low)} to {f(high)}"


def _groups_table(attr: str, groups: list[dict[str, Any]]) -> Table:
    return Table(
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
                f"({_pair(c.get('difference_ci_low'), c.get('difference_ci_high'), percent=True)})",
                f"{fmt(c.get('rate_ratio'))} ({_pair(c.get('ratio_ci_low'), c.get('ratio_ci_high'))})",
                fmt(c.get("odds_ratio")),
                air + (" ⚑ below 4/5" if c.get("four_fifths_flag") else ""),
                str(c.get("test", "")),
                fmt(c.get("p_value")),
            )
        )
    return Table(
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
        f"{attr}: adjusted for strata (Cochran–Mantel–Haenszel)",
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
        f"{attr}: selection rate within each stratum",
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
            f"{pct(s0.get('p_any_air_below_four_fifths'))} ({how})."
        )
    return Table(
        f"{attr}: expected (exact) and realized selection rates under the lottery",
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
        f"{attr}: calibrated scores by group",
        ("group", "reference", "score difference (95% CI)", "Hedges' g (95% CI)", "p"),
        rows,
    )


def audit_section(audit: Mapping[str, Any], *, min_cell: int) -> Section:
    """Show selection rates, comparisons with the reference group, strata and funnels."""
    tables: list[Table] = []
    charts: list[Chart] = []
    paragraphs = [
        "Rates are shown with 95% intervals. The reference group is the one with the "
        "highest rate unless the committee named another. A difference whose interval "
        "includes zero is compatible with chance."
    ]
    for attr, body in (audit.get("attributes") or {}).items():
        groups = suppress_small(list(body.get("groups", [])), min_cell)
        hidden = {g["group"] for g in groups if g.get("suppressed")}
        if any(g.get("selected") is not None or g.get("suppressed") for g in groups):
            tables.append(_groups_table(attr, groups))
        visible = pd.DataFrame([g for g in groups if not g.get("suppressed")])
        has_rates = len(visible) and "rate_ci_low" in visible
        if has_rates and visible["selection_rate"].notna().any():
            charts.append(rate_by_group_chart(visible, attribute=attr, id=f"rate-{_slug(attr)}"))
        comps = list(body.get("comparisons", []))
        if any(c.get("rate_difference") is not None for c in comps):
            tables.append(_comparisons_table(attr, comps, hidden))
        strata = body.get("strata") or []
        if strata:
            tables.append(_strata_table(attr, list(strata), hidden))
        stratum_rates = body.get("stratum_rates") or []
        if stratum_rates:
            tables.append(_stratum_rates_table(attr, list(stratum_rates), min_cell))
        if body.get("lottery"):
            tables.append(
                _lottery_table(
                    attr,
                    suppress_small(list(body["lottery"]), min_cell),
                    list(body.get("lottery_summary") or []),
                )
            )
        if body.get("score_gaps"):
            tables.append(_score_gaps_table(attr, list(body["score_gaps"])))
        flagged = [r for r in body.get("reviewer_gaps") or [] if r.get("flagged")]
        if body.get("reviewer_gaps") is not None:
            # Counted, not named: which reviewers is for the committee, not the public.
            paragraphs.append(
                f"By {attr}: {len(flagged)} reviewer × group combinations score that group "
                "differently from the rest of the panel beyond chance (after correcting for "
                "multiple comparisons); the audit file lists them for the committee."
            )
        funnel = body.get("funnel")
        if funnel:
            names = {"reached": "applicants", "passed": "selected", "pass_rate": "selection_rate"}
            renamed = [{names.get(k, k): v for k, v in row.items()} for row in funnel]
            frame = pd.DataFrame(_suppress_funnel(renamed, min_cell))
            charts.append(funnel_chart(frame, attribute=attr, id=f"funnel-{_slug(attr)}"))
            tables.append(_funnel_table(attr, frame))
    return Section("audit", "Outcomes by group", tuple(paragraphs), tuple(tables), tuple(charts))


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
            _cell(r, "adverse_impact_ratio"),
        )
        for r in records
    )
    return Table(
        f"Funnel by {attr}",
        ("stage", "group", "reached", "passed", "rate", "adverse-impact ratio"),
        rows,
    )


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in str(text)).strip("-").lower() or "x"


def _interval(body: Mapping[str, Any] | None, *, percent: bool = True) -> str:
    if not body:
        return "–"
    f = pct if percent else fmt
    low, high = body.get("interval") or (body.get("ci_low"), body.get("ci_high"))
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
            "Simulated comparison: mean, and the range holding 95% of replicates",
            ("strategy", "merit recovered", "overlap with best", "consistency", "AIR"),
            rows,
            note=f"{sim.get('replicates', '?')} replicates, seed {sim.get('seed', '?')}. "
            "The range shows how much one cycle can differ from the average, not the "
            "uncertainty of the mean (its Monte Carlo error is far smaller).",
        )
    ]
    charts: list[Chart] = []
    curve = sim.get("individual")
    if curve:
        charts.append(probability_vs_merit_chart(pd.DataFrame(curve)))
    sweep = sim.get("sweep")
    if sweep and sweep.get("rows"):
        grid = pd.DataFrame(sweep["rows"])
        params = list(sweep["parameters"])
        for metric in sweep.get("metrics", ["merit_recovered"]):
            one = grid[(grid["metric"] == metric) & grid["group"].isna()]
            one = one[[*params, "strategy", "mean"]].rename(columns={"mean": metric})
            charts.append(
                sweep_heatmap(
                    one,
                    x=params[0],
                    y=params[-1],
                    value=metric,
                    facet="strategy",
                    id=f"sweep-{_slug(metric)}",
                )
            )
    return Section(
        "simulation",
        "What each rule does when merit is known",
        (
            "Synthetic cycles where true merit is known show what each rule recovers, how "
            "reproducible it is (two independent panels), and how it treats groups. "
            "Merit recovered is the share of the merit gain of a perfect ranking over a "
            "blind draw (1 = perfect, 0 = blind); consistency is the share of one panel's "
            "selections that an independent panel also selects.",
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
        algorithm = cert.get("algorithm") or {}
        checksum = cert.get("input_checksum") or {}
        context = cert.get("context") or {}
        drawn = [r for r in cert.get("result") or [] if r.get("drawn", True)]
        weights = sorted({float(e.get("weight", 1)) for e in cert.get("entrants") or []})
        tables.append(
            Table(
                f"Draw certificate: {context.get('strategy', 'lottery')}",
                ("field", "value"),
                (
                    ("algorithm", f"{algorithm.get('name')} (version {algorithm.get('version')})"),
                    ("seed", str(cert.get("seed"))),
                    (
                        "entrants",
                        f"{len(cert.get('entrants') or [])} "
                        f"(weights {', '.join(fmt(w) for w in weights)})",
                    ),
                    ("places drawn", str(cert.get("places"))),
                    ("input checksum (SHA-256)", str(checksum.get("sha256"))),
                    ("package version", str(cert.get("package_version"))),
                    (
                        "drawn, in draw order",
                        ", ".join(str(r.get("submission_id")) for r in drawn),
                    ),
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
            "hand following docs/lottery.md. Announce the seed before the panel meets, so "
            "nobody can choose it after seeing the entrants.",
        ),
        tuple(tables),
    )


def methods_section(*, scores: bool, allocations: bool, audit: bool) -> Section:
    """Summarise the methods behind what the report shows, and their limitations."""
    paragraphs = []
    if scores:
        paragraphs.append(
            "Scores: the Bayesian hierarchical model of the Swiss National Science Foundation "
            "(Heyard et al. 2022) separates each submission's quality from its reviewers' "
            "leniency and gives expected ranks with credible intervals."
        )
    if allocations:
        paragraphs.append(
            "Selection: every strategy ran on the same scores and capacity; lottery draws use "
            "keys derived from SHA-256 of the seed and each id, and selection probabilities "
            "are exact where a closed form exists."
        )
    if audit:
        paragraphs.append(
            "Rates: Wilson intervals; differences: Newcombe's hybrid score interval; ratios: "
            "log (Katz) interval; tests: Fisher's exact test (two groups) or chi-square; "
            "strata: Cochran–Mantel–Haenszel with the Breslow–Day test of homogeneity."
        )
    paragraphs.append(
        "Limitations: scores measure reviewers' judgement, not merit itself; a lottery is "
        "fair among those it includes, not a remedy for biased scores upstream; small "
        "groups give wide intervals, and cells below the minimum size are withheld. "
        "docs/methods.md gives every formula and reference."
    )
    return Section("methods", "Methods and limitations", tuple(paragraphs))
