"""What every subcommand shares: error handling, the console, and common options.

Library errors are caught only here: a :class:`FairpanelInputError` becomes one line on
stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

from fairpanel._errors import FairpanelInputError

if TYPE_CHECKING:
    import pandas as pd

    from fairpanel._schema import ReviewColumns
    from fairpanel.rubric import Rubric

__all__ = [
    "EXIT_INPUT",
    "ConflictCol",
    "CriterionCol",
    "DropMissing",
    "Encoding",
    "Groups",
    "LowerIsBetter",
    "RequestCol",
    "RequiredGroups",
    "ReviewerCol",
    "ReviewsFile",
    "ScoreCol",
    "Seed",
    "SubmissionCol",
    "console",
    "existing_file",
    "fail",
    "friendly_errors",
    "naming",
    "read_reviews",
]

EXIT_INPUT = 2

P = ParamSpec("P")
R = TypeVar("R")

#: Progress and summaries go to stderr so stdout stays machine-readable.
console = Console(stderr=True, highlight=False)


def fail(message: str) -> typer.Exit:
    """Print one error line on stderr and return the exit to raise."""
    sys.stderr.write(f"fairpanel: error: {message}\n")
    return typer.Exit(EXIT_INPUT)


def friendly_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a :class:`FairpanelInputError` raised by a command into one line and exit 2."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except FairpanelInputError as exc:
            raise fail(str(exc)) from None

    return wrapper


@contextmanager
def naming(path: Path) -> Iterator[None]:
    """Name ``path`` in an input error raised inside that names no file.

    Statistics and model errors know a table, not the file it came from.
    """
    try:
        yield
    except FairpanelInputError as exc:
        if exc.file:
            raise
        raise exc.with_file(path) from None


# Shared options: one definition each, so every command spells them the same way.
ReviewsFile = Annotated[
    Path, typer.Option("--reviews", help="The reviews table (.csv, .tsv, .xlsx, .parquet).")
]
SubmissionCol = Annotated[
    str, typer.Option("--submission-col", help="Column holding the submission id.")
]
ReviewerCol = Annotated[
    str,
    typer.Option(
        "--reviewer-col",
        help="Column holding the reviewer id; several comma-separated columns are joined "
        "into one id (e.g. section,assessor when voter ids repeat across sections).",
    ),
]
CriterionCol = Annotated[
    str,
    typer.Option(
        "--criterion-col",
        help="Column holding the criterion id (absent: each row is one overall grade).",
    ),
]
ScoreCol = Annotated[str, typer.Option("--score-col", help="Column holding the score.")]
ConflictCol = Annotated[
    str, typer.Option("--conflict-col", help="Column flagging a declared conflict of interest.")
]
_GROUP_HELP = "A group attribute column of the submissions, e.g. gender (repeat for several)."
Groups = Annotated[list[str] | None, typer.Option("--group", help=_GROUP_HELP)]
#: ``--group`` where the command needs at least one.
RequiredGroups = Annotated[list[str], typer.Option("--group", help=_GROUP_HELP)]
RequestCol = Annotated[
    str | None,
    typer.Option("--request-col", help="The submissions column of each request (hours, money)."),
]
Encoding = Annotated[
    str, typer.Option("--encoding", help="Text encoding of CSV inputs (e.g. latin-1, cp1252).")
]
LowerIsBetter = Annotated[
    bool,
    typer.Option(
        "--lower-is-better/--higher-is-better",
        help="Whether low grades are the best ones (SNSF letter grades, AIBS 1–40).",
    ),
]
Seed = Annotated[str, typer.Option("--seed", help="Seed for every random choice (any text).")]
DropMissing = Annotated[
    bool,
    typer.Option(
        "--drop-missing",
        help="Read a blank or NA score as a rating not given and leave its row out "
        "(the count is reported).",
    ),
]


def read_reviews(
    path: Path,
    *,
    columns: ReviewColumns,
    rubric: Rubric | None,
    encoding: str,
    drop_missing: bool,
    submissions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Load a reviews file as every command does, saying how many rows were left out."""
    # Imported here, not at the top: every command imports this module, and
    # `fairpanel --help` should not wait for pandas.
    from fairpanel.io import load_reviews

    table = load_reviews(
        path,
        columns=columns,
        rubric=rubric,
        submissions=submissions,
        encoding=encoding,
        missing="drop" if drop_missing else "error",
    )
    if table.attrs.get("dropped"):
        n = table.attrs["dropped"]
        rows = "row" if n == 1 else "rows"
        console.print(f"{path}: left out {n} {rows} with no score", soft_wrap=True)
    return table


def existing_file(path: Path) -> Path:
    """Resolve a path the user gave, failing with one line if it does not exist."""
    if not path.is_file():
        raise FairpanelInputError("no such file", file=path, hint="check the path")
    return path
