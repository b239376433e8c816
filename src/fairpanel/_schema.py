"""The column contracts shared by modules, the CLI and the JSON outputs.

These names are a public interface (committees script against them, reports are compared
across years): add columns, never rename them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

__all__ = [
    "ALLOCATION_COLUMNS",
    "SCORE_COLUMNS",
    "TIERS",
    "ReviewColumns",
    "SubmissionColumns",
    "Tier",
]


@dataclass(frozen=True)
class ReviewColumns:
    """Column names of a reviews table (long format: one row per criterion score).

    The defaults are fairpanel's own; the SNSF files, for instance, need
    ``ReviewColumns(submission="proposal", reviewer="assessor", score="num_grade")``.
    ``criterion`` may be absent from a file: every row is then one overall grade.

    ``reviewer`` may name several columns, comma-separated (``"section,assessor"``) or
    as a tuple (for a column whose name holds a comma): the reviewer id is then their
    values joined with ``/`` (``"A/v_1"``), for files whose reviewer ids repeat across
    sections, as voter ids do in the SNSF MINT file.

    Examples
    --------
    >>> ReviewColumns(reviewer="section, assessor").reviewer_columns
    ('section', 'assessor')
    >>> ReviewColumns().reviewer_columns
    ('reviewer_id',)
    """

    submission: str = "submission_id"
    reviewer: str | tuple[str, ...] = "reviewer_id"
    criterion: str = "criterion"
    score: str = "score"
    conflict: str = "conflict"

    @property
    def reviewer_columns(self) -> tuple[str, ...]:
        """The column(s) whose values, in this order, make the reviewer id."""
        if not isinstance(self.reviewer, str):
            return tuple(self.reviewer)
        parts = tuple(part.strip() for part in self.reviewer.split(","))
        return tuple(part for part in parts if part) or (self.reviewer,)


@dataclass(frozen=True)
class SubmissionColumns:
    """Column names of a submissions table (one row per submission).

    ``groups`` are the group attributes (gender, career stage, …); ``request`` the
    requested resource (observing hours, money) when capacity is a budget.
    """

    submission: str = "submission_id"
    groups: tuple[str, ...] = field(default_factory=tuple)
    request: str | None = None


Tier = Literal["funded", "lottery", "rejected", "ineligible"]
TIERS: Final[tuple[str, ...]] = ("funded", "lottery", "rejected", "ineligible")

#: One row per submission, written by ``fairpanel score``. Rank 1 is the best.
SCORE_COLUMNS: Final[tuple[str, ...]] = (
    "submission_id",
    "n_reviews",
    "mean_score",
    "calibrated_score",
    "score_se",
    "expected_rank",
    "rank_lo50",
    "rank_hi50",
    "rank_lo90",
    "rank_hi90",
    "sucra",
)

#: One row per submission, written by ``fairpanel allocate``.
ALLOCATION_COLUMNS: Final[tuple[str, ...]] = (
    "submission_id",
    "strategy",
    "tier",
    "selected",
    "selection_probability",
    "draw_position",
)
