"""Rank summaries from posterior draws: expected rank, credible intervals, SUCRA.

Ranks are computed per draw (1 = best), all draws at once with a double ``argsort`` over
the draws matrix. The intervals are equal-tailed quantiles of each submission's rank
draws, with the same interpolation (R's type 7, NumPy's default "linear") as bayesplot's
``mcmc_intervals_data``, which ERforResearch uses for its 50% and 90% intervals.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel.scoring._diagnostics import ess_mean

__all__ = ["rank_draws", "rank_summary"]

FloatArray = npt.NDArray[np.float64]


def rank_draws(values: FloatArray) -> npt.NDArray[np.intp]:
    """Rank of every submission in every draw: ``values`` (..., n) → ranks, 1 = highest."""
    order = np.argsort(-values, axis=-1, kind="stable")
    ranks: npt.NDArray[np.intp] = np.empty(order.shape, dtype=np.intp)
    # Inverting the permutation by scattering is one argsort cheaper than argsort twice.
    positions = np.broadcast_to(np.arange(1, values.shape[-1] + 1), order.shape)
    np.put_along_axis(ranks, order, positions, axis=-1)
    return ranks


def rank_summary(chains: FloatArray) -> pd.DataFrame:
    """Summarise ranks from draws of shape (chains, draws, n) (higher value = better).

    Returns one row per submission (in column order of the draws) with
    ``expected_rank, rank_lo50, rank_hi50, rank_lo90, rank_hi90, sucra`` and
    ``expected_rank_mcse``, the Monte Carlo standard error of the expected rank
    (posterior SD of the rank over the square root of its ESS for the mean, as ArviZ's
    ``mcse(method="mean")``). Nothing here is n × n: one sort per draw, then per-column
    means, quantiles and FFTs, so the cost is O(draws · n log n).
    """
    n = chains.shape[-1]
    ranks = rank_draws(chains).astype(float)
    flat = ranks.reshape(-1, n)
    expected = flat.mean(axis=0)
    q = np.quantile(flat, [0.25, 0.75, 0.05, 0.95], axis=0)
    # One "chain" holds independent draws (empirical Bayes): its ESS is its length.
    ess = ess_mean(ranks) if chains.shape[0] > 1 else np.full(n, float(flat.shape[0]))
    sd = flat.std(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mcse = np.where(sd > 0, sd / np.sqrt(ess), 0.0)
    return pd.DataFrame(
        {
            "expected_rank": expected,
            "rank_lo50": q[0],
            "rank_hi50": q[1],
            "rank_lo90": q[2],
            "rank_hi90": q[3],
            # SUCRA, the surface under the cumulative ranking curve, is (n - ER) / (n - 1).
            "sucra": (n - expected) / (n - 1),
            "expected_rank_mcse": mcse,
        }
    )
