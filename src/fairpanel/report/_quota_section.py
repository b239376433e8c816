"""The quota lottery's section: the smallest chance, chance by group, and the pick.

It reads :class:`~fairpanel.lottery.QuotaDrawCertificate` alone: the certificate holds
the entrants with their group values and exact chances, the quotas, those funded
outright and the panels, so the section needs no other file. "Shift" is how far the
quotas moved a group's average chance from a uniform lottery of the same places among
the same entrants (each ``places / entrants``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from fairpanel._words import words
from fairpanel.report._model import Section, Table
from fairpanel.report._text import pct

if TYPE_CHECKING:
    from fairpanel.lottery import QuotaDrawCertificate

__all__ = ["quota_section"]


def _chance(value: float) -> str:
    return f"{value:.4f}"


def _group_rows(cert: QuotaDrawCertificate, uniform: float) -> list[tuple[str, ...]]:
    chances = cert.chances
    drawn = set(cert.selected)
    rows: list[tuple[str, ...]] = []
    for attr in cert.quotas.attributes:
        values: dict[str, list[str]] = {}
        for e in cert.entrants:
            value = (e.get("groups") or {}).get(attr)
            values.setdefault("(no value)" if value is None else str(value), []).append(
                str(e["submission_id"])
            )
        funded = [str((f.get("groups") or {}).get(attr)) for f in cert.funded]
        for value, ids in sorted(values.items()):
            mean = sum(chances[s] for s in ids) / len(ids)
            rows.append(
                (
                    words(attr),
                    value,
                    str(len(ids)),
                    _chance(mean),
                    _chance(min(chances[s] for s in ids)),
                    f"{100 * (mean - uniform):+.1f} pp",
                    str(sum(s in drawn for s in ids) + funded.count(value)),
                )
            )
    return rows


def _quota_rows(cert: QuotaDrawCertificate) -> list[tuple[str, ...]]:
    groups = {str(e["submission_id"]): e.get("groups") or {} for e in cert.entrants}
    members = [groups[s] for s in cert.selected] + [f.get("groups") or {} for f in cert.funded]
    return [
        (
            f"{words(q.attribute)}: {q.value}",
            str(q.min),
            "none" if q.max is None else str(q.max),
            str(sum(m.get(q.attribute) == q.value for m in members)),
        )
        for q in cert.quotas.quotas
    ]


def quota_section(
    certificates: Sequence[QuotaDrawCertificate], *, individual: bool = True
) -> Section | None:
    """Show each quota lottery: its fairness, its cost to groups, and how to check it.

    Parameters
    ----------
    certificates : sequence of QuotaDrawCertificate
        The quota lotteries' certificates (none: no section).
    individual : bool, default True
        List the ids drawn; False counts them (a report that lists no applicant).

    Returns
    -------
    Section or None
    """
    if not certificates:
        return None
    paragraphs: list[str] = []
    tables: list[Table] = []
    for cert in certificates:
        n = len(cert.entrants)
        chances = cert.chances
        uniform = cert.places / n if n else 0.0
        smallest = min(chances.values(), default=0.0)
        unreachable = sum(v == 0 for v in chances.values())
        funded = f" after {len(cert.funded)} funded outright above the zone" if cert.funded else ""
        paragraphs.append(
            f"The quota lottery drew {cert.places} places among {n} entrants{funded}, "
            f"choosing one of {len(cert.panels)} panels that each meet every quota. The "
            "panels' probabilities maximise the smallest chance any entrant has: it is "
            f"{_chance(smallest)} (the optimum before rounding to multiples of 1/"
            f"{cert.grid:,} was {_chance(cert.lp_minimum)}), against {_chance(uniform)} for "
            "everyone in a uniform lottery without quotas."
            + (
                f" {unreachable} entrants sit on no panel that meets the quotas and have "
                "no chance."
                if unreachable
                else ""
            )
        )
        tables.append(
            Table(
                "Chance by group",
                (
                    "attribute",
                    "group",
                    "entrants",
                    "mean chance",
                    "smallest chance",
                    "shift from uniform",
                    "selected (drawn and funded)",
                ),
                tuple(_group_rows(cert, uniform)),
            )
        )
        tables.append(
            Table(
                "Quotas and the drawn panel",
                ("group", "min", "max", "selected (drawn and funded)"),
                tuple(_quota_rows(cert)),
            )
        )
        tables.append(
            Table(
                "The pick",
                ("field", "value"),
                (
                    ("algorithm", f"{cert.algorithm} (version {cert.algorithm_version})"),
                    ("seed", cert.seed),
                    ("commitment (SHA-256 of entrants, quotas, places)", cert.commitment),
                    ("distribution (SHA-256 of the panels)", cert.distribution),
                    ("panels", f"{len(cert.panels)}, probabilities in 1/{cert.grid:,}"),
                    ("ticket", f"{cert.ticket} of {cert.grid:,}"),
                    (
                        "drawn panel",
                        f"number {cert.panel} (probability {pct(cert.panels[cert.panel - 1][0] / cert.grid, 2)})",
                    ),
                    ("drawn", ", ".join(cert.selected))
                    if individual
                    else ("drawn", f"{len(cert.selected)} (the certificate file lists them)"),
                ),
            )
        )
    paragraphs.append(
        "The shift is a group's average chance minus the uniform lottery's: what the quotas "
        "give or take. Anyone can check the certificate with fairpanel verify-draw: every "
        "panel is checked against the quotas, every entrant's chance is re-added from the "
        "panels, and the ticket is recomputed from a SHA-256 hash of the seed and the "
        "distribution (docs/lottery.md)."
    )
    return Section("quota-lottery", "The quota lottery", tuple(paragraphs), tuple(tables))
