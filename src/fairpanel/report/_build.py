"""Assemble the report model from whatever results a committee has.

Each section builder takes the same plain data the CLI writes (score CSV, allocation
CSVs, the JSON of ``reliability``, ``audit``, ``simulate`` and ``ml-check``, draw
certificates) and returns a :class:`Section`; absent inputs give absent sections.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from fairpanel._version import __version__
from fairpanel.io import load_allocation, load_scores
from fairpanel.report._audit_section import audit_section, suppress_small
from fairpanel.report._model import Provenance, ReportModel, Section, Table
from fairpanel.report._sections import (
    certificate_section,
    methods_section,
    ml_section,
    rubric_section,
    simulation_section,
    strategies_section,
    strategy_labels,
)
from fairpanel.report._text import fmt, pct
from fairpanel.rubric import Rubric
from fairpanel.viz import caterpillar_chart

__all__ = ["GLOSSARY", "ReportInputs", "build_report"]

GLOSSARY: tuple[tuple[str, str], ...] = (
    ("submission", "A proposal or an application; its author is the applicant."),
    (
        "rubric",
        "The published list of criteria, each with described levels, that reviewers "
        "score against; the weighted mean of the criterion scores is a review's total.",
    ),
    (
        "calibrated score",
        "A submission's score after removing how lenient or strict its "
        "particular reviewers were, estimated from all their other reviews.",
    ),
    (
        "expected rank",
        "The average rank a submission gets over all rankings consistent with "
        "the reviews; rank 1 is the best.",
    ),
    (
        "rank interval",
        "The range of ranks a submission could plausibly have (50% and 90% "
        "credible intervals). When it crosses the funding line, the reviews cannot honestly "
        "say whether the submission is above or below it.",
    ),
    (
        "lottery zone",
        "Submissions whose rank interval crosses the funding line; the "
        "remaining places are drawn by lot among them.",
    ),
    ("selection rate", "Selected divided by applicants, for one group."),
    (
        "adverse-impact ratio",
        "A group's selection rate divided by the reference group's. "
        "Below 0.8 fails the US EEOC four-fifths rule of thumb.",
    ),
    (
        "confidence interval",
        "The range of values compatible with the data at the stated "
        "level (95% unless said otherwise).",
    ),
    (
        "suppressed",
        "Withheld because the cell counts fewer people than the minimum cell size, "
        "or because it would let such a cell be recomputed.",
    ),
    ("overfit", "A model that learned noise: its error on new data from the same source goes up."),
    (
        "overspecialized",
        "A model that learned the quirks of its training source: its error on "
        "that source goes down, but on real, shifted data it goes up.",
    ),
)


@dataclass(frozen=True)
class ReportInputs:
    """What the report is built from; every field is optional.

    The dictionaries are the JSON the corresponding CLI command writes, so a report can
    be assembled from files or straight from library results' ``to_dict()``.
    """

    rubric: Rubric | None = None
    scores: pd.DataFrame | None = None
    reviewers: pd.DataFrame | None = None
    reliability: Mapping[str, Any] | None = None
    allocations: Sequence[pd.DataFrame] = ()
    allocation_labels: Sequence[str] = ()
    certificates: Sequence[Mapping[str, Any]] = ()
    audit: Mapping[str, Any] | None = None
    audit_describes: str | None = None
    simulation: Mapping[str, Any] | None = None
    ml: Mapping[str, Any] | None = None
    seed: str | None = None
    input_checksums: Mapping[str, str] = field(default_factory=dict)
    command_line: str = ""
    title: str = "Selection report"
    min_cell: int = 5


def build_report(inputs: ReportInputs) -> ReportModel:
    """Build the report model from the results a committee has.

    Parameters
    ----------
    inputs : ReportInputs
        Scores, allocations, audit, simulation and ML findings — any subset.

    Returns
    -------
    ReportModel
        Plain data; render it with :func:`render_html` / :func:`render_markdown` or
        write all three formats with :func:`write_report`.
    """
    # Tables enter through io: a raw frame is checked and typed there, a loaded one is
    # passed through (the leniency table's numbers are read where they are used).
    inputs = replace(
        inputs,
        scores=None if inputs.scores is None else load_scores(inputs.scores),
        allocations=[load_allocation(a) for a in inputs.allocations],
    )
    sections: list[Section] = []
    if inputs.rubric is not None:
        sections.append(rubric_section(inputs.rubric))
    rel = _reliability_section(inputs.reliability, inputs.reviewers)
    if rel is not None:
        sections.append(rel)
    if inputs.scores is not None:
        sections.append(_ranking_section(inputs.scores, inputs.allocations))
    if inputs.allocations:
        sections.append(
            strategies_section(inputs.allocations, inputs.scores, inputs.allocation_labels)
        )
    if inputs.audit is not None:
        sections.append(
            audit_section(inputs.audit, min_cell=inputs.min_cell, describes=inputs.audit_describes)
        )
    if inputs.simulation is not None:
        sections.append(simulation_section(inputs.simulation))
    if inputs.ml is not None:
        sections.append(ml_section(inputs.ml))
    if inputs.certificates:
        sections.append(certificate_section(inputs.certificates))
    sections.append(
        methods_section(
            scores=inputs.scores is not None,
            allocations=bool(inputs.allocations),
            audit=inputs.audit is not None,
            strata=any(
                body.get("strata")
                for body in ((inputs.audit or {}).get("attributes") or {}).values()
            ),
        )
    )
    provenance = Provenance(
        package_version=__version__,
        seed=inputs.seed,
        input_checksums=dict(inputs.input_checksums),
        command_line=inputs.command_line,
        generated_utc=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    return ReportModel(
        title=inputs.title,
        summary=tuple(_summary(inputs)),
        sections=tuple(sections),
        glossary=GLOSSARY,
        provenance=provenance,
        min_cell=inputs.min_cell,
    )


# ------------------------------------------------------------------- sections
def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _f3(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value):.3f}"


def _reliability_section(
    reliability: Mapping[str, Any] | None, reviewers: pd.DataFrame | None
) -> Section | None:
    if reliability is None and reviewers is None:
        return None
    tables: list[Table] = []
    paragraphs = [
        "Reliability says how far reviewers agree on the same submissions: 1 is perfect "
        "agreement, 0 is no more than chance (a negative estimate means less agreement "
        "than chance, usually from very few reviews). Leniency says how much higher or "
        "lower than the panel a reviewer scores on average; calibrated scores remove it."
    ]
    if reliability is not None:
        rows = tuple(
            (
                str(r.get("type", "")),
                str(r.get("description", "")),
                _f3(r.get("icc")),
                f"{_f3(r.get('ci_low'))} to {_f3(r.get('ci_high'))}",
            )
            for r in reliability.get("icc", [])
        )
        if rows:
            tables.append(
                Table(
                    "Intraclass correlation",
                    ("type", "model", "ICC", "95% CI"),
                    rows,
                    note=" ".join(_as_list(reliability.get("notes"))),
                )
            )
        alpha = reliability.get("krippendorff_alpha") or {}
        alpha_ci = reliability.get("krippendorff_alpha_ci") or {}
        if alpha:
            booted = any((alpha_ci.get(k) or {}).get("ci_low") is not None for k in alpha)
            tables.append(
                Table(
                    "Krippendorff's α by level of measurement",
                    ("level", "α", *(["95% bootstrap CI"] if booted else [])),
                    tuple(
                        (
                            str(k),
                            _f3(v),
                            *(
                                [
                                    f"{_f3((alpha_ci.get(k) or {}).get('ci_low'))} to "
                                    f"{_f3((alpha_ci.get(k) or {}).get('ci_high'))}"
                                ]
                                if booted
                                else []
                            ),
                        )
                        for k, v in alpha.items()
                    ),
                    note="Nominal α treats scores as unordered labels: for rubric scores "
                    "read the interval (or ordinal) value.",
                )
            )
    if reviewers is not None and len(reviewers) and "leniency" in reviewers:
        # Publish the spread of leniency, not named reviewers: the per-reviewer table
        # stays with the committee (the reviewers file of `fairpanel score`).
        lenient = pd.to_numeric(reviewers["leniency"], errors="coerce").dropna()
        q = lenient.quantile([0.0, 0.25, 0.5, 0.75, 1.0]).to_numpy()
        tables.append(
            Table(
                "Reviewer leniency (points on the rubric scale; positive = more generous)",
                ("reviewers", "SD", "min", "lower quartile", "median", "upper quartile", "max"),
                ((str(len(lenient)), _f3(lenient.std()), *(_f3(v) for v in q)),),
                note="Individual reviewers are not named in the published report.",
            )
        )
    return Section(
        "reliability", "Reviewer reliability and leniency", tuple(paragraphs), tuple(tables)
    )


def _lottery_ids(allocations: Sequence[pd.DataFrame]) -> tuple[int | None, list[str]]:
    """Find the funding line and the lottery zone to draw, from the allocation with them.

    The partial lottery's zone is the one defined by rank uncertainty, so it is preferred;
    otherwise the first allocation with lottery entrants, otherwise only the line.
    """
    if not allocations:
        return None, []

    def strategy(alloc: pd.DataFrame) -> str:
        return str(alloc["strategy"].iloc[0]) if "strategy" in alloc and len(alloc) else ""

    with_lottery = [a for a in allocations if "tier" in a and (a["tier"] == "lottery").any()]
    preferred = [a for a in with_lottery if strategy(a) == "partial-lottery"] or with_lottery
    chosen = preferred[0] if preferred else allocations[0]
    places = int(chosen["selected"].astype(bool).sum())
    ids = chosen.loc[chosen["tier"] == "lottery", "submission_id"].astype(str).tolist()
    return places, ids


def _ranking_section(scores: pd.DataFrame, allocations: Sequence[pd.DataFrame]) -> Section:
    places, lottery = _lottery_ids(allocations)
    chart = caterpillar_chart(scores, places=places, lottery_ids=lottery)
    n = len(scores)
    widths = (scores["rank_hi90"] - scores["rank_lo90"]).median()
    paragraphs = [
        f"{n} submissions were ranked. Each dot is a submission's expected rank; the bars "
        "show the ranks it could plausibly have. The median 90% interval spans "
        f"{widths:.0f} ranks: neighbours within that distance cannot honestly be told apart.",
    ]
    if places is not None:
        paragraphs.append(
            f"The dashed line is the funding line after {places} places."
            + (f" {len(lottery)} submissions in red form the lottery zone." if lottery else "")
        )
    return Section(
        "ranking", "The ranking and its uncertainty", tuple(paragraphs), charts=(chart,)
    )


# -------------------------------------------------------------------- summary
def _summary(inputs: ReportInputs) -> list[str]:
    """Return the headline findings: sentences of one paragraph, each with its numbers."""
    out: list[str] = []
    if inputs.scores is not None and len(inputs.scores):
        s = inputs.scores
        sentence = f"{len(s)} submissions were scored"
        if "n_reviews" in s:
            sentence += f" from {int(s['n_reviews'].sum())} reviews"
        if {"rank_lo90", "rank_hi90"} <= set(s.columns):
            # An interval from rank 3 to rank 7 spans five ranks.
            width = float((s["rank_hi90"] - s["rank_lo90"] + 1).median())
            sentence += (
                f"; a typical submission's 90% rank interval spans {width:.0f} ranks, "
                "so neighbours that close cannot honestly be told apart"
            )
        out.append(sentence + ".")
    if inputs.allocations:
        out.append(_allocation_summary(inputs.allocations, inputs.allocation_labels))
    if inputs.audit is not None:
        out.extend(_audit_summary(inputs.audit, inputs.min_cell))
    if inputs.ml is not None:
        findings = inputs.ml.get("findings", [])
        flagged = [f for f in findings if f.get("severity") in ("warning", "critical")]
        out.append(
            f"The ML trust checks raised {len(flagged)} of {len(findings)} findings"
            + (": " + ", ".join(str(f.get("check")) for f in flagged) if flagged else "")
            + "."
        )
    if inputs.simulation is not None:
        out.extend(_simulation_summary(inputs.simulation))
    return out or ["No results were given to this report."]


def _allocation_summary(allocations: Sequence[pd.DataFrame], labels: Sequence[str]) -> str:
    parts = []
    for name, alloc in zip(strategy_labels(allocations, labels), allocations, strict=True):
        tiers = alloc["tier"].value_counts()
        picked = int(alloc["selected"].sum())
        funded, lottery = int(tiers.get("funded", 0)), int(tiers.get("lottery", 0))
        if lottery and funded:
            parts.append(
                f"{name} funds {funded} outright and draws {picked - funded} among {lottery}"
            )
        elif lottery:
            parts.append(f"{name} draws {picked} among {lottery}")
        else:
            parts.append(f"{name} selects the top {picked}")
    return "At the same capacity, " + "; ".join(parts) + "."


def _audit_summary(audit: Mapping[str, Any], min_cell: int) -> list[str]:
    out = []
    for attr, body in (audit.get("attributes") or {}).items():
        # The same suppression as the tables: a summary must not reveal a hidden cell.
        groups = suppress_small(list(body.get("groups", [])), min_cell)
        hidden = {g["group"] for g in groups if g.get("suppressed")}
        comps = [
            c
            for c in body.get("comparisons", [])
            if not c.get("suppressed")
            and c["group"] not in hidden
            and c.get("reference") not in hidden
            and c.get("rate_difference") is not None
        ]
        if not comps:
            if hidden:
                out.append(
                    f"By {attr}, comparisons are withheld to protect groups too small to "
                    "publish (see the notes under Outcomes by group)."
                )
            continue
        worst = min(comps, key=lambda c: c.get("adverse_impact_ratio") or 1.0)
        sentence = (
            f"By {attr}, the lowest selection rate is {worst['group']}'s, "
            f"{fmt(worst.get('adverse_impact_ratio'))} times {worst['reference']}'s "
            f"(difference {pct(worst.get('rate_difference'))}, 95% CI "
            f"{pct(worst.get('difference_ci_low'))} to {pct(worst.get('difference_ci_high'))}, "
            f"p = {fmt(worst.get('p_value'))})"
        )
        if worst.get("four_fifths_flag"):
            sentence += ", below the four-fifths threshold"
        strata = [
            st
            for st in body.get("strata") or []
            if st.get("group") == worst["group"] and st.get("pooled_odds_ratio") is not None
        ]
        if body.get("strata") and not strata:
            sentence += (
                "; the analysis within strata is withheld because it rests on cells too small "
                "to publish, so this crude gap should not be read alone"
            )
        if strata:
            st = strata[0]
            sentence += (
                f"; within strata the pooled odds ratio is {fmt(st.get('pooled_odds_ratio'))} "
                f"(95% CI {fmt(st.get('ci_low'))} to {fmt(st.get('ci_high'))}, "
                f"p = {fmt(st.get('p_value'))})"
            )
            if st.get("homogeneity_p_value") is not None:
                sentence += (
                    ", and the strata "
                    + (
                        "disagree"
                        if st["homogeneity_p_value"] < 0.05
                        else "do not clearly disagree"
                    )
                    + f" (homogeneity p = {fmt(st['homogeneity_p_value'])})"
                )
            if st.get("simpson_reversal"):
                sentence += "; the direction reverses within strata (Simpson's paradox)"
        out.append(sentence + ".")
    return out


def _simulation_summary(sim: Mapping[str, Any]) -> list[str]:
    parts = []
    for name, body in (sim.get("strategies") or {}).items():
        merit = (body.get("merit_recovered") or {}).get("mean")
        cons = (body.get("consistency") or {}).get("mean")
        air = (body.get("adverse_impact_ratio") or {}).get("mean")
        if merit is None or cons is None:
            continue
        part = f"{name} {pct(merit, 0)} / {pct(cons, 0)}"
        if air is not None:
            part += f" / {fmt(air, 2)}"
        parts.append(part)
    if not parts:
        return []
    scenario = (sim.get("scenario") or {}).get("description") or "the scenario given"
    return [
        f"In {sim.get('replicates', '?')} simulated cycles ({scenario}), merit recovered / "
        "agreement with an independent panel / lower group's rate as a share of the "
        "higher's were: " + "; ".join(parts) + "."
    ]
