"""The built-in selection rules: rank, lottery and partial lottery.

The tiered lottery builds on the same base in :mod:`._tiered`. Each rule only says which submissions compete, in which priority blocks, with which
weights; :func:`fairpanel.strategies._engine.allocate_blocks` does the rest.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import DEFAULT_INTERVAL, INTERVAL_LEVELS, interval_columns
from fairpanel._seed import Seed
from fairpanel.strategies._bands import band_order, bands_of, match_band
from fairpanel.strategies._base import Allocation, Capacity, Prepared, Strategy
from fairpanel.strategies._engine import _fill_budget, allocate_blocks, blocks_from_score

if TYPE_CHECKING:
    # Annotations only: the rubric package (YAML, templates) loads when a rubric is read.
    from fairpanel.rubric import Rubric

__all__ = ["Blocks", "LotteryStrategy", "PartialLotteryStrategy", "RankStrategy"]

ERR_QUALITY_BAR = "quality_bar must be a band name or a finite score threshold; got {value!r}"
ERR_NO_INTERVAL = "the score table has no {pct}% rank interval (columns {columns})"
HINT_NO_INTERVAL = "score the reviews again with --interval-levels {level:g}"
ERR_N_MC = "n_monte_carlo must be an integer >= 100; got {value!r}"
ERR_RANK_COLUMNS = "the partial lottery needs the columns {columns} in the score table"
#: The columns every rule reads from the score table.
_SCORE_COLUMNS: Final = ("submission_id", "calibrated_score")

#: What a rule returns for :func:`allocate_blocks`: the priority block of each submission
#: (-1: does not compete), the lottery weights (None: uniform) and extra table columns.
Blocks = tuple[
    npt.NDArray[np.int64], npt.NDArray[np.float64] | None, dict[str, npt.NDArray[Any]] | None
]


def _check_n_mc(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 100:
        raise ValueError(ERR_N_MC.format(value=value))
    return int(value)


class _BlockRule(Strategy):
    """A rule that only says who competes, in which priority block, with which weight.

    :meth:`allocate` is the same for every such rule: check the parameters, join the
    inputs, ask the rule for its blocks, and let :func:`allocate_blocks` draw and fill.
    """

    n_monte_carlo: int
    rubric: Rubric | None = None

    def _required(self, scores: pd.DataFrame) -> tuple[str, ...]:
        """Check the rule's own parameters; return the score columns it reads."""
        return _SCORE_COLUMNS

    @abstractmethod
    def _blocks(self, prepared: Prepared, capacity: Capacity) -> Blocks:
        """Return the priority blocks, weights and extra columns of the prepared inputs."""

    def allocate(
        self,
        scores: pd.DataFrame,
        submissions: pd.DataFrame | None = None,
        *,
        capacity: Capacity | int,
        seed: Seed,
    ) -> Allocation:
        """Select submissions by the rule; see the class docstring.

        Parameters
        ----------
        scores : DataFrame
            The score table: ``submission_id`` and ``calibrated_score`` (on the rubric's
            scale, its direction from the ``higher_is_better`` column or the rubric);
            a ``band`` column for the band rules without a rubric; ``expected_rank`` and
            the chosen rank interval for the partial lottery.
        submissions : DataFrame, optional
            Eligibility (``eligible``) and, under a budget, each submission's request.
        capacity : Capacity or int
            A count of places (an int) or a budget, as for :meth:`Strategy.allocate`.
        seed : int or str
            The published seed of any draw; ``None`` or a Generator is refused.

        Returns
        -------
        Allocation
            One row per submission with its tier, selection and selection probability;
            the certificate of the draw, when one was needed.
        """
        n_mc = _check_n_mc(self.n_monte_carlo)
        required = self._required(scores)
        cap = self._capacity(capacity)
        prepared = self._prepare(scores, submissions, cap, required=required, rubric=self.rubric)
        blocks, weights, extra = self._blocks(prepared, cap)
        return allocate_blocks(
            prepared, blocks, weights, capacity=cap, seed=seed, strategy=self.name,
            params=self.get_params(), n_monte_carlo=n_mc, extra=extra,
        )  # fmt: skip


