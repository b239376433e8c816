"""Optional dependencies ("extras") and the one message a missing one gives.

The default install runs the whole demo: scoring, every strategy (the ml one included,
so scikit-learn is a default dependency), the audit, the simulation, the ML checks and
the report. Two pieces are optional because few committees need them:

- ``parquet`` (pyarrow, about 40 MB): reading ``.parquet`` tables; CSV, TSV and Excel
  need nothing extra;
- ``ml`` (fairlearn): the ml strategy's fairness mitigations, offered for comparison.

Code that needs one imports it inside :func:`needs_extra`, so a missing package is one
line a person can act on (a :class:`~fairpanel.FairpanelInputError`: exit code 2 in the
CLI) instead of a traceback. ``pyproject.toml`` declares the same extras;
``tests/test_packaging.py`` checks that the two lists agree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Final, Literal

from fairpanel._errors import FairpanelInputError

__all__ = ["ERR_MISSING_EXTRA", "EXTRAS", "Extra", "needs_extra"]

Extra = Literal["ml", "parquet"]

#: Each extra and the top-level modules it installs (the names ``import`` uses).
EXTRAS: Final[Mapping[Extra, tuple[str, ...]]] = {
    "ml": ("fairlearn",),
    "parquet": ("pyarrow",),
}

ERR_MISSING_EXTRA = "{purpose} needs the {extra} extra: pip install 'fairpanel[{extra}]'"


@contextmanager
def needs_extra(extra: Extra, *, purpose: str, file: str | Path | None = None) -> Iterator[None]:
    """Turn a missing optional package, imported inside the block, into one clear line.

    Only the absence of one of the extra's own modules is translated; any other import
    error (a broken install, a missing dependency of the extra) propagates unchanged, so
    the message never hides a different problem.

    Parameters
    ----------
    extra : {"ml", "parquet"}
        The extra that installs what the block imports (see :data:`EXTRAS`).
    purpose : str
        What needs it, as the subject of the sentence ("reading .parquet").
    file : str or Path, optional
        The file being read, named at the start of the message.

    Raises
    ------
    FairpanelInputError
        If the block fails to import one of the extra's modules.

    Examples
    --------
    What a reader of ``.parquet`` files says when pyarrow is not installed:

    >>> try:
    ...     with needs_extra("parquet", purpose="reading .parquet", file="r.parquet"):
    ...         raise ModuleNotFoundError("No module named 'pyarrow'", name="pyarrow")
    ... except FairpanelInputError as err:
    ...     print(err)
    r.parquet: reading .parquet needs the parquet extra: pip install 'fairpanel[parquet]'
    """
    try:
        yield
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in EXTRAS[extra]:
            raise
        message = ERR_MISSING_EXTRA.format(purpose=purpose, extra=extra)
        raise FairpanelInputError(message, file=file) from None
