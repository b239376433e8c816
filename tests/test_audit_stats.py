"""Closed-form intervals and tests of the audit, against published values and statsmodels."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.stats.proportion import proportion_confint

from fairpanel.audit import katz_ratio, newcombe_difference, wilson_interval, woolf_odds_ratio
from fairpanel.audit._stats import fisher_pair, omnibus_test

GRID = [(0, 10), (1, 10), (5, 10), (10, 10), (3, 7), (48, 80), (290, 1635), (0, 1), (1, 1)]


@pytest.mark.parametrize(("k", "n"), GRID)
def test_wilson_matches_statsmodels(k, n):
    lo, hi = wilson_interval(k, n)
    ref_lo, ref_hi = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert_allclose([lo, hi], [ref_lo, ref_hi], atol=1e-12)


def test_wilson_is_nan_without_applicants():
    lo, hi = wilson_interval(np.array([0]), np.array([0]))
    assert np.isnan(lo).all()
    assert np.isnan(hi).all()


@pytest.mark.parametrize(
    ("k1", "n1", "k2", "n2", "lo", "hi"),
    [
        # Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10
        # (hybrid score, no continuity correction); the same values are the reference of
        # the propint R package's tests ("results reported in Newcombe1998").
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
    ],
)
def test_newcombe_matches_newcombe_1998(k1, n1, k2, n2, lo, hi):
    d, got_lo, got_hi = newcombe_difference(k1, n1, k2, n2)
    assert_allclose(d, k1 / n1 - k2 / n2)
    assert_allclose([got_lo, got_hi], [lo, hi], atol=5e-5)


def test_newcombe_is_antisymmetric():
    d, lo, hi = newcombe_difference(12, 40, 48, 80)
    d2, lo2, hi2 = newcombe_difference(48, 80, 12, 40)
    assert_allclose([d, lo, hi], [-d2, -hi2, -lo2])


@pytest.mark.parametrize(
    ("k1", "n1", "k2", "n2"), [(12, 40, 48, 80), (177, 1188, 290, 1635), (3, 9, 18, 67)]
)
def test_katz_and_woolf_match_statsmodels_table2x2(k1, n1, k2, n2):
    # statsmodels' Table2x2: riskratio_confint is the log (Katz) interval and
    # oddsratio_confint the Woolf (log) interval.
    t = Table2x2(np.array([[k1, n1 - k1], [k2, n2 - k2]], dtype=float))
    rr, rlo, rhi = katz_ratio(k1, n1, k2, n2)
    assert_allclose([rr, rlo, rhi], [t.riskratio, *t.riskratio_confint()], rtol=1e-12)
    odds, olo, ohi = woolf_odds_ratio(k1, n1, k2, n2)
    assert_allclose([odds, olo, ohi], [t.oddsratio, *t.oddsratio_confint()], rtol=1e-12)


def test_log_intervals_are_nan_with_a_zero_cell():
    _, lo, hi = katz_ratio(0, 10, 5, 10)
    assert np.isnan(lo)
    assert np.isnan(hi)
    _, lo, hi = woolf_odds_ratio(10, 10, 5, 10)
    assert np.isnan(lo)
    assert np.isnan(hi)


def test_fisher_pair_matches_scipy():
    p = fisher_pair([12, 3], [40, 9], [48, 18], [80, 67])
    assert_allclose(p[0], stats.fisher_exact([[12, 28], [48, 32]]).pvalue)
    assert_allclose(p[1], stats.fisher_exact([[3, 6], [18, 49]]).pvalue)


def test_omnibus_uses_fisher_for_two_groups_and_chi2_for_more():
    test, _, p, _, _ = omnibus_test([12, 48], [40, 80])
    assert test == "fisher_exact"
    assert_allclose(p, stats.fisher_exact([[12, 28], [48, 32]]).pvalue)
    k, n = np.array([60, 45, 48, 51]), np.array([100, 100, 100, 100])
    test, stat, p, dof, min_exp = omnibus_test(k, n)
    ref = stats.chi2_contingency(np.column_stack([k, n - k]), correction=False)
    assert test == "chi2_independence"
    assert_allclose([stat, p, dof], [ref.statistic, ref.pvalue, ref.dof])
    assert_allclose(min_exp, ref.expected_freq.min())


@st.composite
def two_groups(draw):
    n1 = draw(st.integers(1, 500))
    n2 = draw(st.integers(1, 500))
    return draw(st.integers(0, n1)), n1, draw(st.integers(0, n2)), n2


@settings(max_examples=200, deadline=None)
@given(two_groups())
def test_intervals_contain_their_estimate_and_stay_in_range(counts):
    k1, n1, k2, n2 = counts
    lo, hi = wilson_interval(k1, n1)
    assert 0 <= lo <= k1 / n1 <= hi <= 1
    d, dlo, dhi = newcombe_difference(k1, n1, k2, n2)
    assert -1 - 1e-12 <= dlo <= d + 1e-12
    assert d - 1e-12 <= dhi <= 1 + 1e-12
    rr, rlo, rhi = katz_ratio(k1, n1, k2, n2)
    if k1 > 0 and k2 > 0:
        assert rlo <= rr <= rhi
    odds, olo, ohi = woolf_odds_ratio(k1, n1, k2, n2)
    if 0 < k1 < n1 and 0 < k2 < n2:
        assert olo <= odds <= ohi
