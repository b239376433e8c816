"""What a chart is once drawn: its Vega-Lite spec, a static SVG, and the table behind it.

Plain data, no HTML: the report's templates and the notebook display escape every string
they take from here. Both the report and the result objects' notebook display use these
types, so they live at the display layer, below every result type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Chart", "Table"]


@dataclass(frozen=True)
class Table:
    """A captioned table of preformatted cells.

    Cells withheld for publishing safety hold the text "suppressed", never their value.
    ``collapsed`` tables (long listings) start folded in the HTML page.
    """

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""
    collapsed: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the table as records, for the JSON report."""
        return {
            "caption": self.caption,
            "columns": list(self.columns),
            "rows": [dict(zip(self.columns, r, strict=True)) for r in self.rows],
            "note": self.note,
        }


@dataclass(frozen=True)
class Chart:
    """An Altair chart: its Vega-Lite spec, a static SVG, and a table for screen readers."""

    id: str
    title: str
    description: str
    spec: dict[str, Any]
    svg: str
    fallback: Table

    def to_dict(self) -> dict[str, Any]:
        """Return the chart for the JSON report (the spec and its data table, no SVG)."""
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "spec": self.spec,
            "data": self.fallback.to_dict(),
        }
