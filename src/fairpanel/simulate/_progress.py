"""A Rich progress bar on stderr that appears only when work takes longer than a second."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

__all__ = ["LazyProgress"]

_DELAY = 1.0


class LazyProgress:
    """Count work done; show a bar on stderr once it has run for more than a second.

    ``enabled=None`` shows it only when stderr is a terminal (so never in tests or logs).
    """

    def __init__(self, total: int, description: str, *, enabled: bool | None = None) -> None:
        self.total = total
        self.description = description
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._done = 0
        self._start = time.perf_counter()
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> Self:
        self._start = time.perf_counter()
        return self

    def advance(self, amount: int = 1) -> None:
        """Record ``amount`` units of work done."""
        self._done += amount
        if not self.enabled:
            return
        if self._bar is None and time.perf_counter() - self._start > _DELAY:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.description, total=self.total)
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=self._done)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
