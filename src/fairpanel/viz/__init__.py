"""Display: charts and notebook HTML blocks drawn from tidy frames.

The layer every result type draws itself with (``_repr_html_``) and the report builds
its charts with. It knows tidy frames and the plain :class:`Chart` / :class:`Table`
data only, never a result type, so that results sit above it and the report above them.

The chart builders load Altair and vl-convert, which take a noticeable share of a second
to import: they are imported on first use of their names (SPEC 1), so that a result's
module, or a command that draws nothing, does not pay for them.
"""

import importlib
from typing import TYPE_CHECKING, Any

from fairpanel.viz._display import (
    MAX_ROWS,
    MISSING,
    SUPPRESSED,
    Block,
    format_cell,
    html_chart,
    html_summary,
    html_table,
    mask_rows,
    svg_is_safe,
)
from fairpanel.viz._model import Chart, Table

if TYPE_CHECKING:
    # The same names as the lazy table below, for type checkers and IDEs.
    from fairpanel.viz._charts import (
        funnel_chart,
        probability_by_rank_chart,
        probability_vs_merit_chart,
        rate_by_group_chart,
        sweep_grid_chart,
        sweep_heatmap,
    )
    from fairpanel.viz._ranking import caterpillar_chart

__all__ = [
    "MAX_ROWS",
    "MISSING",
    "SUPPRESSED",
    "Block",
    "Chart",
    "Table",
    "caterpillar_chart",
    "format_cell",
    "funnel_chart",
    "html_chart",
    "html_summary",
    "html_table",
    "mask_rows",
    "probability_by_rank_chart",
    "probability_vs_merit_chart",
    "rate_by_group_chart",
    "svg_is_safe",
    "sweep_grid_chart",
    "sweep_heatmap",
]

#: Names whose module imports Altair, resolved on first access.
_LAZY: dict[str, str] = {
    "caterpillar_chart": "fairpanel.viz._ranking",
    "funnel_chart": "fairpanel.viz._charts",
    "probability_by_rank_chart": "fairpanel.viz._charts",
    "probability_vs_merit_chart": "fairpanel.viz._charts",
    "rate_by_group_chart": "fairpanel.viz._charts",
    "sweep_grid_chart": "fairpanel.viz._charts",
    "sweep_heatmap": "fairpanel.viz._charts",
}


def __getattr__(name: str) -> Any:
    """Import the chart module on first access to one of its builders, then cache it."""
    try:
        module_name = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)
