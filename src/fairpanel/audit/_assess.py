"""Which groups each view of an audit could not assess, and why: silence is not a finding.

A suppressed group is not a group without a gap. Every statement about a set of groups
(the reviewer-gap sentence, a summary, a note) names the groups it could not assess
and the reason, so that it never reads as a finding for them. The reasons are read from
the published tables only (what is missing, and the minimum cell size), so naming them
reveals no hidden count. Each view is judged by its own cells: rates by applicants and
selected, a funnel stage by those who reached and passed it, score gaps by the scored
submissions, reviewer gaps by each reviewer's reviews.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

import pandas as pd

if TYPE_CHECKING:
    from fairpanel.audit._result import AuditResult

__all__ = [
    "ASSESS_COLUMNS",
    "NOT_ASSESSABLE",
    "REASON_CELLS",
    "REASON_REFERENCE",
    "REASON_REVIEWS",
    "REASON_SCORED",
    "REASON_STAGE",
    "not_assessable_text",
    "unassessed",
]

ASSESS_COLUMNS: Final[tuple[str, ...]] = ("attribute", "view", "group", "reason")
NOT_ASSESSABLE: Final = "{groups}: not assessable, {reason}"
REASON_CELLS: Final = "cells of fewer than {min_cell} people (or cells that would reveal them)"
REASON_REFERENCE: Final = "its reference group is withheld"
REASON_STAGE: Final = (
    "cells of fewer than {min_cell} people at the stage '{stage}' (or cells that would "
    "reveal them)"
)
REASON_SCORED: Final = "fewer than {min_cell} scored submissions in the group or its reference"
REASON_REVIEWS: Final = "no reviewer has {min_cell} or more reviews of the group"


def _rows(attr: str, view: str, groups: Iterable[str], reason: str) -> list[tuple[str, ...]]:
    return [(attr, view, str(g), reason) for g in dict.fromkeys(groups)]


def _flag(frame: pd.DataFrame) -> pd.Series:
    return frame["suppressed"].astype("boolean").fillna(False).astype(bool)


def unassessed(result: AuditResult) -> pd.DataFrame:
    """Return every group a view of ``result`` could not assess, with the reason.

    Parameters
    ----------
    result : AuditResult
        A published audit (or one read back from its JSON).

    Returns
    -------
    DataFrame
        :data:`ASSESS_COLUMNS`: one row per attribute, view and group the view leaves
        out. ``view`` is ``"rates"`` (the groups table and every comparison of the
        group), ``"comparisons"`` (a published group compared with a withheld
        reference), ``"funnel"``, ``"score_gaps"`` or ``"reviewer_gaps"``.

    Examples
    --------
    >>> from fairpanel.audit import audit_counts
    >>> c = pd.DataFrame({"gender": ["m", "w", "x"], "n": [80, 40, 3], "k": [48, 12, 1]})
    >>> res = audit_counts(c, group_col="gender", applicants_col="n", selected_col="k")
    >>> unassessed(res)[["view", "group"]].values.tolist()
    [['rates', 'w'], ['rates', 'x']]
    """
    m = result.min_cell
    rows: list[tuple[str, ...]] = []
    for attr in result.attributes:
        g = result.groups[result.groups["attribute"] == attr]
        hidden = set(g.loc[_flag(g), "group"].astype(str))
        rows += _rows(attr, "rates", sorted(hidden, key=list(g["group"]).index),
                      REASON_CELLS.format(min_cell=m))  # fmt: skip
        c = result.comparisons[result.comparisons["attribute"] == attr]
        lost = c[c["rate_difference"].isna() & ~c["group"].isin(hidden)]
        rows += _rows(attr, "comparisons", lost["group"].astype(str), REASON_REFERENCE)
        f = result.funnel[result.funnel["attribute"] == attr]
        for stage, part in f.groupby("stage", sort=False):
            gone = part.loc[_flag(part) & ~part["group"].isin(hidden), "group"].astype(str)
            rows += _rows(attr, "funnel", gone, REASON_STAGE.format(min_cell=m, stage=stage))
        s = result.score_gaps[result.score_gaps["attribute"] == attr]
        if len(s):
            no_n = set(g.loc[g["applicants"].isna(), "group"].astype(str))
            gone = s.loc[_flag(s), "group"].astype(str)
            rows += _rows(attr, "score_gaps", [x for x in gone if x in no_n],
                          REASON_CELLS.format(min_cell=m))  # fmt: skip
            rows += _rows(attr, "score_gaps", [x for x in gone if x not in no_n],
                          REASON_SCORED.format(min_cell=m))  # fmt: skip
        r = result.reviewer_gaps[result.reviewer_gaps["attribute"] == attr]
        if len(r):
            shown = set(r.loc[~_flag(r), "group"].astype(str))
            everyone = list(dict.fromkeys([*g["group"].astype(str), *r["group"].astype(str)]))
            gone_r = [x for x in everyone if x not in shown]
            rows += _rows(attr, "reviewer_gaps", gone_r, REASON_REVIEWS.format(min_cell=m))
    return pd.DataFrame(rows, columns=list(ASSESS_COLUMNS))


def not_assessable_text(frame: pd.DataFrame) -> str:
    """Say which groups of ``frame`` (rows of :func:`unassessed`) are not assessable.

    One clause per reason: ``"woman, non-binary: not assessable, cells under 5 (or
    cells that would reveal them)"``; clauses joined by ``"; "``; empty when none.

    Parameters
    ----------
    frame : DataFrame
        Rows of :func:`unassessed`, usually of one attribute and view.
    """
    clauses = []
    for reason, part in frame.groupby("reason", sort=False):
        names = ", ".join(dict.fromkeys(part["group"].astype(str)))
        clauses.append(NOT_ASSESSABLE.format(groups=names, reason=reason))
    return "; ".join(clauses)
