"""The vocabulary's one yes/no reading (``fairpanel._schema``), the same in every consumer.

The five-value column of the issue, ``["y", "Y", "t", "selected", "1.0"]``, was read as
five selections by the audit, as one by the report (silently), refused by the
strategies and an error in the ML checks. Here it is fed as a ``selected`` /
``eligible`` / ``higher_is_better`` / ``conflict`` / ML target column through every
consumer: each refuses it with the same sentence about the value "y" in row 2, exit
code 2 and one line on the command line. The clean column ``["yes", "No", "TRUE", "0",
"1.0"]`` is read as true, false, true, false, true by each of them. The reference is
:func:`fairpanel._schema.parse_bool`, the documented reading.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel import FairpanelInputError
from fairpanel._schema import BOOL_HINT, parse_bool
from fairpanel.audit import audit
from fairpanel.cli._main import app
from fairpanel.io import ERR_NOT_BOOL, load_reviews, load_scores, write_frame
from fairpanel.io._reviews import ERR_CONFLICT
from fairpanel.ml import generate_history
from fairpanel.ml._features import target_values
from fairpanel.report import ReportInputs, build_report
from fairpanel.strategies import RankStrategy

runner = CliRunner()

DIRTY = ["y", "Y", "t", "selected", "1.0"]
CLEAN = ["yes", "No", "TRUE", "0", "1.0"]
#: The documented reading of CLEAN: parse_bool's.
READ = [True, False, True, False, True]
IDS = [f"s{i}" for i in range(1, 6)]
#: What every refusal says after "FILE, row 2, column 'COLUMN': ".
REFUSAL = f"{ERR_NOT_BOOL.format(value='y')}; {BOOL_HINT}"


def test_the_reference_reading() -> None:
    assert [parse_bool(v) for v in CLEAN] == READ
    assert parse_bool(DIRTY[0]) is None


def _scores(direction: list[str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({"submission_id": IDS, "calibrated_score": [5.0, 4.0, 3.0, 2.0, 1.0]})
    if direction is not None:
        frame["higher_is_better"] = direction
    return frame


def _write(path: Path, frame: pd.DataFrame) -> Path:
    write_frame(path, frame)
    return path


def _refused(result, path: Path, column: str) -> None:  # type: ignore[no-untyped-def]
    """Exit 2, one line: the file, row 2, the column, and the one sentence."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines == [f"fairpanel: error: {path}, row 2, column '{column}': {REFUSAL}"]


# ------------------------------------------------------------------ the command line
def test_allocate_reads_eligible(tmp_path: Path) -> None:
    scores = _write(tmp_path / "scores.csv", _scores())
    out = tmp_path / "alloc.csv"
    base = ["allocate", "--scores", str(scores), "--strategy", "rank", "--capacity", "5"]
    base += ["--seed", "s", "--out", str(out)]
    subs = tmp_path / "subs.csv"
    _write(subs, pd.DataFrame({"submission_id": IDS, "eligible": DIRTY}))
    _refused(runner.invoke(app, [*base, "--submissions", str(subs)]), subs, "eligible")
    assert not out.exists()
    _write(subs, pd.DataFrame({"submission_id": IDS, "eligible": CLEAN}))
    assert runner.invoke(app, [*base, "--submissions", str(subs)]).exit_code == 0
    table = pd.read_csv(out).set_index("submission_id").loc[IDS]
    assert (table["tier"] != "ineligible").tolist() == READ


def test_allocate_reads_the_score_direction(tmp_path: Path) -> None:
    scores = tmp_path / "scores.csv"
    out = tmp_path / "alloc.csv"
    args = ["allocate", "--scores", str(scores), "--strategy", "rank", "--capacity", "1"]
    args += ["--seed", "s", "--out", str(out)]
    _write(scores, _scores(DIRTY))
    _refused(runner.invoke(app, args), scores, "higher_is_better")
    # A table has one direction: each clean value, as the whole column, orients the rank.
    for value, higher in zip(CLEAN, READ, strict=True):
        _write(scores, _scores([value] * 5))
        assert runner.invoke(app, args).exit_code == 0
        best = pd.read_csv(out).query("selected")["submission_id"].tolist()
        assert best == (["s1"] if higher else ["s5"])


def test_audit_reads_decisions(tmp_path: Path) -> None:
    path = tmp_path / "decisions.csv"
    out = tmp_path / "audit.json"
    args = ["audit", "--decisions", str(path), "--group", "panel", "--min-cell", "0"]
    args += ["--json", str(out)]
    _write(path, pd.DataFrame({"submission_id": IDS, "panel": "A", "selected": DIRTY}))
    _refused(runner.invoke(app, args), path, "selected")
    _write(path, pd.DataFrame({"submission_id": IDS, "panel": "A", "selected": CLEAN}))
    assert runner.invoke(app, args).exit_code == 0
    groups = json.loads(out.read_text(encoding="utf-8"))["attributes"]["panel"]["groups"]
    assert (groups[0]["applicants"], groups[0]["selected"]) == (5, sum(READ))


