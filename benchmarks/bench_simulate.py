"""The Monte Carlo comparison vs just drawing its random numbers (target ≤ 10×).

Workload (issue 6): 10,000 simulated cycles of 1,000 submissions with 3 reviews each,
two independent panels per cycle (for consistency), 4 strategies (rank, lottery,
partial-lottery, tiered-lottery), scored with the fast calibrated path.

Baseline ("floor"): drawing exactly the random numbers that workload consumes, in the
same per-replicate generators and chunks — true merit (n), and per panel review noise
(3n), reviewer assignment (3n integers), leniency (100) and one lottery key per
submission (n): 1.52e8 numbers. Everything after the draws (assigning reviewers,
scores on the scale, leniency calibration, rank intervals, four allocations, metrics,
the tidy table) is what the ratio measures.
"""

from __future__ import annotations

import time

import numpy as np

from fairpanel.simulate import Scenario, compare
from fairpanel.simulate._compare import _CHUNK_SCORES
from fairpanel.simulate._kernels import draw_chunk

REPLICATES = 10_000
TARGET = 10.0
SCENARIO = Scenario(
    name="bench",
    submissions=1000,
    reviewers=100,
    reviews_per_submission=3,
    leniency_sd=0.3,
    noise_sd=1.0,
    capacity=0.2,
)


def _floor(seed: int) -> tuple[float, float]:
    """Wall-clock and CPU seconds to draw the workload's random numbers."""
    children = np.random.SeedSequence(seed).spawn(REPLICATES)
    size = _CHUNK_SCORES // (SCENARIO.submissions * SCENARIO.reviews_per_submission)
    wall, cpu = time.perf_counter(), time.process_time()
    for lo in range(0, REPLICATES, size):
        draw_chunk(SCENARIO, [np.random.default_rng(c) for c in children[lo : lo + size]])
    return time.perf_counter() - wall, time.process_time() - cpu


def run() -> None:
    n, m = SCENARIO.submissions, SCENARIO.reviews_per_submission
    numbers = REPLICATES * (n + 2 * (m * n + m * n + SCENARIO.reviewers + n))
    # On a shared machine the wall-clock floor moves with the load: measure it before and
    # after the comparison and keep the faster (the ratio is then conservative); CPU
    # seconds are printed too, being less sensitive to other processes.
    floor_wall, floor_cpu = _floor(1)
    wall, cpu = time.perf_counter(), time.process_time()
    result = compare(SCENARIO, replicates=REPLICATES, seed=1, progress=False)
    full_wall, full_cpu = time.perf_counter() - wall, time.process_time() - cpu
    again_wall, again_cpu = _floor(2)
    floor_wall, floor_cpu = min(floor_wall, again_wall), min(floor_cpu, again_cpu)
    print(
        f"floor: drawing {numbers:.3g} random numbers: {floor_wall:.2f} s ({floor_cpu:.2f} s CPU)"
    )
    print(
        f"compare: {REPLICATES:,} cycles × {n:,} submissions × {m} reviews × "
        f"{len(result.strategies)} strategies × 2 panels: {full_wall:.2f} s "
        f"({full_cpu:.2f} s CPU)"
    )
    ratio = full_wall / floor_wall
    verdict = "meets" if ratio <= TARGET else "MISSES"
    print(
        f"ratio to the floor: {ratio:.1f}× wall-clock, {full_cpu / floor_cpu:.1f}× CPU "
        f"({verdict} the target ≤ {TARGET:.0f}×)"
    )
    s = result.summary().query("group.isna() and metric == 'consistency'")
    for _, row in s.iterrows():
        print(f"  {row['strategy']:>15}: consistency {row['mean']:.4f} ± {row['mc_se']:.4f}")
