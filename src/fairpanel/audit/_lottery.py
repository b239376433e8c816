"""Lotteries: expected selection rates, and how often a fair draw looks unfair.

With selection probabilities ``π_i`` the expected number selected in a group is exactly
``Σ π_i`` over its applicants, so the expected rate is the mean probability. The realized
rate of one draw scatters around it; how often it falls below four-fifths of the highest
group's rate by chance alone is a property of the *fixed-size* draw, not of independent
coin flips. When every tier of equal probability draws a whole number of places, the
per-group counts are a convolution of multivariate hypergeometric distributions and we
list them exactly (when there are not too many outcomes); otherwise we simulate the draw.

The simulated draw is systematic sampling in a random order (Madow 1949; Tillé 2006,
*Sampling Algorithms*, §7.2): sort applicants by tier (equal probability) and a uniform
random key within a tier, lay their probabilities end to end on [0, Σπ), and select the
applicants whose segment holds one of the points ``u, u + 1, u + 2, …`` for one uniform
``u``. Each applicant is selected with probability exactly ``π_i``, exactly ``Σπ``
applicants are selected when ``Σπ`` is whole, and within a tier whose probabilities
sum to a whole number the selected form a uniformly random subset of fixed size: the
uniform and tiered lotteries' own draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd
from scipy import stats

from fairpanel.audit._tables import below_four_fifths

__all__ = [
    "LOTTERY_COLUMNS",
    "LOTTERY_SUMMARY_COLUMNS",
    "lottery_tables",
    "simulate_draws",
]


LOTTERY_COLUMNS: Final[tuple[str, ...]] = (
    "attribute",
    "group",
    "applicants",
    "expected_selected",
    "expected_rate",
    "realized_selected",
    "realized_rate",
    "p_air_below_four_fifths",
    "suppressed",
)
LOTTERY_SUMMARY_COLUMNS: Final[tuple[str, ...]] = (
    "attribute",
    "expected_min_air",
    "realized_min_air",
    "p_any_air_below_four_fifths",
    "mc_se",
    "method",
    "replicates",
    "min_air_of_expected_rates",
    "expected_min_air_of_draws",
)
#: Deprecated alias kept in the JSON (a public contract): it always held the minimum
#: adverse-impact ratio *of the expected rates*, now ``min_air_of_expected_rates``.
DEPRECATED_ALIASES: Final[dict[str, str]] = {"expected_min_air": "min_air_of_expected_rates"}
#: Largest number of (outcome × tier outcome) pairs for which the exact answer is listed.
_MAX_STATES: Final[int] = 200_000
#: Keep each block of simulated draws under this many applicant-draws (memory, not speed).
_BLOCK: Final[int] = 4_000_000


def simulate_draws(
    p: np.ndarray, codes: np.ndarray, n_groups: int, replicates: int, rng: np.random.Generator
) -> np.ndarray:
    """Count the selected per group in each simulated draw: ``(replicates, n_groups)``."""
    # Only the applicants whose fate is uncertain are drawn; the sure ones are added.
    sure = np.bincount(codes[p >= 1], minlength=n_groups)
    zone = (p > 0) & (p < 1)
    p, codes = p[zone], codes[zone]
    n = p.size
    # Tiers: applicants with equal probability are drawn among themselves.
    tier = np.unique(p, return_inverse=True)[1].astype(np.float64)
    out = np.broadcast_to(sure, (replicates, n_groups)).copy()
    if n == 0:
        return out
    block = max(1, _BLOCK // max(n, 1))
    for start in range(0, replicates, block):  # blocks of replicates, each fully vectorized
        b = min(block, replicates - start)
        order = np.argsort(tier + rng.random((b, n)), axis=1)
        ps = p[order]
        end = np.cumsum(ps, axis=1)
        u = rng.random((b, 1))
        hits = np.floor(end - u) - np.floor(end - ps - u)
        chosen = hits > 0.5
        flat = (np.arange(b)[:, None] * n_groups + codes[order])[chosen]
        out[start : start + b] += np.bincount(flat, minlength=b * n_groups).reshape(b, n_groups)
    return out


def exact_counts(
    p: np.ndarray, codes: np.ndarray, n_groups: int, *, max_states: int = _MAX_STATES
) -> tuple[np.ndarray, np.ndarray] | None:
    """Exact distribution of the selected count per group, when it is small enough.

    Each tier (applicants of equal probability ``π`` whose ``π · size`` is whole) is a
    uniform draw of a fixed number of places, so its per-group counts are multivariate
    hypergeometric; tiers are independent, so the total is their convolution, plus the
    applicants selected for sure. Returns ``(counts, probabilities)`` with one row of
    ``counts`` per possible outcome, or ``None`` when a tier's size is not whole or the
    outcomes are too many to list (then we simulate).
    """
    sure = np.bincount(codes[p >= 1], minlength=n_groups)
    zone = (p > 0) & (p < 1)
    values, tier = np.unique(p[zone], return_inverse=True)
    dist: dict[tuple[int, ...], float] = {tuple(int(x) for x in sure): 1.0}
    for t, value in enumerate(values):
        z = np.bincount(codes[zone][tier == t], minlength=n_groups)
        draws = value * z.sum()
        if abs(draws - round(draws)) > 1e-9:
            return None
        d = round(draws)
        caps = np.minimum(z, d)
        if float(np.prod(caps + 1.0)) * len(dist) > max_states:
            return None
        grid = np.indices(tuple(caps + 1)).reshape(n_groups, -1).T
        grid = grid[grid.sum(axis=1) == d]
        pmf = stats.multivariate_hypergeom.pmf(grid, m=z, n=d)
        new: dict[tuple[int, ...], float] = {}
        for state, prob in dist.items():
            for x, q in zip(map(tuple, grid + np.asarray(state)), pmf, strict=True):
                new[x] = new.get(x, 0.0) + prob * float(q)
        dist = new
        if len(dist) > max_states:
            return None
    return np.array(list(dist), dtype=np.int64).reshape(-1, n_groups), np.array(
        list(dist.values())
    )


def _any_below(
    k: np.ndarray, n: np.ndarray, eligible: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per replicate: which eligible groups' rate is below 4/5 of the highest eligible.

    Decided in integers (:func:`~fairpanel.audit._tables.below_four_fifths`), so a
    ratio of exactly 0.8 is not counted (29 CFR 1607.4(D) flags rates *less than* 4/5).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(eligible & (n > 0), k / n, -1.0)
    top = np.argmax(rate, axis=-1)
    k_top = np.take_along_axis(k, top[..., None], axis=-1)
    n_top = n[top][:, None]
    below = below_four_fifths(k, n, k_top, n_top) & eligible & (n > 0) & (k_top > 0)
    return below, below.any(axis=-1)


def _min_ratio_per_draw(k: np.ndarray, n: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Per draw (row of ``k``): the smallest eligible rate over the largest; nan if none."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(eligible & (n > 0), k / n, np.nan)
    if not (eligible & (n > 0)).any():
        return np.full(k.shape[0], np.nan)
    top = np.nanmax(rate, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(top > 0, np.nanmin(rate, axis=-1) / top, np.nan)


def _mean_defined(values: np.ndarray, weight: np.ndarray) -> float:
    """Weighted mean over the draws where the ratio is defined (someone was selected)."""
    ok = np.isfinite(values)
    total = float(weight[ok].sum())
    return float(weight[ok] @ values[ok]) / total if total > 0 else float("nan")


def _min_ratio(rate: np.ndarray, eligible: np.ndarray) -> float:
    r = rate[eligible]
    return float(r.min() / r.max()) if r.size and r.max() > 0 else float("nan")


def lottery_tables(
    frame: pd.DataFrame,
    probability: np.ndarray,
    selected: np.ndarray,
    attributes: Sequence[str],
    *,
    replicates: int,
    rng: np.random.Generator,
    min_cell: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tabulate expected vs realized rates, and P(adverse-impact ratio < 0.8 by chance).

    The summary's ``min_air_of_expected_rates`` is the smallest expected rate over the
    largest (deprecated alias ``expected_min_air``); ``expected_min_air_of_draws`` is the
    expectation over draws of the smallest adverse-impact ratio, exact or simulated like
    ``p_any_air_below_four_fifths`` (over draws where anyone is selected). Both
    chances are of the *whole* selection (applicants selected for sure included), not
    of the drawn part alone.

    Groups with fewer than ``min_cell`` applicants take no part in the chance of an
    adverse-impact ratio below 0.8 (``nan`` for them): a group of one applicant is below
    four-fifths in almost every draw, which says nothing about the lottery.
    """
    per_group, summary = [], []
    # When a simulation is needed, one set of draws over the cells of all attributes
    # serves every attribute: each attribute's counts are sums of cell counts.
    cell, _ = pd.factorize(pd.MultiIndex.from_frame(frame[list(attributes)].astype(str)))
    n_cells = int(cell.max()) + 1
    cell_draws: np.ndarray | None = None
    for attr in attributes:
        codes, groups = pd.factorize(frame[attr], sort=True)
        g = len(groups)
        n = np.bincount(codes, minlength=g)
        expected = np.bincount(codes, weights=probability, minlength=g)
        realized = np.bincount(codes, weights=selected, minlength=g).astype(np.int64)
        eligible = n >= max(min_cell, 1)
        exact = exact_counts(probability, codes, g, max_states=_MAX_STATES)
        if exact is not None:
            outcomes, weight = exact
            below, any_below = _any_below(outcomes, n, eligible)
            p_group = weight @ below
            p_any = float(weight @ any_below)
            mean_min = _mean_defined(_min_ratio_per_draw(outcomes, n, eligible), weight)
            mc_se, method, reps = 0.0, "exact", 0
        else:
            if cell_draws is None:
                cell_draws = simulate_draws(probability, cell, n_cells, replicates, rng)
            onehot = np.zeros((n_cells, g), dtype=np.int64)
            onehot[cell, codes] = 1
            draws = cell_draws @ onehot
            below, any_below = _any_below(draws, n, eligible)
            p_group = below.mean(axis=0)
            p_any = float(any_below.mean())
            per_draw = _min_ratio_per_draw(draws, n, eligible)
            mean_min = _mean_defined(per_draw, np.ones(per_draw.size))
            mc_se = float(np.sqrt(p_any * (1 - p_any) / replicates))
            method, reps = "monte_carlo", replicates
        exp_rate = expected / n
        real_rate = realized / n
        per_group.append(
            pd.DataFrame(
                {
                    "attribute": attr,
                    "group": np.asarray(groups, dtype=str),
                    "applicants": n,
                    "expected_selected": expected,
                    "expected_rate": exp_rate,
                    "realized_selected": realized,
                    "realized_rate": real_rate,
                    "p_air_below_four_fifths": np.where(eligible, p_group, np.nan),
                    "suppressed": False,
                },
                columns=list(LOTTERY_COLUMNS),
            )
        )
        min_expected = _min_ratio(exp_rate, eligible)
        summary.append(
            [
                attr,
                min_expected,  # the deprecated ``expected_min_air``
                _min_ratio(real_rate, eligible),
                p_any,
                mc_se,
                method,
                reps,
                min_expected,
                mean_min,
            ]
        )
    return pd.concat(per_group, ignore_index=True), pd.DataFrame(
        summary, columns=list(LOTTERY_SUMMARY_COLUMNS)
    )
