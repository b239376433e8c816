"""report._ranking_section and viz._ranking: the chart's funding line is the rule's, at any size."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from fairpanel.report._ranking_section import ranking_section, rule_line
from fairpanel.strategies import PartialLotteryStrategy, RankStrategy
from fairpanel.viz._ranking import DETAIL_ROWS, OVERVIEW_BINS


def _scores(n: int, *, spread: float, seed: int = 3) -> pd.DataFrame:
    """A score table shaped as `fairpanel score` writes it, intervals `spread` ranks wide.

    The calibrated score and the expected rank give the same order, as in a complete
    design, so a ranking's funded submissions are the best expected ranks.
    """
    rng = np.random.default_rng(seed)
    calibrated = np.sort(rng.normal(size=n))[::-1]
    rank = np.arange(1, n + 1, dtype=float) + rng.uniform(-0.3, 0.3, size=n)
    return pd.DataFrame(
        {
            "submission_id": [f"S{i:04d}" for i in range(n)],
            "n_reviews": 3,
            "mean_score": calibrated,
            "calibrated_score": calibrated,
            "score_se": 0.3,
            "expected_rank": rank,
            "rank_lo50": np.maximum(1, np.floor(rank - spread / 2)),
            "rank_hi50": np.minimum(n, np.ceil(rank + spread / 2)),
            "rank_lo90": np.maximum(1, np.floor(rank - spread)),
            "rank_hi90": np.minimum(n, np.ceil(rank + spread)),
        }
    )


def _datasets(spec: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return list(spec.get("datasets", {}).values())


def _drawn_line(spec: dict[str, Any]) -> float:
    """The x of the dashed rule in the rendered spec (the funding line as drawn)."""
    lines = [rec["funding_line"] for d in _datasets(spec) for rec in d if "funding_line" in rec]
    assert len(set(lines)) == 1, lines
    return float(lines[0])


def _drawn_rows(spec: dict[str, Any]) -> pd.DataFrame:
    rows = [pd.DataFrame(d) for d in _datasets(spec) if d and "rank_hi90" in d[0]]
    assert len(rows) == 1
    return rows[0]


@pytest.mark.parametrize("interval", [0.5, 0.9])
def test_partial_lottery_funded_intervals_lie_above_the_drawn_line(interval):
    # The bug of issue 11: the line was drawn at capacity + 0.5 while the rule used the
    # expected rank of the k-th, so funded intervals crossed the line on the chart.
    scores = _scores(60, spread=12)
    alloc = PartialLotteryStrategy(interval=interval).allocate(scores, capacity=15, seed="t")
    table = alloc.table
    chart = ranking_section(scores, [table]).charts[0]
    line = _drawn_line(chart.spec)
    assert line == pytest.approx(float(table["funding_line"].iloc[0]))
    assert line != 15.5  # not capacity + 0.5
    drawn = _drawn_rows(chart.spec).set_index("submission_id")
    pct = round(100 * interval)
    funded = table.loc[table["tier"] == "funded", "submission_id"]
    assert len(funded) > 0
    assert (drawn.loc[funded, f"rank_hi{pct}"] < line).all()
    # the zone drawn red is the zone the lottery drew in
    entrants = set(table.loc[table["tier"] == "lottery", "submission_id"])
    assert set(drawn.index[drawn["zone"] == "lottery"]) == entrants
    assert "expected rank of the 15th place" in chart.description


def test_rank_line_lies_between_the_last_funded_and_the_first_unfunded():
    scores = _scores(40, spread=6)
    table = RankStrategy().allocate(scores, capacity=10, seed="t").table
    chart = ranking_section(scores, [table]).charts[0]
    line = _drawn_line(chart.spec)
    drawn = _drawn_rows(chart.spec).set_index("submission_id")
    chosen = table.set_index("submission_id")["selected"].astype(bool)
    funded, unfunded = chosen.index[chosen], chosen.index[~chosen]
    assert (drawn.loc[funded, "expected_rank"] < line).all()
    assert (drawn.loc[unfunded, "expected_rank"] > line).all()
    assert rule_line(table, scores).meaning.startswith("The dashed line is the ranking's")


def test_a_lottery_among_all_draws_no_line_and_says_so():
    scores = _scores(30, spread=6)
    table = (
        RankStrategy()
        .allocate(scores, capacity=10, seed="t")
        .table.assign(strategy="lottery", tier="lottery")
    )
    line = rule_line(table, scores)
    assert line.value is None
    assert "draws no line" in line.meaning
    section = ranking_section(scores, [table])
    assert not any("funding_line" in r for d in _datasets(section.charts[0].spec) for r in d)


def test_a_large_panel_draws_a_bounded_number_of_marks():
    n = 6000
    scores = _scores(n, spread=0.04 * n)
    table = PartialLotteryStrategy().allocate(scores, capacity=600, seed="t").table
    section = ranking_section(scores, [table])
    chart = section.charts[0]
    sizes = sorted(len(d) for d in _datasets(chart.spec))
    # the rows around the line, the overview's bars (two zones per block), line, zone
    assert max(sizes) == DETAIL_ROWS
    assert sum(sizes) <= DETAIL_ROWS + 2 * OVERVIEW_BINS + 3
    assert len(chart.fallback.rows) == DETAIL_ROWS
    drawn = _drawn_rows(chart.spec)
    line = _drawn_line(chart.spec)
    assert drawn["expected_rank"].min() < line < drawn["expected_rank"].max()
    assert any("nearest the funding line" in p for p in section.paragraphs)


def test_a_large_panel_without_a_line_says_it_draws_the_best_ranked():
    # No allocation, no line: the window is the best-ranked rows, and the text says so
    # instead of speaking of a funding line the chart does not have.
    scores = _scores(600, spread=24.0)
    section = ranking_section(scores, [])
    chart = section.charts[0]
    assert len(chart.fallback.rows) == DETAIL_ROWS
    assert any("the 200 ranked best one by one" in p for p in section.paragraphs)
    assert not any("funding line" in p for p in section.paragraphs)
    assert "ranked best" in chart.description
    assert "nearest the line" not in chart.description
