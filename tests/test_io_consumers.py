"""Every table enters through io: each consumer of a table refuses a bad one alike (issue 16).

For each table fairpanel reads — submissions, scores, allocation, decisions, counts —
one file with one bad cell is handed to every command that reads that table and to the
library functions behind them. Each must refuse it with the very sentence of the table's
loader in :mod:`fairpanel.io` (the reference), naming the same file, spreadsheet row and
column: one line on stderr and exit code 2 on the command line, nothing written. Before
issue 16 the strategies, the audit and the report each checked these tables their own way
and disagreed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel import FairpanelInputError
from fairpanel.audit import audit_counts, run_audit
from fairpanel.cli._main import app
from fairpanel.io import (
    load_allocation,
    load_counts,
    load_decisions,
    load_scores,
    load_submissions,
    write_frame,
)
from fairpanel.report import ReportInputs, build_report
from fairpanel.strategies import RankStrategy

runner = CliRunner()

IDS = [f"s{i}" for i in range(1, 7)]


def _scores() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "submission_id": IDS,
            "calibrated_score": [5.0, 4.0, 3.5, 3.0, 2.0, 1.0],
            "expected_rank": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )


def _allocation() -> pd.DataFrame:
    return RankStrategy().allocate(_scores(), capacity=2, seed="x").table


def _submissions() -> pd.DataFrame:
    return pd.DataFrame({"submission_id": IDS, "gender": ["w", "m"] * 3})


@dataclass(frozen=True)
class Case:
    """A table with one bad cell, its loader (the reference) and its consumers."""

    table: str
    frame: Callable[[], pd.DataFrame]
    loader: Callable[[Path], object]
    #: Library calls given the file's path (a loader then names it in its error).
    library: tuple[Callable[[Path, Path], object], ...]
    #: Command lines given the file's path and a folder for outputs.
    commands: tuple[Callable[[Path, Path], list[str]], ...]


def _bad_scores() -> pd.DataFrame:
    frame = _scores().astype({"calibrated_score": object})
    frame.loc[2, "calibrated_score"] = "high"  # row 4 of the file
    return frame


def _bad_submissions() -> pd.DataFrame:
    frame = _submissions()
    frame.loc[3, "submission_id"] = "s1"  # row 5 repeats row 2
    return frame


def _bad_allocation() -> pd.DataFrame:
    frame = _allocation().astype({"selection_probability": object})
    frame.loc[1, "selection_probability"] = 1.5  # row 3
    return frame


def _bad_decisions() -> pd.DataFrame:
    frame = _submissions().assign(selected=["yes", "no"] * 3)
    frame.loc[4, "selected"] = "maybe"  # row 6
    return frame


def _bad_counts() -> pd.DataFrame:
    return pd.DataFrame(
        {"group": ["w", "m", "x"], "applicants": [10, 12, 6], "selected": [3, 14, 2]}
    )  # row 3: more selected than applicants


def _good(folder: Path, name: str, frame: pd.DataFrame) -> Path:
    path = folder / name
    if not path.exists():
        write_frame(path, frame)
    return path


CASES = [
    Case(
        "scores",
        _bad_scores,
        load_scores,
        (
            lambda p, _: RankStrategy().allocate(load_scores(p), capacity=2, seed="x"),
            lambda p, _: build_report(ReportInputs(scores=load_scores(p))),
        ),
        (
            lambda p, d: (
                [
                    "allocate",
                    "--scores",
                    str(p),
                    "--strategy",
                    "rank",
                    "--capacity",
                    "2",
                    "--seed",
                    "x",
                    "--out",
                    str(d / "out.csv"),
                ]
            ),
            lambda p, d: ["report", "--scores", str(p), "--out", str(d / "report")],
            lambda p, d: (
                [
                    "audit",
                    "--decisions",
                    str(_good(d, "dec.csv", _decisions())),
                    "--group",
                    "gender",
                    "--scores",
                    str(p),
                    "--json",
                    str(d / "a.json"),
                ]
            ),
        ),
    ),
    Case(
        "submissions",
        _bad_submissions,
        load_submissions,
        (
            lambda p, _: RankStrategy().allocate(
                _scores(), load_submissions(p), capacity=2, seed="x"
            ),
        ),
        (
            lambda p, d: (
                [
                    "allocate",
                    "--scores",
                    str(_good(d, "s.csv", _scores())),
                    "--submissions",
                    str(p),
                    "--strategy",
                    "rank",
                    "--capacity",
                    "2",
                    "--seed",
                    "x",
                    "--out",
                    str(d / "out.csv"),
                ]
            ),
            lambda p, d: (
                [
                    "audit",
                    "--decisions",
                    str(_good(d, "al.csv", _allocation())),
                    "--submissions",
                    str(p),
                    "--group",
                    "gender",
                    "--json",
                    str(d / "a.json"),
                ]
            ),
        ),
    ),
    Case(
        "allocation",
        _bad_allocation,
        load_allocation,
        (lambda p, _: build_report(ReportInputs(allocations=[load_allocation(p)])),),
        (lambda p, d: ["report", "--allocation", str(p), "--out", str(d / "report")],),
    ),
    Case(
        "decisions",
        _bad_decisions,
        lambda p: load_decisions(p, groups=["gender"]),
        (lambda p, _: run_audit(load_decisions(p, groups=["gender"]), groups="gender"),),
        (
            lambda p, d: (
                ["audit", "--decisions", str(p), "--group", "gender", "--json", str(d / "a.json")]
            ),
        ),
    ),
    Case(
        "counts",
        _bad_counts,
        load_counts,
        (lambda p, _: audit_counts(load_counts(p), group_col="group"),),
        (
            lambda p, d: (
                [
                    "audit",
                    "--counts",
                    str(p),
                    "--group-col",
                    "group",
                    "--applicants-col",
                    "applicants",
                    "--selected-col",
                    "selected",
                    "--json",
                    str(d / "a.json"),
                ]
            ),
        ),
    ),
]


def _decisions() -> pd.DataFrame:
    return _submissions().assign(selected=["yes", "no"] * 3)


def _reference(case: Case, path: Path) -> str:
    with pytest.raises(FairpanelInputError) as err:
        case.loader(path)
    return str(err.value)


@pytest.mark.parametrize("case", CASES, ids=[c.table for c in CASES])
def test_every_library_consumer_refuses_with_the_loaders_sentence(
    case: Case, tmp_path: Path
) -> None:
    path = _good(tmp_path, f"{case.table}.csv", case.frame())
    expected = _reference(case, path)
    assert expected.startswith(f"{path}, row ")
    for consume in case.library:
        with pytest.raises(FairpanelInputError) as err:
            consume(path, tmp_path)
        assert str(err.value) == expected


@pytest.mark.parametrize("case", CASES, ids=[c.table for c in CASES])
def test_every_command_refuses_with_the_loaders_sentence(case: Case, tmp_path: Path) -> None:
    path = _good(tmp_path, f"{case.table}.csv", case.frame())
    expected = _reference(case, path)
    for command in case.commands:
        out = tmp_path / "outputs"
        out.mkdir(exist_ok=True)
        args = command(path, out)  # writes the command's good inputs first
        before = sorted(out.rglob("*"))
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.strip().splitlines() == [f"fairpanel: error: {expected}"]
        assert sorted(out.rglob("*")) == before  # nothing written
