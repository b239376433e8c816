"""Group labels before counting: the recoding the user asked for, and spellings to check.

The rules live in :mod:`fairpanel.io._groups`; here they become the audit's notes, so
the published tables say which labels were pooled, and which look like one group typed
two ways.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel.io._groups import near_duplicate_labels, recode_groups

__all__ = ["NOTE_RECODED", "NOTE_SPELLINGS", "recode_frame"]

NOTE_RECODED = "recoded before counting: {what}"
NOTE_SPELLINGS = (
    "{column}: {labels} differ only in case or spacing and were counted as separate groups; "
    'if they are one group, recode them (--recode "{column}:{first}={second}")'
)
ERR_RECODE_COLUMN = "--recode names the column '{column}', which is not a group ({groups})"
ERR_RECODE_WHERE = (
    "--recode '{labels}': say which group column, as 'column:{labels}' (the labels are in {found})"
)


def recode_frame(
    frame: pd.DataFrame,
    groups: Sequence[str],
    recode: Mapping[str | None, Sequence[tuple[str, str]]],
) -> tuple[pd.DataFrame, list[str]]:
    """Apply the recodings to the group columns; return the frame and the notes.

    Parameters
    ----------
    frame : DataFrame
        Loaded decisions.
    groups : sequence of str
        The group columns.
    recode : mapping
        Group column (or None: the one group column that holds every old label) → the
        (old label, new label) pairs of :func:`fairpanel.io._groups.parse_recode`.

    Returns
    -------
    frame : DataFrame
        The frame with labels recoded (a copy when anything changed).
    notes : list of str
        One note per recoding, and one per set of labels that differ only in case or
        spacing (after recoding).

    Raises
    ------
    FairpanelInputError
        A column that is not a group, labels in no group column or in several (without
        a column named), or a label the column does not hold.
    """
    notes: list[str] = []
    for column, pairs in recode.items():
        target = column if column is not None else _column_of(frame, groups, pairs)
        if target not in groups:
            raise FairpanelInputError(
                ERR_RECODE_COLUMN.format(column=target, groups=", ".join(groups))
            )
        frame, done = recode_groups(frame, target, pairs)
        notes.append(NOTE_RECODED.format(what=done.describe()))
    for column in groups:
        for labels in near_duplicate_labels(frame[column]):
            named = " and ".join(f"'{label}'" for label in labels)
            notes.append(
                NOTE_SPELLINGS.format(
                    column=column, labels=named, first=labels[0], second=labels[1]
                )
            )
    return frame, notes


def _column_of(
    frame: pd.DataFrame, groups: Sequence[str], pairs: Sequence[tuple[str, str]]
) -> str:
    """Return the one group column holding every label to recode."""
    olds = {old for old, _ in pairs}
    found = [c for c in groups if olds <= set(frame[c].dropna().astype("str"))]
    if len(found) == 1:
        return found[0]
    labels = ",".join(sorted(olds))
    where = ", ".join(found) if found else "no group column"
    raise FairpanelInputError(ERR_RECODE_WHERE.format(labels=labels, found=where))
