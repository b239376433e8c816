"""What ``fairpanel audit`` prints: a short table of group rates and flags per attribute.

Presentation only: every number comes from the :class:`~fairpanel.audit.AuditResult`
(its ``groups`` and ``comparisons``), and a cell the audit withheld is printed as
"suppressed", never recomputed. Group names come from the user's file, so every cell is
plain text (no Rich markup is read from it).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, Any

from rich import box
from rich.table import Table
from rich.text import Text

from fairpanel._words import words
from fairpanel.cli._guard import console

if TYPE_CHECKING:
    from fairpanel.audit import AuditResult

__all__ = ["FLAG", "print_audit", "rate_tables"]

#: What the flag column says of a group below four fifths of its reference's rate.
FLAG = "below 4/5"
_COLUMNS = ("group", "applicants", "selected", "rate (95% CI)", "AIR", "flag")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _count(row: Mapping[Hashable, Any], key: str) -> str:
    value: Any = row.get(key)
    if _missing(value):
        return "suppressed" if row.get("suppressed") else "–"
    return str(int(value))


def _pct(value: Any) -> str:
    return "–" if _missing(value) else f"{100 * float(value):.1f}%"


def _rate(row: Mapping[Hashable, Any]) -> str:
    if row.get("suppressed") or _missing(row.get("selection_rate")):
        return "suppressed" if row.get("suppressed") else "–"
    low, high = _pct(row.get("rate_ci_low")), _pct(row.get("rate_ci_high"))
    return f"{_pct(row['selection_rate'])} ({low.removesuffix('%')}–{high})"


def rate_tables(result: AuditResult) -> list[Table]:
    """Return one Rich table per attribute: each group's rate, its AIR and its flag.

    A group's adverse-impact ratio (AIR) is its rate over its reference group's; the
    flag marks one below four fifths (the EEOC rule of thumb).

    Parameters
    ----------
    result : AuditResult
        The audit.
    """
    tables = []
    groups = result.groups.to_dict("records")
    comparisons = result.comparisons.to_dict("records")
    for attr in result.attributes:
        against = {str(c["group"]): c for c in comparisons if c["attribute"] == attr}
        references = {str(c["reference"]) for c in against.values()}
        ref = f"{next(iter(references))}'s" if len(references) == 1 else "its reference's"
        table = Table(
            title=f"Selection by {words(attr)} (AIR: each group's rate as a share of {ref})",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        rows = [g for g in groups if g["attribute"] == attr]
        # a group's name is never cut: the other columns are short by design
        longest = min(max((len(str(g["group"])) for g in rows), default=5), 24)
        for column in _COLUMNS:
            left = column in ("group", "flag")
            table.add_column(
                column,
                justify="left" if left else "right",
                no_wrap=column != "group",
                min_width=longest if column == "group" else None,
            )
        for g in rows:
            name = str(g["group"])
            c = against.get(name, {})
            air: Any = c.get("adverse_impact_ratio")
            if name in references and not c:
                air_text = "reference"
            else:
                air_text = "–" if _missing(air) else f"{float(air):.2f}"
            flag = FLAG if c.get("four_fifths_flag") is True else ""
            cells = (name, _count(g, "applicants"), _count(g, "selected"), _rate(g))
            table.add_row(*(Text(v) for v in (*cells, air_text, flag)))
        tables.append(table)
    return tables


def print_audit(result: AuditResult, seed: str) -> None:
    """Print the audit's summary to the console: the stamp, the tables, what is missing.

    Parameters
    ----------
    result : AuditResult
        The audit.
    seed : str
        The seed the audit's intervals used.
    """
    from fairpanel._schema import internal_stamp
    from fairpanel.audit._assess import not_assessable_text, unassessed

    internal = internal_stamp(result.min_cell)
    if internal is not None:
        console.print(internal.upper(), markup=False)
    for table in rate_tables(result):
        console.print(table)
    un = unassessed(result)
    # silence is not a finding: a comparison the audit could not make is named, with why
    for row in result.comparisons.to_dict("records"):
        if not _missing(row.get("adverse_impact_ratio")):
            continue
        why = un[(un["attribute"] == row["attribute"]) & (un["group"] == row["group"])
                 & un["view"].isin(["rates", "comparisons"])]  # fmt: skip
        text = "not assessable" + (f", {why['reason'].iloc[0]}" if len(why) else "")
        said = f"{words(row['attribute'])}: {row['group']} vs {row['reference']}: {text}"
        console.print(said, markup=False)
    for (attr, view), part in un[~un["view"].isin(["rates", "comparisons"])].groupby(
        ["attribute", "view"], sort=False
    ):
        said = f"{words(attr)}: {words(view)}: {not_assessable_text(part)}"
        console.print(said, markup=False)
    console.print(f"seed: {seed!r}", markup=False)
