"""Cells a spreadsheet will not run: the CSV-injection rule, both ways.

A committee secretary opens fairpanel's CSV files in Excel or LibreOffice. A text cell
that starts with ``=``, ``+``, ``-`` or ``@`` is read there as a formula: an applicant id
such as ``=HYPERLINK("http://…","click")`` becomes a live link, ``+cmd|' /C calc'!A0``
once ran a program through DDE, and ``@SUM(…)`` is evaluated. A leading tab or carriage
return hides the same payload from a quick look. OWASP's advice is to write such a cell
with a leading apostrophe, which spreadsheets take as "this is text" and do not show:

    OWASP, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection
    ("prepend each cell field that starts with =, +, -, @, Tab (0x09), Carriage
    return (0x0D) with a single quote").

Only *text* cells are escaped: a numeric column's ``-0.5`` is a number to every
spreadsheet and stays as written. fairpanel's own readers remove exactly the apostrophe
this rule adds (an apostrophe followed by one of those characters), so ids round-trip:
``=cmd`` is written ``'=cmd`` and read back as ``=cmd``. ``--raw-csv`` on the commands
that write CSV turns the escaping off for pipelines that want the bytes as they are.
"""

from __future__ import annotations

from typing import Final

import pandas as pd

__all__ = ["FORMULA_STARTS", "escape_formulas", "unescape_formulas"]

#: The first characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
#: The character put in front: spreadsheets read it as "text follows" and hide it.
_QUOTE: Final = "'"
_ESCAPED: Final = tuple(_QUOTE + c for c in FORMULA_STARTS)


def _is_text(column: pd.Series) -> bool:
    return bool(
        pd.api.types.is_object_dtype(column.dtype) or pd.api.types.is_string_dtype(column.dtype)
    )


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with every text cell a spreadsheet would run written as text.

    Parameters
    ----------
    frame : DataFrame
        The table to be written. Numeric, boolean and date columns are left alone; in a
        text column, a string starting with ``=``, ``+``, ``-``, ``@``, a tab or a
        carriage return gets a leading apostrophe. Other values (numbers in a mixed
        column, missing values) are kept.

    Returns
    -------
    DataFrame
        A new frame when something was escaped; ``frame`` itself otherwise.

    Examples
    --------
    >>> t = pd.DataFrame({"submission_id": ["=HYPERLINK(1)", "P2"], "score": [-1.5, 2.0]})
    >>> escape_formulas(t).to_dict("list")
    {'submission_id': ["'=HYPERLINK(1)", 'P2'], 'score': [-1.5, 2.0]}
    """
    out = frame
    for i in range(frame.shape[1]):  # by position: a header may repeat
        column = frame.iloc[:, i]
        if not _is_text(column):
            continue
        text = column.where(column.map(lambda v: isinstance(v, str)))
        risky = text.str.startswith(FORMULA_STARTS, na=False).to_numpy(dtype=bool)
        if risky.any():
            if out is frame:
                out = frame.copy()
            values = column.to_numpy(dtype=object, copy=True)
            values[risky] = _QUOTE + text[risky].to_numpy(dtype=object)
            out.isetitem(i, values)
    return out


def unescape_formulas(column: pd.Series) -> pd.Series:
    """Remove the apostrophe :func:`escape_formulas` adds, and only that one.

    Parameters
    ----------
    column : Series
        Text cells as read from a CSV (missing values allowed).

    Returns
    -------
    Series
        The cells with a leading ``'`` removed where a formula character follows it;
        every other cell unchanged.

    Examples
    --------
    >>> unescape_formulas(pd.Series(["'=1+1", "'-3", "O'Brien", "'quoted'"])).tolist()
    ['=1+1', '-3', "O'Brien", "'quoted'"]
    """
    escaped = column.str.startswith(_ESCAPED, na=False)
    if not bool(escaped.any()):
        return column
    return column.mask(escaped, column.str.slice(1))
