"""The report's quota-lottery section: the smallest chance, chance by group, the pick."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel.cli import app
from fairpanel.io import Quota, QuotaTable
from fairpanel.lottery import QuotaDrawCertificate, draw
from fairpanel.report import ReportInputs, build_report
from fairpanel.strategies import QuotaLotteryStrategy

QUOTAS = QuotaTable((Quota("gender", "woman", 4), Quota("stage", "early", 2, 3)))


@pytest.fixture(scope="module")
def allocation() -> tuple[pd.DataFrame, object]:
    n = 20
    i = np.arange(n)
    ids = [f"P{k:02d}" for k in i]
    subs = pd.DataFrame(
        {
            "submission_id": ids,
            "gender": np.where(i % 4 == 0, "woman", "man"),  # 5 women: 4 of them drawn
            "stage": np.where(i % 3 == 0, "early", "senior"),
        }
    )
    scores = pd.DataFrame({"submission_id": ids, "calibrated_score": 5.0 - i / 10})
    alloc = QuotaLotteryStrategy(quotas=QUOTAS).allocate(scores, subs, capacity=8, seed="rep")
    return subs, alloc


def _section(model: object) -> dict[str, object]:
    sections = {s["id"]: s for s in model.to_dict()["sections"]}  # type: ignore[attr-defined]
    return sections["quota-lottery"]


def test_the_section_shows_the_smallest_chance_and_each_groups_shift(
    allocation: tuple[pd.DataFrame, object],
) -> None:
    subs, alloc = allocation
    cert = alloc.certificate  # type: ignore[attr-defined]
    assert isinstance(cert, QuotaDrawCertificate)
    section = _section(build_report(ReportInputs(allocations=[alloc])))  # type: ignore[list-item]
    smallest = min(cert.chances.values())
    assert f"it is {smallest:.4f}" in section["paragraphs"][0]  # type: ignore[index]
    assert "against 0.4000 for everyone in a uniform lottery" in section["paragraphs"][0]  # type: ignore[index]
    groups = section["tables"][0]  # type: ignore[index]
    women = next(r for r in groups["rows"] if (r["attribute"], r["group"]) == ("gender", "woman"))
    # 4 of the 5 women must be drawn: mean chance 0.8, shift +40 points over 8/20
    mean = np.mean([cert.chances[s] for s in subs.loc[subs["gender"] == "woman", "submission_id"]])
    assert women["mean chance"] == f"{mean:.4f}"
    assert women["shift from uniform"] == f"{100 * (mean - 0.4):+.1f} pp"


def test_the_command_reads_a_quota_certificate_once(
    tmp_path: Path, allocation: tuple[pd.DataFrame, object]
) -> None:
    _, alloc = allocation
    (tmp_path / "cert.json").write_text(json.dumps(alloc.certificate.to_dict()))  # type: ignore[attr-defined]
    plain = draw(["a", "b", "c"], places=1, seed="x").certificate.to_dict()
    (tmp_path / "plain.json").write_text(json.dumps(plain))
    alloc.table.to_csv(tmp_path / "alloc.csv", index=False)  # type: ignore[attr-defined]
    res = CliRunner().invoke(
        app,
        [
            "report", "--out", str(tmp_path / "rep"), "--allocation", str(tmp_path / "alloc.csv"),
            "--certificate", str(tmp_path / "cert.json"),
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "rep" / "report.json").read_text())
    ids = [s["id"] for s in report["sections"]]
    assert ids.count("quota-lottery") == 1
    assert "draw" not in ids
    # A weighted draw beside it keeps its own section. It is not this allocation's draw,
    # so it is given without the allocation (the report refuses a foreign certificate).
    res = CliRunner().invoke(
        app,
        [
            "report", "--out", str(tmp_path / "rep2"), "--certificate", str(tmp_path / "cert.json"),
            "--certificate", str(tmp_path / "plain.json"),
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    ids = [
        s["id"] for s in json.loads((tmp_path / "rep2" / "report.json").read_text())["sections"]
    ]
    assert ids.count("quota-lottery") == 1
    assert "draw" in ids
