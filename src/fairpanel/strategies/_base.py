"""One interface for every selection rule: scores + capacity + seed → :class:`Allocation`.

A strategy is a plain object in the scikit-learn manner: ``__init__`` stores its
parameters and does nothing else; :meth:`Strategy.allocate` validates them and does the
work. Every strategy reduces to the same shape — an ordered list of *priority blocks*
(submissions in an earlier block are considered first; within a block the order is drawn
by lot) — so that budgets, ties and draws are handled once, in :mod:`._engine`.
"""

from __future__ import annotations

import inspect
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import ALLOCATION_COLUMNS
from fairpanel._seed import Seed
from fairpanel.lottery import DrawCertificate
from fairpanel.rubric import Rubric
from fairpanel.strategies._direction import score_direction

__all__ = [
    "ALLOCATION_EXTRA_COLUMNS",
    "Allocation",
    "Capacity",
    "Prepared",
    "Strategy",
]

#: Columns every allocation table has after :data:`ALLOCATION_COLUMNS`.
ALLOCATION_EXTRA_COLUMNS: tuple[str, ...] = (
    "selection_probability_se",
    "skipped_budget",
    "rank_position",
    "request",
)

ERR_CAPACITY_ONE = "give exactly one of count or budget; got count={count!r}, budget={budget!r}"
ERR_CAPACITY_COUNT = "capacity count must be an integer >= 0; got {value!r}"
ERR_CAPACITY_BUDGET = "capacity budget must be a finite number >= 0; got {value!r}"
ERR_CAPACITY_REQUEST = "a budget needs request_col (the column of each submission's request)"
ERR_CAPACITY_REQUEST_COUNT = "request_col is only used with a budget, not with a count"
ERR_MISSING_COLUMN = "the score table has no column {column!r}"
ERR_DUPLICATE = "submission {sid!r} appears more than once"
ERR_NOT_NUMERIC = "{column!r} must be numeric; submission {sid!r} has {value!r}"
ERR_NO_SUBMISSIONS = "a budget needs the submissions table with the request column {column!r}"
ERR_NO_REQUEST_COLUMN = "the submissions table has no request column {column!r}"
ERR_BAD_REQUEST = "the request of submission {sid!r} must be a finite number >= 0; got {value!r}"
ERR_UNKNOWN_SUBMISSION = "submission {sid!r} has a score but is not in the submissions table"
ERR_ELIGIBLE = "the eligible column must hold true/false; submission {sid!r} has {value!r}"
HINT_SCORES = "write the score table with 'fairpanel score'"
_NUMERIC = (
    "calibrated_score",
    "expected_rank",
    "rank_lo50",
    "rank_hi50",
    "rank_lo90",
    "rank_hi90",
)


@dataclass(frozen=True)
class Capacity:
    """How many can be selected: a count, or a budget of a resource.

    Parameters
    ----------
    count : int, optional
        The number of places.
    budget : float, optional
        The total resource available (observing hours, money).
    request_col : str, optional
        With a budget: the submissions column holding each submission's request.

    Examples
    --------
    >>> Capacity(count=5)
    Capacity(count=5, budget=None, request_col=None)
    >>> Capacity(budget=120.0, request_col="hours").is_budget
    True
    """

    count: int | None = None
    budget: float | None = None
    request_col: str | None = None

    def __post_init__(self) -> None:
        if (self.count is None) == (self.budget is None):
            raise ValueError(ERR_CAPACITY_ONE.format(count=self.count, budget=self.budget))
        # Typed as object: a capacity may come from untyped callers (YAML, CLI, notebooks).
        count: object = self.count
        budget: object = self.budget
        if count is not None:
            ok = isinstance(count, int | np.integer) and not isinstance(count, bool)
            if not ok or int(count) < 0:  # type: ignore[call-overload]
                raise ValueError(ERR_CAPACITY_COUNT.format(value=self.count))
            if self.request_col is not None:
                raise ValueError(ERR_CAPACITY_REQUEST_COUNT)
        else:
            ok = isinstance(budget, int | float | np.integer | np.floating) and not isinstance(
                budget, bool
            )
            if not ok or not math.isfinite(float(budget)) or float(budget) < 0:  # type: ignore[arg-type]
                raise ValueError(ERR_CAPACITY_BUDGET.format(value=budget))
            if not self.request_col:
                raise ValueError(ERR_CAPACITY_REQUEST)

    @property
    def is_budget(self) -> bool:
        """Whether capacity is a budget (else a count)."""
        return self.budget is not None

    def to_dict(self) -> dict[str, Any]:
        """Return the capacity as plain data."""
        return {"count": self.count, "budget": self.budget, "request_col": self.request_col}


