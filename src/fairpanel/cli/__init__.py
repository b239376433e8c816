"""The ``fairpanel`` command-line interface (a thin layer: no logic of its own)."""

from fairpanel.cli._main import app, main

__all__ = ["app", "main"]
