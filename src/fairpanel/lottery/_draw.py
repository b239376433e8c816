r"""Verifiable draws: the order depends only on the seed text, the ids and their weights.

The procedure (algorithm ``fairpanel-sha256-es``, version 1) is documented in
``docs/lottery.md`` so that an observer can re-derive a draw by hand:

1. For each entrant, ``digest = SHA-256(UTF-8(seed + "\\x1f" + submission_id))``.
2. ``m`` = the first 8 bytes of the digest read as an unsigned big-endian integer
   (64 bits, ``0 <= m < 2**64``).
3. ``u = (m + 0.5) / 2**64`` — a uniform number strictly inside (0, 1), rounded once
   to the nearest double (``(2 * m + 1) / 2**65`` with Python's correctly rounded integer
   division).
4. The entrant's key is ``-ln(u) / weight`` (Efraimidis & Spirakis 2006, algorithm A-ES,
   written with exponential keys: ordering ``u**(1/w)`` descending is the same as ordering
   ``-ln(u)/w`` ascending).
5. The draw order is the entrants sorted by key ascending, ties by ``submission_id``;
   the first ``places`` are drawn.

Floating point enters only through the logarithm. With equal weights the order is decided
by the integers ``m`` alone; with unequal weights, two keys closer than a relative 1e-9
are compared exactly with integer arithmetic (``u_i**(b) > u_j**(a)`` for rational
weights), so no platform's last-bit rounding of ``log`` can change a draw.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from fairpanel._errors import FairpanelInputError
from fairpanel._version import __version__

__all__ = [
    "ALGORITHM",
    "ALGORITHM_VERSION",
    "DrawCertificate",
    "DrawResult",
    "VerificationResult",
    "draw",
    "draw_order",
    "entrant_uniform",
    "input_checksum",
    "verify_certificate",
]

ALGORITHM: Final = "fairpanel-sha256-es"
ALGORITHM_VERSION: Final = 1
#: Separator between seed and id (ASCII unit separator: never typed in an id by accident).
SEPARATOR: Final = "\x1f"
_TWO64: Final = 1 << 64
_NEAR_TIE: Final = 1e-9
_MAX_EXPONENT: Final = 10_000

ERR_EMPTY_ID = "submission ids must be non-empty text; got {value!r}"
ERR_DUPLICATE_ID = "submission id {value!r} appears more than once among the entrants"
ERR_WEIGHTS_LENGTH = "got {n_weights} weights for {n_entrants} entrants"
ERR_WEIGHT = "the weight of {sid!r} must be a finite number > 0; got {value!r}"
ERR_PLACES = "places must be an integer between 0 and the number of entrants ({n}); got {value!r}"
ERR_CERT_FIELD = "the certificate lacks the field {name!r} or it has the wrong type"
ERR_CERT_ALGORITHM = "unknown draw algorithm {name!r} version {version!r}; expected {expected!r}"


def _check_id(sid: object) -> str:
    if not isinstance(sid, str) or sid == "":
        raise ValueError(ERR_EMPTY_ID.format(value=sid))
    return sid


def entrant_uniform(seed: str, submission_id: str) -> tuple[int, float]:
    r"""Return the 64-bit integer ``m`` and the uniform ``u`` of one entrant.

    Parameters
    ----------
    seed : str
        The seed text of the draw.
    submission_id : str
        The entrant's id.

    Returns
    -------
    m : int
        The first 8 bytes of ``SHA-256(seed + "\\x1f" + submission_id)``, big-endian.
    u : float
        ``(m + 0.5) / 2**64``, correctly rounded to the nearest double.

    Examples
    --------
    >>> m, u = entrant_uniform("2026-cycle-1", "P-001")
    >>> 0 < u < 1
    True
    """
    digest = hashlib.sha256(f"{seed}{SEPARATOR}{submission_id}".encode()).digest()
    m = int.from_bytes(digest[:8], "big")
    # Python's int / int is correctly rounded, so u is the same double everywhere.
    return m, (2 * m + 1) / (2 * _TWO64)


def _canonical_weight(w: float) -> int | float:
    return int(w) if float(w).is_integer() else float(w)


def _entrants_json(entrants: Sequence[tuple[str, float]]) -> str:
    rows = sorted(([sid, _canonical_weight(w)] for sid, w in entrants), key=lambda r: str(r[0]))
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def input_checksum(entrants: Sequence[tuple[str, float]]) -> str:
    """SHA-256 (hex) of the canonical entrants list.

    The canonical form is the compact JSON list ``[[id, weight], ...]`` sorted by id,
    UTF-8 without escaping, integer-valued weights written as integers.
    """
    return hashlib.sha256(_entrants_json(entrants).encode()).hexdigest()


def _exact_less(a: tuple[int, Fraction], b: tuple[int, Fraction]) -> int:
    """Compare exponential keys ``-ln(u)/w`` exactly; -1 if a's key is smaller."""
    (ma, wa), (mb, wb) = a, b
    # key_a < key_b  <=>  ln(u_a)/w_a > ln(u_b)/w_b  <=>  u_a**(qa*pb) > u_b**(qb*pa)
    # with w = p/q; u = (2m+1)/2**65, compared as integers after clearing 2**65.
    ea = wa.denominator * wb.numerator
    eb = wb.denominator * wa.numerator
    lhs = (2 * ma + 1) ** ea << (65 * eb)
    rhs = (2 * mb + 1) ** eb << (65 * ea)
    if lhs > rhs:
        return -1
    if lhs < rhs:
        return 1
    return 0


