"""One reviews table, one set of checks: io, scoring and reliability refuse alike.

The reference is :func:`fairpanel.io.load_reviews`, the one reader of a reviews table:
every bad frame below must give its error, word for word (file, spreadsheet row, column,
hint), from :func:`fairpanel.scoring.score` and
:func:`fairpanel.reliability.assess_reliability` too. A frame it already returned is
handed on as it is, so the CLI, which loads first, does not check twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel import FairpanelInputError
from fairpanel._schema import BOOL_HINT
from fairpanel.cli._main import app
from fairpanel.io import _reviews as io_reviews
from fairpanel.io import load_reviews
from fairpanel.io._checks import ERR_MISSING_VALUE, ERR_NOT_BOOL, ERR_NOT_NUMBER
from fairpanel.io._reviews import (
    ERR_CONFLICT,
    ERR_DUPLICATE_REVIEW,
    ERR_OFF_SCALE,
    HINT_CONFLICT,
    HINT_DUPLICATE,
    HINT_EMPTY_SCORE,
    HINT_OFF_SCALE,
    HINT_SCORE,
)
from fairpanel.panel import from_reviews
from fairpanel.reliability import assess_reliability
from fairpanel.rubric import Rubric
from fairpanel.scoring import score

RUBRIC = Rubric.single_criterion(minimum=1, maximum=5, name="merit")


def _reviews() -> pd.DataFrame:
    """Three submissions, two reviewers each, one merit score, a conflict column."""
    rows = [
        ("S1", "r1", 4, "no"), ("S1", "r2", 5, ""),
        ("S2", "r1", 2, "0"), ("S2", "r2", 3, None),
        ("S3", "r1", 3, "false"), ("S3", "r2", 1, "no"),
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["submission_id", "reviewer_id", "score", "conflict"])
    return frame.assign(criterion="merit").astype({"score": object})


def _with(changes: dict[tuple[int, str], Any]) -> pd.DataFrame:
    frame = _reviews()
    for (pos, column), value in changes.items():
        frame.loc[pos, column] = value
    return frame


# Each fault, the cell it is in, and the line io.load_reviews gives (row: header = 1).
FAULTS = {
    "bad conflict flag": (
        {(1, "conflict"): "y"},
        (ERR_NOT_BOOL.format(value="y"), 3, "conflict", BOOL_HINT),
    ),
    "not a number": (
        {(2, "score"): "high"},
        (ERR_NOT_NUMBER.format(what="score", value="high"), 4, "score", HINT_SCORE),
    ),
    "blank score": (
        {(2, "score"): None},
        (ERR_MISSING_VALUE.format(what="score"), 4, "score", HINT_EMPTY_SCORE),
    ),
    "duplicate review": (
        {(3, "submission_id"): "S1", (3, "reviewer_id"): "r1"},
        (
            ERR_DUPLICATE_REVIEW.format(
                reviewer="r1", criterion="merit", submission="S1", first=2, row=5
            ),
            5,
            "reviewer_id",
            HINT_DUPLICATE,
        ),
    ),
    "conflicted review": (
        {(4, "conflict"): "yes"},
        (
            ERR_CONFLICT.format(reviewer="r1", submission="S3"),
            6,
            "conflict",
            HINT_CONFLICT,
        ),
    ),
    "off the rubric's scale": (
        {(5, "score"): 7},
        (
            ERR_OFF_SCALE.format(value=7, min=1, max=5),
            7,
            "score",
            HINT_OFF_SCALE.format(levels="1, 2, 3, 4, 5"),
        ),
    ),
}

CONSUMERS = {
    "io.load_reviews": lambda frame: load_reviews(frame, rubric=RUBRIC),
    "scoring.score": lambda frame: score(frame, rubric=RUBRIC, method="eb", seed=0),
    "reliability.assess_reliability": lambda frame: assess_reliability(frame, rubric=RUBRIC),
}


def _error(call: Any, frame: pd.DataFrame) -> FairpanelInputError:
    with pytest.raises(FairpanelInputError) as info:
        call(frame.copy())
    return info.value


@pytest.mark.parametrize("fault", list(FAULTS))
def test_every_consumer_refuses_a_fault_with_the_loaders_line(fault: str) -> None:
    changes, (message, row, column, hint) = FAULTS[fault]
    frame = _with(changes)
    errors = {name: _error(call, frame) for name, call in CONSUMERS.items()}
    reference = errors["io.load_reviews"]
    assert (reference.message, reference.row, reference.column) == (message, row, column)
    assert (reference.file, reference.hint) == ("reviews table", hint)
    assert {name: str(err) for name, err in errors.items()} == dict.fromkeys(
        CONSUMERS, str(reference)
    )


def test_every_fault_at_once_gives_the_first_row_everywhere() -> None:
    changes: dict[tuple[int, str], Any] = {}
    for fault, (change, _) in FAULTS.items():
        if fault != "blank score":  # the same cell as "not a number"
            changes.update(change)
    frame = _with(changes)
    lines = {name: str(_error(call, frame)) for name, call in CONSUMERS.items()}
    # The earliest faulty row is the bad conflict flag (row 3), whoever reads the table.
    assert lines == dict.fromkeys(CONSUMERS, lines["io.load_reviews"])
    assert lines["scoring.score"].startswith("reviews table, row 3, column 'conflict'")


def test_blank_scores_are_left_out_only_when_asked() -> None:
    frame = _with({(2, "score"): "NA"})
    panel = from_reviews(frame, rubric=RUBRIC, missing="drop")
    assert panel.n_reviews == 5
    loaded = load_reviews(frame, rubric=RUBRIC, missing="drop")
    assert loaded.attrs["dropped"] == 1
    assert score(loaded, rubric=RUBRIC, method="eb", seed=0).table["n_reviews"].sum() == 5


# ------------------------------------------------------------- a loaded table, once
def test_a_loaded_table_is_handed_on_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = load_reviews(_reviews(), rubric=RUBRIC)
    assert load_reviews(loaded, rubric=RUBRIC) is loaded
    assert load_reviews(loaded) is loaded  # checked against a rubric: more than asked

    def read_again(*args: object, **kwargs: object) -> None:
        raise AssertionError("the loaded table was read again")

    monkeypatch.setattr(io_reviews, "as_table", read_again)
    assert from_reviews(loaded, rubric=RUBRIC).n_reviews == 6
    assert score(loaded, rubric=RUBRIC, method="eb", seed=0).table.shape[0] == 3
    assert assess_reliability(loaded, rubric=RUBRIC).n_reviews == 6


def test_a_loaded_table_changed_since_is_read_again() -> None:
    loaded = load_reviews(_reviews())
    other = Rubric.single_criterion(minimum=1, maximum=4, name="merit")
    # Loaded without a rubric, checked against one when it is given (row 3 holds a 5).
    with pytest.raises(FairpanelInputError) as info:
        from_reviews(loaded, rubric=other)
    assert (info.value.row, info.value.column) == (3, "score")
    flagged = loaded.copy()
    flagged.loc[4, "conflict"] = True
    with pytest.raises(FairpanelInputError) as info:
        score(flagged, rubric=RUBRIC, method="eb")
    assert info.value.message == ERR_CONFLICT.format(reviewer="r1", submission="S3")
    emptied = loaded.copy()
    emptied.loc[2, "score"] = float("nan")
    with pytest.raises(FairpanelInputError) as info:
        assess_reliability(emptied)
    assert info.value.message == ERR_MISSING_VALUE.format(what="score")
    assert info.value.row == 4


def test_overall_grades_loaded_alone_take_the_rubrics_one_criterion() -> None:
    # A file without a criterion column holds overall grades; with a one-criterion
    # rubric they are that criterion's, whether the rubric comes at loading or later.
    loaded = load_reviews(_reviews().drop(columns="criterion"))
    assert set(loaded["criterion"]) == {"overall"}
    assert from_reviews(loaded, rubric=RUBRIC).criterion == "merit"


def test_the_cli_reads_the_reviews_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "reviews.csv"
    _reviews().drop(columns="criterion").to_csv(path, index=False)  # overall grades
    reads: list[object] = []
    as_table = io_reviews.as_table

    def counted(obj: object, **kwargs: Any) -> Any:
        reads.append(obj)
        return as_table(obj, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(io_reviews, "as_table", counted)
    for command in (
        ["score", "--method", "eb", "--scale-min", "1", "--scale-max", "5"],
        ["reliability"],
    ):
        reads.clear()
        out = ["--out", str(tmp_path / "scores.csv")] if command[0] == "score" else []
        result = CliRunner().invoke(app, [*command, "--reviews", str(path), *out])
        assert result.exit_code == 0, result.output
        assert reads == [path]
