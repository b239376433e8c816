"""``fairpanel audit``: the JSON equals the library's result; bad input exits 2 in one line."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import AUDIT_SEED
from fairpanel.audit import audit, audit_counts, counts_from_wide
from fairpanel.audit._options import ERR_BOTH_INPUTS, ERR_NO_INPUT
from fairpanel.cli._main import app
from fairpanel.io._checks import ERR_MISSING_COLUMN
from fairpanel.io._counts import ERR_SELECTED_EXCEEDS

runner = CliRunner()


def _written(path):
    """A command's JSON without its provenance block (the library result has none)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("provenance", None)
    return data


def roundtrip(payload):
    return json.loads(json.dumps(payload))


@pytest.fixture
def decisions(tmp_path):
    rows = []
    for field, gender, n, k in [
        ("astro", "m", 60, 20),
        ("astro", "w", 40, 10),
        ("bio", "m", 30, 6),
        ("bio", "w", 50, 15),
    ]:
        for i in range(n):
            rows.append(
                {
                    "submission_id": f"{field}-{gender}-{i}",
                    "gender": gender,
                    "career_stage": "early" if i % 3 else "senior",
                    "discipline": field,
                    "selected": int(i < k),
                }
            )
    frame = pd.DataFrame(rows)
    path = tmp_path / "decisions.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_decisions_json_equals_library(decisions, tmp_path):
    path, frame = decisions
    out = tmp_path / "audit.json"
    result = runner.invoke(
        app,
        [
            "audit",
            "--decisions",
            str(path),
            "--group",
            "gender",
            "--group",
            "career_stage",
            "--intersect",
            "--strata",
            "discipline",
            "--covariate",
            "discipline",
            "--min-cell",
            "5",
            "--seed",
            "s1",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    got = _written(out)
    expected = audit(
        frame.astype({"selected": str}),
        groups=["gender", "career_stage"],
        intersect=True,
        strata="discipline",
        covariates=["discipline"],
        min_cell=5,
        seed="s1",
    )
    assert got == roundtrip(expected.to_dict())
    assert set(got["attributes"]) == {"gender", "career_stage", "gender × career_stage"}
    assert "strata" in got["attributes"]["gender"]


def test_counts_json_equals_library(tmp_path):
    counts = pd.DataFrame({"race": ["White", "Black"], "n": [80, 40], "k": [48, 12]})
    path = tmp_path / "counts.csv"
    counts.to_csv(path, index=False)
    out = tmp_path / "audit.json"
    args = ["audit", "--counts", str(path), "--group-col", "race", "--applicants-col", "n"]
    result = runner.invoke(app, [*args, "--selected-col", "k", "--json", str(out)])
    assert result.exit_code == 0, result.output
    expected = audit_counts(
        counts, group_col="race", applicants_col="n", selected_col="k", seed=AUDIT_SEED
    )
    assert _written(out) == roundtrip(expected.to_dict())


def test_wide_counts(tmp_path):
    # shaped like NWO's published table (van der Lee & Ellemers 2015, Table S1); the
    # numbers are altered so that no cell is suppressed
    wide = pd.DataFrame(
        {
            "discipline": ["Physics", "Humanities", "Chemistry"],
            "applications_men": [67, 230, 83],
            "applications_women": [19, 166, 39],
            "awards_men": [18, 33, 22],
            "awards_women": [6, 32, 10],
        }
    )
    path = tmp_path / "wide.csv"
    wide.to_csv(path, index=False)
    out = tmp_path / "audit.json"
    result = runner.invoke(
        app,
        [
            "audit",
            "--counts",
            str(path),
            "--group-col",
            "gender",
            "--wide-groups",
            "men,women",
            "--applicants-pattern",
            "applications_{group}",
            "--selected-pattern",
            "awards_{group}",
            "--strata-col",
            "discipline",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    long = counts_from_wide(
        wide,
        groups=["men", "women"],
        applicants_pattern="applications_{group}",
        selected_pattern="awards_{group}",
        strata_col="discipline",
        group_name="gender",
    )
    expected = audit_counts(long, group_col="gender", strata_col="discipline", seed=AUDIT_SEED)
    assert _written(out) == roundtrip(expected.to_dict())


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (
            "g,n,k\na,10,3\nb,5,6\n",
            ["--group-col", "g", "--applicants-col", "n", "--selected-col", "k"],
            ERR_SELECTED_EXCEEDS.format(selected=6, applicants=5),
        ),
        (
            "g,n\na,10\n",
            ["--group-col", "g", "--applicants-col", "n", "--selected-col", "k"],
            ERR_MISSING_COLUMN.format(column="k", found="'g', 'n'"),
        ),
    ],
)
def test_bad_counts_exit_2_with_one_line(tmp_path, content, args, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    out = tmp_path / "audit.json"
    result = runner.invoke(app, ["audit", "--counts", str(path), *args, "--json", str(out)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]
    assert "bad.csv" in lines[0]
    assert not out.exists()


def test_bad_decisions_name_the_row(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("submission_id,gender,selected\na,m,1\nb,w,perhaps\n", encoding="utf-8")
    result = runner.invoke(app, ["audit", "--decisions", str(path), "--group", "gender"])
    assert result.exit_code == 2
    assert "d.csv, row 3, column 'selected'" in result.stderr


def _snsf_votes(path):
    """A votes table shaped like the SNSF MINT 2020 panel votes (Heyard et al. 2022).

    One row per assessor's vote: proposal, Fund (the panel's decision, repeated on each
    vote), assessor, grade (letter), num_grade (6 = A) and section; several rows per
    proposal, as in ``panel_votes_snsf_mint2020.csv``.
    """
    rng = np.random.default_rng(2020)
    rows = []
    for p in range(1, 25):
        section = ["one", "two", "three", "four"][p % 4]
        fund = int(p % 3 == 0)
        for v in rng.choice(np.arange(1, 13), size=int(rng.integers(5, 9)), replace=False):
            grade = int(rng.integers(1, 7))
            rows.append((f"proposal{p}_1", fund, f"voter{v}", "DCBBAA"[grade - 1], grade, section))
    frame = pd.DataFrame(
        rows, columns=["proposal", "Fund", "assessor", "grade", "num_grade", "section"]
    )
    frame.to_csv(path, index=False)
    return frame


def test_votes_are_not_audited_as_applicants(tmp_path):
    # Issue 11: votes audited as decisions reported each vote as an applicant.
    path = tmp_path / "votes.csv"
    votes = _snsf_votes(path)
    args = ["audit", "--decisions", str(path), "--selected", "Fund", "--group", "section"]
    # without an id column, no row may be counted: the id column is required
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1
    assert ERR_MISSING_COLUMN.format(column="submission_id", found="").split("(")[0] in line
    assert "--submission-col" in line
    # with the id column named, the repeated ids are refused, naming the first ones
    result = runner.invoke(app, [*args, "--submission-col", "proposal"])
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1
    assert line.startswith(f"fairpanel: error: {path}, row 3, column 'proposal'")
    first = votes.index[votes["proposal"] == "proposal1_1"][:3] + 2
    assert f"'proposal1_1' on rows {', '.join(map(str, first))}" in line
    assert f"{votes['proposal'].nunique()} submission ids appear on more than one row" in line
    assert "votes" in line
    # the unit of analysis is judged first: a grade in --selected does not hide it
    grades = [*args[:3], "--selected", "num_grade", *args[5:], "--submission-col", "proposal"]
    result = runner.invoke(app, grades)
    assert result.exit_code == 2
    assert "appear on more than one row" in result.stderr
    # the library refuses the same table
    with pytest.raises(FairpanelInputError, match="appear on more than one row"):
        audit(votes, groups="section", selected="Fund", submission_col="proposal")


@pytest.mark.parametrize(
    ("args", "message"),
    [([], ERR_NO_INPUT), (["--decisions", "a.csv", "--counts", "b.csv"], ERR_BOTH_INPUTS)],
)
def test_input_choice(args, message):
    result = runner.invoke(app, ["audit", *args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_scores_and_reviews_reach_the_json(decisions, tmp_path):
    path, frame = decisions
    rng = np.random.default_rng(0)
    ids = frame["submission_id"]
    scores = pd.DataFrame({"submission_id": ids, "calibrated_score": rng.normal(4, 1, len(ids))})
    reviews = pd.DataFrame(
        {
            "submission_id": np.repeat(ids.to_numpy(), 3),
            "reviewer_id": [f"r{i % 7}" for i in range(3 * len(ids))],
            "score": rng.integers(1, 6, 3 * len(ids)),
        }
    )
    scores.to_csv(tmp_path / "scores.csv", index=False)
    reviews.to_csv(tmp_path / "reviews.csv", index=False)
    out = tmp_path / "audit.json"
    result = runner.invoke(
        app,
        [
            "audit",
            "--decisions",
            str(path),
            "--group",
            "gender",
            "--scores",
            str(tmp_path / "scores.csv"),
            "--reviews",
            str(tmp_path / "reviews.csv"),
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    expected = audit(frame, groups="gender", scores=scores, reviews=reviews, seed=AUDIT_SEED)
    got = _written(out)
    assert got == roundtrip(expected.to_dict())
    assert {"score_gaps", "reviewer_gaps"} <= set(got["attributes"]["gender"])


@pytest.fixture
def counts_file(tmp_path):
    path = tmp_path / "counts.csv"
    path.write_text("gender,discipline,n,k\nmen,a,80,30\nwomen,a,40,10\n", encoding="utf-8")
    return path


# Regression found auditing real review data (SNSF counts): ``--counts`` silently
# ignored --group/--strata/--covariate and the other decisions-only options.
@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--group", "gender"], "--group-col"),
        (["--strata", "discipline"], "--strata-col"),
        (["--intersect"], "submission-level"),
        (["--covariate", "discipline"], "submission-level"),
        (["--stages", "a,b"], "submission-level"),
    ],
)
def test_counts_refuse_decision_options(counts_file, extra, said):
    args = ["audit", "--counts", str(counts_file), "--group-col", "gender"]
    args += ["--applicants-col", "n", "--selected-col", "k"]
    result = runner.invoke(app, [*args, *extra])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert extra[0] in lines[0]
    assert said in lines[0]


# Regression (same audit): an error in the reviews or submissions file named the
# decisions file.
def test_errors_name_the_file_they_are_about(tmp_path):
    d = pd.DataFrame({"submission_id": [f"s{i}" for i in range(20)], "selected": [1, 0] * 10})
    s = d[["submission_id"]].assign(gender=["m", "w"] * 10)
    d.to_csv(tmp_path / "dec.csv", index=False)
    s.to_csv(tmp_path / "subs.csv", index=False)
    pd.DataFrame({"proposal": ["s1"], "assessor": ["a"], "score": [3]}).to_csv(
        tmp_path / "rev.csv", index=False
    )
    base = ["audit", "--decisions", str(tmp_path / "dec.csv"), "--group", "gender"]
    base += ["--submissions", str(tmp_path / "subs.csv")]
    result = runner.invoke(app, [*base, "--reviews", str(tmp_path / "rev.csv")])
    assert result.exit_code == 2
    assert "rev.csv" in result.stderr
    assert "dec.csv" not in result.stderr
    found = "'proposal', 'assessor', 'score'"
    assert ERR_MISSING_COLUMN.format(column="submission_id", found=found) in result.stderr
    s.drop(columns="gender").assign(sex="m").to_csv(tmp_path / "subs.csv", index=False)
    result = runner.invoke(app, base)
    assert result.exit_code == 2
    assert "subs.csv" in result.stderr
    assert "dec.csv" not in result.stderr
    assert "sex" in result.stderr  # the columns listed are the submissions file's


# Regression (same audit): the JSON says whether it is safe to publish, false below
# the default minimum cell (here ``--min-cell 0``).
def test_publishable_flag(counts_file, tmp_path):
    out = tmp_path / "a.json"
    args = ["audit", "--counts", str(counts_file), "--group-col", "gender"]
    args += ["--applicants-col", "n", "--selected-col", "k", "--json", str(out)]
    assert runner.invoke(app, [*args, "--min-cell", "0"]).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["publishable"] is False
    assert runner.invoke(app, args).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["publishable"] is True
