"""Excel workbooks committees exchange: one sheet per table, text kept as text.

A secretary opens outputs in Excel. Two things go wrong with a CSV there: a header row
scrolls away, and a cell such as ``=HYPERLINK(…)`` or ``+41 44 …`` typed into an id is
read as a formula. A workbook written here freezes each sheet's header and stores every
text cell with the string type, so Excel shows it and never evaluates it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["EXCEL_SUFFIX", "sheet_name", "workbook_bytes"]

EXCEL_SUFFIX = ".xlsx"
#: Excel's limit on a sheet name, and the characters it refuses in one.
MAX_SHEET_NAME = 31
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_name(name: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    r"""Return a sheet name Excel accepts: no ``[]:*?/\``, at most 31 characters, unique.

    Parameters
    ----------
    name : str
        The table's name (a file stem, a section).
    taken : set of str, optional
        Names already used in the workbook (compared without regard to case, as Excel
        does).

    Returns
    -------
    str

    Examples
    --------
    >>> sheet_name("scores: panel A/B")
    'scores_ panel A_B'
    >>> sheet_name("scores", {"scores"})
    'scores (2)'
    """
    base = _BAD_SHEET_CHARS.sub("_", name).strip("'") or "table"
    base = base[:MAX_SHEET_NAME]
    lowered = {t.casefold() for t in taken}
    candidate, n = base, 1
    while candidate.casefold() in lowered:
        n += 1
        suffix = f" ({n})"
        candidate = base[: MAX_SHEET_NAME - len(suffix)] + suffix
    return candidate


def workbook_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """Render tables as an .xlsx workbook, one sheet each, header frozen, text as text.

    Parameters
    ----------
    sheets : mapping of str to DataFrame
        Sheet name → table, in the order the sheets appear; names are made valid with
        :func:`sheet_name`.

    Returns
    -------
    bytes
        The workbook; write it with :func:`fairpanel.io.write_bytes`.

    Notes
    -----
    Numbers and booleans are stored as such, missing values as empty cells; every other
    value is stored as a string cell (type ``s``), so a leading ``=``, ``+``, ``-`` or
    ``@`` is shown, not evaluated (OWASP, "CSV Injection": spreadsheet applications
    evaluate such cells as formulas unless they are typed as text).

    Examples
    --------
    >>> from openpyxl import load_workbook
    >>> data = workbook_bytes({"ids": pd.DataFrame({"id": ["=1+1"], "n": [2]})})
    >>> sheet = load_workbook(io.BytesIO(data))["ids"]
    >>> sheet["A2"].value, sheet["A2"].data_type, sheet.freeze_panes
    ('=1+1', 's', 'A2')
    """
    from openpyxl import Workbook  # a dependency, but only the Excel path needs it

    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for name, frame in sheets.items():
        title = sheet_name(str(name), taken)
        taken.add(title)
        sheet = book.create_sheet(title)
        sheet.append([str(c) for c in frame.columns])
        columns = [_cells(frame[c]) for c in frame.columns]
        for r, row in enumerate(zip(*columns, strict=True), start=2):
            for c, (value, is_text) in enumerate(row, start=1):
                if value is None:
                    continue
                cell = sheet.cell(row=r, column=c, value=value)
                if is_text:
                    # Assigning a str that starts with "=" makes openpyxl store a formula;
                    # the type is set back to string so Excel shows the text.
                    cell.data_type = "s"
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cells(values: pd.Series) -> list[tuple[object, bool]]:
    """Each cell's value as openpyxl stores it, and whether it is text."""
    if pd.api.types.is_bool_dtype(values):
        return [(None if pd.isna(v) else bool(v), False) for v in values]
    if pd.api.types.is_numeric_dtype(values):
        floats = values.to_numpy(dtype=float, na_value=np.nan)
        integral = pd.api.types.is_integer_dtype(values)
        return [
            (None if np.isnan(v) else (int(v) if integral else float(v)), False) for v in floats
        ]
    return [(None if _missing(v) else str(v), True) for v in values]


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):  # a list or array in a cell is not "missing"
        return False
