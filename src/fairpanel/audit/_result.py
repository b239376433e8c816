"""The audit's result: a frozen bundle of tidy frames, and its JSON layout."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["AuditResult", "records"]

#: Per-attribute sections of the JSON, in order: (JSON key, AuditResult field).
_SECTIONS: tuple[tuple[str, str], ...] = (
    ("groups", "groups"),
    ("comparisons", "comparisons"),
    ("tests", "tests"),
    ("strata", "strata"),
    ("stratum_rates", "stratum_rates"),
    ("logistic", "logistic"),
    ("funnel", "funnel"),
    ("bootstrap", "bootstrap"),
    ("lottery", "lottery"),
    ("lottery_summary", "lottery_summary"),
    ("score_gaps", "score_gaps"),
    ("reviewer_gaps", "reviewer_gaps"),
)


def _plain(value: Any) -> Any:
    """Return a JSON-ready scalar: numpy → Python, NaN and NA → None."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def records(frame: pd.DataFrame, *, drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Rows of ``frame`` as JSON-ready dicts (NaN becomes None), without ``drop`` columns."""
    cols = [c for c in frame.columns if c not in drop]
    return [
        {c: _plain(v) for c, v in zip(cols, row, strict=True)}
        for row in frame[cols].itertuples(index=False, name=None)
    ]


@dataclass(frozen=True)
class AuditResult:
    """Everything the audit found, as tidy frames with fixed columns.

    Counts and statistics of suppressed cells are missing (``<NA>``/``NaN``) and
    flagged ``suppressed``: the frames are publishable as they are. Empty frames (with
    their columns) stand for analyses that were not requested.

    Attributes
    ----------
    groups : DataFrame
        Per attribute and group: applicants, selected, selection rate, Wilson interval.
    comparisons : DataFrame
        Each group against the attribute's reference group: Newcombe difference, Katz
        ratio, Woolf odds ratio, adverse-impact ratio, four-fifths flag, Fisher test.
    tests : DataFrame
        Per attribute: do the rates differ at all (Fisher for two groups, chi-square for more).
    strata, stratum_rates : DataFrame
        Cochran–Mantel–Haenszel results with Simpson indicator; rates within each stratum.
    logistic : DataFrame
        Odds ratios of the logistic regression on group and covariates.
    funnel : DataFrame
        Pass rates and adverse-impact ratios at each stage, among those who reached it.
    bootstrap : DataFrame
        Bootstrap interval of the max–min difference in selection rates per attribute.
    lottery, lottery_summary : DataFrame
        Expected vs realized rates, and the chance of an adverse-impact ratio below 0.8.
    score_gaps, reviewer_gaps : DataFrame
        Score differences between groups; reviewer × applicant-group gaps.
    min_cell : int
        The minimum published cell size.
    notes : tuple of str
        Caveats a reader must see (approximate tests, fitting problems).
    """

    groups: pd.DataFrame
    comparisons: pd.DataFrame
    tests: pd.DataFrame
    strata: pd.DataFrame
    stratum_rates: pd.DataFrame
    logistic: pd.DataFrame
    funnel: pd.DataFrame
    bootstrap: pd.DataFrame
    lottery: pd.DataFrame
    lottery_summary: pd.DataFrame
    score_gaps: pd.DataFrame
    reviewer_gaps: pd.DataFrame
    min_cell: int
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def attributes(self) -> list[str]:
        """The audited attributes (intersections included), in order."""
        return list(dict.fromkeys(self.groups["attribute"].tolist()))

    def _repr_html_(self) -> str:
        # Jupyter: the two tables a reader looks at first (values escaped by pandas).
        parts = ["<h4>Selection rates by group</h4>", self.groups.to_html(index=False)]
        if len(self.comparisons):
            parts += ["<h4>Against the reference group</h4>"]
            parts += [self.comparisons.to_html(index=False)]
        if self.notes:
            items = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
            parts.append(f"<ul>{items}</ul>")
        return "\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON layout of ``fairpanel audit --json``.

        ``{"min_cell", "attributes": {name: {"groups": [...], "comparisons": [...],
        "tests": [...], "strata": [...] (when strata were given), ...}}, "notes"}``;
        a section appears only when it has rows. Missing values are ``None``.
        """
        out: dict[str, Any] = {}
        for attr in self.attributes:
            entry: dict[str, Any] = {}
            for key, name in _SECTIONS:
                frame: pd.DataFrame = getattr(self, name)
                if len(frame) == 0 or "attribute" not in frame.columns:
                    continue
                part = frame[frame["attribute"] == attr]
                if len(part):
                    entry[key] = records(part, drop=("attribute",))
            out[attr] = entry
        return {"min_cell": self.min_cell, "attributes": out, "notes": list(self.notes)}
