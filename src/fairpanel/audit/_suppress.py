"""Small-cell suppression, with complementary suppression across linked tables.

A published count below the minimum cell size can identify people. Hiding it is not
enough when it can be recomputed: the counts of one attribute add up to the total, an
intersection's cells add up to the marginal tables, per-stratum cells add up to the
overall table, and each funnel stage's passers are the next stage's entrants. We model
every published count as a variable and every such sum as a *line*; whenever a line has
exactly one hidden cell, the smallest visible cell of that line is hidden too, until no
line has exactly one. Then no hidden cell is the only unknown of any published sum
(the attack a test in ``tests/test_audit_suppress.py`` carries out).

This is the classic "hypercube" heuristic of statistical agencies (Repsilber 1994;
Hundepool et al. 2012, *Statistical Disclosure Control*, §4.4): safe against
recomputation from single sums, not against an interval attack (an integer program over
all the sums and bounds). The audit runs it as the first step of
:class:`~fairpanel.audit._disclosure.Disclosure`, which then checks every hidden cell
against that attack and hides more until none is pinned (``solve(attack=False)`` runs
the heuristic alone).
"""

from __future__ import annotations

import numpy as np

# The default minimum cell is vocabulary (the CLI and the report use it too); it is
# imported here, not restated, and stays importable from this module.
from fairpanel._schema import DEFAULT_MIN_CELL

__all__ = ["DEFAULT_MIN_CELL", "defensive_hidden", "primary_hidden"]


def primary_hidden(n: np.ndarray, k: np.ndarray, min_cell: int) -> tuple[np.ndarray, np.ndarray]:
    """Cells to hide on their own: ``(hide applicants, hide selected)`` per group.

    The selected count (and with it the rate and every statistic derived from it) is
    hidden when the selected, the not selected or the applicants are fewer than
    ``min_cell``; the applicant count when it is itself below ``min_cell``.
    """
    hide_n = n < min_cell
    hide_k = hide_n | (k < min_cell) | ((n - k) < min_cell)
    return hide_n, hide_k


def defensive_hidden(
    n: np.ndarray,
    k: np.ndarray,
    min_cell: int,
    *,
    hidden: np.ndarray,
    k_known: np.ndarray | None = None,
) -> np.ndarray:
    """Rows of one attribute to withhold from display, whatever the input claims.

    Defence in depth for tables that reach a display or report from outside the audit
    (a result built by hand, a JSON made with a smaller minimum cell): rows already
    ``hidden``, rows failing :func:`primary_hidden` (the selected count only where
    ``k_known``), and, if that leaves exactly one row hidden, the smallest other row, so
    the hidden one cannot be recovered from the total.
    """
    hide_n, hide_k = primary_hidden(n, k, min_cell)
    known = np.ones(n.shape, dtype=bool) if k_known is None else k_known
    out: np.ndarray = np.asarray(hidden, dtype=bool) | hide_n | (hide_k & known)
    if out.sum() == 1 and (~out).any():
        visible = np.flatnonzero(~out)
        out[visible[np.argmin(n[visible])]] = True
    return out
