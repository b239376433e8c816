"""The end-to-end demo: every step runs, the reports exist and are safe to publish."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel._schema import DEMO_SEED
from fairpanel.cli import app

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "telescope"


def test_demo_writes_the_three_reports(demo_output: Path) -> None:
    for name in ("report.html", "report.md", "report.json"):
        assert (demo_output / name).stat().st_size > 1000
    for name in ("report.html", "report.md", "report.json"):
        assert (demo_output / "hiring" / name).is_file()
    # The rubric card and the per-submission table, as issue 2's demo promised.
    card = (demo_output / "telescope" / "rubric-card.html").read_text(encoding="utf-8")
    assert "Scientific merit" in card
    assert "<html" in card
    scores = pd.read_csv(demo_output / "telescope" / "scores.csv")
    assert len(scores) == 300
    assert {"submission_id", "calibrated_score", "expected_rank", "sucra"} <= set(scores.columns)


def test_demo_html_references_no_external_url(demo_output: Path) -> None:
    html = (demo_output / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html


def test_demo_report_has_every_section(demo_output: Path) -> None:
    payload = json.loads((demo_output / "report.json").read_text(encoding="utf-8"))
    ids = [s["id"] for s in payload["sections"]]
    for expected in (
        "rubric",
        "reliability",
        "ranking",
        "strategies",
        "audit",
        "simulation",
        "ml",
        "draw",
        "methods",
    ):
        assert expected in ids
    assert payload["provenance"]["seed"] == "fairpanel-demo-2026"
    assert set(payload["provenance"]["input_checksums"]) >= {"submissions.csv", "reviews.csv"}


def test_demo_uses_the_bundled_example(demo_output: Path) -> None:
    # The demo regenerates the example with the same generator and seed, so an installed
    # package needs no data files; the bundled CSVs must be exactly what it produces.
    for name in ("submissions.csv", "reviews.csv"):
        bundled = (EXAMPLES / name).read_bytes()
        assert (demo_output / "telescope" / "inputs" / name).read_bytes() == bundled


def test_no_individual_group_attribute_in_the_publishable_report(demo_output: Path) -> None:
    submissions = pd.read_csv(EXAMPLES / "submissions.csv", dtype=str)
    md = (demo_output / "report.md").read_text(encoding="utf-8")
    # No row of the report pairs a submission id with its applicant's gender.
    for row in submissions.head(50).itertuples(index=False):
        assert not re.search(rf"\b{row.submission_id}\b[^\n]*\b{row.gender}\b", md)


def test_demo_command_prints_the_report_path(
    tmp_path: Path, demo_output: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The command only passes its options on and prints where the reports are: the
    # demo itself is the session's (``demo_output``), and CI's sdist-check runs the real
    # ``fairpanel demo`` on the installed package; running it a third time here would
    # cost CI 40 s for nothing more.
    from fairpanel import _demo

    calls = []

    def fake(out: Path, *, seed: str, progress: bool) -> _demo.DemoResult:
        calls.append((out, seed, progress))
        return _demo.DemoResult(
            out=demo_output,
            report=demo_output / "report.html",
            hiring_report=demo_output / "hiring" / "report.html",
            dpr_report=demo_output / "dpr" / "report.html",
            files={},
            seconds=1.0,
        )

    monkeypatch.setattr(_demo, "run_demo", fake)
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("report.html")
    assert Path(result.stdout.strip().splitlines()[-1]).is_file()
    assert calls == [(tmp_path, DEMO_SEED, False)]


def test_demo_scenario_is_the_bundled_one():
    # The demo inlines examples/scenarios/biased-reviewers.yaml so an installed package
    # needs no files; the two must not drift apart.
    from fairpanel._demo import BIASED_REVIEWERS
    from fairpanel.simulate import load_scenario

    bundled = load_scenario(EXAMPLES.parent / "scenarios" / "biased-reviewers.yaml")
    assert bundled == BIASED_REVIEWERS


def test_demo_has_a_distributed_review_report(demo_output: Path) -> None:
    # 300 PIs rank 10 proposals each; a third push their competitors down by one merit
    # SD and three reviews carry a declared conflict: the checks find both.
    payload = json.loads((demo_output / "dpr" / "report.json").read_text(encoding="utf-8"))
    ids = [s["id"] for s in payload["sections"]]
    assert ids[:2] == ["ranking", "distributed-review"]
    check = json.loads((demo_output / "dpr" / "dpr-check.json").read_text(encoding="utf-8"))
    assert check["p_value"] < 0.001
    assert check["mean_difference"] > 0
    assert len(check["conflicts"]) == 3
    scores = pd.read_csv(demo_output / "dpr" / "scores.csv")
    assert len(scores) == 300
    section = payload["sections"][1]
    assert any("3 declared conflicts" in p for p in section["paragraphs"])
    assert "PI-" not in json.dumps(section)  # reviewers are never named
