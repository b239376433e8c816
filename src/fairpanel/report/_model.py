"""The report model: plain data between the computed results and the templates.

Three layers, as ydata-profiling has them: results (scores, allocations, audit, …) →
this model (sections of captioned tables, charts and sentences, all strings already
formatted) → Jinja2 templates (HTML, Markdown) or JSON. The model holds no HTML: the
templates escape every string, so a name such as ``<script>`` taken from a user's file
is shown, never run. Its tables and charts are :class:`fairpanel.viz.Table` and
:class:`fairpanel.viz.Chart`, shared with the notebook display.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from fairpanel._json import SCHEMA_KEY, stamp
from fairpanel._schema import internal_stamp
from fairpanel.viz import Chart, Table

__all__ = [
    "SCHEMA_KIND",
    "SCHEMA_VERSION",
    "Chart",
    "Provenance",
    "ReportModel",
    "Section",
    "Table",
]

#: The layout of ``report.json`` (:mod:`fairpanel._json`); a report without a stamp is
#: version 1, the same layout. Version 2 added the provenance's ``verification`` (each
#: check of the chain of custody and its outcome) and ``verify_commands``; version 3
#: ``individual_ranks`` (false: the report lists no applicant).
SCHEMA_KIND = "report"
SCHEMA_VERSION = 3


@dataclass(frozen=True)
class Section:
    """One part of the report: a title, plain sentences, tables and charts."""

    id: str
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()
    preformatted: str = ""
    html_fragment: str = field(default="", repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the section for the JSON report."""
        return {
            "id": self.id,
            "title": self.title,
            "paragraphs": list(self.paragraphs),
            "tables": [t.to_dict() for t in self.tables],
            "charts": [c.to_dict() for c in self.charts],
            "preformatted": self.preformatted,
        }


@dataclass(frozen=True)
class Provenance:
    """What a reader needs to reproduce the report: version, seed, inputs, command."""

    package_version: str
    seed: str | None
    input_checksums: dict[str, str]
    command_line: str
    generated_utc: str
    verification: tuple[tuple[str, str], ...] = ()
    verify_commands: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the provenance as plain data."""
        data = asdict(self)
        data["verification"] = [{"check": c, "outcome": o} for c, o in self.verification]
        data["verify_commands"] = list(self.verify_commands)
        return data


@dataclass(frozen=True)
class ReportModel:
    """Everything a report shows, as plain data (see :func:`fairpanel.report.build_report`)."""

    title: str
    summary: tuple[str, ...]
    sections: tuple[Section, ...]
    glossary: tuple[tuple[str, str], ...]
    provenance: Provenance
    min_cell: int
    individual_ranks: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Return the whole report as JSON-ready data (the ``report.json`` content)."""
        return {
            SCHEMA_KEY: stamp(SCHEMA_KIND, SCHEMA_VERSION),
            "title": self.title,
            "summary": list(self.summary),
            "sections": [s.to_dict() for s in self.sections],
            "glossary": [{"term": t, "definition": d} for t, d in self.glossary],
            "provenance": self.provenance.to_dict(),
            "min_cell": self.min_cell,
            "individual_ranks": self.individual_ranks,
            **({"stamp": self.stamp} if self.stamp else {}),
        }

    @property
    def stamp(self) -> str | None:
        """The stamp every page carries when cells under the default minimum are shown."""
        return internal_stamp(self.min_cell)
