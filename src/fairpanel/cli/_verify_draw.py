"""``fairpanel verify-draw``: recompute a lottery from its certificate, and check it belongs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from fairpanel._errors import FairpanelInputError
from fairpanel._json import read_json
from fairpanel.cli._common import ColumnsFile, existing_file, load_column_map
from fairpanel.cli._guard import fail, friendly_errors

__all__ = ["read_json_object", "verify_draw"]

ERR_NOT_OBJECT = "a draw certificate is a JSON object"
ERR_NO_COMMITMENT = "{cert} embeds no commitment: it was not drawn with --commitment"
ERR_OTHER_COMMITMENT = (
    "{cert} was drawn from another commitment than {commitment} (SHA-256 {then} embedded, "
    "{now} in the file)"
)
ERR_PUBLISHED = "{cert}'s commitment has SHA-256 {then}, not the published {now}"
ERR_PANEL_OPTIONS = (
    "{cert} is a quota lottery's panel draw: verify-draw checks it on its own (its "
    "commitment hash included); --allocation, --scores, --commitment and --published are "
    "for weighted draws"
)
OK_MESSAGE = "ok: the draw matches ({n} entrants, {places} drawn, seed {seed!r})"
OK_NO_DRAW = "ok: the certificate records that {reason}"
OK_COMMITTED = (
    "ok: the zone was committed before the seed: commitment SHA-256 {sha256} "
    "(compare it with the one published before the seed was known)"
)
OK_ALLOCATION = "ok: it is the draw of {alloc} ({rows}entrants, weights, order and who was drawn)"
OK_SCORES = "ok: it was made from {scores}{zone}"


def read_json_object(path: Path) -> dict[str, Any]:
    """Read a JSON object from a file, refusing anything else with one line.

    Parameters
    ----------
    path : Path
        The file.
    """
    data = read_json(existing_file(path))  # within the JSON size and depth limits
    if not isinstance(data, dict):
        raise FairpanelInputError(ERR_NOT_OBJECT, file=path)
    return data


@friendly_errors
def verify_draw(
    certificate: Annotated[
        Path, typer.Argument(help="The draw certificate (JSON) written by 'fairpanel allocate'.")
    ],
    allocation: Annotated[
        Path | None,
        typer.Option("--allocation", help="Check it is this allocation's draw (the CSV)."),
    ] = None,
    scores: Annotated[
        Path | None,
        typer.Option("--scores", help="Check it was made from this score file, and its zone."),
    ] = None,
    commitment: Annotated[
        Path | None,
        typer.Option("--commitment", help="Check it drew the zone of this commitment file."),
    ] = None,
    published: Annotated[
        str | None,
        typer.Option("--published", help="The commitment SHA-256 published before the seed."),
    ] = None,
    columns_file: ColumnsFile = None,
) -> None:
    """Recompute a draw from its certificate: exit 0 if it matches, else 2 and why."""
    path = existing_file(certificate)
    data = read_json_object(path)  # within the JSON size and depth limits
    # Imported here for start-up time: the lottery pulls in numpy.
    from fairpanel.lottery import (
        Commitment,
        DrawCertificate,
        check_work,
        is_panel_certificate,
        verify_certificate,
    )

    too_much = check_work(data)
    if too_much is not None:
        raise FairpanelInputError(too_much, file=path)
    panels = is_panel_certificate(data)
    if panels and any(o is not None for o in (allocation, scores, commitment, published)):
        # A quota lottery's certificate carries its own commitment hash (checked below);
        # the chain to files and an external commitment are checked for weighted draws.
        raise fail(ERR_PANEL_OPTIONS.format(cert=path))
    try:
        result = verify_certificate(data)
        cert = None if panels else DrawCertificate.from_dict(data)
    except FairpanelInputError as exc:
        raise exc.with_file(path) from None
    if not result.ok:
        more = len(result.differences) - 1
        tail = f" (and {more} more difference{'s' if more > 1 else ''})" if more else ""
        raise fail(f"{path}: the draw does not match: {result.reason}{tail}")
    if cert is None:
        typer.echo(
            OK_MESSAGE.format(n=len(data["entrants"]), places=data["places"], seed=data["seed"])
        )
        return
    lines = [
        OK_MESSAGE.format(n=len(cert.entrants), places=cert.places, seed=cert.seed)
        if cert.draw_needed
        else OK_NO_DRAW.format(reason=cert.no_draw_reason)
    ]
    if commitment is not None or published is not None:
        if cert.commitment is None:
            raise fail(ERR_NO_COMMITMENT.format(cert=path))
        embedded = cert.commitment.sha256
        if commitment is not None:
            try:
                other = Commitment.from_dict(read_json_object(commitment))
            except FairpanelInputError as exc:
                raise exc.with_file(commitment) from None
            if other.sha256 != embedded or other.recorded_sha256 != other.sha256:
                raise fail(
                    ERR_OTHER_COMMITMENT.format(
                        cert=path, commitment=commitment, then=embedded[:12] + "…",
                        now=(other.recorded_sha256 or other.sha256)[:12] + "…",
                    )
                )  # fmt: skip
        if published is not None and published.strip().lower() != embedded:
            raise fail(ERR_PUBLISHED.format(cert=path, then=embedded, now=published.strip()))
    if cert.commitment is not None:
        lines.append(OK_COMMITTED.format(sha256=cert.commitment.sha256))
    if allocation is not None or scores is not None:
        lines.extend(_custody(cert, path, data, allocation, scores, columns_file))
    for line in lines:
        typer.echo(line)


def _custody(
    cert: Any,
    path: Path,
    data: dict[str, Any],
    allocation: Path | None,
    scores: Path | None,
    columns_file: Path | None,
) -> list[str]:
    from fairpanel.io import read_provenance
    from fairpanel.lottery import certificate_panel, of_panel
    from fairpanel.strategies._zone import check_against_allocation, check_against_scores

    recorded = read_provenance(path, data)
    column_map = load_column_map(columns_file)
    lines = []
    if allocation is not None:
        problem = check_against_allocation(
            cert, recorded, existing_file(allocation), rename=column_map.renames("allocation")
        )
        if problem is not None:
            raise fail(problem)
        panel = certificate_panel(cert.context)  # a panel's draw: checked on its rows
        rows = "" if panel is None else f"rows with {panel[0]} = {panel[1]}: "
        lines.append(
            OK_ALLOCATION.format(alloc=of_panel(cert.context, str(allocation)), rows=rows)
        )
    if scores is not None:
        problem, note = check_against_scores(
            cert, recorded, existing_file(scores), rename=column_map.renames("scores")
        )
        if problem is not None:
            raise fail(problem)
        zone = f"; {note}" if note else ", and the rule gives the same zone from it"
        lines.append(OK_SCORES.format(scores=scores, zone=zone))
    return lines
