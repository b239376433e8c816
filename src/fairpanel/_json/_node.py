"""Typed getters over a parsed JSON document, whose errors name the bad value's path.

:class:`Node` wraps one value and where it is (``scores[3].expected_rank``); its getters
refuse a value of the wrong type with one line naming that path. :func:`table` turns
records checked by :meth:`Node.records` back into a frame. Reading the file and its
schema stamp is :mod:`fairpanel._json._read`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, TypeGuard

from fairpanel._errors import FairpanelInputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ERR_MISSING", "ERR_TYPE", "Kind", "Node", "table"]

ERR_MISSING = "required but missing"
ERR_TYPE = "expected {expected}, got {got}"

#: How a record's column is checked: ``id`` is non-empty text; the others may be null.
Kind = Literal["id", "text", "number", "integer", "bool"]

_EXPECTED: Final[Mapping[str, str]] = {
    "id": "non-empty text",
    "text": "text or null",
    "number": "a number or null",
    "integer": "a whole number or null",
    "bool": "true, false or null",
}


def _show(value: object) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


_SCALARS = (str, int, float, bool, type(None))


class Node:
    """One value of a parsed JSON document, and where it is (``scores[3].expected_rank``).

    Getters check the JSON type and raise :class:`~fairpanel.FairpanelInputError` with
    ``field`` set to the path; ``node["key"]`` requires the key, ``node.get("key")`` gives
    a null node when it is absent.

    Parameters
    ----------
    value : object
        The parsed JSON value.
    path : str
        Its path from the document's root ("" for the root).

    Examples
    --------
    >>> doc = Node({"scores": [{"rank": 1}, {"rank": "two"}]})
    >>> [row["rank"].number() for row in doc["scores"].elements()[:1]]
    [1.0]
    >>> doc["scores"].elements()[1]["rank"].number()
    Traceback (most recent call last):
    ...
    fairpanel._errors.FairpanelInputError: field 'scores[1].rank': expected a number, got 'two'
    """

    __slots__ = ("path", "value")

    def __init__(self, value: object, path: str = "") -> None:
        self.value = value
        self.path = path

    def _fail(self, expected: str) -> FairpanelInputError:
        return FairpanelInputError(
            ERR_TYPE.format(expected=expected, got=_show(self.value)), field=self.path or None
        )

    # -------------------------------------------------------------- structure
    def mapping(self) -> Mapping[str, Any]:
        """Return the value as a JSON object."""
        if not isinstance(self.value, Mapping):
            raise self._fail("a JSON object")
        return self.value

    def __getitem__(self, key: str) -> Node:
        """Return the member ``key``, which must be present."""
        data = self.mapping()
        if key not in data:
            raise FairpanelInputError(ERR_MISSING, field=_join(self.path, key))
        return Node(data[key], _join(self.path, key))

    def get(self, key: str) -> Node:
        """Return the member ``key``, or a null node when it is absent."""
        return Node(self.mapping().get(key), _join(self.path, key))

    @property
    def is_null(self) -> bool:
        """Whether the value is JSON null (or an absent optional member)."""
        return self.value is None

    def members(self) -> list[tuple[str, Node]]:
        """Return the members of a JSON object, in order, as (key, node) pairs."""
        return [(str(k), Node(v, _join(self.path, str(k)))) for k, v in self.mapping().items()]

    def elements(self) -> list[Node]:
        """Return the elements of a JSON list, each with its index in its path."""
        if not isinstance(self.value, list):
            raise self._fail("a list")
        return [Node(v, _join(self.path, i)) for i, v in enumerate(self.value)]

    # ---------------------------------------------------------------- scalars
    def text(self) -> str:
        """Return the value as text."""
        if not isinstance(self.value, str):
            raise self._fail("text")
        return self.value

    def text_or_none(self) -> str | None:
        """Return the value as text, or None for null."""
        return None if self.value is None else self.text()

    def integer(self) -> int:
        """Return the value as a whole number (``true`` is not one)."""
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self._fail("a whole number")
        return self.value

    def number(self) -> float:
        """Return the value as a number (``true`` is not one; null is refused)."""
        if not _is_number(self.value):
            raise self._fail("a number")
        return float(self.value)

    def number_or_nan(self) -> float:
        """Return the value as a number; null (how NaN is written) becomes NaN."""
        return math.nan if self.value is None else self.number()

    def number_or_none(self) -> float | None:
        """Return the value as a number, or None for null."""
        return None if self.value is None else self.number()

    def boolean(self) -> bool:
        """Return the value as true or false."""
        if not isinstance(self.value, bool):
            raise self._fail("true or false")
        return self.value

    def texts(self) -> list[str]:
        """Return a list of text."""
        return [e.text() for e in self.elements()]

    def seed(self) -> int | str | None:
        """Return a seed as written: a whole number, text, or null."""
        if self.value is None or isinstance(self.value, str):
            return self.value
        return self.integer()

    def plain(self) -> Any:
        """Return the value after checking that it holds only JSON data."""
        if isinstance(self.value, Mapping):
            return {k: node.plain() for k, node in self.members()}
        if isinstance(self.value, list):
            return [e.plain() for e in self.elements()]
        if not isinstance(self.value, _SCALARS):
            raise self._fail("JSON data")
        return self.value

    def records(
        self, kinds: Mapping[str, Kind] | None = None, *, required: Sequence[str] = ()
    ) -> list[dict[str, Any]]:
        """Return a list of records (one JSON object per table row), checked.

        Parameters
        ----------
        kinds : mapping of str to kind, optional
            The kind of the columns that have one (``id``, ``text``, ``number``,
            ``integer``, ``bool``); every other value must be a JSON scalar.
        required : sequence of str
            Columns every record must have.
        """
        kinds = kinds or {}
        out = []
        for row in self.elements():
            record = row.mapping()
            for column in required:
                if column not in record:
                    raise FairpanelInputError(ERR_MISSING, field=_join(row.path, column))
            for column, value in record.items():
                cell = Node(value, _join(row.path, str(column)))
                kind = kinds.get(column)
                if kind is None:
                    if not isinstance(value, _SCALARS):
                        raise cell._fail("a JSON scalar")
                elif not _fits(value, kind):
                    raise cell._fail(_EXPECTED[kind])
            out.append(dict(record))
        return out


def _fits(value: object, kind: Kind) -> bool:
    if kind == "id":
        return isinstance(value, str) and value != ""
    if value is None:
        return True
    if kind == "text":
        return isinstance(value, str)
    if kind == "number":
        return _is_number(value)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, bool)


def _infer(values: list[Any]) -> Kind | None:
    present = [v for v in values if v is not None]
    if not present:
        return None
    if all(isinstance(v, bool) for v in present):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "integer"
    if all(_is_number(v) for v in present):
        return "number"
    return None


def table(
    rows: Sequence[Mapping[str, Any]],
    *,
    kinds: Mapping[str, Kind] | None = None,
    columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Return checked records (see :meth:`Node.records`) as a frame.

    Columns keep the records' order; ``columns`` absent from every record are added
    (missing), so an empty list still gives the table's columns. Numbers become
    ``float64`` (null as NaN), whole numbers the nullable ``Int64``, booleans ``bool``
    (``boolean`` when one is null), text ``object``; a column without a kind gets the
    kind its values share.

    Parameters
    ----------
    rows : sequence of mapping
        The records.
    kinds : mapping of str to kind, optional
        As in :meth:`Node.records`.
    columns : sequence of str
        The table's columns by its contract.
    """
    import pandas as pd  # layer 1: pandas only when a table is built

    kinds = kinds or {}
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    names.update(dict.fromkeys(columns))
    data: dict[str, Any] = {}
    for name in names:
        values = [row.get(name) for row in rows]
        kind = kinds.get(name) or _infer(values)
        if kind == "number":
            data[name] = pd.array([math.nan if v is None else v for v in values], "float64")
        elif kind == "integer":
            data[name] = pd.array(values, dtype="Int64")
        elif kind == "bool":
            data[name] = pd.array(values, dtype="boolean" if None in values else "bool")
        else:
            data[name] = pd.array(values, dtype=object)
    return pd.DataFrame(data, columns=list(names))
