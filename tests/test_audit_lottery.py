"""Lottery expectations and the simulated fixed-size draw; vectorized bootstrap intervals."""

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, selection_rate
from numpy.testing import assert_allclose
from scipy import stats

from fairpanel import FairpanelInputError
from fairpanel.audit import _lottery as lottery
from fairpanel.audit import audit, bootstrap_selection_rates
from fairpanel.audit._lottery import _any_below, exact_counts, lottery_tables, simulate_draws
from fairpanel.io._columns import ERR_BAD_PROBABILITY


def test_simulated_draw_is_fixed_size_with_exact_marginals():
    # a partial lottery: 5 funded, 5 of 10 drawn from the gray zone, 5 rejected
    p = np.array([1.0] * 5 + [0.5] * 10 + [0.0] * 5)
    codes = np.arange(p.size)  # one "group" per applicant: the draw itself
    draws = simulate_draws(p, codes, p.size, 4000, np.random.default_rng(0))
    assert (draws.sum(axis=1) == 10).all()
    assert (draws[:, 5:15].sum(axis=1) == 5).all()  # the tier's count is fixed too
    assert (draws[:, :5] == 1).all()
    assert (draws[:, 15:] == 0).all()
    # inclusion frequency within 4 Monte Carlo standard errors of p (sd 0.5/sqrt(4000))
    assert_allclose(draws[:, 5:15].mean(axis=0), 0.5, atol=4 * 0.5 / np.sqrt(4000))


def test_simulated_draw_with_unequal_probabilities():
    p = np.array([0.2, 0.3, 0.5, 0.7, 0.3])  # sums to 2: two selected every time
    draws = simulate_draws(p, np.arange(5), 5, 20000, np.random.default_rng(1))
    assert (draws.sum(axis=1) == 2).all()
    se = np.sqrt(p * (1 - p) / 20000)
    assert (np.abs(draws.mean(axis=0) - p) < 4 * se).all()


def hypergeometric_answer():
    # A uniform lottery of 20 places among 30 men and 30 women: the number of women drawn
    # is hypergeometric, so P(AIR < 0.8) is exact (scipy.stats.hypergeom).
    k = np.arange(21)
    pmf = stats.hypergeom(60, 30, 20).pmf(k)
    below = 5 * np.minimum(k, 20 - k) < 4 * np.maximum(k, 20 - k)
    return float(pmf[below].sum())


def test_chance_of_adverse_impact_matches_the_hypergeometric():
    exact = hypergeometric_answer()
    d = pd.DataFrame(
        {
            "submission_id": range(60),
            "gender": ["m"] * 30 + ["w"] * 30,
            "selected": ([1] * 10 + [0] * 20) * 2,
            "selection_probability": 1 / 3,
        }
    )
    res = audit(d, groups="gender", seed=7)
    summary = res.lottery_summary.iloc[0]
    assert summary["method"] == "exact"
    # published to two decimals, so a chance carries no more than the counts do
    # (docs/audit.md, "Publishing safety"); the exact value is the internal table's
    assert summary["p_any_air_below_four_fifths"] == round(exact, 2)
    inner, inner_summary = lottery_tables(
        d.astype({"gender": str}),
        d["selection_probability"].to_numpy(float),
        d["selected"].to_numpy(float),
        ["gender"],
        replicates=10,
        rng=np.random.default_rng(7),
    )
    assert_allclose(inner_summary["p_any_air_below_four_fifths"].iloc[0], exact, rtol=1e-10)
    assert_allclose(inner["p_air_below_four_fifths"], exact / 2, rtol=1e-10)
    lot = res.lottery.set_index("group")
    assert_allclose(lot["expected_rate"], 1 / 3)
    assert_allclose(lot["expected_selected"], 10)
    assert_allclose(lot["realized_rate"], 1 / 3)
    # by symmetry each group is the one below four-fifths half the time
    assert_allclose(lot["p_air_below_four_fifths"], round(exact / 2, 2))


def test_simulated_chance_matches_the_hypergeometric():
    exact = hypergeometric_answer()
    p = np.full(60, 1 / 3)
    codes = np.repeat([0, 1], 30)
    draws = simulate_draws(p, codes, 2, 4000, np.random.default_rng(11))
    _, any_below = _any_below(draws, np.array([30, 30]), np.array([True, True]))
    se = np.sqrt(exact * (1 - exact) / 4000)
    assert abs(any_below.mean() - exact) < 4 * se


