"""Sweeps: the Monte Carlo comparison over a grid of scenario parameters, in parallel."""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import RULE_STRATEGIES
from fairpanel._seed import Seed, seed_sequence
from fairpanel.simulate._compare import SUMMARY_COLUMNS, Method, compare
from fairpanel.simulate._progress import LazyProgress
from fairpanel.simulate._result import ERR_CHART_GRID, ERR_METRIC, SweepResult
from fairpanel.simulate._scenario import Scenario, load_scenario

__all__ = ["ERR_CHART_GRID", "ERR_GRID_TEXT", "ERR_METRIC", "SweepResult", "parse_grid", "sweep"]

ERR_EMPTY_GRID = "the grid needs at least one parameter with at least one value"
ERR_GRID_TEXT = (
    "a sweep is PARAMETER=VALUE,VALUE,... with numbers (e.g. 'noise_sd=0.5,1,2'); got {text!r}"
)
ERR_GRID_TWICE = "the sweep parameter {key!r} is given twice"
ERR_GRID_KEY = "unknown sweep parameter {key!r}; allowed: {allowed}"

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


def _grid_value(text: str) -> int | float:
    # A whole number stays whole: submissions and reviewers must be counts.
    try:
        return int(text)
    except ValueError:
        value = float(text)  # ValueError on anything else: the caller names the text
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def parse_grid(texts: Sequence[str]) -> dict[str, list[int | float]]:
    """Read sweep parameters written as text, one ``PARAMETER=VALUE,VALUE,...`` each.

    Parameters
    ----------
    texts : sequence of str
        One text per parameter (``fairpanel simulate --sweep`` repeated).

    Returns
    -------
    dict of str to list of numbers
        The grid :func:`sweep` takes.

    Raises
    ------
    FairpanelInputError
        With field ``sweep``: a text without ``=`` or numbers, an unknown parameter,
        or one given twice.

    Examples
    --------
    >>> parse_grid(["noise_sd=0.5,1,2", "submissions=200,400"])
    {'noise_sd': [0.5, 1, 2], 'submissions': [200, 400]}
    """
    grid: dict[str, list[int | float]] = {}
    for text in texts:
        key, sep, values = text.partition("=")
        key = key.strip()
        try:
            numbers = [_grid_value(v.strip()) for v in values.split(",") if v.strip()]
        except ValueError:
            numbers = []
        if not sep or not key or not numbers:
            raise FairpanelInputError(ERR_GRID_TEXT.format(text=text), field="sweep")
        if key not in SWEEP_PARAMETERS:
            allowed = ", ".join(SWEEP_PARAMETERS)
            raise FairpanelInputError(ERR_GRID_KEY.format(key=key, allowed=allowed), field="sweep")
        if key in grid:
            raise FairpanelInputError(ERR_GRID_TWICE.format(key=key), field="sweep")
        grid[key] = numbers
    return grid


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
