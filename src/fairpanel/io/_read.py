"""Reading a committee's tables from CSV/TSV, Excel (.xlsx) and Parquet with clear errors.

Cells are read as text by default, exactly as the committee typed them: an id such as
``007`` keeps its leading zeros, and the loaders parse numbers themselves so that a
non-numeric score is reported with its row and column instead of silently becoming NaN.

Row numbers are the ones a spreadsheet shows (header = row 1). Blank lines are dropped,
but each remaining row keeps its position in the file as its index, so the row reported
in an error is still the row the committee sees.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._extras import needs_extra
from fairpanel._limits import (
    ERR_TOO_MANY,
    MAX_TABLE_BYTES,
    MAX_TABLE_ROWS,
    MAX_XLSX_UNPACKED_BYTES,
    check_file_size,
    check_table_memory,
    human_bytes,
)
from fairpanel.io._cells import unescape_formulas
from fairpanel.io._decode import decode

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Table",
    "cells_as_text",
    "frame_as_text",
    "read_raw",
    "read_table",
]

SUPPORTED_SUFFIXES: Final[tuple[str, ...]] = (".csv", ".tsv", ".txt", ".xlsx", ".parquet")

ERR_NO_FILE = "no such file"
ERR_UNREADABLE = "cannot read the file ({problem})"
ERR_SUFFIX = "unsupported file type '{suffix}'"
ERR_EMPTY_FILE = "the file is empty"
ERR_CSV = "cannot parse the file as {kind}: {problem}"
ERR_XLSX = "not a readable Excel .xlsx file ({problem})"
ERR_XLSX_UNPACKED = (
    "the Excel workbook unpacks to {size}, more than the {limit} fairpanel reads"
    " (a damaged or hostile file)"
)
ERR_PARQUET = "not a readable Parquet file ({problem})"
ERR_DUPLICATE_HEADER = "column name '{column}' appears twice in the header"
ERR_EMPTY_HEADER = "the header has an empty column name (column {position})"

HINT_SUFFIX = "save it as one of: {supported}"
HINT_HEADER = "give every column a distinct name in the first row"


@dataclass(frozen=True)
class Table:
    """A table as read from a file, with what the loaders need to report errors.

    ``frame`` holds the cells (text unless converted); its index is each row's 0-based
    position below the header, so the spreadsheet row is ``index + 2``. ``decimal`` is
    the decimal mark to use when parsing numbers (``","`` for semicolon-separated CSV
    written by European spreadsheets).
    """

    frame: pd.DataFrame
    source: str
    decimal: str = "."


def read_table(
    path: str | Path,
    *,
    encoding: str = "utf-8",
    text_columns: Collection[str] | None = None,
) -> pd.DataFrame:
    """Read a CSV/TSV, Excel (.xlsx) or Parquet table.

    Parameters
    ----------
    path : str or Path
        The file. CSV separators (comma, semicolon or tab) are recognised from the
        header line; ``.tsv`` is tab-separated. Excel files are read from their first
        sheet, with the header in row 1.
    encoding : str, default "utf-8"
        Text encoding of CSV/TSV files (a UTF-8 byte-order mark is accepted).
    text_columns : collection of str, optional
        Columns to keep as text exactly as written (ids: ``007`` keeps its zeros).
        ``None`` (the default) keeps *every* column as text; otherwise each other column
        becomes numeric when all its non-empty cells are numbers.

    Returns
    -------
    DataFrame
        One row per non-blank data row. The index is each row's position below the
        header, so the spreadsheet row of index ``i`` is ``i + 2``. Empty cells are
        missing values; text cells have surrounding spaces removed.

    Raises
    ------
    FairpanelInputError
        If the file is missing, empty, of an unsupported type, not valid text in
        ``encoding`` (the message says which encoding it looks like and names the
        ``--encoding`` option), or has a malformed header.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_text(chr(10).join(["submission_id;hours", "007;2,5", ""]))
    >>> read_table(path, text_columns=["submission_id"])
      submission_id  hours
    0           007    2.5
    """
    table = read_raw(path, encoding=encoding)
    frame = table.frame
    if text_columns is None:
        return frame
    keep = set(text_columns)
    for col in frame.columns:
        if col not in keep:
            frame[col] = maybe_numeric(frame[col], table.decimal)
    return frame


def read_raw(path: str | Path, *, encoding: str = "utf-8") -> Table:
    """Read a table with every cell as text; used by the loaders (see :func:`read_table`)."""
    path = Path(path)
    source = str(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise FairpanelInputError(
            ERR_SUFFIX.format(suffix=path.suffix or "(none)"),
            file=source,
            hint=HINT_SUFFIX.format(supported=", ".join(SUPPORTED_SUFFIXES)),
        )
    if not path.is_file():
        raise FairpanelInputError(ERR_NO_FILE, file=source, hint="check the path")
    # Refuse what will not fit before reading any of it (a sparse 2 GB file once grew
    # to 22 GB of memory): the size against the limit and against free memory.
    size = check_file_size(path, MAX_TABLE_BYTES, what="a table")
    check_table_memory(source, size)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FairpanelInputError(
            ERR_UNREADABLE.format(problem=exc.strerror), file=source
        ) from None
    if not data.strip():
        raise FairpanelInputError(
            ERR_EMPTY_FILE, file=source, hint="export the table again with its header row"
        )
    rows = data.count(b"\n")
    if rows > MAX_TABLE_ROWS:
        raise FairpanelInputError(
            ERR_TOO_MANY.format(what="rows", count=f"{rows:,}", limit=f"{MAX_TABLE_ROWS:,}"),
            file=source,
            hint="split the table",
        )
    decimal = "."
    if suffix == ".xlsx":
        frame = _read_xlsx(data, source)
    elif suffix == ".parquet":
        frame = _read_parquet(data, source)
    else:
        text = decode(data, encoding, source)
        if not text.strip():
            raise FairpanelInputError(
                ERR_EMPTY_FILE, file=source, hint="export the table again with its header row"
            )
        sep = "\t" if suffix == ".tsv" else _sniff_separator(text)
        # Spreadsheets that write ';' as the separator write ',' as the decimal mark.
        decimal = "," if sep == ";" else "."
        frame = _read_delimited(text, sep, source)
    return Table(_tidy(frame, source), source, decimal)


# ------------------------------------------------------------------------- parsing
def _sniff_separator(text: str) -> str:
    """Pick the separator from the header line: the most frequent of , ; and tab."""
    header = text.lstrip("\ufeff").splitlines()[0] if text else ""
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > 0 else ","


def _read_delimited(text: str, sep: str, source: str) -> pd.DataFrame:
    kind = {",": "comma-separated values", ";": "semicolon-separated values"}.get(
        sep, "tab-separated values"
    )
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
        )
    except pd.errors.ParserError as exc:
        problem = " ".join(str(exc).split())
        raise FairpanelInputError(
            ERR_CSV.format(kind=kind, problem=problem),
            file=source,
            hint="check for an unclosed quote or a row with extra separators",
        ) from None
    except pd.errors.EmptyDataError:
        raise FairpanelInputError(ERR_EMPTY_FILE, file=source) from None


def _check_unpacked(data: bytes, source: str) -> None:
    """Refuse a workbook whose zip directory declares more than the limit unpacked.

    The declared sizes are what the parts inflate to (the zip reader stops at the
    declared size), so a zip bomb is refused before a byte of it is inflated.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        size = sum(info.file_size for info in archive.infolist())
    if size > MAX_XLSX_UNPACKED_BYTES:
        raise FairpanelInputError(
            ERR_XLSX_UNPACKED.format(
                size=human_bytes(size), limit=human_bytes(MAX_XLSX_UNPACKED_BYTES)
            ),
            file=source,
            hint="open it in a spreadsheet program and save it as .xlsx or .csv again",
        )


