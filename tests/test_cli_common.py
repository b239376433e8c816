"""Options several commands share are spelled the same way everywhere."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperOption
from typer.testing import CliRunner

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import (
    AUDIT_SEED,
    DEFAULT_MIN_CELL,
    DEFAULT_SEED,
    DEMO_SEED,
    ReviewColumns,
)
from fairpanel.cli._common import with_review_columns
from fairpanel.cli._guard import name_file
from fairpanel.cli._main import app

SHARED = (
    "--group",
    "--request-col",
    "--submission-col",
    "--reviewer-col",
    "--encoding",
    "--columns",
)
#: Every command that reads a table takes one --columns file of the committee's names.
TABLE_READERS = {
    "validate", "score", "reliability", "allocate", "audit", "report", "ml-check",
    "simulate", "submissions", "verify-draw", "dpr-check",
}  # fmt: skip
#: The reviews table's column options and the ReviewColumns field each fills.
FIELDS = {
    "--submission-col": "submission",
    "--reviewer-col": "reviewer",
    "--criterion-col": "criterion",
    "--score-col": "score",
    "--conflict-col": "conflict",
}


def _options(name: str) -> list[tuple[str, Any]]:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    return [
        (command, param)
        for command, cmd in commands.items()
        for param in cmd.params
        if isinstance(param, TyperOption) and name in param.opts
    ]


@pytest.mark.parametrize("name", SHARED)
def test_a_shared_option_has_one_spelling(name):
    found = _options(name)
    assert len(found) >= 2, f"{name} is used by one command only"
    spellings = {(param.help, param.multiple) for _, param in found}
    assert len(spellings) == 1, {command: param.help for command, param in found}


# ------------------------------------------------------------ helpers every command uses
def test_review_column_options_are_declared_once():
    # score, reliability and validate take the same five options, unset by default (the
    # --columns file's name, else ReviewColumns' default), and receive one ReviewColumns
    readers = {"score", "reliability", "validate", "audit"}
    for flag in FIELDS:
        found = [(command, param) for command, param in _options(flag) if command in readers]
        assert {command for command, _ in found} == readers
        assert {param.default for _, param in found} == {None}


def test_every_command_that_reads_a_table_takes_a_column_map():
    assert {command for command, _ in _options("--columns")} == TABLE_READERS


def test_with_review_columns_passes_one_object():
    seen = {}

    @with_review_columns
    def command(reviews: str, *, columns: ReviewColumns) -> None:
        seen["columns"] = columns

    names = list(inspect.signature(command).parameters)
    assert names == ["reviews", "submission_col", "reviewer_col", "criterion_col", "score_col",
                     "conflict_col", "columns_file"]  # fmt: skip
    command("r.csv", submission_col="proposal", reviewer_col="a,b", criterion_col="c",
            score_col="grade", conflict_col="coi")  # fmt: skip
    assert seen["columns"] == ReviewColumns("proposal", "a,b", "c", "grade", "coi")
    command("r.csv")
    assert seen["columns"] == ReviewColumns()


def test_group_lists_split_at_commas_in_every_command(tmp_path):
    # `--group a,b` is `--group a --group b`: the validate summary is the same either way
    subs = tmp_path / "subs.csv"
    subs.write_text("submission_id,gender,stage\ns1,w,early\ns2,m,late\n", encoding="utf-8")
    reviews = tmp_path / "reviews.csv"
    reviews.write_text("submission_id,reviewer_id,score\ns1,r1,3\ns2,r1,4\n", encoding="utf-8")
    base = ["validate", "--reviews", str(reviews), "--submissions", str(subs)]
    runner = CliRunner()
    joined = runner.invoke(app, [*base, "--group", "gender, stage"])
    repeated = runner.invoke(app, [*base, "--group", "gender", "--group", "stage"])
    assert joined.exit_code == repeated.exit_code == 0, joined.output
    assert joined.stdout == repeated.stdout
    missing = runner.invoke(app, [*base, "--group", "gender,region"])
    assert missing.exit_code == 2
    assert "region" in missing.stderr


@pytest.mark.parametrize(
    ("error", "named"),
    [
        (FairpanelInputError("bad cell", row=3), "default.csv"),  # a frame's error
        (FairpanelInputError("bad cell", file="shifted"), "shift.csv"),  # a library table
        (FairpanelInputError("bad cell", file="mine.csv"), "mine.csv"),  # a loader's
        (FairpanelInputError("typo", field="weights"), None),  # an option the user typed
        (FairpanelInputError("bad cell", file="scores"), "scores"),  # a table not given
    ],
)
def test_name_file(error, named):
    tables = {"shifted": Path("shift.csv"), "scores": None}
    assert name_file(error, Path("default.csv"), tables).file == named


def test_every_seeded_command_has_a_documented_default_seed():
    # Without --seed a command uses a default from the vocabulary (shown by --help), or
    # asks for one: an allocation's draw is published with a seed chosen after the fact.
    # allocate has no default and refuses to run without one, except with --commit, which
    # fixes the lottery zone before the seed exists (tests/test_custody.py).
    defaults = {
        command: (param.default, param.required, param.show_default)
        for command, param in _options("--seed")
    }
    assert defaults.pop("allocate")[0] is None
    defaults.pop("report")  # draws nothing: --seed records the one used upstream
    assert defaults == {
        "audit": (AUDIT_SEED, False, True),
        "demo": (DEMO_SEED, False, True),
        "ml-check": (DEFAULT_SEED, False, True),
        "reliability": (DEFAULT_SEED, False, True),
        "score": (DEFAULT_SEED, False, True),
        "simulate": (DEFAULT_SEED, False, True),
    }


def test_min_cell_default_is_the_vocabulary():
    found = _options("--min-cell")
    assert "audit" in {command for command, _ in found}
    assert {param.default for _, param in found} == {DEFAULT_MIN_CELL}
