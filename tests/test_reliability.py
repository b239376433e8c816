"""Rater reliability: ICC family and Krippendorff's α against published examples and
independent implementations (pingouin, krippendorff, statsmodels)."""

from __future__ import annotations

import json
import warnings

import krippendorff
import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import statsmodels.formula.api as smf
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from fairpanel import FairpanelInputError
from fairpanel._seed import ERR_SEED, as_rng
from fairpanel.io._reviews import ERR_DUPLICATE_REVIEW
from fairpanel.panel import as_panel, fit_reml
from fairpanel.panel._build import ERR_CRITERION_NOT_FOUND, ERR_NEED_RUBRIC
from fairpanel.panel._matrix import ERR_CRITERION_WIDE, ERR_LONG_COLUMNS, ERR_WIDE_NUMERIC
from fairpanel.reliability import (
    ICC_COLUMNS,
    LEVELS,
    ReliabilityResult,
    icc,
    krippendorff_alpha,
    reliability,
)
from fairpanel.reliability._alpha import (
    ERR_LEVEL,
    ERR_NO_PAIRS,
    ERR_ONE_VALUE,
    ERR_RATIO_NEGATIVE,
    coincidence_matrix,
)
from fairpanel.reliability._bootstrap import ERR_N_BOOT, alpha_bootstrap, alpha_replicates
from fairpanel.reliability._ftest import two_way_f_test
from fairpanel.reliability._icc import (
    ERR_CONFIDENCE,
    ERR_NO_REPLICATION,
    ERR_NOT_CROSSED,
    ERR_TOO_FEW_TARGETS,
    _complete,
    _incomplete,
)
from fairpanel.rubric import Rubric

# Shrout, P. E. & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
# reliability. Psychological Bulletin 86(2), 420–428. Table 2: six targets (rows) rated by
# four judges (columns). Table 4 gives the six ICCs to two decimals; the ANOVA of Table 2
# gives BMS = 11.24, WMS = 6.26, JMS = 32.49, EMS = 1.02.
SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
    dtype=float,
)
SHROUT_FLEISS_ICC = {
    "ICC(1,1)": 0.17,
    "ICC(2,1)": 0.29,
    "ICC(3,1)": 0.71,
    "ICC(1,k)": 0.44,
    "ICC(2,k)": 0.62,
    "ICC(3,k)": 0.91,
}

# Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg School for
# Communication, University of Pennsylvania (repository.upenn.edu/asc_papers/43), the
# 4 observers × 12 units example with missing values (rows here are observers, as in the
# paper). Published: α_nominal = 0.743, α_ordinal = 0.815, α_interval = 0.849,
# α_ratio = 0.797. (The krippendorff package's own tests assert 0.815 and 0.797 on it.)
nan = np.nan
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
)
KRIPPENDORFF_2011_ALPHA = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}


def _long(matrix: np.ndarray) -> pd.DataFrame:
    """Wide submissions × reviewers matrix → canonical long reviews table."""
    t, r = np.nonzero(np.isfinite(matrix))
    return pd.DataFrame(
        {
            "submission_id": [f"s{i:03d}" for i in t],
            "reviewer_id": [f"r{j:02d}" for j in r],
            "score": matrix[t, r],
        }
    )


def _panel(seed: int, n: int = 25, k: int = 5, missing: float = 0.0) -> np.ndarray:
    """Submission merit + reviewer leniency + noise, on a 1–9 grid, some cells missing."""
    rng = np.random.default_rng(seed)
    y = 5 + rng.normal(0, 1.2, (n, 1)) + rng.normal(0, 0.6, (1, k)) + rng.normal(0, 1, (n, k))
    y = np.clip(np.round(y), 1, 9)
    if missing:
        y[rng.random(y.shape) < missing] = np.nan
    return y


@pytest.fixture
def pingouin_full_precision():
    # pingouin rounds its CI95 column by default; read its unrounded numbers.
    saved = dict(pg.options)
    pg.options["round"] = None
    pg.options["round.column.CI95"] = None
    yield
    pg.options.clear()
    pg.options.update(saved)


