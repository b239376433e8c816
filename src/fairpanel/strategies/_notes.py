"""What a committee must be told about an allocation beyond who was selected.

Two things a rule can do quietly: fill fewer places than it has (the quality bar is high,
or too few submissions are eligible), and draw among every eligible submission because
nothing kept the weak ones out (a lottery with no quality bar). Both follow from the
allocation table, its strategy, capacity and parameters, so they are computed here
once: for an :class:`~fairpanel.strategies.Allocation` in memory, for one read back
from JSON, and for an allocation CSV with its certificate (whose context records the
capacity and parameters), which is how the report meets them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd

from fairpanel.lottery import DrawCertificate, QuotaDrawCertificate

__all__ = [
    "NO_BAR",
    "NO_BAR_HINT",
    "Unfilled",
    "allocation_notes",
    "certificate_for",
    "lacks_quality_bar",
    "notes_for",
    "unfilled_places",
]

#: How each rule's entrants are named in "only 17 submissions ...": (one, several).
_ENTRY: Final[Mapping[str, tuple[str, str]]] = {
    "lottery": ("passes the quality bar", "pass the quality bar"),
    "tiered-lottery": (
        "is in a band or tier with a weight",
        "are in a band or tier with a weight",
    ),
    "quota-lottery": ("enters the quota lottery", "enter the quota lottery"),
}
_ENTRY_OTHER: Final = ("meets the rule's conditions", "meet the rule's conditions")
#: Why a lottery has no quality bar, by strategy: said by allocate and the report.
NO_BAR: Final[Mapping[str, str]] = {
    "lottery": (
        "the lottery has no quality bar: every eligible submission entered the draw with "
        "the same chance, however weak its scores"
    ),
    "quota-lottery": (
        "the quota lottery has no quality bar: every eligible submission entered the draw, "
        "however weak its scores"
    ),
    "partial-lottery": (
        "the partial lottery's zone has no bar: it reaches the lowest-ranked eligible "
        "submission, so the scores kept none out of the draw"
    ),
}
#: What to give on the command line for a bar, by strategy.
NO_BAR_HINT: Final[Mapping[str, str]] = {
    "lottery": "give --quality-bar (a band name or a score)",
    "quota-lottery": "give --interval, --weights or --tiers",
    "partial-lottery": "a narrower --interval (score --interval-levels) draws a smaller zone",
}


@dataclass(frozen=True)
class Unfilled:
    """Places a rule left empty under a count of places.

    Attributes
    ----------
    places : int
        The capacity.
    filled : int
        How many were selected.
    reason : str
        Why, in words: ``"only 17 submissions pass the quality bar"``.

    Examples
    --------
    >>> Unfilled(20, 17, "only 17 submissions pass the quality bar").sentence()
    '3 of 20 places unfilled: only 17 submissions pass the quality bar'
    """

    places: int
    filled: int
    reason: str

    @property
    def unfilled(self) -> int:
        """The number of empty places."""
        return self.places - self.filled

    def sentence(self) -> str:
        """Say it in one line, as the console and the report do."""
        return f"{self.unfilled} of {self.places} places unfilled: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: ``places``, ``filled``, ``unfilled`` and ``reason``."""
        return {
            "places": self.places,
            "filled": self.filled,
            "unfilled": self.unfilled,
            "reason": self.reason,
        }


def _count(capacity: object) -> int | None:
    """Return the count of places of a Capacity or of its JSON form; None for a budget."""
    if isinstance(capacity, Mapping):
        count = capacity.get("count")
    else:
        count = getattr(capacity, "count", None)
    return int(count) if isinstance(count, int) and not isinstance(count, bool) else None


def _only(n: int, phrase: tuple[str, str]) -> str:
    return f"only {n} submission {phrase[0]}" if n == 1 else f"only {n} submissions {phrase[1]}"


def unfilled_places(table: pd.DataFrame, *, strategy: str, capacity: object) -> Unfilled | None:
    """Return the places an allocation left empty, with the reason; None if it filled them.

    Parameters
    ----------
    table : DataFrame
        The allocation table (``tier``, ``selected``).
    strategy : str
        The strategy's name, which says what kept submissions out.
    capacity : Capacity or mapping
        A count of places (a budget is not a number of places: None).

    Returns
    -------
    Unfilled or None

    Examples
    --------
    >>> t = pd.DataFrame({"tier": ["funded", "funded", "rejected"],
    ...                   "selected": [True, True, False]})
    >>> unfilled_places(t, strategy="lottery", capacity={"count": 5}).sentence()
    '3 of 5 places unfilled: only 2 submissions pass the quality bar'
    """
    places = _count(capacity)
    filled = int(table["selected"].astype(bool).sum())
    if places is None or filled >= places:
        return None
    eligible = int((table["tier"] != "ineligible").sum())
    if eligible > filled:  # the rule kept some eligible submissions out
        reason = _only(filled, _ENTRY.get(strategy, _ENTRY_OTHER))
    elif eligible < len(table):
        reason = _only(eligible, ("is eligible", "are eligible"))
    else:
        reason = _only(len(table), ("was scored", "were scored"))
    return Unfilled(places, filled, reason)


