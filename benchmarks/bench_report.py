"""``fairpanel report`` on a 20,000-submission panel: under 60 s, and the HTML bounded.

Target (issue 15, part 3): the report of any panel size finishes in under 60 s wall on the
development machine (2 cores) and opens in a browser; it once failed above about 1,450
submissions (Vega's conversion overflowed its stack, then Altair refused more than 5,000
rows). The baseline is the same command on a 300-submission panel, timed in the same run,
so the ratio carries over to another machine: a report whose charts and tables grew with
the panel would take about 67 times as long; a bounded one takes little more than the
baseline plus reading the larger CSVs.

The panels are synthetic score and allocation tables of the shape ``fairpanel score`` and
``fairpanel allocate --strategy partial-lottery`` write (expected ranks with 50% and 90%
intervals widening with the panel), generated here so the benchmark needs no scoring run.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

N_LARGE = 20_000
N_BASELINE = 300
TARGET_WALL_S = 60.0
#: The stated bound on the HTML of any panel (see fairpanel.report._sections).
TARGET_HTML_BYTES = 5_000_000


def panel(n: int, folder: Path, *, seed: int = 1) -> tuple[Path, Path]:
    """Write a score table and a partial-lottery allocation of ``n`` submissions."""
    from fairpanel.io import write_frame
    from fairpanel.strategies import PartialLotteryStrategy

    rng = np.random.default_rng(seed)
    merit = rng.normal(size=n)
    calibrated = merit + rng.normal(scale=0.3, size=n)
    order = np.argsort(-calibrated, kind="stable")
    rank = np.empty(n)
    rank[order] = np.arange(1, n + 1)
    spread = 0.04 * n
    ids = [f"P{i:05d}" for i in range(n)]
    scores = pd.DataFrame(
        {
            "submission_id": ids,
            "n_reviews": 3,
            "mean_score": calibrated,
            "calibrated_score": calibrated,
            "score_se": 0.3,
            "expected_rank": rank,
            "rank_lo50": np.maximum(1, np.floor(rank - spread / 2)),
            "rank_hi50": np.minimum(n, np.ceil(rank + spread / 2)),
            "rank_lo90": np.maximum(1, np.floor(rank - spread)),
            "rank_hi90": np.minimum(n, np.ceil(rank + spread)),
            "sucra": 1 - (rank - 1) / max(n - 1, 1),
            "band": None,
        }
    )
    alloc = PartialLotteryStrategy().allocate(scores, capacity=n // 10, seed="bench")
    return write_frame(folder / "scores.csv", scores), write_frame(
        folder / "alloc.csv", alloc.table
    )


def _report(scores: Path, alloc: Path, out: Path) -> float:
    script = Path(sys.executable).with_name("fairpanel")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "fairpanel"]
    args = ["report", "--scores", str(scores), "--allocation", str(alloc), "--out", str(out)]
    start = time.perf_counter()
    subprocess.run([*command, *args], check=True, capture_output=True)
    return time.perf_counter() - start


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        timings = {}
        for n in (N_BASELINE, N_LARGE):
            sub = folder / str(n)
            sub.mkdir()
            scores, alloc = panel(n, sub)
            timings[n] = _report(scores, alloc, sub / "report")
            html = (sub / "report" / "report.html").stat().st_size
            print(f"report of {n:>6,} submissions: {timings[n]:6.1f} s, HTML {html / 1e6:.2f} MB")
            if n == N_LARGE:
                verdict = "ok" if html <= TARGET_HTML_BYTES else "OVER"
                print(f"  HTML bound {TARGET_HTML_BYTES / 1e6:.0f} MB: {verdict}")
        ratio = timings[N_LARGE] / timings[N_BASELINE]
        verdict = "ok" if timings[N_LARGE] < TARGET_WALL_S else "OVER"
        print(
            f"{N_LARGE:,} vs {N_BASELINE} submissions: {ratio:.2f}x the baseline's time "
            f"({N_LARGE // N_BASELINE}x the submissions); target < {TARGET_WALL_S:.0f} s: "
            f"{verdict}"
        )


if __name__ == "__main__":
    run()
