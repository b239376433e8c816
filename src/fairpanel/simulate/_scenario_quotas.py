"""A scenario's quotas: bounds on how many of each simulated group a cycle selects.

The YAML block is a list of the quota table's rows (:mod:`fairpanel.io._quotas`) over
the scenario's one group attribute; ``attribute`` may be left out::

    quotas:
      - {value: b, min: 40}
      - {value: a, max: 120}

The rows are read by the quota table's own reader (the same messages as a quota file),
and checked against the scenario's fixed composition by the lottery's feasibility check
(:func:`fairpanel.lottery.check_quota_feasibility`), so a scenario whose quotas no cycle
could meet is refused on load, naming the bounds that conflict.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fairpanel._errors import FairpanelInputError
from fairpanel.io._quotas import Quota, QuotaTable

if TYPE_CHECKING:
    from fairpanel.simulate._scenario import Scenario

__all__ = ["ERR_QUOTA_ATTRIBUTE", "ERR_QUOTA_GROUP", "check_quotas", "parse_quotas"]

ERR_QUOTA_LIST = "expected a list of {{value, min, max}} rows, got {got!r}"
ERR_QUOTA_ATTRIBUTE = (
    "the simulation has one group attribute, {attribute!r}; a quota on {got!r} cannot apply"
)
ERR_QUOTA_GROUP = "'{group}' is not one of the groups {groups}"
HINT_QUOTAS = "relax one of these bounds, or change the capacity or the group shares"


def parse_quotas(raw: Any, shares: Mapping[str, float], attribute: str) -> tuple[Quota, ...]:
    """Read the ``quotas`` block of a scenario into quota rows.

    Parameters
    ----------
    raw : list or None
        The block: rows ``{attribute, value, min, max}`` (``attribute`` optional).
    shares : mapping of str to float
        The scenario's groups.
    attribute : str
        The scenario's group attribute.

    Returns
    -------
    tuple of Quota
        Sorted by value (the quota table's order).

    Raises
    ------
    FairpanelInputError
        With ``field`` naming the row and key of the first bad value.
    """
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise FairpanelInputError(ERR_QUOTA_LIST.format(got=raw), field="quotas")
    rows = []
    for i, row in enumerate(raw):
        if not isinstance(row, Mapping):
            raise FairpanelInputError(ERR_QUOTA_LIST.format(got=row), field=f"quotas[{i}]")
        got = str(row.get("attribute", attribute)).strip()
        if got != attribute:
            raise FairpanelInputError(
                ERR_QUOTA_ATTRIBUTE.format(attribute=attribute, got=got),
                field=f"quotas[{i}].attribute",
            )
        rows.append({**row, "attribute": attribute})
    table = QuotaTable.from_dict({"quotas": rows})
    for q in table.quotas:
        if q.value not in shares:
            raise FairpanelInputError(
                ERR_QUOTA_GROUP.format(group=q.value, groups=list(shares)),
                field=f"quotas[{(q.row or 1) - 1}].value",
            )
    return tuple(Quota(q.attribute, q.value, q.min, q.max) for q in table.quotas)


def check_quotas(scenario: Scenario) -> None:
    """Refuse quotas no simulated cycle could meet, with the lottery's own message.

    Every cycle has the same group sizes, so the quotas are checked once, on a zone of
    every submission (``allocate`` would refuse the same quotas on such a cycle).

    Parameters
    ----------
    scenario : Scenario
        A scenario with ``quotas``.

    Raises
    ------
    FairpanelInputError
        With ``field`` ``quotas``.
    """
    if not scenario.quotas:
        return
    import pandas as pd

    from fairpanel.lottery import QuotaProblem, check_quota_feasibility

    groups = [g for g, size in scenario.group_sizes.items() for _ in range(size)]
    zone = pd.DataFrame(
        {
            "submission_id": [f"S{i:06d}" for i in range(len(groups))],
            scenario.group_attribute: groups,
        }
    )
    problem = QuotaProblem.build(zone, QuotaTable(scenario.quotas), places=scenario.k)
    try:
        check_quota_feasibility(problem)
    except FairpanelInputError as exc:
        raise FairpanelInputError(exc.message, field="quotas", hint=HINT_QUOTAS) from None
