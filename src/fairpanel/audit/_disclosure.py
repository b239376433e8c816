"""Secondary cell suppression that survives an interval attack on the whole publication.

Hiding a small count is not enough when the published tables let it be worked out. A
reader who knows every published count can write every sum the tables share (an
attribute's groups add up to the total, an intersection's cells to its marginal cells,
a stratum's cells to the overall cells, a funnel stage's passers to the next stage's
entrants) and every bound a count obeys (no more selected than applicants, a listed
group has at least one applicant), and solve the integer program: the smallest and the
largest value each hidden cell can take among nonnegative whole numbers satisfying all
of them. That is the attacker of statistical offices' *interval* (or *feasibility*)
audit (Hundepool et al. 2012, *Statistical Disclosure Control*, §4.4; de Wolf,
*τ-ARGUS user's manual*; sdcTable's ``protectTable``).

:class:`Disclosure` holds the published counts as variables, the sums as equations and
the bounds as inequalities. :meth:`Disclosure.solve` first runs the hypercube heuristic
(no sum has exactly one hidden cell; ``solve(attack=False)`` stops there, to compare the
classic rule with the attacker), then repeats: solve the attacker's two integer programs per hidden cell with
``scipy.optimize.milp`` (HiGHS), and for each under-protected cell hide the cheapest
visible cell sharing a sum with it, until every hidden cell is protected.

A hidden cell is *protected* when the attacker's range ``[low, high]`` is at least
``2 × level`` wide (default :data:`PROTECTION_LEVEL` = 2: width 4, five or more whole
numbers, so no guess of the form "value ± 2" is certain). Since ``low ≥ 0``, a hidden
zero then has ``high ≥ 4``: a zero is never proven. A cell that is part of a public
total ``T`` smaller than that (a stratum where 2 were selected) cannot be given more
room than ``[0, T]``: it is protected when its range is ``T`` wide, i.e. every split of
the total is possible. An unbounded range is protected. Each connected set of hidden cells (linked by a sum or a bound) is
an independent program, and a set whose hidden cells did not change is not solved again.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Final

import numpy as np
from scipy import optimize, sparse

__all__ = ["PROTECTION_LEVEL", "Attack", "Disclosure"]

#: Half-width of the protection interval: a hidden cell's feasible range must span at
#: least twice this many units (the value cannot be pinned within ± this many).
PROTECTION_LEVEL: Final = 2


class Attack:
    """The attacker's integer program over one linked set of hidden cells.

    Visible cells are constants; hidden ones are whole numbers at least their known
    lower bound, satisfying every equation and bound. :meth:`weak` finds the cells whose
    range is narrower than ``width``, with as few solves as it can: every solution found
    is a feasible point, so a cell whose values seen so far already span ``width`` is
    protected without solving its own two programs.

    Parameters
    ----------
    value : ndarray
        Every cell's true value (the visible cells' are the constants).
    eqs : list of (cells, coefficients)
        Linear equations ``sum(coefficient * cell) = 0``.
    les : list of (small, large)
        Inequalities ``small <= large``.
    low : ndarray
        Each cell's known lower bound.
    cells : ndarray of int
        The hidden cells (a linked set: no equation or bound mixes them with others).
    seen : (ndarray, ndarray), optional
        The smallest and largest value of every cell in solutions found before (with
        fewer cells hidden: hiding more keeps them feasible), indexed like ``value``.
    """

    def __init__(
        self,
        value: np.ndarray,
        eqs: list[tuple[list[int], list[int]]],
        les: list[tuple[int, int]],
        low: np.ndarray,
        cells: np.ndarray,
        seen: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        pos = {int(c): j for j, c in enumerate(cells)}
        m = len(cells)
        rows: list[int] = []
        cols: list[int] = []
        data: list[float] = []
        rhs: list[float] = []
        for members, coef in eqs:
            if not any(c in pos for c in members):
                continue
            b = 0.0
            for c, a in zip(members, coef, strict=True):
                if c in pos:
                    rows.append(len(rhs))
                    cols.append(pos[c])
                    data.append(float(a))
                else:
                    b -= a * float(value[c])
            rhs.append(b)
        lb = np.maximum(low[cells].astype(float), 0.0)
        ub = np.full(m, np.inf)
        le_rows: list[int] = []
        le_cols: list[int] = []
        for small, large in les:
            if small in pos and large in pos:
                le_rows += [len(le_rows) // 2] * 2
                le_cols += [pos[small], pos[large]]
            elif small in pos:
                ub[pos[small]] = min(ub[pos[small]], float(value[large]))
            elif large in pos:
                lb[pos[large]] = max(lb[pos[large]], float(value[small]))
        self.constraints = []
        if rhs:
            a_eq = sparse.csr_array((data, (rows, cols)), shape=(len(rhs), m))
            self.constraints.append(optimize.LinearConstraint(a_eq, rhs, rhs))
        if le_rows:
            a_le = sparse.csr_array(
                ([1.0, -1.0] * (len(le_rows) // 2), (le_rows, le_cols)),
                shape=(len(le_rows) // 2, m),
            )
            self.constraints.append(optimize.LinearConstraint(a_le, -np.inf, 0.0))
        self.bounds = optimize.Bounds(lb, ub)
        # one sum of whole cells and nothing else: the ranges have a closed form
        self._one_sum = (
            (np.asarray(rhs[0]), lb, ub)
            if len(rhs) == 1 and not le_rows and all(a == 1.0 for a in data) and len(data) == m
            else None
        )
        self.size = m
        truth = value[cells].astype(float)
        self.seen_low = truth.copy() if seen is None else seen[0][cells].astype(float)
        self.seen_high = truth.copy() if seen is None else seen[1][cells].astype(float)
        self.solves = 0

    def _solve(self, cost: np.ndarray) -> np.ndarray | None:
        """Return a solution minimising ``cost``; None when unbounded (never infeasible)."""
        self.solves += 1
        res = optimize.milp(
            cost,
            constraints=self.constraints,
            bounds=self.bounds,
            integrality=np.ones(self.size),
        )
        if res.status != 0:
            return None
        x = np.round(np.asarray(res.x, dtype=float))
        np.minimum(self.seen_low, x, out=self.seen_low)
        np.maximum(self.seen_high, x, out=self.seen_high)
        return x

    def weak(self, width: np.ndarray, *, first: bool = True) -> list[int]:
        """Positions of cells whose range is narrower than their ``width`` (the first only)."""
        if self._one_sum is not None:
            total, lb, ub = self._one_sum
            # x_j = total - (the others), each other between its bounds
            big = np.isinf(ub)
            finite = np.where(big, 0.0, ub)
            others = np.where(big.sum() - big > 0, np.inf, finite.sum() - finite)
            lo = np.maximum(lb, total - others)
            hi = np.minimum(ub, total - (lb.sum() - lb))
            short = np.flatnonzero(hi - lo < width)
            return short[:1].tolist() if first else short.tolist()
        if (self.seen_high - self.seen_low >= width).all():
            return []
        # a few spread-out solutions certify most cells at once (fixed signs: deterministic),
        # then pushing all the uncertified cells up together, and down together
        signs = np.random.default_rng(0).choice([-1.0, 1.0], size=(2, self.size))
        for cost in (*signs, *(-signs)):
            if self._solve(cost) is None:
                break
        open_ = (self.seen_high - self.seen_low < width).astype(float)
        if open_.sum() > 1:
            for cost in (-open_, open_):
                self._solve(cost)
        lb, ub = self.bounds.lb, self.bounds.ub
        out = []
        for j in range(self.size):
            for sign in (-1.0, 1.0):  # the largest value, then the smallest
                if self.seen_high[j] - self.seen_low[j] >= width[j]:
                    break
                # a bound reached is the optimum: no program to solve
                if (self.seen_high[j] >= ub[j]) if sign < 0 else (self.seen_low[j] <= lb[j]):
                    continue
                cost = np.zeros(self.size)
                cost[j] = sign
                if self._solve(cost) is None:  # unbounded: wide enough
                    self.seen_high[j] = np.inf
                    break
            if self.seen_high[j] - self.seen_low[j] < width[j]:
                out.append(j)
                if first:
                    break
        return out


class Disclosure:
    """Published counts, the sums and bounds linking them, and the suppression that holds.

    Examples
    --------
    Two groups of 2 and 98 applicants with the total published: hiding the small one
    alone lets it be worked out, so the large one is hidden too.

    >>> d = Disclosure()
    >>> d.add("N", 100, hidden=False); d.add("a", 2, hidden=True); d.add("b", 98, hidden=False)
    >>> d.equation(["a", "b"], "N")
    >>> d.solve()
    >>> d.hidden("b")
    True
    """

    def __init__(self, *, level: int = PROTECTION_LEVEL) -> None:
        self.level = int(level)
        self._index: dict[Hashable, int] = {}
        self._value: list[int] = []
        self._hidden: list[bool] = []
        self._low: list[int] = []
        self._protected: set[int] = set()
        self._fixed: set[int] = set()
        self._lines: list[list[int]] = []
        self._eqs: list[tuple[list[int], list[int]]] = []
        self._les: list[tuple[int, int]] = []
        #: Hidden cells the loop could not protect (no visible cell left to hide).
        self.unprotected: list[Hashable] = []
        #: Rounds of the attacker loop, and cells hidden by it beyond the heuristic.
        self.rounds = 0
        self.added = 0
        self.solves = 0

    def __contains__(self, key: Hashable) -> bool:
        return key in self._index

    def add(
        self, key: Hashable, value: int, hidden: bool, *, low: int = 0, fixed: bool = False
    ) -> None:
        """Declare a cell (declaring it again only adds a reason to hide it).

        ``low`` is what a reader knows the count is at least (1 for a listed group);
        a ``fixed`` cell is published elsewhere as it is (a total) and never hidden.
        """
        if key in self._index:
            i = self._index[key]
            self._hidden[i] = self._hidden[i] or bool(hidden)
            self._low[i] = max(self._low[i], int(low))
            return
        if fixed:
            self._fixed.add(len(self._value))
        self._index[key] = len(self._value)
        self._value.append(int(value))
        self._hidden.append(bool(hidden))
        self._low.append(int(low))

    def protect(self, key: Hashable) -> None:
        """Prefer other cells when a complement must be hidden (e.g. the reference group)."""
        if key in self._index:
            self._protected.add(self._index[key])

    def equation(self, parts: Iterable[Hashable], total: Hashable) -> None:
        """Declare that the ``parts`` add up to ``total`` (both published cells)."""
        members = sorted({self._index[k] for k in parts})
        t = self._index[total]
        if t in members or not members:
            return
        self._eqs.append(([*members, t], [1] * len(members) + [-1]))
        self._lines.append(sorted([*members, t]))

    def at_most(self, small: Hashable, large: Hashable) -> None:
        """Declare that ``small`` cannot exceed ``large`` (selected <= applicants)."""
        self._les.append((self._index[small], self._index[large]))

    def hidden(self, key: Hashable) -> bool:
        """Whether the cell is hidden (after :meth:`solve`)."""
        return self._hidden[self._index[key]]

    @property
    def n_hidden(self) -> int:
        """How many cells are hidden."""
        return int(sum(self._hidden))

    def _hypercube(self, hidden: np.ndarray, value: np.ndarray, protected: np.ndarray) -> None:
        changed = True
        while changed:
            changed = False
            for members in self._lines:
                m = np.asarray(members)
                if hidden[m].sum() == 1:
                    pool = np.array([c for c in m if not hidden[c] and c not in self._fixed])
                    if pool.size:
                        hidden[self._cheapest(pool, value, protected)] = True
                        changed = True

    def _cheapest(self, pool: np.ndarray, value: np.ndarray, protected: np.ndarray) -> int:
        # unprotected first; then a cell large enough to give a hidden zero room to move
        # (value >= 2 × level), smallest first: least information lost; ties: first declared
        key = np.lexsort((pool, value[pool], value[pool] < 2 * self.level, protected[pool]))
        return int(pool[key[0]])

    def _linked_sets(self, hidden: np.ndarray) -> list[np.ndarray]:
        """Hidden cells grouped by the equations and bounds that link them."""
        parent = {int(i): int(i) for i in np.flatnonzero(hidden)}

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        links = [members for members, _ in self._eqs] + [list(p) for p in self._les]
        for members in links:
            hid = [c for c in members if hidden[c]]
            for c in hid[1:]:
                parent[find(c)] = find(hid[0])
        groups: dict[int, list[int]] = {}
        for i in parent:
            groups.setdefault(find(i), []).append(i)
        return [np.array(sorted(g)) for g in groups.values()]

    def solve(self, *, attack: bool = True) -> None:
        """Hide complementary cells until every hidden cell is protected.

        Parameters
        ----------
        attack : bool, default True
            Check every hidden cell against the interval attack and hide more until
            none is pinned. ``False`` stops after the hypercube heuristic (no sum with
            exactly one hidden cell): the classic rule alone, which the attack can beat.
        """
        value = np.array(self._value, dtype=np.int64)
        hidden = np.array(self._hidden, dtype=bool)
        protected = np.zeros(len(value), dtype=bool)
        protected[list(self._protected)] = True
        low = np.array(self._low, dtype=np.int64)
        need = np.full(len(value), 2.0 * self.level)
        for members, _ in self._eqs:
            total = members[-1]
            if total in self._fixed:  # a public total bounds its parts: [0, total] is all
                for c in members[:-1]:
                    need[c] = min(need[c], float(value[total]))
        self._hypercube(hidden, value, protected)
        after_heuristic = int(hidden.sum())
        if not attack:
            self._hidden = hidden.tolist()
            return
        known: dict[tuple[int, ...], list[int]] = {}
        stuck: set[int] = set()
        # values seen in feasible solutions: they stay feasible as more cells are hidden
        seen = (value.astype(float), value.astype(float))
        eqs_of: dict[int, set[int]] = {}
        for e, (members, _) in enumerate(self._eqs):
            for c in members:
                eqs_of.setdefault(c, set()).add(e)
        while True:
            self.rounds += 1
            weak_sets = []
            for cells in self._linked_sets(hidden):
                key = tuple(cells.tolist())
                if key not in known:
                    attacker = Attack(value, self._eqs, self._les, low, cells, seen)
                    weak = attacker.weak(need[cells], first=False)
                    known[key] = [int(cells[j]) for j in weak]
                    seen[0][cells] = attacker.seen_low
                    seen[1][cells] = attacker.seen_high
                    self.solves += attacker.solves
                if known[key]:
                    weak_sets.append((known[key], cells))
            progress = False
            touched: set[int] = set()  # equations given a new hidden cell this round
            for weak, cells in weak_sets:
                for w in weak:
                    if w in stuck or eqs_of.get(w, set()) & touched:
                        continue  # (its sum just got a new hidden cell: look again first)
                    pool = self._neighbours([w], hidden)
                    if pool.size == 0:  # every neighbour is hidden: widen to the linked set
                        pool = self._neighbours(cells.tolist(), hidden)
                    if pool.size == 0:
                        stuck.add(w)
                        continue
                    pick = self._cheapest(pool, value, protected)
                    hidden[pick] = True
                    touched |= eqs_of.get(pick, set()) | eqs_of.get(w, set())
                    progress = True
            if not progress:
                break
            self._hypercube(hidden, value, protected)
        self.added = int(hidden.sum()) - after_heuristic
        keys = list(self._index)
        self.unprotected = [keys[i] for i in sorted(stuck)]
        self._hidden = hidden.tolist()

    def _neighbours(self, weak: list[int], hidden: np.ndarray) -> np.ndarray:
        """Visible cells sharing an equation or a bound with a weak cell (else any linked)."""
        target = set(weak)
        near: set[int] = set()
        for members, _ in self._eqs:
            if target & set(members):
                near.update(c for c in members if not hidden[c])
        for small, large in self._les:
            if small in target and not hidden[large]:
                near.add(large)
            if large in target and not hidden[small]:
                near.add(small)
        return np.array(sorted(near - self._fixed), dtype=np.int64)
