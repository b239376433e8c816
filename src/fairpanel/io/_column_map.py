"""The committee's own column names, once, in a file every command reads (``--columns``).

A committee's spreadsheet says "Proposal", "Assessor" and "Grade" where fairpanel says
``submission_id``, ``reviewer_id`` and ``score``. Rather than renaming its files by hand
(and keeping two copies that drift apart), it writes the correspondence once::

    # map.yaml: fairpanel's name: yours
    submission_id: Proposal
    reviewer_id: Assessor
    score: Grade
    selected: Fund
    groups: [gender]        # the group attributes (what --group names)
    panel: section          # the column of the panel (what --panel-col names)
    decisions:              # a table of its own, when one table differs
      selected: Funded

Keys are fairpanel's column names (:data:`fairpanel._schema.TABLES`), flat (every
table holding that column) or under a table's name (that table only, winning over the
flat key); ``groups`` and ``panel`` name columns fairpanel has no name of its own for.
A key fairpanel does not know is refused, naming the file and the key: a typo would
otherwise be ignored and the default name looked for.

How each table uses it. The reviews are always the committee's own: the map gives the
loader the columns to read (:meth:`ColumnMap.review_columns`), and errors name the
user's column. The other tables may be the committee's or fairpanel's own output (an
allocation is a decisions table; ``fairpanel submissions`` writes a submissions table):
their columns are renamed on reading (:func:`rename_columns`) where the file has the
user's name and not fairpanel's, so one map serves both.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import TABLES, ReviewColumns, SubmissionColumns
from fairpanel.io._read import Table

__all__ = [
    "ERR_MAP_KEY",
    "ERR_MAP_VALUE",
    "MAPPED_TABLES",
    "ColumnMap",
    "read_column_map",
    "rename_columns",
]

#: The tables a map may name, each with the columns it may rename.
MAPPED_TABLES: Final[Mapping[str, tuple[str, ...]]] = {
    name: tuple(c.name for c in TABLES[name].columns)
    + (("request",) if name == "submissions" else ())
    for name in ("reviews", "submissions", "scores", "decisions", "allocation", "counts")
}
#: Keys naming columns fairpanel has no name of its own for.
ROLE_KEYS: Final = ("groups", "panel")
_FLAT: Final = tuple(dict.fromkeys(c for cols in MAPPED_TABLES.values() for c in cols))

ERR_MAP_KEY = "unknown key '{key}'{where}{near}; a key is {what}"
ERR_MAP_VALUE = "'{key}'{where} must be a column name (text){more}, got {got!r}"
ERR_MAP_SHAPE = "a column map is a YAML mapping of fairpanel's names to yours, got {got}"
_WHAT_FLAT = (
    "one of fairpanel's column names (submission_id, reviewer_id, criterion, score, "
    "selected, …), 'groups', 'panel', or a table: {tables}"
)
_WHAT_TABLE = "one of the {table} table's columns: {columns}"


@dataclass(frozen=True)
class ColumnMap:
    """fairpanel's column names → the committee's, read from a ``--columns`` file.

    Attributes
    ----------
    flat : mapping of str to str or tuple of str
        Names for every table holding the column (``reviewer_id`` may be several
        columns, joined into one id as ``--reviewer-col section,assessor`` does).
    tables : mapping of str to mapping
        Names for one table only (``{"decisions": {"selected": "Funded"}}``).
    groups : tuple of str
        The group attributes (``--group``).
    panel : str or None
        The panel column (``--panel-col``).
    source : str or None
        The file it was read from.

    Examples
    --------
    >>> m = ColumnMap(flat={"submission_id": "Proposal"},
    ...               tables={"decisions": {"selected": "Funded"}})
    >>> m.name("decisions", "submission_id"), m.name("decisions", "selected")
    ('Proposal', 'Funded')
    >>> m.name("allocation", "selected") is None
    True
    """

    flat: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    tables: Mapping[str, Mapping[str, str | tuple[str, ...]]] = field(default_factory=dict)
    groups: tuple[str, ...] = ()
    panel: str | None = None
    source: str | None = None
    given: Mapping[str, str] = field(default_factory=dict)

    def with_options(self, **options: str | None) -> ColumnMap:
        """Return a copy with the columns the command line names, which win over the file.

        Parameters
        ----------
        **options : str or None
            fairpanel's name of a column → the option's value (None: not given), such
            as ``submission_id=`` the value of ``--submission-col``.
        """
        given = {k: v for k, v in options.items() if v is not None}
        return replace(self, given={**self.given, **given})

    def name(self, table: str, column: str) -> str | tuple[str, ...] | None:
        """Return the file's name of ``column`` in ``table`` (None: not mapped).

        Parameters
        ----------
        table : str
            A key of :data:`MAPPED_TABLES`.
        column : str
            fairpanel's name of the column.
        """
        own = self.tables.get(table, {})
        if column in own:
            return own[column]
        if column in MAPPED_TABLES[table]:
            return self.flat.get(column)
        return None

    def column(self, column: str) -> str:
        """Return the name a loader is told for ``column``: the option's, else fairpanel's.

        Parameters
        ----------
        column : str
            fairpanel's name of the column; a mapped one is renamed to it on reading.
        """
        return self.given.get(column, column)

    def renames(self, table: str) -> dict[str, str]:
        """Map fairpanel's name to the committee's, for every mapped column of ``table``.

        A column an option names is left out (the option wins), and so is a name of
        several columns (a reviewer id made of two: only the reviews loader joins them).

        Parameters
        ----------
        table : str
            A key of :data:`MAPPED_TABLES`.
        """
        out = {}
        for column in MAPPED_TABLES[table]:
            user = self.name(table, column)
            if column not in self.given and isinstance(user, str) and user != column:
                out[column] = user
        return out

    def review_columns(self) -> ReviewColumns:
        """Return the reviews' columns: an option given wins, then the map, then the default.

        The reviews are always the committee's own table, so the loader reads the
        committee's names and its errors name them.
        """
        defaults = ReviewColumns()
        spec = {
            "submission": "submission_id",
            "reviewer": "reviewer_id",
            "criterion": "criterion",
            "score": "score",
            "conflict": "conflict",
        }
        values: dict[str, Any] = {}
        for key, column in spec.items():
            chosen = self.given.get(column) or self.name("reviews", column)
            values[key] = chosen or getattr(defaults, key)
        return ReviewColumns(**values)

    def submission_columns(self, *, groups: list[str] | None = None) -> SubmissionColumns:
        """Return the submissions table's columns under the names its loader sees.

        An option given wins; otherwise the id is ``submission_id`` (the file's mapped
        name is renamed to it on reading, :func:`rename_columns`), the groups are the
        map's, and the request is ``request`` when the map names it.

        Parameters
        ----------
        groups : list of str or None
            The command line's ``--group`` (None or empty: the map's).
        """
        mapped_request = "request" if self.name("submissions", "request") else None
        return SubmissionColumns(
            submission=self.column("submission_id"),
            groups=tuple(groups or self.groups),
            request=self.given.get("request", mapped_request),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data for an output's provenance: the map as it was read."""

        def plain(value: str | tuple[str, ...]) -> str | list[str]:
            return value if isinstance(value, str) else list(value)

        out: dict[str, Any] = {k: plain(v) for k, v in self.flat.items()}
        out.update({t: {k: plain(v) for k, v in m.items()} for t, m in self.tables.items()})
        if self.groups:
            out["groups"] = list(self.groups)
        if self.panel is not None:
            out["panel"] = self.panel
        return out


