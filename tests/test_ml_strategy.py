"""The ml strategy: same capacity interface as the others; disparity beside the rubric
ranking; fairness mitigation for comparison."""

import numpy as np
import pytest

from fairpanel import FairpanelInputError
from fairpanel.ml import generate_history, selection_disparity
from fairpanel.ml._strategy import ERR_MITIGATION, MITIGATIONS, MLStrategy
from fairpanel.strategies import Capacity, RankStrategy

K = 150


@pytest.fixture(scope="module")
def past():
    # Past decisions marked women down at equal merit, and a feature stands in for gender.
    return generate_history(200, cycles=3, biased=True, proxy=True, seed=1)


@pytest.fixture(scope="module")
def cycle():
    new = generate_history(600, cycles=1, biased=True, proxy=True, seed=5)
    scores = new[["submission_id", "past_score"]].rename(
        columns={"past_score": "calibrated_score"}
    )
    return new, scores


def _ratio(allocation, new):
    table = allocation.table.merge(new[["submission_id", "gender"]], on="submission_id")
    return selection_disparity(table["selected"].to_numpy(), table["gender"]).ratio


def test_selects_capacity_by_predicted_probability(past, cycle):
    new, scores = cycle
    ml = MLStrategy(groups=["gender"], seed=0).fit(past)
    alloc = ml.allocate(scores, new, capacity=K, seed="2026")
    table = alloc.table
    assert alloc.strategy == "ml"
    assert table["selected"].sum() == K
    cut = table.loc[table["selected"], "ml_score"].min()
    assert (table.loc[~table["selected"], "ml_score"] <= cut).all()
    assert set(table["tier"]) <= {"funded", "rejected", "lottery"}


def test_row_order_and_seed_change_nothing_without_ties(past, cycle):
    new, scores = cycle
    ml = MLStrategy(groups=["gender"], seed=0).fit(past)
    a = ml.allocate(scores, new, capacity=K, seed="a")
    b = ml.allocate(scores.iloc[::-1], new.sample(frac=1.0, random_state=1), capacity=K,
                    seed="a")  # fmt: skip
    assert a.selected_ids == b.selected_ids


def test_ties_are_broken_by_lot(past, cycle):
    new, scores = cycle
    # Every feature equal: every prediction is equal, so the lot decides among all.
    flat = new.assign(publications=3, citation_index=0.0, prior_awards=1, requested_hours=10.0,
                      pages=3, field="stellar", womens_college=False, career_stage="mid")  # fmt: skip
    ml = MLStrategy(groups=["gender"], seed=0).fit(past)
    one = ml.allocate(scores, flat, capacity=10, seed="one")
    two = ml.allocate(scores, flat, capacity=10, seed="two")
    assert one.certificate is not None
    assert one.selected_ids != two.selected_ids
    np.testing.assert_allclose(one.table["selection_probability"], 10 / 600)


def test_budget_capacity(past, cycle):
    new, scores = cycle
    ml = MLStrategy(groups=["gender"], seed=0).fit(past)
    cap = Capacity(budget=600.0, request_col="requested_hours")
    alloc = ml.allocate(
        scores,
        new,
        capacity=cap,
        seed="b",
    )
    assert alloc.table.loc[alloc.table["selected"], "request"].sum() <= 600.0


def test_ml_repeats_past_bias_rank_by_merit_does_not_mitigation_reduces_it(past, cycle):
    new, scores = cycle
    rank = _ratio(RankStrategy().allocate(scores, new, capacity=K, seed="s"), new)
    plain = _ratio(MLStrategy(groups=["gender"], seed=0).fit(past)
                   .allocate(scores, new, capacity=K, seed="s"), new)  # fmt: skip
    assert plain < 0.8 <= rank  # the model learned the historical disparity; the rubric not
    ratios = {}
    for mitigation in MITIGATIONS:
        ml = MLStrategy(groups=["gender"], mitigation=mitigation, seed=0).fit(past)
        ratios[mitigation] = _ratio(ml.allocate(scores, new, capacity=K, seed="s"), new)
        assert ratios[mitigation] > plain + 0.1, mitigation
    # Group thresholds keep parity at any capacity; the reduction's classifier selects
    # about 12% of the history, so at 25% places parity holds only roughly (docs/ml.md).
    assert ratios["threshold-optimizer"] >= 0.8


def test_mitigated_classifier_reports_its_own_selection_rate(past):
    ml = MLStrategy(groups=["gender"], mitigation="exponentiated-gradient", seed=0).fit(past)
    assert 0.0 < ml.mitigated_rate_ < 0.25


def test_group_attributes_can_be_fed_in_for_comparison(past):
    ml = MLStrategy(groups=["gender"], exclude_groups=False, seed=0).fit(past)
    assert "gender" in ml.model_.feature_names_
    assert "gender" not in MLStrategy(groups=["gender"]).fit(past).model_.feature_names_


def test_errors(past, cycle):
    new, scores = cycle
    with pytest.raises(ValueError, match="mitigation must be") as err:
        MLStrategy(mitigation="quota").fit(past)  # type: ignore[arg-type]
    assert str(err.value) == ERR_MITIGATION.format(allowed=MITIGATIONS, value="quota")
    with pytest.raises(ValueError, match="not fitted"):
        MLStrategy().allocate(scores, new, capacity=3, seed="x")
    with pytest.raises(FairpanelInputError, match="needs the submissions table"):
        MLStrategy(groups=["gender"]).fit(past).allocate(scores, capacity=3, seed="x")
    with pytest.raises(ValueError, match="needs a group attribute"):
        MLStrategy(mitigation="threshold-optimizer").fit(past)


def test_params_follow_scikit_learn():
    ml = MLStrategy(model="gbm", mitigation="threshold-optimizer")
    assert ml.get_params()["model"] == "gbm"
    assert "mitigation='threshold-optimizer'" in repr(ml)