@dataclass(frozen=True, eq=False)
class Allocation:
    """One strategy's outcome for one cycle.

    Attributes
    ----------
    table : DataFrame
        One row per submission: :data:`~fairpanel._schema.ALLOCATION_COLUMNS`
        (``submission_id, strategy, tier, selected, selection_probability,
        draw_position``) then ``selection_probability_se`` (0 where the probability is
        exact), ``skipped_budget`` (the rule would have taken it but its request no
        longer fitted), ``rank_position`` (order of consideration; lottery entrants in
        draw order) and ``request`` (NaN without a budget). Sorted by expected rank,
        then id.
    strategy : str
        The strategy's name (``rank``, ``lottery``, ...).
    seed : str
        The seed text of the draw.
    capacity : Capacity
    certificate : DrawCertificate or None
        The draw certificate, when a lottery was needed.
    params : dict
        The strategy's parameters.
    """

    table: pd.DataFrame
    strategy: str
    seed: str
    capacity: Capacity
    certificate: DrawCertificate | None = None
    params: dict[str, Any] | None = None

    @property
    def selected_ids(self) -> list[str]:
        """Ids of the selected submissions, in order of consideration."""
        sel = self.table[self.table["selected"]].sort_values("rank_position")
        return [str(s) for s in sel["submission_id"]]

    def ids_in_tier(self, tier: str) -> list[str]:
        """Ids of the submissions in one tier (``funded``, ``lottery``, ...)."""
        return [str(s) for s in self.table.loc[self.table["tier"] == tier, "submission_id"]]

    def summary(self, *, max_ids: int | None = None) -> str:
        """Name who is in each tier, one line per non-empty tier (for reports and logs).

        Parameters
        ----------
        max_ids : int, optional
            List the ids of a tier (and of the drawn) only when there are at most this
            many; otherwise give the count alone. None (default): list every id.

        Examples
        --------
        >>> import pandas as pd
        >>> from fairpanel.strategies import RankStrategy
        >>> scores = pd.DataFrame({"submission_id": ["a", "b"], "calibrated_score": [2.0, 1.0]})
        >>> print(RankStrategy().allocate(scores, capacity=1, seed="s").summary())
        rank, capacity 1: 1 selected
        funded (1): a
        rejected (1): b
        """
        cap = self.capacity
        what = f"capacity {cap.count}" if not cap.is_budget else f"budget {cap.budget:g}"
        lines = [f"{self.strategy}, {what}: {int(self.table['selected'].sum())} selected"]

        def listed(ids: list[str]) -> str:
            return ": " + ", ".join(ids) if max_ids is None or len(ids) <= max_ids else ""

        for tier in ("funded", "lottery", "rejected", "ineligible"):
            ids = self.ids_in_tier(tier)
            if not ids:
                continue
            extra = ""
            if tier == "lottery":
                drawn = self.table[(self.table["tier"] == "lottery") & self.table["selected"]]
                extra = f", {len(drawn)} drawn{listed([str(s) for s in drawn['submission_id']])}"
            lines.append(f"{tier} ({len(ids)}{extra}){listed(ids)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<Allocation strategy={self.strategy!r} submissions={len(self.table)} "
            f"selected={int(self.table['selected'].sum())} "
            f"expected_selected={self.expected_selected:.4g} seed={self.seed!r}>"
        )

    def _repr_html_(self) -> str:
        # The display has a module of its own (this one is long enough); loaded on use.
        from fairpanel.strategies._display import allocation_html

        return allocation_html(self)

    @property
    def expected_selected(self) -> float:
        """The expected number selected: the sum of the selection probabilities."""
        return float(self.table["selection_probability"].sum())

    def to_dict(self) -> dict[str, Any]:
        """Return the allocation as plain JSON data (records, capacity, certificate)."""
        records = self.table.astype(object).where(self.table.notna(), None)
        return {
            "strategy": self.strategy,
            "seed": self.seed,
            "capacity": self.capacity.to_dict(),
            "params": _jsonable(self.params or {}),
            "n_selected": int(self.table["selected"].sum()),
            "expected_selected": self.expected_selected,
            "tiers": {
                t: self.ids_in_tier(t) for t in ("funded", "lottery", "rejected", "ineligible")
            },
            "allocations": records.to_dict(orient="records"),
            "certificate": None if self.certificate is None else self.certificate.to_dict(),
        }


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    # A rubric (or any named object) is recorded by its name, not its whole content.
    name = getattr(obj, "name", None)
    return name if isinstance(name, str) else repr(obj)