def rename_columns(table: Table, columns: Mapping[str, str] | None) -> Table:
    """Give the columns the committee named in its map fairpanel's names.

    A column is renamed only when the file has the committee's name and not
    fairpanel's: a file fairpanel wrote (an allocation read as decisions) keeps its own.

    Parameters
    ----------
    table : Table
        The cells as read.
    columns : mapping of str to str, optional
        fairpanel's name → the committee's (:meth:`ColumnMap.renames`).

    Returns
    -------
    Table

    Examples
    --------
    >>> import pandas as pd
    >>> t = Table(pd.DataFrame({"Proposal": ["P1"], "selected": ["yes"]}), "d.csv")
    >>> list(rename_columns(t, {"submission_id": "Proposal", "selected": "Fund"}).frame)
    ['submission_id', 'selected']
    """
    if not columns:
        return table
    present = set(table.frame.columns)
    renames = {
        user: own
        for own, user in columns.items()
        if user in present and own not in present and user != own
    }
    if not renames:
        return table
    return replace(table, frame=table.frame.rename(columns=renames))


def read_column_map(path: str | Path) -> ColumnMap:
    """Read a ``--columns`` file (YAML): fairpanel's column names → the committee's.

    Parameters
    ----------
    path : str or Path
        The YAML file (see the module's docstring for its keys).

    Returns
    -------
    ColumnMap

    Raises
    ------
    FairpanelInputError
        Naming the file: not YAML, not a mapping, a key fairpanel does not know (with
        the nearest known one), or a value that is not a column name.
    """
    # PyYAML loads only when a command is given --columns (start-up time of the others).
    from fairpanel._yaml import read_plain_yaml

    path = Path(path)
    if not path.is_file():
        raise FairpanelInputError("no such file", file=path, hint="check the path")
    data = read_plain_yaml(path, what="a column map")
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise FairpanelInputError(ERR_MAP_SHAPE.format(got=type(data).__name__), file=path)
    flat: dict[str, str | tuple[str, ...]] = {}
    tables: dict[str, dict[str, str | tuple[str, ...]]] = {}
    groups: tuple[str, ...] = ()
    panel = None
    for key, value in data.items():
        key = str(key)
        if key in MAPPED_TABLES:
            if not isinstance(value, dict):
                raise FairpanelInputError(
                    ERR_MAP_SHAPE.format(got=f"{type(value).__name__} under '{key}'"), file=path
                )
            tables[key] = {
                str(k): _value(str(k), v, path, table=key, known=MAPPED_TABLES[key])
                for k, v in value.items()
            }
        elif key == "groups":
            groups = _names(key, value, path)
        elif key == "panel":
            panel = _text(key, value, path, "")
        else:
            flat[key] = _value(key, value, path, table=None, known=(*_FLAT, *ROLE_KEYS))
    return ColumnMap(flat=flat, tables=tables, groups=groups, panel=panel, source=str(path))


