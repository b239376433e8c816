"""Scales as committees use them: letter grades, half points, continuous, never silent.

The SNSF's MINT 2020 votes give each grade twice, as a letter (A, AB, B, BC, C, D) and as
``num_grade`` (6 … 1): reading the letters through the scale's grades must give the same
scores as reading the numbers, to the last digit.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel._errors import FairpanelInputError
from fairpanel.cli._main import app
from fairpanel.io import load_reviews
from fairpanel.rubric import Rubric, Scale, card_model, choose_scale, parse_grades
from fairpanel.rubric._parts import read_grades, read_step
from fairpanel.rubric._scale import ERR_GRADES_SYNTAX, ERR_STEP_ALONE
from fairpanel.scoring import ScoreResult, score

runner = CliRunner()

SNSF_GRADES = "A=6,AB=5,B=4,BC=3,C=2,D=1"
LETTER = {6: "A", 5: "AB", 4: "B", 3: "BC", 2: "C", 1: "D"}


@pytest.fixture
def votes(tmp_path, p1_reviews):  # type: ignore[no-untyped-def]
    """Panel 1's votes in the SNSF's layout, each grade as a letter and as a number."""
    raw = p1_reviews().rename(
        columns={"submission_id": "proposal", "reviewer_id": "assessor", "score": "num_grade"}
    )
    # Letters as secretaries type them: some lower case, some with a trailing space.
    letters = raw["num_grade"].astype(int).map(LETTER)
    raw["grade"] = np.where(np.arange(len(raw)) % 3 == 0, letters.str.lower() + " ", letters)
    path = tmp_path / "votes.csv"
    raw.to_csv(path, index=False)
    return path


def _score(path, column: str, *extra: str, out) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    args = ["score", "--reviews", str(path), "--submission-col", "proposal"]
    args += ["--reviewer-col", "assessor", "--score-col", column, "--method", "eb"]
    result = runner.invoke(app, [*args, *extra, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return pd.read_csv(out)


def test_letter_grades_score_as_their_numbers(votes, tmp_path) -> None:  # type: ignore[no-untyped-def]
    by_letter = _score(votes, "grade", "--grades", SNSF_GRADES, out=tmp_path / "a.csv")
    by_number = _score(
        votes, "num_grade", "--scale-min", "1", "--scale-max", "6", out=tmp_path / "b.csv"
    )
    pd.testing.assert_frame_equal(by_letter, by_number)


def test_grades_alone_give_the_scale_ends() -> None:
    chosen = choose_scale(None, grades=parse_grades(SNSF_GRADES))
    assert chosen.scale is not None
    assert (chosen.scale.min, chosen.scale.max, chosen.scale.higher_is_better) == (1, 6, True)
    assert chosen.scale.grade_values["BC"] == 3.0


def test_a_rubric_reads_its_grades_and_half_points() -> None:
    rubric = Rubric.from_dict(
        {
            "name": "Half points and letters",
            "scale": {"min": 1, "max": 3, "step": 0.5, "grades": {"A": 3, "B": 2, "C": 1}},
            "criteria": [{"id": "merit", "levels": {3: "best", 2: "middle", 1: "worst"}}],
            "bands": [{"name": "all", "threshold": 1}],
        }
    )
    raw = pd.DataFrame(
        {
            "submission_id": ["s1", "s1", "s2", "s2"],
            "reviewer_id": ["r1", "r2", "r1", "r2"],
            "score": ["a", "2.5", " C", "1.5"],
        }
    )
    loaded = load_reviews(raw, rubric=rubric)
    assert loaded["score"].tolist() == [3.0, 2.5, 1.0, 1.5]
    card = card_model(rubric)
    assert card["headers"] == ["3 (A)", "2 (B)", "1 (C)"]
    assert card["scored_with"] == "a number from 1 to 3 in steps of 0.5 or its grade (A, B, C)"


def test_a_quarter_point_is_refused_on_a_half_point_scale() -> None:
    rubric = Rubric.single_criterion(minimum=1, maximum=5, step=0.5)
    raw = pd.DataFrame({"submission_id": ["s1"], "reviewer_id": ["r1"], "score": [3.25]})
    with pytest.raises(FairpanelInputError, match=r"in steps of 0\.5") as info:
        load_reviews(raw, rubric=rubric)
    assert info.value.row == 2


def test_a_continuous_scale_takes_any_number_within_its_ends() -> None:
    scale = Scale(1, 10, step=None)
    assert scale.contains([1.0, 3.14159, 10.0, 10.01, 0.99]).tolist() == [
        True,
        True,
        True,
        False,
        False,
    ]


@pytest.mark.parametrize("step", ["0.3", "0", "-0.5", "2", "half", True])
def test_a_step_must_divide_one(step: object) -> None:
    with pytest.raises(FairpanelInputError, match="divides 1"):
        read_step(step)


def test_grades_are_checked_against_the_scale() -> None:
    with pytest.raises(FairpanelInputError, match="given twice"):
        read_grades([("A", 2), ("a", 1)], Scale(1, 2))
    with pytest.raises(FairpanelInputError, match="not a score of the scale"):
        read_grades([("A", 1.5)], Scale(1, 2))
    with pytest.raises(FairpanelInputError, match="name=point"):
        parse_grades("A:6,B:5")
    assert ERR_GRADES_SYNTAX.startswith("--grades")


def test_a_step_needs_a_scale() -> None:
    with pytest.raises(FairpanelInputError, match="--scale-step") as info:
        choose_scale(None, step="0.5")
    assert info.value.message == ERR_STEP_ALONE


def test_a_rubric_refuses_grades_given_again(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rubric = Rubric.single_criterion(minimum=1, maximum=6)
    with pytest.raises(FairpanelInputError, match="--grades describes the scale"):
        choose_scale(rubric, grades=parse_grades(SNSF_GRADES))


def test_an_inferred_scale_is_said_and_recorded(votes, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out, js = tmp_path / "s.csv", tmp_path / "s.json"
    args = ["score", "--reviews", str(votes), "--submission-col", "proposal"]
    args += ["--reviewer-col", "assessor", "--score-col", "num_grade", "--method", "eb"]
    result = runner.invoke(app, [*args, "--out", str(out), "--json", str(js)])
    assert result.exit_code == 0, result.output
    assert "no scale was given" in result.output
    payload = json.loads(js.read_text(encoding="utf-8"))
    assert payload["scale"]["inferred"] is True
    assert payload["scale"]["step"] is None
    back = ScoreResult.from_dict(payload)
    assert back.scale.inferred
    assert back.scale.step is None


def test_a_stated_scale_round_trips_with_its_grades(p1_reviews) -> None:  # type: ignore[no-untyped-def]
    chosen = choose_scale(None, grades=parse_grades(SNSF_GRADES))
    result = score(p1_reviews(), scale=chosen.scale, method="eb", seed=1)
    assert not result.scale.inferred
    back = ScoreResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert back.scale.grades == result.scale.grades
    assert back.scale.step == 1.0


def test_version_1_scores_json_reads_as_whole_points(p1_reviews) -> None:  # type: ignore[no-untyped-def]
    doc = score(p1_reviews(), scale=(1, 6), method="eb", seed=1).to_dict()
    doc["schema"]["version"] = 1
    for key in ("step", "grades", "inferred"):
        del doc["scale"][key]
    back = ScoreResult.from_dict(json.loads(json.dumps(doc)))
    assert back.scale == Scale(1, 6)
