"""A draw certificate as a notebook shows it: a short summary, not its JSON.

:func:`describe_certificate` is the body of both certificates' ``_repr_html_``: what was
drawn among whom, from which seed, and whether the zone was committed before the seed,
drawn with :func:`fairpanel.viz.html_summary` like every other result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from fairpanel._words import strategy_words
from fairpanel.lottery._panel import certificate_panel
from fairpanel.viz import html_summary

if TYPE_CHECKING:
    from fairpanel.lottery._draw import DrawCertificate
    from fairpanel.lottery._quota_draw import QuotaDrawCertificate

__all__ = ["describe_certificate"]

VERIFY_NOTE = "Anyone can redo the draw from the seed and the entrants: fairpanel verify-draw."


def describe_certificate(certificate: DrawCertificate | QuotaDrawCertificate) -> str:
    """Return a certificate's short summary as an HTML block (its notebook view).

    Parameters
    ----------
    certificate : DrawCertificate or QuotaDrawCertificate
        The certificate of a draw or of a quota lottery.

    Returns
    -------
    str
        An HTML fragment: the draw's key facts and who was drawn, every string escaped.

    Examples
    --------
    >>> from fairpanel.lottery import draw
    >>> cert = draw(["a", "b", "c"], places=1, seed="s").certificate
    >>> "Draw certificate" in describe_certificate(cert)
    True
    """
    strategy = certificate.context.get("strategy")
    name = f": {strategy_words(strategy)}" if strategy else ""
    panel = certificate_panel(certificate.context)
    if panel is not None:  # panels drew each on its own
        name = f"{name}, panel {panel[1]}" if name else f": panel {panel[1]}"
    if hasattr(certificate, "panels"):  # a quota lottery's certificate lists its panels
        return _quota(cast("QuotaDrawCertificate", certificate), name)
    cert = certificate
    facts: list[tuple[str, Any]] = [
        ("seed", cert.seed),
        ("entrants", len(cert.entrants)),
        ("places drawn", cert.places),
        ("committed before the seed", cert.commitment is not None),
        ("algorithm", f"{cert.algorithm} (version {cert.algorithm_version})"),
    ]
    if not cert.draw_needed:
        return html_summary(
            f"Draw certificate{name} (no draw)",
            facts=facts[:1],
            notes=[cert.no_draw_reason or "no draw was needed"],
        )
    drawn = pd.DataFrame(
        {"position": range(1, len(cert.selected) + 1), "submission": list(cert.selected)}
    )
    return html_summary(
        f"Draw certificate{name}",
        facts=facts,
        blocks=[("Drawn, in draw order", drawn)],
        notes=[VERIFY_NOTE],
    )


def _quota(cert: QuotaDrawCertificate, name: str) -> str:
    drawn = pd.DataFrame({"submission": list(cert.selected)})
    return html_summary(
        f"Quota lottery certificate{name}",
        facts=[
            ("seed", cert.seed),
            ("entrants", len(cert.entrants)),
            ("funded outright", len(cert.funded)),
            ("places drawn", cert.places),
            ("panels allowed by the quotas", len(cert.panels)),
            ("panel drawn", cert.panel),
        ],
        blocks=[("The panel drawn", drawn)],
        notes=[VERIFY_NOTE],
    )
