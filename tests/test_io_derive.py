"""``fairpanel submissions --from-reviews``: one row per submission from a votes file.

The shape is the SNSF's MINT 2020 export (``proposal, Fund, assessor, grade, num_grade,
section``: the decision and the section repeated on every vote), written here.
"""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel._errors import FairpanelInputError
from fairpanel.cli._main import app
from fairpanel.io import load_decisions, submissions_from_reviews
from fairpanel.io._derive import ERR_KEEP_ID, ERR_NOTHING_TO_KEEP

runner = CliRunner()


@pytest.fixture
def votes() -> pd.DataFrame:
    """Three proposals, their votes by section members, the decision on every vote row."""
    return pd.DataFrame(
        {
            "proposal": ["p1", "p1", "p1", "p2", "p2", "p3", "p3"],
            "Fund": [1, 1, 1, 0, 0, 1, 1],
            "assessor": ["v1", "v2", "v3", "v1", "v2", "v1", "v4"],
            "grade": ["A", "AB", "A", "C", "BC", "B", "AB"],
            "section": ["one", "one", "one", "two", "two", "one", "one"],
        }
    )


def test_one_row_per_submission_in_order_of_first_vote(votes: pd.DataFrame) -> None:
    out = submissions_from_reviews(votes, submission="proposal", keep=["section", "Fund"])
    assert out.columns.tolist() == ["submission_id", "section", "Fund"]
    assert out["submission_id"].tolist() == ["p1", "p2", "p3"]
    assert out["section"].tolist() == ["one", "two", "one"]
    # The derived table is a decisions table the audit reads with its own loader.
    decisions = load_decisions(out, selected="Fund", groups=["section"])
    assert int(decisions["selected"].sum()) == 2


def test_a_column_of_the_review_is_refused_with_both_rows(votes: pd.DataFrame) -> None:
    with pytest.raises(FairpanelInputError, match="'A' in 'grade' on row 2 but 'AB'") as info:
        submissions_from_reviews(votes, submission="proposal", keep=["grade"])
    assert (info.value.row, info.value.column) == (3, "grade")


def test_blank_cells_on_every_row_are_one_value() -> None:
    frame = pd.DataFrame({"id": ["a", "a", "b"], "gender": [None, None, "woman"]})
    out = submissions_from_reviews(frame, submission="id", keep=["gender"])
    assert out["gender"].isna().tolist() == [True, False]


def test_the_keep_list_is_checked(votes: pd.DataFrame) -> None:
    with pytest.raises(FairpanelInputError) as info:
        submissions_from_reviews(votes, submission="proposal", keep=[])
    assert info.value.message == ERR_NOTHING_TO_KEEP
    with pytest.raises(FairpanelInputError) as info:
        submissions_from_reviews(votes, submission="proposal", keep=["proposal"])
    assert info.value.message == ERR_KEEP_ID.format(column="proposal")
    with pytest.raises(FairpanelInputError, match="gender"):
        submissions_from_reviews(votes, submission="proposal", keep=["gender"])


def test_cli_writes_the_table_the_audit_reads(votes: pd.DataFrame, tmp_path) -> None:  # type: ignore[no-untyped-def]
    source, out = tmp_path / "votes.csv", tmp_path / "subs.csv"
    votes.to_csv(source, index=False)
    args = ["submissions", "--from-reviews", str(source), "--submission-col", "proposal"]
    result = runner.invoke(app, [*args, "--keep", "section,Fund", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 submissions" in result.output
    written = pd.read_csv(out)
    assert written["submission_id"].tolist() == ["p1", "p2", "p3"]
    audit = runner.invoke(
        app,
        [
            "audit",
            "--decisions",
            str(out),
            "--selected",
            "Fund",
            "--group",
            "section",
            "--min-cell",
            "1",
            "--json",
            str(tmp_path / "audit.json"),
        ],
    )
    assert audit.exit_code == 0, audit.output
