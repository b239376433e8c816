"""What a report's inputs hold: their tables, and how the scores were ranked.

Kept apart from :mod:`fairpanel.report._build` so the builder reads as the order of the
sections; these are the small decisions about the inputs it makes first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from fairpanel.report._build import ReportInputs

__all__ = ["input_tables", "panel_col_of"]


def input_tables(
    inputs: ReportInputs,
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, list[pd.DataFrame]]:
    """Return the score table, the leniency table and the allocation tables of the inputs."""
    scores = inputs.scores
    reviewers = inputs.reviewers
    if scores is not None and not isinstance(scores, pd.DataFrame):
        reviewers = scores.reviewers if reviewers is None else reviewers
        scores = scores.table
    if reviewers is not None and _no_leniency(reviewers):
        reviewers = None  # ranked reviews: a table of zeros would read as "no leniency"
    allocations = [a if isinstance(a, pd.DataFrame) else a.table for a in inputs.allocations]
    return scores, reviewers, allocations


def _no_leniency(reviewers: pd.DataFrame) -> bool:
    """Tell whether a leniency table holds no estimate: every leniency and error exactly 0.

    A ranking carries no leniency (``score --review-type ranks`` writes zeros), so
    there is no spread of leniency to show.
    """
    cols = [c for c in ("leniency", "leniency_se") if c in reviewers.columns]
    if len(cols) < 2 or not len(reviewers):
        return False
    values = reviewers[cols].apply(pd.to_numeric, errors="coerce")
    return bool((values == 0).all().all())


def panel_col_of(inputs: ReportInputs) -> str | None:
    """Return the panel column given, else the one a per-panel allocation records."""
    if inputs.panel_col is not None:
        return inputs.panel_col
    for alloc in inputs.allocations:
        params = None if isinstance(alloc, pd.DataFrame) else alloc.params
        if params and params.get("panel_col"):
            return str(params["panel_col"])
    return None