# ----------------------------------------------------------------------------- ICC
def test_icc_reproduces_shrout_fleiss_1979_table_4():
    table = icc(SHROUT_FLEISS).set_index("type")
    for form, published in SHROUT_FLEISS_ICC.items():
        assert round(table.loc[form, "icc"], 2) == published, form
    # F statistics from the published mean squares: BMS/WMS and BMS/EMS.
    assert table.loc["ICC(1,1)", "f"] == pytest.approx(11.24 / 6.26, abs=0.005)
    assert table.loc["ICC(3,1)", "f"] == pytest.approx(11.24 / 1.02, abs=0.06)
    assert list(table.reset_index().columns) == list(ICC_COLUMNS)
    assert (table["method"] == "anova").all()


def test_icc_long_and_wide_inputs_agree():
    wide = icc(SHROUT_FLEISS)
    long = icc(_long(SHROUT_FLEISS))
    pd.testing.assert_frame_equal(wide, long)


# pingouin 0.7 calls DataFrame.dropna(inplace=True), deprecated in pandas 3.1; the warning
# is pingouin's, not ours, so it is ignored for this reference call only.
@pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.dropna:DeprecationWarning")
@pytest.mark.usefixtures("pingouin_full_precision")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_icc_matches_pingouin_on_complete_designs(seed):
    # pingouin.intraclass_corr (Vallat 2018) implements the same Shrout & Fleiss / McGraw &
    # Wong formulas; every number must agree to floating-point precision.
    y = _panel(seed, n=20 + seed, k=3 + seed)
    reviews = _long(y)
    ours = icc(reviews)
    ref = pg.intraclass_corr(
        reviews, targets="submission_id", raters="reviewer_id", ratings="score"
    )
    np.testing.assert_allclose(ours["icc"], ref["ICC"], rtol=1e-10)
    np.testing.assert_allclose(ours["f"], ref["F"], rtol=1e-10)
    np.testing.assert_allclose(ours["df1"], ref["df1"])
    np.testing.assert_allclose(ours["df2"], ref["df2"])
    np.testing.assert_allclose(ours["p_value"], ref["pval"], rtol=1e-8)
    ci = np.vstack(ref["CI95"].to_numpy())
    np.testing.assert_allclose(ours["ci_low"], ci[:, 0], rtol=1e-10)
    np.testing.assert_allclose(ours["ci_high"], ci[:, 1], rtol=1e-10)
    # Same forms in the same order (pingouin labels the one-way forms ICC(1,1), ICC(1,k)).
    assert ref["Type"].tolist() == [
        "ICC(1,1)",
        "ICC(A,1)",
        "ICC(C,1)",
        "ICC(1,k)",
        "ICC(A,k)",
        "ICC(C,k)",
    ]


def test_icc_confidence_level_widens_interval():
    narrow = icc(SHROUT_FLEISS, confidence=0.80)
    wide = icc(SHROUT_FLEISS, confidence=0.99)
    assert (wide["ci_low"] < narrow["ci_low"]).all()
    assert (wide["ci_high"] > narrow["ci_high"]).all()


def test_incomplete_path_reduces_to_anova_on_a_complete_design():
    # The unbalanced one-way ANOVA with n0 = k, the REML variance components and the
    # adjusted F test must all reproduce the balanced ANOVA when nothing is missing.
    ratings = as_panel(_panel(3, n=30, k=6))
    counts = np.bincount(ratings.sub)
    balanced = pd.DataFrame(_complete(ratings.wide(), 0.05))
    unbalanced = pd.DataFrame(_incomplete(ratings, counts, 0.05))
    np.testing.assert_allclose(unbalanced["icc"], balanced["icc"], rtol=1e-5)
    np.testing.assert_allclose(unbalanced["f"], balanced["f"], rtol=1e-10)
    np.testing.assert_allclose(unbalanced["df2"], balanced["df2"])
    for row in (0, 3):  # one-way rows keep their interval
        assert unbalanced.loc[row, "ci_low"] == pytest.approx(balanced.loc[row, "ci_low"])
        assert unbalanced.loc[row, "ci_high"] == pytest.approx(balanced.loc[row, "ci_high"])
    # The REML rows' Wald intervals (logit scale, observed information) are asymptotic;
    # on 30 × 6 they must stay within 0.015 of McGraw & Wong's F-based intervals.
    for row in (1, 2, 4, 5):
        for bound in ("ci_low", "ci_high"):
            assert unbalanced.loc[row, bound] == pytest.approx(balanced.loc[row, bound], abs=0.015)


