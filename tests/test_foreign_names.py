"""A committee's own spreadsheet, as it is, reaches the numbers of fairpanel's own names.

The whole pipeline (validate, score, allocate, audit, report) runs twice through the
command line on one small panel: once with fairpanel's column names and numeric grades,
once with the committee's ("Proposal", "Assessor", letter grades A–D, a "Gender" column
typed "Female", "female ", "MALE"), read through one ``--columns`` file, ``--grades`` and
``--recode``. No file of the second run is rewritten by hand, and every number agrees.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel._errors import FairpanelInputError
from fairpanel.cli._main import app
from fairpanel.io import read_column_map

runner = CliRunner()

LETTERS = {4: "A", 3: "B", 2: "C", 1: "D"}
GRADES = "A=4,B=3,C=2,D=1"
#: The committee's three ways of typing each group, and the label the default run uses.
SPELLINGS = {"female": ["Female", "female ", "female"], "male": ["MALE", "male", "Male "]}
MAP = """\
# fairpanel's name: ours
submission_id: Proposal
reviewer_id: Assessor
score: Grade
groups: [Gender]
"""


def _panel(seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A small panel: 24 submissions, 8 reviewers, 3 reviews each, grades 1–4."""
    rng = np.random.default_rng(seed)
    n_sub, n_rev = 24, 8
    merit = rng.normal(0, 0.8, n_sub)
    rows = []
    for s in range(n_sub):
        for r in rng.choice(n_rev, size=3, replace=False):
            grade = int(np.clip(np.round(2.5 + merit[s] + rng.normal(0, 0.6)), 1, 4))
            rows.append({"submission_id": f"S{s:02d}", "reviewer_id": f"R{r}", "score": grade})
    gender = ["female" if s % 2 else "male" for s in range(n_sub)]
    subs = pd.DataFrame({"submission_id": [f"S{s:02d}" for s in range(n_sub)], "gender": gender})
    return pd.DataFrame(rows), subs


def _write_both(tmp: Path) -> tuple[dict[str, Path], dict[str, Path]]:
    reviews, subs = _panel()
    own, foreign = tmp / "own", tmp / "foreign"
    own.mkdir()
    foreign.mkdir()
    reviews.to_csv(own / "reviews.csv", index=False)
    subs.to_csv(own / "submissions.csv", index=False)
    # The committee's files: other names, other column order, letters, its spellings.
    theirs = pd.DataFrame(
        {
            "Grade": reviews["score"].map(LETTERS),
            "Assessor": reviews["reviewer_id"],
            "Proposal": reviews["submission_id"],
        }
    )
    theirs.to_csv(foreign / "votes.csv", index=False)
    typed = [SPELLINGS[g][i % 3] for i, g in enumerate(subs["gender"])]
    pd.DataFrame({"Gender": typed, "Proposal": subs["submission_id"]}).to_csv(
        foreign / "applicants.csv", index=False
    )
    (foreign / "map.yaml").write_text(MAP, encoding="utf-8")
    return (
        {"reviews": own / "reviews.csv", "submissions": own / "submissions.csv", "dir": own},
        {
            "reviews": foreign / "votes.csv",
            "submissions": foreign / "applicants.csv",
            "map": foreign / "map.yaml",
            "dir": foreign,
        },
    )


def _run(*args: object) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def _pipeline(files: dict[str, Path], extra: list[str], scale: list[str], audit: list[str]):
    out = files["dir"]
    summary = _run("validate", "--reviews", files["reviews"], "--submissions",
                   files["submissions"], *scale, *extra)  # fmt: skip
    _run("score", "--reviews", files["reviews"], "--method", "eb", "--seed", 7, *scale,
         "--out", out / "scores.csv", "--json", out / "scores.json", *extra)  # fmt: skip
    _run("allocate", "--scores", out / "scores.csv", "--strategy", "partial-lottery",
         "--capacity", 6, "--seed", "draw 2026", "--submissions", files["submissions"],
         "--out", out / "alloc.csv", "--certificate", out / "cert.json", *extra)  # fmt: skip
    _run("audit", "--decisions", out / "alloc.csv", "--submissions", files["submissions"],
         "--min-cell", 0, "--json", out / "audit.json", *audit, *extra)  # fmt: skip
    _run("report", "--scores", out / "scores.json", "--allocation", out / "alloc.csv",
         "--certificate", out / "cert.json", "--audit", out / "audit.json",
         "--out", out / "report", "--min-cell", 1, *extra)  # fmt: skip
    return summary


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    own, foreign = _write_both(tmp_path_factory.mktemp("names"))
    own_summary = _pipeline(own, [], ["--scale-min", 1, "--scale-max", 4], ["--group", "gender"])
    foreign_summary = _pipeline(
        foreign,
        ["--columns", foreign["map"]],
        ["--grades", GRADES],
        ["--recode", "Gender:Female=female;MALE,Male=male"],
    )
    return own, foreign, own_summary, foreign_summary


