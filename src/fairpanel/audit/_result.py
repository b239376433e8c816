"""The audit's result: a frozen bundle of tidy frames, and its JSON layout."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel._json import SCHEMA_KEY, Kind, Node, check_schema, records, stamp, table
from fairpanel._schema import internal_stamp
from fairpanel.audit._cycles import CHANGE_COLUMNS, CYCLE_COLUMNS
from fairpanel.audit._lottery import LOTTERY_COLUMNS, LOTTERY_SUMMARY_COLUMNS
from fairpanel.audit._multiplicity import MULTIPLICITY_COLUMNS
from fairpanel.audit._reviewers import REVIEWER_COLUMNS
from fairpanel.audit._scan import SCAN_COLUMNS
from fairpanel.audit._scores import SCORE_GAP_COLUMNS
from fairpanel.audit._spread import PAIRWISE_COLUMNS, SPREAD_COLUMNS
from fairpanel.audit._strata import LOGISTIC_COLUMNS, STRATA_COLUMNS, STRATUM_COMPARISON_COLUMNS
from fairpanel.audit._suppress import DEFAULT_MIN_CELL, defensive_hidden
from fairpanel.audit._tables import (
    COMPARISON_COLUMNS,
    FUNNEL_COLUMNS,
    GROUP_COLUMNS,
    STRATUM_RATE_COLUMNS,
    TEST_COLUMNS,
)
from fairpanel.viz import Block, html_summary, mask_rows

__all__ = ["SCHEMA_KIND", "SCHEMA_VERSION", "AuditResult"]

#: The JSON layout of ``fairpanel audit --json``; files without a stamp are version 1.
#: 2: the funnel's ``reference``; ``not_assessable`` and ``stamp``; ``spread`` and
#: ``pairwise`` (simultaneous intervals) replace the max-min percentile ``bootstrap``,
#: which version-1 files still hold and which is not read back (it could not hold its level).
SCHEMA_KIND: Final = "audit"
SCHEMA_VERSION: Final = 2

#: Per-attribute sections of the JSON, in order: (JSON key, AuditResult field, columns).
_SECTIONS: Final[tuple[tuple[str, str, tuple[str, ...]], ...]] = (
    ("groups", "groups", GROUP_COLUMNS),
    ("comparisons", "comparisons", COMPARISON_COLUMNS),
    ("tests", "tests", TEST_COLUMNS),
    ("strata", "strata", STRATA_COLUMNS),
    ("stratum_rates", "stratum_rates", STRATUM_RATE_COLUMNS),
    ("logistic", "logistic", LOGISTIC_COLUMNS),
    ("funnel", "funnel", FUNNEL_COLUMNS),
    ("spread", "spread", SPREAD_COLUMNS),
    ("pairwise", "pairwise", PAIRWISE_COLUMNS),
    ("lottery", "lottery", LOTTERY_COLUMNS),
    ("lottery_summary", "lottery_summary", LOTTERY_SUMMARY_COLUMNS),
    ("score_gaps", "score_gaps", SCORE_GAP_COLUMNS),
    ("reviewer_gaps", "reviewer_gaps", REVIEWER_COLUMNS),
    ("stratum_comparisons", "stratum_comparisons", STRATUM_COMPARISON_COLUMNS),
    ("cycles", "cycles", CYCLE_COLUMNS),
    ("change", "change", CHANGE_COLUMNS),
)
#: Sections of the whole audit, not of one attribute: (JSON key, field, columns).
_WHOLE: Final[tuple[tuple[str, str, tuple[str, ...]], ...]] = (
    ("subgroup_scan", "subgroup_scan", SCAN_COLUMNS),
    ("multiplicity", "multiplicity", MULTIPLICITY_COLUMNS),
)
_TEXT = ("group", "reference", "stratum", "stage", "term", "reviewer_id", "test", "note",
         "other", "highest", "lowest", "method")  # fmt: skip
_TEXT_MORE: tuple[str, ...] = ("cycle", "period", "change_at", "subgroup", "attributes", "table")
_TEXT_MORE += ("disagreeing_strata",)
_COUNTS = ("applicants", "selected", "reached", "passed", "n", "n_reviews", "n_strata", "pairs")
_FLAGS = ("suppressed", "four_fifths_flag", "flagged", "simpson_reversal", "higher_is_better")
_FLAGS_MORE = ("disagrees", "survives")
_COUNTS_MORE: tuple[str, ...] = (
    "n_cycles",
    "cycles_before",
    "cycles_after",
    "rank",
    "subgroups_searched",
)
_COUNTS_MORE += ("replicates",)
_NUMBERS = (
    *("selection_rate", "rate_ci_low", "rate_ci_high", "pass_rate", "adverse_impact_ratio"),
    *("rate_difference", "difference_ci_low", "difference_ci_high", "rate_ratio"),
    *("ratio_ci_low", "ratio_ci_high", "odds_ratio", "odds_ratio_ci_low", "odds_ratio_ci_high"),
    *("p_value", "pooled_odds_ratio", "crude_odds_ratio", "ci_low", "ci_high"),
    *("homogeneity_p_value", "expected_rate", "realized_rate", "p_air_below_four_fifths"),
    *("p_any_air_below_four_fifths", "mc_se", "difference", "hedges_g", "g_ci_low", "g_ci_high"),
    "estimate",
)
#: The JSON kinds of the columns the report reads, one meaning per name in every section;
#: other columns take the kind their values share.
_KINDS: Final[Mapping[str, Kind]] = {
    **dict.fromkeys(_TEXT, "text"),
    **dict.fromkeys(_COUNTS, "integer"),
    **dict.fromkeys(_FLAGS, "bool"),
    **dict.fromkeys(_NUMBERS, "number"),
    **dict.fromkeys(_TEXT_MORE, "text"),
    **dict.fromkeys(_FLAGS_MORE, "bool"),
    **dict.fromkeys(_COUNTS_MORE, "integer"),
    **dict.fromkeys(
        ("adjusted_p_value", "min_detectable_difference", "risk_difference"), "number"
    ),
}


# Jupyter display: the columns shown of the groups and of the comparisons.
_GROUP_SHOWN = ("group", "applicants", "selected", "selection_rate", "rate_ci_low", "rate_ci_high")
_COMPARISON_SHOWN = (
    "group",
    "reference",
    "rate_difference",
    "difference_ci_low",
    "difference_ci_high",
    "rate_ratio",
    "adverse_impact_ratio",
    "four_fifths_flag",
    "p_value",
)


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(columns=list(columns))


def _display_hidden(groups: pd.DataFrame, min_cell: int) -> npt.NDArray[np.bool_]:
    """Return the rows of one attribute's groups that the display withholds."""
    n = groups["applicants"].astype("Float64").fillna(0).to_numpy(np.int64)
    k = groups["selected"].astype("Float64").fillna(0).to_numpy(np.int64)
    hidden: npt.NDArray[np.bool_] = defensive_hidden(
        n, k, min_cell, hidden=groups["suppressed"].to_numpy(bool)
    )
    return hidden