def _statsmodels_components(ratings, *, raters_random):
    frame = pd.DataFrame(
        {"t": ratings.sub.astype(str), "r": ratings.rev.astype(str), "y": ratings.raw_total}
    )
    frame["g"] = 1
    with warnings.catch_warnings():
        # statsmodels may warn that a crossed fit is near the boundary; the estimates are
        # what this test compares, so its convergence chatter is silenced here only.
        warnings.simplefilter("ignore", ConvergenceWarning)
        if raters_random:
            vc = {"t": "0 + C(t)", "r": "0 + C(r)"}
            fit = smf.mixedlm("y ~ 1", frame, groups="g", vc_formula=vc).fit(reml=True)
            return fit.vcomp[1], fit.vcomp[0], fit.scale  # vc names sort: r, t
        fit = smf.mixedlm("y ~ C(r)", frame, groups="t").fit(reml=True)
        return float(fit.cov_re.iloc[0, 0]), float("nan"), fit.scale


@pytest.mark.parametrize("raters_random", [True, False])
def test_reml_components_match_statsmodels_mixedlm(raters_random):
    # Independent implementation: statsmodels MixedLM, REML, crossed random effects as
    # variance components of one group (raters random) or random submission intercepts
    # with fixed reviewer means (raters fixed).
    ratings = as_panel(_panel(5, n=30, k=8, missing=0.4))
    ours = fit_reml(ratings, reviewers_random=raters_random)
    target, rater, resid = _statsmodels_components(ratings, raters_random=raters_random)
    # statsmodels stops a little short of the optimum (our REML criterion is lower at our
    # estimates than at its by 1e-10 to 3e-8), so agreement is to its tolerance: 1e-4
    # relative on the submission and residual components, 1e-3 on the reviewer one.
    assert ours.submission == pytest.approx(target, rel=1e-4)
    assert ours.residual == pytest.approx(resid, rel=1e-4)
    if raters_random:
        assert ours.reviewer == pytest.approx(rater, rel=1e-3)


def test_incomplete_one_way_matches_statsmodels_anova():
    from statsmodels.stats.anova import anova_lm

    y = _panel(7, n=30, k=6, missing=0.35)
    reviews = _long(y)
    table = icc(reviews).set_index("type")
    aov = anova_lm(smf.ols("score ~ C(submission_id)", reviews).fit())
    msb, msw = aov["mean_sq"].iloc[0], aov["mean_sq"].iloc[1]
    counts = reviews.groupby("submission_id").size().to_numpy()
    n, a = counts.sum(), counts.size
    n0 = (n - (counts**2).sum() / n) / (a - 1)
    assert table.loc["ICC(1,1)", "icc"] == pytest.approx((msb - msw) / (msb + (n0 - 1) * msw))
    assert table.loc["ICC(1,1)", "f"] == pytest.approx(aov["F"].iloc[0])
    assert table.loc["ICC(1,1)", "p_value"] == pytest.approx(aov["PR(>F)"].iloc[0])
    assert (table["method"] == ["anova-unbalanced", "reml", "reml"] * 2).all()
    for form in ("ICC(2,1)", "ICC(3,1)", "ICC(2,k)", "ICC(3,k)"):
        assert table.loc[form, "ci_low"] < table.loc[form, "icc"] < table.loc[form, "ci_high"]
    # Average measures refer to the harmonic mean number of reviews per submission.
    assert table.loc["ICC(1,k)", "k"] == pytest.approx(a / (1 / counts).sum())


