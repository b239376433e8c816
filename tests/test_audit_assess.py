"""Silence is not a finding: suppressed groups are named as not assessable (issue 11, part 5).

A hiring audit shaped like the one in the issue: a long list where women's adverse-impact
ratio is 0.71, the highest long-list rate is a group of 6 (suppressed), few offers to
women, and reviewers who each reviewed fewer than 5 women's interviews.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel.audit import run_audit
from fairpanel.audit._assess import REASON_CELLS, REASON_REVIEWS, unassessed
from fairpanel.cli._main import app
from fairpanel.report._audit_section import reviewer_sentence

runner = CliRunner()

#: group: (applicants, long-listed, interviewed, offered)
FUNNEL = {
    "man": (200, 100, 40, 10),
    "woman": (200, 71, 20, 3),
    "non-binary": (6, 5, 2, 1),
    "not stated": (40, 20, 8, 2),
}
STAGES = ["long_list", "interview", "offer"]
REVIEWERS = 10


def hiring() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Decisions (one row per applicant), interview reviews and interview scores."""
    rows = []
    for gender, (n, *passed) in FUNNEL.items():
        for i in range(n):
            rows.append(
                {
                    "submission_id": f"{gender}-{i:03d}",
                    "gender": gender,
                    **{s: int(i < p) for s, p in zip(STAGES, passed, strict=True)},
                }
            )
    decisions = pd.DataFrame(rows)
    interviewed = decisions.loc[decisions["interview"] == 1, "submission_id"].tolist()
    # each interview is scored by two reviewers (j and j + 1 of ten, in turn): every
    # reviewer sees 8 men but only 4 women, too few to assess a reviewer for women
    rng = np.random.default_rng(11)
    reviews = pd.DataFrame(
        [
            {"submission_id": sid, "reviewer_id": f"r{(j + d) % REVIEWERS}",
             "score": float(rng.normal(5, 1))}
            for j, sid in enumerate(interviewed)
            for d in (0, 1)
        ]
    )  # fmt: skip
    scores = reviews.groupby("submission_id", as_index=False)["score"].mean()
    scores = scores.rename(columns={"score": "calibrated_score"})
    return decisions, reviews, scores


def _audit(**options: object):
    decisions, reviews, scores = hiring()
    return run_audit(
        decisions, groups="gender", stages=STAGES, reviews=reviews, scores=scores, **options
    )


@pytest.mark.parametrize("reference", ["man", None])
def test_long_list_flag_for_women_is_kept(reference):
    res = _audit(reference=reference)
    f = res.funnel.set_index(["stage", "group"])
    # the highest long-list rate is the group of 6 (5 of 6), withheld
    assert f.loc[("long_list", "non-binary"), "suppressed"]
    woman = f.loc[("long_list", "woman")]
    assert woman["reference"] == "man"
    assert not woman["suppressed"]
    assert woman["adverse_impact_ratio"] == pytest.approx((71 / 200) / (100 / 200))
    assert pd.notna(woman["four_fifths_flag"])
    assert bool(woman["four_fifths_flag"])


def test_reviewer_statement_names_women_as_not_assessable():
    res = _audit(reference="man")
    un = unassessed(res)
    rev = un[un["view"] == "reviewer_gaps"]
    assert "woman" in set(rev["group"])
    assert set(rev["reason"]) == {REASON_REVIEWS.format(min_cell=5)}
    sentence = reviewer_sentence(res, "gender")
    assert sentence is not None
    assert "woman" in sentence.split("not assessable")[0].split(".")[-1]
    assert "no reviewer scores one group differently" not in sentence
    # the groups it did assess are the ones it names as assessed
    assessed = sentence.split(": for ")[1].split(", no reviewer")[0]
    assert "woman" not in assessed
    assert "man" in assessed.split(", ")


def test_score_gaps_are_suppressed_by_the_scored_count():
    res = _audit(reference="man")
    g = res.groups.set_index("group")
    # three offers to women: the offer count is withheld ...
    assert g.loc["woman", "suppressed"]
    assert pd.isna(g.loc["woman", "selected"])
    # ... but 20 women were scored: their score gap is published
    sg = res.score_gaps.set_index("group")
    assert not sg.loc["woman", "suppressed"]
    assert sg.loc["woman", "n"] == 20
    # and the comparison of offers names women as not assessable, with the reason
    un = unassessed(res)
    rates = un[(un["view"] == "rates") & (un["group"] == "woman")]
    assert rates["reason"].tolist() == [REASON_CELLS.format(min_cell=5)]


def test_cli_and_report_say_what_they_could_not_assess(tmp_path):
    decisions, reviews, scores = hiring()
    paths = {name: tmp_path / f"{name}.csv" for name in ("decisions", "reviews", "scores")}
    for name, frame in zip(paths, (decisions, reviews, scores), strict=True):
        frame.to_csv(paths[name], index=False)
    out = tmp_path / "audit.json"
    args = ["audit", "--decisions", str(paths["decisions"]), "--group", "gender"]
    args += ["--stages", ",".join(STAGES), "--reference", "man", "--json", str(out)]
    args += ["--reviews", str(paths["reviews"]), "--scores", str(paths["scores"])]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())  # the summary goes to stderr, wrapped
    assert "gender: woman vs man: not assessable, cells of fewer than 5 people" in said
    assert re.search(r"gender: reviewer gaps: [^:]*\bwoman: not assessable", said)
    doc = json.loads(out.read_text(encoding="utf-8"))
    funnel = doc["attributes"]["gender"]["funnel"]
    woman = next(r for r in funnel if r["stage"] == "long_list" and r["group"] == "woman")
    assert woman["four_fifths_flag"] is True
    assert {"view": "reviewer_gaps", "group": "woman"}.items() <= next(
        r for r in doc["not_assessable"] if r["group"] == "woman" and r["view"] == "reviewer_gaps"
    ).items()
    assert "stamp" not in doc
    report = tmp_path / "report"
    result = runner.invoke(app, ["report", "--audit", str(out), "--out", str(report)])
    assert result.exit_code == 0, result.output
    md = (report / "report.md").read_text(encoding="utf-8")
    assert "woman: not assessable" in md
    # withheld for its offers, not its applicants: the count is the same in every table
    assert "| woman | 200 | suppressed |" in md
    assert "| long\\_list | woman | 200 | 71 |" in md
    assert "woman at long\\_list (0.71 of man's rate)" in md
    assert "internal" not in md.split("\n", 3)[0]


def test_a_small_minimum_cell_stamps_every_output(tmp_path):
    decisions, _, _ = hiring()
    path = tmp_path / "d.csv"
    decisions.to_csv(path, index=False)
    out = tmp_path / "audit.json"
    args = ["audit", "--decisions", str(path), "--group", "gender", "--stages", ",".join(STAGES)]
    args += ["--min-cell", "2"]
    result = runner.invoke(app, [*args, "--json", str(out)])
    assert result.exit_code == 0, result.output
    stamp = "internal — contains cells under 5, not for publication"
    assert stamp.upper() in " ".join(result.stderr.split())
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["stamp"] == stamp
    assert doc["publishable"] is False
    report = tmp_path / "report"
    result = runner.invoke(app, ["report", "--audit", str(out), "--out", str(report)])
    assert result.exit_code == 0, result.output
    html = (report / "report.html").read_text(encoding="utf-8")
    md = (report / "report.md").read_text(encoding="utf-8")
    assert html.count(stamp) == 2  # top and bottom; printed on every page (fixed)
    assert md.startswith(f"**{stamp}**")
    assert json.loads((report / "report.json").read_text(encoding="utf-8"))["stamp"] == stamp
