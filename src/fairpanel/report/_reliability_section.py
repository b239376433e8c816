"""The reliability section of the report: agreement between reviewers, and leniency."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from fairpanel._json import records
from fairpanel.report._model import Section, Table

if TYPE_CHECKING:
    from fairpanel.reliability import ReliabilityResult

__all__ = ["design_icc", "reliability_section"]

_NOISE_COLUMNS = (
    "reviewers",
    "min",
    "lower quartile",
    "median",
    "upper quartile",
    "max",
    "clearly noisier than the median",
)


def _f3(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value):.3f}"


def design_icc(reliability: ReliabilityResult) -> tuple[str, str]:
    """Return the ICC form that matches the panel's design, and why, in words.

    Shrout & Fleiss (1979) and Koo & Li (2016): when each submission is read by its own
    subset of reviewers the reviewers cannot be crossed with the submissions, so the
    one-way model (case 1) applies; when every reviewer scores every submission the
    reviewers stand for any reviewers who could have been invited, and a score's level
    matters (bands, quality bars), so the two-way random model of absolute agreement
    (case 2). The committee decides on a submission's average review, so the
    average-measures form, unless each submission has a single review.

    Parameters
    ----------
    reliability : ReliabilityResult
        The panel's reliability.
    """
    k = reliability.n_reviews / max(reliability.n_submissions, 1)
    average = k > 1
    if reliability.complete:
        kind = "ICC(2,k)" if average else "ICC(2,1)"
        why = (
            f"{kind} leads: every reviewer scored every submission, so the reviewers are "
            "crossed with the submissions and stand for any reviewers who could have been "
            "invited (two-way random model), and a score's level matters, not only its "
            "order (absolute agreement)"
        )
    else:
        kind = "ICC(1,k)" if average else "ICC(1,1)"
        why = (
            f"{kind} leads: each submission was read by its own set of reviewers, so the "
            "reviewers are not crossed with the submissions and their differences in "
            "leniency count as disagreement (one-way random model)"
        )
    if average:
        why += (
            "; the committee decides on a submission's average review, so the reliability "
            "of that average is the one that counts (average measures). "
        )
    else:
        why += "; each submission has one review (single measures). "
    return kind, why + "The other forms are folded below it."


def _icc_tables(reliability: ReliabilityResult) -> tuple[Table | None, Table | None, str]:
    """Return the leading ICC (the design's), the other forms folded, and the reason."""
    columns = ("type", "model", "ICC", "95% CI")
    rows = [
        (
            str(r["type"]),
            str(r["description"]),
            _f3(r["icc"]),
            f"{_f3(r['ci_low'])} to {_f3(r['ci_high'])}",
        )
        for r in records(reliability.icc)
    ]
    if not rows:
        return None, None, ""
    kind, why = design_icc(reliability)
    lead = [r for r in rows if r[0] == kind] or rows[:1]
    rest = tuple(r for r in rows if r is not lead[0])
    first = Table(
        "Intraclass correlation: the form that fits this panel's design",
        columns,
        tuple(lead),
        note="; ".join(reliability.notes),
    )
    others = (
        Table("Other forms of the intraclass correlation", columns, rest, collapsed=True)
        if rest
        else None
    )
    return first, others, why


def reliability_section(
    reliability: ReliabilityResult | None, reviewers: pd.DataFrame | None
) -> Section | None:
    """Show how far reviewers agree (ICC, Krippendorff's α) and the spread of leniency.

    Parameters
    ----------
    reliability : ReliabilityResult or None
        The panel's reliability.
    reviewers : DataFrame or None
        The leniency table of the scores (``leniency`` per reviewer); only its spread
        is published, never a named reviewer.

    Returns
    -------
    Section or None
        None when neither is given.
    """
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
        lead, others, why = _icc_tables(reliability)
        if lead is not None:
            paragraphs.append(why)
            tables.append(lead)
        if others is not None:
            tables.append(others)
        alpha = reliability.alpha
        no_ci = (math.nan, math.nan)
        intervals = {k: reliability.alpha_ci.get(k, no_ci) for k in alpha}
        if alpha:
            booted = any(not math.isnan(low) for low, _ in intervals.values())
            tables.append(
                Table(
                    "Krippendorff's α by level of measurement",
                    ("level", "α", *(["95% bootstrap CI"] if booted else [])),
                    tuple(
                        (
                            str(k),
                            _f3(v),
                            *(
                                [f"{_f3(intervals[k][0])} to {_f3(intervals[k][1])}"]
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
    if reviewers is not None and len(reviewers) and "noise_sd" in reviewers:
        # Reviewer precision (score --reviewer-precision): the spread of each reviewer's
        # own noise SD, and how many are clearly noisier than the typical reviewer.
        noise = pd.to_numeric(reviewers["noise_sd"], errors="coerce")
        low = pd.to_numeric(reviewers["noise_sd_lo90"], errors="coerce")
        q = noise.dropna().quantile([0.0, 0.25, 0.5, 0.75, 1.0]).to_numpy()
        erratic = int((low > q[2]).sum())
        tables.append(
            Table(
                "Reviewer noise SD (points on the rubric scale; each reviewer's own, "
                "estimated with a shared prior)",
                _NOISE_COLUMNS,
                ((str(int(noise.notna().sum())), *(_f3(v) for v in q), str(erratic)),),
                note="A reviewer is clearly noisier when the 90% interval of their noise "
                "SD lies wholly above the median; their grades weigh less in the scores.",
            )
        )
    return Section(
        "reliability", "Reviewer reliability and leniency", tuple(paragraphs), tuple(tables)
    )
