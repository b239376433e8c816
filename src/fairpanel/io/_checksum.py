"""Checksums that let a reader confirm a report was made from the files they hold."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

__all__ = ["file_checksums", "sha256_file"]

_CHUNK = 1 << 20


def sha256_file(path: str | Path) -> str:
    """Return the SHA-256 hex digest of a file's bytes (as ``sha256sum`` prints it)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def file_checksums(paths: Iterable[str | Path | None]) -> dict[str, str]:
    """Map each given file's name (as given) to its SHA-256 digest, skipping ``None``."""
    return {str(p): sha256_file(p) for p in paths if p is not None}
