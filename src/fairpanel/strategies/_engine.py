"""The shared allocation engine: priority blocks, capacity, draws and probabilities.

Every strategy describes its rule as *priority blocks*: each eligible entrant gets a
block number (lower = considered earlier) and a weight; entrants outside every block
(``block < 0``) are rejected. Within a block the order is decided by the verifiable draw.

- **Count capacity** (k places): blocks wholly inside the first k places are funded,
  blocks wholly after them rejected; the one block that straddles the line becomes the
  lottery, drawing ``k - (places already taken)`` of its members. Selection probabilities
  are exact: 1, 0, ``places / n`` (equal weights) or the exact successive-sampling
  inclusion probability (unequal weights, :func:`fairpanel.lottery.inclusion_probabilities`).
- **Budget capacity**: submissions are taken in block order, each block in draw order,
  skipping any whose request no longer fits the remaining budget (``skipped_budget``).
  Which submissions fit depends on the whole order, so the probabilities are estimated by
  vectorized Monte Carlo over the draw (rows = replicates; no Python loop over draws) and
  reported with their standard error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel._schema import ALLOCATION_COLUMNS
from fairpanel._seed import Seed, as_rng, seed_text
from fairpanel.lottery import draw, inclusion_probabilities
from fairpanel.strategies._allocation import ALLOCATION_EXTRA_COLUMNS, Allocation, Capacity
from fairpanel.strategies._prepare import Prepared

__all__ = [
    "JSON_PARAMS",
    "MONTE_CARLO_PREFIX",
    "allocate_blocks",
    "blocks_from_score",
    "certificate_context",
    "monte_carlo_rng",
]

#: Budgets are compared with this relative slack so that 0.1 + 0.2 hours fit in 0.3.
_BUDGET_RTOL = 1e-9
#: Cells (replicates x entrants) per Monte Carlo batch.
_MC_CELLS = 2_000_000


def blocks_from_score(score: npt.ArrayLike, eligible: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """One block per distinct score, best (highest) first; ineligible get -1."""
    s = np.asarray(score, dtype=float)
    ok = np.asarray(eligible, dtype=bool)
    blocks = np.full(s.shape, -1, dtype=np.int64)
    if ok.any():
        _, inverse = np.unique(-s[ok], return_inverse=True)
        blocks[ok] = inverse.reshape(-1)
    return blocks


#: Prefix of the Monte Carlo seed text, so the estimate's stream is not the draw's seed.
MONTE_CARLO_PREFIX: Final = "monte-carlo\x1f"


def monte_carlo_rng(seed: Seed) -> np.random.Generator:
    r"""Return the numpy generator for probability estimates, derived from the seed.

    The estimate is a property of the random mechanism, not of the realized draw, so it
    may use numpy. Its seed is the text ``"monte-carlo\x1f"`` + the draw's seed text
    (:func:`fairpanel._seed.seed_text`) read by :func:`fairpanel._seed.as_rng` (SHA-256,
    first 16 bytes): one seed, published once, fixes both the draw and the estimate.

    Parameters
    ----------
    seed : int or str
        The allocation's seed.

    Returns
    -------
    numpy.random.Generator
    """
    return as_rng(MONTE_CARLO_PREFIX + seed_text(seed))


#: The strategy parameters a certificate records (the ones that fix the zone).
JSON_PARAMS: Final = ("quality_bar", "interval", "weights", "tiers")


def certificate_context(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the parameters to record in a certificate's ``context``.

    Parameters
    ----------
    params : mapping or None
        The strategy's ``get_params()``.

    Examples
    --------
    >>> certificate_context({"quality_bar": 4.5, "rubric": None, "n_monte_carlo": 100})
    {'params': {'quality_bar': 4.5}}
    """
    kept = {k: v for k, v in (params or {}).items() if k in JSON_PARAMS and v is not None}
    return {"params": {k: dict(v) if isinstance(v, Mapping) else v for k, v in kept.items()}}


