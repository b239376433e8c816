"""Regressions found by a statistician auditing real review data (NWO, SNSF, AIBS).

Each test failed before its fix: lower-is-better scores, statistics of hidden groups,
the lottery summary's names, counts-mode options, duplicate count rows, error file names,
the withheld-comparison note and the ``publishable`` flag.
"""

import json
import re

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from typer.testing import CliRunner

from fairpanel import FairpanelInputError
from fairpanel.audit import audit, audit_counts, reviewer_gaps, score_gaps
from fairpanel.cli._main import app
from fairpanel.io._checks import ERR_MISSING_COLUMN

runner = CliRunner()


# --- 1. scores on a lower-is-better scale -------------------------------------------


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


def test_score_direction_conflict_is_refused():
    subs, low = ranked_groups(higher_is_better=False)
    with pytest.raises(FairpanelInputError, match="higher_is_better"):
        score_gaps(low, subs, groups=["g"], higher_is_better=True)


def planted(seed=0):
    """r0 gives women worse (lower) scores than the other reviewers of the same proposals."""
    rng = np.random.default_rng(seed)
    subs = pd.DataFrame({"submission_id": [f"p{i}" for i in range(40)], "gender": ["m", "w"] * 20})
    rows = []
    for i in range(40):
        for r in rng.choice(8, 4, replace=False):
            r = 0 if (i % 2 == 1 and rng.random() < 0.6) else r
            s = 4 + rng.normal(0, 0.3) - (1.5 if (r == 0 and i % 2 == 1) else 0)
            rows.append({"submission_id": f"p{i}", "reviewer_id": f"r{r}", "score": s})
    return subs, pd.DataFrame(rows).drop_duplicates(["submission_id", "reviewer_id"])


def test_reviewer_gaps_are_oriented_by_the_scale():
    subs, reviews = planted()
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


# --- 2. statistics of hidden groups -------------------------------------------------


def mint_like():
    """202 men, 144 women and 7 non-binary applicants (3 selected), in two sections."""
    rows = []
    for gender, n, k in [("man", 202, 60), ("woman", 144, 47), ("non-binary", 7, 3)]:
        for i in range(n):
            rows.append(
                {
                    "gender": gender,
                    "stage": ["early", "mid", "senior"][i % 3],
                    "section": "one" if i % 2 else "two",
                    "selected": int(i < k),
                }
            )
    return pd.DataFrame(rows)


def test_logistic_odds_ratios_of_hidden_groups_are_withheld():
    res = audit(mint_like(), groups="gender", covariates=["stage"], strata="section")
    hidden = set(res.groups.loc[res.groups["suppressed"].astype(bool), "group"])
    assert "non-binary" in hidden
    assert res.logistic["odds_ratio"].isna().all()
    assert res.strata["pooled_odds_ratio"].isna().all()
    entry = res.to_dict()["attributes"]["gender"]
    assert all(row["odds_ratio"] is None for row in entry["logistic"])
    open_ = audit(mint_like(), groups="gender", covariates=["stage"], min_cell=0)
    assert open_.logistic["odds_ratio"].notna().all()


def test_cmh_with_a_hidden_stratum_cell_is_withheld():
    # NWO Veni 2010-2012, Physics and Humanities (van der Lee & Ellemers 2015, Table S1):
    # 2 awards to women in Physics is below 5, so the CMH of the pair is withheld
    counts = pd.DataFrame(
        {
            "field": ["Physics", "Physics", "Humanities", "Humanities"],
            "gender": ["men", "women", "men", "women"],
            "n": [67, 9, 230, 166],
            "k": [18, 2, 33, 32],
        }
    )
    res = audit_counts(
        counts, group_col="gender", applicants_col="n", selected_col="k", strata_col="field"
    )
    assert res.stratum_rates["suppressed"].any()
    assert res.strata[["statistic", "pooled_odds_ratio", "crude_odds_ratio"]].isna().all().all()
    assert res.logistic["odds_ratio"].isna().all()
    assert any("within-strata comparisons and the regression" in note for note in res.notes)
    full = audit_counts(
        counts,
        group_col="gender",
        applicants_col="n",
        selected_col="k",
        strata_col="field",
        min_cell=0,
    )
    assert full.strata["pooled_odds_ratio"].notna().all()


def test_lottery_chances_of_an_attribute_with_a_hidden_group_are_withheld():
    d = mint_like().assign(selection_probability=0.3)
    res = audit(d, groups="gender", seed=1)
    summary = res.lottery_summary.iloc[0]
    assert pd.isna(summary["p_any_air_below_four_fifths"])
    assert pd.isna(summary["mc_se"])
    assert res.lottery["p_air_below_four_fifths"].isna().all()


