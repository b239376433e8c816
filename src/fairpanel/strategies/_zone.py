"""A certificate against its allocation and its score file; the zone redone from scores.

A certificate records its strategy, capacity and parameters (``context``). When the
allocation was made from the score table alone, the zone (entrants, weights, places)
follows from that table by the rule, whatever the seed: redoing it shows that no entrant
was added to or removed from the zone after the fact.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel.io import RecordedProvenance, load_allocation, load_scores, read_provenance
from fairpanel.io._checksum import sha256_file
from fairpanel.lottery import (
    Commitment,
    DrawCertificate,
    allocation_differences,
    certificate_panel,
    commitment_differences,
)
from fairpanel.strategies._allocation import Capacity
from fairpanel.strategies._engine import JSON_PARAMS, certificate_context
from fairpanel.strategies._factory import make_strategy
from fairpanel.strategies._panels import ERR_NO_PANEL_COLUMN

__all__ = [
    "JSON_PARAMS",
    "certificate_context",
    "check_against_allocation",
    "check_against_scores",
    "panel_rows",
    "recompute_zone",
]

#: The zone does not depend on the seed; the redraw needs one all the same.
_ANY_SEED: Final = "zone"


def recompute_zone(
    scores: pd.DataFrame, context: Mapping[str, Any]
) -> tuple[tuple[tuple[str, float], ...], int] | None:
    """Redo a rule-based allocation on ``scores``; return its zone, or None if it cannot.

    Parameters
    ----------
    scores : DataFrame
        The score table the allocation was made from.
    context : mapping
        A certificate's ``context``: ``strategy``, ``capacity`` and ``params``.

    Returns
    -------
    tuple or None
        ``(entrants, places)``: the entrants and weights sorted by id (empty with 0
        places when no draw is needed); None for a budget (its requests are in the
        submissions table) or a strategy this cannot rebuild (``ml``).
    """
    capacity = context.get("capacity")
    if not isinstance(capacity, Mapping) or capacity.get("count") is None:
        return None
    name = str(context.get("strategy", ""))
    if name not in ("rank", "lottery", "partial-lottery", "tiered-lottery"):
        return None
    params = context.get("params")
    params = dict(params) if isinstance(params, Mapping) else {}
    rule = make_strategy(name, **{k: params[k] for k in JSON_PARAMS if k in params})
    result = rule.allocate(
        scores, None, capacity=Capacity(count=int(capacity["count"])), seed=_ANY_SEED
    )
    cert = result.certificate
    if cert is None:
        return (), 0
    if not isinstance(cert, DrawCertificate):  # quota lotteries are not rebuilt here
        return None
    return cert.entrants, cert.places


ERR_OTHER_ALLOCATION = (
    "{cert} was written with another allocation than {alloc} (SHA-256 {then} recorded, "
    "{now} given)"
)
ERR_NOT_ITS_ALLOCATION = "{cert} does not match {alloc}: {problem}"
ERR_OTHER_SCORES = (
    "{cert} was made from another score file than {scores} (SHA-256 {then} recorded, {now} given)"
)
ERR_NOT_ITS_ZONE = "{cert} is not the lottery zone of {scores}: {problem}"
NOTE_ZONE_NEEDS = "the zone also depends on {files}: checked the score file's SHA-256 only"
NOTE_SIBLING = (
    "{scores} was written in one run with {then}, the file the draw was made from: "
    "checked by SHA-256 (give {then} to redo the zone)"
)


def _short(digest: str) -> str:
    return digest[:12] + "…"


def check_against_allocation(
    cert: DrawCertificate,
    recorded: RecordedProvenance,
    allocation: Path,
    *,
    rename: Mapping[str, str] | None = None,
) -> str | None:
    """Return why a certificate is not the given allocation's (None: it is).

    Parameters
    ----------
    cert : DrawCertificate
        The certificate.
    recorded : RecordedProvenance
        The certificate file's provenance (:func:`fairpanel.io.read_provenance`).
    allocation : Path
        The allocation CSV.
    rename : mapping, optional
        A ``--columns`` file's names of the table's columns (fairpanel's → the file's).

    Returns
    -------
    str or None
        One line naming both files.
    """
    alloc_sha = sha256_file(allocation)
    written = [r for r in recorded.written_with if r.role == "out"]
    if written and written[0].sha256 != alloc_sha:
        return ERR_OTHER_ALLOCATION.format(
            cert=recorded.path,
            alloc=allocation,
            then=_short(written[0].sha256),
            now=_short(alloc_sha),
        )
    table = panel_rows(load_allocation(allocation, rename=rename), cert.context)
    lot = table[table["tier"] == "lottery"]
    weights = lot["weight"] if "weight" in lot else pd.Series(1.0, index=lot.index)
    order = lot.sort_values("draw_position", kind="stable")["submission_id"].astype(str)
    diffs = allocation_differences(
        cert,
        lottery=dict(zip(lot["submission_id"].astype(str), weights.astype(float), strict=True)),
        selected_by_lot=lot.loc[lot["selected"].astype(bool), "submission_id"]
        .astype(str)
        .tolist(),
        draw_order=order.tolist() if "draw_position" in lot else None,
    )
    if diffs:
        return ERR_NOT_ITS_ALLOCATION.format(
            cert=recorded.path, alloc=allocation, problem=diffs[0]
        )
    return None


def panel_rows(frame: pd.DataFrame, context: Mapping[str, Any]) -> pd.DataFrame:
    """Return the rows of the panel a certificate's ``context`` names (all rows if none).

    A panel's draw (:func:`~fairpanel.strategies.allocate_by_panel`) is made from that
    panel's rows alone, so it is checked against those.

    Raises
    ------
    FairpanelInputError
        The table has no such panel column.
    """
    panel = certificate_panel(context)
    if panel is None:
        return frame
    column, name = panel
    if column not in frame.columns:
        raise FairpanelInputError(ERR_NO_PANEL_COLUMN.format(column=column))
    return frame[frame[column].astype("str") == name].reset_index(drop=True)


def _sibling(path: Path, sha256: str) -> bool:
    """Whether ``path`` records that its own run also wrote a file with this SHA-256."""
    try:
        recorded = read_provenance(path)
    except FairpanelInputError:
        return False
    return any(w.sha256 == sha256 for w in recorded.written_with)


def check_against_scores(
    cert: DrawCertificate,
    recorded: RecordedProvenance,
    scores: Path,
    *,
    rename: Mapping[str, str] | None = None,
) -> tuple[str | None, str | None]:
    """Check a certificate against the score file it was drawn from.

    The score file's SHA-256 must be the one the certificate records; when the
    allocation used no other input, the rule is redone on the scores and the zone
    (entrants, weights, places) must be the certificate's.

    Parameters
    ----------
    cert : DrawCertificate
        The certificate.
    recorded : RecordedProvenance
        The certificate file's provenance.
    scores : Path
        The score table.
    rename : mapping, optional
        A ``--columns`` file's names of the table's columns (fairpanel's → the file's).

    Returns
    -------
    problem : str or None
        One line naming both files, or None.
    note : str or None
        What could not be checked, or None.
    """
    digest = sha256_file(scores)
    then = recorded.input("scores")
    if then is not None and then.sha256 != digest and _sibling(scores, then.sha256):
        # The score run's JSON stands for the CSV the draw was made from: one command
        # wrote both, and the JSON records the CSV's SHA-256.
        return None, NOTE_SIBLING.format(scores=scores.name, then=Path(then.file).name)
    if then is not None and then.sha256 != digest:
        return (
            ERR_OTHER_SCORES.format(
                cert=recorded.path, scores=scores, then=_short(then.sha256), now=_short(digest)
            ),
            None,
        )
    # A panel's certificate carries its own places: the capacity table is not needed.
    own = (
        ("scores", "commitment", "capacity-table")
        if certificate_panel(cert.context)
        else ("scores", "commitment")
    )
    others = [r.file for r in recorded.inputs if r.role not in own]
    if others:
        return None, NOTE_ZONE_NEEDS.format(files=", ".join(others))
    zone = recompute_zone(
        panel_rows(load_scores(scores, rename=rename), cert.context), cert.context
    )
    if zone is None:
        return None, NOTE_ZONE_NEEDS.format(files="the submissions (a budget) or a model")
    entrants, places = zone
    diffs = commitment_differences(
        Commitment(entrants=entrants, places=places), entrants=cert.entrants, places=cert.places
    )
    if diffs:
        problem = diffs[0].replace("the commitment", "the zone the rule gives")
        return ERR_NOT_ITS_ZONE.format(cert=recorded.path, scores=scores, problem=problem), None
    return None, None
