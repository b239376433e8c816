"""Atomic, UTF-8 output: a temporary file beside the target, then a rename.

A reader never sees half a file, a failed command leaves nothing behind, and an input
file is never overwritten by an output.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._json import jsonable
from fairpanel.io._cells import escape_formulas
from fairpanel.io._excel import EXCEL_SUFFIX, workbook_bytes

ERR_FOLDER_IN_THE_WAY = "cannot create the folder '{folder}' (a file of that name is in the way)"

__all__ = [
    "ERR_OUTPUT_NOT_REGULAR",
    "ERR_OUTPUT_UNWRITABLE",
    "HINT_REGULAR",
    "check_output_target",
    "fill_temporary",
    "folder_in_the_way",
    "frame_bytes",
    "write_bytes",
    "write_frame",
    "write_json",
    "write_text",
]


ERR_OUTPUT_NOT_REGULAR = "the output is a {kind}, not a regular file"
ERR_OUTPUT_UNWRITABLE = "cannot write the output: {problem}"
HINT_REGULAR = "give the path of a regular file (fairpanel never writes to devices or links)"


def _kind(mode: int) -> str | None:
    """Name what a path is when it is not a regular file (None: a regular file)."""
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISFIFO(mode):
        return "FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "socket"
    return None


def check_output_target(path: str | Path) -> None:
    """Refuse an output path that exists and is not a regular file.

    Parameters
    ----------
    path : str or Path
        The file to be written: a new path or a regular file (not followed if a link).

    Raises
    ------
    FairpanelInputError
        Naming the path and what it is (device, FIFO, symbolic link, directory, socket).

    Examples
    --------
    >>> check_output_target("/dev/null")
    Traceback (most recent call last):
    ...
    fairpanel._errors.FairpanelInputError: /dev/null: the output is a device, not a regular \
file; give the path of a regular file (fairpanel never writes to devices or links)
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except NotADirectoryError:
        raise folder_in_the_way(path) from None
    except OSError as exc:
        raise FairpanelInputError(
            ERR_OUTPUT_UNWRITABLE.format(problem=exc.strerror), file=path
        ) from None
    kind = _kind(mode)
    if kind is not None:
        raise FairpanelInputError(
            ERR_OUTPUT_NOT_REGULAR.format(kind=kind), file=path, hint=HINT_REGULAR
        )


def folder_in_the_way(path: str | Path) -> FairpanelInputError:
    """Return the error for an output whose folder would be where a file is.

    Parameters
    ----------
    path : str or Path
        The output (``rubric.yaml/card.md`` when ``rubric.yaml`` is a file).

    Returns
    -------
    FairpanelInputError
        Naming the first folder of the path that exists as a file.
    """
    target = Path(path)
    blocking = target.parent
    for folder in reversed(target.parents):  # from the root down: the first non-folder
        if folder.exists() and not folder.is_dir():
            blocking = folder
            break
    return FairpanelInputError(ERR_FOLDER_IN_THE_WAY.format(folder=blocking))


