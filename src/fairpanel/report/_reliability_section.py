"""The reliability section of the report: agreement between reviewers, and leniency."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from fairpanel._json import records
from fairpanel.report._model import Section, Table

if TYPE_CHECKING:
    from fairpanel.reliability import ReliabilityResult

__all__ = ["reliability_section"]

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
        rows = tuple(
            (
                str(r["type"]),
                str(r["description"]),
                _f3(r["icc"]),
                f"{_f3(r['ci_low'])} to {_f3(r['ci_high'])}",
            )
            for r in records(reliability.icc)
        )
        if rows:
            tables.append(
                Table(
                    "Intraclass correlation",
                    ("type", "model", "ICC", "95% CI"),
                    rows,
                    note=" ".join(reliability.notes),
                )
            )
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
