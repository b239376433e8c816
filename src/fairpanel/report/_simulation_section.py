"""The simulation section: what each rule does on synthetic cycles where merit is known."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import pandas as pd

from fairpanel._json import records
from fairpanel._words import strategy_words, words
from fairpanel.report._model import Chart, Section, Table
from fairpanel.report._text import fmt, pct, slug
from fairpanel.viz import probability_vs_merit_chart, sweep_heatmap

if TYPE_CHECKING:
    from fairpanel.simulate import SimulationResult

__all__ = ["SWEEP_CHARTS", "simulation_section"]

#: The sweep metrics drawn as heatmaps.
SWEEP_CHARTS: Final[tuple[str, ...]] = ("merit_recovered", "consistency")


def _interval(summary: pd.DataFrame, strategy: str, metric: str, *, percent: bool = True) -> str:
    """``mean (lo to hi)`` of one strategy's metric over replicates; a dash when absent."""
    rows = summary[(summary["strategy"] == strategy) & (summary["metric"] == metric)]
    if not len(rows):
        return "–"
    f = pct if percent else fmt
    row = records(rows)[0]
    return f"{f(row['mean'])} ({f(row['lo'])} to {f(row['hi'])})"


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    # Charts get plain Python values, so a result in memory and one read back from its
    # JSON draw the same chart.
    return pd.DataFrame(records(frame), columns=[str(c) for c in frame.columns])


def _quota_note(sim: SimulationResult) -> str:
    """Name the scenario's quotas when the quota lottery is among the strategies."""
    quotas = sim.scenario.quotas
    if "quota-lottery" not in sim.strategies:
        return ""
    if not quotas:
        return " The quota lottery had no quotas here: it is the uniform lottery."
    bounds = "; ".join(
        f"{q.value}: " + ", ".join(
            part for part in (f"min {q.min}" if q.min else "",
                              "" if q.max is None else f"max {q.max}") if part
        )
        for q in quotas
    )  # fmt: skip
    interval = sim.scenario.quota_interval
    entrants = (
        "the same entrants as the lottery"
        if interval is None
        else f"the submissions in the partial lottery's zone at the {interval:.0%} rank interval (those above "
        "it funded outright and counted towards the quotas first)"
    )
    return (
        f" The quota lottery draws among {entrants}, under the quotas on "
        f"{words(sim.scenario.group_attribute)} ({bounds}), met in every cycle."
    )


def _in_words(frame: pd.DataFrame) -> pd.DataFrame:
    # A chart's legend and data table name each strategy as the report's text does.
    if "strategy" not in frame:
        return frame
    return frame.assign(strategy=frame["strategy"].map(strategy_words))


def simulation_section(sim: SimulationResult) -> Section:
    """Compare strategies on synthetic cycles where true merit is known."""
    summary = sim.summary()
    rows = tuple(
        (
            strategy_words(name),
            _interval(summary, name, "merit_recovered"),
            _interval(summary, name, "oracle_overlap"),
            _interval(summary, name, "consistency"),
            _interval(summary, name, "adverse_impact_ratio", percent=False),
        )
        for name in sim.strategies
    )
    tables = [
        Table(
            "Simulated comparison: mean, and the range holding 95% of replicates",
            ("strategy", "merit recovered", "overlap with best", "consistency", "AIR"),
            rows,
            note=f"{sim.replicates} replicates, seed {sim.seed}. "
            "The range shows how much one cycle can differ from the average, not the "
            "uncertainty of the mean (its Monte Carlo error is far smaller)." + _quota_note(sim),
        )
    ]
    charts: list[Chart] = []
    if len(sim.individual):
        charts.append(probability_vs_merit_chart(_in_words(_plain(sim.individual))))
    if sim.sweep is not None and len(sim.sweep.table):
        grid = _in_words(_plain(sim.sweep.table))
        params = list(sim.sweep.parameters)
        for metric in (m for m in SWEEP_CHARTS if (grid["metric"] == m).any()):
            one = grid[(grid["metric"] == metric) & grid["group"].isna()]
            one = one[[*params, "strategy", "mean"]].rename(columns={"mean": metric})
            charts.append(
                sweep_heatmap(
                    one,
                    x=params[0],
                    y=params[-1],
                    value=metric,
                    facet="strategy",
                    id=f"sweep-{slug(metric)}",
                )
            )
    return Section(
        "simulation",
        "What each rule does when merit is known",
        (
            "Synthetic cycles where true merit is known show what each rule recovers, how "
            "reproducible it is (two independent panels), and how it treats groups. "
            "Merit recovered is the share of the merit gain of a perfect ranking over a "
            "blind draw (1 = perfect, 0 = blind); consistency is the share of one panel's "
            "selections that an independent panel also selects.",
        ),
        tuple(tables),
        tuple(charts),
    )
