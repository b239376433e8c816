"""Verify the chain of custody of everything a report is built from, before it is written.

Each input file records the SHA-256 of the files it was made from (its provenance, inside
a JSON or in a CSV's sidecar; :mod:`fairpanel.io._provenance`). Given the files of a
report, :func:`verify_chain` checks that

- no file changed after it was written (a CSV against its sidecar);
- every recorded input that the report was also given is that very file (an allocation
  made from another score file than the report's is refused);
- every certificate redraws, is bounded, belongs to one of the report's allocations (by
  the allocation's SHA-256 it records, else by its content: entrants, weights, draw
  order and who was drawn) and, with the score file, draws the zone the rule gives.

A mismatch is one line naming both files. What passed, what could not be checked and the
commands a reader runs to repeat it all become the report's verification section.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fairpanel._errors import FairpanelInputError
from fairpanel._json import read_json
from fairpanel.io import FileRecord, RecordedProvenance, read_provenance
from fairpanel.io._checksum import sha256_file
from fairpanel.lottery import (
    DrawCertificate,
    check_work,
    is_panel_certificate,
    of_panel,
    verify_certificate,
)
from fairpanel.strategies._zone import check_against_allocation, check_against_scores

__all__ = ["Custody", "verify_chain"]

ERR_CHANGED = (
    "{path} has changed since it was written: {sidecar} records SHA-256 {then}, the file has {now}"
)
ERR_OTHER_INPUT = (
    "{path} was made from another {role} file than {given} (SHA-256 {then} recorded, {now} given)"
)
ERR_DRAW = "{path}: the draw does not match: {reason}"
ERR_NO_ALLOCATION = "{path} is the draw of none of the allocations given ({allocs}): {problem}"

#: Stands for a JSON file that cannot be parsed (its reader reports it).
_UNREADABLE = object()
#: Roles a file records that the report is given under the same name.
_SHARED_ROLES = ("scores", "rubric")


@dataclass(frozen=True)
class Custody:
    """What :func:`verify_chain` verified.

    Attributes
    ----------
    checks : tuple of (str, str)
        Each check and its outcome, in plain words.
    files : tuple of FileRecord
        Every input of the report with its SHA-256.
    commands : tuple of str
        The commands a reader runs to repeat the verification.
    """

    checks: tuple[tuple[str, str], ...]
    files: tuple[FileRecord, ...]
    commands: tuple[str, ...]


def _short(digest: str) -> str:
    return digest[:12] + "…"


def _read(path: Path) -> Any:
    """Return a JSON file's content; None for another file or one that is not JSON.

    A file that is not JSON is refused by its own reader, with the message every
    command gives; the chain has nothing to check in it.
    """
    if path.suffix.lower() != ".json":
        return None
    try:
        return read_json(path)  # within the JSON size and depth limits
    except FairpanelInputError:
        return _UNREADABLE


def verify_chain(files: Mapping[str, Sequence[Path]]) -> Custody:
    """Verify the report's inputs against each other; refuse the first mismatch.

    Parameters
    ----------
    files : mapping of str to sequence of Path
        The report's input files by role: ``scores``, ``allocation``, ``certificate``,
        ``audit``, ``reliability``, ``simulation``, ``ml``, ``dpr``, ``rubric``, ``reviewers``.

    Returns
    -------
    Custody

    Raises
    ------
    FairpanelInputError
        One line naming the two files that do not belong together.
    """
    given = {role: [Path(p) for p in paths] for role, paths in files.items() if paths}
    digests = {p: sha256_file(p) for paths in given.values() for p in paths}
    checks: list[tuple[str, str]] = []
    records: dict[Path, RecordedProvenance] = {}
    data: dict[Path, Any] = {}
    for role, paths in given.items():
        for path in paths:
            if role in ("rubric", "reviewers"):
                continue
            data[path] = _read(path)
            if data[path] is _UNREADABLE or (
                role == "certificate" and not isinstance(data[path], Mapping)
            ):
                continue
            rec = read_provenance(path, data[path])
            records[path] = rec
            if rec.changed:
                raise FairpanelInputError(
                    ERR_CHANGED.format(
                        path=path,
                        sidecar=rec.source,
                        then=_short(rec.recorded_sha256 or ""),
                        now=_short(rec.sha256),
                    )
                )
            if rec.source is None:
                checks.append((f"{path.name}: what it was made from", "not recorded"))
    for path, rec in records.items():
        checks.extend(_inputs(path, rec, given, digests, records))
    commands = _commands(given)
    for path in given.get("certificate", []):
        if path not in records:
            continue
        cert_checks, argv = _certificate(path, data[path], records[path], given)
        checks.extend(cert_checks)
        commands.append(shlex.join(argv))
    for alloc in given.get("allocation", []):
        if not any(c[0].endswith(f"is the draw of {alloc.name}") for c in checks):
            checks.append((f"{alloc.name}: a draw certificate", "none given"))
    return Custody(
        checks=tuple(checks),
        files=tuple(
            FileRecord(role, str(p), digests[p]) for role, paths in given.items() for p in paths
        ),
        commands=tuple(commands),
    )


def _inputs(
    path: Path,
    rec: RecordedProvenance,
    given: Mapping[str, list[Path]],
    digests: Mapping[Path, str],
    records: Mapping[Path, RecordedProvenance],
) -> list[tuple[str, str]]:
    checks = []
    for record in rec.inputs:
        if record.role == "decisions":
            match = [a for a in given.get("allocation", []) if digests[a] == record.sha256]
            if match:
                checks.append((f"{path.name} audits {match[0].name}", "verified (SHA-256)"))
            continue
        if record.role not in _SHARED_ROLES or record.role not in given:
            continue
        other = given[record.role][0]
        # The score run's JSON stands for its CSV: one command wrote both, and each
        # records the other's SHA-256 (written_with).
        sibling = next(
            (
                w
                for w in getattr(records.get(other), "written_with", ())
                if w.sha256 == record.sha256
            ),
            None,
        )
        if sibling is not None and digests[other] != record.sha256:
            checks.append(
                (
                    f"{path.name} was made from {Path(sibling.file).name}, written in one "
                    f"run with {other.name}",
                    "verified (SHA-256)",
                )
            )
            continue
        if digests[other] != record.sha256:
            raise FairpanelInputError(
                ERR_OTHER_INPUT.format(
                    path=path,
                    role=record.role,
                    given=other,
                    then=_short(record.sha256),
                    now=_short(digests[other]),
                )
            )
        checks.append((f"{path.name} was made from {other.name}", "verified (SHA-256)"))
    return checks


def _certificate(
    path: Path, data: Any, rec: RecordedProvenance, given: Mapping[str, list[Path]]
) -> tuple[list[tuple[str, str]], list[str]]:
    """Verify one certificate; return the checks and the verify-draw command repeating them."""
    too_much = check_work(data)
    if too_much is not None:
        raise FairpanelInputError(too_much, file=path)
    panels = is_panel_certificate(data)
    try:
        result = verify_certificate(data)
        cert = None if panels else DrawCertificate.from_dict(data)
    except FairpanelInputError as exc:
        raise exc.with_file(path) from None
    if not result.ok:
        raise FairpanelInputError(ERR_DRAW.format(path=path, reason=result.reason))
    argv = ["fairpanel", "verify-draw", str(path)]
    if cert is None:  # a quota lottery's panel draw: its checks are its own
        check = (
            f"{path.name}: every panel checked against the quotas, every chance against "
            "the panels, and the pick redone from the seed",
            "verified (its commitment hash included)",
        )
        return [check], argv
    checks = [
        (
            f"{path.name}: the draw redone from its seed, entrants and weights",
            "verified" if cert.draw_needed else "verified (it records that no draw was needed)",
        )
    ]
    if cert.commitment is not None:
        checks.append(
            (
                f"{path.name} drew the zone committed before the seed "
                f"(commitment SHA-256 {cert.commitment.sha256})",
                "verified; compare the hash with the one published before the seed",
            )
        )
        argv += ["--published", cert.commitment.sha256]
    allocations = given.get("allocation", [])
    if allocations:
        problems = []
        for alloc in allocations:
            problem = check_against_allocation(cert, rec, alloc)
            if problem is None:
                of = of_panel(cert.context, alloc.name)
                checks.append((f"{path.name} is the draw of {of}", "verified"))
                argv += ["--allocation", str(alloc)]
                break
            problems.append(problem)
        else:
            if len(allocations) == 1:
                raise FairpanelInputError(problems[0])
            raise FairpanelInputError(
                ERR_NO_ALLOCATION.format(
                    path=path, allocs=", ".join(str(a) for a in allocations), problem=problems[0]
                )
            )
    else:
        checks.append((f"{path.name} against an allocation", "not checked: none given"))
    scores = given.get("scores", [])
    if scores:
        problem, note = check_against_scores(cert, rec, scores[0])
        if problem is not None:
            raise FairpanelInputError(problem)
        argv += ["--scores", str(scores[0])]
        checks.append(
            (
                f"{path.name} was drawn from {scores[0].name}",
                "verified (SHA-256" + (f"); {note}" if note else ", and the zone the rule gives)"),
            )
        )
    return checks, argv


def _commands(given: Mapping[str, list[Path]]) -> list[str]:
    every = [str(p) for paths in given.values() for p in paths]
    return [shlex.join(["sha256sum", *every])] if every else []
