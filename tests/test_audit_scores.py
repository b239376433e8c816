"""Score gaps by group (``audit/_scores.py``): Welch, Hedges' g, the scale's direction."""

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from fairpanel import FairpanelInputError
from fairpanel.audit import score_gaps


def scored(seed=0, n=60):
    rng = np.random.default_rng(seed)
    subs = pd.DataFrame(
        {"submission_id": [f"p{i}" for i in range(n)], "gender": rng.choice(["m", "w"], n)}
    )
    scores = pd.DataFrame(
        {
            "submission_id": subs["submission_id"],
            "calibrated_score": rng.normal(4, 1, n) - 0.4 * (subs["gender"] == "w"),
        }
    )
    return subs, scores


def test_score_gap_matches_scipy_welch_and_pingouin_hedges():
    subs, scores = scored()
    gap = score_gaps(scores, subs, groups=["gender"]).iloc[0]
    data = scores.merge(subs)
    x = data.loc[data["gender"] == gap["group"], "calibrated_score"].to_numpy()
    y = data.loc[data["gender"] == gap["reference"], "calibrated_score"].to_numpy()
    welch = stats.ttest_ind(x, y, equal_var=False)
    ci = welch.confidence_interval(0.95)
    assert_allclose(gap["difference"], x.mean() - y.mean())
    assert_allclose([gap["difference_ci_low"], gap["difference_ci_high"]], [ci.low, ci.high])
    assert_allclose(gap["p_value"], welch.pvalue)
    g = pg.compute_effsize(x, y, eftype="hedges")
    assert_allclose(gap["hedges_g"], g)
    lo, hi = pg.compute_esci(stat=g, nx=len(x), ny=len(y), eftype="hedges", decimals=12)
    assert_allclose([gap["g_ci_low"], gap["g_ci_high"]], [lo, hi], atol=1e-10)


def test_score_gap_suppresses_small_groups():
    subs, scores = scored(n=12)
    subs.loc[0, "gender"] = "x"
    gaps = score_gaps(scores, subs, groups=["gender"], min_cell=3)
    row = gaps.set_index("group").loc["x"]
    assert row["suppressed"]
    assert np.isnan(row["mean_score"])


def ranked_groups(higher_is_better):
    """Group A holds the 10 best proposals, B the 10 worst (AIBS-like 1-40 scale)."""
    best = np.arange(1.0, 11.0)  # ratings 1..10: the best on a lower-is-better scale
    worst = np.arange(21.0, 31.0)
    values = np.concatenate([best, worst])
    if higher_is_better:
        values = 41.0 - values
    subs = pd.DataFrame(
        {"submission_id": [f"p{i}" for i in range(20)], "g": ["A"] * 10 + ["B"] * 10}
    )
    scores = pd.DataFrame({"submission_id": subs["submission_id"], "calibrated_score": values})
    if not higher_is_better:
        scores["higher_is_better"] = "False"
    return subs, scores


# Regression found auditing real review data (AIBS, 1 = best): on a lower-is-better
# scale, score gaps took the worst-scored group as the reference.
def test_score_gaps_are_oriented_on_a_lower_is_better_scale():
    subs, low = ranked_groups(higher_is_better=False)
    gap = score_gaps(low, subs, groups=["g"], min_cell=1).iloc[0]
    # the best-scored group is the reference; the worse group's gap is negative
    assert (gap["reference"], gap["group"]) == ("A", "B")
    assert gap["difference"] == pytest.approx(-20.0)
    assert gap["difference_ci_high"] < 0
    assert gap["hedges_g"] < 0
    assert gap["g_ci_high"] < 0
    assert not gap["higher_is_better"]
    # the same panel on a higher-is-better scale gives the same oriented numbers
    subs, high = ranked_groups(higher_is_better=True)
    mirror = score_gaps(high, subs, groups=["g"], min_cell=1).iloc[0]
    for col in ("difference", "difference_ci_low", "difference_ci_high", "hedges_g", "p_value"):
        assert_allclose(gap[col], mirror[col])


# Regression (same audit): a direction given that contradicts the scores table's
# ``higher_is_better`` is refused, not silently chosen.
def test_score_direction_conflict_is_refused():
    subs, low = ranked_groups(higher_is_better=False)
    with pytest.raises(FairpanelInputError, match="higher_is_better"):
        score_gaps(low, subs, groups=["g"], higher_is_better=True)
