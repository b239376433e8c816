"""The max–min rate gap's interval keeps its level (issue 11, part 6).

The percentile bootstrap it replaces gave 0.039 to 0.222 on the SNSF's MINT 2020
sections while the chi-square test of equal rates had p = 0.82.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from fairpanel.audit import audit_counts, newcombe_difference, rate_spread
from fairpanel.audit._spread import gap_interval, pairwise_differences, simultaneous_z

# Proposals funded by section in the SNSF MINT 2020 panel (one row per proposal of
# panel_votes_snsf_mint2020.csv; Heyard et al. 2022): section, proposals, funded.
MINT_SECTIONS = pd.DataFrame(
    {
        "section": ["four", "one", "three", "two"],
        "applicants": [88, 87, 86, 92],
        "selected": [25, 30, 28, 31],
    }
)


def test_mint_sections_interval_contains_zero_beside_the_chi_square():
    res = audit_counts(MINT_SECTIONS, group_col="section")
    p = res.tests["p_value"].iloc[0]
    table = np.column_stack(
        [MINT_SECTIONS["selected"], MINT_SECTIONS["applicants"] - MINT_SECTIONS["selected"]]
    )
    assert_allclose(p, stats.chi2_contingency(table, correction=False).pvalue)
    assert p > 0.8
    row = res.spread.iloc[0]
    rates = MINT_SECTIONS["selected"] / MINT_SECTIONS["applicants"]
    assert_allclose(row["estimate"], rates.max() - rates.min())
    assert row["ci_low"] == 0.0  # compatible with equal rates, as the test says
    assert row["ci_high"] > row["estimate"]
    assert (row["highest"], row["lowest"]) == ("one", "four")  # 30/87 and 25/88
    assert row["pairs"] == 6


def test_critical_value_is_tukeys_studentized_range():
    # Tukey's table of the studentized range, infinite degrees of freedom, 5%: q = 3.314
    # for 3 groups and 4.030 for 6 (e.g. Hochberg & Tamhane 1987, Table 8).
    assert simultaneous_z(3) == pytest.approx(3.314 / np.sqrt(2), abs=1e-3)
    assert simultaneous_z(6) == pytest.approx(4.030 / np.sqrt(2), abs=1e-3)
    assert simultaneous_z(2) == pytest.approx(stats.norm.ppf(0.975))


def test_pairwise_intervals_are_newcombe_at_the_simultaneous_level():
    k, n = np.array([30.0, 45.0, 20.0]), np.array([100.0, 120.0, 90.0])
    _, pairs = rate_spread(
        pd.DataFrame({"g": ["a", "b", "c"], "applicants": n, "selected": k}), ["g"]
    )
    z = simultaneous_z(3)
    d, lo, hi = newcombe_difference(k[[0, 0, 1]], n[[0, 0, 1]], k[[1, 2, 2]], n[[1, 2, 2]], z=z)
    assert pairs[["group", "other"]].values.tolist() == [["a", "b"], ["a", "c"], ["b", "c"]]
    assert_allclose(pairs["difference"], d)
    assert_allclose(pairs["ci_low"], lo)
    assert_allclose(pairs["ci_high"], hi)


def test_gap_interval_from_ordered_pairs():
    # pairs (a,b), (a,c), (b,c): p_b - p_c is surely positive, so the gap is at least its
    # lower limit; the largest |difference| limit bounds it above
    lo, hi = np.array([-0.1, -0.05, 0.03]), np.array([0.05, 0.1, 0.2])
    low, high = gap_interval(lo, hi)
    assert (float(low), float(high)) == (0.03, 0.2)


@pytest.mark.parametrize("groups", [3, 6])
@pytest.mark.parametrize(
    "sizes",
    [(30, 45, 60), (800, 1000, 1200)],
    ids=["small", "large"],
)
def test_coverage_under_equal_rates(groups, sizes):
    # Equal true rates (0.3, a typical success rate; the gap is 0): the share of
    # simulated panels whose interval contains 0 is the interval's coverage. 4,000
    # panels give a Monte Carlo s.e. of 0.0034; the issue asks for 2 points of 95%.
    # Measured: 3 groups 94.9% / 95.2%, 6 groups 95.2% / 94.8% (small / large). The
    # percentile bootstrap of max - min could hardly cover 0: nearly every resample's
    # max - min is positive, so its 2.5% quantile is too.
    rng = np.random.default_rng([11, groups, sizes[0]])
    n = np.resize(np.array(sizes, dtype=np.float64), groups)
    k = rng.binomial(n.astype(np.int64), 0.3, size=(4000, groups)).astype(np.float64)
    _, _, _, lo, hi = pairwise_differences(k, np.broadcast_to(n, k.shape))
    low, high = gap_interval(lo, hi)
    coverage = float(np.mean((low <= 0) & (high >= 0)))
    assert abs(coverage - 0.95) <= 0.02, coverage


@pytest.mark.parametrize("groups", [3, 6])
def test_coverage_when_rates_differ(groups):
    # Unequal true rates (0.2 to 0.4 spread over the groups): the true gap is 0.2. The
    # interval is conservative here (measured 98.2% and 99.8%): it bounds the gap by
    # the union of the pairs, and at least one pair is far from its limit.
    rng = np.random.default_rng([12, groups])
    p = np.linspace(0.2, 0.4, groups)
    n = np.resize(np.array([150.0, 200.0, 250.0]), groups)
    k = rng.binomial(n.astype(np.int64), p, size=(4000, groups)).astype(np.float64)
    _, _, _, lo, hi = pairwise_differences(k, np.broadcast_to(n, k.shape))
    low, high = gap_interval(lo, hi)
    coverage = float(np.mean((low <= 0.2) & (high >= 0.2)))
    assert coverage >= 0.93, coverage
