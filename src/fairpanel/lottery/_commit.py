"""Commit, then reveal: the lottery zone is fixed and published before the seed exists.

A draw's keys are SHA-256(seed, id): whoever knows the seed and the entrants knows the
winners. If the seed were known while the zone could still move, a chair could move a
borderline submission in or out knowing the result. So the committee first publishes a
*commitment*: the SHA-256 of the canonical text of everything the draw will depend on
except the seed -- the algorithm, the number of places, every entrant with its weight,
and the SHA-256 of each input file the zone was computed from. The seed is then a public
value that becomes known only later (a national lottery's numbers on a named date, a
public randomness beacon's round by number). The certificate embeds the commitment, so
anyone can check that the zone drawn is the zone committed.

The canonical text (what ``sha256`` hashes) is compact JSON, keys in this order::

    {"algorithm":{"name":"fairpanel-sha256-es","version":2},"places":P,
     "entrants":[[id,weight],...],"inputs":[[role,sha256],...]}

entrants sorted by id and inputs by role, integer-valued weights written as integers,
UTF-8 without escapes (the same conventions as the draw's input checksum).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from fairpanel._json import SCHEMA_KEY, Node, check_schema, stamp
from fairpanel.lottery._canonical import ALGORITHM, ALGORITHM_VERSION, canonical_weight

__all__ = [
    "COMMITMENT_KIND",
    "COMMITMENT_VERSION",
    "Commitment",
    "commitment_differences",
]

COMMITMENT_KIND: Final = "commitment"
COMMITMENT_VERSION: Final = 1

ERR_COMMIT_HASH = (
    "the commitment's recorded SHA-256 {recorded} is not the SHA-256 of its content {computed}"
)
ERR_COMMIT_FIELD = "{name} differs from the commitment: committed {committed}, drawn {drawn}"
ERR_COMMIT_ENTRANTS = (
    "the entrants differ from the commitment: {missing} missing, {added} added, "
    "{reweighted} with another weight (first: {first})"
)


@dataclass(frozen=True)
class Commitment:
    """What a draw will depend on, apart from the seed (see the module docstring).

    Attributes
    ----------
    entrants : tuple of (str, float)
        Each entrant's id and weight, sorted by id.
    places : int
        How many will be drawn.
    inputs : tuple of (str, str)
        Each input file's role (``"scores"``) and SHA-256, sorted by role.
    algorithm, algorithm_version
        The draw procedure.
    recorded_sha256 : str or None
        The hash as written in a file (None: computed here).
    """

    entrants: tuple[tuple[str, float], ...]
    places: int
    inputs: tuple[tuple[str, str], ...] = ()
    algorithm: str = ALGORITHM
    algorithm_version: int = ALGORITHM_VERSION
    recorded_sha256: str | None = None

    @classmethod
    def of(
        cls,
        entrants: Sequence[tuple[str, float]],
        *,
        places: int,
        inputs: Mapping[str, str] | None = None,
    ) -> Commitment:
        """Commit to a lottery zone.

        Parameters
        ----------
        entrants : sequence of (str, float)
            Each entrant's id and weight (any order).
        places : int
            How many will be drawn.
        inputs : mapping of str to str, optional
            The SHA-256 of each input file, by role.

        Examples
        --------
        >>> c = Commitment.of([("P-2", 1.0), ("P-1", 1.0)], places=1)
        >>> c.canonical()
        '{"algorithm":{"name":"fairpanel-sha256-es","version":2},"places":1,"entrants":[["P-1",1],["P-2",1]],"inputs":[]}'
        """
        return cls(
            entrants=tuple(sorted((str(s), float(w)) for s, w in entrants)),
            places=int(places),
            inputs=tuple(sorted((str(r), str(h)) for r, h in (inputs or {}).items())),
        )

    def canonical(self) -> str:
        """Return the canonical text the commitment's hash covers."""
        data = {
            "algorithm": {"name": self.algorithm, "version": self.algorithm_version},
            "places": self.places,
            "entrants": [[sid, canonical_weight(w)] for sid, w in self.entrants],
            "inputs": [[role, digest] for role, digest in self.inputs],
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @property
    def sha256(self) -> str:
        """The SHA-256 (hex) of :meth:`canonical`: the value to publish."""
        return hashlib.sha256(self.canonical().encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """Return the commitment as plain JSON data (schema ``fairpanel.commitment``)."""
        return {
            SCHEMA_KEY: stamp(COMMITMENT_KIND, COMMITMENT_VERSION),
            "algorithm": {"name": self.algorithm, "version": self.algorithm_version},
            "places": self.places,
            "entrants": [
                {"submission_id": sid, "weight": canonical_weight(w)} for sid, w in self.entrants
            ],
            "inputs": [{"role": role, "sha256": digest} for role, digest in self.inputs],
            "sha256": self.sha256,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Commitment:
        """Read a commitment written by :meth:`to_dict`, keeping its recorded hash.

        Parameters
        ----------
        data : mapping
            The parsed JSON.

        Raises
        ------
        FairpanelInputError
            Naming the first field missing or of the wrong JSON type.
        """
        doc = Node(data)
        check_schema(doc, COMMITMENT_KIND, COMMITMENT_VERSION)
        algorithm = doc["algorithm"]
        return cls(
            entrants=tuple(
                (e["submission_id"].text(), e["weight"].number())
                for e in doc["entrants"].elements()
            ),
            places=doc["places"].integer(),
            inputs=tuple((i["role"].text(), i["sha256"].text()) for i in doc["inputs"].elements()),
            algorithm=algorithm["name"].text(),
            algorithm_version=algorithm["version"].integer(),
            recorded_sha256=doc["sha256"].text(),
        )


def _short(digest: str) -> str:
    return digest[:12] + "…"


def commitment_differences(
    commitment: Commitment,
    *,
    entrants: Sequence[tuple[str, float]],
    places: int,
    algorithm: str = ALGORITHM,
    algorithm_version: int = ALGORITHM_VERSION,
) -> list[str]:
    """Compare a draw's zone with a commitment; return each difference as one line.

    The commitment's recorded hash must be the hash of its content (an edited
    commitment fails), and the algorithm, places, entrants and weights must be the
    committed ones.

    Parameters
    ----------
    commitment : Commitment
        As read from the file or the certificate.
    entrants : sequence of (str, float)
        The draw's entrants and weights.
    places : int
        The draw's places.
    algorithm, algorithm_version : str, int
        The draw's procedure.

    Returns
    -------
    list of str
        Empty when the draw is the committed one.

    Examples
    --------
    >>> c = Commitment.of([("A", 1.0), ("B", 1.0), ("C", 1.0)], places=1)
    >>> commitment_differences(c, entrants=[("A", 1.0), ("B", 1.0)], places=1)  # doctest: +ELLIPSIS
    ['the entrants differ from the commitment: 1 missing, 0 added, 0 with another weight (first: C)']
    """
    diffs: list[str] = []
    recorded = commitment.recorded_sha256
    if recorded is not None and recorded != commitment.sha256:
        diffs.append(
            ERR_COMMIT_HASH.format(recorded=_short(recorded), computed=_short(commitment.sha256))
        )
    drawn = (algorithm, algorithm_version)
    committed = (commitment.algorithm, commitment.algorithm_version)
    if drawn != committed:
        diffs.append(ERR_COMMIT_FIELD.format(name="algorithm", committed=committed, drawn=drawn))
    if int(places) != commitment.places:
        diffs.append(
            ERR_COMMIT_FIELD.format(name="places", committed=commitment.places, drawn=places)
        )
    want = dict(commitment.entrants)
    got = {str(s): float(w) for s, w in entrants}
    missing = sorted(set(want) - set(got))
    added = sorted(set(got) - set(want))
    reweighted = sorted(s for s in set(want) & set(got) if want[s] != got[s])
    if missing or added or reweighted:
        diffs.append(
            ERR_COMMIT_ENTRANTS.format(
                missing=len(missing),
                added=len(added),
                reweighted=len(reweighted),
                first=(missing or added or reweighted)[0],
            )
        )
    return diffs
