"""Options several commands share are spelled the same way everywhere."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.core import TyperOption

from fairpanel.cli._main import app

SHARED = ("--group", "--request-col", "--submission-col", "--reviewer-col", "--encoding")


def _options(name: str) -> list[tuple[str, Any]]:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    return [
        (command, param)
        for command, cmd in commands.items()
        for param in cmd.params
        if isinstance(param, TyperOption) and name in param.opts
    ]


@pytest.mark.parametrize("name", SHARED)
def test_a_shared_option_has_one_spelling(name):
    found = _options(name)
    assert len(found) >= 2, f"{name} is used by one command only"
    spellings = {(param.help, param.multiple) for _, param in found}
    assert len(spellings) == 1, {command: param.help for command, param in found}
