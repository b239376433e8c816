"""Selection strategies: the rules, capacity and budgets, probabilities, invariances."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import ALLOCATION_COLUMNS, ERR_INTERVAL_LEVEL
from fairpanel.io._checks import ERR_DUPLICATE_ID, ERR_MISSING_COLUMN, ERR_NOT_BOOL
from fairpanel.io._columns import ERR_NOT_FINITE
from fairpanel.lottery import inclusion_probabilities, verify_certificate
from fairpanel.rubric import Band, Rubric
from fairpanel.strategies import (
    Capacity,
    LotteryStrategy,
    PartialLotteryStrategy,
    RankStrategy,
    Strategy,
    TieredLotteryStrategy,
)
from fairpanel.strategies._allocation import ERR_CAPACITY_ONE, ERR_CAPACITY_REQUEST
from fairpanel.strategies._bands import ERR_NO_BAND
from fairpanel.strategies._rules import ERR_NO_INTERVAL


def scores_table(values: list[float], bands: list[str] | None = None) -> pd.DataFrame:
    """A small score table: ids s00, s01, ...; expected rank from the scores."""
    ids = [f"s{i:02d}" for i in range(len(values))]
    frame = pd.DataFrame({"submission_id": ids, "calibrated_score": values})
    frame["expected_rank"] = frame["calibrated_score"].rank(ascending=False, method="average")
    if bands is not None:
        frame["band"] = bands
    return frame


def tier_ids(alloc, tier: str) -> set[str]:  # type: ignore[no-untyped-def]
    return set(alloc.ids_in_tier(tier))


# ---------------------------------------------------------------- partial lottery (SNSF)
def test_partial_lottery_on_snsf_mock_panel_p1(snsf_p1: pd.DataFrame) -> None:
    alloc = PartialLotteryStrategy(interval=0.5).allocate(snsf_p1, capacity=5, seed="snsf-p1")
    t = alloc.table.set_index("submission_id")
    # Funding line: expected rank of the 5th proposal, 4.98 (#5).
    assert t["funding_line"].iloc[0] == pytest.approx(4.98)
    assert tier_ids(alloc, "funded") == {"#1"}  # 50% interval [1, 3] wholly above
    assert tier_ids(alloc, "lottery") == {"#2", "#3", "#4", "#5", "#6"}  # cross the line
    assert tier_ids(alloc, "rejected") == {f"#{i}" for i in range(7, 16)}  # wholly below
    assert t.loc[list(tier_ids(alloc, "lottery")), "selection_probability"].tolist() == [0.8] * 5
    assert t["selected"].sum() == 5
    assert alloc.expected_selected == pytest.approx(5.0)
    cert = alloc.certificate
    assert cert is not None
    assert cert.places == 4
    assert {sid for sid, _ in cert.entrants} == tier_ids(alloc, "lottery")
    assert set(cert.selected) == set(alloc.selected_ids) - {"#1"}
    assert verify_certificate(cert.to_dict()).ok


def test_partial_lottery_90_interval_widens_the_gray_zone(snsf_p1: pd.DataFrame) -> None:
    alloc = PartialLotteryStrategy(interval=0.9).allocate(snsf_p1, capacity=5, seed="snsf-p1")
    lottery = tier_ids(alloc, "lottery")
    assert lottery == {f"#{i}" for i in range(1, 10)}  # lo90 <= 4.98 <= hi90
    probs = alloc.table.set_index("submission_id").loc[list(lottery), "selection_probability"]
    np.testing.assert_allclose(probs, 5 / 9)


def test_partial_lottery_needs_rank_intervals_and_checks_interval(snsf_p1: pd.DataFrame) -> None:
    with pytest.raises(FairpanelInputError, match="needs the columns"):
        PartialLotteryStrategy().allocate(scores_table([3.0, 2.0]), capacity=1, seed="x")
    # 80%: a level the table was not scored with is named, with the way to get it.
    missing = ERR_NO_INTERVAL.format(pct=80, columns="rank_lo80, rank_hi80")
    with pytest.raises(FairpanelInputError, match=re.escape(missing)) as err:
        PartialLotteryStrategy(interval=0.8).allocate(snsf_p1, capacity=5, seed="x")
    assert "--interval-levels 0.8" in str(err.value)
    # A level with no column name (not a whole percentage) is refused as such.
    with pytest.raises(ValueError, match=re.escape(ERR_INTERVAL_LEVEL.format(value=0.805))):
        PartialLotteryStrategy(interval=0.805).allocate(snsf_p1, capacity=5, seed="x")


# ---------------------------------------------------------------- rank
def test_rank_breaks_ties_at_the_line_by_lot_only() -> None:
    scores = scores_table([9.0, 8.0, 8.0, 7.0, 7.0, 7.0, 5.0])
    alloc = RankStrategy().allocate(scores, capacity=4, seed="tie")
    t = alloc.table.set_index("submission_id")
    assert tier_ids(alloc, "funded") == {"s00", "s01", "s02"}
    assert tier_ids(alloc, "lottery") == {"s03", "s04", "s05"}
    np.testing.assert_allclose(t.loc[["s03", "s04", "s05"], "selection_probability"], 1 / 3)
    assert t["selected"].sum() == 4
    assert sorted(t.loc[["s03", "s04", "s05"], "draw_position"].tolist()) == [1, 2, 3]
    assert t.loc[["s00", "s06"], "draw_position"].isna().all()
    assert alloc.certificate is not None
    assert alloc.certificate.places == 1


def test_rank_without_ties_needs_no_draw() -> None:
    alloc = RankStrategy().allocate(scores_table([3.0, 2.0, 1.0]), capacity=2, seed="x")
    assert alloc.certificate is None
    assert alloc.selected_ids == ["s00", "s01"]
    assert alloc.table["selection_probability"].tolist() == [1.0, 1.0, 0.0]
    assert alloc.table["selection_probability_se"].eq(0).all()


# ---------------------------------------------------------------- lotteries
def test_lottery_above_a_band_or_threshold() -> None:
    bands = ["excellent", "very good", "very good", "good", "good", "poor"]
    scores = scores_table([6.0, 5.0, 4.8, 4.0, 3.9, 2.0], bands)
    by_band = LotteryStrategy(quality_bar="very good").allocate(scores, capacity=2, seed="q")
    assert tier_ids(by_band, "lottery") == {"s00", "s01", "s02"}
    np.testing.assert_allclose(
        by_band.table.loc[by_band.table["tier"] == "lottery", "selection_probability"], 2 / 3
    )
    by_score = LotteryStrategy(quality_bar=3.95).allocate(scores, capacity=2, seed="q")
    assert tier_ids(by_score, "lottery") == {"s00", "s01", "s02", "s03"}
    everyone = LotteryStrategy().allocate(scores, capacity=10, seed="q")
    assert tier_ids(everyone, "funded") == set(scores["submission_id"])
    assert everyone.certificate is None
    with pytest.raises(FairpanelInputError, match="is not one of the bands"):
        LotteryStrategy(quality_bar="stellar").allocate(scores, capacity=2, seed="q")


def test_lottery_bands_from_a_rubric() -> None:
    rubric = Rubric.single_criterion(minimum=1, maximum=6)
    scores = scores_table([6.0, 5.0, 1.0])
    alloc = LotteryStrategy(quality_bar="scored", rubric=rubric).allocate(
        scores, capacity=1, seed="r"
    )
    assert tier_ids(alloc, "lottery") == {"s00", "s01", "s02"}
    with pytest.raises(FairpanelInputError) as err:
        LotteryStrategy(quality_bar="scored").allocate(scores, capacity=1, seed="r")
    assert (err.value.message, err.value.column) == (ERR_NO_BAND, "band")


def test_tiered_lottery_probabilities_are_the_exact_ones() -> None:
    bands = ["excellent"] * 3 + ["very good"] * 4 + ["good"] * 5 + ["poor"] * 2
    scores = scores_table(list(np.linspace(6, 1, len(bands))), bands)
    alloc = TieredLotteryStrategy().allocate(scores, capacity=4, seed="tiers")
    t = alloc.table
    entrants = t[t["tier"] == "lottery"]
    expected = inclusion_probabilities(entrants["weight"].to_numpy(), 4)
    np.testing.assert_allclose(entrants["selection_probability"], expected, atol=1e-12)
    assert set(t.loc[t["band"] == "poor", "tier"]) == {"rejected"}
    assert t["selected"].sum() == 4
    assert alloc.certificate is not None
    weights = dict(alloc.certificate.entrants)
    assert weights["s00"] == 3.0
    assert weights["s11"] == 1.0


# ---------------------------------------------------------------- budgets
def test_budget_fills_in_rank_order_and_records_skips() -> None:
    scores = scores_table([9.0, 8.0, 7.0, 6.0])
    subs = pd.DataFrame({"submission_id": scores["submission_id"], "hours": [4.0, 5.0, 1.0, 1.0]})
    cap = Capacity(budget=6.0, request_col="hours")
    alloc = RankStrategy().allocate(scores, subs, capacity=cap, seed="b")
    t = alloc.table.set_index("submission_id")
    assert alloc.selected_ids == ["s00", "s02", "s03"]
    assert bool(t.loc["s01", "skipped_budget"])
    assert t.loc[alloc.selected_ids, "request"].sum() <= 6.0
    assert t["selection_probability"].tolist() == [1.0, 0.0, 1.0, 1.0]


def test_budget_lottery_monte_carlo_matches_the_count_case() -> None:
    # Equal requests r and budget k*r make the budget a count of k places: the exact
    # probability is k/n = 3/8. The estimate uses 20,000 replicates, SE ~0.0034;
    # tolerance 4 SE (the Monte Carlo seed is fixed, so the test is deterministic).
    scores = scores_table([5.0] * 8)
    subs = pd.DataFrame({"submission_id": scores["submission_id"], "hours": 2.5})
    lottery = LotteryStrategy(n_monte_carlo=20_000)
    alloc = lottery.allocate(
        scores, subs, capacity=Capacity(budget=7.5, request_col="hours"), seed="mc"
    )
    t = alloc.table
    assert t["selected"].sum() == 3
    p, se = t["selection_probability"].to_numpy(), t["selection_probability_se"].to_numpy()
    assert np.all(np.abs(p - 3 / 8) <= 4 * se)
    assert p.sum() == pytest.approx(3.0)  # every replicate selects exactly 3


def test_budget_needs_requests() -> None:
    scores = scores_table([2.0, 1.0])
    cap = Capacity(budget=1.0, request_col="hours")
    with pytest.raises(FairpanelInputError, match="needs the submissions table"):
        RankStrategy().allocate(scores, capacity=cap, seed="x")
    # The submissions are checked where they enter (fairpanel.io), naming row and column.
    subs = pd.DataFrame({"submission_id": ["s00", "s01"], "hours": ["1", "lots"]})
    with pytest.raises(FairpanelInputError) as err:
        RankStrategy().allocate(scores, subs, capacity=cap, seed="x")
    assert (err.value.row, err.value.column) == (3, "hours")
    assert "'lots' is not a number" in err.value.message


# ---------------------------------------------------------------- inputs and contract
def test_ineligible_submissions_are_never_selected() -> None:
    scores = scores_table([9.0, 8.0, 7.0])
    subs = pd.DataFrame({"submission_id": ["s00", "s01", "s02"], "eligible": ["no", "yes", "yes"]})
    alloc = RankStrategy().allocate(scores, subs, capacity=1, seed="x")
    assert alloc.selected_ids == ["s01"]
    assert tier_ids(alloc, "ineligible") == {"s00"}
    bad = subs.assign(eligible=["maybe", "yes", "yes"])
    with pytest.raises(FairpanelInputError) as err:
        RankStrategy().allocate(scores, bad, capacity=1, seed="x")
    assert err.value.message == ERR_NOT_BOOL.format(value="maybe")
    assert (err.value.row, err.value.column) == (2, "eligible")


def test_score_table_checks() -> None:
    with pytest.raises(FairpanelInputError) as err:
        RankStrategy().allocate(pd.DataFrame({"submission_id": ["a"]}), capacity=1, seed="x")
    assert err.value.message == ERR_MISSING_COLUMN.format(
        column="calibrated_score", found="'submission_id'"
    )
    dup = pd.DataFrame({"submission_id": ["a", "a"], "calibrated_score": [1.0, 2.0]})
    with pytest.raises(FairpanelInputError) as err:
        RankStrategy().allocate(dup, capacity=1, seed="x")
    assert err.value.message == ERR_DUPLICATE_ID.format(value="a", first=2, row=3)
    text = pd.DataFrame({"submission_id": ["a"], "calibrated_score": ["high"]})
    with pytest.raises(FairpanelInputError) as err:
        RankStrategy().allocate(text, capacity=1, seed="x")
    assert err.value.message == ERR_NOT_FINITE.format(value="high")


def test_capacity_validation() -> None:
    with pytest.raises(
        ValueError, match=re.escape(ERR_CAPACITY_ONE.format(count=None, budget=None))
    ):
        Capacity()
    with pytest.raises(ValueError, match=re.escape(ERR_CAPACITY_ONE.format(count=1, budget=2.0))):
        Capacity(count=1, budget=2.0, request_col="h")
    with pytest.raises(ValueError, match="integer >= 0"):
        Capacity(count=-1)
    with pytest.raises(ValueError, match="integer >= 0"):
        Capacity(count=True)
    with pytest.raises(ValueError, match="finite number >= 0"):
        Capacity(budget=math.inf, request_col="h")
    with pytest.raises(ValueError, match=re.escape(ERR_CAPACITY_REQUEST)):
        Capacity(budget=1.0)
    with pytest.raises(ValueError, match="only used with a budget"):
        Capacity(count=1, request_col="h")


def test_strategies_follow_scikit_learn_conventions() -> None:
    rule = TieredLotteryStrategy(weights={"a": 2.0})
    assert rule.get_params() == {
        "weights": {"a": 2.0},
        "tiers": None,
        "rubric": None,
        "n_monte_carlo": 10_000,
    }
    assert rule.set_params(n_monte_carlo=500).n_monte_carlo == 500
    with pytest.raises(ValueError, match="unknown parameter"):
        rule.set_params(alpha=1)
    assert repr(RankStrategy()) == "RankStrategy(rubric=None, n_monte_carlo=10000)"
    # Invalid parameters are accepted by __init__ and rejected by allocate.
    bad = TieredLotteryStrategy(weights={"a": -1.0})
    with pytest.raises(ValueError, match="finite numbers >= 0"):
        bad.allocate(scores_table([1.0], ["a"]), capacity=1, seed="x")
    assert issubclass(PartialLotteryStrategy, Strategy)


def test_table_contract_and_json(snsf_p1: pd.DataFrame) -> None:
    alloc = PartialLotteryStrategy().allocate(snsf_p1, capacity=5, seed="snsf-p1")
    cols = list(alloc.table.columns)
    assert cols[: len(ALLOCATION_COLUMNS)] == list(ALLOCATION_COLUMNS)
    assert cols[len(ALLOCATION_COLUMNS) : len(ALLOCATION_COLUMNS) + 2] == [
        "selection_probability_se",
        "skipped_budget",
    ]
    data = json.loads(json.dumps(alloc.to_dict()))
    assert data["tiers"]["funded"] == ["#1"]
    assert data["certificate"]["places"] == 4
    assert len(data["allocations"]) == 15


# ---------------------------------------------------------------- properties
# Bands A (>= 5), B (>= 3), C on a 1-6 scale: the rubric names every band, so weights may
# name one that no submission of a small panel is in.
ABC_RUBRIC = replace(
    Rubric.single_criterion(minimum=1, maximum=6),
    bands=(Band("A", 5.0, "top"), Band("B", 3.0, "middle"), Band("C", 1.0, "rest")),
)
RULES = {
    "rank": RankStrategy(n_monte_carlo=300),
    "lottery": LotteryStrategy(quality_bar=3.0, n_monte_carlo=300),
    "tiered": TieredLotteryStrategy(
        weights={"A": 3, "B": 2, "C": 1}, rubric=ABC_RUBRIC, n_monte_carlo=300
    ),
    "partial": PartialLotteryStrategy(n_monte_carlo=300),
}


@st.composite
def panels(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = draw(st.integers(1, 25))
    # Scores from a small set so that ties are common.
    score = draw(st.lists(st.integers(1, 6), min_size=n, max_size=n))
    frame = scores_table([float(s) for s in score], None)
    frame["band"] = np.select([frame["calibrated_score"] >= 5, frame["calibrated_score"] >= 3],
                              ["A", "B"], "C")  # fmt: skip
    er = frame["expected_rank"].to_numpy()
    spread = np.asarray(draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)), dtype=float)
    frame["rank_lo50"] = np.maximum(er - spread, 1.0)
    frame["rank_hi50"] = np.minimum(er + spread, n)
    requests = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    eligible = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    subs = pd.DataFrame(
        {"submission_id": frame["submission_id"], "hours": requests, "eligible": eligible}
    )
    return frame, subs


@given(panel=panels(), rule=st.sampled_from(sorted(RULES)), data=st.data())
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_properties(
    panel: tuple[pd.DataFrame, pd.DataFrame], rule: str, data: st.DataObject
) -> None:
    scores, subs = panel
    budget = data.draw(st.booleans())
    cap = (
        Capacity(budget=float(data.draw(st.integers(0, 20))), request_col="hours")
        if budget
        else Capacity(count=data.draw(st.integers(0, 30)))
    )
    strategy = RULES[rule]
    alloc = strategy.allocate(scores, subs, capacity=cap, seed="prop")
    t = alloc.table.set_index("submission_id")
    selected = t[t["selected"]]
    # Never more than the capacity or budget allows; never an ineligible one.
    if budget:
        assert selected["request"].sum() <= float(cap.budget or 0) + 1e-9
    else:
        assert len(selected) <= int(cap.count or 0)
        # Exact probabilities: they sum to the number selected (always the same number).
        assert t["selection_probability"].sum() == pytest.approx(len(selected), abs=1e-8)
    assert set(selected.index) <= set(subs.loc[subs["eligible"], "submission_id"])
    assert (t.loc[t["tier"] == "ineligible", "selection_probability"] == 0).all()
    # Probabilities are probabilities, and sure outcomes agree with them.
    p = t["selection_probability"]
    assert ((p >= 0) & (p <= 1)).all()
    if not budget:  # (a Monte Carlo estimate of a rare event may be 0)
        assert not (t["selected"] & (p == 0)).any()
    # Shuffling the rows of both tables changes nothing.
    perm = data.draw(st.permutations(range(len(scores))))
    again = strategy.allocate(
        scores.iloc[list(perm)], subs.iloc[list(perm[::-1])], capacity=cap, seed="prop"
    )
    pd.testing.assert_frame_equal(alloc.table, again.table)
    assert (alloc.certificate is None) == (again.certificate is None)
    if alloc.certificate is not None and again.certificate is not None:
        assert alloc.certificate.to_dict() == again.certificate.to_dict()
        assert verify_certificate(alloc.certificate.to_dict()).ok


class _ByMeanScore(Strategy):
    """A subclass built the way the ``ml`` strategy is: rank by its own score."""

    name = "by-mean"

    def __init__(self, *, column: str = "mean_score") -> None:
        self.column = column

    def allocate(self, scores, submissions=None, *, capacity, seed):  # type: ignore[no-untyped-def]
        cap = self._capacity(capacity)
        prepared = self._prepare(scores, submissions, cap)
        own = prepared.frame[self.column].to_numpy(dtype=float)
        return self._allocate_by_score(prepared, own, capacity=cap, seed=seed)


def test_subclasses_rank_by_their_own_score() -> None:
    scores = scores_table([3.0, 2.0, 1.0]).assign(mean_score=[1.0, 5.0, 5.0])
    alloc = _ByMeanScore().allocate(scores, capacity=1, seed="sub")
    assert alloc.strategy == "by-mean"
    assert tier_ids(alloc, "lottery") == {"s01", "s02"}
    assert alloc.params == {"column": "mean_score"}


def test_summary_names_each_tier(snsf_p1: pd.DataFrame) -> None:
    alloc = PartialLotteryStrategy().allocate(snsf_p1, capacity=5, seed="snsf-p1")
    lines = alloc.summary().splitlines()
    assert lines[0] == "partial-lottery, capacity 5: 5 selected"
    assert lines[1] == "funded (1): #1"
    assert lines[2].startswith("lottery (5, 4 drawn: ")
    assert lines[3].startswith("rejected (9): #8, #7, #9")
