"""Result objects in Jupyter: a compact HTML block of key numbers, tables and charts.

Jupyter shows the last value of a cell through its ``_repr_html_``. Each result class
keeps that method to a few lines calling :func:`html_summary`: a title, a line of key
numbers, a few tidy tables cut to :data:`MAX_ROWS` rows, and charts.

Safety and portability. Every string is escaped: titles, captions and notes with
:func:`html.escape`, tables by ``DataFrame.to_html(escape=True)`` after each cell has been
turned into text by :func:`format_cell`. A chart is embedded as the static SVG that
vl-convert drew from escaped data, so it displays offline, in exported notebooks and
where JavaScript does not run; before it is embedded, :func:`svg_is_safe` parses it and
refuses any script, foreign content, event handler or link out of the document, in which
case the chart's data table is shown instead.
"""

from __future__ import annotations

import html
import math
import numbers
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from fairpanel.viz._model import Chart

__all__ = [
    "MAX_ROWS",
    "MISSING",
    "SUPPRESSED",
    "Block",
    "format_cell",
    "html_chart",
    "html_summary",
    "html_table",
    "mask_rows",
    "svg_is_safe",
]

#: Rows shown per table; the rest is announced as "… N more rows".
MAX_ROWS: Final[int] = 10
#: What a withheld cell shows, never its value (the report uses the same word).
SUPPRESSED: Final[str] = "suppressed"
#: What a missing number shows.
MISSING: Final[str] = "—"

#: A table with its caption, or a chart; blocks are shown in the order given.
Block = tuple[str, pd.DataFrame] | Chart

_STYLE = "font-size:0.9em;line-height:1.4"
_FIGURE = "margin:0.6em 0"
_SCROLL = "max-width:100%;overflow-x:auto"
_NOTE = "margin:0.2em 0;color:#555"
# SVG elements and attributes that can run code or pull content from elsewhere.
_UNSAFE_TAGS: Final = frozenset({"script", "foreignobject", "iframe", "object", "embed"})
_LINK_ATTRS: Final = frozenset({"href", "src"})