def _rational(w: float) -> Fraction | None:
    frac = Fraction(w).limit_denominator(1000)
    if float(frac) != w or frac.numerator * frac.denominator > _MAX_EXPONENT:
        return None
    return frac


def draw_order(seed: str, ids: Sequence[str], weights: npt.ArrayLike | None = None) -> list[str]:
    """Return ``ids`` in draw order (the verifiable order, without validation)."""
    ms = []
    us = np.empty(len(ids))
    for i, sid in enumerate(ids):
        m, u = entrant_uniform(seed, sid)
        ms.append(m)
        us[i] = u
    if weights is None:
        # Equal weights: the order is the order of the integers m, exactly.
        return [sid for _, sid in sorted(zip(ms, ids, strict=True))]
    w = np.asarray(weights, dtype=float)
    keys = -np.log(us) / w
    idx = sorted(range(len(ids)), key=lambda i: (keys[i], ids[i]))
    ordered_keys = keys[idx]
    gaps = np.diff(ordered_keys)
    scale = np.maximum(np.abs(ordered_keys[1:]), np.finfo(float).tiny)
    if not np.any(gaps <= _NEAR_TIE * scale):
        return [ids[i] for i in idx]
    rational = [_rational(float(x)) for x in w]

    def compare(i: int, j: int) -> int:
        ri, rj = rational[i], rational[j]
        near = abs(keys[i] - keys[j]) <= _NEAR_TIE * max(abs(keys[i]), abs(keys[j]))
        if near and ri is not None and rj is not None:
            exact = _exact_less((ms[i], ri), (ms[j], rj))
            if exact:
                return exact
        elif keys[i] != keys[j]:
            return -1 if keys[i] < keys[j] else 1
        return (ids[i] > ids[j]) - (ids[i] < ids[j])

    idx = sorted(range(len(ids)), key=functools.cmp_to_key(compare))
    return [ids[i] for i in idx]


