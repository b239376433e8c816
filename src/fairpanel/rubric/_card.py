"""The rubric card: a one-page hand-out of a rubric, in Markdown or self-contained HTML.

Three layers, as in the report: the rubric → a card model of plain strings and numbers
(:func:`card_model`) → Jinja2 templates shipped in the package. HTML is autoescaped;
Markdown has no autoescaping, so the Markdown template escapes every string from the
rubric file with the filters defined here (table cells, inline text, paragraphs).
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any, Literal

from fairpanel._version import __version__
from fairpanel.rubric._parts import Scale

if TYPE_CHECKING:
    import jinja2
    from markupsafe import Markup

    # Annotations only: the rubric shows itself as its card (Rubric._repr_html_).
    from fairpanel.rubric._rubric import Rubric

__all__ = ["card_model", "render_card"]

ERR_FORMAT = "format must be one of {allowed}, got {got!r}"
FORMATS = ("md", "html")


@functools.cache
def _environment() -> jinja2.Environment:
    """Build the card templates' environment, on first use.

    Jinja2 is imported here, not at the top: a command that reads a rubric (``allocate
    --rubric``, ``score``) never renders a card and need not wait for it.
    """
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("fairpanel.rubric", "templates"),
        # Only the .html template is escaped for HTML; the .md template escapes for Markdown.
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        breaks=html_breaks,
        md=md_inline,
        md_cell=md_cell,
        md_code=md_code,
        md_paragraphs=md_paragraphs,
        paragraphs=html_paragraphs,
    )
    return env


def render_card(
    rubric: Rubric, *, format: Literal["md", "html"] = "md", standalone: bool = True
) -> str:
    """Render a rubric as a card to hand out with the call.

    The card shows the rubric's name and purpose, the scale and its direction, every
    criterion with its weight (as a percentage) and a descriptor for each level, how the
    total is computed, the bands with their thresholds, and the notes for reviewers.

    Parameters
    ----------
    rubric : Rubric
        The rubric to render.
    format : {"md", "html"}
        Markdown (GitHub tables) or a self-contained HTML page (inline CSS, print-friendly,
        no external resource).
    standalone : bool
        ``True`` for a whole document; ``False`` for a fragment to embed in a report (HTML:
        one ``<section>`` with its scoped CSS; Markdown: headings one level lower).

    Returns
    -------
    str
        The card. Every string from the rubric is escaped for the format.

    Examples
    --------
    >>> from fairpanel.rubric import Rubric
    >>> card = render_card(Rubric.single_criterion(minimum=1, maximum=3), format="md")
    >>> card.splitlines()[0]
    '# Overall grade'
    >>> "| Band | Weighted total | What it means |" in card
    True
    """
    if format not in FORMATS:
        raise ValueError(ERR_FORMAT.format(allowed=", ".join(map(repr, FORMATS)), got=format))
    template = _environment().get_template(f"card.{format}")
    return template.render(card=card_model(rubric), standalone=standalone)


def card_model(rubric: Rubric) -> dict[str, Any]:
    """Return the card's content as plain data (strings and numbers, nothing escaped).

    Parameters
    ----------
    rubric : Rubric
        The rubric to describe.

    Returns
    -------
    dict
        Keys ``name, purpose, min, max, direction, points, headers, scored_with, criteria,
        formula, bands, notes, version`` (``headers``: each point's column heading, with
        its grade; ``scored_with``: what a reviewer writes, in words); ``criteria`` holds ``id, title, asks, weight, percent, levels`` (best
        level first), ``bands`` holds ``name, threshold, range, descriptor``.

    Examples
    --------
    >>> from fairpanel.rubric import Rubric
    >>> card_model(Rubric.single_criterion(minimum=1, maximum=3))["direction"]
    'higher is better: 3 is the best level, 1 the worst'
    """
    scale = rubric.scale
    weights = rubric.weights
    points = sorted(scale.points, reverse=scale.higher_is_better)
    criteria = [
        {
            "id": c.id,
            "title": c.title,
            "asks": c.asks,
            "weight": c.weight,
            "percent": _percent(float(weights[c.id])),
            "levels": [
                {"value": lvl.value, "label": lvl.label, "descriptor": lvl.descriptor}
                for lvl in sorted(c.levels, key=lambda lvl: points.index(lvl.value))
            ],
        }
        for c in rubric.criteria
    ]
    better = "higher" if scale.higher_is_better else "lower"
    terms = " + ".join(f"{_percent(float(weights[c.id]))} × {c.title}" for c in rubric.criteria)
    return {
        "name": rubric.name,
        "purpose": rubric.purpose,
        "min": scale.min,
        "max": scale.max,
        "direction": (
            f"{better} is better: {scale.best} is the best level, {scale.worst} the worst"
        ),
        "points": points,
        "headers": [_header(p, scale) for p in points],
        "scored_with": _scored_with(scale),
        "criteria": criteria,
        "formula": terms,
        "single": len(rubric.criteria) == 1,
        "bands": _bands(rubric),
        "notes": rubric.notes,
        "version": __version__,
    }


def _header(point: int, scale: Scale) -> str:
    # A level's column says its grade too ("6 (A)"), so the card reads as the form does.
    named = {value: name for name, value in scale.grades}
    return f"{point} ({named[point]})" if point in named else str(point)


def _scored_with(scale: Scale) -> str:
    """How a reviewer writes a score, in words: "a whole number from 1 to 5"."""
    if scale.step is None:
        text = f"any number from {scale.min} to {scale.max}"
    elif scale.step == 1:
        text = f"a whole number from {scale.min} to {scale.max}"
    else:
        text = f"a number from {scale.min} to {scale.max} in steps of {scale.step:g}"
    if scale.grades:
        text += " or its grade (" + ", ".join(name for name, _ in scale.grades) + ")"
    return text


def _num(x: float) -> str:
    return f"{x:g}"


def _percent(share: float) -> str:
    # One decimal only where needed, so 40 % stays "40%" and a third reads "33.3%".
    return f"{round(100 * share, 1):g}%"


def _bands(rubric: Rubric) -> list[dict[str, Any]]:
    """Each band with the range of totals it covers, stated in words a reader can check."""
    ge, lt = ("≥", "<") if rubric.scale.higher_is_better else ("≤", ">")
    out = []
    bands = rubric.bands
    for i, band in enumerate(bands):
        if len(bands) == 1:
            covers = "every total"
        elif i == len(bands) - 1:
            covers = f"{lt} {_num(bands[i - 1].threshold)}"
        elif i == 0:
            covers = f"{ge} {_num(band.threshold)}"
        else:
            covers = f"{ge} {_num(band.threshold)} and {lt} {_num(bands[i - 1].threshold)}"
        out.append(
            {
                "name": band.name,
                "threshold": band.threshold,
                "range": covers,
                "descriptor": band.descriptor,
            }
        )
    return out


# ------------------------------------------------------------- Markdown escaping
_MD_INLINE = re.compile(r"([\\`*_\[\]|#])")
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")
_MD_BLOCK_START = re.compile(r"^([>+\-]|\d+(?=[.)]))")


def md_inline(value: object) -> str:
    """Escape text for Markdown inline content, on one line (also safe in a table cell).

    Backslash-escapes the characters that start emphasis, code, links and table cells,
    turns ``<`` and entity-like ``&`` into entities so no HTML or autolink survives, and
    joins lines with spaces.
    """
    text = " ".join(str(value).split())
    text = _MD_ENTITY.sub("&amp;", text).replace("<", "&lt;")
    return _MD_INLINE.sub(r"\\\1", text)


def md_cell(value: object) -> str:
    """Escape text for a Markdown table cell, keeping paragraph breaks as ``<br>``."""
    paragraphs = [p for p in re.split(r"\n\s*\n", str(value).strip()) if p.strip()]
    return "<br><br>".join(md_inline(p) for p in paragraphs)


def md_code(value: object) -> str:
    """Render text as a Markdown code span (backticks and pipes handled)."""
    text = " ".join(str(value).split()).replace("|", "\\|")
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _escape_block_start(match: re.Match[str]) -> str:
    # "1. x" becomes "1\. x" (the escape goes before the dot); "- x" becomes "\- x".
    text = match.group(0)
    return f"{text}\\" if text[0].isdigit() else f"\\{text}"


def md_paragraphs(value: object) -> str:
    """Escape multi-paragraph text for Markdown: paragraphs kept, nothing interpreted."""
    paragraphs = [p for p in re.split(r"\n\s*\n", str(value).strip()) if p.strip()]
    out = []
    for p in paragraphs:
        text = md_inline(p)
        # A paragraph starting like a heading, quote, list or rule must stay a paragraph.
        out.append(_MD_BLOCK_START.sub(_escape_block_start, text))
    return "\n\n".join(out)


def html_paragraphs(value: object) -> Markup:
    """Escape multi-paragraph text for HTML as ``<p>`` elements."""
    from markupsafe import Markup  # with jinja2, on first use

    paragraphs = [p for p in re.split(r"\n\s*\n", str(value).strip()) if p.strip()]
    return Markup("\n").join(Markup("<p>{}</p>").format(" ".join(p.split())) for p in paragraphs)


def html_breaks(value: object) -> Markup:
    """Escape text for an HTML table cell: paragraphs separated by ``<br><br>``."""
    from markupsafe import Markup  # with jinja2, on first use

    paragraphs = [p for p in re.split(r"\n\s*\n", str(value).strip()) if p.strip()]
    return Markup("<br><br>").join(" ".join(p.split()) for p in paragraphs)
