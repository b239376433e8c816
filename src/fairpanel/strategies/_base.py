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
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel._seed import Seed
from fairpanel.strategies._allocation import Allocation, Capacity
from fairpanel.strategies._prepare import Prepared, prepare_inputs

__all__ = ["Allocation", "Capacity", "Prepared", "Strategy"]


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
        """Return the constructor parameters (scikit-learn convention).

        Parameters
        ----------
        deep : bool, default True
            Accepted for scikit-learn compatibility. A strategy holds no nested
            estimators, so the result is the same either way.

        Returns
        -------
        dict of str to object
            Each ``__init__`` parameter name and its current value.

        Examples
        --------
        >>> from fairpanel.strategies import LotteryStrategy
        >>> LotteryStrategy(quality_bar="good").get_params()["quality_bar"]
        'good'
        """
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Strategy:
        """Set constructor parameters (scikit-learn convention).

        Values are stored as given, like ``__init__`` does; they are checked when
        :meth:`allocate` runs.

        Parameters
        ----------
        **params : object
            ``__init__`` parameter names (see :meth:`get_params`) and their new values.

        Returns
        -------
        Strategy
            This strategy, changed in place.

        Raises
        ------
        ValueError
            For a name that is not a constructor parameter (the message lists the
            valid ones). Names before it in the call are already set by then.

        Examples
        --------
        >>> from fairpanel.strategies import RankStrategy
        >>> RankStrategy().set_params(n_monte_carlo=500)
        RankStrategy(rubric=None, n_monte_carlo=500)
        """
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

    #: Join the score table to eligibility and requests, sorted by id (see
    #: :func:`~fairpanel.strategies._prepare.prepare_inputs`).
    _prepare = staticmethod(prepare_inputs)

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