def _fill_budget(
    requests: npt.NDArray[np.float64], budget: float
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Greedy fill in the given order (last axis): who is taken, who is skipped."""
    req = np.atleast_2d(requests)
    remaining = np.full(req.shape[0], float(budget))
    taken = np.zeros(req.shape, dtype=bool)
    slack = _BUDGET_RTOL * max(float(budget), 1.0)
    # A loop over positions, vectorized over replicates: the fill is sequential by nature.
    for j in range(req.shape[1]):
        fits = req[:, j] <= remaining + slack
        taken[:, j] = fits
        remaining -= np.where(fits, req[:, j], 0.0)
    skipped = ~taken
    return taken.reshape(requests.shape), skipped.reshape(requests.shape)


def allocate_blocks(
    prepared: Prepared,
    blocks: npt.ArrayLike,
    weights: npt.ArrayLike | None,
    *,
    capacity: Capacity,
    seed: Seed,
    strategy: str,
    params: Mapping[str, Any] | None = None,
    n_monte_carlo: int = 10_000,
    extra: Mapping[str, npt.ArrayLike] | None = None,
) -> Allocation:
    """Turn priority blocks into an :class:`Allocation` (see the module docstring)."""
    frame = prepared.frame
    n = len(frame)
    # Whether or not a draw follows: an allocation is published with its seed.
    text = seed_text(seed)
    ids = frame["submission_id"].to_numpy(dtype=object).astype(str)
    blk = np.asarray(blocks, dtype=np.int64).reshape(-1)
    eligible = frame["eligible"].to_numpy(dtype=bool)
    blk = np.where(eligible, blk, -1)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float).reshape(-1)
    entrant = blk >= 0

    selected = np.zeros(n, dtype=bool)
    prob = np.zeros(n)
    prob_se = np.zeros(n)
    skipped = np.zeros(n, dtype=bool)
    tier = np.where(eligible, "rejected", "ineligible").astype(object)
    draw_pos = np.full(n, -1, dtype=np.int64)
    rank_pos = np.full(n, -1, dtype=np.int64)
    certificate = None
    # The parameters too: with the score table they fix the zone (`verify-draw --scores`).
    context = {"strategy": strategy, "capacity": capacity.to_dict(), **certificate_context(params)}

    # Blocks in order; members of a block sorted by id (replaced by draw order when drawn).
    ent_idx = np.flatnonzero(entrant)
    ent_idx = ent_idx[np.lexsort((ids[ent_idx], blk[ent_idx]))]
    _, starts, sizes = np.unique(blk[ent_idx], return_index=True, return_counts=True)

    # Position of each entrant (in block order) and the start/end of its block.
    block_start = np.repeat(starts, sizes)
    block_end = block_start + np.repeat(sizes, sizes)
    within = np.arange(ent_idx.size) - block_start  # id order inside the block
    if not capacity.is_budget:
        k = int(capacity.count or 0)
        fits = block_end <= k
        straddles = (block_start < k) & (block_end > k)
        members_in = ent_idx[fits]
        tier[members_in] = "funded"
        selected[members_in] = True
        prob[members_in] = 1.0
        if straddles.any():
            # At most one block straddles the line: it draws the places left.
            members = ent_idx[straddles]
            places = k - int(block_start[straddles][0])
            tier[members] = "lottery"
            res = draw(
                ids[members].tolist(), w[members], places=places, seed=text, context=context
            )
            certificate = res.certificate
            pos = {sid: i for i, sid in enumerate(res.order)}
            position = np.array([pos[s] for s in ids[members]])
            draw_pos[members] = position + 1
            selected[members] = position < places
            prob[members] = inclusion_probabilities(w[members], places)
            within[straddles] = position
        order_arr = ent_idx[np.lexsort((within, blk[ent_idx]))]
        rank_pos[order_arr] = np.arange(1, order_arr.size + 1)
    else:
        budget = float(capacity.budget or 0.0)
        req = frame["request"].to_numpy(dtype=float)
        multi = np.zeros(n, dtype=bool)
        multi[ent_idx[(block_end - block_start) > 1]] = True
        drawn_idx = np.flatnonzero(multi)
        within_all = np.zeros(n)
        if drawn_idx.size:
            res = draw(
                ids[drawn_idx].tolist(),
                w[drawn_idx],
                places=int(drawn_idx.size),
                seed=text,
                context=context,
            )
            certificate = res.certificate
            pos = {sid: i for i, sid in enumerate(res.order)}
            position = np.array([pos[s] for s in ids[drawn_idx]])
            draw_pos[drawn_idx] = position + 1
            within_all[drawn_idx] = position
            tier[drawn_idx] = "lottery"
        order_arr = ent_idx[np.lexsort((within_all[ent_idx], blk[ent_idx]))]
        taken, skip = _fill_budget(req[order_arr], budget)
        selected[order_arr] = taken
        skipped[order_arr] = skip
        rank_pos[order_arr] = np.arange(1, order_arr.size + 1)
        fixed = entrant & ~multi
        tier[fixed & selected] = "funded"
        if not drawn_idx.size:
            prob[order_arr] = taken.astype(float)
        else:
            prob[ent_idx], prob_se[ent_idx] = _budget_probabilities(
                blk[ent_idx],
                multi[ent_idx],
                w[ent_idx],
                req[ent_idx],
                budget,
                rng=monte_carlo_rng(text),
                n_replicates=n_monte_carlo,
            )

    table = pd.DataFrame(
        {
            "submission_id": pd.array(ids, dtype="string"),
            "strategy": pd.array([strategy] * n, dtype="string"),
            "tier": pd.array(tier.astype(str), dtype="string"),
            "selected": selected,
            "selection_probability": prob,
            "draw_position": pd.array(np.where(draw_pos > 0, draw_pos, 0), dtype="Int64"),
            "selection_probability_se": prob_se,
            "skipped_budget": skipped,
            "rank_position": pd.array(np.where(rank_pos > 0, rank_pos, 0), dtype="Int64"),
            "request": frame["request"].to_numpy(dtype=float),
        }
    )
    table.loc[draw_pos <= 0, "draw_position"] = pd.NA
    table.loc[rank_pos <= 0, "rank_position"] = pd.NA
    table["weight"] = np.where(entrant & (tier == "lottery"), w, np.nan)
    for col in ("calibrated_score", "expected_rank", "band"):
        if col in frame.columns:
            table[col] = frame[col].to_numpy()
    for col, values in (extra or {}).items():
        table[col] = np.asarray(values)
    sort_cols = ["expected_rank"] if "expected_rank" in table.columns else []
    if sort_cols:
        table = table.sort_values(["expected_rank", "submission_id"], kind="stable")
    else:
        # Best first, whichever way the scale runs.
        table = table.assign(_s=-prepared.sign * table["calibrated_score"]).sort_values(
            ["_s", "submission_id"], kind="stable"
        )
        table = table.drop(columns="_s")
    table = table.reset_index(drop=True)
    first = list(ALLOCATION_COLUMNS + ALLOCATION_EXTRA_COLUMNS)
    table = table[first + [c for c in table.columns if c not in first]]
    return Allocation(
        table=table,
        strategy=strategy,
        seed=text,
        capacity=capacity,
        certificate=certificate,
        params=dict(params or {}),
    )


def _budget_probabilities(
    block: npt.NDArray[np.int64],
    drawn: npt.NDArray[np.bool_],
    weight: npt.NDArray[np.float64],
    request: npt.NDArray[np.float64],
    budget: float,
    *,
    rng: np.random.Generator,
    n_replicates: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Monte Carlo selection probabilities of a budgeted fill, with standard errors.

    Each replicate redraws the within-block order with exponential keys ``E/w`` (the
    same law as the hash keys), sorts all entrants by (block, key) at once, and fills
    the budget; the estimate is the share of replicates selecting each entrant.
    """
    m = block.size
    n_drawn = int(drawn.sum())
    hits = np.zeros(m)
    # Replicates in batches of at most ~2 million cells, so memory stays bounded
    # (10,000 replicates x 10,000 entrants would otherwise need several GB).
    batch = max(1, min(n_replicates, _MC_CELLS // max(m, 1)))
    done = 0
    while done < n_replicates:
        size = min(batch, n_replicates - done)
        keys = np.zeros((size, m))
        if n_drawn:
            keys[:, drawn] = rng.exponential(size=(size, n_drawn)) / weight[drawn]
        # Map keys monotonically into [0, 0.5) so that block + key orders by block first.
        composite = block.astype(float) + 0.5 * (-np.expm1(-keys))
        order = np.argsort(composite, axis=1, kind="stable")
        taken, _ = _fill_budget(request[order], budget)
        batch_hits = np.zeros((size, m), dtype=bool)
        np.put_along_axis(batch_hits, order, taken, axis=1)
        hits += batch_hits.sum(axis=0)
        done += size
    p = hits / n_replicates
    se = np.sqrt(p * (1.0 - p) / n_replicates)
    return p, se
