"""``fairpanel audit --cycle-col`` and ``fairpanel plan``; the report's Before and after."""

import json

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from fairpanel.audit import audit_counts
from fairpanel.cli._audit import ERR_ADJUST, ERR_CHANGE_BOTH, ERR_CHANGE_NEEDS_CYCLE
from fairpanel.cli._main import app
from fairpanel.report import ReportInputs, build_report, render_html, render_markdown

runner = CliRunner()


def _counts(seed=4):
    # Shaped like the SNSF's published table: call × research area × gender.
    rng = np.random.default_rng(seed)
    rows = []
    for year in range(2016, 2024):
        for area in ("LS", "MINT", "SSH"):
            for gender, n, rate in (
                ("Female", 60, 0.17 if year < 2020 else 0.24),
                ("Male", 90, 0.24),
            ):
                rows.append((year, area, gender, n, int(rng.binomial(n, rate))))
    return pd.DataFrame(rows, columns=["call", "research_area", "gender", "submitted", "approved"])


def test_cli_json_equals_the_library(tmp_path):
    counts = _counts()
    path = tmp_path / "counts.csv"
    counts.to_csv(path, index=False)
    out = tmp_path / "audit.json"
    args = ["audit", "--counts", str(path), "--group-col", "gender"]
    args += ["--applicants-col", "submitted", "--selected-col", "approved"]
    args += ["--strata-col", "research_area", "--cycle-col", "call", "--change-at", "2020"]
    args += ["--adjust", "bh", "--scan", "--json", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    library = audit_counts(
        counts.astype({"call": str}),
        group_col="gender",
        applicants_col="submitted",
        selected_col="approved",
        strata_col="research_area",
        cycle_col="call",
        change_at="2020",
        adjust="bh",
        scan=True,
        seed="fairpanel-audit",
    )
    written = json.loads(out.read_text())
    assert written.pop("provenance")["command"] == "audit"  # the command's own record
    assert written == json.loads(json.dumps(library.to_dict()))
    change = written["attributes"]["gender"]["change"][0]
    assert change["change_at"] == "2020"
    assert change["change_points"] > 0  # women's rate rose after the change


def test_bad_change_options_exit_2(tmp_path):
    path = tmp_path / "counts.csv"
    _counts().to_csv(path, index=False)
    base = ["audit", "--counts", str(path), "--group-col", "gender"]
    base += ["--applicants-col", "submitted", "--selected-col", "approved"]
    cases = [
        (["--change-at", "2020"], ERR_CHANGE_NEEDS_CYCLE),
        (["--cycle-col", "call", "--change-at", "2020", "--change-col", "x"], ERR_CHANGE_BOTH),
        (["--adjust", "bonferroni"], ERR_ADJUST.format(value="bonferroni", allowed="holm, bh")),
    ]
    for extra, message in cases:
        result = runner.invoke(app, base + extra)
        assert result.exit_code == 2
        assert message in result.output.replace("\n", " ")
    result = runner.invoke(app, [*base, "--cycle-col", "year"])
    assert result.exit_code == 2
    assert "no cycle column 'year'" in result.output


def test_plan_says_how_many_cycles():
    args = ["plan", "--rate", "0.2", "--gap", "0.04", "--applicants-per-cycle", "1000"]
    result = runner.invoke(app, [*args, "--share", "0.4"])
    assert result.exit_code == 0, result.output
    assert "4 cycles" in result.output.replace("\n", " ")
    bad = runner.invoke(app, [*args, "--share", "40"])
    assert bad.exit_code == 2


def test_report_has_before_and_after_with_the_change_marked():
    counts = _counts()
    res = audit_counts(
        counts.astype({"call": str}),
        group_col="gender",
        applicants_col="submitted",
        selected_col="approved",
        strata_col="research_area",
        cycle_col="call",
        change_at="2020",
        scan=True,
        seed=1,
    )
    model = build_report(ReportInputs(audit=res))
    titles = [s.title for s in model.sections]
    assert "Before and after" in titles
    section = model.sections[titles.index("Before and after")]
    chart = section.charts[0]
    assert "the dashed line marks the change, from 2020 on" in chart.description
    assert any("would have stayed as it was" in p for p in section.paragraphs)
    assert "comparisons were made in all" in render_markdown(model)
    assert "How sure, and how much looking" in render_html(model)
