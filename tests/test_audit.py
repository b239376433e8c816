"""The audit on decisions and counts: rates, comparisons, strata, funnels, intersections."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from fairlearn.metrics import MetricFrame, selection_rate
from numpy.testing import assert_allclose
from statsmodels.stats.contingency_tables import StratifiedTable

from fairpanel import FairpanelInputError
from fairpanel.audit import AuditResult, audit, audit_counts, counts_from_wide
from fairpanel.audit._audit import ERR_UNKNOWN_REFERENCE
from fairpanel.audit._tables import COMPARISON_COLUMNS, GROUP_COLUMNS
from fairpanel.io._checks import ERR_MISSING_COLUMN, ERR_NO_ROWS, ERR_NOT_BOOL
from fairpanel.io._columns import ERR_BAD_COUNT
from fairpanel.io._counts import ERR_EMPTY_GROUP, ERR_SELECTED_EXCEEDS
from fairpanel.io._decisions import ERR_STAGE_ORDER, ERR_UNKNOWN_SUBMISSION

# EEOC et al. (1979), Questions and Answers on the Uniform Guidelines (44 FR 11996), the
# answer on how adverse impact is determined: hiring
# rates 60% (whites), 45% (American Indians), 48% (Hispanics), 51% (Blacks) give impact
# ratios 75%, 80% and 85%: adverse impact for American Indians only (4/5 rule,
# 29 CFR 1607.4(D)). Here with 100 applicants per group.
EEOC = pd.DataFrame(
    {
        "race": ["White", "American Indian", "Hispanic", "Black"],
        "applicants": [100, 100, 100, 100],
        "hired": [60, 45, 48, 51],
    }
)

# UC Berkeley graduate admissions 1973, six largest departments (Bickel, Hammel &
# O'Connell 1975, Science 187:398; R's UCBAdmissions): the classic Simpson's paradox.
UCB = pd.DataFrame(
    {
        "dept": list("AABBCCDDEEFF"),
        "gender": ["male", "female"] * 6,
        "applied": [825, 108, 560, 25, 325, 593, 417, 375, 191, 393, 373, 341],
        "admitted": [512, 89, 353, 17, 120, 202, 138, 131, 53, 94, 22, 24],
    }
)

# Agresti (1990), Categorical Data Analysis, pp. 231-237: penicillin and rabbits, cured
# among immediate ("none") and 1.5 h delayed injection in five penicillin levels.
# R: mantelhaen.test(Rabbits) gives X^2 = 3.9286, p = 0.04747, common odds ratio 7,
# 95% CI 1.026713-47.725133 (also statsmodels' TestStratified1).
RABBITS = pd.DataFrame(
    {
        "level": ["1/8", "1/8", "1/4", "1/4", "1/2", "1/2", "1", "1", "4", "4"],
        "delay": ["none", "1.5h"] * 5,
        "rabbits": [6, 5, 6, 6, 6, 6, 6, 6, 2, 5],
        "cured": [0, 0, 3, 0, 6, 2, 5, 6, 2, 5],
    }
)


def expand(counts, group, n, k, extra=()):
    """Submission-level rows from a counts table."""
    rows = []
    for rec in counts.to_dict("records"):
        for i in range(rec[n]):
            row = {
                "submission_id": f"s{len(rows)}",
                group: rec[group],
                "selected": int(i < rec[k]),
            }
            row |= {c: rec[c] for c in extra}
            rows.append(row)
    return pd.DataFrame(rows)


def test_eeoc_questions_and_answers_example():
    res = audit_counts(EEOC, group_col="race", selected_col="hired")
    comp = res.comparisons.set_index("group")
    assert (comp["reference"] == "White").all()
    assert_allclose(
        comp.loc[["American Indian", "Hispanic", "Black"], "adverse_impact_ratio"],
        [0.75, 0.80, 0.85],
    )
    # 48/60 is exactly four-fifths: not below it, so not flagged.
    assert comp["four_fifths_flag"].tolist() == [True, False, False]


def test_columns_are_the_contract():
    res = audit_counts(EEOC, group_col="race", selected_col="hired")
    assert tuple(res.groups.columns) == GROUP_COLUMNS
    assert tuple(res.comparisons.columns) == COMPARISON_COLUMNS
    assert isinstance(res, AuditResult)


def test_decisions_and_counts_agree():
    decisions = expand(EEOC, "race", "applicants", "hired")
    a = audit(decisions, groups="race", seed=1)
    b = audit_counts(EEOC, group_col="race", selected_col="hired", seed=1)
    pd.testing.assert_frame_equal(a.groups, b.groups)
    pd.testing.assert_frame_equal(a.comparisons, b.comparisons)
    pd.testing.assert_frame_equal(a.spread, b.spread)
    pd.testing.assert_frame_equal(a.pairwise, b.pairwise)


def test_rates_match_fairlearn_metricframe():
    rng = np.random.default_rng(3)
    d = pd.DataFrame(
        {
            "submission_id": range(400),
            "region": rng.choice(["north", "south", "east", "west"], 400),
        }
    )
    d["selected"] = (rng.random(400) < np.where(d["region"] == "north", 0.4, 0.25)).astype(int)
    res = audit(d, groups="region", min_cell=0)
    mf = MetricFrame(
        metrics=selection_rate,
        y_true=d["selected"],
        y_pred=d["selected"],
        sensitive_features=d["region"],
    )
    ours = res.groups.set_index("group")["selection_rate"]
    assert_allclose(ours.loc[mf.by_group.index], mf.by_group.to_numpy())
    # fairlearn's difference() is max - min over groups: our spread row's estimate.
    assert_allclose(res.spread["estimate"].iloc[0], mf.difference())


def test_named_reference_is_the_comparator_of_every_ratio():
    res = audit_counts(EEOC, group_col="race", selected_col="hired", reference="Hispanic")
    comp = res.comparisons.set_index("group")
    assert (comp["reference"] == "Hispanic").all()
    assert_allclose(comp.loc["White", "rate_difference"], 0.12)
    # Issue 11: the reference is the highest-rate publishable group, or the one named;
    # the adverse-impact ratio is taken against it (and equals the rate ratio), so a
    # named reference keeps the flags when the highest rate is a withheld group.
    assert_allclose(comp.loc["American Indian", "adverse_impact_ratio"], 0.45 / 0.48)
    assert_allclose(comp.loc["White", "adverse_impact_ratio"], 0.60 / 0.48)
    assert_allclose(comp["adverse_impact_ratio"], comp["rate_ratio"])


def test_unknown_reference_is_an_input_error():
    with pytest.raises(FairpanelInputError) as err:
        audit_counts(EEOC, group_col="race", selected_col="hired", reference="Martian")
    assert ERR_UNKNOWN_REFERENCE.format(reference="Martian", attributes="race") in str(err.value)


def test_chi_square_note_when_expected_counts_are_small():
    counts = pd.DataFrame({"g": ["a", "b", "c"], "applicants": [20, 20, 6], "selected": [2, 3, 1]})
    res = audit_counts(counts, group_col="g", min_cell=0)
    assert res.tests["test"].iloc[0] == "chi2_independence"
    assert "below 5" in res.tests["note"].iloc[0]
    assert any("below 5" in note for note in res.notes)


def test_cmh_matches_agresti_rabbits():
    res = audit_counts(
        RABBITS,
        group_col="delay",
        applicants_col="rabbits",
        selected_col="cured",
        strata_col="level",
        reference="1.5h",
        min_cell=0,
    )
    row = res.strata.iloc[0]
    assert row["group"] == "none"
    assert row["test"] == "cochran_mantel_haenszel"
    assert_allclose(row["statistic"], 3.9286, atol=1e-4)
    assert_allclose(row["p_value"], 0.04747, atol=1e-5)
    assert_allclose(row["pooled_odds_ratio"], 7.0, rtol=1e-6)
    assert_allclose([row["ci_low"], row["ci_high"]], [1.026713, 47.725133], rtol=1e-5)


def test_breslow_day_matches_desctools():
    # statsmodels TestStratified2: DescTools::BreslowDayTest(correct=TRUE) = 1.8436, p = 0.7645
    tables = [
        [[20, 14], [10, 24]],
        [[15, 12], [3, 15]],
        [[3, 2], [3, 2]],
        [[12, 3], [7, 5]],
        [[1, 0], [3, 2]],
    ]
    rows = []
    for s, t in enumerate(tables):
        rows.append({"s": str(s), "g": "a", "n": sum(t[0]), "k": t[0][0]})
        rows.append({"s": str(s), "g": "b", "n": sum(t[1]), "k": t[1][0]})
    res = audit_counts(
        pd.DataFrame(rows),
        group_col="g",
        applicants_col="n",
        selected_col="k",
        strata_col="s",
        reference="b",
        min_cell=0,
    )
    row = res.strata.iloc[0]
    assert_allclose(row["homogeneity_statistic"], 1.8436, atol=1e-4)
    assert_allclose(row["homogeneity_p_value"], 0.7645, atol=1e-4)
    assert_allclose(row["pooled_odds_ratio"], 3.5912, atol=1e-4)
    assert_allclose(row["statistic"], 11.8852, atol=1e-4)


def test_simpson_reversal_on_berkeley_admissions():
    res = audit_counts(
        UCB,
        group_col="gender",
        applicants_col="applied",
        selected_col="admitted",
        strata_col="dept",
        min_cell=0,
    )
    row = res.strata.iloc[0]
    assert (row["group"], row["reference"]) == ("female", "male")
    assert row["crude_rate_difference"] < 0  # women admitted less often overall...
    assert row["pooled_odds_ratio"] > 1  # ...but not within departments
    assert row["simpson_reversal"]
    assert (row["strata_group_higher"], row["strata_reference_higher"]) == (4, 2)
    # R: mantelhaen.test(UCBAdmissions): common odds ratio (male vs female) 0.9046968,
    # 95% CI 0.7719074-1.0603298; we report female vs male, the reciprocal.
    assert_allclose(row["pooled_odds_ratio"], 1 / 0.9046968, rtol=1e-6)
    assert_allclose([row["ci_low"], row["ci_high"]], [1 / 1.0603298, 1 / 0.7719074], rtol=1e-6)
    st = StratifiedTable(
        np.stack(
            [
                [
                    [k, n - k]
                    for k, n in zip(
                        UCB["admitted"][i : i + 2], UCB["applied"][i : i + 2], strict=True
                    )
                ][::-1]
                for i in range(0, 12, 2)
            ],
            axis=2,
        ).astype(float)
    )
    assert_allclose(row["statistic"], st.test_null_odds(correction=True).statistic)
    assert_allclose(res.stratum_rates["selection_rate"].iloc[0], 89 / 108)


def test_logistic_matches_submission_level_logit():
    decisions = expand(UCB, "gender", "applied", "admitted", extra=("dept",))
    res = audit(decisions, groups="gender", covariates=["dept"], min_cell=0)
    x = pd.get_dummies(decisions[["gender", "dept"]], drop_first=False).astype(float)
    x = sm.add_constant(x.drop(columns=["gender_male", "dept_A"]))
    fit = sm.Logit(decisions["selected"].astype(float), x).fit(disp=0)
    row = res.logistic.set_index("term").loc["gender[female]"]
    assert_allclose(row["odds_ratio"], np.exp(fit.params["gender_female"]), rtol=1e-6)
    lo, hi = np.exp(fit.conf_int().loc["gender_female"])
    assert_allclose([row["ci_low"], row["ci_high"]], [lo, hi], rtol=1e-5)
    assert_allclose(row["p_value"], fit.pvalues["gender_female"], rtol=1e-4)


def test_funnel_is_conditional_on_reaching_each_stage():
    d = pd.DataFrame(
        {
            "submission_id": range(80),
            "gender": ["m"] * 40 + ["w"] * 40,
            "screened": [1] * 30 + [0] * 10 + [1] * 30 + [0] * 10,
            "interviewed": [1] * 20 + [0] * 20 + [1] * 10 + [0] * 30,
            "offered": [1] * 10 + [0] * 30 + [1] * 5 + [0] * 35,
        }
    )
    res = audit(d, groups="gender", stages=["screened", "interviewed", "offered"], min_cell=0)
    f = res.funnel.set_index(["stage", "group"])
    assert f.loc[("interviewed", "w"), "reached"] == 30
    assert f.loc[("interviewed", "w"), "passed"] == 10
    assert_allclose(f.loc[("interviewed", "w"), "adverse_impact_ratio"], (10 / 30) / (20 / 30))
    assert_allclose(f.loc[("offered", "w"), "pass_rate"], 0.5)
    assert_allclose(f.loc[("offered", "w"), "adverse_impact_ratio"], 1.0)
    assert f.loc[("screened", "w"), "four_fifths_flag"] == np.False_
    assert f.loc[("interviewed", "w"), "four_fifths_flag"] == np.True_
    # overall selected is the last stage
    assert res.groups.set_index("group").loc["w", "selected"] == 5


def test_stage_out_of_order_is_an_input_error():
    d = pd.DataFrame({"submission_id": ["x", "y"], "g": ["a", "b"], "s1": [1, 0], "s2": [1, 1]})
    with pytest.raises(FairpanelInputError) as err:
        audit(d, groups="g", stages=["s1", "s2"])
    assert err.value.row == 3
    assert err.value.column == "s2"
    assert ERR_STAGE_ORDER.format(stage="s2", previous="s1") in str(err.value)


def test_intersection_counts():
    d = pd.DataFrame(
        {
            "submission_id": range(100),
            "gender": ["m", "m", "w", "w"] * 25,
            "stage": ["early", "senior"] * 50,
            "selected": ([1] * 4 + [0] * 4) * 12 + [1, 0, 0, 1],
        }
    )
    res = audit(d, groups=["gender", "stage"], intersect=True, min_cell=0)
    combo = res.groups[res.groups["attribute"] == "gender × stage"].set_index("group")
    expected = d.groupby(["gender", "stage"])["selected"].agg(["size", "sum"])
    for (g, s), row in expected.iterrows():
        assert combo.loc[f"{g} × {s}", "applicants"] == row["size"]
        assert combo.loc[f"{g} × {s}", "selected"] == row["sum"]
    assert "gender × stage" in res.to_dict()["attributes"]


def test_allocation_is_joined_to_submissions():
    class FakeAllocation:  # anything with .table, like strategies.Allocation
        table = pd.DataFrame(
            {"submission_id": [f"s{i}" for i in range(60)], "selected": [1] * 20 + [0] * 40}
        )

    subs = pd.DataFrame({"submission_id": [f"s{i}" for i in range(60)], "gender": ["m", "w"] * 30})
    res = audit(FakeAllocation(), groups="gender", submissions=subs)
    assert res.groups["applicants"].tolist() == [30, 30]
    bad = subs.iloc[1:]
    with pytest.raises(FairpanelInputError) as err:
        audit(FakeAllocation(), groups="gender", submissions=bad)
    assert ERR_UNKNOWN_SUBMISSION.format(submission="s0") in str(err.value)
    assert err.value.row == 2


@pytest.mark.parametrize(
    ("frame", "message", "row", "column"),
    [
        (
            pd.DataFrame({"submission_id": ["x"], "g": ["a"], "selected": [1]}),
            ERR_MISSING_COLUMN.format(column="gender", found="'submission_id', 'g', 'selected'"),
            None,
            "gender",
        ),
        (
            pd.DataFrame({"submission_id": [], "gender": [], "selected": []}),
            ERR_NO_ROWS,
            None,
            None,
        ),
        (
            pd.DataFrame({"submission_id": ["x", "y"], "gender": ["a", None], "selected": [1, 0]}),
            ERR_EMPTY_GROUP.format(column="gender"),
            3,
            "gender",
        ),
        (
            pd.DataFrame(
                {"submission_id": ["x", "y"], "gender": ["a", "b"], "selected": [1, "maybe"]}
            ),
            ERR_NOT_BOOL.format(value="maybe"),
            3,
            "selected",
        ),
    ],
)
def test_bad_decisions(frame, message, row, column):
    with pytest.raises(FairpanelInputError) as err:
        audit(frame, groups="gender")
    assert err.value.message == message
    assert err.value.row == row
    assert err.value.column == column


@pytest.mark.parametrize(
    ("frame", "message", "row", "column"),
    [
        (
            pd.DataFrame({"g": ["a", "b"], "n": [10, 5], "k": [3, 6]}),
            ERR_SELECTED_EXCEEDS.format(selected=6, applicants=5),
            3,
            "k",
        ),
        (
            pd.DataFrame({"g": ["a", "b"], "n": [10, -5], "k": [3, 0]}),
            ERR_BAD_COUNT.format(value="-5"),
            3,
            "n",
        ),
        (
            pd.DataFrame({"g": ["a", "b"], "n": [10, 2.5], "k": [3, 0]}),
            ERR_BAD_COUNT.format(value="2.5"),
            3,
            "n",
        ),
        (
            pd.DataFrame({"g": ["a", ""], "n": [10, 5], "k": [3, 0]}),
            ERR_EMPTY_GROUP.format(column="g"),
            3,
            "g",
        ),
        (
            pd.DataFrame({"g": ["a"], "n": [10]}),
            ERR_MISSING_COLUMN.format(column="k", found="'g', 'n'"),
            None,
            "k",
        ),
    ],
)
def test_bad_counts(frame, message, row, column):
    with pytest.raises(FairpanelInputError) as err:
        audit_counts(frame, group_col="g", applicants_col="n", selected_col="k")
    assert err.value.message == message
    assert err.value.row == row
    assert err.value.column == column


def test_counts_from_wide_reshapes_published_tables():
    # two rows of NWO Veni 2010-2012 (van der Lee & Ellemers 2015, PNAS, Table S1)
    wide = pd.DataFrame(
        {
            "discipline": ["Physics", "Humanities"],
            "applications_men": [67, 230],
            "applications_women": [9, 166],
            "awards_men": [18, 33],
            "awards_women": [2, 32],
        }
    )
    long = counts_from_wide(
        wide,
        groups=["men", "women"],
        applicants_pattern="applications_{group}",
        selected_pattern="awards_{group}",
        strata_col="discipline",
        group_name="gender",
    )
    assert long.columns.tolist() == ["discipline", "gender", "applicants", "selected"]
    assert long["applicants"].sum() == 67 + 9 + 230 + 166
    res = audit_counts(long, group_col="gender", strata_col="discipline", min_cell=0)
    assert res.strata["n_strata"].iloc[0] == 2
    # women have the higher overall rate here (34/175 vs 51/297): the reference
    assert res.logistic["term"].tolist() == ["gender[men]", "discipline[Physics]"]


def test_to_dict_layout():
    res = audit_counts(
        UCB,
        group_col="gender",
        applicants_col="applied",
        selected_col="admitted",
        strata_col="dept",
    )
    out = res.to_dict()
    assert out["min_cell"] == 5
    entry = out["attributes"]["gender"]
    assert set(entry["groups"][0]) == set(GROUP_COLUMNS) - {"attribute"}
    assert {"group", "reference", "rate_difference", "test", "p_value"} <= set(
        entry["comparisons"][0]
    )
    assert {"test", "statistic", "p_value", "pooled_odds_ratio", "ci_low", "ci_high"} <= set(
        entry["strata"][0]
    )
    assert "funnel" not in entry


def test_notebook_display_escapes_user_text():
    counts = pd.DataFrame(
        {"g": ["<script>alert(1)</script>", "b"], "applicants": [50, 50], "selected": [10, 20]}
    )
    html = audit_counts(counts, group_col="g")._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


# Regression found auditing real review data (SNSF Ambizione): a counts table with
# several rows per group and stratum was refused; the rows are now added, with a note.
def test_counts_sum_rows_of_the_same_group_and_stratum():
    # shaped like the SNSF Ambizione table: call x research area x gender
    counts = pd.DataFrame(
        {
            "call": ["2012", "2012", "2013", "2013", "2012", "2012", "2013", "2013"],
            "area": ["LS", "LS", "LS", "LS", "MINT", "MINT", "MINT", "MINT"],
            "gender": ["F", "M"] * 4,
            "n": [23, 52, 20, 40, 18, 64, 15, 60],
            "k": [5, 8, 6, 9, 5, 11, 5, 12],
        }
    )
    res = audit_counts(
        counts, group_col="gender", applicants_col="n", selected_col="k", strata_col="area"
    )
    rates = res.stratum_rates.set_index(["stratum", "group"])
    assert rates.loc[("LS", "F"), "applicants"] == 43
    assert rates.loc[("MINT", "M"), "selected"] == 23
    assert any("added" in note for note in res.notes)
    pooled = audit_counts(counts, group_col="gender", applicants_col="n", selected_col="k")
    assert pooled.groups.set_index("group").loc["F", "applicants"] == 76


# Regression (same audit): errors blamed the decisions table for a fault in another;
# a bad submissions value names the submissions table, its row and column.
def test_a_bad_submissions_value_names_the_submissions_row():
    decisions = pd.DataFrame({"submission_id": ["a", "b", "c"], "selected": [1, 0, 1]})
    subs = pd.DataFrame(
        {"submission_id": ["c", "b", "a"], "gender": ["w", "", "m"], "age": [30.0, 40.0, np.nan]}
    )
    with pytest.raises(FairpanelInputError) as err:
        audit(decisions, groups="gender", submissions=subs)
    assert (err.value.file, err.value.row, err.value.column) == ("submissions", 3, "gender")
    subs.loc[1, "gender"] = "w"
    with pytest.raises(FairpanelInputError) as err:
        audit(decisions, groups="gender", submissions=subs, covariates=["age"])
    assert (err.value.file, err.value.row, err.value.column) == ("submissions", 4, "age")