@dataclass(frozen=True, eq=False)
class Prepared:
    """Validated inputs, sorted by ``submission_id`` so row order never matters.

    ``frame`` holds the score table's columns plus ``eligible`` (bool) and ``request``
    (float, NaN without a budget).
    """

    frame: pd.DataFrame
    sign: float = 1.0

    @property
    def merit(self) -> npt.NDArray[np.float64]:
        """``calibrated_score`` oriented so that higher is better (times :attr:`sign`)."""
        return self.sign * self.frame["calibrated_score"].to_numpy(dtype=float)

    @property
    def ids(self) -> npt.NDArray[np.str_]:
        """The submission ids, sorted."""
        return self.frame["submission_id"].to_numpy(dtype=str)


class Strategy(ABC):
    """Base class of the selection rules.

    Subclasses set ``name``, store their parameters in ``__init__`` (same names as
    the arguments, no work), and implement :meth:`allocate`.
    """

    name: ClassVar[str] = "strategy"

    @abstractmethod
    def allocate(
        self,
        scores: pd.DataFrame,
        submissions: pd.DataFrame | None = None,
        *,
        capacity: Capacity | int,
        seed: Seed,
    ) -> Allocation:
        """Select submissions.

        Parameters
        ----------
        scores : DataFrame
            The score table (``SCORE_COLUMNS``; ``calibrated_score`` on the rubric's
            scale, its direction in the ``higher_is_better`` column, see
            :func:`score_direction`; ``expected_rank`` 1 = best; optional ``band``).
        submissions : DataFrame, optional
            The submissions table: needed for a budget (request column) and for
            eligibility (optional boolean ``eligible`` column).
        capacity : Capacity or int
            An int is a count of places.
        seed : int or str
            The seed of any draw and of the Monte Carlo estimates, as its text
            (:func:`fairpanel._seed.seed_text`). ``None`` or a numpy Generator is
            refused even when nothing is drawn: an allocation is published with a seed
            anyone can reuse.

        Returns
        -------
        Allocation
        """

    # ------------------------------------------------------------ scikit-learn style
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Return the constructor parameters (scikit-learn convention)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Strategy:
        """Set constructor parameters; unknown names raise ValueError."""
        valid = set(self._param_names())
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"unknown parameter {key!r}; valid: {sorted(valid)}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # ------------------------------------------------------------ shared helpers
    @staticmethod
    def _capacity(capacity: Capacity | int) -> Capacity:
        if isinstance(capacity, Capacity):
            return capacity
        return Capacity(count=capacity)

    @staticmethod
    def _prepare(
        scores: pd.DataFrame,
        submissions: pd.DataFrame | None,
        capacity: Capacity,
        *,
        required: tuple[str, ...] = ("submission_id", "calibrated_score"),
        rubric: Rubric | None = None,
    ) -> Prepared:
        """Validate the score table (and submissions) and sort it by id."""
        return prepare_inputs(scores, submissions, capacity, required=required, rubric=rubric)

    def _allocate_by_score(
        self,
        prepared: Prepared,
        score: npt.ArrayLike,
        *,
        capacity: Capacity,
        seed: Seed,
    ) -> Allocation:
        """Top-k (or fill the budget) by ``score`` (higher = better), ties by lot.

        For subclasses whose rule is "rank by some score" (the ``ml`` strategy):
        ``score`` is aligned with ``prepared.frame``; ineligible submissions are
        excluded whatever their score.
        """
        from fairpanel.strategies._engine import allocate_blocks, blocks_from_score

        blocks = blocks_from_score(np.asarray(score, dtype=float), prepared.frame["eligible"])
        return allocate_blocks(
            prepared,
            blocks,
            None,
            capacity=capacity,
            seed=seed,
            strategy=self.name,
            params=self.get_params(),
        )


