"""The last line of defence of every subcommand: errors as one line, exit codes, the console.

Library errors are caught only here: a :class:`FairpanelInputError` becomes one line on
stderr and exit code 2, never a traceback. :func:`guarded` is the last line of defence
around every command: a file the system cannot read or write is one line and exit 2,
and anything unexpected is one line, a request to report it, and exit 70 (sysexits'
``EX_SOFTWARE``). ``FAIRPANEL_DEBUG=1`` lets the exception through with its stack, for
whoever fixes it.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from fairpanel._errors import FairpanelInputError

__all__ = [
    "DEBUG_ENV",
    "EXIT_BUG",
    "EXIT_INPUT",
    "console",
    "fail",
    "friendly_errors",
    "guarded",
    "name_file",
    "naming",
]

#: A bad input: sysexits' EX_USAGE is 64, but 2 is what argparse, Click and Typer use.
EXIT_INPUT = 2
#: A fault in fairpanel itself, not in the input: sysexits.h's EX_SOFTWARE.
EXIT_BUG = 70
#: Set to 1 to see the Python stack of an unexpected error instead of the one line.
DEBUG_ENV = "FAIRPANEL_DEBUG"

ERR_BUG = (
    "internal error ({kind}: {detail}); this is a bug in fairpanel, not in your files: "
    "please report it with the command you ran and this line "
    "(run it again with {env}=1 to see the details)"
)
ERR_SYSTEM = "cannot {action} {file} ({problem})"
ERR_MEMORY = (
    "ran out of memory; the input is larger than this machine can hold: split it, or run "
    "on a machine with more memory"
)
#: Longest part of an exception's text repeated in the bug line (one line, readable).
_DETAIL_MAX = 160
#: The temporary file an atomic write makes beside its target (``.name.XXXXXXXX.tmp``):
#: an error about it is an error about the target.
_TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]+\.tmp$")

P = ParamSpec("P")
R = TypeVar("R")

#: Progress and summaries go to stderr so stdout stays machine-readable. No emoji codes:
#: an id or a group such as ":x:" is printed as written (and rich's table of emoji
#: names, which every command would load, is never needed).
console = Console(stderr=True, highlight=False, emoji=False)


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


def _system_message(exc: OSError) -> str:
    """One line for an operating-system error: which file, what it was doing, why."""
    name = exc.filename
    if name is None:
        return ERR_SYSTEM.format(action="use", file="a file", problem=exc.strerror or exc)
    path = Path(os.fsdecode(name))
    temp = _TEMP_NAME.match(path.name)
    if temp is not None:
        path = path.with_name(temp.group("name"))
    # A failed write reports the folder or the temporary file; a read reports the file.
    action = "read" if isinstance(exc, FileNotFoundError) and exc.filename2 is None else "write"
    if isinstance(exc, FileNotFoundError) and temp is not None:
        action = "write"
    if isinstance(exc, IsADirectoryError | FileExistsError | NotADirectoryError):
        action = "write"
    problem = exc.strerror or type(exc).__name__
    if isinstance(exc, FileExistsError | NotADirectoryError):
        # mkdir of an output's folder met a file of that name.
        action, problem = "create the folder", "a file of that name is in the way"
    return ERR_SYSTEM.format(action=action, file=f"'{path}'", problem=problem.lower())


def guarded(func: Callable[P, R]) -> Callable[P, R]:
    """Run a command so that no Python stack ever reaches the user.

    An input error is its one line and exit 2; an operating-system error (a folder that
    does not exist, no permission, a full disk) names the file and exits 2; running out
    of memory says so and exits 2; any other exception is a bug: one line asking for a
    report, exit 70. Click's own exits and usage errors pass through untouched. With
    ``FAIRPANEL_DEBUG=1`` in the environment, unexpected exceptions propagate with
    their stack.

    Parameters
    ----------
    func : callable
        The command (or the whole application's ``invoke``).

    Returns
    -------
    callable
        The same call, guarded.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # Typer's own exits and usage errors: already one line, own exit code
        except FairpanelInputError as exc:
            raise fail(str(exc)) from None
        except Exception as exc:
            if os.environ.get(DEBUG_ENV, "").strip() not in ("", "0"):
                raise
            if isinstance(exc, OSError):
                raise fail(_system_message(exc)) from None
            if isinstance(exc, MemoryError):
                raise fail(ERR_MEMORY) from None
            detail = " ".join(str(exc).split())
            if len(detail) > _DETAIL_MAX:
                detail = detail[: _DETAIL_MAX - 1] + "…"
            message = ERR_BUG.format(kind=type(exc).__name__, detail=detail, env=DEBUG_ENV)
            sys.stderr.write(f"fairpanel: error: {message}\n")
            raise typer.Exit(EXIT_BUG) from None

    return wrapper


def name_file(
    exc: FairpanelInputError, default: Path, tables: Mapping[str, Path | None] | None = None
) -> FairpanelInputError:
    """Name the file the user gave in a library error about a frame.

    Statistics and model errors know a table, not the file it came from: an error naming
    no file is about ``default``; one naming a library table (the audit's
    ``submissions``, the ML checks' ``shifted``) is about that table's file in
    ``tables``. An error that names a real file already (a loader's), or an option the
    user typed (a ``field`` and no file), is returned as it is.

    Parameters
    ----------
    exc : FairpanelInputError
        The library's error.
    default : Path
        The file of an error that names none.
    tables : mapping of str to Path or None, optional
        The file the user gave for each library table name (None: not given).

    Returns
    -------
    FairpanelInputError
    """
    if exc.file is None:
        path: Path | None = None if exc.field is not None else default
    else:
        path = (tables or {}).get(exc.file)
    return exc if path is None else exc.with_file(path)


@contextmanager
def naming(path: Path, tables: Mapping[str, Path | None] | None = None) -> Iterator[None]:
    """Name ``path`` (or the file of a library table) in an input error raised inside.

    See :func:`name_file`.
    """
    try:
        yield
    except FairpanelInputError as exc:
        raise name_file(exc, path, tables) from None