def _value(
    key: str, value: object, path: Path, *, table: str | None, known: tuple[str, ...]
) -> str | tuple[str, ...]:
    where = "" if table is None else f" under '{table}'"
    if key not in known:
        close = difflib.get_close_matches(key, [*known, *MAPPED_TABLES], n=1)
        what = (
            _WHAT_FLAT.format(tables=", ".join(MAPPED_TABLES))
            if table is None
            else _WHAT_TABLE.format(table=table, columns=", ".join(known))
        )
        near = f" (did you mean '{close[0]}'?)" if close else ""
        raise FairpanelInputError(
            ERR_MAP_KEY.format(key=key, where=where, near=near, what=what), file=path
        )
    if key == "reviewer_id" and isinstance(value, list):
        return _names(key, value, path, where)
    return _text(key, value, path, where)


def _text(key: str, value: object, path: Path, where: str) -> str:
    more = " or a list of them" if key == "reviewer_id" else ""
    if (
        isinstance(value, bool)
        or not isinstance(value, str | int | float)
        or not str(value).strip()
    ):
        raise FairpanelInputError(
            ERR_MAP_VALUE.format(key=key, where=where, more=more, got=value), file=path
        )
    return str(value).strip()


def _names(key: str, value: object, path: Path, where: str = "") -> tuple[str, ...]:
    """Read a list of column names, or one text of names separated by commas."""
    items = value if isinstance(value, list) else str(value).split(",") if value else []
    names = tuple(_text(key, v, path, where) for v in items if str(v).strip())
    if not names:
        raise FairpanelInputError(
            ERR_MAP_VALUE.format(key=key, where=where, more=" or a list of them", got=value),
            file=path,
        )
    return names