def test_exact_and_simulated_agree_on_a_tiered_lottery():
    # tiers: 6 sure, 4 drawn of 12, 4 drawn of 8, 10 not eligible; three groups
    p = np.array([1.0] * 6 + [1 / 3] * 12 + [0.5] * 8 + [0.0] * 10)
    codes = np.arange(p.size) % 3
    outcomes, weight = exact_counts(p, codes, 3)
    assert_allclose(weight.sum(), 1.0)
    assert (outcomes.sum(axis=1) == 6 + 4 + 4).all()
    n = np.bincount(codes, minlength=3)
    eligible = np.ones(3, dtype=bool)
    below, any_below = _any_below(outcomes, n, eligible)
    draws = simulate_draws(p, codes, 3, 4000, np.random.default_rng(5))
    below_mc, any_mc = _any_below(draws, n, eligible)
    p_exact = weight @ any_below
    assert abs(any_mc.mean() - p_exact) < 4 * np.sqrt(p_exact * (1 - p_exact) / 4000)
    per_group = weight @ below
    se = np.sqrt(per_group * (1 - per_group) / 4000)
    assert (np.abs(below_mc.mean(axis=0) - per_group) <= 4 * se + 1e-12).all()
    # mean selected per group: exactly the sum of probabilities
    assert_allclose(weight @ outcomes, np.bincount(codes, weights=p, minlength=3))


def test_exact_gives_way_to_simulation_when_too_large():
    p = np.full(400, 0.25)
    codes = np.arange(400) % 8
    assert exact_counts(p, codes, 8) is None


def test_expected_rate_is_the_mean_probability():
    rng = np.random.default_rng(3)
    d = pd.DataFrame({"submission_id": range(80), "g": rng.choice(["a", "b"], 80)})
    d["selection_probability"] = np.where(d["g"] == "a", 0.5, 0.25)
    d["selected"] = (rng.random(80) < d["selection_probability"]).astype(int)
    res = audit(d, groups="g", seed=1, min_cell=0)
    lot = res.lottery.set_index("group")
    assert_allclose(lot.loc["a", "expected_rate"], 0.5)
    assert_allclose(lot.loc["b", "expected_rate"], 0.25)
    assert_allclose(lot.loc["a", "realized_rate"], d.loc[d["g"] == "a", "selected"].mean())


def test_same_seed_same_result():
    d = pd.DataFrame(
        {
            "submission_id": range(80),
            "g": ["a", "b"] * 40,
            "selected": [1, 0, 0, 0] * 20,
            "selection_probability": 0.25,
        }
    )
    a, b = audit(d, groups="g", seed="cycle-2026"), audit(d, groups="g", seed="cycle-2026")
    pd.testing.assert_frame_equal(a.lottery_summary, b.lottery_summary)
    pd.testing.assert_frame_equal(a.spread, b.spread)


def test_bad_probability_is_an_input_error():
    d = pd.DataFrame(
        {
            "submission_id": ["x", "y"],
            "g": ["a", "b"],
            "selected": [1, 0],
            "selection_probability": [0.5, 1.5],
        }
    )
    with pytest.raises(FairpanelInputError) as err:
        audit(d, groups="g")
    assert err.value.message == ERR_BAD_PROBABILITY.format(value="1.5")
    assert err.value.row == 3


def _cells(d, attrs):
    return d.groupby(attrs, as_index=False).agg(
        applicants=("selected", "size"), selected=("selected", "sum")
    )


def test_bootstrap_rates_match_the_normal_limit():
    # Resampling 20,000 applicants: each group's bootstrap rate is close to normal with
    # sd sqrt(p(1-p)/n); percentile limits agree with p ± 1.96 sd to a few % of sd
    # (Monte Carlo error of a 2.5% quantile from 4000 replicates is about 0.04 sd).
    rng = np.random.default_rng(5)
    d = pd.DataFrame({"g": rng.choice(["a", "b", "c"], 20000, p=[0.5, 0.3, 0.2])})
    d["selected"] = (rng.random(20000) < 0.3).astype(int)
    ci = bootstrap_selection_rates(_cells(d, ["g"]), ["g"], replicates=4000, seed=2).set_index(
        "group"
    )
    by = d.groupby("g")["selected"].agg(["mean", "size"])
    sd = np.sqrt(by["mean"] * (1 - by["mean"]) / by["size"])
    assert_allclose(ci["ci_low"], by["mean"] - 1.96 * sd, atol=0.15 * sd.max())
    assert_allclose(ci["ci_high"], by["mean"] + 1.96 * sd, atol=0.15 * sd.max())


