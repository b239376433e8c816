"""The cycle generator: reproducible, on the rubric's scale, a valid review design."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairpanel import FairpanelInputError
from fairpanel.io import load_reviews, load_submissions
from fairpanel.rubric import Rubric
from fairpanel.simulate import CycleConfig, _cycle_config, generate_cycle

SIX = Rubric.single_criterion(minimum=1, maximum=6)


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    # Three criteria with unequal weights, like a real rubric (built in code: tests do
    # not depend on the shipped YAML files).
    base = Rubric.single_criterion(minimum=1, maximum=5)
    crit = base.criteria[0]
    criteria = tuple(
        type(crit)(cid, cid, w, crit.asks, crit.levels)
        for cid, w in (("science", 3.0), ("feasibility", 1.0), ("legacy", 1.0))
    )
    return Rubric(name="t", scale=base.scale, criteria=criteria, bands=base.bands)


def test_same_seed_same_cycle_and_another_seed_differs(rubric):
    a = generate_cycle(n_submissions=120, rubric=rubric, seed=7)
    b = generate_cycle(n_submissions=120, rubric=rubric, seed=7)
    for name in ("submissions", "reviews", "merit", "reviewers"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    c = generate_cycle(n_submissions=120, rubric=rubric, seed=8)
    assert not a.reviews["score"].equals(c.reviews["score"])


def test_shapes_columns_and_design(rubric):
    cycle = generate_cycle(n_submissions=300, rubric=rubric, seed=1)
    subs, reviews = cycle.submissions, cycle.reviews
    assert subs.columns.tolist() == [
        "submission_id",
        "gender",
        "career_stage",
        "region",
        "institution_type",
        "requested_hours",
    ]
    assert len(subs) == 300
    assert subs["submission_id"].is_unique
    assert (subs["requested_hours"] > 0).all()
    assert reviews.columns.tolist() == ["submission_id", "reviewer_id", "criterion", "score"]
    assert set(reviews["criterion"]) == set(rubric.criterion_ids)
    per_review = reviews.groupby(["submission_id", "reviewer_id"]).size()
    # Every review scores every criterion, and no reviewer reviews a submission twice.
    assert (per_review == len(rubric.criteria)).all()
    n_reviews = per_review.groupby(level="submission_id").size()
    assert n_reviews.between(3, 5).all()
    assert set(n_reviews.index) == set(subs["submission_id"])
    assert set(n_reviews) == {3, 4, 5}
    # Balanced load: any two reviewers' loads differ by at most one.
    load = per_review.groupby(level="reviewer_id").size()
    assert load.max() - load.min() <= 1
    assert len(cycle.merit) == 300
    assert cycle.merit["submission_id"].equals(subs["submission_id"])


@pytest.mark.parametrize("higher_is_better", [True, False])
def test_scores_are_levels_of_the_scale_and_track_merit(higher_is_better):
    rubric = Rubric.single_criterion(minimum=1, maximum=9, higher_is_better=higher_is_better)
    cycle = generate_cycle(n_submissions=400, rubric=rubric, seed=3)
    scores = cycle.reviews["score"].to_numpy()
    assert rubric.scale.contains(scores).all()
    assert scores.dtype == np.int64
    mean = cycle.reviews.groupby("submission_id")["score"].mean()
    merit = cycle.merit.set_index("submission_id")["merit"].loc[mean.index]
    r = np.corrcoef(mean, merit)[0, 1]
    # Mean of 3–5 reviews vs merit: strongly related, in the scale's direction.
    assert (r > 0.6) if higher_is_better else (r < -0.6)


def test_the_output_passes_the_loaders(rubric):
    cycle = generate_cycle(n_submissions=80, rubric=rubric, seed=5)
    subs = load_submissions(cycle.submissions)
    reviews = load_reviews(cycle.reviews, rubric=rubric, submissions=subs)
    assert len(reviews) == len(cycle.reviews)


def test_bias_marks_down_the_named_group_only():
    # Same seed: only the bias changes, so the difference is the bias itself.
    fair = generate_cycle(n_submissions=600, rubric=SIX, seed=11, spread=1.0)
    biased = generate_cycle(
        n_submissions=600, rubric=SIX, seed=11, spread=1.0, bias_size=1.0, bias_share=1.0
    )
    pd.testing.assert_frame_equal(fair.submissions, biased.submissions)
    assert biased.reviewers["biased"].all()
    assert not fair.reviewers["biased"].any()
    gender = fair.submissions.set_index("submission_id")["gender"]
    diff = biased.reviews["score"] - fair.reviews["score"]
    women = fair.reviews["submission_id"].map(gender).eq("woman").to_numpy()
    assert (diff[~women] == 0).all()
    # A 1-point shift on the latent scale, rounded and clipped: close to -1 on average.
    assert -1.1 < diff[women].mean() < -0.8


def test_merit_shift_per_group():
    cycle = generate_cycle(
        n_submissions=2000, seed=2, merit_shift={"career_stage": {"senior": 1.0}}
    )
    merit = cycle.merit["merit"].to_numpy()
    senior = (cycle.submissions["career_stage"] == "senior").to_numpy()
    # Difference of two means of N(0, 1) samples (~300 and ~1700): SE ≈ 0.065; 5 SE.
    assert abs(merit[senior].mean() - merit[~senior].mean() - 1.0) < 0.33


def test_group_shares_are_respected():
    cycle = generate_cycle(
        n_submissions=4000, seed=4, group_shares={"gender": {"woman": 0.25, "man": 0.75}}
    )
    share = (cycle.submissions["gender"] == "woman").mean()
    # Binomial SE = sqrt(0.25 * 0.75 / 4000) ≈ 0.0068; 4 SE.
    assert abs(share - 0.25) < 0.028
    assert cycle.submissions.columns.tolist() == ["submission_id", "gender", "requested_hours"]


def test_config_round_trips_through_plain_data():
    config = CycleConfig(n_submissions=50, reviews_per_submission=(2, 3), bias_size=0.5)
    assert CycleConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"n_submision": 3}, "n_submision", None),
        (
            {"n_submissions": 0},
            "n_submissions",
            _cycle_config.ERR_POSITIVE_INT.format(least=1, value=0),
        ),
        (
            {"reviews_per_submission": [4, 3]},
            "reviews_per_submission",
            _cycle_config.ERR_REVIEWS_RANGE.format(value=(4, 3)),
        ),
        ({"n_reviewers": 2}, "n_reviewers", _cycle_config.ERR_TOO_FEW_REVIEWERS.format(n=2, k=5)),
        ({"noise_sd": -1}, "noise_sd", _cycle_config.ERR_NON_NEGATIVE.format(value=-1)),
        ({"bias_share": 1.5}, "bias_share", _cycle_config.ERR_SHARE.format(value=1.5)),
        (
            {"group_shares": {"gender": {"a": 0.5, "b": 0.6}}},
            "group_shares",
            _cycle_config.ERR_SHARES.format(attribute="gender", total=1.1),
        ),
        (
            {"bias_size": 1.0, "bias_against": "women"},
            "bias_against",
            _cycle_config.ERR_UNKNOWN_GROUP.format(
                group="women", attribute="gender", groups="woman, man, non-binary, not stated"
            ),
        ),
    ],
)
def test_bad_config_names_the_field(data, field, message):
    with pytest.raises(FairpanelInputError) as info:
        CycleConfig.from_dict(data)
    assert info.value.field == field
    if message is not None:
        assert info.value.message == message


def test_unknown_change_is_a_type_error():
    with pytest.raises(TypeError, match="unknown CycleConfig fields"):
        generate_cycle(n_submission=10)
