"""Atomic, UTF-8 output: a temporary file beside the target, then a rename.

A reader never sees half a file, a failed command leaves nothing behind, and an input
file is never overwritten by an output.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._json import jsonable
from fairpanel.io._cells import escape_formulas

__all__ = ["guard_outputs", "write_bytes", "write_frame", "write_json", "write_text"]

ERR_OUTPUT_IS_INPUT = "the output would overwrite an input file"


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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates the file 0600; give the output the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
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


def write_frame(path: str | Path, frame: pd.DataFrame, *, raw: bool = False) -> Path:
    """Write a DataFrame as CSV (UTF-8, no index) atomically.

    Parameters
    ----------
    path : str or Path
        The file to write; parent folders are created, an existing file is replaced.
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
    table = frame if raw else escape_formulas(frame)
    return write_text(path, table.to_csv(index=False, lineterminator="\n"))


def guard_outputs(
    inputs: Iterable[str | Path | None], outputs: Iterable[str | Path | None]
) -> None:
    """Refuse to run when an output path is one of the input files.

    Paths are compared after :meth:`~pathlib.Path.resolve`, so ``./a.csv`` and a
    symbolic link to it count as the same file.

    Parameters
    ----------
    inputs : iterable of str, Path or None
        The files the command reads; ``None`` (an optional input not given) is skipped.
    outputs : iterable of str, Path or None
        The files the command would write; ``None`` is skipped.

    Raises
    ------
    FairpanelInputError
        Naming the output that would overwrite an input.
    """
    resolved = {Path(p).resolve() for p in inputs if p is not None}
    for out in outputs:
        if out is not None and Path(out).resolve() in resolved:
            raise FairpanelInputError(
                ERR_OUTPUT_IS_INPUT, file=out, hint="choose another output path"
            )
