"""The tiered lottery: a weighted draw, the weight set by each submission's band.

The bands are the rubric's (or the score table's ``band`` column), weighted by name
(``weights``), or tiers drawn on the calibrated score at thresholds the committee gives
(``tiers``: ``--tiers "3.5:3,3.0:1"``). Tiers are the same model as a rubric's bands,
which are thresholds on the same score: a submission belongs to the best tier whose
threshold it reaches, and one below every threshold does not enter, as a band with no
weight does not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import DEFAULT_TIER_WEIGHTS
from fairpanel.strategies._bands import (
    ERR_UNKNOWN_WEIGHT_BAND,
    HINT_WEIGHT_BANDS,
    bands_of,
    fold,
    match_band,
)
from fairpanel.strategies._base import Capacity, Prepared
from fairpanel.strategies._rules import _SCORE_COLUMNS, Blocks, _BlockRule

if TYPE_CHECKING:
    from fairpanel.rubric import Rubric

__all__ = [
    "ERR_TIERS",
    "ERR_TIERS_AND_WEIGHTS",
    "ERR_TIER_DUPLICATE",
    "ERR_TIER_WEIGHT",
    "ERR_WEIGHTS",
    "TieredLotteryStrategy",
    "check_tiers",
    "tier_weights",
]

ERR_WEIGHTS = "weights must map band names to finite numbers >= 0; got {value!r}"
ERR_TIERS = "tiers must be (score threshold, weight) pairs of finite numbers; got {value!r}"
ERR_TIER_WEIGHT = (
    "the tier at {threshold:g} has weight {weight:g}: a tier's weight must be greater than "
    "0 (leave the tier out to keep its submissions out of the draw)"
)
ERR_TIER_DUPLICATE = "the tier threshold {threshold:g} is given twice"
ERR_TIERS_AND_WEIGHTS = "give band weights (--weights) or tiers (--tiers), not both"
#: The field the tier errors name (the CLI's --tiers).
_FIELD: Final = "tiers"


def _number(value: object) -> float | None:
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    return float(value) if ok and math.isfinite(float(value)) else None  # type: ignore[arg-type]


def check_tiers(tiers: object) -> tuple[tuple[float, float], ...]:
    """Check tiers and return them as ``(threshold, weight)`` pairs of floats, as given.

    Parameters
    ----------
    tiers : sequence of (float, float)
        Score thresholds and their weights; a JSON file's lists of two numbers too.

    Returns
    -------
    tuple of (float, float)

    Raises
    ------
    FairpanelInputError
        For something that is not pairs of finite numbers, a weight that is not above 0,
        or a threshold given twice.

    Examples
    --------
    >>> check_tiers([[3.5, 3], (3.0, 1)])
    ((3.5, 3.0), (3.0, 1.0))
    """
    pairs = list(tiers) if isinstance(tiers, Sequence) and not isinstance(tiers, str) else []
    out: list[tuple[float, float]] = []
    for pair in pairs:
        ok = isinstance(pair, Sequence) and not isinstance(pair, str) and len(pair) == 2
        threshold, weight = (_number(pair[0]), _number(pair[1])) if ok else (None, None)
        if threshold is None or weight is None:
            raise FairpanelInputError(ERR_TIERS.format(value=tiers), field=_FIELD)
        if weight <= 0:
            raise FairpanelInputError(
                ERR_TIER_WEIGHT.format(threshold=threshold, weight=weight), field=_FIELD
            )
        if any(threshold == t for t, _ in out):
            raise FairpanelInputError(ERR_TIER_DUPLICATE.format(threshold=threshold), field=_FIELD)
        out.append((threshold, weight))
    if not out:
        raise FairpanelInputError(ERR_TIERS.format(value=tiers), field=_FIELD)
    return tuple(out)


def tier_weights(
    merit: npt.NDArray[np.float64], sign: float, tiers: Sequence[tuple[float, float]]
) -> npt.NDArray[np.float64]:
    """Each submission's weight: that of the best tier it reaches, 0 below every tier.

    Parameters
    ----------
    merit : array of float
        The calibrated score oriented so that higher is better (``sign`` times it).
    sign : float
        +1 on a higher-is-better scale, -1 on a lower-is-better one: "reaches 3.0" is
        ``>= 3.0`` on the first and ``<= 3.0`` on the second.
    tiers : sequence of (float, float)
        Thresholds on the scale and their weights (:func:`check_tiers`).

    Examples
    --------
    >>> tier_weights(np.array([4.0, 3.5, 3.2, 2.0]), 1.0, [(3.5, 3.0), (3.0, 1.0)]).tolist()
    [3.0, 3.0, 1.0, 0.0]
    """
    weights = np.zeros(merit.shape)
    # From the lowest tier up, so that the best tier a submission reaches is the last set.
    for threshold, weight in sorted(tiers, key=lambda tw: sign * tw[0]):
        weights[merit >= sign * threshold] = weight
    return weights


class TieredLotteryStrategy(_BlockRule):
    """Weighted lottery without replacement, the weight set by each submission's band.

    Parameters
    ----------
    weights : mapping of str to float
        Selection weight per band (default excellent 3, very good 2, good 1). Bands not
        listed, or with weight 0, do not enter. Band names match ignoring case and extra
        spaces; a name that is not a band (of the rubric, else of the score table's
        ``band`` column) is refused, so that a typo cannot silently exclude a band. The
        default weights skip that check (a rubric may have other band names).
    tiers : sequence of (float, float), optional
        In place of ``weights``: bands drawn on ``calibrated_score`` at these thresholds,
        each with its weight (> 0): a submission enters with the weight of the best tier
        whose threshold it reaches (``>=`` on a higher-is-better scale, ``<=`` on a
        lower-is-better one); below every threshold it does not enter. The lowest
        threshold is thus the quality bar.
    rubric : Rubric, optional
        Computes bands from ``calibrated_score`` when the table has no ``band`` column,
        lists the known bands, and gives the direction of the scale.
    n_monte_carlo : int
        Replicates for probabilities under a budget.

    Notes
    -----
    The draw is successive sampling proportional to weight (Efraimidis–Spirakis keys).
    With a count of places the inclusion probabilities are exact
    (:func:`fairpanel.lottery.inclusion_probabilities`); they are not proportional to the
    weights, because weighted sampling without replacement is not.

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"submission_id": list("abcd"),
    ...                        "calibrated_score": [4.0, 3.6, 3.1, 2.0]})
    >>> alloc = TieredLotteryStrategy(tiers=[(3.5, 3), (3.0, 1)]).allocate(
    ...     scores, capacity=2, seed="demo")
    >>> alloc.table.set_index("submission_id")["weight"].tolist()
    [3.0, 3.0, 1.0, nan]
    """

    name = "tiered-lottery"

    def __init__(
        self,
        *,
        weights: Mapping[str, float] | None = None,
        tiers: Sequence[tuple[float, float]] | None = None,
        rubric: Rubric | None = None,
        n_monte_carlo: int = 10_000,
    ) -> None:
        self.weights = weights
        self.tiers = tiers
        self.rubric = rubric
        self.n_monte_carlo = n_monte_carlo

    def _weights(self) -> dict[str, float]:
        raw: object = DEFAULT_TIER_WEIGHTS if self.weights is None else self.weights
        if not isinstance(raw, Mapping) or not raw:
            raise ValueError(ERR_WEIGHTS.format(value=raw))
        out: dict[str, float] = {}
        for band, value in raw.items():
            number = _number(value)
            if number is None or number < 0:
                raise ValueError(ERR_WEIGHTS.format(value=dict(raw)))
            out[str(band)] = number
        return out

    def _required(self, scores: pd.DataFrame) -> tuple[str, ...]:
        # Bad weights or tiers are refused before the tables are read.
        if self.tiers is not None:
            if self.weights is not None:
                raise FairpanelInputError(ERR_TIERS_AND_WEIGHTS, field=_FIELD)
            check_tiers(self.tiers)
        else:
            self._weights()
        return _SCORE_COLUMNS

    def _blocks(self, prepared: Prepared, capacity: Capacity) -> Blocks:
        if self.tiers is not None:
            w = tier_weights(prepared.merit, prepared.sign, check_tiers(self.tiers))
        else:
            w = self._band_weights(prepared)
        return np.where(w > 0, 0, -1), np.where(w > 0, w, 1.0), None

    def _band_weights(self, prepared: Prepared) -> npt.NDArray[np.float64]:
        table = self._weights()
        bands = bands_of(prepared, self.rubric)
        known = (
            [b.name for b in self.rubric.bands]
            if self.rubric is not None
            else sorted({str(b) for b in bands if b is not None})
        )
        by_band: dict[str, float] = {}
        for name, weight in table.items():
            if self.weights is not None:
                band = match_band(
                    name,
                    known,
                    message=ERR_UNKNOWN_WEIGHT_BAND,
                    field="weights",
                    hint=None if self.rubric is not None else HINT_WEIGHT_BANDS,
                )
            else:
                band = next((b for b in known if fold(b) == fold(name)), name)
            by_band[band] = weight
        return np.array([by_band.get(str(b), 0.0) if b is not None else 0.0 for b in bands])
