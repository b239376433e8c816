"""A quota lottery's zone as constraints on a panel, and why infeasible quotas fail.

A *panel* is a set of exactly ``places`` entrants. It is feasible when every quota row
holds (between its ``min`` and ``max`` members of its group; submissions funded
outright above the zone count first) and no two members share a household key value.
:class:`QuotaProblem` holds these bounds as index sets over the entrants (sorted by id);
:func:`check_quota_feasibility` solves the integer feasibility problem with scipy's
HiGHS and, when no panel exists, shrinks the bounds to a small conflicting set by
deletion filtering (Chinneck & Dravnieks 1991: drop a bound; if still infeasible, it
was not needed) and explains it in one line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel._errors import FairpanelInputError

if TYPE_CHECKING:
    from fairpanel.io._quotas import QuotaTable

__all__ = [
    "ERR_QUOTA_COLUMN",
    "ERR_QUOTA_CONFLICT",
    "ERR_QUOTA_FUNDED_MAX",
    "ERR_QUOTA_HOUSEHOLDS",
    "ERR_QUOTA_MAX",
    "ERR_QUOTA_MIN",
    "ERR_QUOTA_PLACES",
    "Bound",
    "QuotaProblem",
    "check_quota_feasibility",
    "panel_constraints",
]

ERR_QUOTA_COLUMN = "the quotas name the column {column!r}, which the submissions table lacks"
ERR_QUOTA_MIN = "{group}: min {lo} but only {n} {entrants}{why}"
ERR_QUOTA_MAX = (
    "{group}: max {hi} but only {n_out} entrants are outside it and {places} places must be filled"
)
ERR_QUOTA_FUNDED_MAX = "{group}: max {hi} but {n} are funded outright above the lottery zone"
ERR_QUOTA_PLACES = "{places} places must be filled but there are only {n} entrants{why}"
ERR_QUOTA_HOUSEHOLDS = (
    "{places} places must be filled but the {n} entrants in the lottery zone allow only "
    "{m} at one per {keys} value"
)
ERR_QUOTA_CONFLICT = "{bounds} cannot {all} hold with {places} places{why}"
HINT_QUOTA = "relax one of these bounds, or widen the lottery zone"

Kind = Literal["min", "max", "household"]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
#: Feasibility and pricing problems are solved to optimality: no gap, no time limit, so
#: the same input gives the same answer in every process.
MILP_OPTIONS: Final = {"mip_rel_gap": 0.0, "presolve": True, "disp": False}


@dataclass(frozen=True, eq=False)
class Bound:
    """One linear bound on a panel: ``lo <= |panel ∩ members| <= hi``.

    ``label`` names it in messages (``gender=woman min 4``); ``group`` is the quota's
    group or the household key and value; ``size`` counts the group's members in the
    zone; ``funded`` how many funded outright it already holds.
    """

    kind: Kind
    group: str
    members: I64
    lo: int
    hi: int
    stated: int
    funded: int = 0

    @property
    def label(self) -> str:
        """The bound as a committee wrote it (before counting the funded)."""
        if self.kind == "household":
            return f"at most one per {self.group}"
        return f"{self.group} {self.kind} {self.stated}"


@dataclass(frozen=True, eq=False)
class QuotaProblem:
    """The lottery zone, its places and every bound a drawn panel must satisfy.

    Attributes
    ----------
    ids : tuple of str
        The entrants, sorted.
    places : int
        The places drawn among them (after those funded outright).
    bounds : tuple of Bound
        Quota minima and maxima, then household caps, in a fixed order.
    """

    ids: tuple[str, ...]
    places: int
    bounds: tuple[Bound, ...]

    @property
    def n(self) -> int:
        """The number of entrants."""
        return len(self.ids)

    def satisfied(self, panel: npt.ArrayLike) -> bool:
        """Whether a 0/1 indicator vector over the entrants is a feasible panel.

        Parameters
        ----------
        panel : array of 0/1
            One entry per entrant (``ids`` order).
        """
        x = np.asarray(panel, dtype=np.int64)
        if int(x.sum()) != self.places:
            return False
        return all(b.lo <= int(x[b.members].sum()) <= b.hi for b in self.bounds)

    @classmethod
    def build(
        cls,
        entrants: pd.DataFrame,
        quotas: QuotaTable,
        *,
        places: int,
        funded: pd.DataFrame | None = None,
    ) -> QuotaProblem:
        """Turn a quota table into bounds over the zone's entrants.

        Parameters
        ----------
        entrants : DataFrame
            ``submission_id`` and every column of ``quotas.columns`` (text; a missing
            value belongs to no group and shares no household).
        quotas : QuotaTable
            The quota rows and household keys.
        places : int
            Places drawn among the entrants.
        funded : DataFrame, optional
            The submissions funded outright, with the same columns: they count towards
            each quota first, and their households are full.

        Raises
        ------
        FairpanelInputError
            When a column is missing, or the funded alone exceed a maximum.
        """
        funded = entrants.iloc[:0] if funded is None else funded
        for col in quotas.columns:
            if col not in entrants.columns:
                raise FairpanelInputError(ERR_QUOTA_COLUMN.format(column=col), column=col)
        frame = entrants.sort_values("submission_id", kind="stable").reset_index(drop=True)
        ids = tuple(str(s) for s in frame["submission_id"])
        bounds: list[Bound] = []
        for q in quotas.quotas:
            members = np.flatnonzero(_text(frame[q.attribute]) == q.value).astype(np.int64)
            already = int((_text(funded[q.attribute]) == q.value).sum())
            hi = places if q.max is None else q.max - already
            if hi < 0:
                raise FairpanelInputError(
                    ERR_QUOTA_FUNDED_MAX.format(group=q.group, hi=q.max, n=already),
                    hint=HINT_QUOTA,
                )
            lo = max(0, q.min - already)
            if q.min > 0:
                bounds.append(Bound("min", q.group, members, lo, places, q.min, already))
            if q.max is not None:
                bounds.append(Bound("max", q.group, members, 0, hi, q.max, already))
        for key in quotas.one_per:
            values = _text(frame[key])
            taken = set(_text(funded[key]).dropna())
            for value, idx in sorted(_groups(values).items()):
                cap = 0 if value in taken else 1
                if len(idx) > cap:
                    bounds.append(Bound("household", f"{key} ({value})", idx, 0, cap, 1))
        return cls(ids, int(places), tuple(bounds))


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip()


def _groups(values: pd.Series) -> dict[str, I64]:
    out: dict[str, list[int]] = {}
    for i, v in enumerate(values):
        if not pd.isna(v):
            out.setdefault(str(v), []).append(i)
    return {k: np.asarray(v, dtype=np.int64) for k, v in out.items()}


def panel_constraints(
    problem: QuotaProblem, active: Sequence[int] | None = None
) -> tuple[F64, F64, F64]:
    """Return ``(A, lb, ub)``: the panel-size row, then one row per active bound.

    Parameters
    ----------
    problem : QuotaProblem
        The zone.
    active : sequence of int, optional
        Indices into ``problem.bounds`` (default: all).
    """
    chosen = [
        problem.bounds[i] for i in (range(len(problem.bounds)) if active is None else active)
    ]
    a = np.zeros((1 + len(chosen), problem.n))
    a[0] = 1.0
    lb = np.empty(1 + len(chosen))
    ub = np.empty(1 + len(chosen))
    lb[0] = ub[0] = problem.places
    for r, b in enumerate(chosen, start=1):
        a[r, b.members] = 1.0
        lb[r], ub[r] = b.lo, b.hi
    return a, lb, ub


def _feasible(problem: QuotaProblem, active: Sequence[int]) -> bool:
    from scipy.optimize import Bounds, LinearConstraint, milp  # scipy only when solving

    a, lb, ub = panel_constraints(problem, active)
    res = milp(
        np.zeros(problem.n),
        constraints=LinearConstraint(a, lb, ub),
        integrality=np.ones(problem.n),
        bounds=Bounds(0, 1),
        options=MILP_OPTIONS,
    )
    return bool(res.status == 0)


def check_quota_feasibility(problem: QuotaProblem) -> None:
    """Refuse quotas no panel can satisfy, naming a small set of bounds that conflict.

    Parameters
    ----------
    problem : QuotaProblem
        The zone and its bounds.

    Raises
    ------
    FairpanelInputError
        One line: a single bound that cannot hold (``student: min 5 but only 4
        entrants``), or a set of bounds that cannot hold together and why.

    Examples
    --------
    >>> import pandas as pd
    >>> from fairpanel.io._quotas import Quota, QuotaTable
    >>> zone = pd.DataFrame({"submission_id": ["a", "b", "c"], "stage": ["early", "late", "late"]})
    >>> q = QuotaTable((Quota("stage", "early", 2),))
    >>> check_quota_feasibility(QuotaProblem.build(zone, q, places=2))
    Traceback (most recent call last):
    ...
    fairpanel._errors.FairpanelInputError: stage=early: min 2 but only 1 entrant in the lottery zone; relax one of these bounds, or widen the lottery zone
    """
    everything = list(range(len(problem.bounds)))
    if _feasible(problem, everything):
        return
    if not _feasible(problem, []):
        raise FairpanelInputError(_places_message(problem), hint=HINT_QUOTA)
    needed = list(everything)
    for i in everything:  # deletion filter: what stays infeasible without i did not need i
        trial = [j for j in needed if j != i]
        if not _feasible(problem, trial):
            needed = trial
    raise FairpanelInputError(
        _conflict_message(problem, [problem.bounds[i] for i in needed]), hint=HINT_QUOTA
    )


def _entrants(n: int) -> str:
    return "entrant" if n == 1 else "entrants"


def _places_message(problem: QuotaProblem) -> str:
    return ERR_QUOTA_PLACES.format(places=problem.places, n=problem.n, why=" in the lottery zone")


def _households(problem: QuotaProblem, members: I64) -> int:
    """How many members can sit together: one per household, the rest alone."""
    caps = [b for b in problem.bounds if b.kind == "household"]
    inside = set(members.tolist())
    alone = set(inside)
    count = 0
    for b in caps:
        shared = inside.intersection(b.members.tolist())
        alone -= shared
        count += min(b.hi, len(shared))
    return count + len(alone)


def _conflict_message(problem: QuotaProblem, bounds: Sequence[Bound]) -> str:
    quotas = [b for b in bounds if b.kind != "household"]
    houses = [b for b in bounds if b.kind == "household"]
    zone = " in the lottery zone"
    if len(quotas) == 1:
        b = quotas[0]
        funded = f" besides the {b.funded} funded outright" if b.funded else ""
        if b.kind == "min":
            fit = _households(problem, b.members) if houses else b.members.size
            why = zone + funded
            if houses:
                keys = sorted({h.group.split(" (")[0] for h in houses})
                why = f"{zone} from distinct {', '.join(keys)} values{funded}"
            return ERR_QUOTA_MIN.format(
                group=b.group, lo=b.stated, n=fit, entrants=_entrants(fit), why=why
            )
        return ERR_QUOTA_MAX.format(
            group=b.group, hi=b.stated, n_out=problem.n - b.members.size, places=problem.places
        )
    if not quotas:
        keys = sorted({h.group.split(" (")[0] for h in houses})
        return ERR_QUOTA_HOUSEHOLDS.format(
            places=problem.places,
            n=problem.n,
            m=_households(problem, np.arange(problem.n)),
            keys=", ".join(keys),
        )
    why = ""
    if len(quotas) == 2 and not houses:
        why = _pair_reason(problem, *quotas)
    return ERR_QUOTA_CONFLICT.format(
        bounds=" and ".join(b.label for b in quotas) + ("" if not houses else " (one per key)"),
        all="both" if len(quotas) == 2 and not houses else "all",
        places=problem.places,
        why=why,
    )


def _pair_reason(problem: QuotaProblem, a: Bound, b: Bound) -> str:
    """Say why two bounds cannot both hold, from the counts of their groups' overlap."""
    sa, sb = set(a.members.tolist()), set(b.members.tolist())
    if a.kind == "max" and b.kind == "min":
        a, b, sa, sb = b, a, sb, sa
    if a.kind == "min" and b.kind == "max":
        outside = len(sa - sb)
        return (
            f": {a.group} needs {a.lo} but only {outside} of them are not {b.group}, "
            f"so at least {a.lo - outside} would be {b.group}, above its max {b.hi}"
        )
    if a.kind == "min" and b.kind == "min":
        need = max(a.lo, b.lo, a.lo + b.lo - len(sa & sb))
        return f": together they need at least {need} places" if need > problem.places else ""
    union = len(sa | sb)
    return (
        f": together they allow at most {a.hi + b.hi} of their {union} entrants, and the "
        f"other {problem.n - union} cannot fill the rest"
    )


def funded_counts(quotas: QuotaTable, funded: pd.DataFrame) -> Mapping[str, int]:
    """How many funded outright each quota group holds (for the record).

    Parameters
    ----------
    quotas : QuotaTable
        The quota rows.
    funded : DataFrame
        The submissions funded outright, with the quota columns.
    """
    return {q.group: int((_text(funded[q.attribute]) == q.value).sum()) for q in quotas.quotas}
