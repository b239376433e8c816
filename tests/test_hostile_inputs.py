"""CLI guard and size limits: no input, however mangled, gets a Python stack or unbounded work.

The fuzz tests mutate the good example tables (a cell, a header, the encoding) and run
each command in-process through Typer's runner; the command may accept the file (exit
0) or refuse it (exit 2), never anything else. The limit tests lower a limit (the real
ones are hundreds of megabytes) and check the one-line refusal.
"""

from __future__ import annotations

import shlex
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from fairpanel import _limits
from fairpanel._errors import FairpanelInputError
from fairpanel._json import read_json
from fairpanel.cli import _guard, app
from fairpanel.io import _read, read_table

GOOD = Path(__file__).parent / "data" / "good"
REVIEWS = (GOOD / "reviews.csv").read_text(encoding="utf-8")
SUBMISSIONS = (GOOD / "submissions.csv").read_text(encoding="utf-8")
RUBRIC = GOOD / "rubric.yaml"
#: A score table as `fairpanel score` writes it (what `allocate` reads).
SCORES = (
    "submission_id,calibrated_score,expected_rank,rank_lo50,rank_hi50,rank_lo90,rank_hi90\n"
    + (
        "".join(
            f"P0{i},{5 - 0.4 * i},{i},{max(1, i - 1)},{min(6, i + 1)},1,6\n" for i in range(1, 7)
        )
    )
)
#: An audit JSON as `fairpanel audit` writes it is long; a certificate is short and has
#: every kind of value (text, numbers, lists, nested objects).
CERTIFICATE = (
    '{"seed": "s", "places": 1, "entrants": [["P01", 1.0], ["P02", 2.0]], '
    '"algorithm": "sha256-weighted", "order": ["P02", "P01"], "drawn": ["P02"]}'
)

#: Each command's arguments; {reviews}, {submissions} and {out} are filled per example.
COMMANDS = {
    "validate": "validate --reviews {reviews} --submissions {submissions} --rubric {rubric}",
    "score": "score --reviews {reviews} --rubric {rubric} --method eb --out {out}",
    "reliability": "reliability --reviews {reviews} --rubric {rubric} --bootstrap 0",
    "audit": "audit --decisions {submissions} --group gender --selected hours",
    "allocate": "allocate --scores {reviews} --strategy partial-lottery --capacity 2 "
    "--seed 1 --out {out}",
}
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1", "cp1252")

# Cells: any text, plus the characters that break parsers and spreadsheets.
cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from(['"', ",", ";", "\t", "\n", "\r", "=1+1", "-3", "NaN", "inf", "\x00", ""]),
)


def _mutate(text: str, row: int, col: int, value: str) -> str:
    lines = text.splitlines()
    row %= len(lines)
    cells_ = lines[row].split(",")
    cells_[col % len(cells_)] = value
    lines[row] = ",".join(cells_)
    return "\n".join(lines) + "\n"


def _run(command: str, reviews: bytes, submissions: bytes, *, encoding: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "reviews.csv").write_bytes(reviews)
        (folder / "submissions.csv").write_bytes(submissions)
        args = COMMANDS[command].format(
            reviews=folder / "reviews.csv",
            submissions=folder / "submissions.csv",
            rubric=RUBRIC,
            out=folder / "out.csv",
        )
        argv = shlex.split(args) + ([] if encoding is None else ["--encoding", encoding])
        result = CliRunner().invoke(app, argv)
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert isinstance(result.exception, SystemExit)
        assert len(result.stderr.splitlines()) == 1, result.stderr


@pytest.mark.parametrize("command", sorted(COMMANDS))
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    row=st.integers(0, 40),
    col=st.integers(0, 5),
    value=cells,
    write_as=st.sampled_from(ENCODINGS),
    read_as=st.sampled_from((None, *ENCODINGS)),
)
def test_a_mangled_table_is_read_or_refused_in_one_line(
    command, row, col, value, write_as, read_as
):
    target = "submissions" if command == "audit" else "reviews"
    first = SCORES if command == "allocate" else REVIEWS
    text = _mutate(first if target == "reviews" else SUBMISSIONS, row, col, value)
    data = text.encode(write_as, errors="replace")
    reviews = data if target == "reviews" else REVIEWS.encode()
    submissions = data if target == "submissions" else SUBMISSIONS.encode()
    _run(command, reviews, submissions, encoding=read_as)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(header=st.lists(st.text(max_size=6), min_size=1, max_size=6))
def test_a_mangled_header_is_read_or_refused_in_one_line(header):
    body = REVIEWS.split("\n", 1)[1]
    text = ",".join(header) + "\n" + body
    _run("validate", text.encode("utf-8", errors="replace"), SUBMISSIONS.encode(), encoding=None)


