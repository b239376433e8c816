"""Command latency: ``fairpanel allocate --strategy rank`` on 30 submissions.

Target (issue 16): under 0.6 s wall on the development machine (2 cores), where it took
3.6 s when the rank rule still loaded scikit-learn and fairlearn through the ``ml``
strategy. The baseline is ``fairpanel --version`` (interpreter start-up plus the CLI's
own import), timed in the same run, alternating with the command so that a machine
slowing down affects both; the ratio is what carries over to another machine.

A second reference is the floor no table-reading command goes below: the interpreter
importing pandas (with numpy, and pyarrow when installed) and the CLI. The command's
time above that floor is what fairpanel itself spends. Last, the packages the command
imports are listed by their share of the import time (``python -X importtime``), so
that a slow-down names its cause.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

N_SUBMISSIONS = 30
RUNS = 7
TARGET_WALL_S = 0.6
#: How many packages the import list names.
TOP_IMPORTS = 8


def _fairpanel() -> list[str]:
    # The entry point of the interpreter running the benchmark (the project's venv).
    script = Path(sys.executable).with_name("fairpanel")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fairpanel"]


def _wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def _imports(command: list[str]) -> list[tuple[str, float]]:
    """Seconds of import time per top-level package (self times summed), largest first."""
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    done = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    per_package: dict[str, float] = defaultdict(float)
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if match:
            per_package[match.group(2).split(".")[0]] += int(match.group(1)) / 1e6
    return sorted(per_package.items(), key=lambda item: -item[1])


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
        floor = [sys.executable, "-c", "import pandas, fairpanel.cli._main"]
        _wall(allocate), _wall(version), _wall(floor)  # warm the file cache
        runs = []
        for _ in range(RUNS):
            (folder / "allocation.csv").unlink(missing_ok=True)
            runs.append((_wall(allocate), _wall(version), _wall(floor)))
        (folder / "allocation.csv").unlink(missing_ok=True)
        imports = _imports(allocate)
    command = statistics.median(a for a, _, _ in runs)
    baseline = statistics.median(b for _, b, _ in runs)
    pandas_floor = statistics.median(f for _, _, f in runs)
    ratio = statistics.median(a / b for a, b, _ in runs)
    verdict = "meets" if command < TARGET_WALL_S else "MISSES"
    print(
        f"allocate --strategy rank, {N_SUBMISSIONS} rows: {command:.3f} s wall (median of {RUNS})"
    )
    print(f"baseline fairpanel --version:              {baseline:.3f} s wall")
    print(f"floor: import pandas and the CLI:          {pandas_floor:.3f} s wall")
    print(f"ratio {ratio:.2f}x the baseline; {verdict} the target of < {TARGET_WALL_S} s")
    total = sum(seconds for _, seconds in imports)
    named = ", ".join(f"{name} {seconds:.2f}" for name, seconds in imports[:TOP_IMPORTS])
    print(f"imports {total:.2f} s of it, by package (s): {named}")
