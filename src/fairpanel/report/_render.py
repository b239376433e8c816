"""Render the report model as one self-contained HTML page, Markdown, or JSON.

Templates ship inside the package (``PackageLoader``) with autoescape on: every string
from a user's file is escaped by the template engine, not by hand. The page inlines its
CSS and one Vega bundle (``vl_convert.javascript_bundle``), so it opens offline.
"""

from __future__ import annotations

import base64
import functools
from pathlib import Path

import jinja2
import vl_convert as vlc

from fairpanel.io import OutputTransaction, open_outputs
from fairpanel.report._model import ReportModel

__all__ = ["fragment", "render_html", "render_markdown", "report_paths", "write_report"]


@functools.cache
def _env(markdown: bool = False) -> jinja2.Environment:
    # HTML: autoescape. Markdown: no HTML autoescape (it would print "&#39;" for every
    # apostrophe); every user string goes through md_cell, which escapes what Markdown
    # and an HTML renderer would act on.
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("fairpanel.report", "templates"),
        autoescape=not markdown,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["svg_data_uri"] = _svg_data_uri
    env.filters["md_cell"] = _md_cell
    env.filters["code_block"] = _code_block
    env.filters["code_span"] = _code_span
    return env


@functools.cache
def _vega_bundle() -> str:
    # The bundle is plain JavaScript; "</script" cannot occur in it unescaped, but make sure.
    # The stub marks the snippet as required; at run time None selects the default globals.
    bundle: str = vlc.javascript_bundle()  # type: ignore[call-arg]
    return bundle.replace("</script", "<\\/script")


def _svg_data_uri(svg: str) -> str:
    # An <img> of the SVG cannot run script even if a label carried markup.
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _code_block(value: object) -> str:
    # Inside a fenced code block Markdown renders no HTML; only a closing fence must not
    # occur.
    return str(value).replace("```", "' ' '")


def _code_span(value: object) -> str:
    return " ".join(str(value).replace("`", "'").split())


def _md_cell(value: object) -> str:
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for ch in ("\\", "|", "*", "_", "`", "[", "]"):
        text = text.replace(ch, "\\" + ch)
    return text


def render_html(model: ReportModel) -> str:
    """Render the report as one self-contained HTML page (no network needed to view it).

    Parameters
    ----------
    model : ReportModel
        The report as plain data (:func:`fairpanel.report.build_report`).

    Returns
    -------
    str
        One page: CSS and the Vega bundle inlined, each chart with its data table as a
        fallback, every string from the inputs escaped.
    """
    template = _env().get_template("report.html.j2")
    return template.render(report=model, vega_bundle=_vega_bundle())


def fragment(name: str, **context: object) -> str:
    """Render one section's HTML template fragment (autoescaped, as the page is).

    Parameters
    ----------
    name : str
        The template's file name in ``fairpanel/report/templates``.
    **context
        The template's variables.
    """
    return _env().get_template(name).render(**context)


def render_markdown(model: ReportModel) -> str:
    """Render the report as Markdown (same content; charts as their data tables).

    Parameters
    ----------
    model : ReportModel
        The report as plain data (:func:`fairpanel.report.build_report`).

    Returns
    -------
    str
        Markdown, with the text of every table cell escaped.
    """
    template = _env(markdown=True).get_template("report.md.j2")
    # Autoescape turns markup into entities; md_cell escapes Markdown's own syntax.
    return template.render(report=model)


def write_report(
    model: ReportModel,
    out_dir: str | Path,
    *,
    stem: str = "report",
    outputs: OutputTransaction | None = None,
) -> dict[str, Path]:
    """Write ``report.html``, ``report.md`` and ``report.json`` into ``out_dir``, all or none.

    Parameters
    ----------
    model : ReportModel
        The report as plain data (:func:`fairpanel.report.build_report`).
    out_dir : str or Path
        The folder to write into; created if missing. Files of the same names are
        replaced, each atomically.
    stem : str, default "report"
        The files' name without extension: ``{stem}.html``, ``{stem}.md``,
        ``{stem}.json``.
    outputs : OutputTransaction, optional
        The transaction that declared the three files (a command opens it before its
        work, with its inputs); by default one is opened here.

    Returns
    -------
    dict
        The written paths by format.
    """
    out = Path(out_dir)
    paths = report_paths(out, stem=stem)
    html = render_html(model)
    md = render_markdown(model)
    tx = outputs if outputs is not None else open_outputs(dict(paths))
    with tx:
        tx.write_text(paths["html"], html)
        tx.write_text(paths["md"], md)
        tx.write_json(paths["json"], model.to_dict())
    return paths


def report_paths(out_dir: str | Path, *, stem: str = "report") -> dict[str, Path]:
    """Return the three files :func:`write_report` writes, by format.

    Parameters
    ----------
    out_dir : str or Path
        The report's folder.
    stem : str, default "report"
        The files' name without extension.
    """
    out = Path(out_dir)
    return {ext: out / f"{stem}.{ext}" for ext in ("html", "md", "json")}