def test_validate_counts_the_same(runs):
    _, _, own, foreign = runs
    assert own == foreign
    assert "24 submissions, 8 reviewers, 72 reviews" in own


def test_scores_are_the_same(runs):
    own, foreign, _, _ = runs
    a = pd.read_csv(own["dir"] / "scores.csv")
    b = pd.read_csv(foreign["dir"] / "scores.csv")
    assert list(a["submission_id"]) == list(b["submission_id"])
    for column in ("mean_score", "calibrated_score", "score_se", "expected_rank", "rank_lo90"):
        np.testing.assert_allclose(a[column], b[column], rtol=0, atol=1e-12)


def test_allocation_and_draw_are_the_same(runs):
    own, foreign, _, _ = runs
    a = pd.read_csv(own["dir"] / "alloc.csv")
    b = pd.read_csv(foreign["dir"] / "alloc.csv")
    pd.testing.assert_frame_equal(a, b)
    assert a["selected"].sum() == 6


def test_audit_rates_are_the_same_after_recoding_spellings(runs):
    own, foreign, _, _ = runs
    a = json.loads((own["dir"] / "audit.json").read_text())
    b = json.loads((foreign["dir"] / "audit.json").read_text())
    (group_a,) = a["attributes"].values()
    (group_b,) = b["attributes"].values()
    rates_a = {g["group"]: (g["applicants"], g["selected"]) for g in group_a["groups"]}
    rates_b = {g["group"]: (g["applicants"], g["selected"]) for g in group_b["groups"]}
    assert rates_a == rates_b
    assert set(rates_a) == {"female", "male"}
    assert sum(n for n, _ in rates_a.values()) == 24
    # the recoding is recorded in the committee's run, not silently done
    assert any("counted as 'female'" in note for note in b["notes"])


def test_report_numbers_are_the_same(runs):
    own, foreign, _, _ = runs
    a = json.loads((own["dir"] / "report" / "report.json").read_text())
    b = json.loads((foreign["dir"] / "report" / "report.json").read_text())

    def numbers(doc: object) -> list[float]:
        found: list[float] = []
        if isinstance(doc, dict):
            for key in sorted(doc):
                if key not in ("provenance", "input_checksums", "verification", "command_line"):
                    found.extend(numbers(doc[key]))
        elif isinstance(doc, list):
            for item in doc:
                found.extend(numbers(item))
        elif isinstance(doc, int | float) and not isinstance(doc, bool):
            found.append(float(doc))
        return found

    assert numbers(a["summary"]) == numbers(b["summary"])
    assert len(numbers(a)) > 50


def test_the_map_is_recorded_in_the_provenance(runs):
    _, foreign, _, _ = runs
    block = json.loads((foreign["dir"] / "scores.json").read_text())["provenance"]
    assert block["columns"]["submission_id"] == "Proposal"
    assert any(r["role"] == "columns" for r in block["inputs"])


def test_a_key_fairpanel_does_not_know_is_refused_naming_file_and_key(tmp_path):
    path = tmp_path / "map.yaml"
    path.write_text("submision_id: Proposal\n", encoding="utf-8")
    with pytest.raises(FairpanelInputError) as caught:
        read_column_map(path)
    text = str(caught.value)
    assert "map.yaml" in text
    assert "unknown key 'submision_id'" in text
    assert "did you mean 'submission_id'?" in text
    result = runner.invoke(app, ["validate", "--reviews", str(path), "--columns", str(path)])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1


def test_an_option_given_wins_over_the_map(tmp_path):
    _, foreign = _write_both(tmp_path)
    # the map says 'Grade'; the command line names another column holding the same grades
    votes = pd.read_csv(foreign["reviews"]).rename(columns={"Grade": "Letter"})
    votes.to_csv(foreign["reviews"], index=False)
    out = _run("validate", "--reviews", foreign["reviews"], "--columns", foreign["map"],
               "--score-col", "Letter", "--grades", GRADES)  # fmt: skip
    assert "72 reviews" in out
