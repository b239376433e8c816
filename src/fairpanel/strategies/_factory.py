"""Build a strategy from its name and options, as the CLI and notebooks both do.

Which options each strategy takes is :data:`fairpanel._schema.STRATEGY_OPTIONS`: an
option given to a strategy that does not use it is refused by name rather than ignored,
so ``--interval 0.9`` with ``--strategy lottery`` cannot pass unnoticed. What a strategy
cannot run without is :data:`STRATEGY_NEEDS`. :func:`check_strategy_options` checks both,
and the capacity, before any table is read (the ``ml`` strategy, built in
:mod:`fairpanel.ml`, is checked here too). Messages name each option as the command line
spells it (``quality_bar`` is ``--quality-bar``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import DEFAULT_INTERVAL, STRATEGY_NAMES, STRATEGY_OPTIONS
from fairpanel.strategies._base import Strategy
from fairpanel.strategies._quota import QuotaLotteryStrategy
from fairpanel.strategies._rules import LotteryStrategy, PartialLotteryStrategy, RankStrategy
from fairpanel.strategies._tiered import (
    ERR_TIERS_AND_WEIGHTS,
    TieredLotteryStrategy,
    check_tiers,
)

if TYPE_CHECKING:
    # Annotations only: the rubric package (YAML, templates) loads when a rubric is read.
    from fairpanel.io import QuotaTable
    from fairpanel.rubric import Rubric

__all__ = [
    "ERR_CAPACITY",
    "ERR_ML_NEEDS_HISTORY",
    "ERR_NEEDS",
    "ERR_OPTION",
    "ERR_REQUEST_COL",
    "ERR_TIERS_TEXT",
    "ERR_UNKNOWN_STRATEGY",
    "ERR_WEIGHTS_TEXT",
    "STRATEGY_NEEDS",
    "check_strategy_options",
    "make_strategy",
    "parse_quality_bar",
    "parse_tiers",
    "parse_weights",
]

ERR_UNKNOWN_STRATEGY = "unknown strategy {name!r}; the strategies are {names}"
ERR_OPTION = "--{option} is not used by the {strategy} strategy"
ERR_WEIGHTS_TEXT = "--weights must look like 'excellent=3,very good=2,good=1'; got {value!r}"
ERR_TIERS_TEXT = (
    "--tiers must be score threshold:weight pairs separated by commas, like "
    "'3.5:3,3.0:1'; got {value!r}"
)
ERR_ML_NEEDS_HISTORY = (
    "the ml strategy learns from past cycles: build it with fairpanel.ml.MLStrategy(...)"
    ".fit(history), or on the command line give --history"
)
ERR_NEEDS = "--strategy {strategy} needs --{option} ({why})"
ERR_CAPACITY = "give exactly one of --capacity N or --budget B (with --request-col)"
ERR_REQUEST_COL = "--budget needs --request-col (the submissions column of each request)"
#: What a strategy cannot run without, besides the scores and a capacity, and why.
STRATEGY_NEEDS: Final[Mapping[str, Mapping[str, str]]] = {
    "ml": {
        "history": "past cycles with features and decisions",
        "submissions": "the new cycle's features",
    },
    "quota-lottery": {
        "quotas": "the quota table: attribute, value, min, max",
        "submissions": "each submission's group values",
    },
}
#: Every option some strategy takes and another does not.
_OPTIONS: Final = frozenset().union(*STRATEGY_OPTIONS.values())


def _flag(option: str) -> str:
    """Spell an option as the command line does (the library's keyword has underscores)."""
    return option.replace("_", "-")


def _refuse_options(name: str, options: Mapping[str, object]) -> None:
    """Refuse an unknown strategy, and an option given (not None) that it does not use."""
    if name not in STRATEGY_NAMES:
        raise FairpanelInputError(
            ERR_UNKNOWN_STRATEGY.format(name=name, names=", ".join(STRATEGY_NAMES))
        )
    for option, value in options.items():
        if value is not None and option in _OPTIONS and option not in STRATEGY_OPTIONS[name]:
            raise FairpanelInputError(ERR_OPTION.format(option=_flag(option), strategy=name))


def check_strategy_options(
    name: str,
    *,
    count: int | None = None,
    budget: float | None = None,
    request_col: str | None = None,
    **options: object,
) -> None:
    """Check a strategy's options before any table is read.

    Parameters
    ----------
    name : str
        The strategy (:data:`fairpanel._schema.STRATEGY_NAMES`).
    count, budget : optional
        The capacity: exactly one of a count of places and a budget.
    request_col : str, optional
        The submissions column of each request; a budget needs it.
    **options : object
        The other options by keyword (``quality_bar``, ``interval``, ``weights``,
        ``history``, ``mitigation``, ``exclude``, ``submissions``…); None is not given.

    Raises
    ------
    FairpanelInputError
        For an unknown strategy, an option it does not use
        (:data:`~fairpanel._schema.STRATEGY_OPTIONS`), one it needs and lacks
        (:data:`STRATEGY_NEEDS`), a capacity that is not one count or one budget, or
        tiers that :func:`parse_tiers` refuses or that come with band weights.

    Examples
    --------
    >>> check_strategy_options("partial-lottery", count=5, interval=0.9)
    >>> check_strategy_options("rank", count=5, history="past.csv")
    Traceback (most recent call last):
    ...
    fairpanel._errors.FairpanelInputError: --history is not used by the rank strategy
    """
    _refuse_options(name, options)
    if (count is None) == (budget is None):
        raise FairpanelInputError(ERR_CAPACITY)
    for option, why in STRATEGY_NEEDS.get(name, {}).items():
        if options.get(option) is None:
            raise FairpanelInputError(
                ERR_NEEDS.format(strategy=name, option=_flag(option), why=why)
            )
    if budget is not None and request_col is None:
        raise FairpanelInputError(ERR_REQUEST_COL)
    tiers = options.get("tiers")
    if tiers is not None:  # read before any table, as the other options are checked
        if options.get("weights") is not None:
            raise FairpanelInputError(ERR_TIERS_AND_WEIGHTS, field="tiers")
        if isinstance(tiers, str):
            parse_tiers(tiers)


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


def parse_tiers(text: str) -> tuple[tuple[float, float], ...]:
    """Parse tiers written as text: ``"threshold:weight"`` pairs separated by commas.

    ``"3.5:3,3.0:1"`` draws submissions scoring at least 3.5 with weight 3 and those
    from 3.0 to below 3.5 with weight 1; the rest do not enter (see
    :class:`~fairpanel.strategies.TieredLotteryStrategy`).

    Parameters
    ----------
    text : str
        The pairs, in any order.

    Returns
    -------
    tuple of (float, float)
        ``(threshold, weight)`` in the order given.

    Raises
    ------
    FairpanelInputError
        For a pair without ``:`` or with a part that is not a finite number, a weight
        that is not above 0, or a threshold given twice.

    Examples
    --------
    >>> parse_tiers("3.5:3, 3.0:1")
    ((3.5, 3.0), (3.0, 1.0))
    >>> parse_tiers("3.5:3,3.5:1")
    Traceback (most recent call last):
    ...
    fairpanel._errors.FairpanelInputError: field 'tiers': the tier threshold 3.5 is given twice
    """
    pairs: list[tuple[float, float]] = []
    for part in text.split(","):
        threshold, sep, weight = part.partition(":")
        try:
            pair = (float(threshold), float(weight))
        except ValueError:
            pair = (math.nan, math.nan)
        if not sep or not all(map(math.isfinite, pair)):
            # The message names --tiers itself: no field to add.
            raise FairpanelInputError(ERR_TIERS_TEXT.format(value=text))
        pairs.append(pair)
    return check_tiers(pairs)


def make_strategy(
    name: str,
    *,
    quality_bar: str | float | None = None,
    interval: float | None = None,
    weights: str | Mapping[str, float] | None = None,
    tiers: str | Sequence[Sequence[float]] | None = None,
    rubric: Rubric | None = None,
    quotas: QuotaTable | str | Path | None = None,
    one_per: Sequence[str] | None = None,
    leximin: bool | None = None,
) -> Strategy:
    """Build one of the rule-based strategies from its name and options.

    Parameters
    ----------
    name : {"rank", "lottery", "partial-lottery", "tiered-lottery", "quota-lottery"}
        The strategy (:data:`fairpanel._schema.STRATEGY_NAMES`; ``ml`` needs a history
        and is built with :class:`fairpanel.ml.MLStrategy`).
    quality_bar : str or float, optional
        ``lottery`` only: a band name or a score threshold (text is read by
        :func:`parse_quality_bar`).
    interval : float, optional
        ``partial-lottery``: the rank-interval level (default 0.5); ``quota-lottery``:
        draw only in that zone (default: every eligible submission enters).
    weights : str or mapping, optional
        ``tiered-lottery`` and ``quota-lottery``: band weights, as a mapping or as text
        for :func:`parse_weights`.
    tiers : str or sequence of (float, float), optional
        ``tiered-lottery`` and ``quota-lottery``, in place of ``weights``: score
        thresholds and their weights, as pairs or as text for :func:`parse_tiers`.
    rubric : Rubric, optional
        Gives the band order and the scale's direction to the strategies that use them.
    quotas : QuotaTable or path, optional
        ``quota-lottery`` only: the quota table (:func:`fairpanel.io.load_quotas`).
    one_per : sequence of str, optional
        ``quota-lottery`` only: household keys (at most one per value).
    leximin : bool, optional
        ``quota-lottery`` only: leximin rather than maximin.

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
    _refuse_options(
        name,
        {
            "quality_bar": quality_bar,
            "interval": interval,
            "weights": weights,
            "tiers": tiers,
            "quotas": quotas,
            "one_per": one_per or None,
            "leximin": leximin or None,
        },
    )
    if name == "rank":
        return RankStrategy(rubric=rubric)
    if name == "lottery":
        return LotteryStrategy(quality_bar=parse_quality_bar(quality_bar), rubric=rubric)
    if name == "partial-lottery":
        return PartialLotteryStrategy(interval=DEFAULT_INTERVAL if interval is None else interval)
    table = parse_weights(weights) if isinstance(weights, str) else weights
    steps = None if tiers is None else _tiers(tiers)
    if name == "tiered-lottery":
        return TieredLotteryStrategy(weights=table, tiers=steps, rubric=rubric)
    if name == "quota-lottery":
        return QuotaLotteryStrategy(
            quotas=quotas,
            one_per=tuple(one_per or ()),
            interval=interval,
            weights=table,
            tiers=steps,
            leximin=bool(leximin),
            rubric=rubric,
        )
    raise FairpanelInputError(ERR_ML_NEEDS_HISTORY)


def _tiers(tiers: str | Sequence[Sequence[float]]) -> tuple[tuple[float, float], ...]:
    """Tiers as pairs: text is parsed; pairs (a certificate's JSON lists) are checked."""
    return parse_tiers(tiers) if isinstance(tiers, str) else check_tiers(tiers)
