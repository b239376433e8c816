"""The simulation's batched kernels against the library's strategies and scorer.

The kernels (``fairpanel.simulate._kernels``) re-implement, for thousands of cycles at
once, what :mod:`fairpanel.strategies` and :func:`fairpanel.scoring.score` do for one
committee. Here each rule is fed the same calibrated scores both ways, at the edges
where a re-implementation goes wrong: ties in the scores, an empty or one-entry lottery
zone, fewer entrants than places. Deterministic outcomes must select exactly the same
set; for a lottery, the kernel's selection frequency over many independent keys must
match the strategy's exact ``selection_probability`` within Monte Carlo error.

The kernels know only a count of places: they have no budget capacity (the strategies'
budget fill is not simulated), so there is nothing to compare there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairpanel.rubric import Rubric
from fairpanel.simulate._kernels import Panel, allocate_batch, score_panel, select_best
from fairpanel.simulate._scenario import LotteryTier, Scenario
from fairpanel.strategies import (
    Allocation,
    LotteryStrategy,
    PartialLotteryStrategy,
    RankStrategy,
    TieredLotteryStrategy,
)

#: Independent keys (replicates) for the lottery frequencies. With R replicates a
#: frequency p has Monte Carlo SE sqrt(p(1 − p)/R) ≤ 0.0025: the tolerance of 4.5 SE
#: fails a correct kernel once in ~150,000 comparisons, while a rule off by one place
#: among ten entrants (0.1) fails every time.
REPS = 40_000


def _ids(n: int) -> list[str]:
    return [f"S{i:03d}" for i in range(n)]


def _library(strategy: object, mu: np.ndarray, k: int, **columns: np.ndarray) -> pd.DataFrame:
    """Run a library strategy on one score table; its allocation table in the given order."""
    scores = pd.DataFrame({"submission_id": _ids(mu.size), "calibrated_score": mu, **columns})
    alloc: Allocation = strategy.allocate(scores, capacity=k, seed="kernels")  # type: ignore[attr-defined]
    return alloc.table.set_index("submission_id").loc[_ids(mu.size)]


def _kernel(strategy: str, scenario: Scenario, mu: np.ndarray, k: int, **panel: object):  # type: ignore[no-untyped-def]
    """The kernel's selections of REPS replicates of the same scores, independent keys."""
    keys = np.random.default_rng(20261203).random((REPS, mu.size))
    score = np.broadcast_to(mu, (REPS, mu.size))
    ranks = panel.get("ranks")
    if ranks is not None:
        ranks = {name: np.broadcast_to(v, (REPS, mu.size)) for name, v in ranks.items()}
    chunk = Panel(score=score, se=np.full((REPS, mu.size), 0.1), ranks=ranks)
    return allocate_batch(strategy, scenario, chunk, keys, k)


def _assert_matches(selected: np.ndarray, table: pd.DataFrame) -> None:
    """Kernel frequencies equal the library's exact probabilities (within MC error)."""
    p = table["selection_probability"].to_numpy(dtype=float)
    freq = selected.mean(axis=0)
    se = np.sqrt(p * (1 - p) / selected.shape[0])
    deterministic = (p == 0) | (p == 1)
    # Where the strategy is certain, the kernel must be too, in every replicate.
    np.testing.assert_array_equal(freq[deterministic], p[deterministic])
    assert np.all(np.abs(freq - p)[~deterministic] <= 4.5 * se[~deterministic])
    assert (selected.sum(axis=1) == round(p.sum())).all()


# ---------------------------------------------------------------------------- rank
def test_rank_selects_the_library_set_without_ties():
    rng = np.random.default_rng(1)
    sc = Scenario(submissions=60)
    for _ in range(20):
        mu = rng.normal(3, 0.7, 60)
        k = int(rng.integers(1, 60))
        table = _library(RankStrategy(), mu, k)
        keys = rng.random((1, 60))
        got = allocate_batch("rank", sc, Panel(mu[None, :], np.ones((1, 60))), keys, k)[0]
        np.testing.assert_array_equal(got, table["selected"].to_numpy())


def test_rank_draws_a_tie_at_the_line_like_the_library():
    # Two clear winners, then five submissions tied at 3.0 for the remaining two places:
    # each tied one has probability 2/5 (RankStrategy: places / tied, exact).
    mu = np.array([4.5, 4.0, 3.0, 3.0, 3.0, 3.0, 3.0, 2.0, 1.0])
    table = _library(RankStrategy(), mu, 4)
    np.testing.assert_allclose(table["selection_probability"], [1, 1] + [0.4] * 5 + [0, 0])
    _assert_matches(_kernel("rank", Scenario(submissions=9), mu, 4), table)


def test_rank_ties_are_drawn_whatever_the_magnitude_of_the_scores():
    # Every score equal and large: the library draws uniformly (1/10 each). Before the
    # kernel ordered ties exactly, it added 1e-9 × key to the score, below the spacing of
    # floats near 1e8, so argpartition silently chose by position — by group, since the
    # simulated groups are contiguous blocks.
    mu = np.full(10, 1e8)
    table = _library(RankStrategy(), mu, 1)
    _assert_matches(_kernel("rank", Scenario(submissions=10), mu, 1), table)