def test_two_way_f_test_matches_statsmodels_type3_on_incomplete_design():
    from statsmodels.stats.anova import anova_lm

    y = _panel(8, n=25, k=6, missing=0.3)
    reviews = _long(y)
    ratings = as_panel(reviews)
    f, df1, df2 = two_way_f_test(ratings)
    ref = anova_lm(smf.ols("score ~ C(reviewer_id) + C(submission_id)", reviews).fit(), typ=2)
    assert f == pytest.approx(ref.loc["C(submission_id)", "F"], rel=1e-9)
    assert df1 == ref.loc["C(submission_id)", "df"]
    assert df2 == ref.loc["Residual", "df"]


def test_icc_is_invariant_to_row_order():
    reviews = _long(_panel(9, missing=0.3))
    shuffled = reviews.sample(frac=1.0, random_state=1).reset_index(drop=True)
    pd.testing.assert_frame_equal(icc(reviews), icc(shuffled))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (np.array([[1.0, nan], [nan, 2.0], [3.0, nan]]), ERR_NO_REPLICATION),
        (np.array([[1.0, 2.0, 3.0]]), ERR_TOO_FEW_TARGETS.format(n=1)),
    ],
)
def test_icc_rejects_designs_without_replication(data, message):
    with pytest.raises(FairpanelInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        icc(data)


def test_icc_rejects_uncrossed_reviewers():
    # Every reviewer scores one submission: reviewer and error variance are confounded.
    reviews = pd.DataFrame(
        {
            "submission_id": ["a", "a", "b", "b", "c", "c"],
            "reviewer_id": ["r1", "r2", "r3", "r4", "r5", "r6"],
            "score": [1.0, 2.0, 3.0, 4.0, 5.0, 5.0],
        }
    )
    with pytest.raises(FairpanelInputError) as info:
        icc(reviews)
    assert info.value.message == ERR_NOT_CROSSED


def test_icc_rejects_bad_confidence():
    with pytest.raises(ValueError, match="confidence") as info:
        icc(SHROUT_FLEISS, confidence=95)
    assert str(info.value) == ERR_CONFIDENCE.format(confidence=95)


# ------------------------------------------------------------------- Krippendorff α
@pytest.mark.parametrize("level", LEVELS)
def test_alpha_reproduces_krippendorff_2011(level):
    got = krippendorff_alpha(KRIPPENDORFF_2011.T, level=level)
    assert round(got, 3) == KRIPPENDORFF_2011_ALPHA[level]


def test_alpha_three_coder_example():
    # Krippendorff's 3 coders × 15 units nominal example (the "computational example" of
    # the Wikipedia article, after Krippendorff 2011); the krippendorff package's tests
    # assert α_nominal = 0.691358 and α_interval = 0.810845 on it.
    data = np.array(
        [
            [nan, nan, nan, nan, nan, 3, 4, 1, 2, 1, 1, 3, 3, nan, 3],
            [1, nan, 2, 1, 3, 3, 4, 3, nan, nan, nan, nan, nan, nan, nan],
            [nan, nan, 2, 1, 3, 4, 4, nan, 2, 1, 1, 3, 3, nan, 4],
        ]
    )
    assert krippendorff_alpha(data.T, level="nominal") == pytest.approx(0.691358, abs=5e-7)
    assert krippendorff_alpha(data.T, level="interval") == pytest.approx(0.810845, abs=5e-7)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_alpha_matches_krippendorff_package_with_missing_values(level, seed):
    # Independent implementation: krippendorff 0.9 (Castro, fast-krippendorff), which takes
    # observers × units; ours takes submissions (units) × reviewers.
    y = _panel(seed, n=40, k=6, missing=0.35)
    expected = krippendorff.alpha(reliability_data=y.T, level_of_measurement=level)
    assert krippendorff_alpha(y, level=level) == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert krippendorff_alpha(_long(y), level=level) == pytest.approx(expected, rel=1e-12)


def test_coincidence_matrix_of_krippendorff_2011():
    # Krippendorff (2011), nominal section: the coincidence matrix has n = 40 pairable
    # values with marginals n_1..n_5 = 9, 13, 10, 5, 3 (unit 12's lone value drops out).
    ratings = as_panel(KRIPPENDORFF_2011.T)
    o, values = coincidence_matrix(ratings)
    np.testing.assert_allclose(o, o.T)
    assert values.tolist() == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(o.sum(axis=1), [9, 13, 10, 5, 3])


def test_alpha_perfect_agreement_is_one():
    data = np.array([[1, 1, 1], [3, 3, nan], [2, 2, 2]], dtype=float)
    for level in LEVELS:
        assert krippendorff_alpha(data, level=level) == pytest.approx(1.0)


def test_alpha_errors():
    with pytest.raises(ValueError, match="level must be one of") as info:
        krippendorff_alpha(SHROUT_FLEISS, level="circular")  # type: ignore[arg-type]
    assert str(info.value) == ERR_LEVEL.format(allowed=", ".join(LEVELS), level="circular")
    with pytest.raises(FairpanelInputError) as info2:
        krippendorff_alpha(np.array([[1.0, nan], [nan, 2.0]]))
    assert info2.value.message == ERR_NO_PAIRS
    with pytest.raises(FairpanelInputError) as info3:
        krippendorff_alpha(np.full((3, 2), 4.0))
    assert info3.value.message == ERR_ONE_VALUE.format(value="4")
    with pytest.raises(FairpanelInputError) as info4:
        krippendorff_alpha(np.array([[-1.0, 1.0], [2.0, 2.0]]), level="ratio")
    assert info4.value.message == ERR_RATIO_NEGATIVE.format(value="-1")


# ------------------------------------------------------------- reviews and rubrics
def _rubric() -> Rubric:
    return Rubric.from_dict(
        {
            "name": "two criteria",
            "scale": {"min": 1, "max": 5},
            "criteria": [
                {
                    "id": "merit",
                    "weight": 2,
                    "levels": {i: f"level {i}" for i in range(1, 6)},
                },
                {
                    "id": "feasibility",
                    "weight": 1,
                    "levels": {i: f"level {i}" for i in range(1, 6)},
                },
            ],
            "bands": [{"name": "all", "threshold": 1}],
        }
    )


def _rubric_reviews() -> pd.DataFrame:
    merit = _long(_panel(11, n=12, k=4, missing=0.2).clip(1, 5)).assign(criterion="merit")
    feas = merit.assign(criterion="feasibility", score=(6 - merit["score"]).clip(1, 5))
    return pd.concat([merit, feas], ignore_index=True)


def test_multi_criterion_reviews_use_weighted_totals():
    reviews = _rubric_reviews()
    wide = reviews.pivot_table(
        index=["submission_id", "reviewer_id"], columns="criterion", values="score"
    )
    totals = (2 * wide["merit"] + wide["feasibility"]) / 3
    expected = reliability(totals.rename("score").reset_index())
    got = reliability(reviews, rubric=_rubric())
    pd.testing.assert_frame_equal(got.icc, expected.icc)
    assert got.alpha == pytest.approx(expected.alpha)
    assert got.criterion is None
    assert any("weighted rubric total" in note for note in got.notes)


def test_one_criterion_can_be_chosen():
    reviews = _rubric_reviews()
    only_merit = reviews[reviews["criterion"] == "merit"].drop(columns="criterion")
    got = reliability(reviews, criterion="merit")
    pd.testing.assert_frame_equal(got.icc, icc(only_merit))
    assert got.criterion == "merit"


def test_reviews_input_errors():
    reviews = _rubric_reviews()
    with pytest.raises(FairpanelInputError) as info:
        icc(reviews)
    assert info.value.message == ERR_NEED_RUBRIC.format(n=2)
    with pytest.raises(FairpanelInputError) as info2:
        icc(reviews, criterion="novelty")
    assert info2.value.message == ERR_CRITERION_NOT_FOUND.format(
        criterion="novelty", found="feasibility, merit"
    )
    twice = pd.concat([reviews.iloc[:1], reviews], ignore_index=True)
    first = reviews.iloc[0]
    with pytest.raises(FairpanelInputError) as info3:
        icc(twice, rubric=_rubric())
    assert info3.value.message == ERR_DUPLICATE_REVIEW.format(
        reviewer=first["reviewer_id"],
        submission=first["submission_id"],
        criterion="merit",
        first=2,
        row=3,
    )


def test_table_layout_errors():
    partial = pd.DataFrame({"submission_id": ["a", "b"], "score": [1.0, 2.0]})
    with pytest.raises(FairpanelInputError) as info:
        icc(partial)
    assert info.value.message == ERR_LONG_COLUMNS.format(columns=["submission_id", "score"])
    words = pd.DataFrame({"r1": ["good", "bad"], "r2": ["bad", "bad"]})
    with pytest.raises(FairpanelInputError) as info2:
        krippendorff_alpha(words)
    assert info2.value.message == ERR_WIDE_NUMERIC
    with pytest.raises(ValueError, match="criterion=") as info3:
        icc(SHROUT_FLEISS, criterion="merit")
    assert str(info3.value) == ERR_CRITERION_WIDE


# ---------------------------------------------------------------------- the result
def test_reliability_result_and_json_payload():
    y = _panel(12, n=20, k=5, missing=0.25)
    result = reliability(_long(y))
    assert isinstance(result, ReliabilityResult)
    pd.testing.assert_frame_equal(result.icc, icc(y))
    for level in LEVELS:
        assert result.alpha[level] == krippendorff_alpha(y, level=level)
    assert (result.n_submissions, result.n_reviewers) == (20, 5)
    assert result.n_reviews == int(np.isfinite(y).sum())
    assert not result.complete
    payload = result.to_dict()
    assert set(payload) >= {"icc", "krippendorff_alpha", "n_submissions", "complete"}
    assert [row["type"] for row in payload["icc"]] == result.icc["type"].tolist()
    assert set(payload["icc"][0]) >= {"type", "icc", "ci_low", "ci_high"}
    assert set(payload["krippendorff_alpha"]) == set(LEVELS)
    json.dumps(payload)  # plain data only


def test_reliability_leaves_ratio_alpha_undefined_for_negative_scores():
    y = _panel(13, n=15, k=4) - 5.0  # centred scores: no absolute zero
    result = reliability(y)
    assert np.isnan(result.alpha["ratio"])
    assert np.isfinite(result.alpha["interval"])


# ------------------------------------------------------------------- α bootstrap
@pytest.mark.parametrize("level", LEVELS)
def test_bootstrap_replicates_equal_krippendorff_on_resampled_submissions(level):
    # Each replicate's α must be the krippendorff package's α on the data set made of the
    # resampled submissions (a submission drawn twice appears twice).
    y = _panel(14, n=25, k=5, missing=0.3)
    pairable = y[np.isfinite(y).sum(axis=1) >= 2]
    rng = np.random.default_rng(0)
    n = pairable.shape[0]
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=12).astype(float)
    ours = alpha_replicates(as_panel(y), level, weights)
    expected = [
        krippendorff.alpha(
            reliability_data=np.repeat(pairable, w.astype(int), axis=0).T,
            level_of_measurement=level,
        )
        for w in weights
    ]
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-12)


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    y = _panel(15, n=60, k=5, missing=0.25)
    ratings = as_panel(y)
    first = alpha_bootstrap(ratings, n_boot=500, seed="panel 2026")
    again = alpha_bootstrap(ratings, n_boot=500, seed="panel 2026")
    other = alpha_bootstrap(ratings, n_boot=500, seed=7)
    assert first == again
    assert first != other
    for level in LEVELS:
        low, high = first[level]
        assert low < krippendorff_alpha(y, level=level) < high