def format_cell(value: Any) -> str:
    """Turn one value into the text a table cell or the key-numbers line shows.

    Missing values (None, NaN, ``pd.NA``) show :data:`MISSING`; booleans ``yes``/``no``;
    integers as they are; other numbers with four significant digits (whole numbers
    from 10,000 up, without exponent). Anything else is ``str(value)``, escaped later.

    Parameters
    ----------
    value : object
        One cell of a table, or one key number.

    Returns
    -------
    str
        The text shown, not yet escaped.

    Examples
    --------
    >>> [format_cell(v) for v in (True, 7, 0.123456, float("nan"), 123456.7, "a<b")]
    ['yes', '7', '0.1235', '—', '123457', 'a<b']
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return MISSING
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        v = float(value)
        if math.isnan(v):
            return MISSING
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"
        return f"{v:.0f}" if abs(v) >= 1e4 else f"{v:.4g}"
    return str(value)


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    # Cells become strings here, so the HTML shows exactly what format_cell decided
    # (and a "suppressed" text never sits in a numeric column formatted by pandas).
    return pd.DataFrame(
        {str(c): [format_cell(v) for v in frame[c].tolist()] for c in frame.columns},
        index=range(len(frame)),
        dtype=object,
    )


def mask_rows(frame: pd.DataFrame, hidden: Any, *, keep: Sequence[str] = ()) -> pd.DataFrame:
    """Return ``frame`` as text with every cell of the ``hidden`` rows reading "suppressed".

    Columns named in ``keep`` (labels such as the group's name) stay readable. The value
    of a hidden cell never reaches the result, whatever the frame held.

    Parameters
    ----------
    frame : DataFrame
        The table to show.
    hidden : array-like of bool
        One flag per row of ``frame``: True withholds the row.
    keep : sequence of str, default ()
        Columns shown even in hidden rows.

    Returns
    -------
    DataFrame
        Every cell as text (:func:`format_cell`), hidden cells reading :data:`SUPPRESSED`.

    Examples
    --------
    >>> f = pd.DataFrame({"group": ["a", "b"], "applicants": [40, 3]})
    >>> mask_rows(f, [False, True], keep=["group"]).to_dict("list")
    {'group': ['a', 'b'], 'applicants': ['40', 'suppressed']}
    """
    out = _as_text(frame)
    mask = np.asarray(hidden, dtype=bool)
    for col in out.columns:
        if col not in keep:
            out.loc[mask, col] = SUPPRESSED
    return out


def html_table(caption: str, frame: pd.DataFrame, *, max_rows: int = MAX_ROWS) -> str:
    """Render a captioned table, cut to ``max_rows`` rows with a note of how many are left.

    Every cell is escaped; numbers are formatted by :func:`format_cell`.

    Parameters
    ----------
    caption : str
        The line above the table.
    frame : DataFrame
        The table; its index is not shown.
    max_rows : int, default MAX_ROWS
        Rows shown; the rest is announced as "… N more rows".

    Returns
    -------
    str
        An HTML fragment.
    """
    shown = frame.head(max_rows)
    body = _as_text(shown).to_html(index=False, escape=True, border=0)
    parts = [f"<div><b>{html.escape(caption)}</b></div>", f'<div style="{_SCROLL}">{body}</div>']
    rest = len(frame) - len(shown)
    if rest > 0:
        parts.append(f'<p style="{_NOTE}">… {rest} more row{"s" if rest != 1 else ""}</p>')
    return "\n".join(parts)


def svg_is_safe(svg: str) -> bool:
    """Tell whether an SVG can be embedded in a page: no code, no outside content.

    Parses the SVG and refuses ``script``, ``foreignObject``, ``iframe``, ``object`` and
    ``embed`` elements, any ``on…`` event attribute, and any ``href``/``src``
    that is not a fragment of the document itself. Text that was escaped when the SVG was
    made (a group named ``<script>``) is text, not an element, and passes.

    Parameters
    ----------
    svg : str
        An SVG document, as vl-convert writes it.

    Returns
    -------
    bool
        True when it parses and holds none of the above.
    """
    try:
        root = ET.fromstring(svg)  # vl-convert's output; expat expands no external entity
    except ET.ParseError:
        return False
    for element in root.iter():
        tag = str(element.tag).rsplit("}", 1)[-1].lower()
        if tag in _UNSAFE_TAGS:
            return False
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                return False
            if local in _LINK_ATTRS and not value.startswith("#"):
                return False
    return True


def html_chart(chart: Chart) -> str:
    """Embed a chart's static SVG with its title and description; its table if unsafe.

    Parameters
    ----------
    chart : Chart
        The chart; its SVG is checked by :func:`svg_is_safe` before it is embedded.

    Returns
    -------
    str
        An HTML ``figure`` with the SVG (or the fallback table) and an escaped caption.
    """
    caption = f"<figcaption><b>{html.escape(chart.title)}</b>. {html.escape(chart.description)}"
    if svg_is_safe(chart.svg):
        inner = f'<div style="{_SCROLL}">{chart.svg}</div>'
    else:
        fallback = pd.DataFrame(list(chart.fallback.rows), columns=list(chart.fallback.columns))
        inner = html_table(chart.fallback.caption, fallback)
    return f'<figure style="{_FIGURE}">{inner}{caption}</figcaption></figure>'


def html_summary(
    title: str,
    *,
    facts: Iterable[tuple[str, Any]] = (),
    blocks: Iterable[Block] = (),
    notes: Iterable[str] = (),
    max_rows: int = MAX_ROWS,
) -> str:
    """Render a result as one compact HTML block for Jupyter.

    Parameters
    ----------
    title : str
        The title line.
    facts : iterable of (label, value)
        Key numbers shown on one line under the title (values via :func:`format_cell`).
    blocks : iterable of (caption, DataFrame) or Chart
        Tables (cut to ``max_rows``) and charts (their static SVG), in order.
    notes : iterable of str
        Caveats shown under the title, one per line.
    max_rows : int, default MAX_ROWS
        Rows shown per table.

    Returns
    -------
    str
        An HTML fragment in which every string taken from data is escaped.

    Examples
    --------
    >>> out = html_summary("Demo", facts=[("n", 3)], blocks=[("t", pd.DataFrame({"x": [1]}))])
    >>> "n: 3" in out and "<table" in out
    True
    """
    parts = [f'<div class="fairpanel-summary" style="{_STYLE}">']
    parts.append(f'<div style="font-weight:bold;font-size:1.1em">{html.escape(title)}</div>')
    line = " · ".join(f"{html.escape(k)}: {html.escape(format_cell(v))}" for k, v in facts)
    if line:
        parts.append(f"<div>{line}</div>")
    parts.extend(f'<p style="{_NOTE}">{html.escape(n)}</p>' for n in notes)
    for block in blocks:
        if isinstance(block, Chart):
            parts.append(html_chart(block))
        else:
            caption, frame = block
            parts.append(html_table(caption, frame, max_rows=max_rows))
    parts.append("</div>")
    return "\n".join(parts)