def test_rank_orders_scores_closer_than_any_tie_break():
    # 3 + 1e-10 is better than 3, and the library funds it with certainty; the old
    # kernel's 1e-9 tie-break made the two a near coin toss (0.875 / 0.125).
    mu = np.array([3.0, 3.0 + 1e-10, 1.0])
    table = _library(RankStrategy(), mu, 1)
    assert table["selected"].tolist() == [False, True, False]
    _assert_matches(_kernel("rank", Scenario(submissions=3), mu, 1), table)


def test_select_best_is_exactly_lexicographic():
    priority = np.array([[2.0, 1.0, 1.0, 1.0, 0.0]])
    keys = np.array([[0.1, 0.3, 0.9, 0.5, 0.99]])
    assert select_best(priority, keys, 3).tolist() == [[True, False, True, True, False]]
    assert select_best(priority, keys, 0).sum() == 0
    assert select_best(priority, keys, 5).all()


# ------------------------------------------------------------------------- lottery
def test_uniform_lottery_matches_the_library():
    mu = np.random.default_rng(2).normal(3, 1, 12)
    table = _library(LotteryStrategy(), mu, 5)
    np.testing.assert_allclose(table["selection_probability"], 5 / 12)
    _assert_matches(_kernel("lottery", Scenario(submissions=12), mu, 5), table)


def test_lottery_bar_admits_scores_tied_at_the_bar():
    # "At or above the bar": the three scores of exactly 3.5 enter, as do the two above.
    mu = np.array([4.0, 3.9, 3.5, 3.5, 3.5, 3.4999, 2.0, 1.0])
    table = _library(LotteryStrategy(quality_bar=3.5), mu, 2)
    np.testing.assert_allclose(table["selection_probability"], [0.4] * 5 + [0.0] * 3)
    sc = Scenario(submissions=8, quality_bar=3.5)
    _assert_matches(_kernel("lottery", sc, mu, 2), table)


def test_lottery_with_an_empty_zone_selects_nobody():
    mu = np.array([2.0, 3.0, 3.4])
    table = _library(LotteryStrategy(quality_bar=3.5), mu, 2)
    assert not table["selected"].any()
    assert (table["tier"] == "rejected").all()
    sc = Scenario(submissions=3, quality_bar=3.5)
    _assert_matches(_kernel("lottery", sc, mu, 2), table)


def test_lottery_with_fewer_entrants_than_places_funds_them_all():
    mu = np.array([4.0, 3.6, 3.0, 2.0, 1.0])
    table = _library(LotteryStrategy(quality_bar=3.5), mu, 3)
    assert table["selected"].tolist() == [True, True, False, False, False]
    sc = Scenario(submissions=5, quality_bar=3.5)
    _assert_matches(_kernel("lottery", sc, mu, 3), table)


# ---------------------------------------------------------------- tiered lottery
def _tier_rubric() -> Rubric:
    """The scenario's default tiers (3.5 → weight 3, 3.0 → weight 1) as rubric bands."""
    return Rubric.from_dict(
        {
            "name": "tiers",
            "scale": {"min": 1, "max": 5},
            "criteria": [{"id": "q", "levels": {i: f"level {i}" for i in range(1, 6)}}],
            "bands": [
                {"name": "top", "threshold": 3.5},
                {"name": "middle", "threshold": 3.0},
                {"name": "rest", "threshold": 1},
            ],
        }
    )


def _tiered() -> TieredLotteryStrategy:
    return TieredLotteryStrategy(weights={"top": 3.0, "middle": 1.0}, rubric=_tier_rubric())


def test_tiered_lottery_matches_the_exact_inclusion_probabilities():
    # Scores exactly at a tier's minimum belong to it (>=), in both implementations.
    mu = np.array([4.2, 3.5, 3.5, 3.2, 3.0, 3.0, 3.0, 2.9, 2.0])
    table = _library(_tiered(), mu, 3)
    assert table["tier"].tolist() == ["lottery"] * 7 + ["rejected"] * 2
    sc = Scenario(submissions=9, tiers=(LotteryTier(3.5, 3.0), LotteryTier(3.0, 1.0)))
    _assert_matches(_kernel("tiered-lottery", sc, mu, 3), table)


@pytest.mark.parametrize(("mu", "k"), [([2.9, 2.0, 1.0], 2), ([4.0, 3.0, 2.0, 1.0], 3)])
def test_tiered_lottery_with_too_few_entrants(mu, k):
    # Nobody in a tier (an empty lottery), or fewer entrants than places: deterministic.
    mu = np.array(mu)
    table = _library(_tiered(), mu, k)
    assert set(table["selection_probability"]) <= {0.0, 1.0}
    _assert_matches(_kernel("tiered-lottery", Scenario(submissions=mu.size), mu, k), table)


# --------------------------------------------------------------- partial lottery
def _ranks(er, lo, hi) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    er, lo, hi = (np.asarray(v, dtype=float) for v in (er, lo, hi))
    return {"expected_rank": er, "lo50": lo, "hi50": hi, "lo90": lo, "hi90": hi}


