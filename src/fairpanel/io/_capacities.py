"""Loading a capacity table: the places of each panel (``panel,capacity``)."""

from __future__ import annotations

from pathlib import Path

from fairpanel._errors import FairpanelInputError
from fairpanel.io._checks import as_table, raise_first, require_columns
from fairpanel.io._columns import read_column

__all__ = ["ERR_PANEL_TWICE", "load_capacities"]

ERR_PANEL_TWICE = "panel '{panel}' has two rows (rows {first} and {second})"


def load_capacities(path: str | Path, *, encoding: str = "utf-8") -> dict[str, int]:
    """Read the places of each panel: columns ``panel`` and ``capacity`` (whole numbers).

    Parameters
    ----------
    path : str or Path
        A CSV/TSV, .xlsx or .parquet file, one row per panel.
    encoding : str, default "utf-8"
        Text encoding of a CSV/TSV file.

    Returns
    -------
    dict of str to int
        Each panel's places, in file order.

    Raises
    ------
    FairpanelInputError
        Naming the file, row and column: a missing column, an empty panel, a capacity
        that is not a whole number of at least 0, or a panel given twice.
    """
    table = as_table(path, encoding=encoding, source=None, default_name="capacity table")
    require_columns(
        table, {"panel": None, "capacity": None}, hint="one row per panel: panel,capacity"
    )
    panels, checks = read_column(table, "panel", "text")
    places, more = read_column(table, "capacity", "count")
    raise_first([*checks, *more])
    out: dict[str, int] = {}
    rows: dict[str, int] = {}
    for pos, (panel, n) in enumerate(zip(panels, places, strict=True)):
        if panel in out:
            raise FairpanelInputError(
                ERR_PANEL_TWICE.format(panel=panel, first=rows[panel] + 2, second=pos + 2),
                file=table.source,
                column="panel",
            )
        out[panel], rows[panel] = int(n), pos
    return out
