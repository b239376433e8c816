"""The score views of an audit: score and reviewer gaps, withheld with the tables' groups."""

from __future__ import annotations

from dataclasses import replace
from typing import Final

import pandas as pd

from fairpanel._schema import SCORE_DIRECTION
from fairpanel.audit._inputs import REVIEWS, SCORES, check_columns, tagged
from fairpanel.audit._notes import NOTE_DIRECTION
from fairpanel.audit._publish import hide_score_rows
from fairpanel.audit._result import AuditResult
from fairpanel.audit._reviewers import reviewer_gaps
from fairpanel.audit._scores import resolve_sign, score_gaps

__all__ = ["with_score_views"]

#: Level of the reviewer gaps' Holm-adjusted tests.
_ALPHA: Final[float] = 0.05


def with_score_views(
    result: AuditResult,
    scores: pd.DataFrame | None,
    reviews: pd.DataFrame | None,
    source: pd.DataFrame,
    *,
    source_table: str,
    groups: list[str],
    min_cell: int,
    higher_is_better: bool | None,
) -> AuditResult:
    """Add the score and reviewer gaps, withholding rows about groups the tables hide."""
    check_columns(source, ["submission_id"], table=source_table)
    with tagged(SCORES):
        sign = resolve_sign(scores, higher_is_better)
    hidden = result.groups[result.groups["suppressed"].astype(bool)]
    g = result.groups
    no_n = {
        (str(a), str(x))
        for a, x, n in zip(g["attribute"], g["group"], g["applicants"], strict=True)
        if pd.isna(n)
    }
    sg, rg = result.score_gaps, result.reviewer_gaps
    notes = list(result.notes)
    if scores is not None:
        with tagged(SCORES):
            sg = pd.concat(
                [
                    score_gaps(
                        scores,
                        source,
                        groups=[attr],
                        min_cell=min_cell,
                        higher_is_better=sign > 0,
                        # a withheld reference would withhold every gap
                        avoid=hidden.loc[hidden["attribute"] == attr, "group"].tolist(),
                    )
                    for attr in groups
                ],
                ignore_index=True,
            )
    if reviews is not None:
        with tagged(REVIEWS):
            rg = reviewer_gaps(
                reviews,
                source,
                groups=groups,
                min_cell=min_cell,
                higher_is_better=sign > 0,
                withheld=no_n,
            )
        known = higher_is_better is not None or (
            scores is not None and SCORE_DIRECTION in scores.columns
        )
        if not known:
            notes.append(NOTE_DIRECTION)
    sg, rg = hide_score_rows(sg, rg, result.groups, alpha=_ALPHA)
    return replace(result, score_gaps=sg, reviewer_gaps=rg, notes=tuple(notes))
