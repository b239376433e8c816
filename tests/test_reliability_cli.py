"""``fairpanel reliability``: the JSON equals the library's result; bad input exits 2."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel import ReviewColumns
from fairpanel.cli._main import app
from fairpanel.io import load_reviews
from fairpanel.panel._build import ERR_NEED_RUBRIC
from fairpanel.reliability import reliability
from fairpanel.reliability._icc import ERR_NO_REPLICATION

runner = CliRunner()

# Shrout & Fleiss (1979), Table 2, written the way an SNSF export names its columns.
SHROUT_FLEISS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]
COLUMNS = ["--submission-col", "proposal", "--reviewer-col", "assessor", "--score-col", "grade"]


def _written(path):
    """A command's JSON without its provenance block (the library result has none)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("provenance", None)
    return data


def _write(path, matrix, drop=()):
    rows = [
        {"proposal": f"P{t + 1}", "assessor": f"J{r + 1}", "grade": value}
        for t, row in enumerate(matrix)
        for r, value in enumerate(row)
        if (t, r) not in drop
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _same(a, b):
    """JSON equality where NaN (library) and null (JSON) are the same missing number."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return b is None
    return a == b


@pytest.mark.parametrize("drop", [(), ((0, 1), (3, 2), (5, 0))], ids=["complete", "incomplete"])
def test_json_equals_library_result(tmp_path, drop):
    reviews = _write(tmp_path / "votes.csv", SHROUT_FLEISS, drop)
    out = tmp_path / "reliability.json"
    result = runner.invoke(
        app, ["reliability", "--reviews", str(reviews), *COLUMNS, "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    payload = _written(out)
    table = load_reviews(
        reviews, columns=ReviewColumns(submission="proposal", reviewer="assessor", score="grade")
    )
    expected = reliability(table).to_dict()
    assert _same(expected, payload)
    assert [row["type"] for row in payload["icc"]][:3] == ["ICC(1,1)", "ICC(2,1)", "ICC(3,1)"]
    assert set(payload["icc"][0]) >= {"type", "icc", "ci_low", "ci_high"}
    assert set(payload["krippendorff_alpha"]) == {"nominal", "ordinal", "interval", "ratio"}
    if not drop:  # Shrout & Fleiss (1979) Table 4: ICC(3,1) = .71
        assert round(payload["icc"][2]["icc"], 2) == 0.71
    assert np.isfinite(payload["krippendorff_alpha"]["interval"])


def test_no_replication_exits_2_naming_the_file_and_writes_nothing(tmp_path):
    # Every submission has one review: nothing to agree on.
    reviews = tmp_path / "single.csv"
    pd.DataFrame(
        {"proposal": ["a", "b", "c"], "assessor": ["x", "y", "z"], "grade": [1, 2, 3]}
    ).to_csv(reviews, index=False)
    out = tmp_path / "out.json"
    result = runner.invoke(
        app, ["reliability", "--reviews", str(reviews), *COLUMNS, "--json", str(out)]
    )
    assert result.exit_code == 2
    assert str(reviews) in result.output
    assert ERR_NO_REPLICATION in " ".join(result.output.split())
    assert not out.exists()


def test_multi_criterion_reviews_without_rubric_exit_2(tmp_path):
    reviews = tmp_path / "rubric_reviews.csv"
    pd.DataFrame(
        {
            "submission_id": ["a", "a", "a", "a", "b", "b", "b", "b"],
            "reviewer_id": ["x", "x", "y", "y"] * 2,
            "criterion": ["merit", "feasibility"] * 4,
            "score": [4, 3, 5, 3, 2, 2, 1, 3],
        }
    ).to_csv(reviews, index=False)
    result = runner.invoke(app, ["reliability", "--reviews", str(reviews)])
    assert result.exit_code == 2
    assert ERR_NEED_RUBRIC.format(n=2) in " ".join(result.output.split())


def test_bootstrap_json_equals_library_result(tmp_path):
    reviews = _write(tmp_path / "votes.csv", SHROUT_FLEISS)
    out = tmp_path / "reliability.json"
    args = ["reliability", "--reviews", str(reviews), *COLUMNS]
    result = runner.invoke(app, [*args, "--bootstrap", "200", "--seed", "s1", "--json", str(out)])
    assert result.exit_code == 0, result.output
    table = load_reviews(
        reviews, columns=ReviewColumns(submission="proposal", reviewer="assessor", score="grade")
    )
    expected = reliability(table, n_boot=200, seed="s1").to_dict()
    payload = _written(out)
    assert _same(expected, payload)
    assert payload["n_boot"] == 200
    assert payload["krippendorff_alpha_ci"]["interval"]["ci_low"] is not None


def test_reviewer_id_from_section_and_assessor(tmp_path):
    # Shrout & Fleiss's four judges as two sections of two assessors each, as the SNSF
    # MINT file numbers voters within a section: J1 of section a is not J1 of section b.
    rows = [
        {"proposal": f"P{t + 1}", "section": "ab"[r // 2], "assessor": f"J{r % 2 + 1}", "grade": v}
        for t, row in enumerate(SHROUT_FLEISS)
        for r, v in enumerate(row)
    ]
    reviews = tmp_path / "votes.csv"
    pd.DataFrame(rows).to_csv(reviews, index=False)
    out = tmp_path / "reliability.json"
    args = ["reliability", "--reviews", str(reviews), "--submission-col", "proposal"]
    args += ["--reviewer-col", "section,assessor", "--score-col", "grade"]
    result = runner.invoke(app, [*args, "--json", str(out)])
    assert result.exit_code == 0, result.output
    payload = _written(out)
    columns = ReviewColumns(submission="proposal", reviewer="section,assessor", score="grade")
    assert _same(reliability(load_reviews(reviews, columns=columns)).to_dict(), payload)
    assert payload["n_reviewers"] == 4
    assert round(payload["icc"][2]["icc"], 2) == 0.71  # Shrout & Fleiss (1979) Table 4


def test_scale_options_are_those_of_score(tmp_path):
    # The same scale rule as `fairpanel score` (rubric.choose_scale): a scale given on the
    # command line checks every grade, naming the file, row and column, and does not
    # change the statistics of grades that are on it.
    reviews = _write(tmp_path / "votes.csv", SHROUT_FLEISS)
    plain = runner.invoke(app, ["reliability", "--reviews", str(reviews), *COLUMNS])
    scaled = runner.invoke(
        app,
        [
            "reliability",
            "--reviews",
            str(reviews),
            *COLUMNS,
            "--scale-min",
            "1",
            "--scale-max",
            "10",
        ],
    )
    assert scaled.exit_code == 0, scaled.output
    assert scaled.stdout == plain.stdout
    narrow = runner.invoke(
        app,
        [
            "reliability",
            "--reviews",
            str(reviews),
            *COLUMNS,
            "--scale-min",
            "1",
            "--scale-max",
            "9",
        ],
    )
    assert narrow.exit_code == 2
    # 10 is the first judge's grade of P5: the fifth submission's first row, row 18.
    assert narrow.stderr == (
        f"fairpanel: error: {reviews}, row 18, column 'grade': score 10 is off the rubric's "
        "scale 1–9; use one of the rubric's levels: 1, 2, 3, 4, 5, 6, 7, 8, 9\n"
    )
    half = runner.invoke(
        app, ["reliability", "--reviews", str(reviews), *COLUMNS, "--scale-min", "1"]
    )
    assert half.exit_code == 2
    assert "give both --scale-min and --scale-max, or neither" in half.stderr
