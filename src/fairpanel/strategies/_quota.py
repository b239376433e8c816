"""The ``quota-lottery`` strategy: a maximin-fair lottery over panels that meet every quota.

Who enters: every eligible submission, or, with ``interval``, the partial lottery's zone
(the submissions above it are funded outright and count towards the quotas first); with
``weights``, only the bands given a weight, each band's weight scaling its members'
target chance, as in the tiered lottery. Among all probability distributions over the
panels that satisfy the quotas, the one that maximises the smallest chance (or, with
``leximin``, the smallest, then the next...) is found by column generation
(:func:`fairpanel.lottery.maximin_distribution`), rounded to a published grid, and one
panel is drawn from it by a hash of the seed (:func:`fairpanel.lottery.draw_panel`).
Each entrant's ``selection_probability`` is its exact chance under the published
distribution.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import ALLOCATION_COLUMNS, SubmissionColumns
from fairpanel._seed import Seed, seed_text
from fairpanel.io import QuotaTable, load_quotas, load_submissions
from fairpanel.lottery import (
    QuotaProblem,
    check_quota_feasibility,
    draw_panel,
    maximin_distribution,
)
from fairpanel.lottery._quota_grid import DEFAULT_GRID
from fairpanel.lottery._quota_problem import ERR_QUOTA_COLUMN
from fairpanel.strategies._allocation import ALLOCATION_EXTRA_COLUMNS, Allocation, Capacity
from fairpanel.strategies._base import Strategy
from fairpanel.strategies._engine import certificate_context
from fairpanel.strategies._rules import PartialLotteryStrategy
from fairpanel.strategies._tiered import TieredLotteryStrategy

if TYPE_CHECKING:
    from fairpanel.rubric import Rubric

__all__ = [
    "ERR_QUOTA_BUDGET",
    "ERR_QUOTA_NEEDS_SUBMISSIONS",
    "ERR_QUOTA_TABLE",
    "QuotaLotteryStrategy",
]

ERR_QUOTA_BUDGET = "the quota lottery draws a number of places: give a count, not a budget"
ERR_QUOTA_NEEDS_SUBMISSIONS = (
    "the quota lottery needs the submissions table with the columns {columns}"
)
HINT_QUOTA_COLUMN = "add the column to the submissions table, or correct the quota's attribute"
ERR_QUOTA_TABLE = "quotas must be a QuotaTable or the path of a quota file; got {value!r}"


class QuotaLotteryStrategy(Strategy):
    """Maximin-fair lottery over the panels that satisfy crossed quotas.

    Parameters
    ----------
    quotas : QuotaTable or path
        The quota rows (``attribute, value, min, max``) and household keys
        (:func:`fairpanel.io.load_quotas`).
    one_per : sequence of str
        More household keys: at most one panel member per value of each column.
    interval : float, optional
        Draw only in the partial lottery's zone at this rank interval; submissions above
        it are funded outright and count towards the quotas. None: every eligible
        submission enters.
    weights : mapping of str to float, optional
        Band weights: only these bands enter, and a band's weight scales its members'
        target chance (maximin of chance / weight).
    tiers : sequence of (float, float), optional
        In place of ``weights``: score thresholds and their weights, as in the tiered
        lottery; only submissions reaching the lowest threshold enter.
    leximin : bool
        After the smallest chance, raise the next smallest, and so on.
    rubric : Rubric, optional
        Bands and the scale's direction, as for the other band rules.
    grid : int
        Panel probabilities are published as multiples of ``1 / grid``.

    Examples
    --------
    >>> import pandas as pd
    >>> from fairpanel.io import Quota, QuotaTable
    >>> scores = pd.DataFrame({"submission_id": list("abcd"), "calibrated_score": [4.0] * 4})
    >>> subs = pd.DataFrame({"submission_id": list("abcd"), "stage": ["early"] + ["late"] * 3})
    >>> rule = QuotaLotteryStrategy(quotas=QuotaTable((Quota("stage", "early", 1),)))
    >>> alloc = rule.allocate(scores, subs, capacity=2, seed="demo")
    >>> alloc.table.set_index("submission_id")["selection_probability"].round(4).to_dict()
    {'a': 1.0, 'b': 0.3334, 'c': 0.3333, 'd': 0.3333}
    """

    name = "quota-lottery"

    def __init__(
        self,
        *,
        quotas: QuotaTable | str | Path | None = None,
        one_per: Sequence[str] = (),
        interval: float | None = None,
        weights: Mapping[str, float] | None = None,
        tiers: Sequence[tuple[float, float]] | None = None,
        leximin: bool = False,
        rubric: Rubric | None = None,
        grid: int = DEFAULT_GRID,
    ) -> None:
        self.quotas = quotas
        self.one_per = one_per
        self.interval = interval
        self.weights = weights
        self.tiers = tiers
        self.leximin = leximin
        self.rubric = rubric
        self.grid = grid

    def _table(self) -> QuotaTable:
        raw: object = self.quotas
        if raw is None:
            table = QuotaTable()
        elif isinstance(raw, QuotaTable):
            table = raw
        elif isinstance(raw, str | Path):
            table = load_quotas(raw)
        else:
            raise ValueError(ERR_QUOTA_TABLE.format(value=raw))
        return table.with_one_per(list(self.one_per))

    def allocate(
        self,
        scores: pd.DataFrame,
        submissions: pd.DataFrame | None = None,
        *,
        capacity: Capacity | int,
        seed: Seed,
    ) -> Allocation:
        """Draw a panel that meets every quota; see the class docstring.

        Parameters
        ----------
        scores : DataFrame
            The score table (``expected_rank`` and the rank interval with ``interval``;
            bands with ``weights``).
        submissions : DataFrame
            The submissions table with every quota column and household key (and
            ``eligible``, when some may not be selected).
        capacity : Capacity or int
            A count of places (a budget is refused).
        seed : int or str
            The published seed of the draw.

        Returns
        -------
        Allocation
            The certificate is a :class:`~fairpanel.lottery.QuotaDrawCertificate`.

        Raises
        ------
        FairpanelInputError
            For a budget, a missing submissions table or column, or quotas no panel can
            satisfy (naming a small set of bounds that conflict).
        """
        text = seed_text(seed)
        quotas = self._table()
        cap = self._capacity(capacity)
        if cap.is_budget:
            raise FairpanelInputError(ERR_QUOTA_BUDGET)
        columns = list(quotas.columns)
        if columns and submissions is None:
            raise FairpanelInputError(ERR_QUOTA_NEEDS_SUBMISSIONS.format(columns=columns))
        zone_rule = (
            None if self.interval is None else PartialLotteryStrategy(interval=self.interval)
        )
        required: tuple[str, ...] = ("submission_id", "calibrated_score")
        if zone_rule is not None:
            required = zone_rule._required(scores)
        prepared = self._prepare(scores, submissions, cap, required=required, rubric=self.rubric)
        frame = prepared.frame
        n, k = len(frame), int(cap.count or 0)
        eligible = frame["eligible"].to_numpy(dtype=bool)
        funded = np.zeros(n, dtype=bool)
        entrant = eligible.copy()
        if zone_rule is not None:
            # The partial lottery's zone: its funded are above the interval's reach.
            blocks, _, zone_columns = zone_rule._blocks(prepared, cap)
            extra = dict(zone_columns or {})
            er = frame["expected_rank"].to_numpy(dtype=float)
            line = np.asarray(extra["funding_line"], dtype=float)
            funded = (blocks >= 0) & (np.asarray(extra["interval_hi"]) < line) & (er != line)
            entrant = (blocks >= 0) & ~funded
        weight = np.ones(n)
        if self.weights is not None or self.tiers is not None:
            band_rule = TieredLotteryStrategy(
                weights=self.weights, tiers=self.tiers, rubric=self.rubric
            )
            band_rule._required(scores)
            tiers, band_weight, _ = band_rule._blocks(prepared, cap)
            entrant &= tiers >= 0
            weight = np.asarray(band_weight, dtype=float)
        groups = _groups(frame, submissions, columns)
        zone = groups[entrant].reset_index(drop=True)
        above = groups[funded].reset_index(drop=True)
        places = max(0, k - int(funded.sum()))
        probability = funded.astype(float)
        selected = funded.copy()
        certificate = None
        if places and entrant.any():
            try:
                problem = QuotaProblem.build(zone, quotas, places=places, funded=above)
                check_quota_feasibility(problem)
            except FairpanelInputError as exc:
                raise exc.with_file(quotas.source) if quotas.source else exc from None
            dist = maximin_distribution(
                problem, weights=weight[entrant], leximin=bool(self.leximin), grid=self.grid
            )
            certificate = draw_panel(
                dist, zone, quotas, places=places, seed=text, funded=above,
                context={"strategy": self.name, "capacity": cap.to_dict(),
                         **certificate_context(self.get_params())},
            )  # fmt: skip
            chance = dict(zip(dist.ids, dist.marginals, strict=True))
            ids = frame["submission_id"].astype(str)
            drawn = set(certificate.selected)
            probability[entrant] = [chance[s] for s in ids[entrant]]
            selected[entrant] = [s in drawn for s in ids[entrant]]
        if certificate is None:  # no place left to draw: the zone is rejected, not drawn
            entrant = np.zeros(n, dtype=bool)
        params = {**self.get_params(), "quotas": quotas.to_dict()}
        return Allocation(
            table=_allocation_table(prepared.sign, frame, entrant, funded, selected, probability,
                                    weight, self.name),
            strategy=self.name,
            seed=text,
            capacity=cap,
            certificate=certificate,
            params=params,
        )  # fmt: skip


def _groups(
    frame: pd.DataFrame, submissions: pd.DataFrame | None, columns: list[str]
) -> pd.DataFrame:
    """Return the submission ids (in ``frame`` order) with their quota columns as text."""
    out = pd.DataFrame({"submission_id": frame["submission_id"].astype(str).to_numpy()})
    if not columns or submissions is None:
        return out
    subs = load_submissions(submissions)
    missing = [c for c in columns if c not in subs.columns]
    if missing:  # named as the quotas' column, not as a --group the user never gave
        raise FairpanelInputError(
            ERR_QUOTA_COLUMN.format(column=missing[0]),
            file=subs.attrs.get("fairpanel_source"),
            column=missing[0],
            hint=HINT_QUOTA_COLUMN,
        )
    subs = load_submissions(subs, columns=SubmissionColumns(groups=tuple(columns)))
    indexed = subs.set_index(subs["submission_id"].astype(str))
    for col in columns:
        out[col] = indexed[col].reindex(out["submission_id"]).astype("string").to_numpy()
    return out


def _allocation_table(
    sign: float,
    frame: pd.DataFrame,
    entrant: npt.NDArray[np.bool_],
    funded: npt.NDArray[np.bool_],
    selected: npt.NDArray[np.bool_],
    probability: npt.NDArray[np.float64],
    weight: npt.NDArray[np.float64],
    strategy: str,
) -> pd.DataFrame:
    """One row per submission, the columns of every allocation, best first."""
    n = len(frame)
    eligible = frame["eligible"].to_numpy(dtype=bool)
    tier = np.where(eligible, "rejected", "ineligible").astype(object)
    tier[entrant] = "lottery"
    tier[funded] = "funded"
    merit = sign * frame["calibrated_score"].to_numpy(dtype=float)
    ids = frame["submission_id"].to_numpy(dtype=str)
    # Order of consideration: the funded by merit, then the drawn panel, then the rest of
    # the zone, each by id after merit; others have none.
    stage = np.select([funded, entrant & selected, entrant], [0, 1, 2], default=3)
    order = np.lexsort((ids, -merit, stage))
    rank = np.zeros(n, dtype=np.int64)
    considered = order[stage[order] < 3]
    rank[considered] = np.arange(1, considered.size + 1)
    data: dict[str, Any] = {
        "submission_id": pd.array(ids, dtype="string"),
        "strategy": pd.array([strategy] * n, dtype="string"),
        "tier": pd.array(tier.astype(str), dtype="string"),
        "selected": selected,
        "selection_probability": probability,
        "draw_position": pd.array([pd.NA] * n, dtype="Int64"),
        "selection_probability_se": np.zeros(n),
        "skipped_budget": np.zeros(n, dtype=bool),
        "rank_position": pd.array(np.where(rank > 0, rank, 0), dtype="Int64"),
        "request": frame["request"].to_numpy(dtype=float),
        "weight": np.where(entrant, weight, np.nan),
    }
    table = pd.DataFrame(data)
    table.loc[rank <= 0, "rank_position"] = pd.NA
    for col in ("calibrated_score", "expected_rank", "band"):
        if col in frame.columns:
            table[col] = frame[col].to_numpy()
    if "expected_rank" in table.columns:
        table = table.sort_values(["expected_rank", "submission_id"], kind="stable")
    else:
        table = table.assign(_s=-merit).sort_values(["_s", "submission_id"], kind="stable")
        table = table.drop(columns="_s")
    first = list(ALLOCATION_COLUMNS + ALLOCATION_EXTRA_COLUMNS)
    return table[first + [c for c in table.columns if c not in first]].reset_index(drop=True)
