"""Per-group rates and comparisons with a reference group, for one group attribute."""

from __future__ import annotations

from fractions import Fraction
from typing import Final

import numpy as np
import pandas as pd

from fairpanel._schema import FOUR_FIFTHS
from fairpanel.audit._stats import (
    fisher_pair,
    katz_ratio,
    newcombe_difference,
    omnibus_test,
    wilson_interval,
    woolf_odds_ratio,
)

__all__ = [
    "COMPARISON_COLUMNS",
    "FOUR_FIFTHS",
    "FUNNEL_COLUMNS",
    "GROUP_COLUMNS",
    "STRATUM_RATE_COLUMNS",
    "TEST_COLUMNS",
    "below_four_fifths",
    "comparison_table",
    "four_fifths_flag",
    "funnel_table",
    "group_table",
    "omnibus_table",
    "pick_reference",
]

#: :data:`fairpanel._schema.FOUR_FIFTHS` as a fraction (4/5), so that a rate compares with
#: it in integers: 48/60 against 60/60 is exactly 0.8 and not flagged.
_FIFTHS: Final = Fraction(str(FOUR_FIFTHS))

GROUP_COLUMNS: Final[tuple[str, ...]] = (
    "attribute",
    "group",
    "applicants",
    "selected",
    "selection_rate",
    "rate_ci_low",
    "rate_ci_high",
    "suppressed",
)
COMPARISON_COLUMNS: Final[tuple[str, ...]] = (
    "attribute",
    "group",
    "reference",
    "rate_difference",
    "difference_ci_low",
    "difference_ci_high",
    "rate_ratio",
    "ratio_ci_low",
    "ratio_ci_high",
    "odds_ratio",
    "odds_ratio_ci_low",
    "odds_ratio_ci_high",
    "adverse_impact_ratio",
    "four_fifths_flag",
    "test",
    "p_value",
    # filled once the family of comparisons is known (fairpanel.audit._across)
    "min_detectable_difference",
    "adjusted_p_value",
)
#: Rates within each stratum: the group table's columns with the stratum after the attribute.
STRATUM_RATE_COLUMNS: Final[tuple[str, ...]] = ("attribute", "stratum", *GROUP_COLUMNS[1:])
TEST_COLUMNS: Final[tuple[str, ...]] = (
    "attribute",
    "test",
    "statistic",
    "dof",
    "p_value",
    "min_expected",
    "note",
    "adjusted_p_value",
)
FUNNEL_COLUMNS: Final[tuple[str, ...]] = (
    "attribute",
    "stage",
    "group",
    "reached",
    "passed",
    "pass_rate",
    "rate_ci_low",
    "rate_ci_high",
    "adverse_impact_ratio",
    "four_fifths_flag",
    "suppressed",
    # the group the stage's adverse-impact ratios are taken against (added in schema 2)
    "reference",
)

NOTE_SMALL_EXPECTED = (
    # No number here: with small groups suppressed, the expected count would reveal one.
    "an expected count is below 5: the chi-square p-value is approximate"
)


def pick_reference(groups: np.ndarray, n: np.ndarray, k: np.ndarray, min_cell: int = 0) -> int:
    """Index of the group with the highest selection rate (first in order on ties).

    Only groups whose counts can be published (applicants, selected and not selected all
    at least ``min_cell``) are eligible, so the comparisons are not all suppressed
    because of one tiny group; if no group is eligible, every group with applicants is.
    """
    eligible = (n > 0) & (k >= min_cell) & (n - k >= min_cell) & (n >= min_cell)
    if not eligible.any():
        eligible = n > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(eligible, k / n, -1.0)
    return int(np.argmax(rate))


def below_four_fifths(
    k: np.ndarray, n: np.ndarray, k_top: int | np.ndarray, n_top: int | np.ndarray
) -> np.ndarray:
    """Whether ``k/n < FOUR_FIFTHS · k_top/n_top``, elementwise, decided in integers.

    29 CFR 1607.4(D) flags a rate *less than* four-fifths of the highest, so a ratio of
    exactly 0.8 (48/60 against 60/60) is not flagged; floating point could say either.
    The arguments broadcast (one reference, or one per replicate).

    Examples
    --------
    >>> below_four_fifths(np.array([47, 48]), np.array([60, 60]), 60, 60).tolist()
    [True, False]
    """
    den, num = _FIFTHS.denominator, _FIFTHS.numerator
    return np.asarray(den * k * n_top < num * k_top * n)


def four_fifths_flag(k: np.ndarray, n: np.ndarray, k_top: int, n_top: int) -> np.ndarray:
    """Flag each group whose rate is below four-fifths of the reference ``k_top / n_top``."""
    if n_top == 0 or k_top == 0:
        return np.zeros(k.shape, dtype=bool)
    return below_four_fifths(k, n, k_top, n_top) & (n > 0)