def _attribute_blocks(result: AuditResult, attr: str) -> list[Block]:
    """Return the display blocks of one attribute: groups, comparisons, and the rate chart."""
    # Imported here: Altair loads slowly, and only a display needs it.
    from fairpanel.viz import rate_by_group_chart

    groups = result.groups[result.groups["attribute"] == attr].reset_index(drop=True)
    hidden = _display_hidden(groups, result.min_cell)
    shown = mask_rows(groups[list(_GROUP_SHOWN)], hidden, keep=("group",))
    blocks: list[Block] = [(f"Selection by {attr}", shown)]
    comps = result.comparisons[result.comparisons["attribute"] == attr]
    if len(comps):
        names = set(groups.loc[hidden, "group"])
        withheld = (
            comps["group"].isin(names)
            | comps["reference"].isin(names)
            | comps["rate_difference"].isna()
        )
        masked = mask_rows(comps[list(_COMPARISON_SHOWN)], withheld, keep=("group", "reference"))
        blocks.append((f"{attr}: each group against the reference", masked))
    if groups.loc[~hidden, "selection_rate"].notna().any():
        slug = "".join(ch if ch.isalnum() else "-" for ch in attr)
        # withheld groups stay in the chart, as labelled placeholders (no count, as in
        # the table above)
        marked = groups.assign(suppressed=hidden)
        marked.loc[hidden, "applicants"] = pd.NA
        blocks.append(rate_by_group_chart(marked, attribute=attr, id=f"rate-{slug}"))
    return blocks


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
    spread : DataFrame
        The max–min difference in selection rates per attribute, with an interval that
        keeps its level (from the simultaneous pairwise intervals).
    pairwise : DataFrame
        Every pair of groups: the difference of their rates, with Newcombe intervals
        simultaneous over the pairs (Tukey–Kramer critical value).
    lottery, lottery_summary : DataFrame
        Expected vs realized rates, and the chance of an adverse-impact ratio below 0.8.
    score_gaps, reviewer_gaps : DataFrame
        Score differences between groups; reviewer × applicant-group gaps.
    min_cell : int
        The minimum published cell size.
    publishable : bool
        Whether ``min_cell`` is at least the default (5); below it (``min_cell=0`` for
        internal use) a report should refuse or warn.
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
    spread: pd.DataFrame
    pairwise: pd.DataFrame
    lottery: pd.DataFrame
    lottery_summary: pd.DataFrame
    score_gaps: pd.DataFrame
    reviewer_gaps: pd.DataFrame
    min_cell: int
    notes: tuple[str, ...] = field(default_factory=tuple)
    stratum_comparisons: pd.DataFrame = field(
        default_factory=lambda: _empty(STRATUM_COMPARISON_COLUMNS)
    )
    cycles: pd.DataFrame = field(default_factory=lambda: _empty(CYCLE_COLUMNS))
    change: pd.DataFrame = field(default_factory=lambda: _empty(CHANGE_COLUMNS))
    subgroup_scan: pd.DataFrame = field(default_factory=lambda: _empty(SCAN_COLUMNS))
    multiplicity: pd.DataFrame = field(default_factory=lambda: _empty(MULTIPLICITY_COLUMNS))

    @property
    def publishable(self) -> bool:
        """Whether the tables were suppressed at least at the default minimum cell size."""
        return self.min_cell >= DEFAULT_MIN_CELL

    @property
    def attributes(self) -> list[str]:
        """The audited attributes (intersections included), in order."""
        return list(dict.fromkeys(self.groups["attribute"].tolist()))

    def __repr__(self) -> str:
        hidden = int(self.groups["suppressed"].astype(bool).sum())
        return (
            f"<AuditResult attributes={self.attributes!r} groups={len(self.groups)} "
            f"suppressed={hidden} min_cell={self.min_cell}>"
        )

    def _repr_html_(self) -> str:
        blocks: list[Block] = []
        for attr in self.attributes:
            blocks.extend(_attribute_blocks(self, attr))
        more = [name for _, name, _ in _SECTIONS[2:] if len(getattr(self, name))]
        return html_summary(
            "AuditResult",
            facts=[
                ("attributes", len(self.attributes)),
                ("groups", len(self.groups)),
                ("suppressed groups", int(self.groups["suppressed"].astype(bool).sum())),
                ("minimum cell", self.min_cell),
            ],
            notes=[
                *filter(None, [internal_stamp(self.min_cell)]),
                *self.notes,
                *([f"More tables on this result: {', '.join(more)}."] if more else []),
            ],
            blocks=blocks,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON layout of ``fairpanel audit --json`` (schema ``fairpanel.audit``).

        ``{"min_cell", "publishable", "attributes": {name: {"groups": [...],
        "comparisons": [...], "tests": [...], "strata": [...] (when strata were given),
        ...}}, "notes", "not_assessable"}``; a section appears only when it has rows.
        Missing values are ``None``. ``publishable`` is false when ``min_cell`` is below
        the default 5, and ``stamp`` then says the file is internal.
        """
        out: dict[str, Any] = {}
        for attr in self.attributes:
            entry: dict[str, Any] = {}
            for key, name, _ in _SECTIONS:
                frame: pd.DataFrame = getattr(self, name)
                if len(frame) == 0 or "attribute" not in frame.columns:
                    continue
                part = frame[frame["attribute"] == attr]
                if len(part):
                    entry[key] = records(part, drop=("attribute",))
            out[attr] = entry
        from fairpanel.audit._assess import unassessed  # it reads this result

        doc = {
            SCHEMA_KEY: stamp(SCHEMA_KIND, SCHEMA_VERSION),
            "min_cell": self.min_cell,
            "publishable": self.publishable,
            "attributes": out,
            "notes": list(self.notes),
            **{key: records(getattr(self, name)) for key, name, _ in _WHOLE},
            # derived from the tables (not read back): what each view could not assess
            "not_assessable": records(unassessed(self)),
        }
        internal = internal_stamp(self.min_cell)
        if internal is not None:
            doc["stamp"] = internal
        return doc

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditResult:
        """Read the JSON of :meth:`to_dict` (``publishable`` follows from ``min_cell``).

        A section an attribute does not have is an empty table with its columns; a
        column a record lacks (one added after the file was written) is missing.

        Parameters
        ----------
        data : mapping
            The parsed JSON.

        Raises
        ------
        FairpanelInputError
            Naming the first field that is missing or of the wrong type.
        """
        doc = Node(data)
        check_schema(doc, SCHEMA_KIND, SCHEMA_VERSION)
        rows: dict[str, list[dict[str, Any]]] = {name: [] for _, name, _ in _SECTIONS}
        for attr, body in doc["attributes"].members():
            for key, name, columns in _SECTIONS:
                part = body.get(key)
                if part.is_null:
                    continue
                where = columns.index("attribute")
                for row in part.records(_KINDS, required=("group",) if key == "groups" else ()):
                    items = list(row.items())
                    rows[name].append(dict([*items[:where], ("attribute", attr), *items[where:]]))
        notes = doc.get("notes")
        frames = {
            name: table(rows[name], kinds=_KINDS, columns=columns)
            for _, name, columns in _SECTIONS
        }
        for key, name, columns in _WHOLE:
            part = doc.get(key)
            rows_ = [] if part.is_null else part.records(_KINDS)
            frames[name] = table(rows_, kinds=_KINDS, columns=columns)
        return cls(
            **frames,
            min_cell=doc["min_cell"].integer(),
            notes=() if notes.is_null else tuple(notes.texts()),
        )