@pytest.mark.slow
def test_bootstrap_agrees_with_fairlearn_metricframe():
    # fairlearn 0.15 MetricFrame(n_boot, ci_quantiles, random_state) resamples rows; the
    # multinomial draw is the same distribution. With 300 fairlearn replicates the
    # Monte Carlo error of its 2.5%/97.5% quantiles is about 0.1 sd; we allow 0.35 sd.
    rng = np.random.default_rng(8)
    d = pd.DataFrame({"g": rng.choice(["a", "b"], 2000)})
    d["selected"] = (rng.random(2000) < 0.3).astype(int)
    mf = MetricFrame(
        metrics=selection_rate,
        y_true=d["selected"],
        y_pred=d["selected"],
        sensitive_features=d["g"],
        n_boot=300,
        ci_quantiles=[0.025, 0.975],
        random_state=1,
    )
    ours = bootstrap_selection_rates(_cells(d, ["g"]), ["g"], replicates=4000, seed=1).set_index(
        "group"
    )
    sd = np.sqrt(0.3 * 0.7 / 1000)
    assert_allclose(ours["ci_low"], mf.by_group_ci[0].loc[ours.index], atol=0.35 * sd)
    assert_allclose(ours["ci_high"], mf.by_group_ci[1].loc[ours.index], atol=0.35 * sd)


def test_audit_simulation_agrees_with_its_exact_answer(monkeypatch):
    # A tiered lottery over two attributes; the exact listing is feasible, so compare the
    # audit's exact answer with the same audit forced to simulate (4 Monte Carlo s.e.).
    rng = np.random.default_rng(9)
    n = 90
    d = pd.DataFrame(
        {
            "submission_id": range(n),
            "g": rng.choice(["a", "b", "c"], n),
            "h": rng.choice(["x", "y"], n),
        }
    )
    d["selection_probability"] = np.repeat([1.0, 0.4, 0.5, 0.0], [10, 30, 20, 30])
    d["selected"] = (rng.random(n) < d["selection_probability"]).astype(int)
    exact = audit(d, groups=["g", "h"], seed=3, min_cell=0).lottery_summary
    monkeypatch.setattr(lottery, "_MAX_STATES", 0)
    mc = audit(d, groups=["g", "h"], seed=3, min_cell=0).lottery_summary
    assert (exact["method"] == "exact").all()
    assert (mc["method"] == "monte_carlo").all()
    p = exact["p_any_air_below_four_fifths"].to_numpy()
    se = np.sqrt(p * (1 - p) / 2000)
    assert (np.abs(mc["p_any_air_below_four_fifths"].to_numpy() - p) <= 4 * se + 1e-12).all()


# Regression found auditing real review data: ``expected_min_air`` was the minimum AIR
# of the expected rates, not the expected minimum AIR of the draws; the fields are now
# named for what they compute (the old name kept as an alias).
def test_lottery_summary_names_what_it_computes():
    # a uniform lottery of 20 places among 30 men and 30 women: the number of women drawn
    # is hypergeometric (scipy.stats.hypergeom), so E[min AIR] is exact
    d = pd.DataFrame(
        {
            "submission_id": range(60),
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
    # published to two decimals (docs/audit.md, "Publishing safety")
    assert row["expected_min_air_of_draws"] == round(pmf @ ratio, 2)
    exact = audit(d, groups="gender", seed=7, min_cell=0).lottery_summary.iloc[0]
    assert_allclose(exact["expected_min_air_of_draws"], pmf @ ratio, rtol=1e-10)
    assert row["min_air_of_expected_rates"] == pytest.approx(1.0)
    assert row["expected_min_air"] == row["min_air_of_expected_rates"]  # deprecated alias
    assert row["expected_min_air_of_draws"] < 0.9