def _read_xlsx(data: bytes, source: str) -> pd.DataFrame:
    try:
        _check_unpacked(data, source)
    except zipfile.BadZipFile as exc:
        raise FairpanelInputError(
            ERR_XLSX.format(problem=" ".join(str(exc).split())),
            file=source,
            hint="open it in a spreadsheet program and save it as .xlsx again",
        ) from None
    try:
        return pd.read_excel(io.BytesIO(data), sheet_name=0, dtype=str, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        problem = " ".join(str(exc).split()) or type(exc).__name__
        raise FairpanelInputError(
            ERR_XLSX.format(problem=problem),
            file=source,
            hint="open it in a spreadsheet program and save it as .xlsx again",
        ) from None


def _read_parquet(data: bytes, source: str) -> pd.DataFrame:
    # pyarrow is the ``parquet`` extra: CSV and Excel users need not install it.
    with needs_extra("parquet", purpose="reading .parquet", file=source):
        import pyarrow as pa

    try:
        frame = pd.read_parquet(io.BytesIO(data), engine="pyarrow")
    except (pa.ArrowException, OSError, ValueError) as exc:
        problem = " ".join(str(exc).split()) or type(exc).__name__
        raise FairpanelInputError(ERR_PARQUET.format(problem=problem), file=source) from None
    # The same contract as CSV: every cell as text.
    return frame_as_text(frame)


def frame_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a typed frame's cells as text, by position (row ``i`` is data row ``i``)."""
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for i, col in enumerate(frame.columns):
        out[str(col)] = cells_as_text(frame.iloc[:, i].reset_index(drop=True))
    return out


def cells_as_text(values: pd.Series) -> pd.Series:
    """Typed cells as text; empty cells missing, whole floats without '.0'.

    An integer id column that held a missing value was stored as float (101 → 101.0);
    writing it back as ``101`` keeps the id the committee typed.
    """
    if pd.api.types.is_float_dtype(values.dtype):
        arr = values.to_numpy(dtype=float, na_value=np.nan)
        present = arr[~np.isnan(arr)]
        if (
            present.size
            and np.isfinite(present).all()
            and (present == np.round(present)).all()
            and np.abs(present).max() < 2**53
        ):
            values = values.astype("Int64")
    text = values.astype(str).str.strip().where(values.notna())
    return text.mask(text == "").astype("str")


def _tidy(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Check the header, strip spaces around text, drop blank rows (keeping positions)."""
    columns = [str(c) for c in frame.columns]
    unnamed = [name.startswith("Unnamed: ") or not name.strip() for name in columns]
    # Spreadsheets often export trailing separators or formatted-but-empty columns: a
    # column with neither a name nor any value is dropped; one with values is an error.
    empty = (
        frame.isna().all(axis=0).to_numpy() | (frame.astype("str") == "").all(axis=0).to_numpy()
    )
    for position, (no_name, no_value) in enumerate(zip(unnamed, empty, strict=True), start=1):
        if no_name and not no_value:
            raise FairpanelInputError(
                ERR_EMPTY_HEADER.format(position=position), file=source, hint=HINT_HEADER
            )
    keep = [not (no_name and no_value) for no_name, no_value in zip(unnamed, empty, strict=True)]
    frame = frame.loc[:, keep]
    columns = [c for c, k in zip(columns, keep, strict=True) if k]
    stripped = [c.strip() for c in columns]
    # pandas renames a repeated header 'x' to 'x.1'; report the name the user wrote.
    seen: set[str] = set()
    for name in stripped:
        base = name.rsplit(".", 1)[0] if name.rsplit(".", 1)[-1].isdigit() else name
        if name != base and base in seen:
            raise FairpanelInputError(
                ERR_DUPLICATE_HEADER.format(column=base), file=source, hint=HINT_HEADER
            )
        seen.add(name)
    # Names that differ only by surrounding spaces ("score" and " score") are one name.
    repeated = pd.Index(stripped)[pd.Index(stripped).duplicated()]
    if len(repeated):
        raise FairpanelInputError(
            ERR_DUPLICATE_HEADER.format(column=repeated[0]), file=source, hint=HINT_HEADER
        )
    frame = frame.set_axis(stripped, axis=1)
    frame = frame.set_axis(pd.RangeIndex(len(frame)), axis=0)
    for col in frame.columns:
        # The apostrophe fairpanel's writer put before a formula-like cell goes first,
        # so the cell reads back as it was before writing (spaces then stripped).
        text = unescape_formulas(frame[col].astype("str")).str.strip()
        frame[col] = text.mask(text == "")
    return frame.loc[frame.notna().any(axis=1)]


def maybe_numeric(values: pd.Series, decimal: str) -> pd.Series:
    """Convert a text column to numbers when every non-empty cell is a number."""
    numbers = to_number(values, decimal)
    if bool((numbers.notna() | values.isna()).all()) and values.notna().any():
        return numbers
    return values.astype("str")


def to_number(values: pd.Series, decimal: str = ".") -> pd.Series:
    """Parse text cells as finite numbers; anything else (or empty) becomes NaN."""
    text = values.astype("str")
    if decimal != ".":
        text = text.str.replace(decimal, ".", regex=False)
    numbers = pd.to_numeric(text, errors="coerce").astype(float)
    return numbers.where(np.isfinite(numbers.to_numpy()))
