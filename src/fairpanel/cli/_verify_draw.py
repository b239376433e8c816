"""``fairpanel verify-draw``: recompute a lottery from its certificate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fairpanel._errors import FairpanelInputError
from fairpanel._json import read_json
from fairpanel.cli._common import existing_file, fail, friendly_errors

__all__ = ["verify_draw"]

ERR_NOT_OBJECT = "a draw certificate is a JSON object"
OK_MESSAGE = "ok: the draw matches ({n} entrants, {places} drawn, seed {seed!r})"


@friendly_errors
def verify_draw(
    certificate: Annotated[
        Path, typer.Argument(help="The draw certificate (JSON) written by 'fairpanel allocate'.")
    ],
) -> None:
    """Recompute a draw from its certificate: exit 0 if it matches, else 2 and why."""
    path = existing_file(certificate)
    data = read_json(path)  # within the JSON size and depth limits
    if not isinstance(data, dict):
        raise FairpanelInputError(ERR_NOT_OBJECT, file=path)
    # Imported here for start-up time: the lottery pulls in numpy and scipy.
    from fairpanel.lottery import verify_certificate

    try:
        result = verify_certificate(data)
    except FairpanelInputError as exc:
        raise exc.with_file(path) from None
    if not result.ok:
        more = len(result.differences) - 1
        tail = f" (and {more} more difference{'s' if more > 1 else ''})" if more else ""
        raise fail(f"{path}: the draw does not match: {result.reason}{tail}")
    typer.echo(
        OK_MESSAGE.format(n=len(data["entrants"]), places=data["places"], seed=data["seed"])
    )
