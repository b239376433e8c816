"""The steps of ``fairpanel allocate`` that keep a draw's chain of custody.

Commit, then reveal (docs/lottery.md): ``--commit`` fixes the lottery zone before the
seed exists and writes a commitment to publish; ``--commitment`` later draws that zone,
refusing if an input or the zone has changed since; every allocation that drew (or
needed no draw) gets the certificate to publish.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from fairpanel._errors import FairpanelInputError
from fairpanel.cli._guard import console, fail

if TYPE_CHECKING:
    from fairpanel.io import OutputTransaction
    from fairpanel.lottery import Commitment
    from fairpanel.strategies import Allocation

__all__ = [
    "check_commit_options",
    "custody",
    "panel_custody",
    "read_commitment",
    "write_commitment",
]

ERR_NEED_SEED = "--seed is required: give the published seed (or --commit to fix the zone first)"
ERR_NEED_OUT = "--out is required: where to write the allocation"
ERR_COMMIT_SEED = "--commit fixes the lottery zone before the seed exists: leave out --seed"
ERR_COMMIT_OUT = "--commit writes only the commitment: leave out --out, --json and --certificate"
ERR_COMMIT_BOTH = "--commit and --commitment are two steps: commit first, then draw"
ERR_COMMIT_ML = "--commit needs a zone that does not depend on the seed; the ml strategy's does"
ERR_COMMIT_NO_DRAW = "nothing to commit: {reason}"
ERR_COMMIT_QUOTA = (
    "--commit and --commitment are for weighted draws; a quota-lottery certificate "
    "carries its own commitment hash (verify-draw checks it)"
)
ERR_COMMIT_INPUT = (
    "the {role} file has changed since the commitment was made (SHA-256 {now}, committed {then})"
)
ERR_COMMIT_ZONE = "the inputs no longer give the committed lottery zone: {problem}"
OK_COMMIT = (
    "commitment written to {path}: publish its SHA-256 now, then take as the seed a "
    "public value that appears later (docs/lottery.md, 'Commit, then reveal')"
)


def check_commit_options(
    *,
    seed: str | None,
    out: Path | None,
    commit: Path | None,
    commitment: Path | None,
    ml: Path | None,
    also: Path | None,
) -> None:
    if commit is not None:
        if commitment is not None:
            raise FairpanelInputError(ERR_COMMIT_BOTH, field="--commitment")
        if seed is not None:
            raise FairpanelInputError(ERR_COMMIT_SEED, field="--seed")
        if out is not None or also is not None:
            raise FairpanelInputError(ERR_COMMIT_OUT, field="--commit")
        if ml is not None:
            raise FairpanelInputError(ERR_COMMIT_ML, field="--commit")
        return
    if seed is None:
        raise FairpanelInputError(ERR_NEED_SEED, field="--seed")
    if out is None:
        raise FairpanelInputError(ERR_NEED_OUT, field="--out")


def read_commitment(path: Path, outputs: OutputTransaction) -> Commitment:
    """Read a commitment; refuse it if an input it names has changed since."""
    from fairpanel.cli._verify_draw import read_json_object
    from fairpanel.lottery import Commitment

    try:
        committed = Commitment.from_dict(read_json_object(path))
    except FairpanelInputError as exc:
        raise exc.with_file(path) from None
    assert outputs.provenance is not None
    now = {r.role: r.sha256 for r in outputs.provenance.inputs}
    for role, digest in committed.inputs:
        if now.get(role) != digest:
            raise FairpanelInputError(
                ERR_COMMIT_INPUT.format(
                    role=role, now=(now.get(role) or "none")[:12] + "…", then=digest[:12] + "…"
                ),
                file=path,
            )
    return committed


def write_commitment(result: Allocation, outputs: OutputTransaction, path: Path) -> None:
    from fairpanel.lottery import Commitment, DrawCertificate, explain_no_draw

    cert = result.certificate
    if cert is not None and not isinstance(cert, DrawCertificate):
        raise fail(ERR_COMMIT_QUOTA)
    if cert is None:
        reason = explain_no_draw(
            funded=int(result.table["selected"].sum()), places=result.capacity.count
        )
        raise fail(ERR_COMMIT_NO_DRAW.format(reason=reason))
    assert outputs.provenance is not None
    inputs = {r.role: r.sha256 for r in outputs.provenance.inputs if r.role != "commitment"}
    committed = Commitment.of(cert.entrants, places=cert.places, inputs=inputs)
    with outputs:
        outputs.write_json(path, committed.to_dict())
    console.print(OK_COMMIT.format(path=path), markup=False, soft_wrap=True)
    typer.echo(committed.sha256)


def custody(
    result: Allocation,
    committed: Commitment | None,
    commitment_path: Path | None,
    certificate: bool,
    seed: str,
) -> Allocation:
    """Give the allocation the certificate to publish.

    With its parameters and its commitment; when no draw was needed, one that says so.
    """
    from fairpanel.lottery import (
        DrawCertificate,
        commitment_differences,
        explain_no_draw,
        no_draw_certificate,
    )

    cert = result.certificate
    if cert is not None and not isinstance(cert, DrawCertificate):
        if committed is not None:
            raise FairpanelInputError(ERR_COMMIT_QUOTA, file=commitment_path)
        return result
    if cert is None:
        if committed is not None:
            raise FairpanelInputError(
                ERR_COMMIT_ZONE.format(problem="no draw is needed any more"), file=commitment_path
            )
        if not certificate:
            return result
        reason = explain_no_draw(
            funded=int(result.table["selected"].sum()), places=result.capacity.count
        )
        from fairpanel.strategies._engine import certificate_context

        base = {"strategy": result.strategy, "capacity": result.capacity.to_dict()}
        context = {**base, **certificate_context(result.params)}
        if result.unfilled is not None:  # the places left empty, and why, on the record
            context["unfilled"] = result.unfilled.to_dict()
        cert = no_draw_certificate(seed=seed, reason=reason, context=context)
        return replace(result, certificate=cert)
    if committed is not None:
        diffs = commitment_differences(committed, entrants=cert.entrants, places=cert.places)
        if diffs:
            raise FairpanelInputError(
                ERR_COMMIT_ZONE.format(problem=diffs[0]), file=commitment_path
            )
        cert = replace(cert, commitment=committed)
    return replace(result, certificate=cert)


def panel_custody(result: Allocation, seed: str) -> dict[str, Any]:
    """Every panel's certificate to publish, when panels drew each on its own.

    A panel that drew has its own certificate (the one panel that drew, as
    :func:`custody` left it, with its commitment); a panel that needed no draw gets one
    that says so, made with that panel's derived seed and places, so each panel's file
    tells what happened there.
    """
    from fairpanel.lottery import certificate_panel, with_panel
    from fairpanel.strategies import Capacity
    from fairpanel.strategies._panels import PANEL_SEED

    params = result.params or {}
    column = str(params["panel_col"])
    by_panel: dict[str, Any] = dict(result.panel_certificates)
    drawn = None if result.certificate is None else certificate_panel(result.certificate.context)
    if drawn is not None:
        by_panel[drawn[1]] = result.certificate
    labels = result.table[column].astype("str")
    for name, places in params["panel_capacities"].items():
        if name in by_panel:
            continue
        part = replace(
            result,
            table=result.table[labels == name].reset_index(drop=True),
            capacity=Capacity(count=int(places)),
            certificate=None,
            panel_certificates={},
        )
        cert = custody(part, None, None, True, PANEL_SEED.format(seed=seed, panel=name))
        assert cert.certificate is not None  # custody writes one when asked to
        by_panel[name] = with_panel(cert.certificate, column, name)
    return by_panel
