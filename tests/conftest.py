"""Fixtures shared across test modules: the one place test data is shared.

Test modules never import one another (``test_architecture`` checks it); data two modules
use lives here and reaches them as a fixture.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

try:  # POSIX; elsewhere each xdist worker runs the demo itself
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

# The mock panel p1 of the SNSF's R package ERforResearch (`get_mock_data()`, MIT licence,
# https://github.com/snsf-data/ERforResearch): 15 proposals graded by 5 assessors on the
# SNSF's six-point scale, as `num_grade` (6 = best … 1). Grades of v_1 … v_5 per proposal.
P1_GRADES = {
    "#1": (6, 6, 6, 5, 2),
    "#2": (6, 6, 5, 5, 1),
    "#3": (6, 5, 6, 4, 2),
    "#4": (6, 4, 5, 6, 2),
    "#5": (6, 5, 5, 4, 2),
    "#6": (6, 4, 6, 3, 2),
    "#7": (6, 5, 4, 3, 2),
    "#8": (6, 2, 5, 5, 2),
    "#9": (6, 4, 3, 4, 2),
    "#10": (6, 3, 5, 2, 2),
    "#11": (5, 4, 3, 3, 2),
    "#12": (5, 3, 4, 2, 2),
    "#13": (5, 2, 3, 3, 1),
    "#14": (5, 4, 3, 1, 1),
    "#15": (5, 2, 2, 3, 1),
}

# The SNSF mock panel p1 of the ERforResearch R package (Heyard et al. 2022; 15 proposals,
# 5 assessors, grades 1-6), as a scores table. A hand-built stand-in with realistic numbers,
# so the strategy tests do not depend on the scorer: reviewer-centred mean grades shrunk by
# empirical Bayes (shrinkage factor 0.24, posterior SD 0.32), and expected ranks and
# 50%/90% rank quantiles from 20,000 posterior draws. The scorer's own output on p1 goes
# through the strategies in tests/test_end_to_end_snsf.py.
SNSF_P1 = pd.DataFrame(
    [
        ("#1", 4.719, 2.13, 1, 3, 1, 5),
        ("#2", 4.416, 3.86, 2, 5, 1, 8),
        ("#4", 4.416, 3.86, 2, 5, 1, 8),
        ("#3", 4.416, 3.87, 2, 5, 1, 8),
        ("#5", 4.265, 4.98, 3, 7, 1, 9),
        ("#6", 4.113, 6.09, 4, 8, 2, 10),
        ("#8", 3.961, 7.26, 6, 9, 3, 11),
        ("#7", 3.961, 7.27, 6, 9, 3, 11),
        ("#9", 3.810, 8.43, 7, 10, 4, 12),
        ("#10", 3.658, 9.56, 8, 11, 5, 13),
        ("#11", 3.506, 10.66, 9, 12, 7, 14),
        ("#12", 3.355, 11.61, 11, 13, 8, 15),
        ("#13", 3.052, 13.25, 12, 14, 10, 15),
        ("#14", 3.052, 13.26, 12, 14, 10, 15),
        ("#15", 2.900, 13.91, 13, 15, 11, 15),
    ],
    columns=[
        "submission_id",
        "calibrated_score",
        "expected_rank",
        "rank_lo50",
        "rank_hi50",
        "rank_lo90",
        "rank_hi90",
    ],
)


@pytest.fixture(scope="session")
def p1_reviews() -> Callable[..., pd.DataFrame]:
    """A maker of p1's reviews (``P1_GRADES``), a fresh frame on every call.

    ``p1_reviews()`` gives the grades as ``num_grade`` (6 = best), ``p1_reviews("grade")``
    the same panel on the reversed scale (1 = best, ``7 - num_grade``).
    """

    def make(column: str = "num_grade") -> pd.DataFrame:
        rows = [
            (sub, f"v_{j + 1}", float(g if column == "num_grade" else 7 - g))
            for sub, grades in P1_GRADES.items()
            for j, g in enumerate(grades)
        ]
        return pd.DataFrame(rows, columns=["submission_id", "reviewer_id", "score"])

    return make


@pytest.fixture
def snsf_p1() -> pd.DataFrame:
    """The scores table of p1 (``SNSF_P1``), a fresh copy for each test."""
    return SNSF_P1.copy()


@pytest.fixture(scope="session")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the end-to-end demo wrote (run once per test run).

    Under pytest-xdist (``make test`` runs one worker per core) every worker has its own
    session, so the 40-second demo would run once in each; the workers of one run share
    the parent of their temporary folders, and the first to get there runs the demo
    while the others wait on a lock, then read its output.
    """
    from fairpanel._demo import run_demo

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER") and fcntl is not None:
        root = root.parent
    out, done = root / "demo", root / "demo.done"
    with open(root / "demo.lock", "w") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            run_demo(out, progress=False)
            done.touch()
    return out


@pytest.fixture(scope="session")
def browser_report(demo_output: Path) -> Path:
    """The demo's report: the browser test opens what a committee would open."""
    return demo_output / "report.html"
