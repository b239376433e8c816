"""A certificate belongs to one allocation: no stale, foreign or trimmed certificate passes.

:func:`verify_certificate` checks that a certificate is consistent with itself. That is
not enough: a certificate from another run, an old one left beside a new allocation, or
one with an entrant removed and its checksum recomputed are all self-consistent. Here a
certificate is compared with the allocation it claims to belong to: the lottery tier's
ids and weights are its entrants, the submissions selected in that tier are the ones it
drew, and an allocation that drew nothing has a certificate that says so
(:func:`no_draw_certificate`). :func:`check_work` bounds a certificate's work before it
is redrawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from fairpanel._seed import Seed, seed_text
from fairpanel.lottery._draw import DrawCertificate, input_checksum
from fairpanel.lottery._probability import MAX_WEIGHT_RATIO

__all__ = [
    "ERR_TOO_MANY_ENTRANTS",
    "ERR_WEIGHT_RATIO",
    "MAX_CERTIFICATE_ENTRANTS",
    "allocation_differences",
    "check_work",
    "explain_no_draw",
    "no_draw_certificate",
]

#: A certificate lists at most this many entrants (the largest panels have thousands).
MAX_CERTIFICATE_ENTRANTS: Final = 1_000_000
ERR_TOO_MANY_ENTRANTS = "the certificate lists {n} entrants; at most {limit} can be verified"
ERR_WEIGHT_RATIO = (
    "the largest weight is {ratio:.3g} times the smallest; certificates with weight ratios "
    "above {limit:g} (the bound allocate uses) are not verified"
)
ERR_NOT_A_CERTIFICATE = "not a draw certificate: {problem}"

NO_DRAW_FEWER = (
    "no draw was needed: {funded} submission{s} competed for {places} places "
    "(the quality bar and eligibility left fewer than the places), so all were funded"
)
NO_DRAW_COVERED = (
    "no draw was needed: the {places} places were filled in rank order, with no tie or "
    "lottery zone across the funding line"
)
NO_DRAW_BUDGET = (
    "no draw was needed: no two submissions shared a priority block, so the budget was "
    "filled in rank order"
)

ERR_ALLOC_ENTRANTS = (
    "the entrants are not the allocation's lottery tier: {missing} in the lottery tier but "
    "not in the certificate, {extra} in the certificate but not in the lottery tier "
    "(first: {first})"
)
ERR_ALLOC_WEIGHT = "{sid!r} has weight {cert} in the certificate and {alloc} in the allocation"
ERR_ALLOC_DRAWN = (
    "the drawn submissions are not the ones the allocation selected by lot: {first} is {how}"
)
ERR_ALLOC_ORDER = (
    "draw position {i} is {cert!r} in the certificate and {alloc!r} in the allocation"
)
ERR_ALLOC_NO_DRAW = (
    "the certificate says no draw was needed, but the allocation has {n} submissions in "
    "its lottery tier"
)
ERR_ALLOC_DREW = "the certificate records a draw among {n}, but the allocation drew nothing"


def check_work(data: Mapping[str, Any]) -> str | None:
    """Return why a certificate is too much work to verify, or None if it is bounded.

    Checked before any redraw: the number of entrants, and the ratio of the largest to
    the smallest weight (exact tie-breaking with extreme ratios takes minutes).

    Parameters
    ----------
    data : mapping
        The certificate's JSON.

    Examples
    --------
    >>> check_work({"entrants": [{"weight": 0.001}, {"weight": 1000}]})  # doctest: +ELLIPSIS
    'the largest weight is 1e+06 times the smallest; ...'
    """
    entrants = data.get("entrants")
    if not isinstance(entrants, list):
        return None  # the reader names the field
    if len(entrants) > MAX_CERTIFICATE_ENTRANTS:
        return ERR_TOO_MANY_ENTRANTS.format(n=len(entrants), limit=MAX_CERTIFICATE_ENTRANTS)
    weights = [
        float(e["weight"])
        for e in entrants
        if isinstance(e, Mapping)
        and isinstance(e.get("weight"), int | float)
        and not isinstance(e.get("weight"), bool)
        and e["weight"] > 0
    ]
    if weights and max(weights) > MAX_WEIGHT_RATIO * min(weights):
        ratio = max(weights) / min(weights)
        return ERR_WEIGHT_RATIO.format(ratio=ratio, limit=MAX_WEIGHT_RATIO)
    return None


def explain_no_draw(*, funded: int, places: int | None) -> str:
    """Say in one sentence why an allocation needed no draw.

    Parameters
    ----------
    funded : int
        How many were funded.
    places : int or None
        The number of places; None under a budget.

    Examples
    --------
    >>> explain_no_draw(funded=107, places=114)  # doctest: +ELLIPSIS
    'no draw was needed: 107 submissions competed for 114 places (the quality bar ...'
    """
    if places is None:
        return NO_DRAW_BUDGET
    if funded < places:
        return NO_DRAW_FEWER.format(funded=funded, places=places, s="" if funded == 1 else "s")
    return NO_DRAW_COVERED.format(places=places)


def no_draw_certificate(
    *, seed: Seed, reason: str, context: Mapping[str, Any] | None = None
) -> DrawCertificate:
    """Return the certificate of an allocation that needed no draw.

    No entrants, no places, ``draw_needed`` false and the reason; it verifies like any
    certificate, and replaces any certificate an earlier run left at the same path.

    Parameters
    ----------
    seed : int or str
        The allocation's seed.
    reason : str
        Why no draw was needed (:func:`explain_no_draw`).
    context : mapping, optional
        Informative fields (strategy, capacity).

    Examples
    --------
    >>> cert = no_draw_certificate(seed="s", reason="no draw was needed")
    >>> cert.draw_needed, cert.entrants, cert.places
    (False, (), 0)
    """
    text = seed_text(seed)
    return DrawCertificate(
        seed=text,
        entrants=(),
        places=0,
        input_checksum=input_checksum((), places=0, seed=text),
        result=(),
        context=dict(context or {}),
        draw_needed=False,
        no_draw_reason=reason,
    )


def allocation_differences(
    cert: DrawCertificate,
    *,
    lottery: Mapping[str, float],
    selected_by_lot: Sequence[str],
    draw_order: Sequence[str] | None = None,
) -> list[str]:
    """Compare a certificate with an allocation's lottery tier; one line per difference.

    Parameters
    ----------
    cert : DrawCertificate
        The certificate.
    lottery : mapping of str to float
        The allocation's lottery-tier ids and their weights.
    selected_by_lot : sequence of str
        The lottery-tier ids the allocation selected.
    draw_order : sequence of str, optional
        The lottery-tier ids by the allocation's ``draw_position``.

    Returns
    -------
    list of str
        Empty when the certificate is the allocation's.
    """
    if not cert.draw_needed or not cert.entrants:
        return [ERR_ALLOC_NO_DRAW.format(n=len(lottery))] if lottery else []
    if not lottery:
        return [ERR_ALLOC_DREW.format(n=len(cert.entrants))]
    diffs: list[str] = []
    entrants = dict(cert.entrants)
    missing = sorted(set(lottery) - set(entrants))
    extra = sorted(set(entrants) - set(lottery))
    if missing or extra:
        diffs.append(
            ERR_ALLOC_ENTRANTS.format(
                missing=len(missing), extra=len(extra), first=(missing or extra)[0]
            )
        )
    for sid in sorted(set(lottery) & set(entrants)):
        if abs(float(lottery[sid]) - float(entrants[sid])) > 1e-12 * max(1.0, entrants[sid]):
            diffs.append(ERR_ALLOC_WEIGHT.format(sid=sid, cert=entrants[sid], alloc=lottery[sid]))
            break
    if diffs:
        return diffs
    if draw_order is not None and tuple(draw_order) != cert.result:
        i = next(
            i for i, (a, b) in enumerate(zip(draw_order, cert.result, strict=False)) if a != b
        )
        diffs.append(ERR_ALLOC_ORDER.format(i=i + 1, cert=cert.result[i], alloc=draw_order[i]))
    drawn, chosen = set(cert.selected), set(selected_by_lot)
    # Under a budget every entrant is placed in draw order and the budget decides.
    if cert.places < len(cert.entrants) and drawn != chosen:
        first = min(drawn ^ chosen)
        how = (
            "drawn in the certificate but not selected in the allocation"
            if first in drawn
            else "selected in the allocation but not drawn in the certificate"
        )
        diffs.append(ERR_ALLOC_DRAWN.format(first=repr(first), how=how))
    return diffs
