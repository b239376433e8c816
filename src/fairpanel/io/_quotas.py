"""Quota tables: crossed group bounds a drawn panel must satisfy, read from CSV or YAML.

A quota table has one row per group, ``attribute, value, min, max``: the panel must hold
at least ``min`` and at most ``max`` submissions whose ``attribute`` column equals
``value``. Rows of several attributes are *crossed*: a panel satisfies every row at once.
An empty ``min`` is 0 and an empty ``max`` is no upper bound. "At most one per lab" is a
household key (``--one-per lab`` on the command line, ``one_per`` in YAML): no two
submissions of a panel share its value.

The CSV form (any table :func:`~fairpanel.io.read_table` reads)::

    attribute,value,min,max
    gender,woman,4,
    career_stage,early,3,6

The YAML form holds the same rows and the household keys::

    quotas:
      - {attribute: gender, value: woman, min: 4}
      - {attribute: career_stage, value: early, min: 3, max: 6}
    one_per: [lab]

This module checks the table alone (whole numbers, ``min <= max``, one row per group);
whether the quotas can hold for a given lottery zone is checked when the zone is known
(:func:`fairpanel.lottery.check_quota_feasibility`), with a message naming a small set
of bounds that cannot hold together.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel.io._checks import require_columns, spreadsheet_row
from fairpanel.io._read import read_raw

__all__ = [
    "ERR_QUOTA_BOUND",
    "ERR_QUOTA_DUPLICATE",
    "ERR_QUOTA_EMPTY",
    "ERR_QUOTA_ORDER",
    "ERR_QUOTA_YAML",
    "QUOTA_COLUMNS",
    "Quota",
    "QuotaTable",
    "load_quotas",
]

QUOTA_COLUMNS: Final = ("attribute", "value", "min", "max")
ERR_QUOTA_EMPTY = "the {what} is empty"
ERR_QUOTA_BOUND = "{what} {value!r} is not a whole number >= 0"
ERR_QUOTA_ORDER = "{group}: min {lo} is more than max {hi}"
ERR_QUOTA_DUPLICATE = "{group} has two quota rows (rows {first} and {row})"
ERR_QUOTA_YAML = "cannot read the quota YAML: {problem}"
ERR_QUOTA_KEY = "one_per must be a column name or a list of column names; got {value!r}"
HINT_QUOTA_BOUND = "write a count of submissions, or leave it empty for no bound"
HINT_QUOTA_YAML = "write 'quotas:' as a list of {attribute, value, min, max} mappings"
_YAML_SUFFIXES: Final = (".yaml", ".yml")


@dataclass(frozen=True)
class Quota:
    """One group bound: between ``min`` and ``max`` panel members have ``attribute == value``.

    ``max`` None is no upper bound. ``row`` is where the row was read (spreadsheet row,
    or list position + 1 in YAML), for messages.
    """

    attribute: str
    value: str
    min: int = 0
    max: int | None = None
    row: int | None = field(default=None, compare=False)

    @property
    def group(self) -> str:
        """The group as messages name it: ``attribute=value``."""
        return f"{self.attribute}={self.value}"

    def to_dict(self) -> dict[str, Any]:
        """Return the row as plain data (``max`` null when unbounded)."""
        return {"attribute": self.attribute, "value": self.value, "min": self.min, "max": self.max}


@dataclass(frozen=True)
class QuotaTable:
    """Every quota row, crossed, and the household keys ("at most one per ...").

    Rows are kept sorted by attribute then value, so the order of a file's rows never
    changes a result.

    Examples
    --------
    >>> q = QuotaTable((Quota("gender", "woman", 2), Quota("stage", "early", 0, 3)),
    ...                one_per=("lab",))
    >>> q.attributes, [r.group for r in q.quotas]
    (('gender', 'stage'), ['gender=woman', 'stage=early'])
    """

    quotas: tuple[Quota, ...] = ()
    one_per: tuple[str, ...] = ()
    source: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.quotas, key=lambda q: (q.attribute, q.value)))
        object.__setattr__(self, "quotas", ordered)
        object.__setattr__(self, "one_per", tuple(sorted(dict.fromkeys(self.one_per))))

    @property
    def attributes(self) -> tuple[str, ...]:
        """The group attributes the rows name, sorted."""
        return tuple(sorted({q.attribute for q in self.quotas}))

    @property
    def columns(self) -> tuple[str, ...]:
        """Every submissions column the quotas read: attributes, then household keys."""
        return tuple(dict.fromkeys((*self.attributes, *self.one_per)))

    def with_one_per(self, keys: Sequence[str]) -> QuotaTable:
        """Return the table with more household keys (``--one-per`` on the command line).

        Parameters
        ----------
        keys : sequence of str
            Columns of the submissions table: at most one panel member per value.
        """
        return QuotaTable(self.quotas, (*self.one_per, *keys), self.source)

    def to_dict(self) -> dict[str, Any]:
        """Return the quotas as plain data: ``{"quotas": [...], "one_per": [...]}``."""
        return {"quotas": [q.to_dict() for q in self.quotas], "one_per": list(self.one_per)}

    @classmethod
    def from_dict(cls, data: object, *, source: str | None = None) -> QuotaTable:
        """Read the YAML / JSON form (see the module docstring).

        Parameters
        ----------
        data : mapping
            ``quotas`` (a list of rows) and optional ``one_per`` (anything else is refused).
        source : str, optional
            The file, for messages.

        Raises
        ------
        FairpanelInputError
            Naming the row and field of the first bad value.
        """
        if not isinstance(data, Mapping) or not isinstance(data.get("quotas", []), list):
            raise FairpanelInputError(
                ERR_QUOTA_YAML.format(problem="expected a mapping with a 'quotas' list"),
                file=source,
                hint=HINT_QUOTA_YAML,
            )
        rows: list[Quota] = []
        for i, raw in enumerate(data.get("quotas", [])):
            where = f"quotas[{i}]"
            if not isinstance(raw, Mapping):
                raise FairpanelInputError(
                    ERR_QUOTA_YAML.format(problem=f"{where} is not a mapping"),
                    file=source,
                    hint=HINT_QUOTA_YAML,
                )
            cells = {k: raw.get(k) for k in QUOTA_COLUMNS}

            def fail(message: str, key: str, hint: str, where: str = where) -> FairpanelInputError:
                return FairpanelInputError(message, file=source, field=f"{where}.{key}", hint=hint)

            rows.append(_row(cells, i + 1, fail))
        keys = data.get("one_per") or []
        keys = [keys] if isinstance(keys, str) else keys
        if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
            raise FairpanelInputError(ERR_QUOTA_KEY.format(value=keys), file=source)
        _refuse_duplicates(rows, source)
        return cls(tuple(rows), tuple(keys), source)


def _bound(value: object) -> int | None:
    """Read a whole number >= 0 (None for an empty cell); raise ValueError otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = float(str(value).strip())  # ValueError for text (and True) that is no count
    if not math.isfinite(number) or number < 0 or not number.is_integer():
        raise ValueError(value)
    return int(number)