def test_bootstrap_argument_errors():
    ratings = as_panel(SHROUT_FLEISS)
    with pytest.raises(ValueError, match="n_boot") as info:
        alpha_bootstrap(ratings, n_boot=0)
    assert str(info.value) == ERR_N_BOOT.format(n_boot=0)
    with pytest.raises(TypeError) as info2:
        as_rng(1.5)
    assert str(info2.value) == ERR_SEED.format(seed=1.5)
    generator = np.random.default_rng(3)
    assert as_rng(generator) is generator


def test_reliability_with_bootstrap_fills_alpha_ci():
    y = _panel(16, n=30, k=4, missing=0.2)
    plain = reliability(y)
    boot = reliability(y, n_boot=300, seed=1)
    assert plain.n_boot == 0
    assert plain.alpha_ci == {}
    # JSON has no NaN: an interval that was not computed is null.
    assert all(v["ci_low"] is None for v in plain.to_dict()["krippendorff_alpha_ci"].values())
    assert boot.n_boot == 300
    assert boot.alpha_ci == alpha_bootstrap(as_panel(y), n_boot=300, seed=1)
    payload = boot.to_dict()["krippendorff_alpha_ci"]
    low, high = boot.alpha_ci["interval"]
    assert payload["interval"] == {"ci_low": low, "ci_high": high}


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "incomplete"])
def test_perfect_agreement_gives_icc_one_without_warnings(missing):
    # Every reviewer gives each submission the same score: no error variance at all.
    y = np.repeat(np.arange(1.0, 7.0)[:, None], 4, axis=1)
    if missing:
        y[0, 1] = y[3, 2] = nan
    table = icc(y)
    np.testing.assert_allclose(table["icc"], 1.0)
    assert np.isposinf(table["f"]).all()
    assert (table["p_value"] == 0.0).all()
    one_way = table["type"].isin(["ICC(1,1)", "ICC(1,k)"])
    np.testing.assert_allclose(table.loc[one_way, ["ci_low", "ci_high"]], 1.0)


