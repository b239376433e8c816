"""Sweeps: one tidy table over a grid, an Altair heatmap, local and Dask backends agree."""

from __future__ import annotations

import pandas as pd
import pytest

from fairpanel.simulate import SUMMARY_COLUMNS, Scenario, sweep
from fairpanel.simulate._sweep import ERR_CHART_GRID, ERR_GRID_KEY, SWEEP_PARAMETERS

BASE = Scenario(submissions=120, reviewers=20, capacity=12)
GRID = {"bias_size": [0.0, 1.0], "noise_sd": [0.5, 2.0]}


def _run(**kwargs):
    return sweep(BASE, GRID, strategies=["rank", "lottery"], replicates=20, seed=5, **kwargs)


def test_sweep_table_chart_and_trend():
    res = _run()
    assert list(res.table.columns) == [*GRID, *SUMMARY_COLUMNS]
    assert res.parameters == ("bias_size", "noise_sd")
    assert len(res.table.drop_duplicates(["bias_size", "noise_sd"])) == 4
    cons = res.table.query("metric == 'consistency' and strategy == 'rank'")
    # Noisier reviews: panels agree less.
    by_noise = cons.groupby("noise_sd")["mean"].mean()
    assert by_noise[0.5] > by_noise[2.0]
    # Bias against the last group ('b') lowers its rate under rank, not under the lottery.
    rates = res.table.query("metric == 'selection_rate' and group == 'b'")
    pivot = rates.groupby(["strategy", "bias_size"])["mean"].mean()
    assert pivot[("rank", 1.0)] < pivot[("rank", 0.0)] - 0.03
    spec = res.chart("consistency").to_dict()
    assert spec["facet"]["column"]["field"] == "strategy"
    with pytest.raises(ValueError, match="unknown metric"):
        res.chart("nonsense")


def test_sweep_is_reproducible_across_jobs():
    pd.testing.assert_frame_equal(_run(n_jobs=1).table, _run(n_jobs=2, backend="threading").table)


def test_bad_grid():
    with pytest.raises(ValueError, match="unknown sweep parameter") as info:
        sweep(BASE, {"colour": [1]}, replicates=5)
    assert str(info.value) == ERR_GRID_KEY.format(
        key="colour", allowed=", ".join(SWEEP_PARAMETERS)
    )
    three = sweep(
        BASE,
        {"noise_sd": [1.0], "capacity": [10], "bias_size": [0.0]},
        strategies=["rank"],
        replicates=3,
        seed=1,
    )
    with pytest.raises(ValueError, match="heatmap") as info:
        three.chart()
    assert str(info.value) == ERR_CHART_GRID.format(n=3)


@pytest.mark.slow
def test_sweep_on_a_dask_cluster_matches_local():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(processes=False, n_workers=1, dashboard_address=None) as cluster,
        distributed.Client(cluster),
    ):
        on_dask = _run(backend="dask")
    pd.testing.assert_frame_equal(on_dask.table, _run().table)
