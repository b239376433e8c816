r"""Verifiable draws: the order depends only on the seed text, the ids and their weights.

The procedure (algorithm ``fairpanel-sha256-es``, version 2) is documented in
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

One rule for every weight configuration. Floating point enters only through the
logarithm. With equal weights, key order is exactly the order of the integers ``m`` from
largest to smallest (a larger ``m`` is a larger ``u``, a smaller ``-ln u``), so the code
sorts by ``-m`` without any floating point; with unequal weights, two keys closer than a
relative 1e-9 are compared exactly with integer arithmetic (``u_i**(b) > u_j**(a)`` for
rational weights), so no platform's last-bit rounding of ``log`` can change a draw.

Version 2 differs from version 1 (never published) in two points: version 1 ordered
equal-weight draws by ``m`` ascending, against steps 4-5; and its input checksum covered
the entrants only, where version 2's covers everything the outcome depends on (seed,
places, entrants and weights).
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

from fairpanel._json import SCHEMA_KEY, Node, check_schema, jsonable, stamp
from fairpanel._seed import Seed, seed_text
from fairpanel._version import __version__
from fairpanel.lottery._canonical import ALGORITHM, ALGORITHM_VERSION, canonical_weight
from fairpanel.lottery._commit import Commitment
from fairpanel.lottery._places import check_places
from fairpanel.lottery._view import describe_certificate

__all__ = [
    "ALGORITHM",
    "ALGORITHM_VERSION",
    "DrawCertificate",
    "DrawResult",
    "canonical_inputs",
    "canonical_weight",
    "draw",
    "draw_order",
    "entrant_uniform",
    "input_checksum",
]

#: Separator between seed and id (ASCII unit separator: never typed in an id by accident).
SEPARATOR: Final = "\x1f"
_TWO64: Final = 1 << 64
_NEAR_TIE: Final = 1e-9
_MAX_EXPONENT: Final = 10_000

ERR_EMPTY_ID = "submission ids must be non-empty text; got {value!r}"
ERR_DUPLICATE_ID = "submission id {value!r} appears more than once among the entrants"
ERR_WEIGHTS_LENGTH = "got {n_weights} weights for {n_entrants} entrants"
ERR_WEIGHT = "the weight of {sid!r} must be a finite number > 0; got {value!r}"
#: The certificate's JSON layout; no stamp is version 1, 2 added the no-draw fields and commitment.
SCHEMA_KIND: Final = "certificate"
SCHEMA_VERSION: Final = 2


def _check_id(sid: object) -> str:
    if not isinstance(sid, str) or sid == "":
        raise ValueError(ERR_EMPTY_ID.format(value=sid))
    return sid


def entrant_uniform(seed: Seed, submission_id: str) -> tuple[int, float]:
    r"""Return the 64-bit integer ``m`` and the uniform ``u`` of one entrant.

    Parameters
    ----------
    seed : int or str
        The seed of the draw; its text is :func:`fairpanel._seed.seed_text` (an
        integer's decimal digits, text as given).
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
    digest = hashlib.sha256(f"{seed_text(seed)}{SEPARATOR}{submission_id}".encode()).digest()
    m = int.from_bytes(digest[:8], "big")
    # Python's int / int is correctly rounded, so u is the same double everywhere.
    return m, (2 * m + 1) / (2 * _TWO64)


def canonical_inputs(entrants: Sequence[tuple[str, float]], *, places: int, seed: Seed) -> str:
    """Return the canonical JSON text of everything a draw's outcome depends on.

    A compact JSON object with keys in this order: ``seed`` (its text,
    :func:`fairpanel._seed.seed_text`), ``places``, ``entrants`` (the list
    ``[[id, weight], ...]`` sorted by id, integer-valued weights written as integers);
    UTF-8, non-ASCII characters unescaped.

    Parameters
    ----------
    entrants : sequence of (str, float)
        Each entrant's id and weight.
    places : int
        How many are drawn.
    seed : int or str
        The seed of the draw.

    Examples
    --------
    >>> canonical_inputs([("P-2", 1.0), ("P-1", 2.5)], places=1, seed="s")
    '{"seed":"s","places":1,"entrants":[["P-1",2.5],["P-2",1]]}'
    """
    rows = sorted(([sid, canonical_weight(w)] for sid, w in entrants), key=lambda r: str(r[0]))
    data = {"seed": seed_text(seed), "places": int(places), "entrants": rows}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def input_checksum(entrants: Sequence[tuple[str, float]], *, places: int, seed: Seed) -> str:
    """SHA-256 (hex) of the draw's canonical inputs (:func:`canonical_inputs`).

    It covers the seed, the number of places and every entrant with its weight, so a
    published checksum pins down the whole outcome.

    Parameters
    ----------
    entrants : sequence of (str, float)
        Each entrant's id and weight.
    places : int
        How many are drawn.
    seed : int or str
        The seed of the draw.
    """
    text = canonical_inputs(entrants, places=places, seed=seed)
    return hashlib.sha256(text.encode()).hexdigest()


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


def draw_order(seed: Seed, ids: Sequence[str], weights: npt.ArrayLike | None = None) -> list[str]:
    """Return ``ids`` in draw order (the verifiable order, without validation)."""
    seed = seed_text(seed)
    ms = []
    us = np.empty(len(ids))
    for i, sid in enumerate(ids):
        m, u = entrant_uniform(seed, sid)
        ms.append(m)
        us[i] = u
    if weights is None:
        # Equal weights: key -ln(u)/w ascending is u descending, i.e. m descending,
        # exactly (u = (2m + 1) / 2**65 is increasing in m); ties by id, as in step 5.
        return [sid for _, sid in sorted(zip((-m for m in ms), ids, strict=True))]
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
        SHA-256 of the canonical seed, places and entrants (see :func:`input_checksum`).
    result : tuple of str
        All entrants in draw order.
    algorithm, algorithm_version, package_version
        What produced it.
    context : mapping
        Informative: strategy, capacity, parameters.
    draw_needed, no_draw_reason : bool, str or None
        False, and why, when no draw was needed (no entrants, no places).
    commitment : Commitment or None
        The lottery zone as committed before the seed existed (``allocate --commit``).
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
    draw_needed: bool = True
    no_draw_reason: str | None = None
    commitment: Commitment | None = None

    def _repr_html_(self) -> str:
        return describe_certificate(self)

    @property
    def selected(self) -> tuple[str, ...]:
        """The ids drawn, in draw order."""
        return self.result[: self.places]

    def to_dict(self) -> dict[str, Any]:
        """Return the certificate as plain JSON data (schema ``fairpanel.certificate``)."""
        return {
            SCHEMA_KEY: stamp(SCHEMA_KIND, SCHEMA_VERSION),
            "algorithm": {"name": self.algorithm, "version": self.algorithm_version},
            "seed": self.seed,
            "places": self.places,
            "entrants": [
                {"submission_id": sid, "weight": canonical_weight(w)} for sid, w in self.entrants
            ],
            "input_checksum": {"sha256": self.input_checksum},
            "result": [
                {"draw_position": i + 1, "submission_id": sid, "drawn": i < self.places}
                for i, sid in enumerate(self.result)
            ],
            "package_version": self.package_version,
            "context": jsonable(dict(self.context)),
            "draw_needed": self.draw_needed,
            "no_draw_reason": self.no_draw_reason,
            "commitment": None if self.commitment is None else self.commitment.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DrawCertificate:
        """Read a certificate written by :meth:`to_dict` (or one without a schema stamp).

        Parameters
        ----------
        data : mapping
            The parsed JSON.

        Raises
        ------
        FairpanelInputError
            Naming the first field that is missing or of the wrong JSON type (a weight
            written as text, places as ``true``).
        """
        doc = Node(data)
        check_schema(doc, SCHEMA_KIND, SCHEMA_VERSION)
        algorithm = doc["algorithm"]
        entrants = tuple(
            (e["submission_id"].text(), e["weight"].number()) for e in doc["entrants"].elements()
        )
        context, commitment = doc.get("context"), doc.get("commitment")
        needed, reason = doc.get("draw_needed"), doc.get("no_draw_reason")
        return cls(
            seed=doc["seed"].text(),
            entrants=entrants,
            places=doc["places"].integer(),
            input_checksum=doc["input_checksum"]["sha256"].text(),
            result=tuple(r["submission_id"].text() for r in doc["result"].elements()),
            algorithm=algorithm["name"].text(),
            algorithm_version=algorithm["version"].integer(),
            package_version=str(doc.get("package_version").value or ""),
            context={} if context.is_null else dict(context.mapping()),
            draw_needed=True if needed.is_null else needed.boolean(),
            no_draw_reason=None if reason.is_null else reason.text(),
            commitment=None if commitment.is_null else Commitment.from_dict(commitment.mapping()),
        )


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
    seed: Seed,
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
    seed : int or str
        The seed, announced before the draw. The draw hashes its text
        (:func:`fairpanel._seed.seed_text`: an integer's decimal digits, text exactly as
        given); ``None`` or a numpy Generator is refused, since nobody could redo the draw.
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
    text = seed_text(seed)
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
    places = check_places(places, len(ids))
    equal = bool(np.all(w == w[0])) if w.size else True
    order = draw_order(text, ids, None if equal else w)
    pairs = tuple(sorted(zip(ids, (float(x) for x in w), strict=True)))
    cert = DrawCertificate(
        seed=text,
        entrants=pairs,
        places=int(places),
        input_checksum=input_checksum(pairs, places=int(places), seed=text),
        result=tuple(order),
        context=dict(context or {}),
    )
    return DrawResult(order=tuple(order), selected=tuple(order[:places]), certificate=cert)
