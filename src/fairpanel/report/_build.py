"""Assemble the report model from whatever results a committee has.

Each section builder reads one result type (scores, reliability, allocations, draw
certificates, audit, simulation, ML checks) by its attributes and returns a
:class:`Section`; absent inputs give absent sections. Files come in through each type's
``from_dict``; what the command verified of them comes in as ``verification``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pandas as pd

from fairpanel._schema import DEFAULT_MIN_CELL
from fairpanel._version import __version__
from fairpanel._words import plural, strategy_words, words
from fairpanel.io import load_allocation, load_scores
from fairpanel.lottery import QuotaDrawCertificate
from fairpanel.report._audit_section import attribute_rows, audit_section, not_assessable
from fairpanel.report._audit_tables import suppress_small
from fairpanel.report._cycles_section import cycles_section, precision_section
from fairpanel.report._dpr_section import dpr_section
from fairpanel.report._glossary import GLOSSARY, glossary_for
from fairpanel.report._inputs import input_tables, panel_col_of
from fairpanel.report._model import Provenance, ReportModel, Section
from fairpanel.report._quota_section import quota_section
from fairpanel.report._ranking_section import interval_span, ranking_section
from fairpanel.report._reliability_section import reliability_section
from fairpanel.report._sections import (
    certificate_section,
    methods_section,
    ml_section,
    rubric_section,
    strategies_section,
    strategy_labels,
    verification_section,
)
from fairpanel.report._simulation_section import simulation_section
from fairpanel.report._text import fmt, pct, pct_span
from fairpanel.rubric import Rubric
from fairpanel.strategies._notes import allocation_notes

if TYPE_CHECKING:
    # Annotations only: the sections read attributes, and importing the ML results
    # would load scikit-learn for every report.
    from fairpanel.audit import AuditResult
    from fairpanel.lottery import DrawCertificate
    from fairpanel.ml import CheckReport
    from fairpanel.reliability import ReliabilityResult
    from fairpanel.scoring import DprCheck, ScoreResult
    from fairpanel.simulate import SimulationResult
    from fairpanel.strategies import Allocation

__all__ = ["GLOSSARY", "ReportInputs", "build_report"]


@dataclass(frozen=True)
class ReportInputs:
    """What the report is built from; every field is optional.

    Each field is a library result, from memory or read with the type's ``from_dict``;
    a score table or an allocation may also be its CSV's frame (no diagnostics).
    ``reviewers`` defaults to the reviewers of a :class:`~fairpanel.scoring.ScoreResult`.
    ``individual_ranks=False`` makes a report that lists no applicant (a hiring search):
    no submission's id, row or rank, only counts and aggregates. ``panel_col`` names the
    panel column of scores ranked within panels (default: the one an allocation made
    panel by panel records).
    """

    rubric: Rubric | None = None
    scores: ScoreResult | pd.DataFrame | None = None
    reviewers: pd.DataFrame | None = None
    reliability: ReliabilityResult | None = None
    allocations: Sequence[Allocation | pd.DataFrame] = ()
    allocation_labels: Sequence[str] = ()
    certificates: Sequence[DrawCertificate | QuotaDrawCertificate] = ()
    audit: AuditResult | None = None
    audit_describes: str | None = None
    simulation: SimulationResult | None = None
    ml: CheckReport | None = None
    dpr: DprCheck | None = None
    seed: str | None = None
    input_checksums: Mapping[str, str] = field(default_factory=dict)
    verification: Sequence[tuple[str, str]] = ()
    verify_commands: Sequence[str] = ()
    command_line: str = ""
    title: str = "Selection report"
    min_cell: int = DEFAULT_MIN_CELL
    individual_ranks: bool = True
    panel_col: str | None = None


def build_report(inputs: ReportInputs) -> ReportModel:
    """Build the report model from the results a committee has.

    Parameters
    ----------
    inputs : ReportInputs
        Scores, allocations, audit, simulation and ML findings — any subset.

    Returns
    -------
    ReportModel
        Plain data for :func:`render_html`, :func:`render_markdown`, :func:`write_report`.
    """
    scores, reviewers, allocations = input_tables(inputs)
    # Tables enter through io: a raw frame is checked and typed there, a loaded one is
    # passed through (the leniency table's numbers are read where they are used).
    scores = None if scores is None else load_scores(scores)
    allocations = [load_allocation(a) for a in allocations]
    sections: list[Section] = []
    if inputs.rubric is not None:
        sections.append(rubric_section(inputs.rubric))
    rel = reliability_section(inputs.reliability, reviewers)
    if rel is not None:
        sections.append(rel)
    if scores is not None:
        sections.append(
            ranking_section(
                scores,
                allocations,
                individual=inputs.individual_ranks,
                panel_col=panel_col_of(inputs),
            )
        )
    if allocations:
        notes = allocation_notes(inputs.allocations, inputs.certificates)
        sections.append(
            strategies_section(
                allocations,
                scores,
                inputs.allocation_labels,
                notes,
                individual=inputs.individual_ranks,
            )
        )
    if inputs.dpr is not None:  # distributed review: after the ranking it qualifies
        sections.append(dpr_section(inputs.dpr, scores))
    if inputs.audit is not None:
        sections.append(
            audit_section(inputs.audit, min_cell=inputs.min_cell, describes=inputs.audit_describes)
        )
        sections += [
            s for s in (cycles_section(inputs.audit), precision_section(inputs.audit)) if s
        ]
    if inputs.simulation is not None:
        sections.append(simulation_section(inputs.simulation))
    if inputs.ml is not None:
        sections.append(ml_section(inputs.ml))
    # A quota lottery's certificate lists panels: it has a section of its own.
    given = [*inputs.certificates, *(getattr(a, "certificate", None) for a in inputs.allocations)]
    lotteries: list[QuotaDrawCertificate] = []
    for cert in given:  # the same certificate may come in both ways: show it once
        if isinstance(cert, QuotaDrawCertificate) and cert.distribution not in {
            c.distribution for c in lotteries
        }:
            lotteries.append(cert)
    quota = quota_section(lotteries, individual=inputs.individual_ranks)
    if quota is not None:
        sections.append(quota)
    draws = [c for c in inputs.certificates if not isinstance(c, QuotaDrawCertificate)]
    if draws:
        sections.append(certificate_section(draws, individual=inputs.individual_ranks))
    if inputs.verification or inputs.verify_commands:  # what the command checked of files
        sections.append(verification_section(inputs.verification, inputs.verify_commands))
    sections.append(
        methods_section(
            scores=scores is not None,
            allocations=bool(allocations),
            audit=inputs.audit is not None,
            strata=inputs.audit is not None and len(inputs.audit.strata) > 0,
            ranked="ranking_noise_sd" in getattr(inputs.scores, "components", {}),
            code_names=_code_names(inputs, allocations),
        )
    )
    provenance = Provenance(
        package_version=__version__,
        seed=inputs.seed,
        input_checksums=dict(inputs.input_checksums),
        command_line=inputs.command_line,
        verification=tuple((str(c), str(o)) for c, o in inputs.verification),
        verify_commands=tuple(inputs.verify_commands),
        generated_utc=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    return ReportModel(
        title=inputs.title,
        summary=tuple(_summary(inputs, scores, allocations)),
        sections=tuple(sections),
        glossary=glossary_for(
            (s.id for s in sections),
            text=json.dumps([s.to_dict() for s in sections], ensure_ascii=False),
        ),
        provenance=provenance,
        # an audit suppressed at a smaller cell may show smaller cells: the report says so
        min_cell=min(inputs.min_cell, inputs.audit.min_cell)
        if inputs.audit is not None
        else inputs.min_cell,
        individual_ranks=inputs.individual_ranks,
    )


def _code_names(
    inputs: ReportInputs, allocations: Sequence[pd.DataFrame]
) -> list[tuple[str, str]]:
    """Pair each code name the report wrote in words with its words, in order of use."""
    codes = [str(a["strategy"].iloc[0]) for a in allocations if "strategy" in a and len(a)]
    if inputs.simulation is not None:
        codes += [str(s) for s in inputs.simulation.strategies]
    pairs = [(strategy_words(c), c) for c in codes]
    if inputs.audit is not None and "test" in inputs.audit.comparisons:
        tests = inputs.audit.comparisons["test"].dropna().astype(str)
        pairs += [(words(t), t) for t in tests]
    if inputs.ml is not None:
        pairs += [(words(f.check), f.check) for f in inputs.ml.findings]
    return [(said, code) for said, code in dict.fromkeys(pairs) if said != code]


# -------------------------------------------------------------------- summary
def _summary(
    inputs: ReportInputs, scores: pd.DataFrame | None, allocations: Sequence[pd.DataFrame]
) -> list[str]:
    """Return the headline findings: sentences of one paragraph, each with its numbers."""
    out: list[str] = []
    if not inputs.individual_ranks:
        out.append(
            "By the committee's choice, this report lists no individual applicant: no "
            "ids, no individual ranks, only counts and aggregates."
        )
    if scores is not None and len(scores):
        s = scores
        sentence = f"{plural(len(s), 'submission')} were scored"
        if "n_reviews" in s:
            sentence += f" from {plural(int(s['n_reviews'].sum()), 'review')}"
        if {"rank_lo90", "rank_hi90"} <= set(s.columns):
            sentence += (
                f"; a typical submission's 90% rank interval spans {interval_span(s)} ranks, "
                "so neighbours that close cannot honestly be told apart"
            )
        out.append(sentence + ".")
    panels = tuple(getattr(inputs.scores, "panel_sizes", ()))
    panel_col = panel_col_of(inputs)
    if len(panels) > 1 and scores is not None and panel_col in scores.columns:
        out.append(
            f"The reviews form {len(panels)} panels that share no reviewer "
            f"({', '.join(map(str, panels))} submissions), each scored and ranked on its "
            "own: a rank compares a submission with its own panel only."
        )
    elif len(panels) > 1:
        out.append(
            f"The reviews form {len(panels)} panels that share no reviewer "
            f"({', '.join(map(str, panels))} submissions): the scores tell a lenient panel "
            "from a strong one only through the model's assumptions, so ranks across "
            "panels deserve less trust than ranks within one."
        )
    if allocations:
        out.append(_allocation_summary(allocations, inputs.allocation_labels))
    if inputs.audit is not None:
        out.extend(_audit_summary(inputs.audit, inputs.min_cell))
    if inputs.ml is not None:
        findings = inputs.ml.findings
        flagged = [f for f in findings if f.severity in ("warning", "critical")]
        out.append(
            f"The ML trust checks raised {len(flagged)} of {plural(len(findings), 'finding')}"
            + (": " + ", ".join(words(f.check) for f in flagged) if flagged else "")
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


def _audit_summary(audit: AuditResult, min_cell: int) -> list[str]:
    out = []
    for attr in audit.attributes:
        # The same suppression as the tables: a summary must not reveal a hidden cell.
        groups = suppress_small(attribute_rows(audit.groups, attr), min_cell)
        hidden = {g["group"] for g in groups if g.get("suppressed")}
        all_strata = attribute_rows(audit.strata, attr)
        comps = [
            c
            for c in attribute_rows(audit.comparisons, attr)
            if not c.get("suppressed")
            and c["group"] not in hidden
            and c.get("reference") not in hidden
            and c.get("rate_difference") is not None
        ]
        if not comps:
            if hidden:
                why = not_assessable(audit, attr, ("rates",), extra=hidden, min_cell=min_cell)
                out.append(
                    f"By {words(attr)}, comparisons are withheld to protect groups too small to "
                    f"publish ({why}; see the notes under Outcomes by group)."
                )
            continue
        worst = min(comps, key=lambda c: c.get("adverse_impact_ratio") or 1.0)
        sentence = (
            f"By {words(attr)}, the lowest selection rate is {worst['group']}'s, "
            f"{fmt(worst.get('adverse_impact_ratio'))} times {worst['reference']}'s "
            f"(difference {pct(worst.get('rate_difference'))}, 95% CI "
            f"{pct_span(worst.get('difference_ci_low'), worst.get('difference_ci_high'))}, "
            f"p = {fmt(worst.get('p_value'))})"
        )
        if worst.get("four_fifths_flag"):
            sentence += ", below the four-fifths threshold"
        strata = [
            st
            for st in all_strata
            if st.get("group") == worst["group"] and st.get("pooled_odds_ratio") is not None
        ]
        if all_strata and not strata:
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
        # silence is not a finding: the groups the comparison could not assess are named
        gone = not_assessable(
            audit, attr, ("rates", "comparisons"), extra=hidden, min_cell=min_cell
        )
        out.append(sentence + (f"; {gone}" if gone else "") + ".")
    return out


def _mean(summary: pd.DataFrame, strategy: str, metric: str) -> float | None:
    """Return the mean over replicates of one strategy's metric, None when not a number."""
    rows = summary[(summary["strategy"] == strategy) & (summary["metric"] == metric)]
    value = float(rows["mean"].iloc[0]) if len(rows) else math.nan
    return None if math.isnan(value) else value


def _simulation_summary(sim: SimulationResult) -> list[str]:
    parts = []
    summary = sim.summary()
    for name in sim.strategies:
        merit = _mean(summary, name, "merit_recovered")
        cons = _mean(summary, name, "consistency")
        air = _mean(summary, name, "adverse_impact_ratio")
        if merit is None or cons is None:
            continue
        part = f"{strategy_words(name)} {pct(merit, 0)} / {pct(cons, 0)}"
        if air is not None:
            part += f" / {fmt(air, 2)}"
        parts.append(part)
    if not parts:
        return []
    scenario = sim.scenario.description or "the scenario given"
    return [
        f"In {sim.replicates} simulated cycles ({scenario}), merit recovered / "
        "agreement with an independent panel / lower group's rate as a share of the "
        "higher's were: " + "; ".join(parts) + "."
    ]
