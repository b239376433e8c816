"""The column contracts shared by modules, the CLI and the JSON outputs.

These names are a public interface (committees script against them, reports are compared
across years): add columns, never rename them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    # Only annotated here: importing pandas would slow every command's start.
    import pandas as pd

__all__ = [
    "ALLOCATION_COLUMNS",
    "SCORE_COLUMNS",
    "SCORE_DIRECTION",
    "TIERS",
    "ReviewColumns",
    "SubmissionColumns",
    "Tier",
    "score_sign",
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

#: Column of the score table saying whether higher scores are better (constant per table).
SCORE_DIRECTION: Final = "higher_is_better"

ERR_DIRECTION = (
    "column 'higher_is_better' must hold one value, true or false, for every row; got {values}"
)
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


def score_sign(scores: pd.DataFrame) -> float:
    """Return +1 if higher scores are better in this score table, −1 if lower are.

    Scores stay on the rubric's own scale (an SNSF letter grade or an AIBS 1–40 rating
    where 1 is best), so whoever orders by ``calibrated_score`` multiplies by this sign.
    A table without the ``higher_is_better`` column is taken as higher-is-better.

    Examples
    --------
    >>> import pandas as pd
    >>> score_sign(pd.DataFrame({"calibrated_score": [3.0], "higher_is_better": ["False"]}))
    -1.0
    >>> score_sign(pd.DataFrame({"calibrated_score": [3.0]}))
    1.0
    """
    if SCORE_DIRECTION not in scores.columns or scores.empty:
        return 1.0
    values = {str(v).strip().lower() for v in scores[SCORE_DIRECTION].unique()}
    if values <= _TRUE:
        return 1.0
    if values <= _FALSE:
        return -1.0
    raise ValueError(ERR_DIRECTION.format(values=sorted(values)))
