"""fairpanel's vocabulary: the one home of every rule several modules share.

What lives here, and nowhere else: how a yes/no cell is read (:func:`parse_bool`), the
four-fifths threshold, the default minimum cell, the strategy names and their options,
the rank-interval levels, the default seeds, the tiers, and the column specification of
every table fairpanel reads or writes (:data:`TABLES`). The CLI takes its defaults from
here. The module imports neither pandas nor numpy, so ``fairpanel --help`` stays fast.

These names are a public interface (committees script against them, reports are compared
across years): add columns, never rename them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal, get_args

from fairpanel._tables import (
    ERR_INTERVAL_LEVEL,
    INTERVAL_LEVELS,
    TABLES,
    TIERS,
    Column,
    TableSpec,
    interval_columns,
    parse_interval_levels,
)

if TYPE_CHECKING:
    # Only annotated here: importing pandas would slow every command's start.
    import pandas as pd

__all__ = [
    "ALLOCATION_COLUMNS",
    "AUDIT_SEED",
    "BOOL_HINT",
    "DEFAULT_INTERVAL",
    "DEFAULT_MIN_CELL",
    "DEFAULT_SEED",
    "DEFAULT_TIER_WEIGHTS",
    "DEMO_SEED",
    "ERR_INTERVAL_LEVEL",
    "FALSE_WORDS",
    "FOUR_FIFTHS",
    "INTERNAL_STAMP",
    "INTERVAL_LEVELS",
    "ML_MITIGATIONS",
    "ML_MODELS",
    "RULE_STRATEGIES",
    "SCORE_COLUMNS",
    "SCORE_DIRECTION",
    "SIMULATED_STRATEGIES",
    "STRATEGY_NAMES",
    "STRATEGY_OPTIONS",
    "TABLES",
    "TIERS",
    "TRUE_WORDS",
    "Column",
    "MLModel",
    "Mitigation",
    "ReviewColumns",
    "StrategyName",
    "SubmissionColumns",
    "TableSpec",
    "Tier",
    "internal_stamp",
    "interval_columns",
    "parse_bool",
    "parse_interval_levels",
    "score_sign",
]

# --------------------------------------------------------------------------- yes / no
#: The words read as true and as false, compared after trimming and lower-casing. The
#: documented reading is true/false, yes/no and 1/0; "1.0"/"0.0" are how a spreadsheet
#: or pandas writes a 0/1 column that once held a blank. Nothing else is guessed: "y",
#: "t" or "selected" are refused, since "t" may as well be a tier and "selected" a
#: column name pasted into a cell.
TRUE_WORDS: Final = frozenset({"true", "yes", "1", "1.0"})
FALSE_WORDS: Final = frozenset({"false", "no", "0", "0.0"})
#: What to tell a user whose cell is neither.
BOOL_HINT: Final = "use true/false, yes/no or 1/0"


def parse_bool(value: object) -> bool | None:
    """Read one yes/no value the way every fairpanel table does.

    Parameters
    ----------
    value : object
        A bool (numpy's too), the number 0 or 1, or text from :data:`TRUE_WORDS` /
        :data:`FALSE_WORDS` (case and surrounding spaces ignored).

    Returns
    -------
    bool or None
        None for anything else, including an empty cell and NaN: the caller decides
        whether a blank is allowed and how to name the cell in its error.

    Examples
    --------
    >>> [parse_bool(v) for v in (True, 1, 0.0, " Yes ", "FALSE", "1.0")]
    [True, True, False, True, False, True]
    >>> [parse_bool(v) for v in ("y", "t", "selected", "", None, float("nan"), 2)]
    [None, None, None, None, None, None, None]
    """
    if isinstance(value, bool):
        return value
    if type(value).__name__ == "bool_":  # numpy.bool_, without importing numpy
        return bool(value)
    if isinstance(value, int | float) or type(value).__module__ == "numpy":
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        if math.isnan(number) or number not in (0.0, 1.0):
            return None
        return number == 1.0
    if isinstance(value, str):
        text = value.strip().lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
    return None


# --------------------------------------------------------------------------- defaults
#: The US EEOC's four-fifths rule of thumb: a group's rate below 0.8 of the highest
#: publishable group's rate is flagged (29 CFR 1607.4(D)).
FOUR_FIFTHS: Final = 0.8
#: No published cell (applicants or selected of a group) counts fewer people than this.
DEFAULT_MIN_CELL: Final = 5
#: The stamp on every page of an output made with a smaller minimum cell (``--min-cell``).
INTERNAL_STAMP: Final = "internal — contains cells under {min_cell}, not for publication"


def internal_stamp(min_cell: int) -> str | None:
    """Return the stamp an output made with ``min_cell`` carries, or None if publishable.

    Parameters
    ----------
    min_cell : int
        The minimum cell size the output was suppressed at.

    Examples
    --------
    >>> internal_stamp(5) is None
    True
    >>> internal_stamp(2)
    'internal — contains cells under 5, not for publication'
    """
    if min_cell >= DEFAULT_MIN_CELL:
        return None
    return INTERNAL_STAMP.format(min_cell=DEFAULT_MIN_CELL)


#: The seed of every command that draws and is given none: the same input gives the same
#: output year after year, and the output records it.
DEFAULT_SEED: Final = "0"
#: The audit's default seed (the lottery simulation); kept from the first release so audits
#: stay comparable across years.
AUDIT_SEED: Final = "fairpanel-audit"
#: The seed of ``fairpanel demo`` (every random choice of the bundled walk-through).
DEMO_SEED: Final = "fairpanel-demo-2026"

#: The selection rules, by the names the CLI, the JSON and the simulation use.
StrategyName = Literal[
    "rank", "lottery", "partial-lottery", "tiered-lottery", "ml", "quota-lottery"
]
STRATEGY_NAMES: Final[tuple[StrategyName, ...]] = get_args(StrategyName)
#: The rules that need no model: the simulation's batched kernels run these.
RULE_STRATEGIES: Final = STRATEGY_NAMES[:4]
#: The strategies ``fairpanel simulate`` runs (the quota lottery with the scenario's quotas).
SIMULATED_STRATEGIES: Final = STRATEGY_NAMES
#: The models the ``ml`` strategy can fit, and the fairlearn mitigations it can compare.
MLModel = Literal["logistic", "gbm"]
Mitigation = Literal["exponentiated-gradient", "threshold-optimizer"]
ML_MODELS: Final[tuple[MLModel, ...]] = get_args(MLModel)
ML_MITIGATIONS: Final[tuple[Mitigation, ...]] = get_args(Mitigation)
#: Which options each strategy takes (others are refused by name, not ignored).
STRATEGY_OPTIONS: Final[Mapping[str, frozenset[str]]] = {
    "rank": frozenset(),
    "lottery": frozenset({"quality_bar"}),
    "partial-lottery": frozenset({"interval"}),
    "tiered-lottery": frozenset({"weights", "tiers"}),
    "ml": frozenset({"history", "mitigation", "exclude"}),
    "quota-lottery": frozenset({"quotas", "one_per", "interval", "weights", "tiers", "leximin"}),
}
#: The partial lottery's default: proposals whose 50% interval crosses the line are drawn.
DEFAULT_INTERVAL: Final = 0.5
#: The tiered lottery's default band weights (the telescope and grant rubrics' bands).
#: Tiers (``--tiers "3.5:3,3.0:1"``) are the same model with the bands drawn on the
#: calibrated score at the thresholds given, in place of the rubric's.
DEFAULT_TIER_WEIGHTS: Final[Mapping[str, float]] = {
    "excellent": 3.0,
    "very good": 2.0,
    "good": 1.0,
}


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
    raw = list(scores[SCORE_DIRECTION].unique())
    flags = {parse_bool(v) for v in raw}
    if flags == {True}:
        return 1.0
    if flags == {False}:
        return -1.0
    raise ValueError(ERR_DIRECTION.format(values=sorted(str(v) for v in raw)))
