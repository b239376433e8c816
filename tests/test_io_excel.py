"""Excel outputs: one sheet per table, header frozen, text never read as a formula.

The payloads are OWASP's CSV-injection examples ("CSV Injection", owasp.org): a cell
beginning with ``=``, ``+``, ``-`` or ``@`` is evaluated by a spreadsheet unless it is
stored as text.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from fairpanel.cli._main import app
from fairpanel.io import load_allocation, read_table, write_frame
from fairpanel.io._excel import MAX_SHEET_NAME, sheet_name, workbook_bytes

PAYLOADS = ['=HYPERLINK("http://x","click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1,1)"]


def test_text_cells_are_stored_as_text_and_numbers_as_numbers() -> None:
    frame = pd.DataFrame(
        {"submission_id": PAYLOADS, "score": [1.5, 2.0, None, 4.0], "n": [1, 2, 3, 4]}
    )
    sheet = load_workbook(io.BytesIO(workbook_bytes({"t": frame})))["t"]
    assert [c.value for c in sheet[1]] == ["submission_id", "score", "n"]
    assert [sheet.cell(r, 1).value for r in range(2, 6)] == PAYLOADS
    assert {sheet.cell(r, 1).data_type for r in range(2, 6)} == {"s"}
    assert sheet.cell(2, 2).value == 1.5
    assert sheet.cell(4, 2).value is None
    assert sheet.cell(5, 3).value == 4
    assert sheet.freeze_panes == "A2"


def test_sheet_names_are_valid_and_unique() -> None:
    assert sheet_name("a" * 40) == "a" * MAX_SHEET_NAME
    taken = {"Scores"}
    assert sheet_name("scores", taken) == "scores (2)"
    book = load_workbook(
        io.BytesIO(workbook_bytes({"x": pd.DataFrame({"a": [1]}), "X": pd.DataFrame({"b": [2]})}))
    )
    assert book.sheetnames == ["x", "X (2)"]


def test_an_xlsx_output_round_trips_through_the_loaders(tmp_path) -> None:  # type: ignore[no-untyped-def]
    frame = pd.DataFrame(
        {
            "submission_id": ["007", "=1+1", "P3"],
            "strategy": "rank",
            "tier": ["funded", "rejected", "funded"],
            "selected": [True, False, True],
            "selection_probability": [1.0, 0.0, 1.0],
        }
    )
    path = write_frame(tmp_path / "allocation.xlsx", frame)
    back = read_table(path)
    assert back["submission_id"].tolist() == ["007", "=1+1", "P3"]
    loaded = load_allocation(path)
    assert loaded["selected"].tolist() == [True, False, True]


@pytest.mark.parametrize("suffix", [".xlsx", ".XLSX"])
def test_score_writes_a_workbook_when_asked(suffix: str, tmp_path, p1_reviews) -> None:  # type: ignore[no-untyped-def]
    reviews = tmp_path / "reviews.csv"
    p1_reviews().to_csv(reviews, index=False)
    out = tmp_path / f"scores{suffix}"
    args = ["score", "--reviews", str(reviews), "--scale-min", "1", "--scale-max", "6"]
    result = runner().invoke(app, [*args, "--method", "eb", "--out", str(out)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out)["scores"]
    assert sheet.freeze_panes == "A2"
    assert sheet.cell(1, 1).value == "submission_id"


def runner() -> CliRunner:
    return CliRunner()
