"""Strategies on a lower-is-better scale, band names in weights and bars, short summaries."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from fairpanel._errors import FairpanelInputError
from fairpanel.rubric import Band, Rubric
from fairpanel.strategies import (
    LotteryStrategy,
    PartialLotteryStrategy,
    RankStrategy,
    TieredLotteryStrategy,
)
from fairpanel.strategies._bands import ERR_UNKNOWN_BAND, ERR_UNKNOWN_WEIGHT_BAND
from fairpanel.strategies._direction import ERR_DIRECTION_CONFLICT

# An AIBS-like panel: ratings 1-40 where 1 is best (the AIBS grid of
# /work/shared/data/panel_ratings_aibs.csv), scores kept on that scale as `fairpanel score`
# writes them, with the direction recorded in `higher_is_better`. Expected ranks follow
# the scores (1 = best = lowest score).
AIBS_SCORES = [3.2, 25.0, 7.5, 12.0, 1.8, 30.0, 9.9, 18.0]


def aibs_table(direction: object = False) -> pd.DataFrame:
    ids = [f"A{i}" for i in range(len(AIBS_SCORES))]
    frame = pd.DataFrame({"submission_id": ids, "calibrated_score": AIBS_SCORES})
    frame["expected_rank"] = frame["calibrated_score"].rank(ascending=True)
    if direction is not None:
        frame["higher_is_better"] = direction
    return frame


def lowest(k: int) -> set[str]:
    order = np.argsort(AIBS_SCORES)[:k]
    return {f"A{i}" for i in order}


def selected(alloc: object) -> set[str]:
    return set(alloc.selected_ids)  # type: ignore[attr-defined]


# A lower-is-better rubric: "fund" holds totals <= 10, "reject" the rest of 1-40.
AIBS_RUBRIC = replace(
    Rubric.single_criterion(minimum=1, maximum=40, higher_is_better=False),
    bands=(Band("fund", 10.0, "fund"), Band("reject", 40.0, "do not fund")),
)


# The score table's column, as booleans or as read back from CSV text.
@pytest.mark.parametrize("direction", [False, "False", "false"])
def test_rank_funds_the_lowest_scores_on_a_lower_is_better_scale(direction: object) -> None:
    alloc = RankStrategy().allocate(aibs_table(direction), capacity=3, seed="aibs")
    assert selected(alloc) == lowest(3)
    # The table lists the best first even without expected ranks.
    no_er = aibs_table(direction).drop(columns="expected_rank")
    table = RankStrategy().allocate(no_er, capacity=3, seed="aibs").table
    assert table["calibrated_score"].tolist() == sorted(AIBS_SCORES)


def test_rank_and_partial_lottery_agree_on_what_best_means() -> None:
    # With certain ranks (zero-width intervals) both rules fund the same submissions.
    table = aibs_table()
    table["rank_lo50"] = table["rank_hi50"] = table["expected_rank"]
    rank = RankStrategy().allocate(table, capacity=3, seed="s")
    partial = PartialLotteryStrategy().allocate(table, capacity=3, seed="s")
    assert selected(rank) == selected(partial) == lowest(3)


def test_rubric_gives_the_direction_when_the_table_has_none() -> None:
    alloc = RankStrategy(rubric=AIBS_RUBRIC).allocate(
        aibs_table(direction=None), capacity=2, seed="s"
    )
    assert selected(alloc) == lowest(2)
    # Without either, higher is better (the documented default).
    alloc = RankStrategy().allocate(aibs_table(direction=None), capacity=2, seed="s")
    assert selected(alloc) == {"A5", "A1"}


def test_table_and_rubric_that_disagree_are_refused() -> None:
    with pytest.raises(FairpanelInputError) as info:
        RankStrategy(rubric=AIBS_RUBRIC).allocate(aibs_table(True), capacity=2, seed="s")
    assert info.value.message == ERR_DIRECTION_CONFLICT.format(
        table=True, rubric=AIBS_RUBRIC.name, expected=False
    )
    with pytest.raises(FairpanelInputError, match="higher_is_better"):
        RankStrategy().allocate(aibs_table("maybe"), capacity=2, seed="s")


def test_numeric_quality_bar_admits_the_better_side() -> None:
    # Bar 8 on a 1 = best scale: 1.8, 3.2 and 7.5 enter; 9.9 ... 30 do not.
    alloc = LotteryStrategy(quality_bar=8).allocate(aibs_table(), capacity=2, seed="s")
    assert set(alloc.ids_in_tier("lottery")) == lowest(3)
    # The bar itself is "at or above the bar".
    alloc = LotteryStrategy(quality_bar=7.5).allocate(aibs_table(), capacity=1, seed="s")
    assert set(alloc.ids_in_tier("lottery")) == lowest(3)


def test_band_bars_and_weights_follow_the_scale() -> None:
    bands = AIBS_RUBRIC.band_of(AIBS_SCORES).tolist()
    assert bands == ["fund", "reject", "fund", "reject", "fund", "reject", "fund", "reject"]
    alloc = LotteryStrategy(quality_bar="fund", rubric=AIBS_RUBRIC).allocate(
        aibs_table(), capacity=2, seed="s"
    )
    assert set(alloc.ids_in_tier("lottery")) == lowest(4)
    # A band column without a rubric: the best band is the one holding the lowest score.
    table = aibs_table().assign(band=bands)
    alloc = LotteryStrategy(quality_bar="fund").allocate(table, capacity=2, seed="s")
    assert set(alloc.ids_in_tier("lottery")) == lowest(4)
    tiered = TieredLotteryStrategy(weights={"fund": 1}, rubric=AIBS_RUBRIC).allocate(
        aibs_table(), capacity=2, seed="s"
    )
    assert set(tiered.ids_in_tier("lottery")) == lowest(4)


# ---------------------------------------------------------------- band names
RUBRIC_BANDS = ["Excellent", "Very good", "Good", "Not competitive"]
GRANT_RUBRIC = replace(
    Rubric.single_criterion(minimum=1, maximum=6),
    bands=(
        Band("Excellent", 4.5, "a"),
        Band("Very good", 3.75, "b"),
        Band("Good", 3.0, "c"),
        Band("Not competitive", 1.0, "d"),
    ),
)
GRANT_SCORES = pd.DataFrame(
    {"submission_id": [f"G{i}" for i in range(6)], "calibrated_score": [5, 4, 3.5, 3.2, 2, 1.0]}
)


def test_a_misspelt_weight_band_is_refused() -> None:
    rule = TieredLotteryStrategy(weights={"excellent": 3, "very good": 2, "god": 1})
    with pytest.raises(FairpanelInputError) as info:
        rule.set_params(rubric=GRANT_RUBRIC).allocate(GRANT_SCORES, capacity=2, seed="s")
    assert info.value.message == ERR_UNKNOWN_WEIGHT_BAND.format(
        band="god", bands=", ".join(map(repr, RUBRIC_BANDS))
    )
    assert info.value.field == "weights"
    # Without a rubric the known bands are those of the table's band column.
    table = GRANT_SCORES.assign(band=GRANT_RUBRIC.band_of(GRANT_SCORES["calibrated_score"]))
    with pytest.raises(FairpanelInputError, match="'god'"):
        rule.set_params(rubric=None).allocate(table, capacity=2, seed="s")


def test_band_names_match_ignoring_case_in_weights_and_bars() -> None:
    # The same rule for both: case and repeated spaces do not matter.
    lower = TieredLotteryStrategy(
        weights={"excellent": 3, "very  good": 2, "GOOD": 1}, rubric=GRANT_RUBRIC
    ).allocate(GRANT_SCORES, capacity=2, seed="s")
    exact = TieredLotteryStrategy(
        weights={"Excellent": 3, "Very good": 2, "Good": 1}, rubric=GRANT_RUBRIC
    ).allocate(GRANT_SCORES, capacity=2, seed="s")
    pd.testing.assert_frame_equal(lower.table, exact.table)
    assert set(lower.ids_in_tier("lottery")) == {"G0", "G1", "G2", "G3"}
    # The default weights (lower case) reach a rubric's capitalised bands.
    default = TieredLotteryStrategy(rubric=GRANT_RUBRIC).allocate(
        GRANT_SCORES, capacity=2, seed="s"
    )
    pd.testing.assert_frame_equal(default.table.drop(columns="strategy"),
                                  exact.table.drop(columns="strategy"))  # fmt: skip
    bar = LotteryStrategy(quality_bar="very GOOD", rubric=GRANT_RUBRIC).allocate(
        GRANT_SCORES, capacity=1, seed="s"
    )
    assert set(bar.ids_in_tier("lottery")) == {"G0", "G1"}
    with pytest.raises(FairpanelInputError) as info:
        LotteryStrategy(quality_bar="gold", rubric=GRANT_RUBRIC).allocate(
            GRANT_SCORES, capacity=1, seed="s"
        )
    assert info.value.message == ERR_UNKNOWN_BAND.format(
        band="gold", bands=", ".join(map(repr, RUBRIC_BANDS))
    )


# ---------------------------------------------------------------- summaries
def test_summary_lists_ids_only_for_small_tiers() -> None:
    scores = pd.DataFrame(
        {"submission_id": [f"s{i:02d}" for i in range(30)], "calibrated_score": range(30)}
    )
    alloc = RankStrategy().allocate(scores, capacity=3, seed="s")
    short = alloc.summary(max_ids=20).splitlines()
    assert short == ["rank, capacity 3: 3 selected", "funded (3): s29, s28, s27", "rejected (27)"]
    full = alloc.summary().splitlines()
    assert full[:2] == short[:2]
    assert full[2].startswith("rejected (27): ")
    assert "s00" in full[2]
