"""Tables the committee does not have to build by hand: a submissions table from votes.

A panel's export often has one row per vote with each proposal's section, applicant
attributes and even the decision repeated on every row (the SNSF's MINT 2020 file:
``proposal, Fund, assessor, grade, num_grade, section``). The audit needs one row per
submission; joining or de-duplicating by hand is where a spreadsheet goes wrong, so the
rule lives here: keep the columns that are the same on every row of a submission, and
refuse one that is not, naming both rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel.io._checks import as_table, cell_error, empty_cells, raise_first, require_columns
from fairpanel.io._read import Table

__all__ = ["submissions_from_reviews"]

ERR_NOTHING_TO_KEEP = "name at least one column to keep (--keep section,gender)"
ERR_KEEP_ID = "'{column}' is the submission id column; name the columns to keep beside it"
ERR_VARIES = (
    "submission '{submission}' has '{first}' in '{column}' on row {first_row} but '{value}' "
    "here; a kept column must be the same on every row of a submission"
)
HINT_VARIES = (
    "keep only attributes of the submission (section, applicant's group, decision), not of "
    "the review; or correct the row"
)


def submissions_from_reviews(
    reviews: str | Path | pd.DataFrame,
    *,
    submission: str = "submission_id",
    keep: Sequence[str],
    encoding: str = "utf-8",
    source: str | None = None,
) -> pd.DataFrame:
    """Build a submissions table (one row per submission) from a table of reviews or votes.

    Parameters
    ----------
    reviews : str, Path or DataFrame
        One row per review or vote, from a CSV/TSV, .xlsx or .parquet file, or a frame.
    submission : str, default "submission_id"
        The column holding each row's submission id.
    keep : sequence of str
        The columns to carry over: attributes of the submission (its section, the
        applicant's group, the decision), which must be the same on all its rows.
    encoding : str, default "utf-8"
        Text encoding of a CSV/TSV file.
    source : str, optional
        The name to give the table in error messages (default: the path).

    Returns
    -------
    DataFrame
        ``submission_id`` then the kept columns as named, as text exactly as the file
        holds them; one row per submission, in order of first appearance.

    Raises
    ------
    FairpanelInputError
        A missing column, an empty submission id, or a kept column whose value differs
        between two rows of one submission (naming the submission, both values and
        rows).

    Examples
    --------
    >>> votes = pd.DataFrame({"proposal": ["p1", "p1", "p2"], "voter": ["a", "b", "a"],
    ...                       "section": ["one", "one", "two"], "Fund": [1, 1, 0]})
    >>> submissions_from_reviews(votes, submission="proposal", keep=["section", "Fund"])
      submission_id section Fund
    0            p1     one    1
    1            p2     two    0
    """
    names = list(dict.fromkeys(keep))
    if not names:
        raise FairpanelInputError(ERR_NOTHING_TO_KEEP)
    if submission in names:
        raise FairpanelInputError(ERR_KEEP_ID.format(column=submission))
    table = as_table(reviews, encoding=encoding, source=source, default_name="reviews table")
    require_columns(table, {submission: "--submission-col", **dict.fromkeys(names, "--keep")})
    raise_first([empty_cells(table, submission, "submission id")])
    frame = table.frame
    ids = frame[submission]
    first = ~ids.duplicated(keep="first")
    for column in names:
        _check_constant(table, ids, column)
    out = frame.loc[first.to_numpy(), [submission, *names]].rename(
        columns={submission: "submission_id"}
    )
    return out.reset_index(drop=True)


def _check_constant(table: Table, ids: pd.Series, column: str) -> None:
    """Refuse a column whose value changes within a submission, naming the first such row."""
    values = table.frame[column]
    # Empty cells compare equal to each other: a blank on every row is one value.
    key = values.fillna("\x00")
    reference = key.groupby(ids, sort=False).transform("first")
    differs = (key != reference).to_numpy()
    if not differs.any():
        return
    pos = int(np.argmax(differs))
    sub = ids.iloc[pos]
    first_pos = int(np.argmax((ids == sub).to_numpy()))
    raise cell_error(
        table,
        pos,
        column,
        ERR_VARIES.format(
            submission=sub,
            first=values.iloc[first_pos],
            column=column,
            first_row=int(table.frame.index[first_pos]) + 2,
            value=values.iloc[pos],
        ),
        HINT_VARIES,
    )