def fill_temporary(fd: int, tmp: str | Path, data: bytes) -> None:
    """Write ``data`` into a temporary file from :func:`tempfile.mkstemp`, to the disk.

    ``mkstemp`` creates the file 0600; it gets the mode a plain ``open()`` would give
    (``0o666`` less the umask), the bytes, a flush and an ``fsync``, and ``fd`` is closed.

    Parameters
    ----------
    fd : int
        The open descriptor ``mkstemp`` returned.
    tmp : str or Path
        Its path.
    data : bytes
        The complete content.
    """
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically, creating parent folders.

    The bytes go to a temporary file in the target's folder, are flushed to disk, and
    the file is then renamed over ``path``; on any error the temporary file is removed
    and ``path`` is left as it was. The new file gets the mode a plain ``open()`` would
    give it (``0o666`` less the umask).

    Parameters
    ----------
    path : str or Path
        The file to write; an existing file is replaced.
    data : bytes
        The complete content.

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.

    Examples
    --------
    >>> import tempfile
    >>> out = write_bytes(Path(tempfile.mkdtemp()) / "new" / "model.bin", b"fairpanel")
    >>> out.read_bytes()
    b'fairpanel'
    """
    path = Path(path)
    # A device, FIFO or link would be replaced by a regular file: refuse it instead.
    check_output_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        fill_temporary(fd, tmp, data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically (see :func:`write_bytes`).

    Parameters
    ----------
    path : str or Path
        The file to write; parent folders are created, an existing file is replaced.
    text : str
        The complete content, encoded as UTF-8 without a byte-order mark; line
        endings are written as given.

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.
    """
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, payload: Any) -> Path:
    """Write ``payload`` as indented UTF-8 JSON atomically (NaN becomes ``null``).

    Parameters
    ----------
    path : str or Path
        The file to write; parent folders are created, an existing file is replaced.
    payload : object
        Plain data: dicts, lists, tuples, text, numbers, bools and None; numpy and
        pandas values are converted by :func:`fairpanel._json.jsonable`, and a NaN or
        infinity becomes ``null`` (the file is strict JSON). Text is kept as UTF-8.

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.

    Examples
    --------
    >>> import tempfile
    >>> out = write_json(Path(tempfile.mkdtemp()) / "r.json", {"rate": float("nan")})
    >>> print(out.read_text(encoding="utf-8"), end="")
    {
      "rate": null
    }
    """
    text = json.dumps(jsonable(payload), indent=2, ensure_ascii=False, allow_nan=False)
    return write_text(path, text + "\n")


def frame_bytes(
    frame: pd.DataFrame, *, suffix: str = ".csv", raw: bool = False, sheet: str = "table"
) -> bytes:
    """Render a table as the file it is written to: CSV, or Excel for ``.xlsx``.

    Parameters
    ----------
    frame : DataFrame
        The table.
    suffix : str, default ".csv"
        The target's suffix: ``.xlsx`` gives a one-sheet workbook (header frozen, text
        typed as text), anything else UTF-8 CSV without an index, Unix line endings.
    raw : bool, default False
        CSV only: write text cells as they are. By default a text cell that a
        spreadsheet would run as a formula gets a leading apostrophe
        (:func:`fairpanel.io._cells.escape_formulas`); a workbook needs no escaping.
    sheet : str, default "table"
        The workbook's sheet name (the file's stem, by :func:`write_frame`).

    Returns
    -------
    bytes
    """
    if suffix.lower() == EXCEL_SUFFIX:
        return workbook_bytes({sheet: frame})
    table = frame if raw else escape_formulas(frame)
    return table.to_csv(index=False, lineterminator="\n").encode("utf-8")


def write_frame(path: str | Path, frame: pd.DataFrame, *, raw: bool = False) -> Path:
    """Write a DataFrame as CSV (UTF-8, no index), or as Excel for ``.xlsx``, atomically.

    Parameters
    ----------
    path : str or Path
        The file to write; parent folders are created, an existing file is replaced.
        A name ending in ``.xlsx`` gets a workbook of one sheet (named after the file),
        its header frozen and text cells stored as text
        (:func:`fairpanel.io._excel.workbook_bytes`).
    frame : DataFrame
        The table; its columns are written in order under a header line, with Unix
        line endings; missing values are empty cells.
    raw : bool, default False
        Write text cells exactly as they are. By default a text cell a spreadsheet
        would run as a formula (``=…``, ``+…``, ``-…``, ``@…``) gets a leading
        apostrophe (:func:`fairpanel.io._cells.escape_formulas`), which fairpanel's
        readers remove again.

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.
    """
    path = Path(path)
    return write_bytes(path, frame_bytes(frame, suffix=path.suffix, raw=raw, sheet=path.stem))
