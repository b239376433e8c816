"""``fairpanel simulate``: the JSON equals the library's result; bad input is one line, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel.cli._main import app
from fairpanel.cli._simulate import ERR_STRATEGY
from fairpanel.simulate import SIMULATED_STRATEGIES, compare, load_scenario
from fairpanel.simulate._sweep import ERR_GRID_TEXT

SCENARIO = """\
name: tiny
submissions: 120
group_attribute: gender
group_shares: {women: 0.5, men: 0.5}
reviewers: 20
capacity: 12
bias: {against: women, size: 0.5}
"""


def _written(path):
    """A command's JSON without its provenance block (the library result has none)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("provenance", None)
    return data


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def test_json_and_csv_equal_the_library_result(scenario, tmp_path):
    out_json, out_csv = tmp_path / "out.json", tmp_path / "out.csv"
    args = ["simulate", "--scenario", str(scenario), "--replicates", "25", "--seed", "cycle 7"]
    result = CliRunner().invoke(
        app, [*args, "--strategies", "rank,partial-lottery", "--json", str(out_json),
              "--csv", str(out_csv)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lib = compare(
        load_scenario(scenario),
        strategies=["rank", "partial-lottery"],
        replicates=25,
        seed="cycle 7",
    )
    assert _written(out_json) == json.loads(json.dumps(lib.to_dict()))
    table = pd.read_csv(out_csv)
    assert list(table.columns) == list(lib.table.columns)
    pd.testing.assert_series_equal(table["value"], lib.table["value"], check_exact=False)


def _one_line_error(args: list[str]) -> str:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_bad_scenario_is_one_line_exit_2_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("submissions: 100\ncapacity: 500\n", encoding="utf-8")
    out = tmp_path / "out.json"
    line = _one_line_error(["simulate", "--scenario", str(bad), "--json", str(out)])
    assert "bad.yaml" in line
    assert "field 'capacity'" in line
    assert not out.exists()


def test_unknown_strategy_is_one_line_exit_2(scenario):
    line = _one_line_error(["simulate", "--scenario", str(scenario), "--strategies", "rank,dice"])
    assert ERR_STRATEGY.format(name="dice", allowed=", ".join(SIMULATED_STRATEGIES)) in line


@pytest.mark.parametrize(
    ("sweep", "expected"),
    [
        ("noise_sd", ERR_GRID_TEXT.format(text="noise_sd")),
        ("noise_sd=low,high", ERR_GRID_TEXT.format(text="noise_sd=low,high")),
        ("shoe_size=1,2", "unknown sweep parameter 'shoe_size'"),
    ],
)
def test_bad_sweep_is_one_line_exit_2(scenario, sweep, expected):
    line = _one_line_error(["simulate", "--scenario", str(scenario), "--sweep", sweep])
    assert f"field 'sweep': {expected}" in line


def test_missing_scenario_and_output_over_input(tmp_path, scenario):
    _one_line_error(["simulate", "--scenario", str(tmp_path / "nope.yaml")])
    line = _one_line_error(["simulate", "--scenario", str(scenario), "--json", str(scenario)])
    assert "overwrite an input" in line
