"""An allocation in Jupyter: its tiers, its submissions and their chances of selection.

The body of :meth:`Allocation._repr_html_`: this module knows the allocation's table and
turns it into the tidy blocks :func:`fairpanel.viz.html_summary` draws.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fairpanel.strategies._notes import notes_for
from fairpanel.viz import Block, html_summary

if TYPE_CHECKING:
    from fairpanel.strategies._allocation import Allocation

__all__ = ["allocation_html"]


def allocation_html(allocation: Allocation) -> str:
    """Display an :class:`~fairpanel.strategies.Allocation`: tiers, submissions, chances.

    Shows the capacity, the number selected and expected, the seed; places left unfilled
    and a lottery with no quality bar (:func:`~fairpanel.strategies._notes.notes_for`);
    a count per tier;
    the first submissions with their tier and chance of selection; and, when the table
    carries expected ranks, each submission's chance of selection against its rank.

    Parameters
    ----------
    allocation : Allocation
        The allocation to show.

    Returns
    -------
    str
        An HTML fragment in which every string taken from data is escaped.
    """
    # Imported here: Altair loads slowly, and only a display needs it.
    from fairpanel.viz import probability_by_rank_chart

    t = allocation.table
    cap = allocation.capacity
    tiers = t.groupby("tier", sort=False).agg(
        submissions=("submission_id", "size"), selected=("selected", "sum")
    )
    cols = [
        c
        for c in (
            "submission_id",
            "expected_rank",
            "tier",
            "selected",
            "selection_probability",
            "draw_position",
            "request",
        )
        # draw positions and requests only when there was a draw or a budget
        if c in t.columns and t[c].notna().any()
    ]
    blocks: list[Block] = [
        ("Tiers", tiers.reset_index()),
        ("Submissions, best first", t[cols]),
    ]
    if "expected_rank" in t.columns and t["expected_rank"].notna().any():
        long = t.loc[t["expected_rank"].notna(), ["strategy", "expected_rank"]]
        long = long.assign(selection_probability=t["selection_probability"])
        blocks.append(probability_by_rank_chart(long, id="allocation"))
    what = ("budget", cap.budget) if cap.is_budget else ("capacity", cap.count)
    notes = notes_for(t, strategy=allocation.strategy, capacity=cap, params=allocation.params)
    return html_summary(
        f"Allocation · {allocation.strategy}",
        facts=[
            what,
            ("submissions", len(t)),
            ("selected", int(t["selected"].sum())),
            ("expected selected", allocation.expected_selected),
            ("seed", allocation.seed),
            ("draw certificate", allocation.certificate is not None),
        ],
        notes=[f"{note[0].upper()}{note[1:]}." for note in notes],
        blocks=blocks,
    )
