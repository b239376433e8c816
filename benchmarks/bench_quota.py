"""Maximin quota lottery: fairpanel vs the Sortition Foundation's ``sortition-algorithms``.

Target (issue 13): a 300-entrant zone, 60 places, quotas on three crossed attributes
(gender, career stage, region): fairpanel's maximin distribution computed in <= 10 s,
and, on the same instance in the same run, ``sortition_algorithms``' maximin
(``committee_generation.maximin.find_distribution_maximin``, the column generation of
Flanigan et al. 2021 with highspy): a minimum chance at least as high (within 1e-4) and
less time.

Both are timed from the same in-memory instance to the distribution (fairpanel's
includes the feasibility check, the column generation and the rounding to the
1/10,000 grid). The minimum chance is reported for fairpanel's LP optimum and for its
published grid distribution, and for sortition-algorithms' returned distribution
(floating-point probabilities, no grid). Both CPU time (``time.process_time``: this
process, every thread) and wall time are printed; on a shared machine the wall time
also counts the waits for a core, so the CPU figures are the ones to compare.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from fairpanel.io import Quota, QuotaTable
from fairpanel.lottery import QuotaProblem, check_quota_feasibility, maximin_distribution

N_ENTRANTS = 300
PLACES = 60
TARGET_SECONDS = 10.0
#: Each attribute's values, their shares in the zone and their (min, max) on the panel.
ATTRIBUTES: dict[str, dict[str, tuple[float, int, int]]] = {
    "gender": {"woman": (0.40, 28, 36), "man": (0.55, 20, 32), "non-binary": (0.05, 2, 4)},
    "stage": {"early": (0.30, 24, 30), "mid": (0.40, 0, 60), "senior": (0.30, 0, 15)},
    "region": {
        "north": (0.40, 0, 20),
        "south": (0.30, 0, 60),
        "east": (0.20, 0, 60),
        "west": (0.10, 9, 12),
    },
}


def make_instance(seed: int = 2026) -> tuple[pd.DataFrame, QuotaTable]:
    """The zone (ids and three attributes) and its quota table."""
    rng = np.random.default_rng(seed)
    zone = pd.DataFrame({"submission_id": [f"S{i:03d}" for i in range(N_ENTRANTS)]})
    rows = []
    for attr, values in ATTRIBUTES.items():
        names = list(values)
        shares = np.array([values[v][0] for v in names])
        zone[attr] = rng.choice(names, N_ENTRANTS, p=shares / shares.sum())
        rows += [Quota(attr, v, lo, hi) for v, (_, lo, hi) in values.items()]
    return zone, QuotaTable(tuple(rows))


def fairpanel_maximin(zone: pd.DataFrame, quotas: QuotaTable) -> tuple[float, float, int]:
    """Return (LP minimum, grid minimum, panels) of fairpanel's maximin distribution."""
    problem = QuotaProblem.build(zone, quotas, places=PLACES)
    check_quota_feasibility(problem)
    dist = maximin_distribution(problem)
    return dist.lp_minimum, dist.minimum, len(dist.panels)


def sortition_maximin(zone: pd.DataFrame) -> tuple[float, int]:
    """Return (minimum chance, panels) of sortition-algorithms' maximin distribution."""
    from sortition_algorithms import Settings, read_in_features, read_in_people
    from sortition_algorithms.committee_generation.maximin import find_distribution_maximin

    head = ["feature", "value", "min", "max"]
    body = [
        {"feature": attr, "value": v, "min": str(lo), "max": str(hi)}
        for attr, values in ATTRIBUTES.items()
        for v, (_, lo, hi) in values.items()
    ]
    features, _, _ = read_in_features(head, body, number_to_select=PLACES)
    settings = Settings(id_column="id", columns_to_keep=[], check_same_address=False)
    people_head = ["id", *ATTRIBUTES]
    people_body = [
        {"id": r.submission_id, **{a: getattr(r, a) for a in ATTRIBUTES}}
        for r in zone.itertuples(index=False)
    ]
    people, _ = read_in_people(people_head, people_body, features, settings)
    committees, probabilities, _ = find_distribution_maximin(features, people, PLACES, [])
    chance = dict.fromkeys(zone["submission_id"], 0.0)
    for committee, p in zip(committees, probabilities, strict=True):
        for sid in committee:
            chance[sid] += p
    return min(chance.values()), sum(p > 0 for p in probabilities)


def run() -> None:
    """Time both maximin solvers on the same instance and print the comparison."""
    zone, quotas = make_instance()
    print(
        f"zone: {N_ENTRANTS} entrants, {PLACES} places, quotas on "
        f"{', '.join(ATTRIBUTES)} ({len(quotas.quotas)} rows)"
    )
    start, cpu = time.perf_counter(), time.process_time()
    lp_min, grid_min, n_panels = fairpanel_maximin(zone, quotas)
    t_fp, c_fp = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"fairpanel maximin: CPU {c_fp:.2f} s, wall {t_fp:.2f} s (target <= "
        f"{TARGET_SECONDS:g} s); minimum chance "
        f"{lp_min:.6f} (LP), {grid_min:.4f} on the published 1/10,000 grid; {n_panels} panels"
    )
    try:
        import sortition_algorithms  # noqa: F401
    except ImportError:
        print("sortition-algorithms is not installed (pip install '.[bench]'): no baseline")
        return
    start, cpu = time.perf_counter(), time.process_time()
    sa_min, sa_panels = sortition_maximin(zone)
    t_sa, c_sa = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"sortition-algorithms maximin: CPU {c_sa:.2f} s, wall {t_sa:.2f} s; minimum chance "
        f"{sa_min:.6f}; {sa_panels} panels"
    )
    print(
        f"ratio: {c_sa / c_fp:.2f}x less CPU, {t_sa / t_fp:.2f}x less wall time (target > 1); "
        "minimum chance difference "
        f"{lp_min - sa_min:+.6f} (LP) and {grid_min - sa_min:+.6f} (grid) "
        "(target >= -0.0001)"
    )


if __name__ == "__main__":
    run()
