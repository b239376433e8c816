"""The selection rate per cycle, by group, with the process change marked."""

from __future__ import annotations

import altair as alt
import pandas as pd

from fairpanel.viz._charts import _WIDTH, _finish, _table
from fairpanel.viz._model import Chart

__all__ = ["rate_by_cycle_chart"]


def rate_by_cycle_chart(
    cycles: pd.DataFrame, *, attribute: str, order: list[str], change_at: str | None, id: str
) -> Chart:
    """Chart each group's selection rate per cycle with its interval; mark the change.

    Withheld cells (``suppressed``) are left out of the chart and its table, so a line
    has a gap where a cycle is withheld.

    Parameters
    ----------
    cycles : DataFrame
        One attribute's per-cycle rates: ``cycle, group, applicants, selected,
        selection_rate, rate_ci_low, rate_ci_high, suppressed``.
    attribute : str
        The group attribute, for the legend and the title.
    order : list of str
        The cycles in time order.
    change_at : str, optional
        The first cycle after the process change: a dashed rule marks it.
    id : str
        The chart's id in the page.
    """
    df = cycles.loc[~cycles["suppressed"].astype(bool)].copy()
    df["group"] = df["group"].astype(str)
    df["cycle"] = df["cycle"].astype(str)
    x = alt.X("cycle:O", sort=order, title="cycle", scale=alt.Scale(domain=order))
    y = alt.Y("selection_rate:Q", title="selection rate", axis=alt.Axis(format="%"))
    color = alt.Color("group:N", title=attribute)
    base = alt.Chart(df)
    layers: list[alt.Chart] = [
        base.mark_rule(opacity=0.5).encode(
            x=x, y=alt.Y("rate_ci_low:Q", title=""), y2="rate_ci_high:Q", color=color
        ),
        base.mark_line(point=True).encode(
            x=x,
            y=y,
            color=color,
            tooltip=["cycle", "group", alt.Tooltip("selection_rate:Q", format=".1%")],
        ),
    ]
    description = f"Selection rate per cycle by {attribute}, with 95% Wilson intervals"
    if change_at is not None:
        mark = pd.DataFrame({"cycle": [change_at], "label": ["change"]})
        rule = alt.Chart(mark).encode(x=alt.X("cycle:O", sort=order))
        layers.append(rule.mark_rule(strokeDash=[6, 4], color="black"))
        layers.append(
            rule.mark_text(align="left", dx=4, dy=-6, baseline="top").encode(
                text="label:N", y=alt.value(0)
            )
        )
        description += f"; the dashed line marks the change, from {change_at} on"
    chart = alt.layer(*layers).properties(width=_WIDTH, height=260)
    cols = ["cycle", "group", "applicants", "selected", "selection_rate"]
    return _finish(
        chart,
        id=id,
        title=f"Selection rate per cycle by {attribute}",
        description=description,
        table=_table(df[cols], f"Selection rate per cycle by {attribute}"),
    )