def test_score_rows_of_hidden_groups_are_withheld():
    d = mint_like().reset_index(drop=True)
    d["submission_id"] = [f"s{i}" for i in range(len(d))]
    scores = pd.DataFrame(
        {"submission_id": d["submission_id"], "calibrated_score": np.linspace(1, 5, len(d))}
    )
    res = audit(d, groups="gender", scores=scores)
    hidden = set(res.groups.loc[res.groups["suppressed"].astype(bool), "group"])
    sg = res.score_gaps
    involved = sg["group"].isin(hidden) | sg["reference"].isin(hidden)
    assert involved.any()
    assert sg.loc[involved, ["n", "mean_score", "difference"]].isna().all().all()
    assert sg.loc[involved, "suppressed"].all()
    assert not sg["reference"].isin(hidden).any()  # the reference is a published group


# --- 3. the lottery summary's names -------------------------------------------------


def test_lottery_summary_names_what_it_computes():
    # a uniform lottery of 20 places among 30 men and 30 women: the number of women drawn
    # is hypergeometric (scipy.stats.hypergeom), so E[min AIR] is exact
    d = pd.DataFrame(
        {
            "gender": ["m"] * 30 + ["w"] * 30,
            "selected": ([1] * 10 + [0] * 20) * 2,
            "selection_probability": 1 / 3,
        }
    )
    row = audit(d, groups="gender", seed=7).lottery_summary.iloc[0]
    k = np.arange(21)
    pmf = stats.hypergeom(60, 30, 20).pmf(k)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.minimum(k, 20 - k) / np.maximum(k, 20 - k)
    assert_allclose(row["expected_min_air_of_draws"], pmf @ ratio, rtol=1e-10)
    assert row["min_air_of_expected_rates"] == pytest.approx(1.0)
    assert row["expected_min_air"] == row["min_air_of_expected_rates"]  # deprecated alias
    assert row["expected_min_air_of_draws"] < 0.9


# --- 4-6, 8. the command line ---------------------------------------------------------


@pytest.fixture
def counts_file(tmp_path):
    path = tmp_path / "counts.csv"
    path.write_text("gender,discipline,n,k\nmen,a,80,30\nwomen,a,40,10\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--group", "gender"], "--group-col"),
        (["--strata", "discipline"], "--strata-col"),
        (["--intersect"], "submission-level"),
        (["--covariate", "discipline"], "submission-level"),
        (["--stages", "a,b"], "submission-level"),
    ],
)
def test_counts_refuse_decision_options(counts_file, extra, said):
    args = ["audit", "--counts", str(counts_file), "--group-col", "gender"]
    args += ["--applicants-col", "n", "--selected-col", "k"]
    result = runner.invoke(app, [*args, *extra])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert extra[0] in lines[0]
    assert said in lines[0]


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


def test_errors_name_the_file_they_are_about(tmp_path):
    d = pd.DataFrame({"submission_id": [f"s{i}" for i in range(20)], "selected": [1, 0] * 10})
    s = d[["submission_id"]].assign(gender=["m", "w"] * 10)
    d.to_csv(tmp_path / "dec.csv", index=False)
    s.to_csv(tmp_path / "subs.csv", index=False)
    pd.DataFrame({"proposal": ["s1"], "assessor": ["a"], "score": [3]}).to_csv(
        tmp_path / "rev.csv", index=False
    )
    base = ["audit", "--decisions", str(tmp_path / "dec.csv"), "--group", "gender"]
    base += ["--submissions", str(tmp_path / "subs.csv")]
    result = runner.invoke(app, [*base, "--reviews", str(tmp_path / "rev.csv")])
    assert result.exit_code == 2
    assert "rev.csv" in result.stderr
    assert "dec.csv" not in result.stderr
    found = "'proposal', 'assessor', 'score'"
    assert ERR_MISSING_COLUMN.format(column="submission_id", found=found) in result.stderr
    s.drop(columns="gender").assign(sex="m").to_csv(tmp_path / "subs.csv", index=False)
    result = runner.invoke(app, base)
    assert result.exit_code == 2
    assert "subs.csv" in result.stderr
    assert "dec.csv" not in result.stderr
    assert "sex" in result.stderr  # the columns listed are the submissions file's


def test_publishable_flag(counts_file, tmp_path):
    out = tmp_path / "a.json"
    args = ["audit", "--counts", str(counts_file), "--group-col", "gender"]
    args += ["--applicants-col", "n", "--selected-col", "k", "--json", str(out)]
    assert runner.invoke(app, [*args, "--min-cell", "0"]).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["publishable"] is False
    assert runner.invoke(app, args).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["publishable"] is True


# --- 7. why comparisons are withheld --------------------------------------------------


def test_note_says_why_the_main_comparison_is_withheld():
    res = audit(mint_like(), groups="gender")
    comps = res.comparisons
    assert comps["rate_difference"].isna().all()
    text = " ".join(res.notes)
    assert "withheld" in text
    assert "merge small groups" in text
    # no count of a hidden group is revealed (7, 3, 60, 202...)
    assert not re.search(r"\b(3|7|47|60|144|202)\b", text)


def test_holm_matches_statsmodels():
    from statsmodels.stats.multitest import multipletests

    from fairpanel.audit._reviewers import holm

    p = np.random.default_rng(3).uniform(0, 0.2, 40)
    p[5] = p[9]  # a tie
    assert_allclose(holm(p), multipletests(p, method="holm")[1])


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
