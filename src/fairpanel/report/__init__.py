"""The committee report: results → a plain-data model → HTML, Markdown and JSON."""

from fairpanel.report._build import GLOSSARY, ReportInputs, build_report
from fairpanel.report._model import Chart, Provenance, ReportModel, Section, Table
from fairpanel.report._render import render_html, render_markdown, write_report

__all__ = [
    "GLOSSARY",
    "Chart",
    "Provenance",
    "ReportInputs",
    "ReportModel",
    "Section",
    "Table",
    "build_report",
    "render_html",
    "render_markdown",
    "write_report",
]
