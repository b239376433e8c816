"""``fairpanel report`` from the files the other commands write."""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
from typer.testing import CliRunner

from fairpanel.cli import app
from fairpanel.io import write_frame, write_json
from fairpanel.lottery import DrawCertificate
from fairpanel.report import ReportInputs, build_report
from fairpanel.scoring import score
from fairpanel.simulate import compare, load_scenario, parse_grid, sweep
from fairpanel.strategies import PartialLotteryStrategy


def test_report_from_files_equals_the_library_call(p1_reviews, tmp_path):
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
    # What differs by design: when and how it was made, the input checksums, and what
    # the command verified of the files (the library call was given no files).
    for payload in (written, expected):
        payload.pop("provenance")
    verification = [s for s in written["sections"] if s["id"] == "verification"]
    assert verification, "the command says what it verified"
    written["sections"] = [s for s in written["sections"] if s["id"] != "verification"]
    assert written == json.loads(json.dumps(expected))
    assert "At the same capacity, partial lottery funds" in " ".join(written["summary"])
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


def test_report_reads_scores_written_as_text(p1_reviews, tmp_path):
    scores = score(p1_reviews(), scale=(1, 6), seed=7, method="eb").table
    path = tmp_path / "scores.csv"
    scores.astype(str).to_csv(path, index=False)
    result = CliRunner().invoke(app, ["report", "--scores", str(path), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(path).shape[0] == 15


def test_simulate_json_gives_the_report_the_demos_simulation_section(tmp_path):
    # `fairpanel simulate --json` writes all the section reads (the merit curve and the
    # sweep), so the report from the file equals the one built from the objects in
    # memory, as the demo builds it.
    scenario = tmp_path / "small.yaml"
    scenario.write_text("name: small\nsubmissions: 120\ncapacity: 0.2\n", encoding="utf-8")
    sim_json, out = tmp_path / "sim.json", tmp_path / "report"
    grid = ["noise_sd=0.5,2", "capacity=0.1,0.3"]
    args = ["--strategies", "rank,lottery", "--replicates", "12", "--seed", "x"]
    sweep_args = [a for g in grid for a in ("--sweep", g)] + ["--sweep-replicates", "4"]
    result = CliRunner().invoke(
        app,
        ["simulate", "--scenario", str(scenario), *args, *sweep_args, "--json", str(sim_json)],
    )
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, ["report", "--simulation", str(sim_json), "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = json.loads((out / "report.json").read_text(encoding="utf-8"))

    sc = load_scenario(scenario)
    names = ("rank", "lottery")
    in_memory = replace(
        compare(sc, strategies=names, replicates=12, seed="x", progress=False),
        sweep=sweep(sc, parse_grid(grid), strategies=names, replicates=4, seed="x", n_jobs=1),
    )
    expected = build_report(ReportInputs(simulation=in_memory)).to_dict()
    section = next(s for s in written["sections"] if s["id"] == "simulation")
    assert section == json.loads(json.dumps(expected["sections"][0]))
    assert written["summary"] == expected["summary"]
    assert [c["id"] for c in section["charts"]][1:] == [
        "sweep-merit-recovered",
        "sweep-consistency",
    ]


def test_report_names_the_file_and_field_of_a_wrong_result(p1_reviews, tmp_path):
    cert = (
        PartialLotteryStrategy()
        .allocate(
            score(p1_reviews(), scale=(1, 6), seed=7, method="eb").table, capacity=5, seed="s"
        )
        .certificate
    )
    path = write_json(tmp_path / "draw.json", cert.to_dict())
    result = CliRunner().invoke(
        app, ["report", "--simulation", str(path), "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert f"{path}, field 'schema.name': this is a fairpanel.certificate file" in result.stderr
    bad = cert.to_dict()
    bad["entrants"][1]["weight"] = "2"
    write_json(path, bad)
    result = CliRunner().invoke(
        app, ["report", "--certificate", str(path), "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 2
    assert "field 'entrants[1].weight': expected a number" in result.stderr
    assert not (tmp_path / "r").exists()
