"""``fairpanel score``: its outputs equal the library's result; refusals exit 2."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel._schema import SCORE_COLUMNS
from fairpanel.cli import _score as cli_score
from fairpanel.cli._main import app
from fairpanel.io._checks import ERR_MISSING_COLUMN
from fairpanel.rubric._scale import ERR_SCALE_PAIR
from fairpanel.scoring import score
from fairpanel.scoring._score import ERR_METHOD

runner = CliRunner()


@pytest.fixture
def snsf_file(tmp_path, p1_reviews):  # type: ignore[no-untyped-def]
    """A maker of p1's reviews file in the SNSF's layout: proposal, assessor, num_grade."""

    def write(sections: bool = False):  # type: ignore[no-untyped-def]
        # With sections, voter ids repeat across sections, as in the MINT 2020 file.
        raw = p1_reviews().rename(
            columns={"submission_id": "proposal", "reviewer_id": "assessor", "score": "num_grade"}
        )
        if sections:
            raw["section"] = np.where(raw["proposal"].isin(["#1", "#2", "#3", "#4"]), "A", "B")
        path = tmp_path / "votes.csv"
        raw.to_csv(path, index=False)
        return path

    return write


COLUMNS = ["--submission-col", "proposal", "--score-col", "num_grade"]


def test_cli_equals_library(p1_reviews, snsf_file, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = snsf_file()
    out, js = tmp_path / "scores.csv", tmp_path / "scores.json"
    args = ["score", "--reviews", str(path), *COLUMNS, "--reviewer-col", "assessor"]
    args += ["--scale-min", "1", "--scale-max", "6", "--method", "eb", "--seed", "panel 1"]
    result = runner.invoke(app, [*args, "--out", str(out), "--json", str(js)])
    assert result.exit_code == 0, result.output
    lib = score(p1_reviews(), scale=(1, 6), method="eb", seed="panel 1")
    written = pd.read_csv(out, dtype={"submission_id": "str"})
    assert tuple(written.columns[: len(SCORE_COLUMNS)]) == SCORE_COLUMNS
    np.testing.assert_allclose(written["expected_rank"], lib.table["expected_rank"])
    assert written["submission_id"].tolist() == lib.table["submission_id"].tolist()
    payload = json.loads(js.read_text(encoding="utf-8"))
    assert payload["seed"] == "panel 1"
    assert not payload["provisional"]
    assert [r["submission_id"] for r in payload["scores"]] == lib.table["submission_id"].tolist()
    np.testing.assert_allclose(
        [r["calibrated_score"] for r in payload["scores"]], lib.table["calibrated_score"]
    )


def test_reviewer_id_from_several_columns(snsf_file, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A voter is section + assessor: v_1 of section A is not v_1 of section B.
    path = snsf_file(sections=True)
    out, rev = tmp_path / "s.csv", tmp_path / "r.csv"
    args = ["score", "--reviews", str(path), *COLUMNS, "--reviewer-col", "section,assessor"]
    args += ["--scale-min", "1", "--scale-max", "6", "--method", "eb"]
    result = runner.invoke(app, [*args, "--out", str(out), "--reviewers-out", str(rev)])
    assert result.exit_code == 0, result.output
    reviewers = pd.read_csv(rev)
    assert len(reviewers) == 10
    assert "A/v_1" in set(reviewers["reviewer_id"])
    bad = runner.invoke(
        app, [*args, "--reviewer-col", "section,voter", "--out", str(tmp_path / "x.csv")]
    )
    assert bad.exit_code == 2
    # The loader names the missing part of the id (fairpanel.io builds composite ids).
    missing = ERR_MISSING_COLUMN.format(
        column="voter", found="'proposal', 'assessor', 'num_grade', 'section'"
    )
    assert missing in bad.output
    assert not (tmp_path / "x.csv").exists()


def test_unconverged_is_refused_or_marked(snsf_file, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = snsf_file()
    out = tmp_path / "scores.csv"
    real = cli_score.score

    def never_converges(*args, **kwargs):  # type: ignore[no-untyped-def]
        return real(*args, **{**kwargs, "draws": 30, "ess_threshold": 1e9, "max_extensions": 0})

    monkeypatch.setattr(cli_score, "score", never_converges)
    args = ["score", "--reviews", str(path), *COLUMNS, "--reviewer-col", "assessor"]
    args += ["--scale-min", "1", "--scale-max", "6", "--out", str(out)]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2
    assert "not final" in refused.output  # ERR_UNCONVERGED, with the diagnostics in it
    assert not out.exists()
    allowed = runner.invoke(app, [*args, "--allow-unconverged"])
    assert allowed.exit_code == 0, allowed.output
    assert pd.read_csv(out)["provisional"].all()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--method", "mcmc"], ERR_METHOD.format(allowed="bayes, eb", method="mcmc")),
        (["--scale-min", "1"], ERR_SCALE_PAIR),
    ],
)
def test_bad_options_exit_2(snsf_file, tmp_path, extra, message) -> None:  # type: ignore[no-untyped-def]
    path = snsf_file()
    args = ["score", "--reviews", str(path), *COLUMNS, "--reviewer-col", "assessor"]
    result = runner.invoke(app, [*args, *extra, "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2
    assert message in result.output


def test_rubric_sets_the_scale(snsf_file, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rubric = tmp_path / "r.yaml"
    levels = "\n".join(f"      {i}: grade {i}" for i in range(1, 7))
    rubric.write_text(
        "name: overall\nscale: {min: 1, max: 6, higher_is_better: true}\n"
        f"criteria:\n  - id: overall\n    weight: 1\n    levels:\n{levels}\n"
        "bands:\n  - {name: fund, threshold: 4.5}\n  - {name: other, threshold: 1}\n",
        encoding="utf-8",
    )
    path = snsf_file()
    out = tmp_path / "s.csv"
    args = ["score", "--reviews", str(path), *COLUMNS, "--reviewer-col", "assessor"]
    args += ["--rubric", str(rubric), "--method", "eb", "--out", str(out)]
    ok = runner.invoke(app, args)
    assert ok.exit_code == 0, ok.output
    assert set(pd.read_csv(out)["band"]) <= {"fund", "other"}
    clash = runner.invoke(app, [*args, "--lower-is-better"])
    assert clash.exit_code == 2
    assert "--lower-is-better describes the scale without a rubric" in clash.output
