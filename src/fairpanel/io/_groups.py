"""Group labels as committees type them: spotting near-duplicates, recoding and pooling.

"Woman", "woman " and "WOMAN" in one column are one group typed three ways; counted as
three, each is small, suppressed, and the audit loses the group. A careful secretary
also pools groups too small to publish ("non-binary" and "not stated" into "another or
not stated"). Both are decisions the report must record, so they live here as data: the
spellings found, and the recoding applied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from fairpanel._errors import FairpanelInputError

__all__ = ["Recoding", "near_duplicate_labels", "parse_recode", "recode_groups"]

ERR_RECODE_SYNTAX = (
    "--recode takes 'old,old=new' (e.g. 'non-binary,not stated=another or not stated'), "
    "got {got!r}"
)
ERR_RECODE_TWICE = "--recode names '{label}' twice: once to '{first}', once to '{second}'"
ERR_RECODE_UNKNOWN = (
    "--recode names '{label}', which is not a value of '{column}' (its values: {found})"
)


@dataclass(frozen=True)
class Recoding:
    """Which labels of one group column became which, as the report records it.

    Attributes
    ----------
    column : str
        The group column.
    mapping : tuple of (str, str) pairs
        Each original label and the label it was recoded to, in the order given.
    """

    column: str
    mapping: tuple[tuple[str, str], ...]

    def describe(self) -> str:
        """Say the recoding in words, for the console and the report.

        Returns
        -------
        str

        Examples
        --------
        >>> Recoding("gender", (("non-binary", "another"), ("not stated", "another"))).describe()
        "gender: 'non-binary' and 'not stated' counted as 'another'"
        """
        targets: dict[str, list[str]] = {}
        for old, new in self.mapping:
            targets.setdefault(new, []).append(old)
        parts = []
        for new, olds in targets.items():
            named = " and ".join(f"'{o}'" for o in olds)
            parts.append(f"{named} counted as '{new}'")
        return f"{self.column}: " + "; ".join(parts)


def parse_recode(text: str) -> tuple[tuple[str, str], ...]:
    """Read one ``--recode`` value: ``"non-binary,not stated=another or not stated"``.

    Parameters
    ----------
    text : str
        Labels to recode, separated by commas, then ``=`` and the new label. Several
        targets are separated by ``;`` (``"a,b=ab; c=d"``).

    Returns
    -------
    tuple of (str, str)
        (old label, new label) pairs.

    Raises
    ------
    FairpanelInputError
        When a part has no ``=``, no old label or no new one, or a label is given twice.

    Examples
    --------
    >>> parse_recode("non-binary,not stated=another or not stated")
    (('non-binary', 'another or not stated'), ('not stated', 'another or not stated'))
    """
    pairs: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for part in text.split(";"):
        olds, sep, new = part.partition("=")
        labels = [o.strip() for o in olds.split(",") if o.strip()]
        if not sep or not labels or not new.strip():
            raise FairpanelInputError(ERR_RECODE_SYNTAX.format(got=text))
        for label in labels:
            if label in seen:
                raise FairpanelInputError(
                    ERR_RECODE_TWICE.format(label=label, first=seen[label], second=new.strip())
                )
            seen[label] = new.strip()
            pairs.append((label, new.strip()))
    return tuple(pairs)


def recode_groups(
    frame: pd.DataFrame, column: str, mapping: Sequence[tuple[str, str]]
) -> tuple[pd.DataFrame, Recoding]:
    """Recode (pool) labels of one group column.

    Parameters
    ----------
    frame : DataFrame
        A submissions or decisions table holding ``column``.
    column : str
        The group column to recode.
    mapping : sequence of (str, str)
        (old label, new label) pairs, from :func:`parse_recode`; an old label must be a
        value of the column (a typo would otherwise pool nothing, silently).

    Returns
    -------
    frame : DataFrame
        A copy with the labels replaced.
    recoding : Recoding
        What was done, for the report.

    Raises
    ------
    FairpanelInputError
        Naming a label the column does not hold.
    """
    values = frame[column]
    present = set(values.dropna().astype("str"))
    for old, _ in mapping:
        if old not in present:
            found = ", ".join(f"'{v}'" for v in sorted(present))
            raise FairpanelInputError(
                ERR_RECODE_UNKNOWN.format(label=old, column=column, found=found)
            )
    table: Mapping[str, str] = dict(mapping)
    out = frame.copy()
    text = values.astype("str")
    out[column] = values.where(~text.isin(list(table)), text.map(table))
    return out, Recoding(column, tuple(mapping))


def near_duplicate_labels(values: pd.Series) -> list[tuple[str, ...]]:
    """Find labels that differ only in case or spacing ("Woman", "woman ", "WO MAN").

    Parameters
    ----------
    values : Series
        A group column.

    Returns
    -------
    list of tuple of str
        Each set of spellings that read the same once case and spaces are ignored,
        sorted; empty when every label is distinct.

    Examples
    --------
    >>> near_duplicate_labels(pd.Series(["woman", "Woman ", "man", "non-binary", "Non binary"]))
    [('Woman ', 'woman')]
    """
    labels = [str(v) for v in pd.unique(values.dropna().astype("str"))]
    spellings: dict[str, list[str]] = {}
    for label in labels:  # one pass over the distinct labels, a handful per column
        spellings.setdefault("".join(label.casefold().split()), []).append(label)
    return sorted(tuple(sorted(s)) for s in spellings.values() if len(s) > 1)