def lacks_quality_bar(
    table: pd.DataFrame, *, strategy: str, params: Mapping[str, Any] | None
) -> bool:
    """Whether a lottery drew with nothing keeping weak submissions out.

    A uniform lottery without ``quality_bar``, a quota lottery without ``weights`` or
    ``tiers`` and without ``interval`` (or whose zone at that interval reaches the
    lowest-ranked eligible submission), and a partial lottery whose zone does. Without the parameters (an allocation CSV alone) a lottery
    counts as without a bar when no eligible submission was kept out of it.

    Parameters
    ----------
    table : DataFrame
        The allocation table (``tier``).
    strategy : str
        The strategy's name.
    params : mapping or None
        The strategy's parameters (None: unknown).

    Examples
    --------
    >>> t = pd.DataFrame({"tier": ["lottery", "lottery", "rejected"]})
    >>> lacks_quality_bar(t, strategy="lottery", params={"quality_bar": None})
    True
    >>> lacks_quality_bar(t, strategy="partial-lottery", params={"interval": 0.5})
    False
    """
    if strategy not in NO_BAR:
        return False
    tiers = table["tier"]
    none_kept_out = bool((tiers == "lottery").any()) and not bool((tiers == "rejected").any())
    if strategy == "partial-lottery" or params is None:
        return none_kept_out
    if strategy == "lottery":
        return params.get("quality_bar") is None
    if params.get("weights") is not None or params.get("tiers") is not None:
        return False
    # A quota lottery in the partial lottery's zone has a bar when that zone does.
    return params.get("interval") is None or none_kept_out


def _ids(table: pd.DataFrame, mask: pd.Series) -> set[str]:
    return set(table.loc[mask, "submission_id"].astype(str))


def certificate_for(table: pd.DataFrame, certificates: Sequence[Any]) -> Any | None:
    """Return the certificate (of those given) that records this allocation's draw.

    Matched by strategy and by who was in the lottery (a weighted draw, or the no-draw
    certificate of an allocation with no lottery tier) or who was drawn (a quota
    lottery's panel).

    Parameters
    ----------
    table : DataFrame
        The allocation table.
    certificates : sequence
        Draw certificates (:class:`~fairpanel.lottery.DrawCertificate` or
        :class:`~fairpanel.lottery.QuotaDrawCertificate`).

    Returns
    -------
    certificate or None
    """
    strategy = str(table["strategy"].iloc[0]) if len(table) else ""
    lottery = _ids(table, table["tier"] == "lottery")
    selected = _ids(table, table["selected"].astype(bool))
    for cert in certificates:
        context = getattr(cert, "context", {}) or {}
        if context.get("strategy") != strategy:
            continue
        if isinstance(cert, DrawCertificate) and {sid for sid, _ in cert.entrants} == lottery:
            return cert
        if isinstance(cert, QuotaDrawCertificate) and set(cert.selected) <= selected:
            return cert
    return None


def notes_for(
    table: pd.DataFrame,
    *,
    strategy: str,
    capacity: object = None,
    params: Mapping[str, Any] | None = None,
) -> list[str]:
    """Return what a reader must be told about an allocation, one sentence each.

    Parameters
    ----------
    table : DataFrame
        The allocation table.
    strategy : str
        The strategy's name.
    capacity : Capacity or mapping, optional
        The capacity (unknown: no sentence on unfilled places).
    params : mapping, optional
        The strategy's parameters (unknown: judged from the table).

    Returns
    -------
    list of str
        Sentences without a final full stop.
    """
    out = []
    unfilled = unfilled_places(table, strategy=strategy, capacity=capacity)
    if unfilled is not None:
        out.append(
            f"{unfilled.unfilled} of its {unfilled.places} places were left unfilled, "
            f"because {unfilled.reason}"
        )
    if lacks_quality_bar(table, strategy=strategy, params=params):
        out.append(NO_BAR[strategy])
    return out


def allocation_notes(
    allocations: Sequence[Any], certificates: Sequence[Any] = ()
) -> list[list[str]]:
    """Return :func:`notes_for` of each allocation, as the report shows them.

    Parameters
    ----------
    allocations : sequence
        :class:`~fairpanel.strategies.Allocation` objects (which know their capacity
        and parameters) or allocation tables (which are matched to one of
        ``certificates`` by :func:`certificate_for` for theirs).
    certificates : sequence
        The draw certificates given with the tables.

    Returns
    -------
    list of list of str
        One list of sentences per allocation, in order.
    """
    out: list[list[str]] = []
    for alloc in allocations:
        # A frame's attributes are its columns: only an Allocation is asked for its own.
        table = alloc if isinstance(alloc, pd.DataFrame) else alloc.table
        if not len(table):
            out.append([])
            continue
        if not isinstance(alloc, pd.DataFrame):
            out.append(
                notes_for(
                    table,
                    strategy=alloc.strategy,
                    capacity=alloc.capacity,
                    params=alloc.params or {},
                )
            )
            continue
        strategy = str(table["strategy"].iloc[0])
        cert = certificate_for(table, certificates)
        context = getattr(cert, "context", None) or {}
        # A certificate that records no parameters (an older quota lottery's) says
        # nothing about the bar: the table judges.
        params = context.get("params") if "params" in context else None
        out.append(
            notes_for(table, strategy=strategy, capacity=context.get("capacity"), params=params)
        )
    return out