def test_pure_leniency_is_perfect_consistency_but_not_agreement():
    # Scores = submission + reviewer offset, no noise: consistency 1, agreement below 1.
    y = np.arange(1.0, 7.0)[:, None] + np.array([0.0, 1.0, 2.0, 3.0])[None, :]
    for data in (y, np.where(np.eye(6, 4, dtype=bool), nan, y)):
        table = icc(data).set_index("type")
        assert table.loc["ICC(3,1)", "icc"] == pytest.approx(1.0)
        assert table.loc["ICC(2,1)", "icc"] < 0.9


@pytest.mark.slow
def test_reml_wald_intervals_cover_in_simulated_incomplete_panels():
    # Monte Carlo check of the asymptotic REML intervals: 150 simulated panels of
    # 20 submissions, each scored by 3 of 6 reviewers (σ²_s = 1, σ²_r = 0.3, σ²_e = 1).
    # Nominal coverage 0.95; with 150 panels its Monte Carlo s.e. is 0.018, so 0.89 is
    # over three standard errors below: a failure means the interval is wrong, not unlucky.
    rng = np.random.default_rng(20261125)
    truth = {"ICC(2,1)": 1 / 2.3, "ICC(3,1)": 0.5, "ICC(2,k)": 1 / (1 + 1.3 / 3)}
    hits = dict.fromkeys(truth, 0)
    n_panels = 150
    for _ in range(n_panels):
        y = np.full((20, 6), nan)
        merit, leniency = rng.normal(0, 1, 20), rng.normal(0, np.sqrt(0.3), 6)
        chosen = np.argsort(rng.random((20, 6)), axis=1)[:, :3]
        rows = np.repeat(np.arange(20), 3)
        cols = chosen.ravel()
        y[rows, cols] = merit[rows] + leniency[cols] + rng.normal(0, 1, rows.size)
        table = icc(y).set_index("type")
        for form, value in truth.items():
            hits[form] += table.loc[form, "ci_low"] <= value <= table.loc[form, "ci_high"]
    for form, count in hits.items():
        assert count / n_panels >= 0.89, form
