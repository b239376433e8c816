r"""Verifiable draws of one panel from a published distribution over feasible panels.

The procedure (algorithm ``fairpanel-sha256-panels``, version 1), documented in
``docs/lottery.md`` so that anyone can redo it by hand:

1. The distribution lists panels in canonical order (each panel's member ids sorted;
   panels sorted by those lists), each with a whole ``count``; the counts sum to the
   ``grid`` (10,000 by default), so panel ``j`` has probability ``count_j / grid``.
2. ``distribution = SHA-256`` (hex) of the compact JSON ``{"grid": G, "panels":
   [[count, [id, ...]], ...]}`` (UTF-8, keys in that order, non-ASCII unescaped).
3. ``digest = SHA-256(UTF-8(seed + "\x1f" + distribution))``; ``m`` = its first
   8 bytes, big-endian; ``ticket = floor(m * grid / 2**64)``, a whole number in
   ``[0, grid)`` (integer arithmetic, no floating point anywhere).
4. The drawn panel is the first whose running total of counts exceeds ``ticket``.

The seed text follows :func:`fairpanel._seed.seed_text`, as in the other draws. The
certificate also records what the distribution was computed from -- the entrants with
their group values and weights, those funded outright, the quotas and the places -- and
its ``commitment``, the SHA-256 of exactly that (no seed, no distribution), which can
be published before the seed exists. :func:`~fairpanel.lottery.verify_quota_certificate`
(:mod:`._quota_verify`) checks every panel against the quotas, every checksum, each
entrant's chance and the pick.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from fairpanel._json import SCHEMA_KEY, Node, check_schema, jsonable, stamp
from fairpanel._seed import Seed, seed_text
from fairpanel._version import __version__
from fairpanel.io._quotas import QuotaTable
from fairpanel.lottery._quota_grid import PanelDistribution
from fairpanel.lottery._view import describe_certificate

__all__ = [
    "QUOTA_ALGORITHM",
    "QUOTA_ALGORITHM_VERSION",
    "QuotaDrawCertificate",
    "commitment_checksum",
    "distribution_checksum",
    "draw_panel",
    "panel_ticket",
]

QUOTA_ALGORITHM: Final = "fairpanel-sha256-panels"
QUOTA_ALGORITHM_VERSION: Final = 1
SEPARATOR: Final = "\x1f"
SCHEMA_KIND: Final = "certificate"
SCHEMA_VERSION: Final = 1
_TWO64: Final = 1 << 64


def _canonical(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def distribution_checksum(grid: int, panels: Sequence[tuple[int, Sequence[str]]]) -> str:
    """SHA-256 (hex) of the distribution's canonical JSON (step 2 of the procedure).

    Parameters
    ----------
    grid : int
        The denominator of the panel probabilities.
    panels : sequence of (count, member ids)
        In canonical order.

    Examples
    --------
    >>> distribution_checksum(2, [(1, ["a"]), (1, ["b"])])[:12]
    '36fb27e72969'
    """
    rows = [[int(c), [str(s) for s in members]] for c, members in panels]
    return _sha(_canonical({"grid": int(grid), "panels": rows}))


def commitment_checksum(
    entrants: Sequence[Mapping[str, Any]],
    funded: Sequence[Mapping[str, Any]],
    quotas: QuotaTable,
    *,
    places: int,
) -> str:
    """SHA-256 (hex) of what the distribution is computed from, without the seed.

    The compact JSON ``{"algorithm", "version", "places", "quotas", "entrants",
    "funded"}`` (entrant records as in the certificate, sorted by id). Published before
    the seed is known, it pins down every input of the lottery.

    Parameters
    ----------
    entrants, funded : sequence of mapping
        ``{"submission_id", "weight", "groups"}`` records (``funded``: no weight).
    quotas : QuotaTable
        The quota rows and household keys.
    places : int
        Places drawn among the entrants.
    """
    data = {
        "algorithm": QUOTA_ALGORITHM,
        "version": QUOTA_ALGORITHM_VERSION,
        "places": int(places),
        "quotas": quotas.to_dict(),
        "entrants": sorted(entrants, key=lambda e: str(e["submission_id"])),
        "funded": sorted(funded, key=lambda e: str(e["submission_id"])),
    }
    return _sha(_canonical(jsonable(data)))


def panel_ticket(seed: Seed, distribution: str, grid: int) -> int:
    """Return the ticket in ``[0, grid)`` of step 3.

    Parameters
    ----------
    seed : int or str
        The published seed.
    distribution : str
        The distribution checksum (:func:`distribution_checksum`).
    grid : int
        The denominator.

    Examples
    --------
    >>> 0 <= panel_ticket("2026", "ab" * 32, 10_000) < 10_000
    True
    """
    digest = hashlib.sha256(f"{seed_text(seed)}{SEPARATOR}{distribution}".encode()).digest()
    return int.from_bytes(digest[:8], "big") * int(grid) // _TWO64


def _pick(counts: Sequence[int], ticket: int) -> int:
    return int(np.searchsorted(np.cumsum(counts), ticket, side="right"))


@dataclass(frozen=True)
class QuotaDrawCertificate:
    """Everything needed to check a quota lottery and redo its draw.

    Attributes
    ----------
    seed : str
    places : int
        Places drawn among the entrants (those funded outright are extra).
    quotas : QuotaTable
    entrants : tuple of dict
        ``{"submission_id", "weight", "groups": {column: value}, "chance_count"}``,
        sorted by id; ``chance_count`` is the entrant's chance times the grid.
    funded : tuple of dict
        ``{"submission_id", "groups"}`` of those funded outright above the zone.
    grid : int
    panels : tuple of (int, tuple of str)
        Each panel's count and member ids, in canonical order.
    lp_minimum : float
        The LP's optimal minimum of chance / weight before rounding (informative).
    commitment, distribution : str
        The two checksums.
    ticket, panel : int
        The pick: the ticket and the drawn panel's 1-based position.
    """

    seed: str
    places: int
    quotas: QuotaTable
    entrants: tuple[Mapping[str, Any], ...]
    funded: tuple[Mapping[str, Any], ...]
    grid: int
    panels: tuple[tuple[int, tuple[str, ...]], ...]
    lp_minimum: float
    commitment: str
    distribution: str
    ticket: int
    panel: int
    algorithm: str = QUOTA_ALGORITHM
    algorithm_version: int = QUOTA_ALGORITHM_VERSION
    package_version: str = __version__
    context: Mapping[str, Any] = field(default_factory=dict)

    def _repr_html_(self) -> str:
        return describe_certificate(self)

    @property
    def selected(self) -> tuple[str, ...]:
        """The ids on the drawn panel, sorted."""
        return self.panels[self.panel - 1][1]

    @property
    def chances(self) -> dict[str, float]:
        """Each entrant's chance of being drawn (``chance_count / grid``)."""
        return {str(e["submission_id"]): e["chance_count"] / self.grid for e in self.entrants}

    def to_dict(self) -> dict[str, Any]:
        """Return the certificate as plain JSON data (schema ``fairpanel.certificate``)."""
        return {
            SCHEMA_KEY: stamp(SCHEMA_KIND, SCHEMA_VERSION),
            "algorithm": {"name": self.algorithm, "version": self.algorithm_version},
            "seed": self.seed,
            "places": self.places,
            "quotas": self.quotas.to_dict(),
            "entrants": jsonable([dict(e) for e in self.entrants]),
            "funded": jsonable([dict(e) for e in self.funded]),
            "commitment": {"sha256": self.commitment},
            "distribution": {
                "sha256": self.distribution,
                "grid": self.grid,
                "lp_minimum": self.lp_minimum,
                "panels": [
                    {"panel": j, "count": c, "members": list(m)}
                    for j, (c, m) in enumerate(self.panels, start=1)
                ],
            },
            "pick": {"ticket": self.ticket, "panel": self.panel},
            "result": list(self.selected),
            "package_version": self.package_version,
            "context": jsonable(dict(self.context)),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QuotaDrawCertificate:
        """Read a certificate written by :meth:`to_dict`.

        Parameters
        ----------
        data : mapping
            The parsed JSON.

        Raises
        ------
        FairpanelInputError
            Naming the first field that is missing or of the wrong type.
        """
        doc = Node(data)
        check_schema(doc, SCHEMA_KIND, SCHEMA_VERSION)
        dist = doc["distribution"]
        context = doc.get("context")
        return cls(
            seed=doc["seed"].text(),
            places=doc["places"].integer(),
            quotas=QuotaTable.from_dict(doc["quotas"].mapping()),
            entrants=tuple(dict(e.mapping()) for e in doc["entrants"].elements()),
            funded=tuple(dict(e.mapping()) for e in doc["funded"].elements()),
            grid=dist["grid"].integer(),
            panels=tuple(
                (p["count"].integer(), tuple(p["members"].texts()))
                for p in dist["panels"].elements()
            ),
            lp_minimum=dist["lp_minimum"].number(),
            commitment=doc["commitment"]["sha256"].text(),
            distribution=dist["sha256"].text(),
            ticket=doc["pick"]["ticket"].integer(),
            panel=doc["pick"]["panel"].integer(),
            algorithm=doc["algorithm"]["name"].text(),
            algorithm_version=doc["algorithm"]["version"].integer(),
            package_version=str(doc.get("package_version").value or ""),
            context={} if context.is_null else dict(context.mapping()),
        )


def _groups(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    cells = {c: frame[c].tolist() for c in columns}
    return [
        {c: None if pd.isna(cells[c][i]) else str(cells[c][i]).strip() for c in columns}
        for i in range(len(frame))
    ]


def draw_panel(
    distribution: PanelDistribution,
    entrants: pd.DataFrame,
    quotas: QuotaTable,
    *,
    places: int,
    seed: Seed,
    funded: pd.DataFrame | None = None,
    context: Mapping[str, Any] | None = None,
) -> QuotaDrawCertificate:
    """Draw one panel from a distribution, verifiably, and certify it.

    Parameters
    ----------
    distribution : PanelDistribution
        From :func:`~fairpanel.lottery.maximin_distribution`.
    entrants : DataFrame
        The zone: ``submission_id`` and the quota columns (the ids of the distribution).
    quotas : QuotaTable
        The quotas the panels satisfy.
    places : int
        Places drawn among the entrants.
    seed : int or str
        The published seed.
    funded : DataFrame, optional
        Those funded outright above the zone, with the quota columns.
    context : mapping, optional
        Informative fields copied into the certificate.

    Returns
    -------
    QuotaDrawCertificate
    """
    cols = list(quotas.columns)
    frame = entrants.sort_values("submission_id", kind="stable")
    ids = [str(s) for s in frame["submission_id"]]
    counts = distribution.marginal_counts
    weights = distribution.weights
    recs = [
        {"submission_id": sid, "weight": float(w), "groups": g, "chance_count": int(c)}
        for sid, w, g, c in zip(ids, weights, _groups(frame, cols), counts, strict=True)
    ]
    fund = entrants.iloc[:0] if funded is None else funded.sort_values("submission_id")
    fund_recs = [
        {"submission_id": str(s), "groups": g}
        for s, g in zip(fund["submission_id"], _groups(fund, cols), strict=True)
    ]
    panels = tuple(
        (c, tuple(distribution.ids[i] for i in members))
        for members, c in zip(distribution.panels, distribution.counts, strict=True)
    )
    dist = distribution_checksum(distribution.grid, panels)
    ticket = panel_ticket(seed, dist, distribution.grid)
    commit = commitment_checksum(
        [{k: r[k] for k in ("submission_id", "weight", "groups")} for r in recs],
        fund_recs,
        quotas,
        places=places,
    )
    return QuotaDrawCertificate(
        seed=seed_text(seed),
        places=int(places),
        quotas=quotas,
        entrants=tuple(recs),
        funded=tuple(fund_recs),
        grid=distribution.grid,
        panels=panels,
        lp_minimum=distribution.lp_minimum,
        commitment=commit,
        distribution=dist,
        ticket=ticket,
        panel=_pick([c for c, _ in panels], ticket) + 1,
        context=dict(context or {}),
    )
