"""Fixtures shared across test modules."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def browser_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A full report for the browser test, built from the small report fixtures."""
    from fairpanel.report import ReportInputs, build_report, write_report
    from fairpanel.rubric import Rubric
    from tests.test_report import _allocation, _audit, _scores

    scores = _scores(30)
    model = build_report(
        ReportInputs(
            rubric=Rubric.single_criterion(minimum=1, maximum=5),
            scores=scores,
            allocations=[_allocation(scores)],
            audit=_audit(),
            seed="browser",
        )
    )
    out = tmp_path_factory.mktemp("browser")
    return write_report(model, out)["html"]
