"""Command latency: ``fairpanel allocate --strategy rank`` on 30 submissions.

Target (issue 16): under 0.6 s wall on the development machine (2 cores), where it took
3.6 s when the rank rule still loaded scikit-learn and fairlearn through the ``ml``
strategy. The baseline is ``fairpanel --version`` (interpreter start-up plus the CLI's
own import), timed in the same run, alternating with the command so that a machine
slowing down affects both; the ratio is what carries over to another machine.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

N_SUBMISSIONS = 30
RUNS = 7
TARGET_WALL_S = 0.6


def _fairpanel() -> list[str]:
    # The entry point of the interpreter running the benchmark (the project's venv).
    script = Path(sys.executable).with_name("fairpanel")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fairpanel"]


def _wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def run() -> None:
    rng = np.random.default_rng(20261203)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        scores = folder / "scores.csv"
        pd.DataFrame(
            {
                "submission_id": [f"P{i:02d}" for i in range(N_SUBMISSIONS)],
                "calibrated_score": rng.normal(3.0, 0.8, N_SUBMISSIONS).round(3),
            }
        ).to_csv(scores, index=False)
        allocate = [
            *_fairpanel(),
            "allocate",
            "--scores",
            str(scores),
            "--strategy",
            "rank",
            "--capacity",
            "8",
            "--seed",
            "bench",
            "--out",
            str(folder / "allocation.csv"),
        ]
        version = [*_fairpanel(), "--version"]
        _wall(allocate), _wall(version)  # warm the file cache
        pairs = []
        for _ in range(RUNS):
            out = folder / "allocation.csv"
            out.unlink(missing_ok=True)
            pairs.append((_wall(allocate), _wall(version)))
    command = statistics.median(a for a, _ in pairs)
    baseline = statistics.median(b for _, b in pairs)
    ratio = statistics.median(a / b for a, b in pairs)
    verdict = "meets" if command < TARGET_WALL_S else "MISSES"
    print(
        f"allocate --strategy rank, {N_SUBMISSIONS} rows: {command:.3f} s wall (median of {RUNS})"
    )
    print(f"baseline fairpanel --version:              {baseline:.3f} s wall")
    print(f"ratio {ratio:.2f}x the baseline; {verdict} the target of < {TARGET_WALL_S} s")
