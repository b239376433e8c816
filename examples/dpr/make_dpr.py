"""Write a generated ALMA-sized distributed-review cycle: examples/dpr/{submissions,reviews}.csv.

1,700 proposals; the PI of each ranks 10 others (never their own, 1 = best, as ALMA's
reviewers do since Cycle 8), by a latent merit (SD 1) plus a reviewer's own noise (SD 1)
(:func:`fairpanel.simulate.dpr_cycle`). Each proposal carries the group attributes ALMA
reports on (region, gender, career stage), its science category and its PI's reviewer
id (``pi``). Merit does not depend on the groups, so any disparity an audit finds in a
selection made from these rankings is the process's, not the applicants'. Pass
``--strategic 0.3`` to make 30% of the reviewers push their direct competitors (same
category) down by half a merit SD, and see ``fairpanel dpr-check`` find it. A fixed
seed: running this again reproduces the files byte for byte.

    python examples/dpr/make_dpr.py
    fairpanel score --reviews examples/dpr/reviews.csv --review-type ranks --out scores.csv
    fairpanel dpr-check --reviews examples/dpr/reviews.csv \
        --submissions examples/dpr/submissions.csv --category category --review-type ranks
"""

import argparse
from pathlib import Path

from fairpanel.io import write_frame
from fairpanel.simulate import dpr_cycle

OUT = Path(__file__).resolve().parent
N, K, SEED = 1_700, 10, 17

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--strategic", type=float, default=0.0, help="share of strategic reviewers")
args = parser.parse_args()
cycle = dpr_cycle(N, K, seed=SEED, strategic_share=args.strategic, strategic_shift=0.5)
write_frame(OUT / "submissions.csv", cycle.submissions)
write_frame(OUT / "reviews.csv", cycle.reviews)
print(f"wrote {N} submissions and {len(cycle.reviews)} ranks to {OUT}")
