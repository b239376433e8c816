"""Which paths a command may write: never an input, never one file for two outputs.

Paths are compared after :meth:`~pathlib.Path.resolve` and, for files that exist, by
device and inode, so ``./a.csv``, a symbolic link to it and a hard link all count as
the same file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from fairpanel._errors import FairpanelInputError
from fairpanel.io._write import check_output_target

__all__ = [
    "ERR_OUTPUT_IS_INPUT",
    "ERR_OUTPUT_TWICE",
    "HINT_OTHER_PATH",
    "InputPaths",
    "check_distinct",
    "flatten_inputs",
    "guard_outputs",
]

ERR_OUTPUT_IS_INPUT = "the output would overwrite an input file ({output} is the {input} file)"
ERR_OUTPUT_TWICE = "{first} and {second} name the same file"
HINT_OTHER_PATH = "choose another output path"


def _identity(path: Path) -> tuple[Path, tuple[int, int] | None]:
    """Return the resolved path and, for an existing file, its (device, inode)."""
    try:
        st = os.stat(path)
        inode: tuple[int, int] | None = (st.st_dev, st.st_ino)
    except OSError:
        inode = None
    return path.resolve(), inode


def _same(a: tuple[Path, tuple[int, int] | None], b: tuple[Path, tuple[int, int] | None]) -> bool:
    return a[0] == b[0] or (a[1] is not None and a[1] == b[1])


InputPaths = Mapping[str, "str | Path | Sequence[str | Path] | None"]


def flatten_inputs(inputs: InputPaths) -> list[tuple[str, Path]]:
    out: list[tuple[str, Path]] = []
    for option, value in inputs.items():
        if value is None:
            continue
        values = [value] if isinstance(value, str | Path) else list(value)
        out.extend((option, Path(v)) for v in values)
    return out


def check_distinct(
    declared: Sequence[tuple[str, Path]], inputs: Sequence[tuple[str, Path]]
) -> None:
    """Refuse an output that is an input or that another output names too.

    Parameters
    ----------
    declared : sequence of (str, Path)
        Each output by the option that names it.
    inputs : sequence of (str, Path)
        Each input by the option that names it.

    Raises
    ------
    FairpanelInputError
        Naming the output and the other option.
    """
    known = [(opt, _identity(path)) for opt, path in inputs]
    seen: list[tuple[str, Path, tuple[Path, tuple[int, int] | None]]] = []
    for opt, path in declared:
        ident = _identity(path)
        for in_opt, in_ident in known:
            if _same(ident, in_ident):
                raise FairpanelInputError(
                    ERR_OUTPUT_IS_INPUT.format(output=opt, input=in_opt),
                    file=path,
                    hint=HINT_OTHER_PATH,
                )
        for first, first_path, first_ident in seen:
            if _same(ident, first_ident):
                raise FairpanelInputError(
                    ERR_OUTPUT_TWICE.format(first=first, second=opt),
                    file=first_path,
                    hint=HINT_OTHER_PATH,
                )
        seen.append((opt, path, ident))


def guard_outputs(
    inputs: Iterable[str | Path | None], outputs: Iterable[str | Path | None]
) -> None:
    """Refuse outputs that are inputs, each other, or not regular files.

    The checks of :func:`fairpanel.io.open_outputs` without a transaction, for code that
    writes one file with :func:`write_bytes` and friends. Paths are compared after
    :meth:`~pathlib.Path.resolve` and, for existing files, by device and inode.

    Parameters
    ----------
    inputs : iterable of str, Path or None
        The files the command reads; ``None`` (an optional input not given) is skipped.
    outputs : iterable of str, Path or None
        The files the command would write; ``None`` is skipped.

    Raises
    ------
    FairpanelInputError
        Naming the output and what is wrong with it.
    """
    declared = [(f"output {i + 1}", Path(p)) for i, p in enumerate(outputs) if p is not None]
    for _, path in declared:
        check_output_target(path)
    check_distinct(declared, flatten_inputs({f"input {i + 1}": p for i, p in enumerate(inputs)}))
