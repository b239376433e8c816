"""Disconnected panels: scores say when the design splits into parts that share no reviewer.

The shape is the SNSF ERforResearch mock panel (three panels of 15 proposals, each with
its own five assessors), written here small: two panels of four submissions.
"""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from fairpanel.cli._main import app
from fairpanel.scoring import ScoreResult, score


def _votes(linked: bool) -> pd.DataFrame:
    rows = []
    grades = [5, 4, 3, 2, 6, 4, 3, 1, 5, 5, 2, 2, 6, 3, 4, 2]
    for k, (panel, sub) in enumerate((p, f"{p}{i}") for p in "AB" for i in range(4)):
        for r in range(2):
            rows.append((sub, f"{panel}-v{r}", grades[(2 * k + r) % len(grades)]))
    frame = pd.DataFrame(rows, columns=["submission_id", "reviewer_id", "score"])
    if linked:  # one reviewer of panel A also reviews one submission of panel B
        frame.loc[len(frame)] = ("B0", "A-v0", 4)
    return frame


def test_panel_sizes_are_counted_largest_first() -> None:
    split = score(_votes(linked=False), scale=(1, 6), method="eb", seed=1)
    assert split.panel_sizes == (4, 4)
    joined = score(_votes(linked=True), scale=(1, 6), method="eb", seed=1)
    assert joined.panel_sizes == (8,)


def test_panel_sizes_round_trip_and_old_files_read() -> None:
    doc = score(_votes(linked=False), scale=(1, 6), method="eb", seed=1).to_dict()
    assert ScoreResult.from_dict(json.loads(json.dumps(doc))).panel_sizes == (4, 4)
    del doc["panel_sizes"]
    assert ScoreResult.from_dict(json.loads(json.dumps(doc))).panel_sizes == ()


def test_the_command_warns_about_unlinked_panels(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for linked, warned in ((False, True), (True, False)):
        path = tmp_path / f"votes{linked}.csv"
        _votes(linked).to_csv(path, index=False)
        args = ["score", "--reviews", str(path), "--scale-min", "1", "--scale-max", "6"]
        result = CliRunner().invoke(
            app, [*args, "--method", "eb", "--out", str(tmp_path / f"s{linked}.csv")]
        )
        assert result.exit_code == 0, result.output
        assert ("2 panels that share no reviewer" in " ".join(result.output.split())) is warned


def test_the_report_summary_says_so() -> None:
    from fairpanel.report import ReportInputs, build_report

    result = score(_votes(linked=False), scale=(1, 6), method="eb", seed=1)
    report = build_report(ReportInputs(title="panels", scores=result))
    assert "2 panels that share no reviewer (4, 4 submissions)" in " ".join(report.summary)
