"""The column contract of every table fairpanel reads or writes (re-exported by ``_schema``).

Loaders in :mod:`fairpanel.io` check a file against its :class:`TableSpec`; the docs'
table of columns is made from :data:`TABLES`. No pandas here: the CLI imports it at start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "ERR_INTERVAL_LEVEL",
    "INTERVAL_LEVELS",
    "TABLES",
    "TIERS",
    "Column",
    "ColumnKind",
    "TableSpec",
    "interval_columns",
    "parse_interval_levels",
]

#: The rank-interval levels every score table carries (``rank_lo50`` … ``rank_hi90``);
#: ``fairpanel score --interval-levels`` adds others, named the same way.
INTERVAL_LEVELS: Final = (0.5, 0.9)
ERR_INTERVAL_LEVEL = (
    "a rank interval's level must be a whole percentage between 1% and 99% "
    "(0.8 for 80%); got {value!r}"
)


def interval_columns(level: object) -> tuple[str, str]:
    """Name the score table's columns of the rank interval at ``level``.

    The name carries the level in whole percent (``rank_lo80``, ``rank_hi80``), so only
    whole percentages between 1 and 99 have a column.

    Parameters
    ----------
    level : float
        The interval's level, a probability (0.8 for the 80% interval).

    Returns
    -------
    (str, str)
        The lower and upper bound's column.

    Raises
    ------
    ValueError
        For anything else than a whole percentage between 1% and 99%.

    Examples
    --------
    >>> interval_columns(0.8)
    ('rank_lo80', 'rank_hi80')
    >>> interval_columns(0.805)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: a rank interval's level must be a whole percentage ...; got 0.805
    """
    ok = isinstance(level, int | float) and not isinstance(level, bool) and 0 < level < 1
    pct = round(100 * float(level)) if ok else 0  # type: ignore[arg-type]
    if not ok or not 1 <= pct <= 99 or abs(100 * float(level) - pct) > 1e-9:  # type: ignore[arg-type]
        raise ValueError(ERR_INTERVAL_LEVEL.format(value=level))
    return f"rank_lo{pct}", f"rank_hi{pct}"


#: An allocation's tiers, best first.
TIERS: Final[tuple[str, ...]] = ("funded", "lottery", "rejected", "ineligible")

ColumnKind = Literal["id", "text", "number", "count", "bool", "probability", "tier"]


@dataclass(frozen=True)
class Column:
    """One column of a table fairpanel reads or writes.

    Parameters
    ----------
    name : str
        fairpanel's own name for it (a user's file may name it otherwise and say so
        with a ``--…-col`` option).
    kind : {"id", "text", "number", "count", "bool", "probability", "tier"}
        How a loader reads it: ids and text stay text; numbers must be finite; counts
        whole and at least 0; bools through :func:`parse_bool`; probabilities in
        [0, 1]; tiers one of :data:`TIERS`.
    required : bool
        Whether the loader refuses a table without it.
    meaning : str
        One line for the docs.
    """

    name: str
    kind: ColumnKind
    required: bool = True
    meaning: str = ""


@dataclass(frozen=True)
class TableSpec:
    """The contract of one table: its columns, who writes it, what one row is.

    Parameters
    ----------
    name : str
        The table's name in errors when no file is known (``"scores"``).
    row : str
        What one row is (``"one submission"``).
    written_by : str
        The command that writes it, or ``"the committee"`` for inputs.
    columns : tuple of Column
    """

    name: str
    row: str
    written_by: str
    columns: tuple[Column, ...]

    @property
    def required(self) -> tuple[str, ...]:
        """The names of the required columns, in order."""
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        """Return the column called ``name`` (KeyError if the table has none)."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def parse_interval_levels(text: str) -> tuple[float, ...]:
    """Read interval levels written as text, comma-separated (``"0.8"``, ``"0.8, 0.95"``).

    Parameters
    ----------
    text : str
        The levels as probabilities.

    Returns
    -------
    tuple of float
        Each level, checked by :func:`interval_columns`.

    Raises
    ------
    ValueError
        For a part that is not a number, or a level with no column name.

    Examples
    --------
    >>> parse_interval_levels("0.8, 0.95")
    (0.8, 0.95)
    """
    levels = []
    for part in text.split(","):
        try:
            level = float(part)
        except ValueError:
            raise ValueError(ERR_INTERVAL_LEVEL.format(value=part.strip())) from None
        interval_columns(level)
        levels.append(level)
    return tuple(levels)


_RANK_BOUNDS = tuple(
    Column(name, "number", False, f"{level:.0%} rank interval")
    for level in INTERVAL_LEVELS
    for name in interval_columns(level)
)

#: Every table fairpanel reads or writes, by name.
TABLES: Final[Mapping[str, TableSpec]] = {
    "reviews": TableSpec(
        "reviews",
        "one reviewer's score of one criterion of one submission",
        "the committee",
        (
            Column("submission_id", "id"),
            Column("reviewer_id", "id"),
            Column("criterion", "text", False, "absent: each row is one overall grade"),
            Column("score", "number"),
            Column("conflict", "bool", False, "a declared conflict of interest"),
        ),
    ),
    "submissions": TableSpec(
        "submissions",
        "one submission",
        "the committee",
        (
            Column("submission_id", "id"),
            Column("eligible", "bool", False, "false: never selected, whatever the score"),
            Column(
                "pi",
                "id",
                False,
                "distributed review: the reviewer id of the submission's PI, who may not "
                "review it",
            ),
        ),
    ),
    "scores": TableSpec(
        "scores",
        "one submission",
        "fairpanel score",
        (
            Column("submission_id", "id"),
            Column("n_reviews", "count", False),
            Column("mean_score", "number", False),
            Column("calibrated_score", "number", True, "on the rubric's own scale"),
            Column("score_se", "number", False),
            Column("expected_rank", "number", False, "1 is the best"),
            *_RANK_BOUNDS,
            Column("sucra", "probability", False),
            Column("band", "text", False, "the rubric's holistic band"),
            Column("higher_is_better", "bool", False, "the scale's direction, one value"),
        ),
    ),
    "allocation": TableSpec(
        "allocation",
        "one submission",
        "fairpanel allocate",
        (
            Column("submission_id", "id"),
            Column("strategy", "text"),
            Column("tier", "tier"),
            Column("selected", "bool"),
            Column("selection_probability", "probability"),
            Column("draw_position", "number", False, "order drawn; empty if not drawn"),
            Column("selection_probability_se", "number", False, "0 where exact"),
            Column("skipped_budget", "bool", False),
            Column("rank_position", "number", False),
            Column("request", "number", False),
        ),
    ),
    "decisions": TableSpec(
        "decisions",
        "one applicant",
        "the committee, or fairpanel allocate",
        (
            Column("submission_id", "id", False, "refused when repeated"),
            Column("selected", "bool", True, "or the columns named as stages"),
        ),
    ),
    "counts": TableSpec(
        "counts",
        "one group (and stratum)",
        "the committee (a published table)",
        (
            Column("group", "text"),
            Column("applicants", "count"),
            Column("selected", "count", True, "at most applicants"),
        ),
    ),
    "certificate": TableSpec(
        "certificate",
        "one lottery entrant",
        "fairpanel allocate --certificate (as JSON records)",
        (
            Column("submission_id", "id"),
            Column("weight", "number", True, "relative chance; refused if not finite and > 0"),
            Column("draw_position", "count", True, "order of the hash keys"),
            Column("drawn", "bool", True, "within the places"),
        ),
    ),
}
