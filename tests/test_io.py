"""The input loaders: formats, encodings, and every check with its message constant."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel import FairpanelInputError, ReviewColumns, SubmissionColumns
from fairpanel.cli import app
from fairpanel.io import (
    ERR_NOT_BOOL,
    _checks,
    _decode,
    _read,
    _reviews,
    _submissions,
    load_reviews,
    load_submissions,
    read_table,
)
from fairpanel.rubric import Rubric, load_rubric

GOOD = Path(__file__).parent / "data" / "good"
HDR = "submission_id,reviewer_id,criterion,score\n"
OK = "P01,R1,science,4\nP01,R2,science,5\nP02,R1,feasibility,3\n"


@pytest.fixture
def rubric() -> Rubric:
    return load_rubric(GOOD / "rubric.yaml")


def _csv(tmp_path: Path, text: str, name: str = "reviews.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _raises(func, *args, **kwargs) -> FairpanelInputError:
    with pytest.raises(FairpanelInputError) as info:
        func(*args, **kwargs)
    return info.value


# ---------------------------------------------------------------------- read_table
def test_csv_keeps_ids_as_text_and_strips_spaces(tmp_path):
    frame = read_table(_csv(tmp_path, "id, hours\n007 ,2\n010,3.5\n"))
    assert frame["id"].tolist() == ["007", "010"]
    assert frame["hours"].tolist() == ["2", "3.5"]


def test_text_columns_keeps_named_columns_and_converts_the_rest(tmp_path):
    path = _csv(tmp_path, "id,hours,note\n007,2,a\n010,3.5,\n")
    frame = read_table(path, text_columns=["id"])
    assert frame["id"].tolist() == ["007", "010"]
    assert frame["hours"].tolist() == [2.0, 3.5]
    assert frame["note"].iloc[0] == "a"
    assert pd.isna(frame["note"].iloc[1])


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("t.csv", "id;hours\n007;2,5\n"),
        ("t.csv", "id\thours\n007\t2.5\n"),
        ("t.tsv", "id\thours\n007\t2.5\n"),
        ("t.csv", "\ufeffid,hours\n007,2.5\n"),  # Excel's "CSV UTF-8" byte-order mark
    ],
)
def test_separators_decimal_comma_and_bom(tmp_path, name, text):
    frame = read_table(_csv(tmp_path, text, name), text_columns=["id"])
    assert frame.columns.tolist() == ["id", "hours"]
    assert frame["hours"].tolist() == [2.5]


def test_blank_lines_do_not_shift_row_numbers(tmp_path):
    path = _csv(tmp_path, HDR + "P01,R1,science,4\n\nP01,R2,science,x\n")
    err = _raises(load_reviews, path)
    assert err.row == 4
    assert err.message == _checks.ERR_NOT_NUMBER.format(what="score", value="x")


def test_not_utf8_names_the_encoding_and_the_option(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_bytes((HDR + "P01,Müller,science,4\n").encode("latin-1"))
    err = _raises(read_table, path)
    assert err.message == _decode.ERR_NOT_TEXT.format(
        encoding="UTF-8", byte=0xFC, guess="; it looks like Latin-1 (ISO-8859-1)"
    )
    assert err.row == 2
    assert err.hint == _decode.HINT_ENCODING.format(suggest="latin-1")
    assert "--encoding" in str(err)
    # ... and the suggested option reads it.
    assert read_table(path, encoding="latin-1")["reviewer_id"].tolist() == ["Müller"]


def test_cp1252_is_told_from_latin1(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_bytes((HDR + "P01,O\u2019Hara,science,4\n").encode("cp1252"))
    err = _raises(read_table, path)
    assert err.hint == _decode.HINT_ENCODING.format(suggest="cp1252")


def test_unknown_encoding(tmp_path):
    err = _raises(read_table, _csv(tmp_path, HDR + OK), encoding="klingon")
    assert err.message == _decode.ERR_UNKNOWN_ENCODING.format(encoding="klingon")


@pytest.mark.parametrize("text", ["", "  \n\n"])
def test_empty_file(tmp_path, text):
    err = _raises(read_table, _csv(tmp_path, text))
    assert err.message == _read.ERR_EMPTY_FILE


def test_unknown_extension_lists_the_supported_ones(tmp_path):
    err = _raises(read_table, _csv(tmp_path, HDR, "reviews.ods"))
    assert err.message == _read.ERR_SUFFIX.format(suffix=".ods")
    assert all(s in err.hint for s in _read.SUPPORTED_SUFFIXES)


def test_missing_file(tmp_path):
    err = _raises(read_table, tmp_path / "nope.csv")
    assert err.message == _read.ERR_NO_FILE


def test_header_problems(tmp_path):
    err = _raises(read_table, _csv(tmp_path, "a,a\n1,2\n"))
    assert err.message == _read.ERR_DUPLICATE_HEADER.format(column="a")
    err = _raises(read_table, _csv(tmp_path, "a,,b\n1,2,3\n"))
    assert err.message == _read.ERR_EMPTY_HEADER.format(position=2)


def test_trailing_empty_columns_are_dropped(tmp_path):
    # Excel exports trailing separators; a column without a name or a value is nothing.
    frame = read_table(_csv(tmp_path, "a,b,,\n1,2,,\n3,4,,\n"))
    assert frame.columns.tolist() == ["a", "b"]


def test_unclosed_quote_is_a_parse_error(tmp_path):
    err = _raises(read_table, _csv(tmp_path, 'a,b\n"1,2\n3,4\n'))
    assert err.message.startswith("cannot parse the file as comma-separated values")


def test_xlsx_round_trip(tmp_path, rubric):
    reviews = load_reviews(GOOD / "reviews.csv", rubric=rubric)
    path = tmp_path / "reviews.xlsx"
    raw = reviews.assign(submission_id="0" + reviews["submission_id"])
    raw.to_excel(path, index=False)
    back = load_reviews(path, rubric=rubric)
    pd.testing.assert_frame_equal(back, raw)
    assert back["submission_id"].iloc[0] == "0P01"


def test_xlsx_rows_and_columns_in_errors(tmp_path, rubric):
    path = tmp_path / "reviews.xlsx"
    frame = pd.DataFrame(
        {"submission_id": ["P01", "P02"], "reviewer_id": ["R1", "R1"], "criterion": "science"}
    )
    frame.assign(score=[4, 9]).to_excel(path, index=False)
    err = _raises(load_reviews, path, rubric=rubric)
    assert (err.file, err.row, err.column) == (str(path), 3, "score")
    frame.assign(Score=[4, 5]).to_excel(path, index=False)
    err = _raises(load_reviews, path)
    assert err.message.startswith("required column 'score' is missing")
    assert "--score-col 'Score'" in err.hint


def test_corrupt_xlsx(tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(b"not a zip")
    err = _raises(read_table, path)
    assert err.message.startswith("not a readable Excel .xlsx file")


def test_parquet_round_trip(tmp_path):
    subs = load_submissions(
        GOOD / "submissions.csv",
        columns=SubmissionColumns(groups=("gender", "career_stage"), request="hours"),
    )
    path = tmp_path / "submissions.parquet"
    subs.to_parquet(path, index=False)
    back = load_submissions(
        path, columns=SubmissionColumns(groups=("gender", "career_stage"), request="hours")
    )
    pd.testing.assert_frame_equal(back, subs)
    assert back.attrs["fairpanel_source"] == str(path)


def test_typed_ids_are_read_as_the_committee_typed_them(tmp_path):
    # An integer id column with a gap is stored as float; 101.0 must come back as "101".
    frame = pd.DataFrame({"submission_id": [101, 102, None], "gender": ["a", "b", "c"]})
    path = tmp_path / "s.parquet"
    frame.to_parquet(path)
    assert read_table(path)["submission_id"].tolist()[:2] == ["101", "102"]
    err = _raises(load_submissions, path)
    assert (err.row, err.column) == (4, "submission_id")
    subs = load_submissions(frame.dropna(), columns=SubmissionColumns(groups=("gender",)))
    assert subs["submission_id"].tolist() == ["101", "102"]


def test_corrupt_parquet(tmp_path):
    path = tmp_path / "r.parquet"
    path.write_bytes(b"PAR1 nonsense")
    err = _raises(read_table, path)
    assert err.message.startswith("not a readable Parquet file")


# -------------------------------------------------------------------- load_reviews
def test_good_reviews_have_the_canonical_columns(rubric):
    subs = load_submissions(GOOD / "submissions.csv")
    reviews = load_reviews(GOOD / "reviews.csv", rubric=rubric, submissions=subs)
    assert tuple(reviews.columns) == _reviews.REVIEW_COLUMNS
    assert len(reviews) == 36
    assert reviews["score"].dtype == float
    assert pd.api.types.is_string_dtype(reviews["submission_id"])
    assert reviews.index.equals(pd.RangeIndex(36))


def test_without_criterion_column_each_row_is_one_overall_grade(tmp_path):
    path = _csv(tmp_path, "proposal,assessor,grade\n1,A,4\n2,A,6\n")
    cols = ReviewColumns(submission="proposal", reviewer="assessor", score="grade")
    reviews = load_reviews(path, columns=cols)
    single = Rubric.single_criterion(minimum=1, maximum=6)
    assert reviews["criterion"].tolist() == list(single.criterion_ids) * 2
    assert reviews["submission_id"].tolist() == ["1", "2"]
    # With a one-criterion rubric, the criterion is that rubric's.
    one = Rubric.single_criterion(minimum=1, maximum=6, name="merit")
    assert load_reviews(path, columns=cols, rubric=one)["criterion"].tolist() == ["merit"] * 2


def test_missing_criterion_column_with_a_multi_criterion_rubric(tmp_path, rubric):
    err = _raises(
        load_reviews, _csv(tmp_path, "submission_id,reviewer_id,score\nP,R,3\n"), rubric=rubric
    )
    assert err.message == _reviews.ERR_NO_CRITERION_COLUMN.format(
        n=2, known="science, feasibility"
    )


def test_a_named_optional_column_must_exist(tmp_path):
    err = _raises(load_reviews, _csv(tmp_path, HDR + OK), columns=ReviewColumns(criterion="crit"))
    assert err.column == "crit"
    assert err.message.startswith("required column 'crit' is missing")


# A voter of the SNSF MINT file is section + assessor: v_1 of one section is not v_1 of
# another.
SECTIONS = "proposal,section,assessor,grade\nP1,one,v_1,4\nP1,two,v_1,5\nP2,one,v_1,3\n"


@pytest.mark.parametrize(
    "reviewer", ["section,assessor", " section , assessor ", ("section", "assessor")]
)
def test_reviewer_id_from_several_columns(tmp_path, reviewer):
    cols = ReviewColumns(submission="proposal", reviewer=reviewer, score="grade")
    reviews = load_reviews(_csv(tmp_path, SECTIONS), columns=cols)
    assert tuple(reviews.columns) == _reviews.REVIEW_COLUMNS
    assert reviews["reviewer_id"].tolist() == ["one/v_1", "two/v_1", "one/v_1"]
    assert pd.api.types.is_string_dtype(reviews["reviewer_id"])


def test_reviewer_id_errors_name_the_real_columns(tmp_path):
    cols = ReviewColumns(submission="proposal", reviewer="section,voter", score="grade")
    err = _raises(load_reviews, _csv(tmp_path, SECTIONS), columns=cols)
    assert err.message == _checks.ERR_MISSING_COLUMN.format(
        column="voter", found="'proposal', 'section', 'assessor', 'grade'"
    )
    assert err.column == "voter"
    assert err.hint == _checks.HINT_MISSING_COLUMN.format(option="--reviewer-col")

    cols = ReviewColumns(submission="proposal", reviewer="section,assessor", score="grade")
    empty = SECTIONS + "P2,,v_2,4\n"
    err = _raises(load_reviews, _csv(tmp_path, empty), columns=cols)
    assert (err.message, err.row, err.column) == (
        _checks.ERR_MISSING_VALUE.format(what="reviewer id"),
        5,
        "section",
    )

    twice = SECTIONS + "P1,two,v_1,2\n"
    err = _raises(load_reviews, _csv(tmp_path, twice), columns=cols)
    assert err.message == _reviews.ERR_DUPLICATE_REVIEW.format(
        reviewer="two/v_1", criterion="overall", submission="P1", first=3, row=5
    )
    assert (err.row, err.column) == (5, "assessor")


@pytest.mark.parametrize(
    ("text", "message", "row", "column"),
    [
        (
            "submission_id,reviewer_id,criterion,grade\nP01,R1,science,4\n",
            _checks.ERR_MISSING_COLUMN.format(
                column="score", found="'submission_id', 'reviewer_id', 'criterion', 'grade'"
            ),
            None,
            "score",
        ),
        (HDR, _checks.ERR_NO_ROWS, None, None),
        (
            HDR + OK + ",R1,science,4\n",
            _checks.ERR_MISSING_VALUE.format(what="submission id"),
            5,
            "submission_id",
        ),
        (
            HDR + OK + "P03,,science,4\n",
            _checks.ERR_MISSING_VALUE.format(what="reviewer id"),
            5,
            "reviewer_id",
        ),
        (
            HDR + OK + "P03,R1,,4\n",
            _checks.ERR_MISSING_VALUE.format(what="criterion"),
            5,
            "criterion",
        ),
        (
            HDR + OK + "P03,R1,science,\n",
            _checks.ERR_MISSING_VALUE.format(what="score"),
            5,
            "score",
        ),
        (
            HDR + OK + "P03,R1,science,four\n",
            _checks.ERR_NOT_NUMBER.format(what="score", value="four"),
            5,
            "score",
        ),
        (
            HDR + OK + "P03,R1,science,inf\n",
            _checks.ERR_NOT_NUMBER.format(what="score", value="inf"),
            5,
            "score",
        ),
        (
            HDR + OK + "P03,R1,science,0\n",
            _reviews.ERR_OFF_SCALE.format(value=0, min=1, max=5),
            5,
            "score",
        ),
        (
            HDR + OK + "P03,R1,science,2.5\n",
            _reviews.ERR_NOT_LEVEL.format(value=2.5, min=1, max=5),
            5,
            "score",
        ),
        (
            HDR + OK + "P03,R1,impact,4\n",
            _reviews.ERR_UNKNOWN_CRITERION.format(value="impact", known="science, feasibility"),
            5,
            "criterion",
        ),
        (
            HDR + OK + "P99,R1,science,4\n",
            _reviews.ERR_UNKNOWN_SUBMISSION.format(
                value="P99", submissions="the submissions table (subs)"
            ),
            5,
            "submission_id",
        ),
        (
            HDR + OK + "P01,R2,science,3\n",
            _reviews.ERR_DUPLICATE_REVIEW.format(
                reviewer="R2", criterion="science", submission="P01", first=3, row=5
            ),
            5,
            "reviewer_id",
        ),
    ],
)
def test_each_reviews_check(tmp_path, rubric, text, message, row, column):
    subs = load_submissions(GOOD / "submissions.csv", source="subs")
    err = _raises(load_reviews, _csv(tmp_path, text), rubric=rubric, submissions=subs)
    assert err.message == message
    assert (err.row, err.column) == (row, column)
    assert err.file == str(tmp_path / "reviews.csv")
    assert err.hint


def test_conflict_flags(tmp_path):
    hdr = "submission_id,reviewer_id,criterion,score,conflict\n"
    clean = load_reviews(_csv(tmp_path, hdr + "P1,R1,a,3,no\nP1,R2,a,4,\nP2,R1,a,4,0\n"))
    assert clean["conflict"].tolist() == [False] * 3
    err = _raises(load_reviews, _csv(tmp_path, hdr + "P1,R1,a,3,no\nP1,R2,a,4,Yes\n"))
    assert err.message == _reviews.ERR_CONFLICT.format(reviewer="R2", submission="P1")
    assert (err.row, err.column) == (3, "conflict")
    assert "removed before scoring" in err.hint
    err = _raises(load_reviews, _csv(tmp_path, hdr + "P1,R1,a,3,perhaps\n"))
    assert err.message == ERR_NOT_BOOL.format(value="perhaps")
    # One yes/no reading for every table: the spellings "y", "t" and "x" are refused.
    for flag in ("y", "t", "x"):
        err = _raises(load_reviews, _csv(tmp_path, hdr + f"P1,R1,a,3,{flag}\n"))
        assert (err.message, err.row) == (ERR_NOT_BOOL.format(value=flag), 2)


def test_the_first_offending_row_is_reported_whatever_the_check(tmp_path, rubric):
    # Row 3 is off the scale, row 4 has an empty reviewer: row 3 comes first in the file,
    # although the empty-id check runs before the scale check.
    text = HDR + "P01,R1,science,4\nP01,R2,science,9\nP02,,science,3\n"
    err = _raises(load_reviews, _csv(tmp_path, text), rubric=rubric)
    assert err.row == 3
    assert err.message == _reviews.ERR_OFF_SCALE.format(value=9, min=1, max=5)


def test_a_dataframe_is_named_by_source(rubric):
    frame = pd.DataFrame(
        {
            "submission_id": [1, 2],
            "reviewer_id": ["R1", "R1"],
            "criterion": "science",
            "score": [4, 7],
        }
    )
    err = _raises(load_reviews, frame, rubric=rubric, source="panel 2024")
    assert str(err).startswith("panel 2024, row 3, column 'score'")
    err = _raises(load_reviews, frame, rubric=rubric)
    assert err.file == "reviews table"
    ok = load_reviews(frame.assign(score=[4, 5]), rubric=rubric)
    assert ok["submission_id"].tolist() == ["1", "2"]


def test_not_a_table():
    with pytest.raises(TypeError, match="path or a DataFrame"):
        load_reviews(42)  # type: ignore[arg-type]


# ---------------------------------------------------------------- load_submissions
SH = "submission_id,gender,hours,feature\n"
SOK = "P01,woman,4.5,0.1\nP02,man,10,0.3\n"
SCOLS = SubmissionColumns(groups=("gender",), request="hours")


def test_good_submissions(tmp_path):
    subs = load_submissions(_csv(tmp_path, SH + SOK, "s.csv"), columns=SCOLS)
    assert subs.columns.tolist() == ["submission_id", "gender", "hours", "feature"]
    assert subs["hours"].tolist() == [4.5, 10.0]
    assert subs["feature"].tolist() == [0.1, 0.3]


def test_a_renamed_id_column_becomes_submission_id(tmp_path):
    path = _csv(tmp_path, "id,gender\nA,woman\n", "s.csv")
    subs = load_submissions(path, columns=SubmissionColumns(submission="id", groups=("gender",)))
    assert subs.columns.tolist() == ["submission_id", "gender"]
    path = _csv(tmp_path, "id,submission_id\nA,B\n", "s.csv")
    err = _raises(load_submissions, path, columns=SubmissionColumns(submission="id"))
    assert err.message == _submissions.ERR_COLUMN_CLASH.format(column="id")


@pytest.mark.parametrize(
    ("text", "message", "row", "column"),
    [
        ("submission_id,sex,hours\nP1,woman,1\n", None, None, "gender"),
        (SH, _checks.ERR_NO_ROWS, None, None),
        (
            SH + SOK + ",woman,1,0\n",
            _checks.ERR_MISSING_VALUE.format(what="submission id"),
            4,
            "submission_id",
        ),
        (
            SH + SOK + "P01,woman,1,0\n",
            _submissions.ERR_DUPLICATE_SUBMISSION.format(value="P01", first=2, row=4),
            4,
            "submission_id",
        ),
        (
            SH + SOK + "P03,,1,0\n",
            _submissions.ERR_EMPTY_GROUP.format(column="gender"),
            4,
            "gender",
        ),
        (
            SH + SOK + "P03,woman,,0\n",
            _checks.ERR_MISSING_VALUE.format(what="request"),
            4,
            "hours",
        ),
        (
            SH + SOK + "P03,woman,3h,0\n",
            _checks.ERR_NOT_NUMBER.format(what="request", value="3h"),
            4,
            "hours",
        ),
        (
            SH + SOK + "P03,woman,-1,0\n",
            _submissions.ERR_NEGATIVE_REQUEST.format(value=-1),
            4,
            "hours",
        ),
    ],
)
def test_each_submissions_check(tmp_path, text, message, row, column):
    err = _raises(load_submissions, _csv(tmp_path, text, "s.csv"), columns=SCOLS)
    if message is not None:
        assert err.message == message
    else:
        assert err.message.startswith("required column 'gender' is missing")
    assert (err.row, err.column) == (row, column)
    if message == _submissions.ERR_EMPTY_GROUP.format(column="gender"):
        assert '"not stated"' in err.hint


# ------------------------------------------------------------------------------ CLI
def test_validate_prints_a_summary_and_exits_0(monkeypatch):
    monkeypatch.chdir(GOOD)
    args = [
        "validate",
        "--reviews",
        "reviews.csv",
        "--submissions",
        "submissions.csv",
        "--rubric",
        "rubric.yaml",
        "--group",
        "gender",
        "--group",
        "career_stage",
        "--request-col",
        "hours",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (
        result.stdout
        == "valid: 6 submissions, 4 reviewers, 18 reviews (36 scores on 2 criteria)\n"
    )


def test_the_suggested_encoding_option_reads_the_not_utf8_case(monkeypatch):
    case = Path(__file__).parent / "data" / "bad" / "not_utf8"
    monkeypatch.chdir(case)
    args = [*(case / "args.txt").read_text(encoding="utf-8").split(), "--encoding", "latin-1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("valid: 3 submissions, 3 reviewers")


def test_missing_scores_can_be_dropped_and_are_counted():
    import pandas as pd

    from fairpanel.io import load_reviews

    raw = pd.DataFrame(
        {
            "submission_id": ["P1", "P1", "P2", "P2", "P3"],
            "reviewer_id": ["A", "B", "A", "B", "A"],
            "score": ["4", "NA", "", "5", "n/a"],
        }
    )
    kept = load_reviews(raw, missing="drop")
    assert kept["score"].tolist() == [4.0, 5.0]
    assert kept.attrs["dropped"] == 3
    with pytest.raises(FairpanelInputError, match="--drop-missing"):
        load_reviews(raw)
    with pytest.raises(ValueError, match="missing must be one of"):
        load_reviews(raw, missing="ignore")  # type: ignore[arg-type]


def test_drop_missing_on_the_command_line(tmp_path):
    from typer.testing import CliRunner

    from fairpanel.cli import app

    path = tmp_path / "reviews.csv"
    path.write_text(
        "submission_id,reviewer_id,score\nP1,A,4\nP1,B,NA\nP2,A,3\nP2,B,5\nP3,A,2\nP3,B,\n",
        encoding="utf-8",
    )
    refused = CliRunner().invoke(app, ["validate", "--reviews", str(path)])
    assert refused.exit_code == 2
    assert "row 3, column 'score'" in refused.stderr
    accepted = CliRunner().invoke(app, ["validate", "--reviews", str(path), "--drop-missing"])
    assert accepted.exit_code == 0, accepted.output
    assert "left out 2 rows with no score" in accepted.stderr