def _partial(mu: np.ndarray, ranks: dict[str, np.ndarray], k: int):  # type: ignore[no-untyped-def]
    columns = {
        "expected_rank": ranks["expected_rank"],
        "rank_lo50": ranks["lo50"],
        "rank_hi50": ranks["hi50"],
    }
    table = _library(PartialLotteryStrategy(interval=0.5), mu, k, **columns)
    sc = Scenario(submissions=mu.size, partial_lottery_interval=0.5)
    return table, _kernel("partial-lottery", sc, mu, k, ranks=ranks)


def test_partial_lottery_tiers_and_draw_match_the_strategy():
    # Rank intervals from joint posterior draws of θ ~ N(μ, s²), as the scorer makes them.
    rng = np.random.default_rng(4)
    n, k = 40, 8
    mu = np.sort(rng.normal(0, 1, n))[::-1]
    theta = rng.normal(mu, 0.35, size=(4000, n))
    ranks_draws = (-theta).argsort(axis=1).argsort(axis=1) + 1
    lo, hi = np.quantile(ranks_draws, [0.25, 0.75], axis=0)
    table, selected = _partial(mu, _ranks(ranks_draws.mean(axis=0), lo, hi), k)
    tiers = set(table["tier"])
    assert tiers == {"funded", "lottery", "rejected"}
    _assert_matches(selected, table)


def test_partial_lottery_with_a_one_entry_lottery_is_deterministic():
    # Every interval excludes the line except the k-th's own: a lottery of one for one
    # place (the engine then records it as funded: its block fits). The strategy funds
    # it with probability 1, and so must the kernel.
    er = [1.0, 2.0, 3.0, 4.0, 5.0]
    table, selected = _partial(np.array([5.0, 4.0, 3.0, 2.0, 1.0]),
                               _ranks(er, [1, 1, 3, 4, 4], [1, 1.5, 3, 5, 5]), 3)  # fmt: skip
    assert table["selection_probability"].tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]
    _assert_matches(selected, table)


def test_partial_lottery_funds_by_expected_rank_when_more_are_sure_than_places():
    # Skewed rank distributions: submission 2's whole interval lies above the line (its
    # hi 1.9 < line 2) although its expected rank 3 does not, so three are "funded" for
    # two places. The strategy takes the funded in expected-rank order (ranks 1 and 3);
    # the kernel used to order them by calibrated score instead (here 4.0 of submission
    # 3 over 3.0 of submission 2), funding the wrong one.
    mu = np.array([5.0, 2.0, 3.0, 4.0, 1.0])
    table, selected = _partial(mu, _ranks([1, 2, 3, 3.5, 5], [1, 1, 1, 1, 4],
                                          [1.5, 1.5, 1.9, 1.95, 5]), 2)  # fmt: skip
    assert table["selected"].tolist() == [True, False, True, False, False]
    _assert_matches(selected, table)


# ------------------------------------------------------------------------- scorer
def test_kernel_scorer_orders_a_complete_panel_as_the_library_scorer():
    # Every reviewer scores every submission: leniency shifts all submissions alike, so
    # both scorers shrink the raw means linearly toward the grand mean (the library by
    # REML, the kernel by moments) and must agree on the order — exactly, ties included
    # (submissions 0 and 1 have the same reviews, 2 and 3 the same mean).
    from fairpanel.scoring import score

    rng = np.random.default_rng(9)
    n, m = 30, 4
    y = np.clip(np.round(3 + rng.normal(0, 0.8, (n, 1)) + rng.normal(0, 0.8, (n, m))), 1, 5)
    y[1] = y[0]
    y[3] = y[2][::-1]
    flat = np.broadcast_to(np.arange(m), (1, n, m)).copy()
    kernel = score_panel(y[None], flat, m).score[0]
    reviews = pd.DataFrame({
        "submission_id": np.repeat(_ids(n), m),
        "reviewer_id": np.tile([f"R{j}" for j in range(m)], n),
        "score": y.ravel(),
    })  # fmt: skip
    table = score(reviews, scale=(1, 5), method="eb", seed=1, draws=50).table
    library = table.set_index("submission_id").loc[_ids(n), "calibrated_score"].to_numpy()
    raw = y.mean(axis=1)
    # Both are increasing affine maps of the raw mean: the same order and the same ties.
    for scores in (kernel, library):
        slope, intercept = np.polyfit(raw, scores, 1)
        assert slope > 0
        np.testing.assert_allclose(scores, intercept + slope * raw, rtol=0, atol=1e-9)
    for k in (5, 10, 15):
        keys = rng.random((1, n))
        got = allocate_batch("rank", Scenario(submissions=n), Panel(kernel[None], kernel[None]),
                             keys, k)[0]  # fmt: skip
        ref = _library(RankStrategy(), library, k)
        sure = ref["selection_probability"].isin([0.0, 1.0]).to_numpy()
        np.testing.assert_array_equal(got[sure], ref["selected"].to_numpy()[sure])
