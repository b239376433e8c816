"""Build a strategy from its name and options, as the CLI and notebooks both do.

Which options each strategy takes is :data:`fairpanel._schema.STRATEGY_OPTIONS`: an
option given to a strategy that does not use it is refused by name rather than ignored,
so ``--interval 0.9`` with ``--strategy lottery`` cannot pass unnoticed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import DEFAULT_INTERVAL, STRATEGY_NAMES, STRATEGY_OPTIONS
from fairpanel.rubric import Rubric
from fairpanel.strategies._base import Strategy
from fairpanel.strategies._rules import (
    LotteryStrategy,
    PartialLotteryStrategy,
    RankStrategy,
    TieredLotteryStrategy,
)

__all__ = [
    "ERR_ML_NEEDS_HISTORY",
    "ERR_OPTION",
    "ERR_UNKNOWN_STRATEGY",
    "ERR_WEIGHTS_TEXT",
    "make_strategy",
    "parse_quality_bar",
    "parse_weights",
]

ERR_UNKNOWN_STRATEGY = "unknown strategy {name!r}; the strategies are {names}"
ERR_OPTION = "--{option} is not used by the {strategy} strategy"
ERR_WEIGHTS_TEXT = "--weights must look like 'excellent=3,very good=2,good=1'; got {value!r}"
ERR_ML_NEEDS_HISTORY = (
    "the ml strategy learns from past cycles: build it with fairpanel.ml.MLStrategy(...)"
    ".fit(history), or on the command line give --history"
)
#: The command-line spelling of each option (the library's keyword has underscores).
_FLAG: Final = {"quality_bar": "quality-bar", "interval": "interval", "weights": "weights"}


def parse_weights(text: str) -> dict[str, float]:
    """Parse band weights written as text.

    Parameters
    ----------
    text : str
        ``"band=weight"`` pairs separated by commas; band names may hold spaces.

    Returns
    -------
    dict of str to float

    Raises
    ------
    FairpanelInputError
        If a pair has no ``=``, an empty band name or a weight that is not a finite number.

    Examples
    --------
    >>> parse_weights("excellent=3, very good=2")
    {'excellent': 3.0, 'very good': 2.0}
    """
    out: dict[str, float] = {}
    for part in text.split(","):
        band, sep, value = part.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not sep or not band.strip() or not math.isfinite(number):
            raise FairpanelInputError(ERR_WEIGHTS_TEXT.format(value=text), field="weights")
        out[band.strip()] = number
    return out


def parse_quality_bar(text: str | float | None) -> str | float | None:
    """Read a quality bar: a finite number is a score threshold, other text a band name.

    Parameters
    ----------
    text : str, float or None
        What the user wrote (``"4.5"``, ``"very good"``) or a number.

    Returns
    -------
    str, float or None

    Examples
    --------
    >>> parse_quality_bar("4.5"), parse_quality_bar("very good"), parse_quality_bar("nan")
    (4.5, 'very good', 'nan')
    """
    if text is None or isinstance(text, float | int):
        return text
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) else text


def make_strategy(
    name: str,
    *,
    quality_bar: str | float | None = None,
    interval: float | None = None,
    weights: str | Mapping[str, float] | None = None,
    rubric: Rubric | None = None,
) -> Strategy:
    """Build one of the rule-based strategies from its name and options.

    Parameters
    ----------
    name : {"rank", "lottery", "partial-lottery", "tiered-lottery"}
        The strategy (:data:`fairpanel._schema.STRATEGY_NAMES`; ``ml`` needs a history
        and is built with :class:`fairpanel.ml.MLStrategy`).
    quality_bar : str or float, optional
        ``lottery`` only: a band name or a score threshold (text is read by
        :func:`parse_quality_bar`).
    interval : float, optional
        ``partial-lottery`` only: the rank-interval level (default 0.5).
    weights : str or mapping, optional
        ``tiered-lottery`` only: band weights, as a mapping or as text for
        :func:`parse_weights`.
    rubric : Rubric, optional
        Gives the band order and the scale's direction to the strategies that use them.

    Returns
    -------
    Strategy

    Raises
    ------
    FairpanelInputError
        For an unknown name, the ml strategy, or an option the strategy does not use.

    Examples
    --------
    >>> make_strategy("partial-lottery", interval=0.9)
    PartialLotteryStrategy(interval=0.9, n_monte_carlo=10000)
    >>> make_strategy("rank", interval=0.9)
    Traceback (most recent call last):
    ...
    fairpanel._errors.FairpanelInputError: --interval is not used by the rank strategy
    """
    if name not in STRATEGY_NAMES:
        raise FairpanelInputError(
            ERR_UNKNOWN_STRATEGY.format(name=name, names=", ".join(STRATEGY_NAMES))
        )
    given = {"quality_bar": quality_bar, "interval": interval, "weights": weights}
    for option, value in given.items():
        if value is not None and option not in STRATEGY_OPTIONS[name]:
            raise FairpanelInputError(ERR_OPTION.format(option=_FLAG[option], strategy=name))
    if name == "rank":
        return RankStrategy(rubric=rubric)
    if name == "lottery":
        return LotteryStrategy(quality_bar=parse_quality_bar(quality_bar), rubric=rubric)
    if name == "partial-lottery":
        return PartialLotteryStrategy(interval=DEFAULT_INTERVAL if interval is None else interval)
    if name == "tiered-lottery":
        table = parse_weights(weights) if isinstance(weights, str) else weights
        return TieredLotteryStrategy(weights=table, rubric=rubric)
    raise FairpanelInputError(ERR_ML_NEEDS_HISTORY)
