"""The audit's notes: why something is withheld, what was merged, what was assumed.

No note carries a count: the groups a note names are already flagged ``suppressed``.
"""

from __future__ import annotations

import pandas as pd

__all__ = [
    "NOTE_DIRECTION",
    "NOTE_MERGED",
    "NOTE_MODELS_WITHHELD",
    "NOTE_WITHHELD",
    "withheld_model_notes",
    "withheld_notes",
]

NOTE_WITHHELD = (
    "{attribute}: the comparisons of {groups} are withheld: groups with small counts are "
    "suppressed, and other groups with them so that they cannot be recomputed from the "
    "totals; to publish them, merge small groups into a larger one (recode the attribute, "
    "e.g. 'another / not stated'), or lower the minimum cell size (--min-cell) for internal use only"
)
NOTE_MODELS_WITHHELD = (
    "{attribute}: the {what} are withheld: computed from suppressed cells (per stratum or per "
    "group), they would let those cells be recomputed; merge small groups or strata "
    "(a recode), or lower the minimum cell size (--min-cell) for internal use only"
)
NOTE_MERGED = (
    "counts: {rows} rows repeat a group{and_stratum} of an earlier row and were added to it"
)
NOTE_DIRECTION = (
    "reviewer gaps assume higher scores are better; for a scale where lower is better, "
    "say so (--lower-is-better)"
)


def _gone(comparisons: pd.DataFrame) -> pd.Series:
    return comparisons["rate_difference"].isna() & comparisons["odds_ratio"].isna()


def withheld_model_notes(
    strata: pd.DataFrame, logistic: pd.DataFrame, comparisons: pd.DataFrame
) -> list[str]:
    """Say when the adjusted analyses are withheld although the comparisons are not."""
    explained = {str(a) for a, part in comparisons.groupby("attribute") if _gone(part).any()}
    what: dict[str, list[str]] = {}
    for attr, part in strata.groupby("attribute", sort=False):
        if part["statistic"].isna().all() and part["pooled_odds_ratio"].isna().all():
            what.setdefault(str(attr), []).append("within-strata comparisons")
    for attr, part in logistic.groupby("attribute", sort=False):
        if part["odds_ratio"].isna().all():
            what.setdefault(str(attr), []).append("regression odds ratios")
    return [
        NOTE_MODELS_WITHHELD.format(attribute=attr, what=" and the ".join(parts))
        for attr, parts in what.items()
        if attr not in explained
    ]


def withheld_notes(comparisons: pd.DataFrame) -> list[str]:
    """Say why comparisons are withheld, naming the groups (already flagged) but no count."""
    out = []
    for attr, part in comparisons.groupby("attribute", sort=False):
        gone = part[_gone(part)]
        if len(gone):
            names = ", ".join(f"'{x}'" for x in gone["group"])
            out.append(NOTE_WITHHELD.format(attribute=attr, groups=names))
    return out
