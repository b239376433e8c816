"""Assemble the report model from whatever results a committee has.

Each section builder takes the same plain data the CLI writes (score CSV, allocation
CSVs, the JSON of ``reliability``, ``audit``, ``simulate`` and ``ml-check``, draw
certificates) and returns a :class:`Section`; absent inputs give absent sections.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from fairpanel._version import __version__
from fairpanel.report._charts import caterpillar_chart
from fairpanel.report._model import Provenance, ReportModel, Section, Table
from fairpanel.report._sections import (
    audit_section,
    certificate_section,
    methods_section,
    ml_section,
    rubric_section,
    simulation_section,
    strategies_section,
)
from fairpanel.report._text import fmt, pct
from fairpanel.rubric import Rubric

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
    certificates: Sequence[Mapping[str, Any]] = ()
    audit: Mapping[str, Any] | None = None
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
    sections: list[Section] = []
    if inputs.rubric is not None:
        sections.append(rubric_section(inputs.rubric))
    rel = _reliability_section(inputs.reliability, inputs.reviewers)
    if rel is not None:
        sections.append(rel)
    if inputs.scores is not None:
        sections.append(_ranking_section(inputs.scores, inputs.allocations))
    if inputs.allocations:
        sections.append(strategies_section(inputs.allocations, inputs.scores))
    if inputs.audit is not None:
        sections.append(audit_section(inputs.audit, min_cell=inputs.min_cell))
    if inputs.simulation is not None:
        sections.append(simulation_section(inputs.simulation))
    if inputs.ml is not None:
        sections.append(ml_section(inputs.ml))
    if inputs.certificates:
        sections.append(certificate_section(inputs.certificates))
    sections.append(methods_section())
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
def _reliability_section(
    reliability: Mapping[str, Any] | None, reviewers: pd.DataFrame | None
) -> Section | None:
    if reliability is None and reviewers is None:
        return None
    tables: list[Table] = []
    paragraphs = [
        "Reliability says how far reviewers agree on the same submissions: 1 is perfect "
        "agreement, 0 is no more than chance. Leniency says how much higher or lower than "
        "the panel a reviewer scores on average; calibrated scores remove it."
    ]
    if reliability is not None:
        rows = tuple(
            (
                str(r.get("type", "")),
                fmt(r.get("icc")),
                fmt(r.get("ci_low")),
                fmt(r.get("ci_high")),
            )
            for r in reliability.get("icc", [])
        )
        if rows:
            tables.append(
                Table("Intraclass correlation (95% CI)", ("type", "ICC", "low", "high"), rows)
            )
        alpha = reliability.get("krippendorff_alpha") or {}
        if alpha:
            tables.append(
                Table(
                    "Krippendorff's α by level of measurement",
                    ("level", "α"),
                    tuple((str(k), fmt(v)) for k, v in alpha.items()),
                )
            )
    if reviewers is not None and len(reviewers):
        cols = [
            c for c in ("reviewer_id", "n_reviews", "leniency", "leniency_se") if c in reviewers
        ]
        df = reviewers[cols].sort_values("leniency")
        # The extremes tell the story; the full table is in the reviewers file.
        shown = pd.concat([df.head(5), df.tail(5)]) if len(df) > 12 else df
        tables.append(
            Table(
                "Reviewer leniency: the strictest and the most generous (points on the rubric "
                "scale; positive = more generous)",
                tuple(cols),
                tuple(tuple(fmt(v) for v in row) for row in shown.itertuples(index=False)),
                note=f"{len(df)} reviewers in all; leniency ranges from "
                f"{fmt(float(df['leniency'].min()))} to {fmt(float(df['leniency'].max()))}.",
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
    out: list[str] = []
    if inputs.scores is not None:
        s = inputs.scores
        sentence = f"{len(s)} submissions were scored"
        if "n_reviews" in s:
            sentence += f" from {int(s['n_reviews'].sum())} reviews"
        out.append(sentence + ".")
    for alloc in inputs.allocations:
        strategy = str(alloc["strategy"].iloc[0]) if "strategy" in alloc and len(alloc) else "?"
        tiers = alloc["tier"].value_counts() if "tier" in alloc else pd.Series(dtype=int)
        picked = int(alloc["selected"].astype(bool).sum())
        text = f"The {strategy} strategy selects {picked}"
        if tiers.get("lottery", 0):
            text += (
                f" ({int(tiers.get('funded', 0))} funded outright and "
                f"{picked - int(tiers.get('funded', 0))} drawn by lot among "
                f"{int(tiers['lottery'])} in the lottery zone)"
            )
        out.append(text + ".")
    if inputs.audit is not None:
        out.extend(_audit_summary(inputs.audit))
    if inputs.ml is not None:
        findings = inputs.ml.get("findings", [])
        flagged = [f for f in findings if f.get("severity") in ("warning", "critical")]
        out.append(
            f"The ML trust checks raised {len(flagged)} of {len(findings)} findings"
            + (": " + "; ".join(str(f.get("check")) for f in flagged) if flagged else "")
            + "."
        )
    if inputs.simulation is not None:
        out.extend(_simulation_summary(inputs.simulation))
    return out or ["No results were given to this report."]


def _audit_summary(audit: Mapping[str, Any]) -> list[str]:
    out = []
    for attr, body in (audit.get("attributes") or {}).items():
        comps = [c for c in body.get("comparisons", []) if not c.get("suppressed")]
        flagged = [c for c in comps if c.get("four_fifths_flag")]
        if flagged:
            worst = min(flagged, key=lambda c: c.get("adverse_impact_ratio") or 1.0)
            out.append(
                f"By {attr}, {worst['group']} applicants were selected at "
                f"{fmt(worst.get('adverse_impact_ratio'))} times the rate of {worst['reference']} "
                f"(difference {pct(worst.get('rate_difference'))}, 95% CI "
                f"{pct(worst.get('difference_ci_low'))} to {pct(worst.get('difference_ci_high'))}),"
                " below the four-fifths threshold."
            )
        elif comps:
            out.append(f"By {attr}, no group falls below four fifths of the reference rate.")
    return out


def _simulation_summary(sim: Mapping[str, Any]) -> list[str]:
    out = []
    scenario = sim.get("scenario") or {}
    if scenario.get("description"):
        out.append(f"Simulated scenario: {scenario['description']}.")
    for name, body in (sim.get("strategies") or {}).items():
        merit = (body.get("merit_recovered") or {}).get("mean")
        cons = (body.get("consistency") or {}).get("mean")
        air = (body.get("adverse_impact_ratio") or {}).get("mean")
        if merit is None or cons is None:
            continue
        text = (
            f"In simulation, {name} achieves {pct(merit)} of the merit gain a perfect "
            "ranking has over a blind draw, and an independent panel would make "
            f"{pct(cons)} of the same selections"
        )
        if air is not None:
            text += f"; the lower group's selection rate is {fmt(air)} of the higher's"
        out.append(text + ".")
    return out
