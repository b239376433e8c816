"""Fixtures shared across test modules."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the end-to-end demo wrote (run once per test session)."""
    from fairpanel._demo import run_demo

    out = tmp_path_factory.mktemp("demo")
    run_demo(out, progress=False)
    return out


@pytest.fixture(scope="session")
def browser_report(demo_output: Path) -> Path:
    """The demo's report: the browser test opens what a committee would open."""
    return demo_output / "report.html"
