"""One strategy run panel by panel: each panel's own places, its own draw.

When panels are scored each on its own (``fairpanel score --panel-col``), their ranks
are ranks within the panel, and the committee gives each panel its places (a capacity
table). The strategy is the same for every panel; each panel's draw uses a seed derived
from the published one and the panel's name, so a panel's outcome does not depend on
the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._seed import Seed, seed_text
from fairpanel.lottery import with_panel
from fairpanel.strategies._allocation import Allocation, Capacity
from fairpanel.strategies._base import Strategy

__all__ = ["ERR_NO_CAPACITY", "ERR_NO_PANEL_COLUMN", "PANEL_SEED", "allocate_by_panel"]

ERR_NO_PANEL_COLUMN = (
    "the scores have no column '{column}': score with --panel-col {column} (or name the "
    "scores' panel column)"
)
ERR_NO_CAPACITY = "panel '{panel}' has no places in the capacity table (it has {known})"
ERR_UNKNOWN_PANEL = "the capacity table names panel '{panel}', which no score belongs to"
#: How a panel's seed is derived from the published seed.
PANEL_SEED: Final = "{seed} / panel {panel}"


def allocate_by_panel(
    strategy: Strategy,
    scores: pd.DataFrame,
    submissions: pd.DataFrame | None = None,
    *,
    panel_col: str,
    capacities: Mapping[str, int],
    seed: Seed,
) -> Allocation:
    """Run ``strategy`` in each panel with that panel's places; one allocation of all.

    Parameters
    ----------
    strategy : Strategy
        The rule, the same for every panel.
    scores : DataFrame
        A score table with the panel column (``fairpanel score --panel-col``).
    submissions : DataFrame, optional
        The submissions table (requests, eligibility, groups), for every panel.
    panel_col : str
        The scores' panel column.
    capacities : mapping of str to int
        Each panel's places (:func:`fairpanel.io.load_capacities`).
    seed : int or str
        The published seed; panel ``p`` draws with ``"<seed> / panel <p>"``.

    Returns
    -------
    Allocation
        The panels' tables one after another, each carrying ``panel_col``; the capacity
        is the sum of the places; ``params`` records the column and each panel's places.
        Every panel's certificate is in ``panel_certificates``, its ``context`` naming
        the panel (``{"panel": {"column": panel_col, "name": name}}``), so the draw can
        be checked against that panel's rows of the allocation and scores. A lottery
        drawn in one panel is also ``certificate``; drawn in several, that is None.

    Raises
    ------
    FairpanelInputError
        A scores table without the panel column, a panel without places, or places for a
        panel no score belongs to.
    """
    if panel_col not in scores.columns:
        raise FairpanelInputError(ERR_NO_PANEL_COLUMN.format(column=panel_col))
    labels = scores[panel_col].astype("str")
    names = sorted(pd.unique(labels))
    for name in names:
        if name not in capacities:
            known = ", ".join(f"'{p}'" for p in capacities) or "none"
            raise FairpanelInputError(ERR_NO_CAPACITY.format(panel=name, known=known))
    for name in capacities:
        if name not in names:
            raise FairpanelInputError(ERR_UNKNOWN_PANEL.format(panel=name))
    parts: dict[str, Allocation] = {}
    for name in names:
        part = scores[labels == name].reset_index(drop=True)
        subs = None
        if submissions is not None:
            ids = set(part["submission_id"].astype(str))
            subs = submissions[submissions["submission_id"].astype(str).isin(ids)]
        parts[name] = strategy.allocate(
            part,
            subs,
            capacity=Capacity(count=int(capacities[name])),
            seed=PANEL_SEED.format(seed=seed_text(seed), panel=name),
        )
    certificates = {
        name: with_panel(alloc.certificate, panel_col, name)
        for name, alloc in parts.items()
        if alloc.certificate is not None
    }
    tables = []
    for name, alloc in parts.items():
        table = alloc.table.copy()
        if panel_col not in table.columns:
            table.insert(1, panel_col, name)
        tables.append(table)
    drawn = list(certificates.values())
    first = next(iter(parts.values()))
    params = {
        **(first.params or {}),
        "panel_col": panel_col,
        "panel_capacities": {n: int(capacities[n]) for n in names},
    }
    return Allocation(
        table=pd.concat(tables, ignore_index=True),
        strategy=first.strategy,
        seed=seed_text(seed),
        capacity=Capacity(count=sum(int(capacities[n]) for n in names)),
        certificate=drawn[0] if len(drawn) == 1 else None,
        params=params,
        panel_certificates=certificates,
    )
