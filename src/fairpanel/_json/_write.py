"""Out: result data as plain JSON values, and the schema stamp every result's JSON carries."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ERR_KEY", "ERR_NOT_JSON", "SCHEMA_KEY", "jsonable", "records", "stamp"]

#: The top-level key of every result's JSON: ``{"name": "fairpanel.<kind>", "version": N}``.
SCHEMA_KEY: Final = "schema"

ERR_NOT_JSON = "{kind} has no JSON form"
ERR_KEY = "a JSON object key must be text or a number, got {key!r}"


def _missing(value: object) -> bool:
    # pandas' NA and NaT, duck-typed so that this module needs no pandas.
    return type(value).__name__ in ("NAType", "NaTType")


def _key(key: object) -> str:
    if isinstance(key, str):
        return key
    plain = jsonable(key)
    if isinstance(plain, bool | int | float):
        return str(plain)
    raise TypeError(ERR_KEY.format(key=key))


def jsonable(value: Any, *, default: Callable[[Any], Any] | None = None) -> Any:
    """Return ``value`` as plain JSON data: dicts, lists, text, numbers, booleans, None.

    Mappings and sequences are converted all the way down; numpy scalars become Python
    numbers, arrays and Series lists; NaN, infinities and pandas' missing values
    become None; dates their ISO text. Object keys become text (a tuple key is refused:
    JSON has none).

    Parameters
    ----------
    value : object
        What to convert.
    default : callable, optional
        Called on any other object; its return value is converted in turn. Without it
        such an object raises ``TypeError``.

    Examples
    --------
    >>> jsonable({"a": (1, float("nan")), 2: [True, None]})
    {'a': [1, None], '2': [True, None]}
    """
    if value is None or isinstance(value, str | bool):
        return value if not isinstance(value, str) else str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {_key(k): jsonable(v, default=default) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v, default=default) for v in value]
    if _missing(value):
        return None
    if getattr(value, "ndim", None) == 0 and callable(getattr(value, "item", None)):
        return jsonable(value.item(), default=default)  # a numpy scalar
    if callable(getattr(value, "tolist", None)):
        return jsonable(value.tolist(), default=default)  # an array or a Series
    if callable(getattr(value, "isoformat", None)):
        return value.isoformat()
    if default is not None:
        return jsonable(default(value))
    raise TypeError(ERR_NOT_JSON.format(kind=type(value).__name__))


def records(frame: pd.DataFrame, *, drop: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Return the rows of ``frame`` as JSON-ready dicts, without the ``drop`` columns.

    Parameters
    ----------
    frame : DataFrame
        The table.
    drop : iterable of str
        Columns left out (the attribute a nested JSON section is already keyed by).
    """
    skip = set(drop)
    cols = [c for c in frame.columns if c not in skip]
    return [
        {str(c): jsonable(v) for c, v in zip(cols, row, strict=True)}
        for row in frame[cols].itertuples(index=False, name=None)
    ]


def stamp(kind: str, version: int) -> dict[str, Any]:
    """Return the schema stamp of a result's JSON: ``{"name": "fairpanel.<kind>", ...}``.

    Parameters
    ----------
    kind : str
        The result's kind (``scores``, ``audit``, ...).
    version : int
        The layout's version; 1 is the layout of files written without a stamp.

    Examples
    --------
    >>> stamp("audit", 1)
    {'name': 'fairpanel.audit', 'version': 1}
    """
    return {"name": f"fairpanel.{kind}", "version": int(version)}
