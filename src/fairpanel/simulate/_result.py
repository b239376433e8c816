"""The results of simulations: a Monte Carlo comparison and a sweep, with their JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._json import (
    SCHEMA_KEY,
    Kind,
    Node,
    check_schema,
    jsonable,
    records,
    stamp,
    table,
    within,
)
from fairpanel.simulate._metrics import METRICS
from fairpanel.simulate._scenario import Scenario
from fairpanel.viz import Block, html_summary

__all__ = [
    "INDIVIDUAL_COLUMNS",
    "SIMULATION_COLUMNS",
    "SUMMARY_COLUMNS",
    "SimulationResult",
    "SweepResult",
]

_INTERVAL = 0.95
#: The JSON layouts (:mod:`fairpanel._json`). Simulation version 2 added ``individual``,
#: ``sweep`` and each statistic's ``replicates``; files without a stamp are version 1.
SIMULATION_KIND: Final = "simulation"
SIMULATION_VERSION: Final = 2
SWEEP_KIND: Final = "sweep"
SWEEP_VERSION: Final = 1
ERR_INTERVAL = "an interval is a list of two numbers [lo, hi]"
ERR_NO_SEED = "a simulation records its seed"
ERR_CHART_GRID = "a heatmap needs one or two grid parameters, the sweep has {n}"
ERR_METRIC = "unknown metric {metric!r}; the sweep has {allowed}"
ERR_LEVEL = (
    "this result was read back from JSON, which keeps the {kept:.0%} summary only; "
    "rerun the simulation for another level (got {level!r})"
)

#: Columns of :attr:`SimulationResult.table` (one row per replicate, strategy, metric[, group]).
SIMULATION_COLUMNS: Final[tuple[str, ...]] = ("replicate", "strategy", "metric", "group", "value")
#: Columns of :meth:`SimulationResult.summary`.
SUMMARY_COLUMNS: Final[tuple[str, ...]] = (
    "strategy",
    "metric",
    "group",
    "mean",
    "mc_se",
    "lo",
    "hi",
    "replicates",
)
#: Columns of :attr:`SimulationResult.individual`.
INDIVIDUAL_COLUMNS: Final[tuple[str, ...]] = (
    "strategy",
    "merit_decile",
    "merit_lo",
    "merit_hi",
    "submissions",
    "selected",
    "selection_probability",
    "mc_se",
)
_SUMMARY_KINDS: Final[Mapping[str, Kind]] = {
    "strategy": "text",
    "metric": "text",
    "group": "text",
    **dict.fromkeys(("mean", "mc_se", "lo", "hi"), "number"),
    "replicates": "integer",
}
_INDIVIDUAL_KINDS: Final[Mapping[str, Kind]] = {
    "strategy": "text",
    **dict.fromkeys(("merit_decile", "submissions", "selected"), "integer"),
    **dict.fromkeys(("merit_lo", "merit_hi", "selection_probability", "mc_se"), "number"),
}


@dataclass(frozen=True)
class SweepResult:
    """The comparison's summary at every point of a parameter grid (:func:`sweep`).

    Attributes
    ----------
    table : DataFrame
        One row per grid point, strategy, metric and group: the grid parameters'
        columns, then the columns of :meth:`SimulationResult.summary`.
    parameters : tuple of str
        The grid parameters, in the order given.
    seed : int or None
        Root seed; grid point ``i`` used child ``i`` of ``SeedSequence(seed)``. None for
        a sweep read from a file that did not record it.
    """

    table: pd.DataFrame
    parameters: tuple[str, ...]
    seed: int | None

    def chart(self, metric: str = "adverse_impact_ratio") -> Any:
        """Return an Altair heatmap of ``metric``'s mean, one panel per strategy.

        The first grid parameter runs along x, the second (if any) along y; the chart is
        drawn by :func:`fairpanel.viz.sweep_grid_chart`.

        Parameters
        ----------
        metric : str, default "adverse_impact_ratio"
            One of the table's metrics.
        """
        # Imported here: Altair loads slowly, and only a chart needs it.
        from fairpanel.viz import sweep_grid_chart

        if not 1 <= len(self.parameters) <= 2:
            raise ValueError(ERR_CHART_GRID.format(n=len(self.parameters)))
        metrics = sorted(set(self.table["metric"]))
        if metric not in metrics:
            raise ValueError(ERR_METRIC.format(metric=metric, allowed=", ".join(metrics)))
        data = self.table[(self.table["metric"] == metric) & self.table["group"].isna()]
        cols = [*self.parameters, "strategy", "mean", "mc_se"]
        data = data[cols].astype({"strategy": object})
        return sweep_grid_chart(data, parameters=self.parameters, metric=metric)

    def to_dict(self) -> dict[str, Any]:
        """Return plain JSON data (schema ``fairpanel.sweep``).

        ``{"parameters", "seed", "metrics" (those in the table), "rows": [records]}``.
        """
        return {
            SCHEMA_KEY: stamp(SWEEP_KIND, SWEEP_VERSION),
            "parameters": list(self.parameters),
            "seed": self.seed,
            "metrics": list(dict.fromkeys(str(m) for m in self.table["metric"])),
            "rows": records(self.table),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SweepResult:
        """Read the JSON of :meth:`to_dict` (``metrics`` follows from the rows).

        Parameters
        ----------
        data : mapping
            The parsed JSON.

        Raises
        ------
        FairpanelInputError
            Naming the first field that is missing or of the wrong type.
        """
        doc = Node(data)
        check_schema(doc, SWEEP_KIND, SWEEP_VERSION)
        parameters = tuple(doc["parameters"].texts())
        columns = (*parameters, *SUMMARY_COLUMNS)
        rows = doc["rows"].records(_SUMMARY_KINDS, required=columns)
        seed = doc.get("seed")
        return cls(
            table=table(rows, kinds=_SUMMARY_KINDS, columns=columns),
            parameters=parameters,
            seed=None if seed.is_null else seed.integer(),
        )


@dataclass(frozen=True)
class SimulationResult:
    """What each strategy does on synthetic cycles where true merit is known.

    Attributes
    ----------
    scenario : Scenario
        The simulated cycle.
    seed : int or str
        The seed as given (or the generated entropy when none was given); replicate
        ``r`` used the ``r``-th child of ``SeedSequence(seed_entropy(seed))``.
    replicates : int
        Number of simulated cycles.
    strategies : tuple of str
        Strategies compared, in order.
    table : DataFrame
        Tidy per-replicate results, columns :data:`SIMULATION_COLUMNS`; ``group`` is set
        for the metric ``selection_rate`` only.
    individual : DataFrame
        Selection probability by decile of true merit per strategy (individual
        fairness: similar merit, similar chance?), columns ``INDIVIDUAL_COLUMNS``.
    sweep : SweepResult or None
        A sweep run beside the comparison (``fairpanel simulate --sweep``), shown with it.
    summary_table : DataFrame or None
        The 95% summary of a result read back from JSON, whose ``table`` is empty (the
        JSON keeps the summary, not every replicate); None otherwise.
    """

    scenario: Scenario
    seed: int | str
    replicates: int
    strategies: tuple[str, ...]
    table: pd.DataFrame
    individual: pd.DataFrame
    sweep: SweepResult | None = None
    summary_table: pd.DataFrame | None = field(default=None, repr=False)

    def summary(self, *, level: float = _INTERVAL) -> pd.DataFrame:
        """Mean, Monte Carlo SE of the mean, and spread over replicates of every metric.

        ``lo``/``hi`` are the central ``level`` percentile interval across replicates —
        the range a single cycle's outcome falls in; ``mc_se`` is the precision of
        ``mean`` (SD over replicates / √replicates).

        Parameters
        ----------
        level : float, default 0.95
            Coverage of the ``lo``/``hi`` interval across replicates, strictly between
            0 and 1 (0.95: the 2.5th and 97.5th percentiles). A result read from JSON
            keeps only its 95% summary; another level raises ``ValueError``.

        Returns
        -------
        DataFrame
            ``SUMMARY_COLUMNS``: one row per strategy, metric and group (``group`` NA
            for whole-cycle metrics).
        """
        if self.summary_table is not None and self.table.empty:
            if level != _INTERVAL:
                raise ValueError(ERR_LEVEL.format(kept=_INTERVAL, level=level))
            return self.summary_table.copy()
        q = [(1 - level) / 2, (1 + level) / 2]
        t = self.table.assign(group=self.table["group"].fillna(""))
        g = t.groupby(["strategy", "metric", "group"], sort=False)["value"]
        out = g.agg(mean="mean", sd="std", replicates="count").reset_index()
        quant = g.quantile(np.array(q)).unstack()  # noqa: PD010 (a Series of quantiles)
        out["lo"] = quant[q[0]].to_numpy()
        out["hi"] = quant[q[1]].to_numpy()
        out["mc_se"] = out["sd"] / np.sqrt(out["replicates"])
        out["group"] = out["group"].replace("", pd.NA)
        return out[list(SUMMARY_COLUMNS)]

    def __repr__(self) -> str:
        return (
            f"<SimulationResult scenario={self.scenario.name!r} "
            f"submissions={self.scenario.submissions} capacity={self.scenario.k} "
            f"replicates={self.replicates} strategies={list(self.strategies)!r}>"
        )

    def _repr_html_(self) -> str:
        # Imported here: Altair loads slowly, and only a display needs it.
        from fairpanel.viz import probability_vs_merit_chart

        s = self.summary()
        s = s[s["metric"] != "n_selected"]  # always the capacity, shown once above
        cell = s["mean"].map("{:.3g}".format) + "\u00a0±\u00a0" + s["mc_se"].map("{:.2g}".format)
        column = ("selection rate " + s["group"]).fillna(s["metric"])
        wide = s.assign(cell=cell, column=column).pivot_table(
            index="strategy", columns="column", values="cell", aggfunc="first"
        )
        order = list(dict.fromkeys(column))
        wide = wide.loc[list(self.strategies), order].reset_index()
        blocks: list[Block] = [("Mean over replicates ± Monte Carlo SE", wide)]
        if len(self.individual):
            blocks.append(probability_vs_merit_chart(self.individual))
        return html_summary(
            f"SimulationResult · {self.scenario.name}",
            facts=[
                ("submissions", self.scenario.submissions),
                ("capacity", self.scenario.k),
                ("replicates", self.replicates),
                ("seed", str(self.seed)),
            ],
            blocks=blocks,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON of ``fairpanel simulate`` (schema ``fairpanel.simulation``).

        Each metric is ``{"mean", "mc_se", "interval": [lo, hi], "replicates"}`` with
        the 95% spread over replicates; ``group_selection_rates`` maps each group to one
        such. ``individual`` holds the records of :attr:`individual`, ``sweep`` the
        sweep's JSON (or null).
        """
        s = self.summary()
        per: dict[str, Any] = {}
        for strategy in self.strategies:
            rows = s[s["strategy"] == strategy]
            entry: dict[str, Any] = {}
            for metric in METRICS:
                r = rows[rows["metric"] == metric].iloc[0]
                entry[metric] = _stat(r)
            entry["group_selection_rates"] = {
                str(r["group"]): _stat(r)
                for _, r in rows[rows["metric"] == "selection_rate"].iterrows()
            }
            per[strategy] = entry
        return {
            SCHEMA_KEY: stamp(SIMULATION_KIND, SIMULATION_VERSION),
            "scenario": jsonable(self.scenario.to_dict()),
            "seed": self.seed,
            "replicates": self.replicates,
            "capacity": self.scenario.k,
            "interval_level": _INTERVAL,
            "strategies": per,
            "individual": records(self.individual),
            "sweep": None if self.sweep is None else self.sweep.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SimulationResult:
        """Read the JSON of :meth:`to_dict`, or of version 1 (no ``individual``, no sweep).

        The result's :attr:`table` is empty (the JSON keeps the summary, in
        :attr:`summary_table`); ``capacity`` and ``interval_level`` follow from the
        scenario and are not read.

        Parameters
        ----------
        data : mapping
            The parsed JSON.

        Raises
        ------
        FairpanelInputError
            Naming the first field that is missing or of the wrong type.
        """
        doc = Node(data)
        check_schema(doc, SIMULATION_KIND, SIMULATION_VERSION)
        scenario = doc["scenario"]
        try:
            the_scenario = Scenario.from_dict(scenario.mapping())
        except FairpanelInputError as exc:
            raise within(scenario.path, exc) from None
        rows: list[dict[str, Any]] = []
        strategies = doc["strategies"].members()
        for strategy, entry in strategies:
            for metric in METRICS:
                rows.append(_summary_row(strategy, metric, None, entry[metric]))
            for group, stat in entry["group_selection_rates"].members():
                rows.append(_summary_row(strategy, "selection_rate", group, stat))
        individual, sweep = doc.get("individual"), doc.get("sweep")
        curve = [] if individual.is_null else individual.records(_INDIVIDUAL_KINDS)
        grid = None
        if not sweep.is_null:
            try:
                grid = SweepResult.from_dict(sweep.mapping())
            except FairpanelInputError as exc:
                raise within(sweep.path, exc) from None
        seed = doc["seed"].seed()
        if seed is None:
            raise FairpanelInputError(ERR_NO_SEED, field=doc["seed"].path)
        return cls(
            scenario=the_scenario,
            seed=seed,
            replicates=doc["replicates"].integer(),
            strategies=tuple(name for name, _ in strategies),
            table=table([], columns=SIMULATION_COLUMNS),
            individual=table(curve, kinds=_INDIVIDUAL_KINDS, columns=INDIVIDUAL_COLUMNS),
            sweep=grid,
            summary_table=table(rows, kinds=_SUMMARY_KINDS, columns=SUMMARY_COLUMNS),
        )


def _stat(row: pd.Series) -> dict[str, Any]:
    return {
        "mean": jsonable(row["mean"]),
        "mc_se": jsonable(row["mc_se"]),
        "interval": [jsonable(row["lo"]), jsonable(row["hi"])],
        "replicates": jsonable(row["replicates"]),
    }


def _summary_row(strategy: str, metric: str, group: str | None, stat: Node) -> dict[str, Any]:
    """One row of :meth:`SimulationResult.summary` from a statistic of the JSON."""
    interval = stat["interval"].elements()
    if len(interval) != 2:
        raise FairpanelInputError(ERR_INTERVAL, field=stat["interval"].path)
    count = stat.get("replicates")
    return {
        "strategy": strategy,
        "metric": metric,
        "group": group,
        "mean": stat["mean"].number_or_nan(),
        "mc_se": stat["mc_se"].number_or_nan(),
        "lo": interval[0].number_or_nan(),
        "hi": interval[1].number_or_nan(),
        "replicates": None if count.is_null else count.integer(),
    }