@settings(max_examples=12, deadline=None, derandomize=True)
@given(
    at=st.integers(0, len(CERTIFICATE) - 1),
    cut=st.integers(0, 3),
    value=st.sampled_from(
        ["", "[", "{", "}", '"', "-1e999", "null", "[[[[", "9" * 5000, "\\ud800"]
    ),
)
def test_a_mangled_json_is_read_or_refused_in_one_line(at, cut, value):
    text = CERTIFICATE[:at] + value + CERTIFICATE[at + cut :]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "draw.json"
        path.write_text(text, encoding="utf-8")
        for args in (["verify-draw", str(path)], ["report", "--out", tmp, "--audit", str(path)]):
            result = CliRunner().invoke(app, args)
            assert result.exit_code == 2, result.output
            assert "Traceback" not in result.output
            assert len(result.stderr.splitlines()) == 1, result.stderr


# ------------------------------------------------------------------- the guard
def _boom(*args, **kwargs):
    raise RuntimeError("something fairpanel did not expect")


def test_an_unexpected_error_is_one_line_and_exit_70(monkeypatch):
    monkeypatch.setattr(_read, "decode", _boom)
    monkeypatch.delenv(_guard.DEBUG_ENV, raising=False)
    result = CliRunner().invoke(app, ["validate", "--reviews", str(GOOD / "reviews.csv")])
    assert result.exit_code == _guard.EXIT_BUG == 70
    assert result.stderr.splitlines() == [
        "fairpanel: error: "
        + _guard.ERR_BUG.format(
            kind="RuntimeError",
            detail="something fairpanel did not expect",
            env="FAIRPANEL_DEBUG",
        )
    ]


def test_fairpanel_debug_shows_the_stack(monkeypatch):
    monkeypatch.setattr(_read, "decode", _boom)
    monkeypatch.setenv(_guard.DEBUG_ENV, "1")
    result = CliRunner().invoke(app, ["validate", "--reviews", str(GOOD / "reviews.csv")])
    assert isinstance(result.exception, RuntimeError)


def test_a_system_error_names_the_file_and_exits_2(tmp_path):
    out = tmp_path / "no" / "such"
    out.parent.write_text("a file where a folder should be")
    result = CliRunner().invoke(
        app, ["rubric", "show", str(RUBRIC), "--out", str(out / "card.md")]
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        # The file in the way is named, not the folder below it that was to be made.
        f"fairpanel: error: cannot create the folder '{out.parent}' (a file of that name "
        "is in the way)"
    )


# ------------------------------------------------------------------- limits
def test_a_table_past_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "reviews.csv"
    path.write_text(REVIEWS, encoding="utf-8")
    monkeypatch.setattr(_read, "MAX_TABLE_BYTES", 100)
    with pytest.raises(FairpanelInputError) as info:
        read_table(path)
    size = _limits.human_bytes(len(REVIEWS.encode()))
    assert info.value.message == _limits.ERR_FILE_TOO_BIG.format(
        size=size, what="a table", limit="100 bytes"
    )


def test_a_table_with_too_many_rows_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "reviews.csv"
    path.write_text(REVIEWS, encoding="utf-8")
    monkeypatch.setattr(_read, "MAX_TABLE_ROWS", 10)
    rows = REVIEWS.count("\n")
    with pytest.raises(FairpanelInputError) as info:
        read_table(path)
    assert info.value.message == _limits.ERR_TOO_MANY.format(
        count=f"{rows:,}", what="rows", limit="10"
    )


def test_a_table_that_would_not_fit_in_memory_names_the_sizes():
    with pytest.raises(FairpanelInputError) as info:
        _limits.check_table_memory("big.csv", 2_000_000_000, available=8_000_000_000)
    assert str(info.value) == (
        "big.csv: the file is 2.0 GB; reading it needs about 40.0 GB of memory and this "
        "machine has 8.0 GB available; split the table, or run on a machine with more memory"
    )


def test_a_json_past_the_size_limit_is_refused(tmp_path, monkeypatch):
    from fairpanel._json import _read as json_read

    path = tmp_path / "audit.json"
    path.write_text("{}" + " " * 200, encoding="utf-8")
    monkeypatch.setattr(json_read, "MAX_JSON_BYTES", 100)
    with pytest.raises(FairpanelInputError, match="more than fairpanel reads"):
        read_json(path)


def test_a_deep_json_is_refused_at_any_depth(tmp_path):
    path = tmp_path / "deep.json"
    for depth in (_limits.MAX_JSON_DEPTH + 1, 100_000):
        path.write_text("[" * depth + "]" * depth, encoding="utf-8")
        with pytest.raises(FairpanelInputError, match="nested more than 64 levels"):
            read_json(path)
    path.write_text("[" * _limits.MAX_JSON_DEPTH + "]" * _limits.MAX_JSON_DEPTH)
    assert read_json(path) is not None
