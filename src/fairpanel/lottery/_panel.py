"""Which panel a certificate drew in, when panels drew each on its own.

``allocate --panel-col`` runs the strategy in each panel with the panel's places and a
seed derived from the published one; each panel's certificate names its panel in its
``context``, so the draw is checked against that panel's rows of the allocation and of
the scores alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = ["PANEL_CONTEXT", "certificate_panel"]

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
