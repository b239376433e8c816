"""Words a committee reads: the one home of every code name's display name.

Reports, charts, notebook views and the console show strategies, metrics, tests, checks
and columns by these names; the code names (``partial-lottery``, ``merit_recovered``,
``fisher_exact``) appear only in the report's methods section and in commands. A name
with no entry here is a column of the user's own file (``career_stage``): it is shown
with its underscores as spaces, so it reads as the user would say it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

__all__ = [
    "CHECK_WORDS",
    "COLUMN_WORDS",
    "METRIC_WORDS",
    "STRATEGY_WORDS",
    "TABLE_WORDS",
    "TEST_WORDS",
    "plain_quotes",
    "plural",
    "strategy_words",
    "words",
]

#: Selection rules, as the report's prose and tables name them.
STRATEGY_WORDS: Final[Mapping[str, str]] = {
    "rank": "ranking",
    "lottery": "lottery",
    "partial-lottery": "partial lottery",
    "tiered-lottery": "tiered lottery",
    "quota-lottery": "quota lottery",
    "ml": "ML model",
}

#: The simulation's metrics and scenario parameters.
METRIC_WORDS: Final[Mapping[str, str]] = {
    "merit_recovered": "merit recovered",
    "oracle_overlap": "overlap with the best",
    "consistency": "consistency",
    "disagreement": "disagreement",
    "adverse_impact_ratio": "adverse-impact ratio",
    "below_four_fifths": "below four fifths",
    "n_selected": "number selected",
    "noise_sd": "reviewer noise SD",
    "leniency_sd": "reviewer leniency SD",
    "reviews_per_submission": "reviews per submission",
    "merit_decile": "true merit decile",
}

#: The audit's significance tests.
TEST_WORDS: Final[Mapping[str, str]] = {
    "fisher_exact": "Fisher's exact",
    "chi2_independence": "chi-square",
}

#: The ML trust checks.
CHECK_WORDS: Final[Mapping[str, str]] = {
    "dominant_feature": "one dominant feature",
    "inherited_bias": "inherited bias",
    "too_good": "too good to be true",
    "interpretation": "what drives the ranking",
    "leakage": "leakage",
    "overfit": "overfit",
    "overspecialization": "overspecialization",
    "proxy": "proxy of group",
}

#: The audit's tables, as the multiple-comparison family names them.
TABLE_WORDS: Final[Mapping[str, str]] = {
    "comparisons": "against the reference",
    "tests": "test of equal rates",
    "strata": "adjusted for strata",
    "stratum_comparisons": "within one stratum",
    "change": "change across cycles",
}

#: fairpanel's own table columns, where a chart's data table shows them.
COLUMN_WORDS: Final[Mapping[str, str]] = {
    "submission_id": "submission",
    "reviewer_id": "reviewer",
    "expected_rank": "expected rank",
    "rank_lo50": "50% interval from",
    "rank_hi50": "50% interval to",
    "rank_lo90": "90% interval from",
    "rank_hi90": "90% interval to",
    "calibrated_score": "calibrated score",
    "n_reviews": "reviews",
    "selection_rate": "selection rate",
    "selection_probability": "chance of selection",
    "rate_ci_low": "95% CI from",
    "rate_ci_high": "95% CI to",
    "adverse_impact_ratio": "adverse-impact ratio",
}

_ALL: Final[Mapping[str, str]] = {
    **TABLE_WORDS,
    **CHECK_WORDS,
    **TEST_WORDS,
    **METRIC_WORDS,
    **COLUMN_WORDS,
}

#: Plurals that do not add an s.
_PLURALS: Final[Mapping[str, str]] = {
    "criterion": "criteria",
    "person": "people",
}


def words(name: object) -> str:
    """Return the display name of a code name or a column.

    Parameters
    ----------
    name : object
        A metric, test, check or column name; anything else (a user's column such as
        ``career_stage``) is shown with its underscores as spaces.

    Examples
    --------
    >>> words("merit_recovered"), words("fisher_exact"), words("career_stage")
    ('merit recovered', "Fisher's exact", 'career stage')
    """
    text = str(name)
    return _ALL.get(text) or " ".join(text.replace("_", " ").split())


def strategy_words(name: object) -> str:
    """Return a strategy's display name (``partial-lottery`` → ``partial lottery``).

    Parameters
    ----------
    name : object
        A strategy name of :data:`fairpanel._schema.STRATEGY_NAMES`; another name (a
        committee's own label) passes through as :func:`words` shows it.

    Examples
    --------
    >>> strategy_words("partial-lottery"), strategy_words("rank")
    ('partial lottery', 'ranking')
    """
    text = str(name)
    return STRATEGY_WORDS.get(text) or words(text)


def plural(count: int, singular: str, many: str | None = None) -> str:
    """Return ``count`` with the word in the right number: ``1 criterion``, ``2 criteria``.

    Parameters
    ----------
    count : int
        How many.
    singular : str
        The word for one.
    many : str, optional
        The word for several (default: the known irregular plural, else an added s).

    Examples
    --------
    >>> plural(1, "criterion"), plural(4, "criterion"), plural(2, "group")
    ('1 criterion', '4 criteria', '2 groups')
    """
    if count == 1:
        return f"{count} {singular}"
    return f"{count} {many or _PLURALS.get(singular) or singular + 's'}"


_QUOTED_NAME = re.compile(r"'([A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+)'")


def plain_quotes(text: str) -> str:
    """Show every quoted column name of a message in words (``'hours_used'`` → ``'hours used'``).

    Parameters
    ----------
    text : str
        A message that quotes names of the user's columns.

    Examples
    --------
    >>> plain_quotes("driven by 'hours_used' (98%)")
    "driven by 'hours used' (98%)"
    """
    return _QUOTED_NAME.sub(lambda m: f"'{words(m.group(1))}'", text)
