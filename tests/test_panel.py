"""The panel model: one design object read from the reviews, and one REML fit for all."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairpanel import FairpanelInputError
from fairpanel.io import ERR_NOT_BOOL
from fairpanel.io._checks import ERR_NOT_NUMBER
from fairpanel.io._reviews import (
    ERR_CONFLICT,
    ERR_DUPLICATE_REVIEW,
    ERR_NOT_LEVEL,
    ERR_OFF_SCALE,
    ERR_UNKNOWN_CRITERION,
)
from fairpanel.panel import as_panel, fit_reml, from_codes, from_matrix, from_reviews
from fairpanel.panel._build import ERR_NEED_RUBRIC
from fairpanel.panel._matrix import ERR_DUPLICATE_PAIR
from fairpanel.panel._panel import ERR_NO_SCALE
from fairpanel.panel._reml import _Equations
from fairpanel.reliability import icc
from fairpanel.rubric import Rubric
from fairpanel.scoring import score


def _rubric(*, higher_is_better: bool = True) -> Rubric:
    levels = {i: f"level {i}" for i in range(1, 6)}
    return Rubric.from_dict(
        {
            "name": "two criteria",
            "scale": {"min": 1, "max": 5, "higher_is_better": higher_is_better},
            "criteria": [
                {"id": "science", "weight": 3, "levels": levels},
                {"id": "feasibility", "weight": 1, "levels": levels},
            ],
            "bands": [{"name": "all", "threshold": 5 if not higher_is_better else 1}],
        }
    )


def _reviews() -> pd.DataFrame:
    rows = [
        ("S2", "r1", "science", 2), ("S2", "r1", "feasibility", 5),
        ("S1", "r2", "science", 5), ("S1", "r2", "feasibility", 1),
        ("S1", "r1", "science", 4), ("S1", "r1", "feasibility", 4),
        ("S1", "r3", "science", 5),  # a review that skipped a criterion
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["submission_id", "reviewer_id", "criterion", "score"])


def _crossed(seed: int, n: int = 30, k: int = 6, missing: float = 0.35) -> pd.DataFrame:
    """Merit + leniency + noise on a 1–9 grid, some cells missing, as a long table."""
    rng = np.random.default_rng(seed)
    y = 5 + rng.normal(0, 1.2, (n, 1)) + rng.normal(0, 0.6, (1, k)) + rng.normal(0, 1, (n, k))
    y = np.clip(np.round(y), 1, 9)
    y[rng.random(y.shape) < missing] = np.nan
    t, r = np.nonzero(np.isfinite(y))
    return pd.DataFrame(
        {"submission_id": [f"s{i:02d}" for i in t], "reviewer_id": [f"r{j}" for j in r],
         "score": y[t, r]}
    )  # fmt: skip


# ------------------------------------------------------------------- the design
def test_totals_codes_and_contributions_by_hand():
    panel = from_reviews(_reviews(), rubric=_rubric())
    # Sorted ids; one row per review in (submission, reviewer) order.
    assert panel.submissions.tolist() == ["S1", "S2"]
    assert panel.reviewers.tolist() == ["r1", "r2", "r3"]
    assert panel.sub.tolist() == [0, 0, 0, 1]
    assert panel.rev.tolist() == [0, 1, 2, 0]
    # Weighted means (weights 3 : 1): (3·4 + 4)/4, (3·5 + 1)/4, 5 alone, (3·2 + 5)/4.
    np.testing.assert_allclose(panel.raw_total, [4.0, 4.0, 5.0, 11 / 4])
    np.testing.assert_allclose(panel.y, panel.raw_total)
    np.testing.assert_allclose(panel.contributions.sum(axis=1), panel.raw_total)
    assert panel.contributions.loc[2, "feasibility"] == 0.0
    assert panel.criterion is None
    assert (panel.n_sub, panel.n_rev, panel.n_reviews) == (2, 3, 4)
    assert panel.reviews_per_submission.tolist() == [3, 1]
    assert panel.reviews_per_reviewer.tolist() == [2, 1, 1]
    assert not panel.complete
    np.testing.assert_array_equal(panel.wide()[1], [11 / 4, np.nan, np.nan])


def test_lower_is_better_is_oriented_and_turned_back():
    panel = from_reviews(_reviews(), rubric=_rubric(higher_is_better=False))
    np.testing.assert_allclose(panel.y, 6.0 - panel.raw_total)
    np.testing.assert_allclose(panel.to_scale(panel.y), panel.raw_total)


def test_row_order_never_matters():
    reviews = _reviews()
    a = from_reviews(reviews, rubric=_rubric())
    b = from_reviews(reviews.sample(frac=1.0, random_state=3), rubric=_rubric())
    for name in ("sub", "rev", "raw_total", "y"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    pd.testing.assert_frame_equal(a.contributions, b.contributions)


def test_one_criterion_and_overall_grades():
    merit = from_reviews(_reviews(), criterion="science")
    assert merit.criterion == "science"
    np.testing.assert_allclose(merit.raw_total, [4, 5, 5, 2])
    overall = from_reviews(_reviews().drop(columns="criterion").iloc[[0, 2]])
    assert overall.criterion == "overall"
    assert not overall.has_scale
    with pytest.raises(ValueError, match="no scale") as info:
        _ = overall.rubric
    assert str(info.value) == ERR_NO_SCALE
    scaled = from_reviews(_reviews().iloc[[0, 2]], scale="data")
    assert (scaled.scale.min, scaled.scale.max) == (2, 5)


def test_conflicted_reviews_are_refused_and_unreadable_flags_too():
    # As fairpanel.io.load_reviews says: a conflicted review must be removed before
    # scoring (not left out silently, not down-weighted).
    reviews = _reviews().assign(conflict=["no", "no", "no", "no", "", None, "0"])
    assert from_reviews(reviews, rubric=_rubric()).n_reviews == 4
    reviews.loc[2, "conflict"] = "yes"
    with pytest.raises(FairpanelInputError) as info:
        from_reviews(reviews, rubric=_rubric())
    assert info.value.message == ERR_CONFLICT.format(reviewer="r2", submission="S1")
    assert (info.value.row, info.value.column) == (4, "conflict")
    # "y" is not a yes/no word (fairpanel._schema.parse_bool): refused, naming the row.
    reviews.loc[1, "conflict"] = "y"
    with pytest.raises(FairpanelInputError) as info:
        from_reviews(reviews, rubric=_rubric())
    assert info.value.message == ERR_NOT_BOOL.format(value="y")
    assert (info.value.row, info.value.column) == (3, "conflict")


@pytest.mark.parametrize(
    ("change", "message", "row", "column"),
    [
        ({"score": (3, "high")}, ERR_NOT_NUMBER.format(what="score", value="high"), 5, "score"),
        ({"score": (3, 7.0)}, ERR_OFF_SCALE.format(value=7.0, min=1, max=5), 5, "score"),
        ({"score": (3, 3.5)}, ERR_NOT_LEVEL.format(value=3.5, min=1, max=5), 5, "score"),
        (
            {"criterion": (1, "impact")},
            ERR_UNKNOWN_CRITERION.format(value="impact", known="science, feasibility"),
            3,
            "criterion",
        ),
        (
            {"reviewer_id": (2, "r1"), "submission_id": (2, "S2")},
            ERR_DUPLICATE_REVIEW.format(
                reviewer="r1", criterion="science", submission="S2", first=2, row=4
            ),
            4,
            "reviewer_id",
        ),
    ],
)
def test_bad_reviews_name_their_spreadsheet_row(change, message, row, column):
    reviews = _reviews().astype({"score": object})
    for col, (pos, value) in change.items():
        reviews.loc[pos, col] = value
    with pytest.raises(FairpanelInputError) as info:
        from_reviews(reviews, rubric=_rubric())
    assert info.value.message == message
    assert (info.value.row, info.value.column) == (row, column)


def test_blank_scores_are_refused_unless_dropped():
    reviews = _reviews().astype({"score": object})
    reviews.loc[6, "score"] = None  # S1/r3 gave no science score: the review is gone
    with pytest.raises(FairpanelInputError) as info:
        from_reviews(reviews, rubric=_rubric())
    assert (info.value.row, info.value.column) == (8, "score")
    panel = from_reviews(reviews, rubric=_rubric(), missing="drop")
    assert panel.reviewers.tolist() == ["r1", "r2"]


def test_a_given_scale_is_checked_as_a_rubric_is():
    # The CLI's --scale-min/--scale-max and scale= are one rule: scores are its points.
    one = _reviews().iloc[[0, 2]].astype({"score": object})
    assert from_reviews(one, scale=(1, 5)).criterion == "science"
    one.iloc[1, 3] = 6
    with pytest.raises(FairpanelInputError) as info:
        from_reviews(one, scale=(1, 5))
    assert info.value.message == ERR_OFF_SCALE.format(value=6, min=1, max=5)
    assert (info.value.row, info.value.column) == (3, "score")
    # Several criteria on one given scale: each is checked, the chosen one kept.
    reviews = _reviews()
    assert from_reviews(reviews, criterion="feasibility", scale=(1, 5)).n_reviews == 3
    reviews.loc[1, "score"] = 9
    with pytest.raises(FairpanelInputError) as info:
        from_reviews(reviews, criterion="science", scale=(1, 5))
    assert info.value.row == 3


def test_several_criteria_need_the_rubric():
    with pytest.raises(FairpanelInputError) as info:
        from_reviews(_reviews(), scale=(1, 5))
    assert info.value.message == ERR_NEED_RUBRIC.format(n=2)


def test_matrix_and_codes_drop_empty_ids_and_refuse_repeats():
    nan = np.nan
    wide = pd.DataFrame([[1.0, nan, 2.0], [nan, nan, nan], [3.0, nan, 4.0]],
                        index=["a", "b", "c"], columns=["x", "y", "z"])  # fmt: skip
    panel = from_matrix(wide)
    assert panel.submissions.tolist() == ["a", "c"]
    assert panel.reviewers.tolist() == ["x", "z"]
    assert panel.complete
    np.testing.assert_array_equal(panel.wide(), [[1.0, 2.0], [3.0, 4.0]])
    assert as_panel(wide.to_numpy()).n_reviews == 4
    with pytest.raises(ValueError, match="pair") as info:
        from_codes([0, 0], [1, 1], [1.0, 2.0])
    assert str(info.value) == ERR_DUPLICATE_PAIR


def test_connected_parts_of_the_design():
    # Two panels that share no reviewer, and one submission linking nothing new.
    sub = [0, 0, 1, 1, 2, 2, 3, 3]
    rev = [0, 1, 0, 1, 2, 3, 2, 3]
    panel = from_codes(sub, rev, np.arange(8.0))
    assert panel.n_components == 2
    assert panel.component.tolist() == [0, 0, 1, 1]
    joined = from_codes([*sub, 0], [*rev, 2], np.arange(9.0))
    assert joined.n_components == 1


# ------------------------------------------------------------------- the REML fit
@pytest.mark.parametrize("reviewers_random", [True, False])
def test_reml_gradient_matches_finite_differences(reviewers_random):
    # The optimiser relies on the analytic gradient (Henderson's equations); check it
    # against central differences of the criterion itself (step 1e-6, error ~1e-8).
    panel = from_reviews(_crossed(1), scale=(1, 9))
    eq = _Equations(panel, reviewers_random=reviewers_random)
    n_par = 2 if reviewers_random else 1
    for theta in ([0.3, -1.0], [-3.0, 0.5], [2.0, 2.0]):
        theta = np.array(theta)
        _, grad, _ = eq.evaluate(theta, gradient=True)
        for k in range(n_par):
            step = np.zeros(2)
            step[k] = 1e-6
            up = eq.evaluate(theta + step, gradient=False)[0]
            down = eq.evaluate(theta - step, gradient=False)[0]
            assert grad[k] == pytest.approx((up - down) / 2e-6, rel=1e-6, abs=1e-6)


def test_reml_puts_a_negative_anova_component_at_zero():
    # A complete design whose reviewer means are all equal: the ANOVA estimate of the
    # reviewer variance, (MSC − MSE)/n, is negative, so REML puts it at exactly zero and
    # the rest is the balanced one-way model (Searle, Casella & McCulloch 1992, §4.7):
    # σ²_e = MSW, σ²_s = (MSB − MSW)/k.
    k = 5
    merit = np.array([0.0, 1.5, -1.0, 2.0, 0.5])
    v = np.array([0.8, -0.5, 0.1, -0.9, 0.5])  # sums to zero: circulant columns too
    y = merit[:, None] + np.array([[v[(i + j) % k] for j in range(k)] for i in range(k)])
    panel = from_matrix(y)
    vc = fit_reml(panel)
    assert vc.converged
    assert vc.reviewer == 0.0
    msw = ((y - y.mean(axis=1, keepdims=True)) ** 2).sum() / (k * (k - 1))
    msb = k * ((y.mean(axis=1) - y.mean()) ** 2).sum() / (k - 1)
    assert vc.residual == pytest.approx(msw, rel=1e-9)
    assert vc.submission == pytest.approx((msb - msw) / k, rel=1e-9)
    assert np.isnan(vc.log_ratio_cov[1]).all()  # no Wald interval at the boundary


def test_one_fit_serves_the_iccs_and_the_scorer():
    reviews = _crossed(4)
    panel = from_reviews(reviews, scale=(1, 9))
    vc = fit_reml(panel)
    comp = score(reviews, scale=(1, 9), method="eb", seed=0, draws=50).components
    # The scorer reports standard deviations: equal up to the rounding of a square root.
    assert comp["submission_sd"] ** 2 == pytest.approx(vc.submission, rel=1e-14)
    assert comp["leniency_sd"] ** 2 == pytest.approx(vc.reviewer, rel=1e-14)
    assert comp["review_sd"] ** 2 == pytest.approx(vc.residual, rel=1e-14)
    table = icc(reviews).set_index("type")
    total = vc.submission + vc.reviewer + vc.residual
    assert table.loc["ICC(2,1)", "icc"] == pytest.approx(vc.submission / total, rel=1e-12)


def test_constant_scores_have_no_variance():
    panel = from_codes([0, 0, 1, 1, 2], [0, 1, 0, 1, 1], np.full(5, 3.0))
    vc = fit_reml(panel)
    assert (vc.submission, vc.reviewer, vc.residual) == (0.0, 0.0, 0.0)
    table = icc(panel.wide())
    assert table["icc"].isna().all()
