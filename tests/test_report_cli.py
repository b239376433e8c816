"""``fairpanel report`` from the files the other commands write."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from fairpanel.cli import app
from fairpanel.io import write_frame, write_json
from fairpanel.lottery import DrawCertificate
from fairpanel.report import ReportInputs, build_report
from fairpanel.scoring import score
from fairpanel.strategies import PartialLotteryStrategy
from tests.test_scoring import p1_reviews


def test_report_from_files_equals_the_library_call(tmp_path):
    scores = score(p1_reviews(), scale=(1, 6), seed=7, draws=1000).table
    alloc = PartialLotteryStrategy().allocate(scores, capacity=5, seed="s").table
    paths = {
        "scores": write_frame(tmp_path / "scores.csv", scores),
        "alloc": write_frame(tmp_path / "alloc.csv", alloc),
        "cert": write_json(
            tmp_path / "draw.json",
            PartialLotteryStrategy().allocate(scores, capacity=5, seed="s").certificate.to_dict(),
        ),
    }
    out = tmp_path / "report"
    result = CliRunner().invoke(
        app,
        [
            "report", "--scores", str(paths["scores"]), "--allocation", str(paths["alloc"]),
            "--certificate", str(paths["cert"]), "--seed", "s", "--out", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    written = json.loads((out / "report.json").read_text(encoding="utf-8"))
    expected = build_report(
        ReportInputs(
            scores=scores,
            allocations=[alloc],
            certificates=[
                DrawCertificate.from_dict(json.loads(paths["cert"].read_text(encoding="utf-8")))
            ],
            seed="s",
        )
    ).to_dict()
    # What differs by design: when and how it was made, and the input checksums.
    for payload in (written, expected):
        payload.pop("provenance")
    assert written == json.loads(json.dumps(expected))
    assert "At the same capacity, partial-lottery funds" in " ".join(written["summary"])
    for ext in ("html", "md", "json"):
        assert (out / f"report.{ext}").is_file()


def test_report_refuses_bad_json_with_one_line(tmp_path):
    bad = tmp_path / "audit.json"
    bad.write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(app, ["report", "--audit", str(bad), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "not valid JSON" in result.stderr
    assert not (tmp_path / "r").exists()


def test_report_reads_scores_written_as_text(tmp_path):
    scores = score(p1_reviews(), scale=(1, 6), seed=7, method="eb").table
    path = tmp_path / "scores.csv"
    scores.astype(str).to_csv(path, index=False)
    result = CliRunner().invoke(app, ["report", "--scores", str(path), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(path).shape[0] == 15
