"""Reviewer × applicant-group gaps (``audit/_reviewers.py``) and their Holm adjustment."""

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose
from scipy import stats

from fairpanel.audit import audit, reviewer_gaps


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


# Regression found auditing real review data (AIBS, 1 = best): gaps are oriented by
# the scale's direction, given or read from the scores table by the audit.
def test_reviewer_gaps_are_oriented_by_the_scale():
    subs, reviews = planted_panel()
    high = reviewer_gaps(reviews, subs, groups=["gender"], min_cell=3)
    # the same reviews on a reversed scale (10 - score), where lower is better
    low = reviewer_gaps(
        reviews.assign(score=10 - reviews["score"]),
        subs,
        groups=["gender"],
        min_cell=3,
        higher_is_better=False,
    )
    row = low.set_index(["reviewer_id", "group"]).loc[("r0", "w")]
    assert row["contrast"] < -1.0  # scored women worse
    assert_allclose(low["contrast"].astype(float), high["contrast"].astype(float))
    # the audit takes the direction from the scores table
    scores = pd.DataFrame(
        {
            "submission_id": subs["submission_id"],
            "calibrated_score": 1.0,
            "higher_is_better": False,
        }
    )
    res = audit(
        subs.assign(selected=[1, 0, 0, 1] * 10),
        groups="gender",
        scores=scores,
        reviews=reviews.assign(score=10 - reviews["score"]),
        min_cell=3,
    )
    r0 = res.reviewer_gaps.set_index(["reviewer_id", "group"]).loc[("r0", "w")]
    assert r0["contrast"] < -1.0


# Holm's step-down adjustment of the reviewers' p-values, ties included, against
# statsmodels' ``multipletests``.
def test_holm_matches_statsmodels():
    from statsmodels.stats.multitest import multipletests

    from fairpanel.audit._reviewers import holm

    p = np.random.default_rng(3).uniform(0, 0.2, 40)
    p[5] = p[9]  # a tie
    assert_allclose(holm(p), multipletests(p, method="holm")[1])