class RankStrategy(_BlockRule):
    """Top-k by calibrated score; exact ties at the funding line are broken by lot.

    Submissions with a strictly better score than the tied group at the line are funded
    (probability 1); the tied group draws the remaining places (probability
    ``places / n_tied``, exact); the rest are rejected. Row order never breaks a tie.
    "Better" follows the scale: on a lower-is-better scale (AIBS 1-40, 1 = best) the
    lowest scores are funded (see :func:`~fairpanel.strategies._direction.score_direction`).

    Parameters
    ----------
    rubric : Rubric, optional
        Gives the direction of the scale when the score table has no
        ``higher_is_better`` column (and must agree with it when it has one).
    n_monte_carlo : int
        Replicates for probabilities under a budget.

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"submission_id": ["a", "b", "c"],
    ...                        "calibrated_score": [5.0, 4.0, 4.0]})
    >>> alloc = RankStrategy().allocate(scores, capacity=2, seed="demo")
    >>> alloc.table["selection_probability"].tolist()
    [1.0, 0.5, 0.5]
    """

    name = "rank"

    def __init__(self, *, rubric: Rubric | None = None, n_monte_carlo: int = 10_000) -> None:
        self.rubric = rubric
        self.n_monte_carlo = n_monte_carlo

    def _blocks(self, prepared: Prepared, capacity: Capacity) -> Blocks:
        return blocks_from_score(prepared.merit, prepared.frame["eligible"]), None, None


class LotteryStrategy(_BlockRule):
    """Uniform lottery among all submissions at or above a quality bar.

    Parameters
    ----------
    quality_bar : str, float or None
        A band name (that band and every better one enter; case and extra spaces are
        ignored) or a threshold on ``calibrated_score``: submissions scoring at least as
        well as the threshold enter (``>=`` on a higher-is-better scale, ``<=`` on a
        lower-is-better one). None: every eligible submission enters.
    rubric : Rubric, optional
        Gives the band order (and the bands, if the score table has no ``band`` column)
        and the direction of the scale. Without it, bands are ordered by the best
        calibrated score within them.
    n_monte_carlo : int
        Replicates for probabilities under a budget.

    Notes
    -----
    With a count of ``k`` places and ``n`` entrants each entrant's probability is exactly
    ``min(1, k / n)``. This is the rule of the NZ Health Research Council's Explorer
    grants and the British Academy's small grants.
    """

    name = "lottery"

    def __init__(
        self,
        *,
        quality_bar: str | float | None = None,
        rubric: Rubric | None = None,
        n_monte_carlo: int = 10_000,
    ) -> None:
        self.quality_bar = quality_bar
        self.rubric = rubric
        self.n_monte_carlo = n_monte_carlo

    def _entrants(self, prepared: Prepared) -> npt.NDArray[np.bool_]:
        frame = prepared.frame
        merit = prepared.merit
        bar: object = self.quality_bar
        if bar is None:
            return np.ones(len(frame), dtype=bool)
        if isinstance(bar, str):
            bands = bands_of(prepared, self.rubric)
            order = band_order(bands, merit, self.rubric)
            name = match_band(bar, order)
            ok = set(order[: order.index(name) + 1])
            return np.array([b in ok for b in bands], dtype=bool)
        if isinstance(bar, bool) or not isinstance(bar, int | float) or not math.isfinite(bar):
            raise ValueError(ERR_QUALITY_BAR.format(value=bar))
        # "At or above the bar" means at least as good as the bar, whichever way the
        # scale runs: on AIBS's 1-40 (1 = best), bar 8 admits scores <= 8.
        return merit >= prepared.sign * float(bar)

    def _blocks(self, prepared: Prepared, capacity: Capacity) -> Blocks:
        return np.where(self._entrants(prepared), 0, -1), None, None


