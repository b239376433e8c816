"""A distribution over panels, rounded to a published grid (multiples of ``1/grid``).

Largest remainders first (ties by canonical panel order), then single grid units move
from panel to panel while that raises the smallest chance. Rounding ~130 panel
probabilities can still cost the worst-off entrant a few grid units, since its panels'
rounding errors add up; so, when a pricing oracle is given (the column generation's
best-panel search), units then move from a panel whose members can spare them to a
*new* feasible panel that holds the entrants below one unit under the LP optimum,
until none is (or no such move exists): the published minimum is then within
``1/grid`` of the LP's. The published marginals are the rounded distribution's, exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from fairpanel.lottery._quota_problem import QuotaProblem

__all__ = ["DEFAULT_GRID", "PanelDistribution", "round_to_grid"]

#: Panel probabilities are published as multiples of 1/DEFAULT_GRID.
DEFAULT_GRID: Final = 10_000
#: At most this many moves to new panels (each is one pricing problem, ~10 ms).
_MAX_REPAIRS: Final = 100
#: Donor panels tried per move, most spare first.
_DONORS_TRIED: Final = 16
B = npt.NDArray[np.bool_]
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class PanelDistribution:
    """A lottery over feasible panels, with grid probabilities.

    Attributes
    ----------
    ids : tuple of str
        The entrants, sorted.
    panels : tuple of tuple of int
        Each panel's members (indices into ``ids``, ascending); panels in canonical order.
    counts : tuple of int
        Each panel's probability times ``grid`` (they sum to ``grid``).
    grid : int
    weights : array
        Each entrant's target weight.
    lp_minimum : float
        The optimum of the maximin LP, before rounding: ``min_i p_i / w_i``.
    unreachable : tuple of str
        Entrants on no feasible panel (chance 0, left out of the minimum).
    """

    ids: tuple[str, ...]
    panels: tuple[tuple[int, ...], ...]
    counts: tuple[int, ...]
    grid: int
    weights: F64
    lp_minimum: float
    unreachable: tuple[str, ...] = ()

    @property
    def marginal_counts(self) -> npt.NDArray[np.int64]:
        """Each entrant's chance times ``grid``: the sum of its panels' counts (exact)."""
        out = np.zeros(len(self.ids), dtype=np.int64)
        for members, count in zip(self.panels, self.counts, strict=True):
            out[list(members)] += count
        return out

    @property
    def marginals(self) -> F64:
        """Each entrant's chance of being drawn under the rounded distribution."""
        return self.marginal_counts / self.grid

    def exact_marginals(self) -> list[Fraction]:
        """Return the chances as fractions (``count / grid``), for hand checks."""
        return [Fraction(int(c), self.grid) for c in self.marginal_counts]

    @property
    def minimum(self) -> float:
        """The smallest chance of a reachable entrant (the rounded distribution's)."""
        reach = ~np.isin(np.asarray(self.ids), np.asarray(self.unreachable, dtype=str))
        p = self.marginals[reach]
        return float(p.min()) if p.size else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return plain data: grid, LP minimum and ``panels`` (member ids and count)."""
        return {
            "grid": self.grid,
            "lp_minimum": self.lp_minimum,
            "panels": [
                {"count": c, "members": [self.ids[i] for i in members]}
                for members, c in zip(self.panels, self.counts, strict=True)
            ],
        }


def _lift_minimum(
    counts: npt.NDArray[np.int64], x: npt.NDArray[np.bool_], weights: F64, reach: B
) -> npt.NDArray[np.int64]:
    """Move grid units between panels while that raises the smallest chance / weight.

    Rounding can cost an entrant up to one unit per panel it sits on. Each step moves one
    unit from a panel without the worst-off entrant to a panel with it, choosing the
    pair whose losers (members of the first panel only) stay highest, and only if they
    all stay above the worst-off entrant; ties go to the first pair in canonical order,
    so the result is deterministic.
    """
    counts = counts.copy()
    xi = x.astype(np.int64)
    for _ in range(int(counts.sum())):
        have = xi.T @ counts
        score = np.where(reach, have / weights, np.inf)
        worst = int(np.argmin(score))
        donors = np.flatnonzero((counts > 0) & ~x[:, worst])
        takers = np.flatnonzero(x[:, worst])
        if not donors.size or not takers.size:
            break
        # Moving a unit from donor P to taker Q costs only the members of P not in Q.
        loss = (have - 1) / weights
        lose = x[donors][:, None, :] & ~x[takers][None, :, :]
        after = np.where(lose, loss, np.inf).min(axis=2)  # donors x takers
        ok = after > score[worst]
        if not ok.any():
            break
        best = int(np.argmax(np.where(ok, after, -np.inf)))
        donor, taker = donors[best // takers.size], takers[best % takers.size]
        counts[donor] -= 1
        counts[taker] += 1
    return counts


def _repair(
    counts: npt.NDArray[np.int64],
    x: B,
    target: F64,
    reach: B,
    best: Callable[[F64], B],
) -> tuple[npt.NDArray[np.int64], B]:
    """Move units to new panels until every reachable entrant has ``target`` units.

    A move takes ``u`` units from a donor panel and gives them to a feasible panel
    ``Q`` from ``best`` (the largest total price): entrants short of their target are
    priced 1, and the donor's members who cannot spare a unit a price above all the
    others together, so ``Q`` keeps them if any feasible panel does. The move is made
    only when ``Q`` keeps every such member and holds at least one entrant short of
    target; nobody then falls below target and someone rises. Donors are tried most
    spare first (ties by canonical order). Deterministic: the pricing is solved exactly.
    """
    counts, x = counts.copy(), x.copy()
    n = x.shape[1]
    for _ in range(_MAX_REPAIRS):
        have = x.T.astype(np.int64) @ counts
        slack = np.where(reach, have - np.ceil(target - 1e-9), n).astype(np.int64)
        short = slack < 0
        if not short.any():
            break
        spare = np.where(x, slack[None, :], n).min(axis=1)  # a donor's least spare member
        donors = np.flatnonzero(counts > 0)
        donors = donors[np.argsort(-spare[donors], kind="stable")][:_DONORS_TRIED]
        moved = False
        for d in donors:
            keep = x[d] & (slack <= 0)  # members who cannot lose a unit
            price = short.astype(float)
            price[keep] = float(n + 1)
            panel = best(price)
            gain = panel & ~x[d] & short
            if (keep & ~panel).any() or not gain.any():
                continue
            losers = x[d] & ~panel
            room = slack[losers].min() if losers.any() else int(counts[d])
            units = int(min(counts[d], max(room, 1), (-slack[gain]).min()))
            match = np.flatnonzero((x == panel[None, :]).all(axis=1))
            if match.size:
                counts[match[0]] += units
            else:
                x = np.vstack([x, panel[None, :]])
                counts = np.append(counts, units)
            counts[d] -= units
            moved = True
            break
        if not moved:
            break
    return counts, x


def round_to_grid(
    problem: QuotaProblem,
    panels: list[B],
    probabilities: npt.ArrayLike,
    *,
    grid: int,
    weights: F64,
    lp_minimum: float,
    unreachable: tuple[str, ...] = (),
    best: Callable[[F64], B] | None = None,
) -> PanelDistribution:
    """Round panel probabilities to multiples of ``1/grid``.

    Largest remainders first (ties by canonical panel order), then single grid units
    move from panel to panel while that raises the smallest chance (per weight).

    Parameters
    ----------
    problem : QuotaProblem
        The zone (for its ids).
    panels : list of bool arrays
        The panels, as indicator vectors.
    probabilities : array
        Their probabilities (summing to 1 up to solver tolerance).
    grid : int
        The denominator.
    weights : array
        Each entrant's target weight (recorded).
    lp_minimum : float
        The LP's optimum (recorded).
    unreachable : tuple of str
        Entrants on no feasible panel (recorded).
    best : callable, optional
        The feasible panel with the largest total of a price vector (the column
        generation's pricing): with it, units move to new panels until every entrant's
        chance per weight is within ``1/grid`` of ``lp_minimum`` (where moves exist).
    """
    members = [tuple(int(i) for i in np.flatnonzero(p)) for p in panels]
    merged: dict[tuple[int, ...], float] = {}
    for key, value in zip(
        members, np.clip(np.asarray(probabilities, float), 0, None), strict=True
    ):
        merged[key] = merged.get(key, 0.0) + float(value)
    # Canonical order: by member ids, so neither solver order nor row order shows.
    keys = sorted(merged, key=lambda k: [problem.ids[i] for i in k])
    raw = np.array([merged[k] for k in keys])
    scaled = raw / raw.sum() * grid
    counts = np.floor(scaled).astype(np.int64)
    short = grid - int(counts.sum())
    # Largest remainders first; equal remainders by canonical panel order (stable sort).
    order = np.argsort(-(scaled - counts), kind="stable")
    counts[order[:short]] += 1
    reach = ~np.isin(np.asarray(problem.ids), np.asarray(unreachable, dtype=str))
    x = np.zeros((len(keys), problem.n), dtype=bool)
    for r, key in enumerate(keys):
        x[r, list(key)] = True
    counts = _lift_minimum(counts, x, weights, reach)
    if best is not None:
        counts, x = _repair(counts, x, weights * (lp_minimum * grid - 1.0), reach, best)
        counts = _lift_minimum(counts, x, weights, reach)
        # New panels join the canonical order (by member ids), merged with equal ones.
        merged_counts: dict[tuple[int, ...], int] = {}
        for row, c in zip(x, counts, strict=True):
            key = tuple(int(i) for i in np.flatnonzero(row))
            merged_counts[key] = merged_counts.get(key, 0) + int(c)
        keys = sorted(merged_counts, key=lambda k: [problem.ids[i] for i in k])
        counts = np.array([merged_counts[k] for k in keys], dtype=np.int64)
    keep = counts > 0
    return PanelDistribution(
        ids=problem.ids,
        panels=tuple(k for k, ok in zip(keys, keep, strict=True) if ok),
        counts=tuple(int(c) for c in counts[keep]),
        grid=grid,
        weights=weights,
        lp_minimum=lp_minimum,
        unreachable=unreachable,
    )
