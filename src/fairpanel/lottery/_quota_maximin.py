r"""Maximin (and leximin) distributions over the feasible panels of a quota lottery.

Among all probability distributions over feasible panels (:mod:`._quota_problem`), find
one that maximises the smallest entrant's chance, each chance divided by the entrant's
weight (a merit tier's weight scales its target chance):

.. math:: \max_{\lambda \ge 0,\ \sum_P \lambda_P = 1}\ \min_i \frac{1}{w_i} \sum_{P \ni i} \lambda_P

There are far too many panels to list, so the linear programme is solved by column
generation (Flanigan, Gölz, Gupta, Hennig & Procaccia 2021, *Nature* 596, 548–552,
Methods): a master LP over the panels found so far (scipy's ``linprog``, HiGHS) gives
each entrant a dual price ``y_i``; a pricing MILP (``milp``, HiGHS, solved to a zero gap)
finds the feasible panel with the largest total price; when no panel's price exceeds the
master's dual bound ``z``, no new panel can raise the minimum and the master is optimal.
The first panels cover every entrant who can sit on some feasible panel; an entrant who
can sit on none has chance 0 and is left out of the minimum (and reported).

*Leximin* repeats this: entrants whose dual price is positive cannot do better than the
current minimum in any optimal distribution, so their chance is fixed there and the
minimum of the others is raised, until every chance is fixed.

The published distribution is rounded to a grid (multiples of ``1/grid``, 1/10,000 by
default) by largest remainders (ties by panel order), then units move between panels
while that raises the smallest chance, and, where the worst-off entrant still lies a
grid step or more below the LP optimum, units move to new feasible panels found by the
same pricing problem (:mod:`._quota_grid`), so the published minimum is within one
grid step of the optimum; the marginals are those of the rounded distribution,
exactly: a hand check adds integers. Panels are listed in a
canonical order (their member ids, sorted), so the result depends only on the problem,
never on the order of input rows.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from fairpanel.lottery._quota_grid import DEFAULT_GRID, PanelDistribution, round_to_grid
from fairpanel.lottery._quota_problem import MILP_OPTIONS, QuotaProblem, panel_constraints

__all__ = [
    "ERR_GRID",
    "ERR_WEIGHTS",
    "maximin_distribution",
]

ERR_GRID = "grid must be a whole number >= 1; got {value!r}"
ERR_WEIGHTS = "weights must be {n} finite numbers > 0; got {value!r}"
#: A panel whose total dual price beats the bound by less than this is not added: below
#: it HiGHS's own tolerances decide, and adding it would only cycle.
_PRICE_TOL: Final = 1e-9
_DUAL_TOL: Final = 1e-9
_LP_OPTIONS: Final = {"presolve": False, "dual_feasibility_tolerance": 1e-10}
_MAX_ROUNDS: Final = 10_000
_EXTRA_PANELS: Final = 10
#: A count of the pricing LP this close to a whole number is one (HiGHS's own
#: primal feasibility tolerance is 1e-7).
_WHOLE_TOL: Final = 1e-7

B = npt.NDArray[np.bool_]
F64 = npt.NDArray[np.float64]


def _solve_master(
    panels: list[B], weights: F64, fixed: F64, free: B
) -> tuple[F64, float, F64, float]:
    """Solve the restricted master LP; return (lambda, t, prices y, bound z)."""
    from scipy.optimize import linprog  # scipy only when solving

    x = np.array(panels, dtype=float).T  # entrants x panels
    m = x.shape[1]
    rows = np.flatnonzero(free | (fixed > 0))
    a_ub = np.zeros((rows.size, m + 1))
    a_ub[:, :m] = -x[rows]
    a_ub[:, m] = np.where(free[rows], weights[rows], 0.0)
    b_ub = np.where(free[rows], 0.0, -fixed[rows])
    a_eq = np.zeros((1, m + 1))
    a_eq[0, :m] = 1.0
    cost = np.zeros(m + 1)
    cost[m] = -1.0
    res = linprog(
        cost,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=[1.0],
        bounds=[(0, None)] * m + [(0, 1.0 / float(weights.min()))],  # p <= 1 bounds t
        method="highs",
        options=_LP_OPTIONS,
    )
    if res.status != 0:  # the fixed chances were reached before: numerically infeasible
        raise RuntimeError(f"the maximin LP failed: {res.message}")
    y = np.zeros(len(free))
    y[rows] = -np.asarray(res.ineqlin.marginals)
    z = -float(res.eqlin.marginals[0])
    return np.asarray(res.x[:m]), float(res.x[m]), y, z


class _Pricer:
    """The pricing problem: the feasible panel with the largest total price.

    Entrants who belong to exactly the same bounds (a *type*: same group values, no
    shared household) are interchangeable in every constraint, so a best panel takes,
    within each type, the members with the highest prices. The MILP therefore branches
    only on one whole count per type; each member's share is continuous and, its type's
    prices sorted, the LP takes the best first. With three attributes the 300 binaries
    of a zone become a few dozen integer counts, which HiGHS solves far faster.
    """

    def __init__(self, problem: QuotaProblem) -> None:
        a, lb, ub = panel_constraints(problem)
        profiles, self.type_of = np.unique(a.T, axis=0, return_inverse=True)
        self.type_of = self.type_of.reshape(-1)
        self.n, self.n_types = problem.n, profiles.shape[0]
        self.sizes = np.bincount(self.type_of, minlength=self.n_types)
        # rows: the bounds over type counts, then count_t - sum of its members' shares = 0
        link = np.zeros((self.n_types, self.n_types + self.n))
        link[np.arange(self.n_types), np.arange(self.n_types)] = 1.0
        self.bounds = np.hstack([profiles.T, np.zeros((a.shape[0], self.n))])
        self.link = link
        self.lb, self.ub = lb, ub

    def best(self, price: F64) -> B:
        """Return the panel (indicator vector) with the largest total ``price``."""
        from scipy.optimize import Bounds, LinearConstraint, milp

        # Members in order: by type, then best price first (ties by index).
        order = np.lexsort((np.arange(self.n), -price, self.type_of))
        link = self.link.copy()
        link[self.type_of[order], self.n_types + np.arange(self.n)] = -1.0
        cost = np.concatenate([np.zeros(self.n_types), -price[order]])
        constraints = [
            LinearConstraint(self.bounds, self.lb, self.ub),
            LinearConstraint(link, 0.0, 0.0),
        ]
        bounds = Bounds(0, np.r_[self.sizes, np.ones(self.n)])
        # The LP relaxation first: when its counts are whole, they are feasible for the
        # MILP and at least as good as its optimum, hence optimal. On the benchmark's
        # zone that holds for about nine pricing problems in ten, at under half the
        # cost of a MILP; otherwise the MILP decides.
        counts = np.zeros(self.n_types, dtype=np.int64)
        for integral in (np.zeros(self.n_types), np.ones(self.n_types)):
            res = milp(
                cost,
                constraints=constraints,
                integrality=np.r_[integral, np.zeros(self.n)],
                bounds=bounds,
                options=MILP_OPTIONS,
            )
            if res.status != 0:
                raise RuntimeError(f"no feasible panel: {res.message}")
            x = res.x[: self.n_types]
            counts = np.round(x).astype(np.int64)
            if np.all(np.abs(x - counts) <= _WHOLE_TOL):
                break  # (the MILP's counts are whole up to its tolerance: always kept)
        # The top members of each type, in the sorted order above.
        start = np.searchsorted(self.type_of[order], np.arange(self.n_types))
        rank = np.arange(self.n) - start[self.type_of[order]]
        panel = np.zeros(self.n, dtype=bool)
        panel[order] = rank < counts[self.type_of[order]]
        return panel


def _cover(problem: QuotaProblem, pricer: _Pricer) -> list[B]:
    """Feasible panels until every entrant who can sit on one is on one of them."""
    covered = np.zeros(problem.n, dtype=bool)
    panels: list[B] = []
    while not covered.all():
        panel = pricer.best((~covered).astype(float))
        if not (panel & ~covered).any():
            break
        panels.append(panel)
        covered |= panel
    return panels


def _more_panels(pricer: _Pricer, best: B, price: F64, bound: float) -> list[B]:
    """More violated panels from one master solve (the master LP is the slow step).

    The prices of the panel just found are scaled down until it meets the bound and the
    pricing is solved again, up to :data:`_EXTRA_PANELS` times (the heuristic of
    Flanigan et al.'s reference code): it only adds columns, so the optimum is the same.
    """
    y, z, found = price.copy(), bound, [best]
    for _ in range(_EXTRA_PANELS):
        value = float(y @ found[-1])
        if value <= 0 or z <= 0:
            break
        y[found[-1]] *= z / value
        total = float(y.sum())
        if total <= 0:
            break
        y, z = y / total, z / total
        panel = pricer.best(y)
        if float(y @ panel) <= z + _PRICE_TOL * max(1.0, abs(z)) or any(
            np.array_equal(panel, p) for p in found
        ):
            break
        found.append(panel)
    return found[1:]


def maximin_distribution(
    problem: QuotaProblem,
    *,
    weights: npt.ArrayLike | None = None,
    leximin: bool = False,
    grid: int = DEFAULT_GRID,
) -> PanelDistribution:
    """Find the maximin (or leximin) distribution over feasible panels.

    Parameters
    ----------
    problem : QuotaProblem
        The zone, its places and bounds; it must be feasible
        (:func:`~fairpanel.lottery.check_quota_feasibility`).
    weights : array, optional
        A positive target weight per entrant (``problem.ids`` order): the minimum of
        ``chance / weight`` is maximised. Default: all 1.
    leximin : bool
        After the minimum, raise the second smallest, and so on.
    grid : int
        Panel probabilities are rounded to multiples of ``1 / grid``.

    Returns
    -------
    PanelDistribution

    Examples
    --------
    >>> import pandas as pd
    >>> from fairpanel.io._quotas import Quota, QuotaTable
    >>> zone = pd.DataFrame({"submission_id": list("abcd"), "g": ["x", "x", "x", "y"]})
    >>> problem = QuotaProblem.build(zone, QuotaTable((Quota("g", "y", 1),)), places=2)
    >>> dist = maximin_distribution(problem)
    >>> dist.marginals.tolist()  # d is always drawn; a, b, c share the other place
    [0.3334, 0.3333, 0.3333, 1.0]
    """
    checked: object = grid  # typed int, but notebooks pass anything
    if isinstance(checked, bool) or not isinstance(checked, int | np.integer) or checked < 1:
        raise ValueError(ERR_GRID.format(value=grid))
    n = problem.n
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float).reshape(-1)
    if w.size != n or not np.all(np.isfinite(w) & (w > 0)):
        raise ValueError(ERR_WEIGHTS.format(n=n, value=weights))
    pricer = _Pricer(problem)
    panels = _cover(problem, pricer)
    if not panels:  # no feasible panel: the caller checks feasibility first
        raise RuntimeError("no feasible panel")
    reach = np.any(panels, axis=0)
    fixed = np.zeros(n)
    free = reach.copy()
    lp_minimum = None
    lam = np.zeros(len(panels))
    for _ in range(_MAX_ROUNDS):
        lam, t, y, z = _solve_master(panels, w, fixed, free)
        best = pricer.best(y)
        if float(y @ best) > z + _PRICE_TOL * max(1.0, abs(z)):
            panels.append(best)
            panels.extend(_more_panels(pricer, best, y, z))
            continue
        lp_minimum = t if lp_minimum is None else lp_minimum
        if not leximin:
            break
        tight = free & (y > _DUAL_TOL)
        if not tight.any():
            tight = free & (y == y[free].max())
        fixed[tight] = w[tight] * t * (1 - 1e-9)
        free &= ~tight
        if not free.any():
            lam, _, _, _ = _solve_master(panels, w, fixed, free)
            break
    return round_to_grid(
        problem,
        panels,
        lam,
        grid=int(grid),
        weights=w,
        lp_minimum=float(lp_minimum or 0.0),
        unreachable=tuple(s for s, r in zip(problem.ids, reach, strict=True) if not r),
        best=pricer.best,
    )
