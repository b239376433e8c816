"""Check a quota lottery's certificate: every panel, every chance, both checksums, the pick.

The procedure the certificate follows is :mod:`._quota_draw`'s; this module redoes each
step from the certificate alone and lists every difference, as
:func:`~fairpanel.lottery.verify_certificate` does for a weighted draw (which hands quota
certificates here, by their algorithm name).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from fairpanel._json import Node
from fairpanel.lottery._draw import DrawCertificate
from fairpanel.lottery._quota_draw import (
    QUOTA_ALGORITHM,
    QUOTA_ALGORITHM_VERSION,
    QuotaDrawCertificate,
    _pick,
    commitment_checksum,
    distribution_checksum,
    panel_ticket,
)
from fairpanel.lottery._quota_problem import QuotaProblem

__all__ = [
    "ERR_Q_ALGORITHM",
    "ERR_Q_CHANCE",
    "ERR_Q_CHECKSUM",
    "ERR_Q_COUNT",
    "ERR_Q_GRID",
    "ERR_Q_MEMBER",
    "ERR_Q_ORDER",
    "ERR_Q_PICK",
    "ERR_Q_QUOTA",
    "ERR_Q_SIZE",
    "certificate_from_dict",
    "is_panel_certificate",
    "verify_quota_certificate",
]

ERR_Q_ALGORITHM = (
    "unknown panel-draw algorithm {name!r} version {version!r}; expected {expected!r}"
)
ERR_Q_GRID = "the panel counts sum to {total}, not to the grid {grid}"
ERR_Q_COUNT = "panel {j}: count {count!r} is not a whole number >= 1"
ERR_Q_SIZE = "panel {j} has {size} members, not {places}"
ERR_Q_MEMBER = "panel {j} names {sid!r}, who is not an entrant (or appears twice)"
ERR_Q_QUOTA = "panel {j} breaks the quota {bound}"
ERR_Q_ORDER = "the panels are not in canonical order (panel {j})"
ERR_Q_CHECKSUM = "{what} checksum differs: recorded {recorded}, the certificate gives {computed}"
ERR_Q_CHANCE = "{sid!r}: chance recorded {recorded}, the panels give {computed} (of {grid})"
ERR_Q_PICK = "{what} is recorded {recorded}, recomputed {computed}"


def _frame(records: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    data: dict[str, list[Any]] = {"submission_id": [str(r["submission_id"]) for r in records]}
    for c in columns:
        data[c] = [(r.get("groups") or {}).get(c) for r in records]
    return pd.DataFrame(data, dtype="string") if records else pd.DataFrame(columns=list(data))


def verify_quota_certificate(data: Mapping[str, Any]) -> tuple[str, ...]:
    """Check a quota-lottery certificate; return every difference found (empty: it matches).

    Checks: the algorithm; whole positive counts summing to the grid, in canonical order;
    each panel has ``places`` distinct entrants and satisfies every quota (those funded
    outright counted first) and household key; both checksums; each entrant's
    ``chance_count``; the ticket, the drawn panel and the result. The distribution's
    optimality is not re-solved: any distribution over feasible panels passes.

    Parameters
    ----------
    data : mapping
        The certificate's JSON, parsed.
    """
    cert = QuotaDrawCertificate.from_dict(data)
    if (cert.algorithm, cert.algorithm_version) != (QUOTA_ALGORITHM, QUOTA_ALGORITHM_VERSION):
        return (
            ERR_Q_ALGORITHM.format(
                name=cert.algorithm,
                version=cert.algorithm_version,
                expected=f"{QUOTA_ALGORITHM} v{QUOTA_ALGORITHM_VERSION}",
            ),
        )
    diffs: list[str] = []
    cols = list(cert.quotas.columns)
    zone = _frame(cert.entrants, cols)
    problem = QuotaProblem.build(
        zone, cert.quotas, places=cert.places, funded=_frame(cert.funded, cols)
    )
    position = {sid: i for i, sid in enumerate(problem.ids)}
    chance = dict.fromkeys(problem.ids, 0)
    keys = []
    for j, (count, members) in enumerate(cert.panels, start=1):
        if count < 1:
            diffs.append(ERR_Q_COUNT.format(j=j, count=count))
        if len(members) != cert.places:
            diffs.append(ERR_Q_SIZE.format(j=j, size=len(members), places=cert.places))
        x = np.zeros(problem.n, dtype=np.int64)
        for sid in members:
            if sid not in position or x[position[sid]]:
                diffs.append(ERR_Q_MEMBER.format(j=j, sid=sid))
                continue
            x[position[sid]] = 1
            chance[sid] += count
        for b in problem.bounds:
            if not b.lo <= int(x[b.members].sum()) <= b.hi:
                diffs.append(ERR_Q_QUOTA.format(j=j, bound=b.label))
        keys.append(sorted(members))
        if list(members) != sorted(members) or (j > 1 and keys[-2] >= keys[-1]):
            diffs.append(ERR_Q_ORDER.format(j=j))
    total = sum(c for c, _ in cert.panels)
    if total != cert.grid:
        diffs.append(ERR_Q_GRID.format(total=total, grid=cert.grid))
    for e in cert.entrants:
        sid = str(e["submission_id"])
        if e.get("chance_count") != chance.get(sid):
            diffs.append(
                ERR_Q_CHANCE.format(
                    sid=sid,
                    recorded=e.get("chance_count"),
                    computed=chance.get(sid),
                    grid=cert.grid,
                )
            )
    commit = commitment_checksum(
        [{k: e.get(k) for k in ("submission_id", "weight", "groups")} for e in cert.entrants],
        [dict(f) for f in cert.funded],
        cert.quotas,
        places=cert.places,
    )
    dist = distribution_checksum(cert.grid, cert.panels)
    for what, recorded, computed in (
        ("commitment", cert.commitment, commit),
        ("distribution", cert.distribution, dist),
    ):
        if recorded != computed:
            diffs.append(
                ERR_Q_CHECKSUM.format(
                    what=what, recorded=recorded[:12] + "…", computed=computed[:12] + "…"
                )
            )
    ticket = panel_ticket(cert.seed, dist, cert.grid)
    panel = _pick([c for c, _ in cert.panels], ticket) + 1
    result = list(cert.panels[panel - 1][1]) if panel <= len(cert.panels) else []
    picks: tuple[tuple[str, object, object], ...] = (
        ("the ticket", cert.ticket, ticket),
        ("the drawn panel", cert.panel, panel),
        ("the result", list(Node(data)["result"].texts()), result),
    )
    for name, was, now in picks:
        if was != now:
            diffs.append(ERR_Q_PICK.format(what=name, recorded=was, computed=now))
    return tuple(diffs)


def is_panel_certificate(data: Mapping[str, Any]) -> bool:
    """Whether parsed certificate JSON is a quota lottery's (by its algorithm name).

    Parameters
    ----------
    data : mapping
        The certificate's JSON, parsed.
    """
    algorithm = data.get("algorithm")
    return isinstance(algorithm, Mapping) and algorithm.get("name") == QUOTA_ALGORITHM


def certificate_from_dict(data: Mapping[str, Any]) -> DrawCertificate | QuotaDrawCertificate:
    """Read any draw certificate: a quota lottery's or a weighted draw's, by its algorithm.

    Parameters
    ----------
    data : mapping
        The certificate's JSON, parsed.
    """
    if is_panel_certificate(data):
        return QuotaDrawCertificate.from_dict(data)
    return DrawCertificate.from_dict(data)
