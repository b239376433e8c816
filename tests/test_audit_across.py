"""Adjusted gaps in points, multiplicity, power, cycles and the subgroup scan."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from numpy.testing import assert_allclose
from scipy import stats
from scipy.special import expit
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower

from fairpanel import FairpanelInputError
from fairpanel.audit import AuditResult, audit_counts, run_audit
from fairpanel.audit._change_model import (
    _design,
    change_fit,
    change_p_values,
    cycle_order,
    logistic_fit,
)
from fairpanel.audit._cycles import ERR_CHANGE_AT
from fairpanel.audit._multiplicity import (
    ERR_ADJUST,
    adjust_p,
    benjamini_hochberg,
    check_adjust,
    holm,
)
from fairpanel.audit._power import fisher_power, min_detectable_difference, plan_cycles
from fairpanel.audit._scan import subgroup_scan
from fairpanel.audit._strata import cmh_table, mh_risk_difference, stratum_comparison_table

# Rothman, Greenland & Lash (2008), Modern Epidemiology, 3rd ed., ch. 15: deaths among
# tolbutamide and placebo patients of the University Group Diabetes Program, by age.
UGDP = pd.DataFrame(
    {
        "group": ["tolbutamide", "placebo", "tolbutamide", "placebo"],
        "stratum": ["under 55", "under 55", "55 and over", "55 and over"],
        "applicants": [106, 120, 98, 85],
        "selected": [8, 5, 22, 16],
    }
)


def test_mh_risk_difference_matches_the_textbook_example():
    rd, var = mh_risk_difference(
        np.array([8, 22]), np.array([106, 98]), np.array([5, 16]), np.array([120, 85])
    )
    # By hand: weights 106·120/226 = 56.283 and 98·85/183 = 45.519; stratum differences
    # 8/106 − 5/120 = 0.03381 and 22/98 − 16/85 = 0.03625; RD = 3.5524 / 101.802 = 0.0349.
    # The book gives RD_MH = 0.035 with 90% limits −0.018 and 0.087 (Sato's variance).
    assert round(float(rd), 3) == 0.035
    z90 = stats.norm.ppf(0.95)
    assert round(float(rd - z90 * np.sqrt(var)), 3) == -0.018
    assert round(float(rd + z90 * np.sqrt(var)), 3) == 0.087


def test_sato_variance_matches_the_spread_of_the_estimate():
    # An independent check of the variance: over many sparse stratified tables drawn from
    # known rates, the mean of Sato's variance is the variance of the estimates. 20 000
    # replicates: the empirical variance is within ~2% of the truth (its sd is ~1%);
    # the tolerance is 5%.
    rng = np.random.default_rng(14)
    n1, n0 = np.array([8, 12, 6, 20, 9]), np.array([10, 7, 15, 12, 8])
    p1, p0 = np.array([0.3, 0.4, 0.2, 0.5, 0.35]), np.array([0.2, 0.3, 0.25, 0.4, 0.2])
    k1 = rng.binomial(n1, p1, size=(20_000, 5))
    k0 = rng.binomial(n0, p0, size=(20_000, 5))
    rd, var = mh_risk_difference(k1, n1, k0, n0)
    assert np.mean(var) == pytest.approx(np.var(rd), rel=0.05)


def test_one_large_stratum_gives_the_plain_difference():
    rd, var = mh_risk_difference(
        np.array([300]), np.array([1000]), np.array([200]), np.array([1000])
    )
    assert rd == pytest.approx(0.1)
    # with one stratum, Sato's variance is near the Wald variance p1q1/n1 + p0q0/n0
    assert var == pytest.approx(0.3 * 0.7 / 1000 + 0.2 * 0.8 / 1000, rel=0.02)


def test_strata_name_the_stratum_that_disagrees():
    cells = pd.DataFrame(
        {
            "group": ["w", "m"] * 4,
            "stratum": ["a", "a", "b", "b", "c", "c", "d", "d"],
            "applicants": [200, 200] * 4,
            "selected": [40, 40, 40, 40, 40, 40, 100, 20],
        }
    )
    pooled = cmh_table("gender", cells, ["m", "w"], "m")
    assert pooled["risk_difference"].iloc[0] == pytest.approx(0.1)
    assert pooled["disagreeing_strata"].iloc[0] == "a; b; c; d"
    within = stratum_comparison_table("gender", cells, ["m", "w"], "m", pooled)
    assert within["disagrees"].tolist() == [True, True, True, True]
    # the exact test of each stratum is scipy's
    expected = stats.fisher_exact([[100, 100], [20, 180]]).pvalue
    assert within.loc[within["stratum"] == "d", "p_value"].iloc[0] == pytest.approx(expected)


def test_audit_reports_the_adjusted_gap_in_points():
    res = audit_counts(UGDP, group_col="group", strata_col="stratum", reference="placebo")
    row = res.strata.iloc[0]
    assert row["risk_difference"] == pytest.approx(0.0349, abs=1e-4)
    assert row["risk_difference_ci_low"] < row["risk_difference"] < row["risk_difference_ci_high"]
    assert len(res.stratum_comparisons) == 2


@pytest.mark.parametrize(("method", "name"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_adjustments_match_statsmodels(method, name):
    p = np.random.default_rng(3).uniform(0, 0.2, size=25)
    kernel = holm if method == "holm" else benjamini_hochberg
    assert_allclose(kernel(p), multipletests(p, method=name)[1])
    assert_allclose(adjust_p(p, method), multipletests(p, method=name)[1])


def test_missing_p_values_stay_out_of_the_family():
    adjusted = adjust_p([0.01, np.nan, 0.04], "holm")
    assert_allclose(adjusted[[0, 2]], multipletests([0.01, 0.04], method="holm")[1])
    assert np.isnan(adjusted[1])
    with pytest.raises(ValueError, match="adjust must be one of"):
        check_adjust("bonferroni")
    assert ERR_ADJUST.startswith("adjust")


def test_the_audit_publishes_one_family():
    d = pd.DataFrame(
        {
            "submission_id": [f"s{i}" for i in range(200)],
            "gender": ["m"] * 120 + ["w"] * 80,
            "stage": (["early", "late"] * 100),
            "selected": [1] * 48 + [0] * 72 + [1] * 12 + [0] * 68,
        }
    )
    res = run_audit(d, groups=["gender", "stage"], adjust="bh", seed=1)
    fam = res.multiplicity
    assert set(fam["method"]) == {"bh"}
    p = res.comparisons["p_value"].to_numpy(float)
    assert_allclose(res.comparisons["adjusted_p_value"], multipletests(p, method="fdr_bh")[1])
    assert fam["survives"].tolist() == (fam["adjusted_p_value"] < 0.05).tolist()
    assert any("comparisons were made" in n for n in res.notes)


def test_arcsine_detectable_gap_matches_statsmodels_power():
    n1, n0, p0 = 400, 600, 0.2
    gap = float(min_detectable_difference(n1, n0, p0)[()])
    h = NormalIndPower().solve_power(nobs1=n1, ratio=n0 / n1, alpha=0.05, power=0.8)
    # the smaller of the two directions; at a rate of 20%, below the reference's rate
    h_down = 2 * np.arcsin(np.sqrt(p0)) - 2 * np.arcsin(np.sqrt(p0 - gap))
    assert h_down == pytest.approx(h, rel=1e-3)
    h_up = 2 * np.arcsin(np.sqrt(p0 + gap)) - 2 * np.arcsin(np.sqrt(p0))
    assert h_up < h


def test_exact_power_matches_enumeration():
    n1, n0, p1, p0 = 6, 10, 0.1, 0.7
    brute = sum(
        stats.binom.pmf(a, n1, p1) * stats.binom.pmf(c, n0, p0)
        for a in range(n1 + 1)
        for c in range(n0 + 1)
        if stats.fisher_exact([[a, n1 - a], [c, n0 - c]]).pvalue <= 0.05
    )
    assert fisher_power(n1, n0, [p1], p0)[0] == pytest.approx(brute)
    assert fisher_power(n0, n1, [p0], p1)[0] == pytest.approx(brute)


def test_small_group_detectable_gap_is_exact():
    # with 9 applicants against 200 at 50%, only a gap of about 42 points can be seen
    gap = float(min_detectable_difference(9, 200, 0.5)[()])
    assert 0.35 < gap < 0.5
    ok = max(fisher_power(9, 200, [0.5 - gap, 0.5 + gap], 0.5))
    assert ok >= 0.8
    short = max(fisher_power(9, 200, [0.5 - gap + 0.01, 0.5 + gap - 0.01], 0.5))
    assert short < 0.8


def test_plan_matches_statsmodels_sample_size():
    plan = plan_cycles(rate=0.2, gap=0.04, applicants_per_cycle=1000, share=0.4)
    h = 2 * np.arcsin(np.sqrt(0.2)) - 2 * np.arcsin(np.sqrt(0.16))
    nobs1 = NormalIndPower().solve_power(effect_size=h, alpha=0.05, power=0.8, ratio=0.6 / 0.4)
    assert plan.applicants == pytest.approx(nobs1 / 0.4, abs=2)
    assert plan.cycles == 4
    assert "4 cycles of 1000" in plan.sentence()
    with pytest.raises(FairpanelInputError, match="--share"):
        plan_cycles(rate=0.2, gap=0.04, applicants_per_cycle=1000, share=1.4)


def _cycles_data(rng, gap_before, gap_after, cycles=8, change=4, per=(300, 200), base=0.25):
    rows = []
    for c in range(cycles):
        gap = gap_before if c < change else gap_after
        drift = 0.02 * np.sin(c)  # the overall rate moves from cycle to cycle
        for group, n, rate in (
            ("men", per[0], base + drift),
            ("women", per[1], base + drift - gap),
        ):
            k = rng.binomial(n, rate)
            rows.append((str(2010 + c), group, n, k))
    return pd.DataFrame(rows, columns=["year", "gender", "applicants", "selected"])


def test_cycles_are_ordered_as_numbers():
    assert cycle_order(["2010", "9", "10"]) == ["9", "10", "2010"]
    assert cycle_order(["2012-02-15", "2011-11-01"]) == ["2011-11-01", "2012-02-15"]


def test_change_matches_a_statsmodels_glm_on_the_same_rows():
    counts = _cycles_data(np.random.default_rng(5), 0.08, 0.0)
    res = audit_counts(
        counts, group_col="gender", cycle_col="year", change_at="2014", reference="men"
    )
    row = res.change.iloc[0]
    # the same rows, one per applicant, in statsmodels' formula GLM
    units = counts.loc[counts.index.repeat(counts["applicants"])].copy()
    units["y"] = np.concatenate(
        [
            np.r_[np.ones(k), np.zeros(n - k)]
            for n, k in zip(counts["applicants"], counts["selected"], strict=True)
        ]
    )
    units["g"] = (units["gender"] == "women").astype(float)
    units["after"] = (units["year"].astype(int) >= 2014).astype(float)
    fit = smf.glm("y ~ C(year) + g + g:after", data=units, family=sm.families.Binomial()).fit()
    assert row["interaction_odds_ratio"] == pytest.approx(np.exp(fit.params["g:after"]), rel=1e-6)
    lo, hi = np.exp(fit.conf_int().loc["g:after"])
    assert row["interaction_ci_low"] == pytest.approx(lo, rel=1e-6)
    assert row["interaction_ci_high"] == pytest.approx(hi, rel=1e-6)
    assert row["p_value"] == pytest.approx(fit.pvalues["g:after"], rel=1e-5)
    assert row["cycles_before"] == 4
    assert row["cycles_after"] == 4
    assert any("assumption" in n for n in res.notes)


def test_newton_kernel_matches_statsmodels_and_the_delta_method_matches_simulation():
    rng = np.random.default_rng(8)
    cells = _cycles_data(rng, 0.1, 0.02).rename(columns={"year": "cycle", "gender": "group"})
    cells["period"] = np.where(cells["cycle"].astype(int) >= 2014, "after", "before")
    out, _ = change_fit(cells, "women", "men", term="change")
    # the delta-method interval of the effect in points against draws of the estimates
    # from their asymptotic normal distribution (20 000 draws: the sd is within ~1%)
    x, k, n, _, _ = _design(cells, "women", "men", "change")
    beta, cov, ok = logistic_fit(x, k, n)
    glm = sm.GLM(np.column_stack([k, n - k]), x, family=sm.families.Binomial()).fit()
    assert ok[0]
    assert_allclose(beta[0], glm.params, rtol=1e-6)
    assert_allclose(cov[0], glm.cov_params(), rtol=1e-5)
    draws = rng.multivariate_normal(beta[0], cov[0], size=20_000)
    mine = x[:, -1] > 0
    x1, w = x[mine], n[mine]
    x0 = x1.copy()
    x0[:, -1] = 0
    ame = ((expit(draws @ x1.T) - expit(draws @ x0.T)) @ w) / w.sum()
    se = (out["points_high"] - out["points_low"]) / (2 * stats.norm.ppf(0.975))
    assert np.std(ame) == pytest.approx(se, rel=0.05)


def test_a_planted_change_is_found_with_its_sign_and_size():
    # women 10 points behind for four cycles, then level: the change is +10 points
    rng = np.random.default_rng(21)
    counts = _cycles_data(rng, 0.10, 0.0, per=(1500, 1000))
    res = audit_counts(
        counts, group_col="gender", cycle_col="year", change_at="2014", reference="men"
    )
    row = res.change.iloc[0]
    assert row["gap_before"] == pytest.approx(-0.10, abs=0.02)
    assert row["gap_after"] == pytest.approx(0.0, abs=0.02)
    assert row["change_ci_low"] < 0.10 < row["change_ci_high"]
    assert row["change_points"] == pytest.approx(0.10, abs=0.02)
    assert row["p_value"] < 0.001


def test_the_change_test_keeps_its_level():
    # With no change (a constant gap of 5 points, the overall rate moving by cycle), the
    # change test rejects at 5% in 5% of data sets. 4 000 data sets: the rate's sd is
    # 0.34 points, so a window of 2 points is six sds wide.
    rng = np.random.default_rng(2026)
    cells = _cycles_data(rng, 0.05, 0.05).rename(columns={"year": "cycle", "gender": "group"})
    cells["period"] = np.where(cells["cycle"].astype(int) >= 2014, "after", "before")
    rates = np.where(cells["group"] == "men", 0.25, 0.20) + 0.02 * np.sin(
        cells["cycle"].astype(int) - 2010
    )
    draws = rng.binomial(cells["applicants"].to_numpy(), rates, size=(4000, len(cells)))
    p = change_p_values(cells, "women", "men", draws)
    assert np.isfinite(p).all()
    assert abs(np.mean(p < 0.05) - 0.05) < 0.02


def test_cycle_cells_are_suppressed_with_their_complements():
    counts = pd.DataFrame(
        {
            "year": ["2020", "2020", "2021", "2021", "2022", "2022"],
            "gender": ["m", "w"] * 3,
            "applicants": [100, 40, 100, 3, 100, 45],
            "selected": [30, 10, 30, 1, 30, 12],
        }
    )
    res = audit_counts(counts, group_col="gender", cycle_col="year", change_at="2022")
    cyc = res.cycles.set_index(["cycle", "group"])
    assert cyc.loc[("2021", "w"), "suppressed"]
    # the women's total is published: one more of their cycles is withheld with it
    assert cyc.xs("w", level="group")["suppressed"].sum() >= 2
    assert res.change["suppressed"].all()
    assert res.change["change_points"].isna().all()


def test_change_at_must_be_a_cycle():
    counts = _cycles_data(np.random.default_rng(1), 0.0, 0.0, cycles=3, change=1)
    with pytest.raises(FairpanelInputError, match="not one of the cycles"):
        audit_counts(counts, group_col="gender", cycle_col="year", change_at="1999")
    assert "--change-at" in ERR_CHANGE_AT


def test_scan_p_value_is_uniform_under_the_null():
    # 200 data sets with decisions unrelated to the attributes: the search-adjusted
    # p-value of the most extreme subgroup is uniform (Kolmogorov–Smirnov at 1%).
    rng = np.random.default_rng(7)
    cells = pd.DataFrame(
        {
            "gender": np.repeat(["m", "w"], 6),
            "stage": np.tile(np.repeat(["early", "mid", "late"], 2), 2),
            "region": np.tile(["n", "s"], 6),
            "applicants": [40, 30, 50, 25, 35, 20, 30, 25, 20, 30, 15, 40],
        }
    )
    ps = []
    for _ in range(200):
        cells["selected"] = rng.binomial(cells["applicants"], 0.3)
        scan = subgroup_scan(
            cells, ["gender", "stage", "region"], min_cell=5, rng=rng, replicates=199
        )
        ps.append(scan["p_value"].iloc[0])
    assert stats.kstest(ps, "uniform").pvalue > 0.01


def test_scan_finds_a_planted_intersection():
    rng = np.random.default_rng(11)
    n = 2000
    d = pd.DataFrame(
        {
            "submission_id": [f"s{i}" for i in range(n)],
            "gender": rng.choice(["m", "w"], n),
            "stage": rng.choice(["early", "late"], n),
            "region": rng.choice(["n", "s", "e"], n),
        }
    )
    rate = np.where((d["gender"] == "w") & (d["stage"] == "early"), 0.12, 0.3)
    d["selected"] = rng.random(n) < rate
    res = run_audit(d, groups=["gender", "stage", "region"], scan=True, seed=4)
    top = res.subgroup_scan.iloc[0]
    assert top["subgroup"] == "gender = w × stage = early"
    assert top["statistic"] < 0
    assert top["p_value"] < 0.01


def test_json_round_trip_with_every_new_table():
    counts = _cycles_data(np.random.default_rng(2), 0.05, 0.0)
    counts["field"] = np.tile(["a", "a", "b", "b"], len(counts) // 4)
    res = audit_counts(
        counts,
        group_col="gender",
        strata_col="field",
        cycle_col="year",
        change_at="2014",
        scan=True,
        seed=3,
    )
    data = res.to_dict()
    body = data["attributes"]["gender"]
    for key in ("cycles", "change", "stratum_comparisons"):
        assert body[key]
    assert "risk_difference" in body["strata"][0]
    assert "adjusted_p_value" in body["comparisons"][0]
    assert "min_detectable_difference" in body["comparisons"][0]
    assert data["subgroup_scan"]
    assert data["multiplicity"]
    assert data["schema"]["version"] == 2
    assert AuditResult.from_dict(data).to_dict() == data


def test_scan_withholds_subgroups_that_touch_a_withheld_cell():
    # Physics' women are too few to publish (and a complement with them): a scanned
    # subgroup sharing applicants with a withheld cell is listed without its counts.
    counts = pd.DataFrame(
        {
            "field": ["physics", "physics", "biology", "biology", "history", "history"],
            "gender": ["m", "w"] * 3,
            "applicants": [80, 4, 100, 90, 60, 70],
            "selected": [20, 1, 30, 15, 10, 20],
        }
    )
    res = audit_counts(counts, group_col="gender", strata_col="field", scan=True, seed=2)
    hidden = res.stratum_rates[res.stratum_rates["suppressed"].astype(bool)]
    assert len(hidden) >= 2
    touched = 0
    for row in res.subgroup_scan.to_dict("records"):
        touches = any(
            all(
                part.split(" = ")[1] == value
                for part in row["subgroup"].split(" × ")
                for key, value in (("gender", h["group"]), ("field", h["stratum"]))
                if part.startswith(key + " = ")
            )
            for h in hidden.to_dict("records")
        )
        if touches:
            touched += 1
            assert row["suppressed"]
            assert pd.isna(row["applicants"])
        else:
            assert not pd.isna(row["applicants"])
    assert touched


def test_decisions_across_cycles_agree_with_their_counts():
    counts = _cycles_data(np.random.default_rng(9), 0.06, 0.0, cycles=6, change=3)
    units = counts.loc[counts.index.repeat(counts["applicants"])].reset_index(drop=True)
    units["selected"] = np.concatenate(
        [
            np.r_[np.ones(k, bool), np.zeros(n - k, bool)]
            for n, k in zip(counts["applicants"], counts["selected"], strict=True)
        ]
    )
    units["blind"] = np.where(units["year"].astype(int) >= 2013, "yes", "no")
    units["submission_id"] = [f"s{i}" for i in range(len(units))]
    decided = run_audit(
        units[["submission_id", "year", "gender", "selected", "blind"]],
        groups="gender",
        cycle="year",
        change_col="blind",
        reference="men",
        seed=1,
    )
    counted = audit_counts(
        counts, group_col="gender", cycle_col="year", change_at="2013", reference="men", seed=1
    )
    assert_allclose(
        decided.cycles["selection_rate"].to_numpy(float),
        counted.cycles["selection_rate"].to_numpy(float),
    )
    assert decided.change["change_at"].iloc[0] == "2013"
    for column in ("change_points", "change_ci_low", "interaction_odds_ratio", "p_value"):
        assert decided.change[column].iloc[0] == pytest.approx(counted.change[column].iloc[0])
