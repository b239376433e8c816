"""One interface for every selection rule: scores + capacity + seed → :class:`Allocation`.

A strategy is a plain object in the scikit-learn manner: ``__init__`` stores its
parameters and does nothing else; :meth:`Strategy.allocate` validates them and does the
work. Every strategy reduces to the same shape — an ordered list of *priority blocks*
(submissions in an earlier block are considered first; within a block the order is drawn
by lot) — so that budgets, ties and draws are handled once, in :mod:`._engine`.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._seed import Seed
from fairpanel.rubric import Rubric
from fairpanel.strategies._allocation import (
    ALLOCATION_EXTRA_COLUMNS,
    TABLE_COLUMNS,
    Allocation,
    Capacity,
)
from fairpanel.strategies._direction import score_direction

__all__ = [
    "ALLOCATION_EXTRA_COLUMNS",
    "TABLE_COLUMNS",
    "Allocation",
    "Capacity",
    "Prepared",
    "Strategy",
]

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