class PartialLotteryStrategy(_BlockRule):
    """The SNSF partial lottery: draw only where the ranking cannot decide.

    With ``k`` places the funding line is the expected rank of the ``k``-th eligible
    submission in expected-rank order (Heyard et al. 2022, as in the SNSF's
    ERforResearch code). With each submission's rank credible interval ``[lo, hi]``
    (50% or 90%):

    - ``hi < line`` — the whole interval lies above the line: **funded**;
    - ``lo > line`` — the whole interval lies below the line: **rejected**;
    - otherwise the interval contains the line (or the expected rank equals it):
      **lottery**, drawing the ``k - funded``
      remaining places uniformly; each entrant's probability is exactly
      ``remaining / n_lottery``.

    Funded submissions with tied expected ranks share a priority block (ties by lot).
    Under a budget the line is placed where filling the budget in expected-rank order
    stops; the funded are then taken in expected-rank order and the lottery in draw
    order until the budget runs out.

    Parameters
    ----------
    interval : float
        Which rank interval decides: 0.5 (``rank_lo50``/``rank_hi50``), 0.9, or any whole
        percentage whose bounds the score table has (``fairpanel score
        --interval-levels 0.8`` writes ``rank_lo80``/``rank_hi80``).
    n_monte_carlo : int
        Replicates for probabilities under a budget.

    References
    ----------
    Heyard, R., Ott, M., Salanti, G. & Egger, M. (2022). Rethinking the funding line at
    the Swiss National Science Foundation: Bayesian ranking and lottery. *Statistics and
    Public Policy* 9(1), 110–121.
    """

    name = "partial-lottery"

    def __init__(self, *, interval: float = DEFAULT_INTERVAL, n_monte_carlo: int = 10_000) -> None:
        self.interval = interval
        self.n_monte_carlo = n_monte_carlo

    def _interval_columns(self) -> tuple[str, str]:
        return interval_columns(self.interval)

    def _required(self, scores: pd.DataFrame) -> tuple[str, ...]:
        bounds = self._interval_columns()
        needed = (*_SCORE_COLUMNS, "expected_rank", *bounds)
        missing = [c for c in needed if c not in scores.columns]
        if missing and self.interval not in INTERVAL_LEVELS and set(missing) <= set(bounds):
            # Only the level is missing: the table was scored without it.
            raise FairpanelInputError(
                ERR_NO_INTERVAL.format(pct=round(100 * self.interval), columns=", ".join(bounds)),
                hint=HINT_NO_INTERVAL.format(level=self.interval),
            )
        if missing:
            raise FairpanelInputError(ERR_RANK_COLUMNS.format(columns=missing))
        return needed

    def _blocks(self, prepared: Prepared, capacity: Capacity) -> Blocks:
        lo_col, hi_col = self._interval_columns()
        frame = prepared.frame
        eligible = frame["eligible"].to_numpy(dtype=bool)
        er = frame["expected_rank"].to_numpy(dtype=float)
        lo = frame[lo_col].to_numpy(dtype=float)
        hi = frame[hi_col].to_numpy(dtype=float)
        line = _funding_line(er, eligible, frame, capacity)
        # As in ERforResearch: the submission whose expected rank *is* the line always
        # enters the lottery, even when its (quantile) interval happens to exclude it.
        on_line = er == line
        funded = eligible & (hi < line) & ~on_line
        rejected = eligible & (lo > line) & ~on_line
        lottery = eligible & ~funded & ~rejected
        # Funded: one block per distinct expected rank (best first); lottery: one block after.
        blocks = np.full(len(frame), -1, dtype=np.int64)
        fb = blocks_from_score(-er, funded)
        blocks[funded] = fb[funded]
        n_funded_blocks = int(fb.max()) + 1 if funded.any() else 0
        blocks[lottery] = n_funded_blocks
        extra = {
            "funding_line": np.full(len(frame), line),
            "interval_lo": lo,
            "interval_hi": hi,
        }
        return blocks, None, extra


def _funding_line(
    er: npt.NDArray[np.float64],
    eligible: npt.NDArray[np.bool_],
    frame: pd.DataFrame,
    capacity: Capacity,
) -> float:
    """Return the expected rank of the last submission a pure expected-rank fill would fund."""
    idx = np.flatnonzero(eligible)
    if idx.size == 0:
        return math.inf
    order = idx[np.lexsort((frame["submission_id"].to_numpy(dtype=str)[idx], er[idx]))]
    if capacity.is_budget:
        taken, _ = _fill_budget(
            frame["request"].to_numpy(dtype=float)[order], float(capacity.budget or 0)
        )
        k = int(np.flatnonzero(taken)[-1]) + 1 if taken.any() else 0
    else:
        k = int(capacity.count or 0)
    if k == 0:
        return -math.inf
    return float(er[order[min(k, order.size) - 1]])
