"""The result of a Monte Carlo comparison: tidy per-replicate table, summary and JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel.simulate._metrics import METRICS
from fairpanel.simulate._scenario import Scenario
from fairpanel.viz import Block, html_summary

__all__ = [
    "INDIVIDUAL_COLUMNS",
    "SIMULATION_COLUMNS",
    "SUMMARY_COLUMNS",
    "SimulationResult",
    "individual_table",
    "tidy_table",
]

_INTERVAL = 0.95

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
    """

    scenario: Scenario
    seed: int | str
    replicates: int
    strategies: tuple[str, ...]
    table: pd.DataFrame
    individual: pd.DataFrame

    def summary(self, *, level: float = _INTERVAL) -> pd.DataFrame:
        """Mean, Monte Carlo SE of the mean, and spread over replicates of every metric.

        ``lo``/``hi`` are the central ``level`` percentile interval across replicates —
        the range a single cycle's outcome falls in; ``mc_se`` is the precision of
        ``mean`` (SD over replicates / √replicates).
        """
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
        """Return the JSON of ``fairpanel simulate``: each strategy's metrics with intervals.

        Each metric is ``{"mean", "mc_se", "interval": [lo, hi]}`` with the 95%
        spread over replicates; ``group_selection_rates`` maps each group to one such.
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
            "scenario": self.scenario.to_dict(),
            "seed": self.seed,
            "replicates": self.replicates,
            "capacity": self.scenario.k,
            "interval_level": _INTERVAL,
            "strategies": per,
        }


def _stat(row: pd.Series) -> dict[str, Any]:
    return {
        "mean": _num(row["mean"]),
        "mc_se": _num(row["mc_se"]),
        "interval": [_num(row["lo"]), _num(row["hi"])],
    }


def _num(value: Any) -> float | None:
    v = float(value)
    return None if np.isnan(v) else v


def tidy_table(
    scalars: npt.NDArray[np.float64],
    rates: npt.NDArray[np.float64],
    strategies: tuple[str, ...],
    groups: tuple[str, ...],
) -> pd.DataFrame:
    r, s, m = scalars.shape
    g = rates.shape[2]
    rep = np.arange(r)
    parts = [
        pd.DataFrame(
            {
                "replicate": np.repeat(rep, s * m),
                "strategy": np.tile(np.repeat(np.array(strategies, dtype=object), m), r),
                "metric": np.tile(np.array(METRICS, dtype=object), r * s),
                "group": pd.array([None] * (r * s * m), dtype="string"),
                "value": scalars.ravel(),
            }
        ),
        pd.DataFrame(
            {
                "replicate": np.repeat(rep, s * g),
                "strategy": np.tile(np.repeat(np.array(strategies, dtype=object), g), r),
                "metric": "selection_rate",
                "group": pd.array(np.tile(np.array(groups, dtype=object), r * s), dtype="string"),
                "value": rates.ravel(),
            }
        ),
    ]
    out = pd.concat(parts, ignore_index=True)
    order = out["strategy"].map({name: i for i, name in enumerate(strategies)})
    out = out.iloc[np.lexsort((order.to_numpy(), out["replicate"].to_numpy()))]
    out = out.reset_index(drop=True)
    out["strategy"] = out["strategy"].astype("string")
    out["metric"] = out["metric"].astype("string")
    return out


def individual_table(
    total: npt.NDArray[np.int64],
    chosen: npt.NDArray[np.int64],
    strategies: tuple[str, ...],
    edges: npt.NDArray[np.float64],
) -> pd.DataFrame:
    s, b = total.shape
    p = chosen / np.maximum(total, 1)
    return pd.DataFrame(
        {
            "strategy": pd.array(np.repeat(np.array(strategies, dtype=object), b), dtype="string"),
            "merit_decile": np.tile(np.arange(1, b + 1), s),
            "merit_lo": np.tile(edges[:-1], s),
            "merit_hi": np.tile(edges[1:], s),
            "submissions": total.ravel(),
            "selected": chosen.ravel(),
            "selection_probability": p.ravel(),
            # Binomial SE; submissions in one cycle are slightly dependent (fixed k), so
            # this is a close, slightly conservative approximation.
            "mc_se": np.sqrt(p * (1 - p) / np.maximum(total, 1)).ravel(),
        }
    )
