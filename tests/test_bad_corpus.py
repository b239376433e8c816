"""Every malformed input in tests/data/bad is rejected with exit 2 and its one-line message.

Each case directory holds the inputs, ``args.txt`` (the CLI arguments) and ``expected.txt``
(the stderr line without the ``fairpanel: error: `` prefix); see tests/data/bad/README.md.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fairpanel.cli import app

BAD = Path(__file__).parent / "data" / "bad"
PREFIX = "fairpanel: error: "
CASES = sorted(p for p in BAD.iterdir() if p.is_dir() and (p / "args.txt").is_file())


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
    }


def test_corpus_covers_the_required_cases():
    names = {p.name for p in CASES}
    required = {
        "missing_column",
        "empty_file",
        "header_only",
        "duplicate_review",
        "score_off_scale",
        "non_numeric_score",
        "unknown_criterion",
        "unknown_submission",
        "conflict_of_interest",
        "not_utf8",
        "bad_xlsx_column",
        "duplicate_submission_id",
        "empty_group_value",
        "negative_request",
    }
    assert required <= names


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_bad_input_is_rejected_with_its_message(case: Path, monkeypatch: pytest.MonkeyPatch):
    args = shlex.split((case / "args.txt").read_text(encoding="utf-8"))
    expected = (case / "expected.txt").read_text(encoding="utf-8").strip()
    assert "\n" not in expected
    before = _snapshot(case)
    monkeypatch.chdir(case)

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].removeprefix(PREFIX) == expected
    assert lines[0].startswith(PREFIX)
    assert result.stdout == ""
    assert _snapshot(case) == before