def group_table(attribute: str, groups: np.ndarray, n: np.ndarray, k: np.ndarray) -> pd.DataFrame:
    """Applicants, selected and the selection rate with its Wilson interval, per group."""
    lo, hi = wilson_interval(k, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, k / n, np.nan)
    return pd.DataFrame(
        {
            "attribute": attribute,
            "group": groups.astype(str),
            "applicants": n.astype(np.int64),
            "selected": k.astype(np.int64),
            "selection_rate": rate,
            "rate_ci_low": lo,
            "rate_ci_high": hi,
            "suppressed": False,
        },
        columns=list(GROUP_COLUMNS),
    )


def comparison_table(
    attribute: str, groups: np.ndarray, n: np.ndarray, k: np.ndarray, ref: int, min_cell: int = 0
) -> pd.DataFrame:
    """Each group against the reference group ``groups[ref]``.

    The reference is the group with the highest rate among those large enough to
    publish (:func:`pick_reference`: 29 CFR 1607.4(D)'s comparator, restricted to groups
    whose counts can be shown), or the group the committee named; the adverse-impact
    ratio and the four-fifths flag are taken against it, so a ratio is never measured
    against a group the tables withhold. It equals ``rate_ratio``.
    The test is Fisher's exact test of the group-vs-reference 2×2 table.
    """
    others = np.array([i for i in range(groups.size) if i != ref], dtype=np.int64)
    kg, ng = k[others], n[others]
    kr, nr = np.full(others.size, k[ref]), np.full(others.size, n[ref])
    diff, dlo, dhi = newcombe_difference(kg, ng, kr, nr)
    rr, rlo, rhi = katz_ratio(kg, ng, kr, nr)
    odds, olo, ohi = woolf_odds_ratio(kg, ng, kr, nr)
    del min_cell  # the reference was chosen among the publishable groups by the caller
    top = ref
    with np.errstate(divide="ignore", invalid="ignore"):
        air = (
            (kg / ng) / (k[top] / n[top])
            if n[top] > 0 and k[top] > 0
            else np.full(kg.shape, np.nan)
        )
    return pd.DataFrame(
        {
            "attribute": attribute,
            "group": groups[others].astype(str),
            "reference": str(groups[ref]),
            "rate_difference": diff,
            "difference_ci_low": dlo,
            "difference_ci_high": dhi,
            "rate_ratio": rr,
            "ratio_ci_low": rlo,
            "ratio_ci_high": rhi,
            "odds_ratio": odds,
            "odds_ratio_ci_low": olo,
            "odds_ratio_ci_high": ohi,
            "adverse_impact_ratio": air,
            "four_fifths_flag": four_fifths_flag(kg, ng, int(k[top]), int(n[top])),
            "test": "fisher_exact",
            "p_value": fisher_pair(kg, ng, kr, nr),
        },
        columns=list(COMPARISON_COLUMNS),
    )


def omnibus_table(attribute: str, n: np.ndarray, k: np.ndarray) -> pd.DataFrame:
    """Test whether the selection rate differs at all between the attribute's groups."""
    test, statistic, p, dof, min_expected = omnibus_test(k, n)
    note = ""
    if test == "chi2_independence" and min_expected < 5:
        note = NOTE_SMALL_EXPECTED
    return pd.DataFrame(
        [[attribute, test, statistic, dof, p, min_expected, note, float("nan")]],
        columns=list(TEST_COLUMNS),
    )


def funnel_table(
    attribute: str,
    groups: np.ndarray,
    applicants: np.ndarray,
    passed: dict[str, np.ndarray],
    min_cell: int = 0,
    reference: str | None = None,
) -> pd.DataFrame:
    """Pass rate at each stage among those who reached it, with the adverse-impact ratio.

    The ratio at a stage is taken against ``reference`` when the committee named one,
    else against the stage's highest-rate group among those whose counts at that stage
    can be published (:func:`pick_reference`); the ``reference`` column says which.
    """
    rows = []
    reached = applicants
    names = groups.astype(str).tolist()
    for stage, through in passed.items():
        lo, hi = wilson_interval(through, reached)
        top = (
            names.index(reference)
            if reference in names
            else pick_reference(groups, reached, through, min_cell)
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(reached > 0, through / reached, np.nan)
            air = rate / rate[top] if rate[top] > 0 else np.full(rate.shape, np.nan)
        flag = four_fifths_flag(through, reached, int(through[top]), int(reached[top]))
        rows.append(
            pd.DataFrame(
                {
                    "attribute": attribute,
                    "stage": stage,
                    "group": groups.astype(str),
                    "reached": reached.astype(np.int64),
                    "passed": through.astype(np.int64),
                    "pass_rate": rate,
                    "rate_ci_low": lo,
                    "rate_ci_high": hi,
                    "adverse_impact_ratio": air,
                    "four_fifths_flag": flag,
                    "suppressed": False,
                    "reference": names[top],
                },
                columns=list(FUNNEL_COLUMNS),
            )
        )
        reached = through
    return pd.concat(rows, ignore_index=True)
