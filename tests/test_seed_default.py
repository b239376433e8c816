"""Seeded commands without --seed: one documented default, the same files twice, the seed recorded.

``allocate`` is the exception by design: it refuses to run without ``--seed``, since a
draw whose seed anyone could know beforehand is not a lottery (issue 11); the test of
the shared options checks that.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fairpanel._schema import DEFAULT_SEED
from fairpanel.cli import app
from fairpanel.io import write_frame
from fairpanel.ml import generate_history

GOOD = Path(__file__).parent / "data" / "good"
REVIEWS, RUBRIC = GOOD / "reviews.csv", GOOD / "rubric.yaml"
SCENARIO = "name: tiny\nsubmissions: 40\nreviewers: 8\ncapacity: 5\n"


def _inputs(folder: Path) -> dict[str, Path]:
    """Inputs of every seeded command, the same bytes in each run."""
    scenario = folder / "scenario.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    history = write_frame(folder / "past.csv", generate_history(40, cycles=2, seed=4))
    decisions = folder / "decisions.csv"
    decisions.write_text(
        "submission_id,gender,selected\n"
        + "".join(f"S{i},{'woman' if i % 2 else 'man'},{i % 3 == 0}\n" for i in range(60)),
        encoding="utf-8",
    )
    return {"scenario": scenario, "history": history, "decisions": decisions}


def _commands(folder: Path, inputs: dict[str, Path]) -> dict[str, list[str]]:
    scores = folder / "scores.csv"
    return {
        "score": [
            "score", "--reviews", str(REVIEWS), "--rubric", str(RUBRIC), "--draws", "300",
            "--out", str(scores), "--json", str(folder / "scores.json"),
        ],
        "allocate": [
            "allocate", "--scores", str(scores), "--strategy", "lottery", "--capacity", "3",
            "--seed", "7", "--out", str(folder / "alloc.csv"),
            "--json", str(folder / "alloc.json"),
        ],
        "simulate": [
            "simulate", "--scenario", str(inputs["scenario"]), "--replicates", "4",
            "--no-progress", "--json", str(folder / "sim.json"),
        ],
        "audit": [
            "audit", "--decisions", str(inputs["decisions"]), "--group", "gender",
            "--min-cell", "0", "--json", str(folder / "audit.json"),
        ],
        "reliability": [
            "reliability", "--reviews", str(REVIEWS), "--rubric", str(RUBRIC),
            "--bootstrap", "50", "--json", str(folder / "rel.json"),
        ],
        "ml-check": [
            "ml-check", "--history", str(inputs["history"]), "--target", "selected",
            "--group", "gender", "--json", str(folder / "ml.json"),
        ],
    }  # fmt: skip


#: Where each command's output records the seed it used.
RECORDED = {
    "score": ("scores.json", ("seed",)),
    "simulate": ("sim.json", ("seed",)),
    "ml-check": ("ml.json", ("inputs", "seed")),
}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """Run every command twice in one folder (outputs name their inputs' paths)."""
    folder = tmp_path_factory.mktemp("seeded")
    runs: list[dict[str, bytes]] = []
    for _ in range(2):
        commands = _commands(folder, _inputs(folder))
        for command, args in commands.items():
            assert "--seed" not in args or command == "allocate"
            result = CliRunner().invoke(app, args)
            assert result.exit_code == 0, (command, result.output)
        runs.append(
            {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix in {".csv", ".json"}}
        )
    assert runs[0] == runs[1], [k for k in runs[0] if runs[0][k] != runs[1].get(k)]
    return folder, runs[0]


def test_every_seeded_command_writes_the_same_files_twice(two_runs):
    _, written = two_runs
    expected = {"scores.csv", "alloc.csv", "sim.json", "audit.json", "rel.json", "ml.json"}
    assert expected <= set(written)


@pytest.mark.parametrize("command", sorted(RECORDED))
def test_the_default_seed_is_recorded(two_runs, command):
    name, keys = RECORDED[command]
    data = json.loads(two_runs[1][name].decode("utf-8"))
    for key in keys:
        data = data[key]
    assert data == DEFAULT_SEED
