"""Per-replicate outcome metrics of one strategy on a chunk of simulated cycles."""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel._schema import FOUR_FIFTHS

__all__ = [
    "METRICS",
    "individual_table",
    "merit_bin_index",
    "merit_bins",
    "replicate_metrics",
    "tidy_table",
]

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

#: Scalar metrics per replicate and strategy, in table order.
METRICS: Final[tuple[str, ...]] = (
    "merit_recovered",
    "oracle_overlap",
    "consistency",
    "disagreement",
    "adverse_impact_ratio",
    "below_four_fifths",
    "n_selected",
)


def replicate_metrics(
    merit: F64,
    oracle: B,
    sel_a: B,
    sel_b: B,
    group_bounds: list[tuple[int, int]],
) -> tuple[F64, F64]:
    """Scalar metrics (c, len(METRICS)) and group selection rates (c, groups) for a chunk.

    - merit recovered: ``(mean merit selected − mean merit) / (mean merit of the oracle
      top k − mean merit)``: 1 for the oracle, 0 for a uniform draw; invariant to the
      location and scale of merit.
    - oracle overlap: share of the oracle top k that panel A selects.
    - consistency: share of panel A's selections that an independent panel B also selects.
    - disagreement: share of all submissions on which A and B decide differently (the
      NeurIPS 2014 experiment's headline; Cortes & Lawrence 2021).
    - adverse-impact ratio: lowest group selection rate over the highest (EEOC four-fifths
      rule); ``below_four_fifths`` is 1 when it is below :data:`FOUR_FIFTHS` (its mean: how often a
      cycle would be flagged).
    """
    n_sel = sel_a.sum(axis=1).astype(float)
    k = oracle.sum(axis=1)
    mean_all = merit.mean(axis=1)
    mean_oracle = np.where(oracle, merit, 0.0).sum(axis=1) / k
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_sel = np.where(sel_a, merit, 0.0).sum(axis=1) / n_sel
        recovered = (mean_sel - mean_all) / (mean_oracle - mean_all)
        overlap = (sel_a & oracle).sum(axis=1) / k
        consistency = (sel_a & sel_b).sum(axis=1) / n_sel
    disagreement = (sel_a ^ sel_b).mean(axis=1)
    rates = np.stack([sel_a[:, lo:hi].sum(axis=1) / (hi - lo) for lo, hi in group_bounds], axis=1)
    top = rates.max(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        air = np.where(top > 0, rates.min(axis=1) / top, np.nan)
    flagged = np.where(np.isnan(air), np.nan, (air < FOUR_FIFTHS).astype(float))
    scalars = np.stack(
        [recovered, overlap, consistency, disagreement, air, flagged, n_sel], axis=1
    )
    return scalars, rates


def merit_bin_index(merit: F64, edges: F64) -> npt.NDArray[np.intp]:
    """Merit bin of every submission of the chunk (flattened), bins ``[edges[b], edges[b+1])``."""
    idx = np.searchsorted(edges, merit.ravel(), side="right") - 1
    return np.clip(idx, 0, len(edges) - 2)


def merit_bins(
    idx: npt.NDArray[np.intp], selected: B, n_bins: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Submissions and selections per merit bin, summed over the chunk's replicates."""
    total = np.bincount(idx, minlength=n_bins)
    chosen = np.bincount(idx[selected.ravel()], minlength=n_bins)
    return total.astype(np.int64), chosen.astype(np.int64)


def tidy_table(
    scalars: npt.NDArray[np.float64],
    rates: npt.NDArray[np.float64],
    strategies: tuple[str, ...],
    groups: tuple[str, ...],
) -> pd.DataFrame:
    r, s, m = scalars.shape
    g = rates.shape[2]
    rep = np.arange(r)
    parts = [
        pd.DataFrame(
            {
                "replicate": np.repeat(rep, s * m),
                "strategy": np.tile(np.repeat(np.array(strategies, dtype=object), m), r),
                "metric": np.tile(np.array(METRICS, dtype=object), r * s),
                "group": pd.array([None] * (r * s * m), dtype="string"),
                "value": scalars.ravel(),
            }
        ),
        pd.DataFrame(
            {
                "replicate": np.repeat(rep, s * g),
                "strategy": np.tile(np.repeat(np.array(strategies, dtype=object), g), r),
                "metric": "selection_rate",
                "group": pd.array(np.tile(np.array(groups, dtype=object), r * s), dtype="string"),
                "value": rates.ravel(),
            }
        ),
    ]
    out = pd.concat(parts, ignore_index=True)
    order = out["strategy"].map({name: i for i, name in enumerate(strategies)})
    out = out.iloc[np.lexsort((order.to_numpy(), out["replicate"].to_numpy()))]
    out = out.reset_index(drop=True)
    out["strategy"] = out["strategy"].astype("string")
    out["metric"] = out["metric"].astype("string")
    return out


def individual_table(
    total: npt.NDArray[np.int64],
    chosen: npt.NDArray[np.int64],
    strategies: tuple[str, ...],
    edges: npt.NDArray[np.float64],
) -> pd.DataFrame:
    s, b = total.shape
    p = chosen / np.maximum(total, 1)
    return pd.DataFrame(
        {
            "strategy": pd.array(np.repeat(np.array(strategies, dtype=object), b), dtype="string"),
            "merit_decile": np.tile(np.arange(1, b + 1), s),
            "merit_lo": np.tile(edges[:-1], s),
            "merit_hi": np.tile(edges[1:], s),
            "submissions": total.ravel(),
            "selected": chosen.ravel(),
            "selection_probability": p.ravel(),
            # Binomial SE; submissions in one cycle are slightly dependent (fixed k), so
            # this is a close, slightly conservative approximation.
            "mc_se": np.sqrt(p * (1 - p) / np.maximum(total, 1)).ravel(),
        }
    )
