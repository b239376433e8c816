"""Issue 4's worked case: the SNSF partial lottery on ERforResearch's mock panel p1.

Heyard et al. (2022) fund proposals whose rank interval lies wholly above the funding
line, reject those wholly below, and draw the remaining places among those whose
interval crosses it. With 5 places on p1 (15 proposals, 5 assessors), the clear top is
funded, the uncertain middle drawn and the clear bottom rejected; the report names who
is in each tier. Scores come from the Bayesian model with a fixed seed, so the tiers are
deterministic; the assertions are on the rule's logic, not on Monte Carlo noise.
"""

from __future__ import annotations

import pytest

from fairpanel.report import ReportInputs, build_report
from fairpanel.scoring import score
from fairpanel.strategies import PartialLotteryStrategy

PLACES = 5


@pytest.fixture(scope="module")
def p1_scores(p1_reviews):
    return score(p1_reviews(), scale=(1, 6), seed=2024, draws=2500).table


@pytest.mark.parametrize("interval", [0.5, 0.9])
def test_partial_lottery_tiers_follow_the_rank_intervals(p1_scores, interval):
    alloc = PartialLotteryStrategy(interval=interval).allocate(
        p1_scores, capacity=PLACES, seed="snsf-p1"
    )
    decided = alloc.table[["submission_id", "tier", "selected", "selection_probability"]]
    table = decided.merge(p1_scores, on="submission_id")
    lo, hi = f"rank_lo{round(interval * 100)}", f"rank_hi{round(interval * 100)}"
    line = table.sort_values("expected_rank")["expected_rank"].iloc[PLACES - 1]
    funded = table[table["tier"] == "funded"]
    lottery = table[table["tier"] == "lottery"]
    rejected = table[table["tier"] == "rejected"]
    # Funded: the whole interval above the line; rejected: the whole interval below it.
    assert (funded[hi] < line).all()
    assert (rejected[lo] > line).all()
    assert ((lottery[lo] <= line) & (lottery[hi] >= line)).all()
    # Exactly the capacity is selected; lottery entrants share the remaining places.
    assert int(table["selected"].sum()) == PLACES
    remaining = PLACES - len(funded)
    assert lottery["selection_probability"].to_numpy() == pytest.approx(remaining / len(lottery))
    assert table["selection_probability"].sum() == pytest.approx(PLACES)
    # The clear best and the clear worst are never left to chance.
    assert "#15" in set(rejected["submission_id"])
    assert "#1" not in set(rejected["submission_id"])


def test_p1_with_50_percent_intervals_funds_the_top_and_draws_the_middle(p1_scores):
    alloc = PartialLotteryStrategy(interval=0.5).allocate(p1_scores, capacity=PLACES, seed="x")
    assert alloc.ids_in_tier("funded") == ["#1"]
    assert set(alloc.ids_in_tier("lottery")) == {f"#{i}" for i in range(2, 9)}
    assert set(alloc.ids_in_tier("rejected")) == {f"#{i}" for i in range(9, 16)}
    summary = alloc.summary()
    for tier in ("funded (1): #1", "lottery (7", "rejected (7)"):
        assert tier in summary


def test_the_report_names_who_is_in_each_tier(p1_scores):
    alloc = PartialLotteryStrategy(interval=0.5).allocate(p1_scores, capacity=PLACES, seed="x")
    model = build_report(ReportInputs(scores=p1_scores, allocations=[alloc.table]))
    section = next(s for s in model.sections if s.id == "strategies")
    detail = section.tables[1]
    shown = {row[0]: row[-1] for row in detail.rows}
    assert shown["#1"] == "1 ✓"
    assert all(shown[f"#{i}"].startswith("0.571") for i in range(2, 9))
    assert not any(f"#{i}" in shown for i in range(9, 16))
    text = " ".join(model.summary)
    assert "partial lottery funds 1 outright and draws 4 among 7" in text
