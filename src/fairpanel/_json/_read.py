"""In: a JSON file read within the limits, and its schema stamp checked.

The typed getters over the parsed document are :mod:`fairpanel._json._node`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fairpanel._errors import FairpanelInputError
from fairpanel._json._node import Node
from fairpanel._json._write import SCHEMA_KEY
from fairpanel._limits import MAX_JSON_BYTES, MAX_JSON_DEPTH, check_depth, check_file_size

__all__ = ["ERR_SCHEMA_NAME", "ERR_SCHEMA_VERSION", "check_schema", "read_json", "within"]

ERR_SCHEMA_NAME = "this is a {got} file, not a {expected} file"
ERR_SCHEMA_VERSION = (
    "schema version {version} of {name} is newer than this fairpanel reads (1 to {supported})"
)
HINT_UPGRADE = "upgrade fairpanel to read it"
ERR_JSON_SYNTAX = "not valid JSON: {problem}"
ERR_JSON_TEXT = "the file is not UTF-8 text, so not JSON"
ERR_TOO_DEEP_JSON = "the JSON document is nested more than {limit} levels deep"
ERR_JSON_NUMBER = "not valid JSON: a number has more digits than any result holds"


def read_json(path: str | Path) -> Any:
    """Read a JSON file someone hands to fairpanel, within the size and depth limits.

    The one way a result file comes in (``report``, ``verify-draw``): a file larger than
    :data:`~fairpanel._limits.MAX_JSON_BYTES` is refused before it is read, and one
    nested deeper than :data:`~fairpanel._limits.MAX_JSON_DEPTH` (Python's decoder
    overflows its stack near 1,000) or holding an integer of thousands of digits is
    refused with one line, like a syntax error.

    Parameters
    ----------
    path : str or Path
        The file (it exists).

    Returns
    -------
    object
        The parsed document (its shape is checked by the reader of each result type).

    Raises
    ------
    FairpanelInputError
        Naming the file: too big, not UTF-8, not JSON, or too deep.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "deep.json"
    >>> _ = p.write_text("[" * 100 + "]" * 100)
    >>> read_json(p)
    Traceback (most recent call last):
    ...
    fairpanel._errors.FairpanelInputError: ...deep.json: the JSON document is nested more than 64 levels deep
    """
    check_file_size(path, MAX_JSON_BYTES, what="a result's JSON")
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise FairpanelInputError(ERR_JSON_TEXT, file=path) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problem = f"{exc.msg} at line {exc.lineno}"
        raise FairpanelInputError(ERR_JSON_SYNTAX.format(problem=problem), file=path) from None
    except RecursionError:
        raise FairpanelInputError(
            ERR_TOO_DEEP_JSON.format(limit=MAX_JSON_DEPTH), file=path
        ) from None
    except ValueError:  # an integer past Python's 4,300-digit conversion limit
        raise FairpanelInputError(ERR_JSON_NUMBER, file=path) from None
    try:
        check_depth(data, MAX_JSON_DEPTH, what="JSON document")
    except FairpanelInputError as exc:
        raise exc.with_file(path) from None
    return data


def check_schema(data: Node, kind: str, supported: int) -> int:
    """Return the layout version of a result's JSON, refusing another kind or a newer one.

    Parameters
    ----------
    data : Node
        The whole document.
    kind : str
        The kind expected (``scores``, ``audit``, ...).
    supported : int
        The newest version this fairpanel reads.

    Raises
    ------
    FairpanelInputError
        Naming ``schema.name`` or ``schema.version``.
    """
    if SCHEMA_KEY not in data.mapping():
        return 1  # written before results were stamped: the first layout
    schema = data[SCHEMA_KEY]
    name = schema["name"].text()
    if name != f"fairpanel.{kind}":
        raise FairpanelInputError(
            ERR_SCHEMA_NAME.format(got=name, expected=f"fairpanel.{kind}"),
            field=schema["name"].path,
        )
    version = schema["version"].integer()
    if not 1 <= version <= supported:
        raise FairpanelInputError(
            ERR_SCHEMA_VERSION.format(version=version, name=name, supported=supported),
            field=schema["version"].path,
            hint=HINT_UPGRADE,
        )
    return version


def within(path: str, error: FairpanelInputError) -> FairpanelInputError:
    """Return ``error`` with its field placed under ``path`` (a nested document's errors).

    Parameters
    ----------
    path : str
        Where the nested document sits (``sweep``, ``certificate``).
    error : FairpanelInputError
        The error its own reader raised, its field relative to the nested document.

    Examples
    --------
    >>> str(within("sweep", FairpanelInputError("expected text, got 1", field="rows[0].metric")))
    "field 'sweep.rows[0].metric': expected text, got 1"
    """
    inner = error.field
    field = (
        path if not inner else (f"{path}{inner}" if inner.startswith("[") else f"{path}.{inner}")
    )
    return FairpanelInputError(
        error.message,
        file=error.file,
        row=error.row,
        column=error.column,
        field=field or None,
        hint=error.hint,
    )
