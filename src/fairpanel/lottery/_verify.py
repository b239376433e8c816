"""Verify a draw certificate: recompute the draw and compare every field it records."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fairpanel.lottery._commit import commitment_differences
from fairpanel.lottery._draw import (
    ALGORITHM,
    ALGORITHM_VERSION,
    DrawCertificate,
    draw,
    input_checksum,
)
from fairpanel.lottery._quota_verify import is_panel_certificate, verify_quota_certificate

__all__ = ["VerificationResult", "verify_certificate"]

ERR_CERT_ALGORITHM = "unknown draw algorithm {name!r} version {version!r}; expected {expected!r}"
ERR_CERT_CHECKSUM = "input checksum differs: recorded {recorded}, the inputs give {computed}"
ERR_CERT_REDRAW = "the certificate cannot be redrawn: {problem}"
ERR_CERT_LENGTH = "the result lists {n_result} records for {n_entrants} entrants"
ERR_CERT_RECORD = (
    "draw position {i} ({sid!r}): {name} is recorded {recorded}, recomputed {computed}"
)
ERR_CERT_EXTRA = "draw position {i} ({sid!r}) has unexpected fields {names}"


@dataclass(frozen=True)
class VerificationResult:
    """Whether a certificate matches a fresh recomputation, and what differs if not."""

    ok: bool
    differences: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        """One line: ``"ok"`` or the first difference."""
        return "ok" if self.ok else self.differences[0]


def verify_certificate(certificate: Mapping[str, Any] | DrawCertificate) -> VerificationResult:
    """Recompute a draw from its certificate and compare every field the outcome shows.

    The draw is redone from the seed, the entrants, their weights and the number of
    places; the certificate matches only if the algorithm is known, the input checksum
    equals the one of those inputs (so ``places`` and the seed are covered too), and
    every result record -- ``draw_position``, ``submission_id`` and ``drawn`` -- equals
    the recomputed one, with no record missing or added; a certificate that embeds a
    commitment must draw exactly the committed zone, and the commitment's hash must be
    the hash of its content. ``context`` and ``package_version`` are informative and
    not compared. Whether the certificate belongs to a given allocation is
    :func:`fairpanel.lottery.allocation_differences`.

    Parameters
    ----------
    certificate : mapping or DrawCertificate
        As written by :meth:`DrawCertificate.to_dict` (the JSON file, parsed).

    Returns
    -------
    VerificationResult
        ``ok``, and every difference found (``reason`` is the first).

    Examples
    --------
    >>> cert = draw(["A", "B", "C"], places=2, seed="demo").certificate
    >>> verify_certificate(cert.to_dict()).ok
    True
    >>> tampered = cert.to_dict()
    >>> tampered["result"][2]["drawn"] = True
    >>> print(verify_certificate(tampered).reason)  # doctest: +ELLIPSIS
    draw position 3 (...): drawn is recorded true, recomputed false
    """
    data = certificate.to_dict() if isinstance(certificate, DrawCertificate) else certificate
    if is_panel_certificate(data):  # a quota lottery's panel draw has its own checks
        panel_diffs = verify_quota_certificate(data)
        return VerificationResult(not panel_diffs, panel_diffs)
    cert = DrawCertificate.from_dict(data)
    if cert.algorithm != ALGORITHM or cert.algorithm_version != ALGORITHM_VERSION:
        return VerificationResult(
            False,
            (
                ERR_CERT_ALGORITHM.format(
                    name=cert.algorithm,
                    version=cert.algorithm_version,
                    expected=f"{ALGORITHM} v{ALGORITHM_VERSION}",
                ),
            ),
        )
    diffs: list[str] = []
    checksum = input_checksum(cert.entrants, places=cert.places, seed=cert.seed)
    if checksum != cert.input_checksum:
        diffs.append(
            ERR_CERT_CHECKSUM.format(
                recorded=cert.input_checksum[:12] + "…", computed=checksum[:12] + "…"
            )
        )
    try:
        fresh = draw(
            [sid for sid, _ in cert.entrants],
            [w for _, w in cert.entrants],
            places=cert.places,
            seed=cert.seed,
        )
    except (TypeError, ValueError) as exc:
        diffs.append(ERR_CERT_REDRAW.format(problem=exc))
        return VerificationResult(False, tuple(diffs))
    diffs.extend(_record_differences(data["result"], fresh.certificate.to_dict()["result"]))
    if cert.commitment is not None:
        # The zone drawn must be the zone committed before the seed existed.
        diffs.extend(
            commitment_differences(
                cert.commitment,
                entrants=cert.entrants,
                places=cert.places,
                algorithm=cert.algorithm,
                algorithm_version=cert.algorithm_version,
            )
        )
    return VerificationResult(not diffs, tuple(diffs))


def _json_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _record_differences(
    recorded: Sequence[Mapping[str, Any]], expected: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Compare result records field by field, in list order (JSON values, exact types)."""
    diffs: list[str] = []
    if len(recorded) != len(expected):
        diffs.append(ERR_CERT_LENGTH.format(n_result=len(recorded), n_entrants=len(expected)))
    for i, (rec, exp) in enumerate(zip(recorded, expected, strict=False), start=1):
        sid = rec.get("submission_id")
        for name, want in exp.items():
            got = rec.get(name)
            # JSON equality: true is not 1, 2.0 is not a draw position.
            if type(got) is not type(want) or got != want:
                diffs.append(
                    ERR_CERT_RECORD.format(
                        i=i,
                        sid=sid,
                        name=name,
                        recorded="missing" if name not in rec else _json_text(got),
                        computed=_json_text(want),
                    )
                )
        extra = sorted(set(rec) - set(exp))
        if extra:
            diffs.append(ERR_CERT_EXTRA.format(i=i, sid=sid, names=extra))
    return diffs