def test_report_reads_an_allocation(tmp_path: Path) -> None:
    path = tmp_path / "alloc.csv"
    args = ["report", "--allocation", str(path), "--out", str(tmp_path / "report")]

    def allocation(selected: list[str]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "submission_id": IDS,
                "strategy": "rank",
                "tier": ["funded" if s else "rejected" for s in READ],
                "selected": selected,
                "selection_probability": [float(s) for s in READ],
            }
        )

    _write(path, allocation(DIRTY))
    _refused(runner.invoke(app, args), path, "selected")
    _write(path, allocation(CLEAN))
    assert runner.invoke(app, args).exit_code == 0
    model = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    (section,) = [s for s in model["sections"] if s["id"] == "strategies"]
    assert section["tables"][0]["rows"][0]["selected"] == str(sum(READ))


def test_score_reads_conflict_flags(tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    args = ["score", "--reviews", str(path), "--out", str(tmp_path / "scores.csv")]
    args += ["--scale-min", "1", "--scale-max", "5", "--method", "eb"]
    reviews = pd.DataFrame({"submission_id": IDS, "reviewer_id": "r1", "score": 3})
    _write(path, reviews.assign(conflict=DIRTY))
    _refused(runner.invoke(app, args), path, "conflict")
    # A declared conflict is refused (the review must be removed), so each clean value is
    # read on its own: a true one refuses its review, a false one lets it through.
    for value, conflicted in zip(CLEAN, READ, strict=True):
        one = reviews.iloc[:1].assign(conflict=[value])
        if conflicted:
            with pytest.raises(FairpanelInputError) as err:
                load_reviews(one)
            assert err.value.message == ERR_CONFLICT.format(reviewer="r1", submission="s1")
        else:
            assert load_reviews(one)["conflict"].tolist() == [False]


def test_ml_check_reads_the_target(tmp_path: Path) -> None:
    history = generate_history(60, cycles=2, seed=4)
    words = np.where(history["selected"].astype(bool), "yes", "no")
    path = tmp_path / "past.csv"
    args = ["ml-check", "--history", str(path), "--group", "gender", "--target", "decision"]
    _write(path, history.assign(decision=[*DIRTY, *words[5:]]))
    _refused(runner.invoke(app, args), path, "decision")
    _write(path, history.assign(decision=[*CLEAN, *words[5:]]))
    assert runner.invoke(app, args).exit_code == 0
    task, values = target_values(pd.Series(CLEAN))
    assert (task, values.tolist()) == ("classification", [float(v) for v in READ])


# ------------------------------------------------------------------ the library
def _library_errors() -> dict[str, FairpanelInputError]:
    """Each consumer, handed the dirty column in a plain frame: the error it raises."""
    calls = {
        "eligible": lambda: RankStrategy().allocate(
            _scores(), pd.DataFrame({"submission_id": IDS, "eligible": DIRTY}), capacity=1,
            seed="s",
        ),
        "higher_is_better": lambda: load_scores(_scores(DIRTY)),
        "selected": lambda: audit(
            pd.DataFrame({"submission_id": IDS, "g": "a", "selected": DIRTY}), groups="g"
        ),
        "conflict": lambda: load_reviews(
            pd.DataFrame({"submission_id": IDS, "reviewer_id": "r", "score": 3, "conflict": DIRTY})
        ),
        "target": lambda: target_values(pd.Series(DIRTY, name="target")),
        "report": lambda: build_report(
            ReportInputs(
                allocations=[
                    pd.DataFrame(
                        {"submission_id": IDS, "strategy": "rank", "tier": "funded",
                         "selected": DIRTY, "selection_probability": 1.0}
                    )
                ]
            )
        ),
    }  # fmt: skip
    errors = {}
    for name, call in calls.items():
        with pytest.raises(FairpanelInputError) as err:
            call()
        errors[name] = err.value
    return errors


def test_every_consumer_refuses_the_dirty_column_with_one_sentence() -> None:
    for name, err in _library_errors().items():
        assert (err.message, err.row, err.hint) == (ERR_NOT_BOOL.format(value="y"), 2, BOOL_HINT)
        assert err.column == ("selected" if name == "report" else name)


def test_every_consumer_reads_the_clean_column_alike() -> None:
    # Strategies: eligibility.
    subs = pd.DataFrame({"submission_id": IDS, "eligible": CLEAN})
    alloc = RankStrategy().allocate(_scores(), subs, capacity=5, seed="s")
    table = alloc.table.set_index("submission_id").loc[IDS]
    assert (table["tier"] != "ineligible").tolist() == READ
    # Audit: decisions.
    res = audit(
        pd.DataFrame({"submission_id": IDS, "g": "a", "selected": CLEAN}), groups="g", min_cell=0
    )
    assert res.groups["selected"].tolist() == [sum(READ)]
    # Scores: the direction, one value per table.
    for value, higher in zip(CLEAN, READ, strict=True):
        assert load_scores(_scores([value] * 5))["higher_is_better"].tolist() == [higher] * 5
    # ML: the target.
    assert target_values(pd.Series(CLEAN))[1].tolist() == [float(v) for v in READ]
