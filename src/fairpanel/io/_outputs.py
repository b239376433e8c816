"""One command's outputs, written all or none, never over an input or a device.

A command declares every file it will write and every file it reads, by option name,
*before* it computes anything::

    outputs = open_outputs({"--out": out, "--json": json_out}, inputs={"--scores": scores})
    ...  # load, compute
    with outputs:
        outputs.write_frame(out, table)
        outputs.write_json(json_out, result.to_dict())

The declaration refuses, with one line and before any work, a target that is not a
regular file or a new path (a device such as ``/dev/null``, a FIFO, a symbolic link, a
directory), an output equal to an input, and two outputs that are one file (compared by
resolved path and, for files that exist, by device and inode, so a hard link counts).
Inside ``with``, each write goes to a temporary file beside its target; leaving the block
normally renames them all, with SIGINT and SIGTERM held back so the renames are not cut
in half; leaving it by an exception, Ctrl-C or SIGTERM removes every temporary file and
any folder the transaction created, so the targets are exactly as they were. The signal
handlers are installed only while the block is open and restored after.

When a :class:`~fairpanel.io.OutputProvenance` is given, every JSON output carries its
``provenance`` block and every other output gets a sidecar (``<name>.provenance.json``,
see :mod:`fairpanel.io._provenance`) written in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Final, Self

import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._json import jsonable
from fairpanel.io._provenance import (
    PROVENANCE_KEY,
    OutputProvenance,
    sidecar_path,
    sidecar_payload,
)
from fairpanel.io._targets import (
    ERR_OUTPUT_IS_INPUT,
    ERR_OUTPUT_TWICE,
    InputPaths,
    check_distinct,
    flatten_inputs,
)
from fairpanel.io._write import (
    ERR_OUTPUT_NOT_REGULAR,
    ERR_OUTPUT_UNWRITABLE,
    HINT_REGULAR,
    check_output_target,
    fill_temporary,
    folder_in_the_way,
    frame_bytes,
)

__all__ = [
    "ERR_OUTPUT_IS_INPUT",
    "ERR_OUTPUT_NOT_REGULAR",
    "ERR_OUTPUT_TWICE",
    "ERR_OUTPUT_UNWRITABLE",
    "HINT_REGULAR",
    "OutputTransaction",
    "check_output_target",
    "open_outputs",
]

#: Exit status after SIGTERM, as a shell reports a process ended by signal 15.
EXIT_SIGTERM: Final = 128 + signal.SIGTERM


class OutputTransaction:
    """The outputs of one command: declared and checked up front, written all or none.

    Create it with :func:`open_outputs`; write inside ``with``. See the module docstring.

    Parameters
    ----------
    outputs : mapping of str to path or None
        Each output by the option that names it.
    inputs : mapping, optional
        Each input by option: a path, a list of paths, or None.
    provenance : OutputProvenance, optional
        Who writes; see :func:`open_outputs`.
    """

    def __init__(
        self,
        outputs: Mapping[str, str | Path | None],
        *,
        inputs: InputPaths | None = None,
        provenance: OutputProvenance | None = None,
    ) -> None:
        self.inputs = flatten_inputs(inputs or {})
        self.provenance = provenance
        declared = [(opt, Path(p)) for opt, p in outputs.items() if p is not None]
        if provenance is not None:
            # A sidecar is an output like any other: checked, staged, renamed with the rest.
            declared += [
                (f"{opt}'s provenance", sidecar_path(p))
                for opt, p in declared
                if p.suffix.lower() != ".json"
            ]
        self._check(declared)
        self.outputs = declared
        self._targets = {p.resolve(): opt for opt, p in declared}
        self._staged: list[tuple[Path, Path, str]] = []  # (temporary, target, sha256)
        self._created_dirs: list[Path] = []
        self._old_handlers: dict[int, Any] = {}
        self._open = False
        if provenance is not None:
            # Checksums of the inputs as they are now, before the command reads them.
            self.provenance = provenance.with_inputs(self.inputs)

    # ----------------------------------------------------------------- checks
    def _check(self, declared: list[tuple[str, Path]]) -> None:
        for _, path in declared:
            check_output_target(path)
        check_distinct(declared, self.inputs)

    # ------------------------------------------------------------ transaction
    def __enter__(self) -> Self:
        self._open = True
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                # A signal the process was told to ignore (Ctrl-C in a background job,
                # under nohup) stays ignored: only a caught one unwinds the writes.
                if signal.getsignal(signum) is not signal.SIG_IGN:
                    self._old_handlers[signum] = signal.signal(signum, self._on_signal)
        return self

    @staticmethod
    def _on_signal(signum: int, frame: FrameType | None) -> None:
        # Unwind through __exit__, which removes the temporary files.
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(EXIT_SIGTERM)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                self._commit()
        finally:
            if self._staged:  # an error, a signal, or a rename that failed
                self._discard()
            self._restore()
            self._open = False

    def _restore(self) -> None:
        for signum, handler in self._old_handlers.items():
            signal.signal(signum, handler)
        self._old_handlers.clear()

    def _commit(self) -> None:
        if self.provenance is not None:
            self._write_sidecars()
        blocked = threading.current_thread() is threading.main_thread()
        if blocked:
            # Held back, not lost: a Ctrl-C during the renames arrives right after them.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            for _, target, _ in self._staged:
                check_output_target(target)  # still not a link or device
            for tmp, target, _ in self._staged:
                os.replace(tmp, target)
            self._staged.clear()
        finally:
            if blocked:
                self._restore()
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})

    def _discard(self) -> None:
        for tmp, _, _ in self._staged:
            Path(tmp).unlink(missing_ok=True)
        self._staged.clear()
        for folder in reversed(self._created_dirs):
            try:
                folder.rmdir()
            except OSError:
                break  # not empty: something else wrote there
        self._created_dirs.clear()

    # ------------------------------------------------------------------ writes
    def _target(self, path: str | Path) -> Path:
        target = Path(path)
        if not self._open:
            raise RuntimeError("write inside 'with' the transaction")
        if target.resolve() not in self._targets:
            raise RuntimeError(f"{target} was not declared as an output")
        return target

    def _mkdirs(self, folder: Path) -> None:
        missing = []
        while not folder.exists():
            missing.append(folder)
            if folder.parent == folder:
                break
            folder = folder.parent
        for d in reversed(missing):
            d.mkdir()
            self._created_dirs.append(d)

    def _stage(self, path: str | Path) -> tuple[int, Path, Path]:
        """Create the temporary file of a declared output; return (fd, temporary, target)."""
        target = self._target(path)
        try:
            self._mkdirs(target.parent)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        except (FileExistsError, NotADirectoryError):
            raise folder_in_the_way(target) from None
        except OSError as exc:
            raise FairpanelInputError(
                ERR_OUTPUT_UNWRITABLE.format(problem=exc.strerror or exc), file=target
            ) from None
        self._staged.append((Path(tmp), target, ""))
        return fd, Path(tmp), target

    def write_bytes(self, path: str | Path, data: bytes) -> Path:
        """Stage ``data`` for ``path`` (a declared output); it appears when the block ends.

        Parameters
        ----------
        path : str or Path
            A declared output.
        data : bytes
            The complete content.

        Returns
        -------
        Path
            ``path`` as a :class:`~pathlib.Path`.
        """
        fd, tmp, target = self._stage(path)
        fill_temporary(fd, tmp, data)
        self._staged[-1] = (tmp, target, hashlib.sha256(data).hexdigest())
        return target

    def write_text(self, path: str | Path, text: str) -> Path:
        """Stage UTF-8 text for a declared output (see :meth:`write_bytes`).

        Parameters
        ----------
        path : str or Path
            A declared output.
        text : str
            The complete content.

        Returns
        -------
        Path
        """
        return self.write_bytes(path, text.encode("utf-8"))

    def write_json(self, path: str | Path, payload: Any) -> Path:
        """Stage indented JSON; a mapping gets the transaction's ``provenance`` block.

        Parameters
        ----------
        path : str or Path
            A declared output.
        payload : object
            Plain data (NaN becomes ``null``, as :func:`fairpanel.io.write_json`).

        Returns
        -------
        Path
        """
        if self.provenance is not None and isinstance(payload, Mapping):
            payload = {**payload, PROVENANCE_KEY: self._block(path)}
        text = json.dumps(jsonable(payload), indent=2, ensure_ascii=False, allow_nan=False)
        return self.write_text(path, text + "\n")

    def write_frame(self, path: str | Path, frame: pd.DataFrame, *, raw: bool = False) -> Path:
        """Stage a table as :func:`fairpanel.io.write_frame` writes it (CSV, or .xlsx).

        Parameters
        ----------
        path : str or Path
            A declared output; its suffix chooses the format (the temporary file's
            does not).
        frame : DataFrame
            The table.
        raw : bool, default False
            CSV only: write text cells as they are (no spreadsheet-safe apostrophe).

        Returns
        -------
        Path
        """
        # The one renderer (spreadsheet-safe cells, workbooks) gives the bytes.
        target = Path(path)
        data = frame_bytes(frame, suffix=target.suffix, raw=raw, sheet=target.stem)
        return self.write_bytes(path, data)

    # -------------------------------------------------------------- provenance
    def _block(self, path: str | Path) -> dict[str, Any]:
        assert self.provenance is not None  # only called with a provenance
        target = Path(path).resolve()
        written = [
            (self._targets[t.resolve()], t, digest)
            for _, t, digest in self._staged
            if t.resolve() != target
        ]
        return self.provenance.block(written_with=written)

    def _write_sidecars(self) -> None:
        for _, target, digest in list(self._staged):
            side = sidecar_path(target)
            if target.suffix.lower() == ".json" or side.resolve() not in self._targets:
                continue
            payload = sidecar_payload(target, digest, self._block(target))
            text = json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False)
            self.write_bytes(side, (text + "\n").encode("utf-8"))


def open_outputs(
    outputs: Mapping[str, str | Path | None],
    *,
    inputs: InputPaths | None = None,
    provenance: OutputProvenance | None = None,
) -> OutputTransaction:
    """Declare a command's outputs and inputs, check them, and return the transaction.

    Parameters
    ----------
    outputs : mapping of str to path or None
        Each output by the option that names it (``{"--out": "a.csv"}``); None: not
        asked for.
    inputs : mapping of str to path, list of paths or None, optional
        Each input the command reads, by option.
    provenance : OutputProvenance, optional
        Who writes (command, seed); the inputs' SHA-256 are added here, and every output
        carries the block (inside a JSON, beside any other file).

    Returns
    -------
    OutputTransaction
        Write inside ``with``; see the module docstring.

    Raises
    ------
    FairpanelInputError
        One line naming the output and the reason (see the module docstring).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> tx = open_outputs({"--out": folder / "a.txt", "--json": folder / "a.json"})
    >>> with tx:
    ...     _ = tx.write_text(folder / "a.txt", "one")
    ...     _ = tx.write_json(folder / "a.json", {"n": 1})
    >>> sorted(p.name for p in folder.iterdir())
    ['a.json', 'a.txt']
    >>> open_outputs({"--out": folder / "x.csv", "--certificate": folder / "x.csv"})
    Traceback (most recent call last):
    ...
    fairpanel._errors.FairpanelInputError: ...: --out and --certificate name the same file; ...
    """
    return OutputTransaction(outputs, inputs=inputs, provenance=provenance)
