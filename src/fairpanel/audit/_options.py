"""Which options an audit takes: of submission-level decisions, or of a counts table.

A decisions table can be joined, stratified, adjusted for covariates, followed through a
funnel and compared with scores; a published counts table has only its group (and
stratum) columns. An option of one given with the other input is refused by name, with
what to use instead, rather than ignored: ``--strata discipline`` with ``--counts``
would otherwise pass unnoticed. The command line and a notebook both call
:func:`plan_audit`; the messages use the command-line spelling of each option
(:data:`FLAGS`), as :func:`fairpanel.strategies.make_strategy` does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from fairpanel._errors import FairpanelInputError

__all__ = [
    "COUNTS_ONLY",
    "DECISIONS_ONLY",
    "ERR_BOTH_INPUTS",
    "ERR_COUNTS_OPTION",
    "ERR_DECISIONS_OPTION",
    "ERR_NOT_WITH_COUNTS",
    "ERR_NOT_WITH_DECISIONS",
    "ERR_NO_INPUT",
    "FLAGS",
    "WIDE_GROUP",
    "AuditPlan",
    "AuditSource",
    "plan_audit",
]

ERR_NO_INPUT = "give --decisions FILE or --counts FILE"
ERR_BOTH_INPUTS = "give either --decisions or --counts, not both"
ERR_COUNTS_OPTION = "--counts needs {option}"
ERR_DECISIONS_OPTION = "--decisions needs at least one --group"
ERR_NOT_WITH_COUNTS = "{option} does not apply to --counts: {hint}"
ERR_NOT_WITH_DECISIONS = "{option} goes with --counts; with --decisions use {other}"
_NEEDS_DECISIONS = "it needs submission-level decisions (--decisions)"

#: The two inputs an audit starts from.
AuditSource = Literal["decisions", "counts"]

#: The command-line spelling of each option (the library's keyword has underscores).
FLAGS: Final[Mapping[str, str]] = {
    "groups": "--group",
    "strata": "--strata",
    "intersect": "--intersect",
    "covariates": "--covariate",
    "stages": "--stages",
    "submissions": "--submissions",
    "scores": "--scores",
    "reviews": "--reviews",
    "rubric": "--rubric",
    "higher_is_better": "--lower-is-better/--higher-is-better",
    "group_col": "--group-col",
    "strata_col": "--strata-col",
    "wide_groups": "--wide-groups",
}
#: The options only a decisions audit takes, each with what a counts table offers instead.
DECISIONS_ONLY: Final[Mapping[str, str]] = {
    "groups": "name the group column with --group-col",
    "strata": "name the strata column with --strata-col",
    "intersect": _NEEDS_DECISIONS,
    "covariates": "a counts table is adjusted for its --strata-col only; " + _NEEDS_DECISIONS,
    "stages": _NEEDS_DECISIONS,
    "submissions": _NEEDS_DECISIONS,
    "scores": _NEEDS_DECISIONS,
    "reviews": _NEEDS_DECISIONS,
    "rubric": _NEEDS_DECISIONS,
    "higher_is_better": _NEEDS_DECISIONS,
}
#: The options only a counts audit takes, each with the decisions audit's counterpart.
COUNTS_ONLY: Final[Mapping[str, str]] = {
    "group_col": "groups",
    "strata_col": "strata",
    "wide_groups": "groups",
}
#: The group column of a wide counts table reshaped by
#: :func:`~fairpanel.audit.counts_from_wide`, when none is named.
WIDE_GROUP: Final = "group"


@dataclass(frozen=True)
class AuditPlan:
    """What an audit reads, with its options checked.

    Attributes
    ----------
    source : {"decisions", "counts"}
        The input: submission-level decisions (:func:`~fairpanel.audit.run_audit`) or a
        counts table (:func:`~fairpanel.audit.audit_counts`).
    group_col : str or None
        Counts only: the group column, after a wide table is reshaped (named, else
        :data:`WIDE_GROUP`).
    """

    source: AuditSource
    group_col: str | None = None


def _given(value: object) -> bool:
    # An option is given when it is set: a non-empty list, anything else but None (a
    # frame or a path alike; False too, as higher_is_better=False is a choice).
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return len(value) > 0
    return value is not None


def plan_audit(
    *,
    decisions: object = None,
    counts: object = None,
    groups: Sequence[str] = (),
    strata: str | None = None,
    intersect: bool = False,
    covariates: Sequence[str] = (),
    stages: Sequence[str] | None = None,
    submissions: object = None,
    scores: object = None,
    reviews: object = None,
    rubric: object = None,
    higher_is_better: bool | None = None,
    group_col: str | None = None,
    strata_col: str | None = None,
    wide_groups: Sequence[str] = (),
) -> AuditPlan:
    """Check that the options given go with the input given, before any table is read.

    Parameters
    ----------
    decisions, counts : object, optional
        The input (a path or a frame): exactly one of the two.
    groups, strata, intersect, covariates, stages : optional
        Options of a decisions audit (:func:`~fairpanel.audit.run_audit`).
    submissions, scores, reviews, rubric, higher_is_better : optional
        Further tables (and the scale's direction) of a decisions audit.
    group_col, strata_col : str, optional
        Options of a counts audit (:func:`~fairpanel.audit.audit_counts`).
    wide_groups : sequence of str
        A wide counts table's groups (:func:`~fairpanel.audit.counts_from_wide`).

    Returns
    -------
    AuditPlan
        The input to audit and, for counts, the group column.

    Raises
    ------
    FairpanelInputError
        Naming the first option that does not go with the input, and what to use
        instead; or the input missing, or both given.

    Examples
    --------
    >>> plan_audit(counts="counts.csv", group_col="gender")
    AuditPlan(source='counts', group_col='gender')
    >>> plan_audit(counts="counts.csv", group_col="gender", strata="discipline")
    Traceback (most recent call last):
    ...
    fairpanel._errors.FairpanelInputError: --strata does not apply to --counts: name the strata column with --strata-col
    """
    if _given(decisions) == _given(counts):
        raise FairpanelInputError(ERR_BOTH_INPUTS if _given(decisions) else ERR_NO_INPUT)
    options = {
        "groups": groups,
        "strata": strata,
        "intersect": True if intersect else None,  # a flag: given when on
        "covariates": covariates,
        "stages": stages,
        "submissions": submissions,
        "scores": scores,
        "reviews": reviews,
        "rubric": rubric,
        "higher_is_better": higher_is_better,
        "group_col": group_col,
        "strata_col": strata_col,
        "wide_groups": wide_groups,
    }
    given = [name for name, value in options.items() if _given(value)]
    if _given(counts):
        for name in given:
            if name in DECISIONS_ONLY:
                raise FairpanelInputError(
                    ERR_NOT_WITH_COUNTS.format(option=FLAGS[name], hint=DECISIONS_ONLY[name])
                )
        name_of_group = group_col or (WIDE_GROUP if wide_groups else None)
        if name_of_group is None:
            raise FairpanelInputError(ERR_COUNTS_OPTION.format(option=FLAGS["group_col"]))
        return AuditPlan("counts", group_col=name_of_group)
    for name in given:
        if name in COUNTS_ONLY:
            other = FLAGS[COUNTS_ONLY[name]]
            raise FairpanelInputError(
                ERR_NOT_WITH_DECISIONS.format(option=FLAGS[name], other=other)
            )
    if not groups:
        raise FairpanelInputError(ERR_DECISIONS_OPTION)
    return AuditPlan("decisions")