def _as_bool(value: object) -> bool | None:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in {
        "true",
        "false",
        "1",
        "0",
        "yes",
        "no",
    }:
        return value.strip().lower() in {"true", "1", "yes"}
    return None


def prepare_inputs(
    scores: pd.DataFrame,
    submissions: pd.DataFrame | None,
    capacity: Capacity,
    *,
    required: tuple[str, ...] = ("submission_id", "calibrated_score"),
    rubric: Rubric | None = None,
) -> Prepared:
    """Validate the score table (and submissions) and return it sorted by id.

    The returned :attr:`Prepared.sign` orients ``calibrated_score`` (see
    :func:`score_direction`).
    """
    sign = score_direction(scores, rubric)
    for col in required:
        if col not in scores.columns:
            raise FairpanelInputError(ERR_MISSING_COLUMN.format(column=col), hint=HINT_SCORES)
    frame = scores.copy()
    frame["submission_id"] = frame["submission_id"].astype(str)
    dup = frame["submission_id"].duplicated()
    if dup.any():
        sid = frame.loc[dup, "submission_id"].iloc[0]
        raise FairpanelInputError(ERR_DUPLICATE.format(sid=sid), column="submission_id")
    numeric = [c for c in _NUMERIC if c in frame.columns]
    for col in numeric:
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
        if col in required and bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise FairpanelInputError(
                ERR_NOT_NUMERIC.format(
                    column=col, sid=frame["submission_id"].iloc[i], value=frame[col].iloc[i]
                ),
                column=col,
            )
        frame[col] = values.astype(float)
    frame["eligible"] = True
    frame["request"] = np.nan
    if submissions is not None:
        subs = submissions.copy()
        subs["submission_id"] = subs["submission_id"].astype(str)
        subs = subs.drop_duplicates("submission_id").set_index("submission_id")
        unknown = ~frame["submission_id"].isin(subs.index)
        if unknown.any():
            sid = frame.loc[unknown, "submission_id"].iloc[0]
            raise FairpanelInputError(ERR_UNKNOWN_SUBMISSION.format(sid=sid))
        if "eligible" in subs.columns:
            raw = subs["eligible"].reindex(frame["submission_id"]).to_list()
            flags = [_as_bool(v) for v in raw]
            for sid, v, f in zip(frame["submission_id"], raw, flags, strict=True):
                if f is None:
                    raise FairpanelInputError(
                        ERR_ELIGIBLE.format(sid=sid, value=v), column="eligible"
                    )
            frame["eligible"] = np.array(flags, dtype=bool)
    if capacity.is_budget:
        col = str(capacity.request_col)
        if submissions is None:
            raise FairpanelInputError(ERR_NO_SUBMISSIONS.format(column=col))
        if col not in submissions.columns:
            raise FairpanelInputError(ERR_NO_REQUEST_COLUMN.format(column=col), column=col)
        subs_req = submissions.assign(submission_id=submissions["submission_id"].astype(str))
        req_raw: pd.Series = (
            subs_req.drop_duplicates("submission_id")
            .set_index("submission_id")[col]
            .reindex(frame["submission_id"])
        )
        req = pd.to_numeric(req_raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(req) | (req < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise FairpanelInputError(
                ERR_BAD_REQUEST.format(sid=frame["submission_id"].iloc[i], value=req_raw.iloc[i]),
                column=col,
            )
        frame["request"] = req
    frame = frame.sort_values("submission_id", kind="stable").reset_index(drop=True)
    return Prepared(frame, sign)


#: The fixed first columns of every allocation table.
TABLE_COLUMNS: tuple[str, ...] = ALLOCATION_COLUMNS + ALLOCATION_EXTRA_COLUMNS
