"""Ranked reviews: the rank-ordered probit against ALMA's mean normalised rank and Plackett–Luce."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fairpanel import FairpanelInputError
from fairpanel.scoring import ScoreResult, _ranks, _score, score
from fairpanel.scoring._ranked import ERR_RANK


def ranked_cycle(n: int, *, k: int = 10, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Each of n reviewers ranks k other submissions by merit (SD 1) plus noise (SD 1)."""
    rng = np.random.default_rng(seed)
    merit = rng.normal(0.0, 1.0, n)
    offsets = np.argsort(rng.random((n, n - 1)), axis=1)[:, :k] + 1
    sub = (np.arange(n)[:, None] + offsets) % n
    utility = merit[sub] + rng.normal(0.0, 1.0, sub.shape)
    ranks = np.argsort(np.argsort(-utility, axis=1), axis=1) + 1
    reviews = pd.DataFrame(
        {
            "submission_id": [f"P{i:04d}" for i in sub.ravel()],
            "reviewer_id": np.repeat([f"R{j:04d}" for j in range(n)], k),
            "score": ranks.ravel(),
        }
    )
    return reviews, merit


def _aligned(result: ScoreResult, merit: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    table = result.table.set_index("submission_id")
    ids = [f"P{i:04d}" for i in range(len(merit))]
    return table.loc[ids], merit


@pytest.fixture(scope="module", params=[(160, 5), (320, 6)], ids=["160", "320"])
def fitted(request) -> tuple[pd.DataFrame, np.ndarray]:  # type: ignore[no-untyped-def]
    n, seed = request.param
    reviews, merit = ranked_cycle(n, seed=seed)
    # Short chains keep the test fast: data augmentation mixes slowly on informative
    # rankings, so a default run may extend its chains; here near-convergence is enough.
    result = score(
        reviews, review_type="ranks", seed=seed, draws=600, warmup=300, max_extensions=0
    )
    assert result.diagnostics.max_rhat < 1.05
    return _aligned(result, merit)


def test_rank_model_beats_the_mean_normalised_rank(fitted) -> None:  # type: ignore[no-untyped-def]
    # The model knows how strong the rest of each reviewer's set was; the mean of
    # normalised ranks (ALMA's procedure, the table's mean_score) does not.
    table, merit = fitted
    ours = stats.spearmanr(table["calibrated_score"], merit).statistic
    alma = stats.spearmanr(table["mean_score"], merit).statistic
    assert ours > alma


def test_rank_intervals_cover_the_true_rank(fitted) -> None:  # type: ignore[no-untyped-def]
    # Data generated from the model itself: the 90% intervals should hold the true rank
    # of about 90% of submissions (85–95%: a cycle's coverage varies by a few percent).
    table, merit = fitted
    true_rank = stats.rankdata(-merit)
    covered = (table["rank_lo90"] <= true_rank) & (true_rank <= table["rank_hi90"])
    assert 0.85 <= covered.mean() <= 0.95


def test_rank_model_agrees_with_plackett_luce(fitted) -> None:  # type: ignore[no-untyped-def]
    # An independent fit of the same rankings: Plackett–Luce by choix's iterative
    # Luce spectral ranking (Maystre & Grossglauser 2015). The two models differ
    # (Gumbel vs normal noise), so their orders agree closely, not exactly.
    choix = pytest.importorskip("choix")
    table, merit = fitted
    n = len(merit)
    reviews, _ = ranked_cycle(n, seed=5 if n == 160 else 6)
    codes = reviews["submission_id"].str[1:].astype(int).to_numpy()
    order = reviews.assign(code=codes).sort_values(["reviewer_id", "score"])
    rankings = [g["code"].tolist() for _, g in order.groupby("reviewer_id")]
    strengths = choix.ilsr_rankings(n, rankings, alpha=0.01)
    agree = stats.spearmanr(table["calibrated_score"], strengths).statistic
    assert agree > 0.97


def test_ranks_are_checked_and_need_the_full_posterior() -> None:
    reviews, _ = ranked_cycle(12, k=4)
    bad = reviews.copy()
    bad.loc[0, "score"] = 5
    with pytest.raises(FairpanelInputError) as info:
        score(bad, review_type="ranks")
    assert info.value.message == ERR_RANK.format(rank=5, reviewer="R0000", size=4)
    with pytest.raises(ValueError, match="ranked reviews") as options:
        score(reviews, review_type="ranks", method="eb")
    assert str(options.value) == _score.ERR_RANKS_OPTIONS


@pytest.mark.parametrize("n", [1, 2, 7, 1700])
def test_rank_draws_match_scipy_ordinal_ranks(n: int) -> None:
    # scipy.stats.rankdata(method="ordinal") ranks ties in order of appearance, the rule
    # rank_draws documents (a stable sort); on -values, rank 1 is the highest value.
    rng = np.random.default_rng(n)
    values = rng.standard_normal((3, 40, n))
    values[0, :, : n // 2] = np.round(values[0, :, : n // 2], 1)  # many exact ties
    values[1, 0, :3] = [-0.0, 0.0, np.inf][: min(3, n)]  # signed zeros tie; inf ranks first
    expected = stats.rankdata(-values, method="ordinal", axis=-1)
    np.testing.assert_array_equal(_ranks.rank_draws(values), expected)


def test_rank_draws_of_very_many_submissions_take_the_stable_sort(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Beyond 2**_PACKED_BITS columns the column number no longer fits beside the value.
    monkeypatch.setattr(_ranks, "_PACKED_BITS", 2)
    values = np.random.default_rng(5).integers(0, 4, (50, 9)).astype(float)
    expected = stats.rankdata(-values, method="ordinal", axis=-1)
    np.testing.assert_array_equal(_ranks.rank_draws(values), expected)
