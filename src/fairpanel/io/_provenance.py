"""Chain of custody: which inputs, by SHA-256, each output was made from.

Every file a command writes records its provenance: the fairpanel version, the command,
the seed, each input by role (the option that named it), file name and SHA-256, and the
outputs of the same run written before it (so a draw certificate names the allocation it
came with). A JSON output carries the block under ``"provenance"``. A CSV cannot carry
metadata without breaking spreadsheets, so it gets a *sidecar*: ``allocation.csv`` ->
``allocation.csv.provenance.json``, written in the same transaction, holding the CSV's
own SHA-256 beside the block. :func:`read_provenance` reads either back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from fairpanel._errors import FairpanelInputError
from fairpanel._json import SCHEMA_KEY, read_json, stamp
from fairpanel._version import __version__
from fairpanel.io._checksum import sha256_file

__all__ = [
    "PROVENANCE_KEY",
    "PROVENANCE_SUFFIX",
    "FileRecord",
    "OutputProvenance",
    "RecordedProvenance",
    "read_provenance",
    "sidecar_path",
    "sidecar_payload",
]

#: Where a JSON output keeps its block.
PROVENANCE_KEY: Final = "provenance"
#: Appended to a CSV's full name to name its sidecar.
PROVENANCE_SUFFIX: Final = ".provenance.json"
SCHEMA_KIND: Final = "provenance"
SCHEMA_VERSION: Final = 1

ERR_SIDECAR = "not a provenance file ({problem})"


@dataclass(frozen=True)
class FileRecord:
    """One file of a chain: its role (the option that named it), its name and SHA-256."""

    role: str
    file: str
    sha256: str

    def to_dict(self) -> dict[str, str]:
        """Return the record as plain JSON data."""
        return {"role": self.role, "file": self.file, "sha256": self.sha256}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FileRecord:
        """Read a record written by :meth:`to_dict`.

        Parameters
        ----------
        data : mapping
            ``{"role", "file", "sha256"}``.
        """
        return cls(str(data.get("role", "")), str(data.get("file", "")), str(data["sha256"]))


def _role(option: str) -> str:
    return option.removeprefix("--")


@dataclass(frozen=True)
class OutputProvenance:
    """Who made an output and from what (see the module docstring).

    Attributes
    ----------
    command : str
        The subcommand, e.g. ``"allocate"``.
    seed : str or None
        The seed the command used, as text.
    inputs : tuple of FileRecord
        Filled by :meth:`with_inputs` (the output transaction does it).
    fairpanel_version : str
        The package version that wrote the output.
    """

    command: str
    seed: str | None = None
    inputs: tuple[FileRecord, ...] = ()
    fairpanel_version: str = __version__
    extra: Mapping[str, Any] = field(default_factory=dict)

    def with_inputs(self, inputs: Iterable[tuple[str, Path]]) -> OutputProvenance:
        """Return a copy recording each ``(option, path)`` with the file's SHA-256 now.

        Parameters
        ----------
        inputs : iterable of (str, Path)
            Each input file by the option that named it.
        """
        records = tuple(FileRecord(_role(opt), str(p), sha256_file(p)) for opt, p in inputs)
        return replace(self, inputs=records)

    def block(self, *, written_with: Iterable[tuple[str, Path, str]] = ()) -> dict[str, Any]:
        """Return the provenance block of one output.

        Parameters
        ----------
        written_with : iterable of (str, Path, str)
            Outputs of the same run written before this one: option, path, SHA-256.

        Returns
        -------
        dict
        """
        return {
            SCHEMA_KEY: stamp(SCHEMA_KIND, SCHEMA_VERSION),
            "fairpanel_version": self.fairpanel_version,
            "command": self.command,
            "seed": self.seed,
            "inputs": [r.to_dict() for r in self.inputs],
            "written_with": [
                FileRecord(_role(opt), str(p), digest).to_dict() for opt, p, digest in written_with
            ],
            **dict(self.extra),
        }


def sidecar_path(path: str | Path) -> Path:
    """Return the sidecar of a file that cannot hold its own provenance.

    Parameters
    ----------
    path : str or Path
        The output, e.g. ``allocation.csv``.

    Examples
    --------
    >>> sidecar_path("out/allocation.csv").as_posix()
    'out/allocation.csv.provenance.json'
    """
    path = Path(path)
    return path.with_name(path.name + PROVENANCE_SUFFIX)


def sidecar_payload(path: Path, sha256: str, block: Mapping[str, Any]) -> dict[str, Any]:
    """Return a sidecar's content: the file it describes, its SHA-256, and the block.

    Parameters
    ----------
    path : Path
        The file described.
    sha256 : str
        Its SHA-256 as written.
    block : mapping
        Its provenance block.
    """
    return {
        SCHEMA_KEY: stamp(SCHEMA_KIND, SCHEMA_VERSION),
        "file": {"name": path.name, "sha256": sha256},
        PROVENANCE_KEY: dict(block),
    }


@dataclass(frozen=True)
class RecordedProvenance:
    """What a file says about its own making, read back by :func:`read_provenance`.

    Attributes
    ----------
    path : Path
        The file.
    sha256 : str
        Its SHA-256 now.
    source : Path or None
        Where the block was read: the file itself (JSON) or its sidecar; None when the
        file records nothing (written by hand or by an older version).
    recorded_sha256 : str or None
        A sidecar's record of the file's SHA-256 when it was written.
    command, seed : str or None
    inputs, written_with : tuple of FileRecord
    """

    path: Path
    sha256: str
    source: Path | None = None
    recorded_sha256: str | None = None
    command: str | None = None
    seed: str | None = None
    inputs: tuple[FileRecord, ...] = ()
    written_with: tuple[FileRecord, ...] = ()

    @property
    def changed(self) -> bool:
        """True when the file is not the one its sidecar describes."""
        return self.recorded_sha256 is not None and self.recorded_sha256 != self.sha256

    def input(self, role: str) -> FileRecord | None:
        """Return the recorded input of a role (``"scores"``), or None.

        Parameters
        ----------
        role : str
            The option's name without dashes.
        """
        return next((r for r in self.inputs if r.role == role), None)


def _records(block: Mapping[str, Any], key: str) -> tuple[FileRecord, ...]:
    items = block.get(key) or []
    if not isinstance(items, list):
        raise TypeError(key)
    return tuple(FileRecord.from_dict(r) for r in items)


def _from_block(
    path: Path, digest: str, source: Path, block: Any, recorded: str | None
) -> RecordedProvenance:
    if not isinstance(block, Mapping):
        raise TypeError(PROVENANCE_KEY)
    seed = block.get("seed")
    return RecordedProvenance(
        path=path,
        sha256=digest,
        source=source,
        recorded_sha256=recorded,
        command=None if block.get("command") is None else str(block["command"]),
        seed=None if seed is None else str(seed),
        inputs=_records(block, "inputs"),
        written_with=_records(block, "written_with"),
    )


def read_provenance(path: str | Path, data: Any = None) -> RecordedProvenance:
    """Read what a file records about the inputs it was made from.

    A JSON file's own ``provenance`` block, else the sidecar beside the file.

    Parameters
    ----------
    path : str or Path
        An output of a fairpanel command.
    data : object, optional
        The file's parsed JSON when the caller has it already (not read again).

    Returns
    -------
    RecordedProvenance
        With ``source`` None when nothing is recorded.

    Raises
    ------
    FairpanelInputError
        Naming a sidecar or block that cannot be read.
    """
    path = Path(path)
    digest = sha256_file(path)
    try:
        if path.suffix.lower() == ".json":
            if data is None:
                data = read_json(path)
            if isinstance(data, Mapping) and data.get(PROVENANCE_KEY) is not None:
                return _from_block(path, digest, path, data[PROVENANCE_KEY], None)
            return RecordedProvenance(path=path, sha256=digest)
        side = sidecar_path(path)
        if not side.is_file():
            return RecordedProvenance(path=path, sha256=digest)
        doc = read_json(side)
        return _from_block(path, digest, side, doc[PROVENANCE_KEY], str(doc["file"]["sha256"]))
    except (ValueError, KeyError, TypeError) as exc:
        where = path if path.suffix.lower() == ".json" else sidecar_path(path)
        raise FairpanelInputError(ERR_SIDECAR.format(problem=exc), file=where) from None