@dataclass(frozen=True)
class DrawCertificate:
    """Everything needed to re-derive a draw: write it with :meth:`to_dict` as JSON.

    Attributes
    ----------
    seed : str
        The seed text.
    entrants : tuple of (str, float)
        Each entrant's ``submission_id`` and weight, sorted by id.
    places : int
        How many are drawn (the first ``places`` of ``result``).
    input_checksum : str
        SHA-256 of the canonical entrants list (see :func:`input_checksum`).
    result : tuple of str
        All entrants in draw order.
    algorithm, algorithm_version, package_version
        What produced it.
    """

    seed: str
    entrants: tuple[tuple[str, float], ...]
    places: int
    input_checksum: str
    result: tuple[str, ...]
    algorithm: str = ALGORITHM
    algorithm_version: int = ALGORITHM_VERSION
    package_version: str = __version__
    context: Mapping[str, Any] = field(default_factory=dict)

    @property
    def selected(self) -> tuple[str, ...]:
        """The ids drawn, in draw order."""
        return self.result[: self.places]

    def to_dict(self) -> dict[str, Any]:
        """Return the certificate as plain JSON data."""
        return {
            "algorithm": {"name": self.algorithm, "version": self.algorithm_version},
            "seed": self.seed,
            "places": self.places,
            "entrants": [
                {"submission_id": sid, "weight": _canonical_weight(w)} for sid, w in self.entrants
            ],
            "input_checksum": {"sha256": self.input_checksum},
            "result": [
                {"draw_position": i + 1, "submission_id": sid, "drawn": i < self.places}
                for i, sid in enumerate(self.result)
            ],
            "package_version": self.package_version,
            "context": dict(self.context),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DrawCertificate:
        """Read a certificate written by :meth:`to_dict` (raises on missing fields)."""
        try:
            algo = data["algorithm"]
            entrants = tuple(
                (str(e["submission_id"]), float(e["weight"])) for e in data["entrants"]
            )
            result = tuple(str(r["submission_id"]) for r in data["result"])
            return cls(
                seed=str(data["seed"]),
                entrants=entrants,
                places=int(data["places"]),
                input_checksum=str(data["input_checksum"]["sha256"]),
                result=result,
                algorithm=str(algo["name"]),
                algorithm_version=int(algo["version"]),
                package_version=str(data.get("package_version", "")),
                context=dict(data.get("context", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            name = exc.args[0] if isinstance(exc, KeyError) else type(exc).__name__
            raise FairpanelInputError(ERR_CERT_FIELD.format(name=name)) from None


@dataclass(frozen=True)
class DrawResult:
    """The outcome of :func:`draw`: the order, who was drawn, and the certificate."""

    order: tuple[str, ...]
    selected: tuple[str, ...]
    certificate: DrawCertificate


def draw(
    entrants: Sequence[str],
    weights: Sequence[float] | npt.ArrayLike | None = None,
    *,
    places: int,
    seed: str,
    context: Mapping[str, Any] | None = None,
) -> DrawResult:
    """Draw ``places`` of ``entrants`` (weighted, without replacement), verifiably.

    Parameters
    ----------
    entrants : sequence of str
        Unique submission ids. Their order does not matter.
    weights : sequence of float, optional
        Positive selection weights (default: all equal). An entrant with weight 2 is
        twice as likely as one with weight 1 to be drawn next.
    places : int
        How many to draw (0 to ``len(entrants)``).
    seed : str
        The seed text, announced before the draw.
    context : mapping, optional
        Informative fields copied into the certificate (strategy, capacity); not used
        by the draw.

    Returns
    -------
    DrawResult

    Examples
    --------
    >>> res = draw(["A", "B", "C"], places=1, seed="demo")
    >>> res.selected == res.order[:1]
    True
    """
    ids = [_check_id(s) for s in entrants]
    if len(set(ids)) != len(ids):
        dup = next(s for s in ids if ids.count(s) > 1)
        raise ValueError(ERR_DUPLICATE_ID.format(value=dup))
    if weights is None:
        w = np.ones(len(ids))
    else:
        w = np.asarray(weights, dtype=float).reshape(-1)
        if w.size != len(ids):
            raise ValueError(ERR_WEIGHTS_LENGTH.format(n_weights=w.size, n_entrants=len(ids)))
        bad = ~(np.isfinite(w) & (w > 0))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(ERR_WEIGHT.format(sid=ids[i], value=float(w[i])))
    if isinstance(places, bool) or not isinstance(places, int | np.integer):
        raise TypeError(ERR_PLACES.format(n=len(ids), value=places))
    if not 0 <= places <= len(ids):
        raise ValueError(ERR_PLACES.format(n=len(ids), value=places))
    equal = bool(np.all(w == w[0])) if w.size else True
    order = draw_order(str(seed), ids, None if equal else w)
    pairs = tuple(sorted(zip(ids, (float(x) for x in w), strict=True)))
    cert = DrawCertificate(
        seed=str(seed),
        entrants=pairs,
        places=int(places),
        input_checksum=input_checksum(pairs),
        result=tuple(order),
        context=dict(context or {}),
    )
    return DrawResult(order=tuple(order), selected=tuple(order[:places]), certificate=cert)


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
    """Recompute a draw from its certificate and compare every recorded field.

    Parameters
    ----------
    certificate : mapping or DrawCertificate
        As written by :meth:`DrawCertificate.to_dict` (the JSON file, parsed).

    Returns
    -------
    VerificationResult
        ``ok`` is True only if the algorithm is known, the checksum matches the
        entrants, and the recomputed order equals the recorded one.

    Examples
    --------
    >>> cert = draw(["A", "B", "C"], places=2, seed="demo").certificate
    >>> verify_certificate(cert.to_dict()).ok
    True
    """
    cert = (
        certificate
        if isinstance(certificate, DrawCertificate)
        else DrawCertificate.from_dict(certificate)
    )
    diffs: list[str] = []
    if cert.algorithm != ALGORITHM or cert.algorithm_version != ALGORITHM_VERSION:
        diffs.append(
            ERR_CERT_ALGORITHM.format(
                name=cert.algorithm,
                version=cert.algorithm_version,
                expected=f"{ALGORITHM} v{ALGORITHM_VERSION}",
            )
        )
        return VerificationResult(False, tuple(diffs))
    ids = [sid for sid, _ in cert.entrants]
    weights = [w for _, w in cert.entrants]
    checksum = input_checksum(cert.entrants)
    if checksum != cert.input_checksum:
        diffs.append(
            f"input checksum differs: recorded {cert.input_checksum[:12]}…, "
            f"entrants give {checksum[:12]}…"
        )
    try:
        fresh = draw(ids, weights, places=cert.places, seed=cert.seed)
    except ValueError as exc:
        diffs.append(f"the certificate cannot be redrawn: {exc}")
        return VerificationResult(False, tuple(diffs))
    if fresh.order != cert.result:
        if sorted(fresh.order) != sorted(cert.result):
            diffs.append("the result does not list the same submissions as the entrants")
        else:
            pos = next(
                i for i, (a, b) in enumerate(zip(fresh.order, cert.result, strict=True)) if a != b
            )
            diffs.append(
                f"draw position {pos + 1} differs: recorded {cert.result[pos]!r}, "
                f"recomputed {fresh.order[pos]!r}"
            )
    return VerificationResult(not diffs, tuple(diffs))
