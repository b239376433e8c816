"""Sweeps: the Monte Carlo comparison over a grid of scenario parameters, in parallel."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from fairpanel._schema import RULE_STRATEGIES
from fairpanel._seed import Seed, seed_sequence
from fairpanel.simulate._compare import SUMMARY_COLUMNS, Method, compare
from fairpanel.simulate._progress import LazyProgress
from fairpanel.simulate._scenario import Scenario, load_scenario

__all__ = ["SweepResult", "sweep"]

ERR_EMPTY_GRID = "the grid needs at least one parameter with at least one value"
ERR_GRID_KEY = "unknown sweep parameter {key!r}; allowed: {allowed}"
ERR_CHART_GRID = "a heatmap needs one or two grid parameters, the sweep has {n}"
ERR_METRIC = "unknown metric {metric!r}; the sweep has {allowed}"

#: Scenario fields a sweep may vary, plus the two bias shortcuts.
SWEEP_PARAMETERS: Final[tuple[str, ...]] = (
    "bias_size",
    "bias_share",
    "noise_sd",
    "leniency_sd",
    "capacity",
    "submissions",
    "reviewers",
    "reviews_per_submission",
    "quality_bar",
    "partial_lottery_interval",
)


@dataclass(frozen=True)
class SweepResult:
    """The comparison's summary at every point of a parameter grid.

    Attributes
    ----------
    table : DataFrame
        One row per grid point, strategy, metric and group: the grid parameters'
        columns, then the columns of :meth:`SimulationResult.summary`.
    parameters : tuple of str
        The grid parameters, in the order given.
    seed : int
        Root seed; grid point ``i`` used child ``i`` of ``SeedSequence(seed)``.
    """

    table: pd.DataFrame
    parameters: tuple[str, ...]
    seed: int

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


def _point(
    scenario: Scenario,
    values: dict[str, Any],
    strategies: tuple[str, ...],
    replicates: int,
    seed: np.random.SeedSequence,
    method: Method,
) -> pd.DataFrame:
    res = compare(
        scenario.with_values(**values),
        strategies=strategies,
        replicates=replicates,
        seed=seed,
        method=method,
        progress=False,
    )
    summary = res.summary()
    for key, value in values.items():
        summary.insert(0, key, value)
    return summary


def sweep(
    scenario: Scenario | str | Path,
    grid: Mapping[str, Sequence[Any]],
    *,
    strategies: Sequence[str] = RULE_STRATEGIES,
    replicates: int = 200,
    seed: Seed = None,
    method: Method = "fast",
    n_jobs: int | None = None,
    backend: str | None = None,
    progress: bool | None = None,
) -> SweepResult:
    """Compare strategies at every point of a parameter grid (e.g. bias × noise × capacity).

    Grid points run in parallel through joblib: ``n_jobs`` local workers by default
    (``-1`` = all cores), or, with ``backend="dask"``, on the Dask cluster of the active
    ``distributed.Client`` (install the ``dask`` extra) for studies bigger than one
    machine. Each grid point gets its own child seed, so results do not depend on the
    backend or the number of workers.

    Parameters
    ----------
    scenario : Scenario or path
        The base scenario.
    grid : mapping of str to sequence
        Parameter values; keys are scenario fields (``noise_sd``, ``capacity``, …) or
        ``bias_size`` / ``bias_share`` (the bias against the scenario's biased group, or
        its last group if it has none).
    strategies, replicates, method
        As in :func:`compare`, per grid point.
    seed : int, str, SeedSequence, Generator or None, optional
        Root seed (:func:`fairpanel._seed.seed_sequence`); ``SweepResult.seed`` records
        its entropy, an int.
    n_jobs : int, optional
        joblib workers; default 1 locally and every worker of the cluster with Dask.
    backend : str, optional
        joblib backend (``"loky"``, ``"threading"``, ``"dask"``…).
    progress : bool, optional
        Progress bar on stderr after one second (default: when stderr is a terminal).

    Returns
    -------
    SweepResult

    Examples
    --------
    >>> res = sweep(Scenario(submissions=100, capacity=10), {"noise_sd": [0.5, 2.0]},
    ...             strategies=["rank"], replicates=20, seed=1)
    >>> res.table.query("metric == 'consistency'")[["noise_sd", "strategy"]].shape
    (2, 2)
    """
    from joblib import Parallel, delayed, parallel_config

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    names = tuple(grid)
    if not names or any(len(grid[k]) == 0 for k in names):
        raise ValueError(ERR_EMPTY_GRID)
    for key in names:
        if key not in SWEEP_PARAMETERS:
            raise ValueError(ERR_GRID_KEY.format(key=key, allowed=", ".join(SWEEP_PARAMETERS)))
    points = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*grid.values())]
    for p in points:  # fail fast, before any worker starts, on an impossible combination
        sc.with_values(**p)
    ss = seed_sequence(seed)
    children = ss.spawn(len(points))
    tasks = (
        delayed(_point)(sc, p, tuple(strategies), replicates, child, method)
        for p, child in zip(points, children, strict=True)
    )
    frames = []
    if n_jobs is None:
        n_jobs = -1 if backend == "dask" else 1
    # parallel_config (not Parallel's own argument) registers external backends such as Dask.
    config = parallel_config(backend=backend) if backend is not None else contextlib.nullcontext()
    with config, LazyProgress(len(points), f"sweeping {sc.name}", enabled=progress) as bar:
        for frame in Parallel(n_jobs=n_jobs, return_as="generator")(tasks):
            frames.append(frame)
            bar.advance()
    table = pd.concat(frames, ignore_index=True)
    return SweepResult(
        table=table[[*names, *SUMMARY_COLUMNS]],
        parameters=names,
        seed=int(ss.entropy) if isinstance(ss.entropy, int) else 0,
    )