def _row(cells: Mapping[str, object], row: int, fail: Any) -> Quota:
    """Build one quota from its four cells; ``fail(message, key, hint)`` makes the error."""
    texts: dict[str, str] = {}
    for key in ("attribute", "value"):
        raw = cells.get(key)
        text = "" if raw is None else str(raw).strip()
        if not text:
            raise fail(ERR_QUOTA_EMPTY.format(what=key), key, "fill it in or delete the row")
        texts[key] = text
    bounds: dict[str, int | None] = {}
    for key in ("min", "max"):
        try:
            bounds[key] = _bound(cells.get(key))
        except ValueError:
            raise fail(
                ERR_QUOTA_BOUND.format(what=key, value=str(cells.get(key))), key, HINT_QUOTA_BOUND
            ) from None
    lo, hi = bounds["min"] or 0, bounds["max"]
    quota = Quota(texts["attribute"], texts["value"], lo, hi, row)
    if hi is not None and lo > hi:
        raise fail(
            ERR_QUOTA_ORDER.format(group=quota.group, lo=lo, hi=hi),
            "min",
            "lower the minimum or raise the maximum",
        )
    return quota


def _refuse_duplicates(rows: Sequence[Quota], source: str | None) -> None:
    seen: dict[tuple[str, str], Quota] = {}
    for q in rows:
        key = (q.attribute, q.value)
        if key in seen:
            raise FairpanelInputError(
                ERR_QUOTA_DUPLICATE.format(group=q.group, first=seen[key].row, row=q.row),
                file=source,
                hint="keep one row per group",
            )
        seen[key] = q


def load_quotas(
    path: str | Path, *, one_per: Sequence[str] = (), encoding: str = "utf-8"
) -> QuotaTable:
    r"""Read a quota table from CSV (or any table format) or YAML.

    Parameters
    ----------
    path : str or Path
        ``.yaml`` / ``.yml`` for the YAML form, otherwise a table with the columns
        ``attribute, value, min, max`` (see the module docstring).
    one_per : sequence of str
        Household keys added to any the file names (``--one-per``).
    encoding : str
        Text encoding of a CSV file.

    Returns
    -------
    QuotaTable

    Raises
    ------
    FairpanelInputError
        Naming the file, row and column of the first bad cell, a group with two rows,
        or a minimum above its maximum.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "q.csv"
    >>> _ = p.write_text("attribute,value,min,max\ngender,woman,2,\nstage,early,,3\n")
    >>> [(q.group, q.min, q.max) for q in load_quotas(p, one_per=["lab"]).quotas]
    [('gender=woman', 2, None), ('stage=early', 0, 3)]
    """
    path = Path(path)
    if path.suffix.lower() in _YAML_SUFFIXES:
        return _load_yaml(path).with_one_per(one_per)
    table = read_raw(path, encoding=encoding)
    require_columns(table, dict.fromkeys(QUOTA_COLUMNS), hint="a quota table has these columns")
    frame = table.frame
    rows: list[Quota] = []
    for pos in range(len(frame)):
        row = spreadsheet_row(table, pos)
        cells = {k: frame[k].iloc[pos] for k in QUOTA_COLUMNS}
        cells = {k: None if pd.isna(v) else v for k, v in cells.items()}  # NaN: empty

        def fail(message: str, key: str, hint: str, row: int = row) -> FairpanelInputError:
            return FairpanelInputError(message, file=table.source, row=row, column=key, hint=hint)

        rows.append(_row(cells, row, fail))
    _refuse_duplicates(rows, table.source)
    return QuotaTable(tuple(rows), tuple(one_per), table.source)


def _load_yaml(path: Path) -> QuotaTable:
    # PyYAML loads only when a quota file is YAML (start-up time of other commands).
    from fairpanel._yaml import read_plain_yaml

    if not path.is_file():
        raise FairpanelInputError("no such file", file=path)
    data = read_plain_yaml(path, what="a quota file")
    return QuotaTable.from_dict(data if data is not None else {}, source=str(path))
