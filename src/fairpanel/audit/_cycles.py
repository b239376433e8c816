"""Audits across cycles: did the gap change after a process change.

One cycle is usually too small to show a gap; committees ask whether a change they made
(dual-anonymous review, published rubrics, a partial lottery) worked. With a cycle
column, each group's rate is given per cycle with its Wilson interval (:data:`CYCLE_COLUMNS`),
and each group against the reference (:data:`CHANGE_COLUMNS`):

* the gap pooled over cycles, cycle as a stratum (Mantel–Haenszel, in points);
* a trend test: the group × cycle-number term of a logistic model with an effect per
  cycle (does the gap widen or close, steadily?);
* with a change (``change_at``, or a yes/no column marking the cycles after it): the
  group × period interaction of the logistic model with an effect per cycle, a difference
  in differences on the log-odds scale, and the same in points: the average, over the
  group's applicants after the change, of their modelled rate with the interaction
  minus without it, with a delta-method interval.

The change estimate rests on an assumption stated with it (:data:`NOTE_CHANGE`): without
the change, the group's gap on the log-odds scale would have stayed what it was before,
while the overall rate moves freely from cycle to cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd
from scipy import stats

from fairpanel._errors import FairpanelInputError
from fairpanel.audit._change_model import AFTER, BEFORE, change_fit, cycle_order
from fairpanel.audit._stats import CONFIDENCE, wilson_interval
from fairpanel.audit._strata import mh_risk_difference

__all__ = [
    "AFTER",
    "BEFORE",
    "CHANGE_COLUMNS",
    "CYCLE_COLUMNS",
    "ERR_CHANGE_AT",
    "ERR_CHANGE_SIDES",
    "ERR_PERIOD_SPLIT",
    "NOTE_CHANGE",
    "change_table",
    "cycle_order",
    "cycle_table",
    "periods",
]

CYCLE_COLUMNS: Final[tuple[str, ...]] = (
    "attribute",
    "cycle",
    "period",
    "group",
    "applicants",
    "selected",
    "selection_rate",
    "rate_ci_low",
    "rate_ci_high",
    "suppressed",
)
CHANGE_COLUMNS: Final[tuple[str, ...]] = (
    "attribute",
    "group",
    "reference",
    "n_cycles",
    "pooled_risk_difference",
    "pooled_ci_low",
    "pooled_ci_high",
    "trend_odds_ratio",
    "trend_p_value",
    "change_at",
    "cycles_before",
    "cycles_after",
    "gap_before",
    "gap_after",
    "interaction_odds_ratio",
    "interaction_ci_low",
    "interaction_ci_high",
    "change_points",
    "change_ci_low",
    "change_ci_high",
    "test",
    "p_value",
    "suppressed",
    "adjusted_p_value",
)

ERR_CHANGE_AT = "--change-at {value!r} is not one of the cycles ({cycles})"
ERR_CHANGE_SIDES = "the change leaves no cycle {side} it: a change is measured against both"
ERR_PERIOD_SPLIT = (
    "cycle {cycle!r} has rows both before and after the change: the change column must "
    "be the same for every row of a cycle"
)
NOTE_CHANGE = (
    "{attribute}: the change after {change} is estimated under an assumption: without it, "
    "each group's gap (on the log-odds scale) would have stayed what it was before, while "
    "the overall rate was free to move from cycle to cycle; a trend in the gap already "
    "under way would be read as the change's effect (see the trend test)."
)
_Z: Final[float] = float(stats.norm.ppf(0.5 + CONFIDENCE / 2))


def periods(
    cycles: pd.Series, *, change_at: str | None = None, after: pd.Series | None = None
) -> pd.Series | None:
    """Each row's period (``before``/``after``) from ``change_at`` or an after-change column.

    Parameters
    ----------
    cycles : Series
        The rows' cycles (text).
    change_at : str, optional
        The first cycle after the change.
    after : Series of bool, optional
        Whether each row is after the change (the same within a cycle).

    Raises
    ------
    FairpanelInputError
        For a ``change_at`` that is not a cycle, a change with no cycle on one side, or
        a column that splits a cycle.
    """
    if change_at is None and after is None:
        return None
    order = cycle_order(cycles.tolist())
    if after is None:
        if str(change_at) not in order:
            raise FairpanelInputError(
                ERR_CHANGE_AT.format(value=change_at, cycles=", ".join(order))
            )
        first = order.index(str(change_at))
        late = cycles.map({c: i >= first for i, c in enumerate(order)}).astype(bool)
    else:
        late = after.astype(bool)
        split = late.groupby(cycles.to_numpy()).nunique()
        if (split > 1).any():
            raise FairpanelInputError(
                ERR_PERIOD_SPLIT.format(cycle=str(split[split > 1].index[0]))
            )
    if late.all() or not late.any():
        raise FairpanelInputError(ERR_CHANGE_SIDES.format(side=BEFORE if late.all() else AFTER))
    return pd.Series(np.where(late, AFTER, BEFORE), index=cycles.index)


def cycle_table(attribute: str, cells: pd.DataFrame) -> pd.DataFrame:
    """Per cycle and group: applicants, selected, the rate and its Wilson interval.

    ``cells`` has ``group, cycle, period, applicants, selected`` (``period`` may be
    missing), one row per group and cycle.
    """
    order = {c: i for i, c in enumerate(cycle_order(cells["cycle"].tolist()))}
    cells = cells.assign(_o=cells["cycle"].map(order)).sort_values(["_o", "group"], kind="stable")
    n = cells["applicants"].to_numpy(np.int64)
    k = cells["selected"].to_numpy(np.int64)
    lo, hi = wilson_interval(k, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, k / n, np.nan)
    return pd.DataFrame(
        {
            "attribute": attribute,
            "cycle": cells["cycle"].astype(str).to_numpy(),
            "period": cells["period"].to_numpy() if "period" in cells else None,
            "group": cells["group"].astype(str).to_numpy(),
            "applicants": n,
            "selected": k,
            "selection_rate": rate,
            "rate_ci_low": lo,
            "rate_ci_high": hi,
            "suppressed": False,
        },
        columns=list(CYCLE_COLUMNS),
    )


def _gap(cells: pd.DataFrame, group: str, reference: str) -> tuple[float, float]:
    """Mantel–Haenszel difference (group − reference) over the cycles of ``cells``; variance."""
    wide = cells.pivot_table(
        index="cycle",
        columns="group",
        values=["applicants", "selected"],
        aggfunc="sum",
        fill_value=0,
    )

    def get(col: str, g: str) -> np.ndarray:
        if (col, g) in wide.columns:
            return np.asarray(wide[(col, g)], dtype=np.float64)
        return np.zeros(len(wide))

    rd, var = mh_risk_difference(
        get("selected", group),
        get("applicants", group),
        get("selected", reference),
        get("applicants", reference),
    )
    return float(rd), float(var)


def change_table(
    attribute: str,
    cells: pd.DataFrame,
    groups: Sequence[str],
    reference: str,
    *,
    change_at: str | None,
) -> tuple[pd.DataFrame, list[str]]:
    """Each group against ``reference`` across cycles: pooled gap, trend, and the change.

    Parameters
    ----------
    attribute : str
        The attribute's name.
    cells : DataFrame
        ``group, cycle, period, applicants, selected``; ``period`` all missing when no
        change was named.
    groups : sequence of str
        The attribute's groups.
    reference : str
        The reference group.
    change_at : str, optional
        The first cycle after the change, as the report names it (with a column, the
        first cycle it marks).

    Returns
    -------
    table, notes
        :data:`CHANGE_COLUMNS`, one row per compared group; notes about the fits.
    """
    rows, notes = [], []
    has_change = "period" in cells and cells["period"].notna().any()
    order = cycle_order(cells["cycle"].tolist())
    for name in groups:
        if name == reference:
            continue
        rd, var = _gap(cells, name, reference)
        se = float(np.sqrt(var)) if var >= 0 else float("nan")
        trend, more = change_fit(cells, name, reference, term="trend")
        notes += more
        row: dict[str, object] = {
            "attribute": attribute,
            "group": name,
            "reference": reference,
            "n_cycles": len(order),
            "pooled_risk_difference": rd,
            "pooled_ci_low": rd - _Z * se,
            "pooled_ci_high": rd + _Z * se,
            "trend_odds_ratio": trend["odds_ratio"],
            "trend_p_value": trend["p_value"],
            "test": "group_x_cycle_trend",
            "p_value": trend["p_value"],
            "suppressed": False,
        }
        if has_change:
            before = cells[cells["period"] == BEFORE]
            after = cells[cells["period"] == AFTER]
            change, more = change_fit(cells, name, reference, term="change")
            notes += more
            row |= {
                "change_at": change_at,
                "cycles_before": int(before["cycle"].nunique()),
                "cycles_after": int(after["cycle"].nunique()),
                "gap_before": _gap(before, name, reference)[0],
                "gap_after": _gap(after, name, reference)[0],
                "interaction_odds_ratio": change["odds_ratio"],
                "interaction_ci_low": change["ci_low"],
                "interaction_ci_high": change["ci_high"],
                "change_points": change["points"],
                "change_ci_low": change["points_low"],
                "change_ci_high": change["points_high"],
                "test": "group_x_period_interaction",
                "p_value": change["p_value"],
            }
        rows.append(row)
    notes = [n.replace("{attribute}", attribute) for n in notes]
    return pd.DataFrame(rows, columns=list(CHANGE_COLUMNS)), notes
