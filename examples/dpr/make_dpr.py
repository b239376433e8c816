"""Write a generated ALMA-sized distributed-review cycle: examples/dpr/{submissions,reviews}.csv.

1,700 proposals; the PI of each ranks 10 others (never their own, 1 = best, as ALMA's
reviewers do since Cycle 8), by a latent merit (SD 1) plus a reviewer's own noise (SD 1).
Each proposal carries the group attributes ALMA reports on: region, gender and career
stage. Merit does not depend on them, so any disparity an audit finds in a selection
made from these rankings is the process's, not the applicants'. A fixed seed: running
this again reproduces the files byte for byte.

    python examples/dpr/make_dpr.py
    fairpanel score --reviews examples/dpr/reviews.csv --review-type ranks --out scores.csv
"""

from pathlib import Path

import numpy as np
import pandas as pd

from fairpanel.io import write_frame

OUT = Path(__file__).resolve().parent
N, K, SEED = 1_700, 10, 17
REGIONS = {"Chile": 0.1, "East Asia": 0.22, "Europe": 0.38, "North America": 0.25, "Other": 0.05}
GENDERS = {"woman": 0.35, "man": 0.62, "undisclosed": 0.03}
STAGES = {"student": 0.15, "postdoc": 0.35, "faculty": 0.5}

rng = np.random.default_rng(SEED)
ids = np.array([f"A{i:04d}" for i in range(N)])


def _draw(shares: dict[str, float]) -> np.ndarray:
    return rng.choice(list(shares), size=N, p=list(shares.values()))


submissions = pd.DataFrame(
    {
        "submission_id": ids,
        "region": _draw(REGIONS),
        "gender": _draw(GENDERS),
        "career_stage": _draw(STAGES),
    }
)
merit = rng.normal(0.0, 1.0, N)
# Reviewer j (the PI of proposal j) ranks K others: offsets 1..N-1 from their own.
offsets = np.argsort(rng.random((N, N - 1)), axis=1)[:, :K] + 1
sub = (np.arange(N)[:, None] + offsets) % N
utility = merit[sub] + rng.normal(0.0, 1.0, sub.shape)
ranks = np.argsort(np.argsort(-utility, axis=1), axis=1) + 1
reviews = pd.DataFrame(
    {
        "submission_id": ids[sub.ravel()],
        "reviewer_id": np.repeat([f"PI-{i}" for i in ids], K),
        "score": ranks.ravel(),
    }
)
write_frame(OUT / "submissions.csv", submissions)
write_frame(OUT / "reviews.csv", reviews)
print(f"wrote {N} submissions and {len(reviews)} ranks to {OUT}")
