"""Which panel a certificate drew in, when panels drew each on its own.

``allocate --panel-col`` runs the strategy in each panel with the panel's places and a
seed derived from the published one; each panel's certificate names its panel in its
``context``, so the draw is checked against that panel's rows of the allocation and of
the scores alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final, TypeVar

if TYPE_CHECKING:
    from fairpanel.lottery._draw import DrawCertificate
    from fairpanel.lottery._quota_draw import QuotaDrawCertificate

__all__ = ["PANEL_CONTEXT", "certificate_panel", "of_panel", "with_panel"]

C = TypeVar("C", bound="DrawCertificate | QuotaDrawCertificate")

#: The key of a certificate's ``context`` naming the panel it drew in, when panels drew
#: each on its own (``allocate --panel-col``): ``{"column": ..., "name": ...}``.
PANEL_CONTEXT: Final = "panel"


def certificate_panel(context: Mapping[str, Any]) -> tuple[str, str] | None:
    """Return the (column, name) of the panel a certificate's ``context`` names, or None.

    A panel's draw is made from that panel's rows alone, so it is checked against them.

    Parameters
    ----------
    context : mapping
        A certificate's ``context``.

    Examples
    --------
    >>> certificate_panel({"panel": {"column": "section", "name": "one"}})
    ('section', 'one')
    >>> certificate_panel({"strategy": "lottery"}) is None
    True
    """
    panel = context.get(PANEL_CONTEXT)
    if isinstance(panel, Mapping) and isinstance(panel.get("column"), str):
        return str(panel["column"]), str(panel.get("name"))
    return None


def with_panel(certificate: C, column: str, name: str) -> C:
    """Return ``certificate`` with its ``context`` naming the panel it drew in.

    Parameters
    ----------
    certificate : DrawCertificate or QuotaDrawCertificate
        A panel's certificate.
    column, name : str
        The scores' panel column and the panel's name.
    """
    context = {**certificate.context, PANEL_CONTEXT: {"column": column, "name": name}}
    return replace(certificate, context=context)


def of_panel(context: Mapping[str, Any], allocation: str) -> str:
    """Name what a certificate is the draw of: ``"panel one of alloc.csv"`` or ``"alloc.csv"``.

    Parameters
    ----------
    context : mapping
        The certificate's ``context``.
    allocation : str
        The allocation's name as the reader sees it (a file name).

    Returns
    -------
    str

    Examples
    --------
    >>> of_panel({"panel": {"column": "section", "name": "one"}}, "alloc.csv")
    'panel one of alloc.csv'
    >>> of_panel({}, "alloc.csv")
    'alloc.csv'
    """
    panel = certificate_panel(context)
    return allocation if panel is None else f"panel {panel[1]} of {allocation}"
