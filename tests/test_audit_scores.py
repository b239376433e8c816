"""Score gaps by group (Welch, Hedges' g) and reviewer × applicant-group gaps."""

import numpy as np
import pandas as pd
import pingouin as pg
from numpy.testing import assert_allclose
from scipy import stats

from fairpanel.audit import audit, reviewer_gaps, score_gaps


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


def planted_panel(seed=0):
    """40 submissions, 8 reviewers, 4 reviews each; reviewer r0 scores women 1.5 lower."""
    rng = np.random.default_rng(seed)
    n_sub, n_rev = 40, 8
    subs = pd.DataFrame(
        {"submission_id": [f"p{i}" for i in range(n_sub)], "gender": ["m", "w"] * (n_sub // 2)}
    )
    merit = rng.normal(0, 1, n_sub)
    rows = []
    for i in range(n_sub):
        for r in rng.choice(n_rev, 4, replace=False):
            if i % 2 == 1:  # make sure r0 reviews many women
                r = 0 if rng.random() < 0.6 else r
            score = 4 + merit[i] + rng.normal(0, 0.3) - (1.5 if (r == 0 and i % 2 == 1) else 0)
            rows.append({"submission_id": f"p{i}", "reviewer_id": f"r{r}", "score": score})
    reviews = pd.DataFrame(rows).drop_duplicates(["submission_id", "reviewer_id"])
    return subs, reviews


def test_reviewer_gap_flags_the_planted_reviewer_only():
    subs, reviews = planted_panel()
    gaps = reviewer_gaps(reviews, subs, groups=["gender"], min_cell=3)
    flagged = gaps[gaps["flagged"]]
    assert set(flagged["reviewer_id"]) == {"r0"}
    row = gaps.set_index(["reviewer_id", "group"]).loc[("r0", "w")]
    assert row["contrast"] < -1.0
    assert row["p_adjusted"] >= row["p_value"]


def test_reviewer_gap_matches_a_direct_welch_test():
    subs, reviews = planted_panel(1)
    gaps = reviewer_gaps(reviews, subs, groups=["gender"], min_cell=0)
    # recompute r0's contrast by hand: own score minus the other reviewers' mean
    data = reviews.merge(subs)
    data["loo"] = data.groupby("submission_id")["score"].transform(
        lambda s: (s.sum() - s) / (len(s) - 1)
    )
    data["resid"] = data["score"] - data["loo"]
    data = data.dropna(subset=["resid"])  # a submission with one review has no benchmark
    r0 = data[data["reviewer_id"] == "r0"]
    x, y = r0.loc[r0["gender"] == "w", "resid"], r0.loc[r0["gender"] == "m", "resid"]
    row = gaps.set_index(["reviewer_id", "group"]).loc[("r0", "w")]
    assert_allclose(row["gap"], x.mean())
    assert_allclose(row["gap_others"], y.mean())
    assert_allclose(row["p_value"], stats.ttest_ind(x, y, equal_var=False).pvalue)


def test_audit_carries_the_score_views():
    subs, reviews = planted_panel()
    decisions = subs.assign(selected=[1, 0, 0, 1] * 10)
    scores = reviews.groupby("submission_id", as_index=False)["score"].mean()
    scores = scores.rename(columns={"score": "calibrated_score"})
    res = audit(decisions, groups="gender", scores=scores, reviews=reviews, min_cell=3)
    assert len(res.score_gaps) == 1
    assert "r0" in set(res.reviewer_gaps["reviewer_id"])
    assert "reviewer_gaps" in res.to_dict()["attributes"]["gender"]
