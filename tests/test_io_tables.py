"""The loaders of scores, allocations, decisions and counts: typed frames, one-line errors.

Each bad case is a small file with one fault; the expected line is built from the
module's message constants and the spreadsheet position of the fault (header = row 1).
The yes/no reading is checked against :func:`fairpanel._schema.parse_bool`, the one
documented reader.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from fairpanel import FairpanelInputError
from fairpanel._schema import BOOL_HINT, parse_bool
from fairpanel.io import _checks as C
from fairpanel.io import _columns as K
from fairpanel.io import _counts as N
from fairpanel.io import _decisions as D
from fairpanel.io import _scores as S
from fairpanel.io import (
    bool_mask,
    load_allocation,
    load_counts,
    load_decisions,
    load_scores,
    load_submissions,
)


def _csv(tmp_path: Path, text: str, name: str = "table.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _line(path: Path, row: int | None, column: str, message: str, hint: str) -> str:
    where = [str(path), *([f"row {row}"] if row is not None else []), f"column '{column}'"]
    return f"{', '.join(where)}: {message}; {hint}"


def _refused(loader: Any, path: Path, **kwargs: Any) -> str:
    with pytest.raises(FairpanelInputError) as err:
        loader(path, **kwargs)
    text = str(err.value)
    assert "\n" not in text
    return text


# ------------------------------------------------------------------ yes/no
VALUES = [True, False, np.True_, np.False_, 1, 0, 1.0, 0.0, 2, 0.5, -1, "yes", " No ",
          "TRUE", "false", "1", "0", "1.0", "0.0", "y", "t", "n", "f", "x", "selected",
          "1.00", "", "maybe"]  # fmt: skip


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_the_column_check_reads_each_cell_as_parse_bool(value: object) -> None:
    # Alone in an object column, and with a second cell so typed columns are tried too.
    true, bad = bool_mask(pd.Series([value], dtype=object))
    expected = parse_bool(value)
    assert (bool(true[0]), bool(bad[0])) == (expected is True, expected is None)


@pytest.mark.parametrize(
    "values",
    [[True, False], [1, 0], [1.0, 0.0], [1.0, np.nan], ["yes", None], [2, 0], [0.5, 1.0]],
    ids=repr,
)
def test_typed_columns_read_as_parse_bool(values: list[object]) -> None:
    series = pd.Series(values)
    true, bad = bool_mask(series)
    for i, value in enumerate(values):
        expected = None if pd.isna(value) else parse_bool(value)
        # An empty cell is neither true nor bad: the caller decides what it means.
        assert bool(true[i]) == (expected is True)
        assert bool(bad[i]) == (expected is None and not pd.isna(value))


# ------------------------------------------------------------------ scores
SCORES = (
    "submission_id,n_reviews,calibrated_score,score_se,expected_rank,rank_lo50,rank_hi50,"
    "sucra,band,higher_is_better,adjustment\n"
    "007,3,4.5,0.2,1.0,1,1,0.9,excellent,True,0.1\n"
    "P2,3,3.5,0.3,2.0,2,2,0.1,,TRUE,-0.1\n"
)


def test_a_good_score_table(tmp_path: Path) -> None:
    path = _csv(tmp_path, SCORES)
    table = load_scores(path)
    assert table["submission_id"].tolist() == ["007", "P2"]
    assert table["n_reviews"].dtype == np.int64
    assert table["calibrated_score"].tolist() == [4.5, 3.5]
    assert table["higher_is_better"].tolist() == [True, True]
    assert table["band"].tolist()[0] == "excellent"
    assert table["adjustment"].tolist() == [0.1, -0.1]
    assert table.attrs["fairpanel_source"] == str(path)
    # A loaded table is passed through as it is, not read twice.
    assert load_scores(table) is table


def _replace(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


HINT_SCORES = S.HINT_WRITTEN_BY.format(table="scores", command="fairpanel score")


@pytest.mark.parametrize(
    ("edit", "row", "column", "message", "hint"),
    [
        (("P2,3,3.5", "007,3,3.5"), 3, "submission_id",
         C.ERR_DUPLICATE_ID.format(value="007", first=2, row=3), C.HINT_DUPLICATE_ID),
        (("P2,3,3.5", ",3,3.5"), 3, "submission_id",
         C.ERR_MISSING_VALUE.format(what="submission id"), C.HINT_MISSING_VALUE),
        (("3,4.5,", "3,high,"), 2, "calibrated_score",
         K.ERR_NOT_FINITE.format(value="high"), K.HINT_NUMBER),
        (("3,4.5,", "3,inf,"), 2, "calibrated_score",
         K.ERR_NOT_FINITE.format(value="inf"), K.HINT_NUMBER),
        (("3,4.5,", "3,,"), 2, "calibrated_score",
         C.ERR_MISSING_VALUE.format(what="'calibrated_score' cell"), C.HINT_MISSING_VALUE),
        (("P2,3,", "P2,2.5,"), 3, "n_reviews",
         K.ERR_BAD_COUNT.format(value="2.5"), K.HINT_COUNT),
        (("0.1,,TRUE", "1.2,,TRUE"), 3, "sucra",
         K.ERR_BAD_PROBABILITY.format(value="1.2"), K.HINT_PROBABILITY),
        (("excellent,True", "excellent,y"), 2, "higher_is_better",
         C.ERR_NOT_BOOL.format(value="y"), BOOL_HINT),
        ((",TRUE,", ",false,"), 3, "higher_is_better",
         S.ERR_MIXED_DIRECTION.format(first=2, was="True", now="false"),
         S.HINT_MIXED_DIRECTION),
    ],
)  # fmt: skip
def test_each_scores_check(tmp_path, edit, row, column, message, hint) -> None:  # type: ignore[no-untyped-def]
    path = _csv(tmp_path, _replace(SCORES, *edit))
    assert _refused(load_scores, path) == _line(path, row, column, message, hint)


def test_a_score_table_without_scores(tmp_path: Path) -> None:
    path = _csv(tmp_path, "submission_id,Calibrated_Score\nP1,3\n")
    found = "'submission_id', 'Calibrated_Score'"
    message = C.ERR_MISSING_COLUMN.format(column="calibrated_score", found=found)
    hint = f"rename 'Calibrated_Score' to 'calibrated_score'; {HINT_SCORES}"
    assert _refused(load_scores, path) == _line(path, None, "calibrated_score", message, hint)


# ------------------------------------------------------------------ allocations
ALLOCATION = (
    "submission_id,strategy,tier,selected,selection_probability,draw_position,request,extra\n"
    "P1,lottery,lottery,True,0.5,1,,a\n"
    "P2,lottery,lottery,False,0.5,,,b\n"
    "P3,lottery,ineligible,False,0,,,c\n"
)


def test_a_good_allocation(tmp_path: Path) -> None:
    path = _csv(tmp_path, ALLOCATION)
    table = load_allocation(path)
    assert table["selected"].tolist() == [True, False, False]
    assert table["selection_probability"].tolist() == [0.5, 0.5, 0.0]
    assert table["draw_position"].isna().tolist() == [False, True, True]
    assert table["request"].isna().all()
    assert table["extra"].tolist() == ["a", "b", "c"]
    assert load_allocation(table) is table


HINT_ALLOCATION = S.HINT_WRITTEN_BY.format(table="allocation", command="fairpanel allocate")


@pytest.mark.parametrize(
    ("edit", "row", "column", "message", "hint"),
    [
        (("P2,lottery,lottery", "P2,lottery,won"), 3, "tier",
         K.ERR_BAD_TIER.format(value="won", tiers=", ".join(K.TIERS)), K.HINT_TIER),
        (("False,0.5", "maybe,0.5"), 3, "selected",
         C.ERR_NOT_BOOL.format(value="maybe"), BOOL_HINT),
        (("True,0.5", "True,1.5"), 2, "selection_probability",
         K.ERR_BAD_PROBABILITY.format(value="1.5"), K.HINT_PROBABILITY),
        (("P3,lottery,", "P3,,"), 4, "strategy",
         C.ERR_MISSING_VALUE.format(what="'strategy' cell"), C.HINT_MISSING_VALUE),
        (("P2,", "P1,"), 3, "submission_id",
         C.ERR_DUPLICATE_ID.format(value="P1", first=2, row=3), C.HINT_DUPLICATE_ID),
    ],
)  # fmt: skip
def test_each_allocation_check(tmp_path, edit, row, column, message, hint) -> None:  # type: ignore[no-untyped-def]
    path = _csv(tmp_path, _replace(ALLOCATION, *edit))
    assert _refused(load_allocation, path) == _line(path, row, column, message, hint)


def test_an_allocation_without_tiers(tmp_path: Path) -> None:
    path = _csv(tmp_path, "submission_id,strategy,selected,selection_probability\nP1,rank,1,1\n")
    found = "'submission_id', 'strategy', 'selected', 'selection_probability'"
    message = C.ERR_MISSING_COLUMN.format(column="tier", found=found)
    assert _refused(load_allocation, path) == _line(path, None, "tier", message, HINT_ALLOCATION)


# ------------------------------------------------------------------ decisions
DECISIONS = "id,gender,field,age,funded\na,w,bio,30,yes\nb,m,bio,41,0\nc,w,phys,35,TRUE\n"
OPTIONS: dict[str, Any] = {
    "submission_col": "id",
    "selected": "funded",
    "groups": ["gender"],
    "strata": "field",
    "covariates": ["age"],
}


def test_good_decisions(tmp_path: Path) -> None:
    path = _csv(tmp_path, DECISIONS)
    table = load_decisions(path, **OPTIONS)
    assert table.columns.tolist() == ["submission_id", "gender", "field", "age", "selected"]
    assert table["selected"].tolist() == [True, False, True]
    assert table["age"].tolist() == [30.0, 41.0, 35.0]
    assert load_decisions(table, groups=["gender"], strata="field") is table


def test_decisions_with_stages_and_a_submissions_table(tmp_path: Path) -> None:
    subs = load_submissions(_csv(tmp_path, "submission_id,gender\na,w\nb,m\n", "subs.csv"))
    path = _csv(tmp_path, "submission_id,screened,offered\na,yes,no\nb,1,1\n")
    table = load_decisions(
        path, groups=["gender"], stages=["screened", "offered"], submissions=subs
    )
    assert table["gender"].tolist() == ["w", "m"]
    assert table["offered"].tolist() == table["selected"].tolist() == [False, True]


def test_votes_are_not_decisions(tmp_path: Path) -> None:
    # A file with one row per vote (as the SNSF's panel votes): each id repeats.
    votes = "proposal,Fund,assessor\n" + "".join(
        f"p{i},1,v{j}\n" for i in range(1, 6) for j in range(1, 5)
    )
    path = _csv(tmp_path, votes)
    examples = "'p1' on rows 2, 3, 4, …; 'p2' on rows 6, 7, 8, …; 'p3' on rows 10, 11, 12, …; …"
    message = D.ERR_REPEATED_IDS.format(count=5, examples=examples)
    line = _line(path, 3, "proposal", message, D.HINT_REPEATED_IDS)
    assert _refused(load_decisions, path, submission_col="proposal", selected="Fund") == line


@pytest.mark.parametrize(
    ("edit", "row", "column", "message", "hint"),
    [
        (("b,m,bio", ",m,bio"), 3, "id",
         C.ERR_MISSING_VALUE.format(what="submission id"), C.HINT_MISSING_VALUE),
        (("30,yes", "30,y"), 2, "funded", C.ERR_NOT_BOOL.format(value="y"), BOOL_HINT),
        (("41,0", "41,"), 3, "funded",
         C.ERR_MISSING_VALUE.format(what="yes/no value"), BOOL_HINT),
        (("c,w,phys", "c,,phys"), 4, "gender",
         N.ERR_EMPTY_GROUP.format(column="gender"), N.HINT_EMPTY_GROUP),
        (("b,m,bio,41", "b,m,,41"), 3, "field",
         N.ERR_EMPTY_GROUP.format(column="field"), N.HINT_EMPTY_GROUP),
        (("m,bio,41", "m,bio,"), 3, "age",
         D.ERR_EMPTY_COVARIATE.format(column="age"), D.HINT_EMPTY_COVARIATE),
    ],
)  # fmt: skip
def test_each_decisions_check(tmp_path, edit, row, column, message, hint) -> None:  # type: ignore[no-untyped-def]
    path = _csv(tmp_path, _replace(DECISIONS, *edit))
    assert _refused(load_decisions, path, **OPTIONS) == _line(path, row, column, message, hint)


def test_a_stage_passed_without_the_one_before(tmp_path: Path) -> None:
    path = _csv(tmp_path, "submission_id,g,screened,offered\nx,a,1,0\ny,b,0,1\n")
    message = D.ERR_STAGE_ORDER.format(stage="offered", previous="screened")
    line = _line(path, 3, "offered", message, D.HINT_STAGE_ORDER)
    assert _refused(load_decisions, path, groups=["g"], stages=["screened", "offered"]) == line


def test_decisions_against_a_submissions_table(tmp_path: Path) -> None:
    subs_path = _csv(tmp_path, "submission_id,gender\na,w\nb,\n", "subs.csv")
    subs = load_submissions(subs_path)
    path = _csv(tmp_path, "submission_id,selected\na,1\nz,0\n")
    message = D.ERR_UNKNOWN_SUBMISSION.format(submission="z")
    line = _line(path, 3, "submission_id", message, D.HINT_UNKNOWN_SUBMISSION)
    assert _refused(load_decisions, path, submissions=subs) == line
    # A group the decisions lack is checked in the submissions table, naming its row.
    path = _csv(tmp_path, "submission_id,selected\na,1\nb,0\n")
    message = N.ERR_EMPTY_GROUP.format(column="gender")
    line = _line(subs_path, 3, "gender", message, N.HINT_EMPTY_GROUP)
    assert _refused(load_decisions, path, groups=["gender"], submissions=subs) == line


def test_a_renamed_decision_column_may_not_clash(tmp_path: Path) -> None:
    path = _csv(tmp_path, "submission_id,g,funded,selected\nx,a,1,0\n")
    message = D.ERR_COLUMN_CLASH.format(name="selected", column="funded")
    line = _line(path, None, "selected", message, "rename one of the two columns")
    assert _refused(load_decisions, path, groups=["g"], selected="funded") == line


# ------------------------------------------------------------------ counts
COUNTS = "field,gender,n,k\nbio,w,10,3\nbio,m,12,4\nphys,w,5,1\n"
COUNT_OPTIONS: dict[str, Any] = {
    "group_col": "gender",
    "applicants_col": "n",
    "selected_col": "k",
    "strata_col": "field",
}


def test_good_counts(tmp_path: Path) -> None:
    table = load_counts(_csv(tmp_path, COUNTS), **COUNT_OPTIONS)
    assert table.columns.tolist() == ["group", "stratum", "applicants", "selected"]
    assert table["applicants"].tolist() == [10, 12, 5]
    assert table["applicants"].dtype == np.int64
    assert load_counts(table, group_col="gender", strata_col="field") is table


@pytest.mark.parametrize(
    ("edit", "row", "column", "message", "hint"),
    [
        (("w,10,3", "w,-10,3"), 2, "n", K.ERR_BAD_COUNT.format(value="-10"), K.HINT_COUNT),
        (("m,12,4", "m,12,4.5"), 3, "k", K.ERR_BAD_COUNT.format(value="4.5"), K.HINT_COUNT),
        (("m,12,4", "m,twelve,4"), 3, "n", K.ERR_NOT_FINITE.format(value="twelve"),
         K.HINT_NUMBER),
        (("phys,w,5,1", "phys,w,5,6"), 4, "k",
         N.ERR_SELECTED_EXCEEDS.format(selected=6, applicants=5),
         N.HINT_EXCEEDS.format(selected="k", applicants="n")),
        (("bio,m", "bio,"), 3, "gender",
         N.ERR_EMPTY_GROUP.format(column="gender"), N.HINT_EMPTY_GROUP),
        (("phys,w", ",w"), 4, "field",
         N.ERR_EMPTY_GROUP.format(column="field"), N.HINT_EMPTY_GROUP),
    ],
)  # fmt: skip
def test_each_counts_check(tmp_path, edit, row, column, message, hint) -> None:  # type: ignore[no-untyped-def]
    path = _csv(tmp_path, _replace(COUNTS, *edit))
    assert _refused(load_counts, path, **COUNT_OPTIONS) == _line(path, row, column, message, hint)


def test_a_missing_counts_column_names_its_option(tmp_path: Path) -> None:
    path = _csv(tmp_path, COUNTS)
    message = C.ERR_MISSING_COLUMN.format(column="K", found="'field', 'gender', 'n', 'k'")
    hint = C.HINT_NEAR_COLUMN.format(near="k", option="--selected-col 'k'")
    options = {**COUNT_OPTIONS, "selected_col": "K"}
    assert _refused(load_counts, path, **options) == _line(path, None, "K", message, hint)


# ------------------------------------------------------------------ loaded frames
def test_a_loaded_frame_whose_types_were_overwritten_is_read_again(tmp_path: Path) -> None:
    table = load_allocation(_csv(tmp_path, ALLOCATION))
    changed = table.assign(selected=["y", "no", "no"])
    assert changed.attrs.get("fairpanel_table") == "allocation"  # the marks travel along
    text = _refused(load_allocation, changed)  # type: ignore[arg-type]
    # Still named after the file it came from, at the row of the changed cell.
    path = tmp_path / "table.csv"
    assert text == _line(path, 2, "selected", C.ERR_NOT_BOOL.format(value="y"), BOOL_HINT)


def test_io_does_not_import_the_rubric() -> None:
    # io sits below rubric in the layers (lower never imports higher): it uses a rubric it is
    # handed through its attributes, and imports the module only for type checking.
    import subprocess
    import sys

    code = "import sys, fairpanel.io; print('fairpanel.rubric' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
