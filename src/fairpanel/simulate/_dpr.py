"""A seeded generator of distributed-review cycles: every PI ranks a few others' proposals.

ALMA (since Cycle 8) and ESO (since Period 110) review most proposals this way: the PI
of each proposal, or a delegate, ranks about ten proposals of other teams, never their
own. A generated cycle here has one reviewer per proposal (``PI-<id>``, named in the
submissions' ``pi`` column), the group attributes ALMA reports on (region, gender,
career stage) and ALMA's five science categories. Each reviewer ranks ``k`` proposals
drawn at random among the others (1 = best), by latent merit (SD 1) plus their own
noise (SD ``noise_sd``). Merit does not depend on the group attributes.

A share of the reviewers can be made strategic: they push proposals of their own
science category (their direct competitors) down by ``strategic_shift`` merit SDs
before ranking, the behaviour the ESO and ALMA studies of distributed review looked
for (Kerzendorf et al. 2020; ALMA Cycle 8 2021 proposal review report).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from fairpanel._seed import Seed, as_rng

__all__ = ["CATEGORIES", "DprCycle", "dpr_cycle"]

#: ALMA's five science categories, with shares close to a recent cycle's proposals.
CATEGORIES: Final[Mapping[str, float]] = {
    "cosmology and the high-z universe": 0.2,
    "galaxies and galactic nuclei": 0.2,
    "ISM, star formation and astrochemistry": 0.3,
    "circumstellar disks, exoplanets and the solar system": 0.2,
    "stellar evolution and the Sun": 0.1,
}
REGIONS: Final[Mapping[str, float]] = {
    "Chile": 0.1, "East Asia": 0.22, "Europe": 0.38, "North America": 0.25, "Other": 0.05,
}  # fmt: skip
GENDERS: Final[Mapping[str, float]] = {"woman": 0.35, "man": 0.62, "undisclosed": 0.03}
STAGES: Final[Mapping[str, float]] = {"student": 0.15, "postdoc": 0.35, "faculty": 0.5}

ERR_SIZE = (
    "a distributed-review cycle needs n > k >= 2 (every PI ranks k others), got n={n}, k={k}"
)
ERR_SHARE = "strategic_share must be between 0 and 1, got {value!r}"


@dataclass(frozen=True, eq=False)
class DprCycle:
    """One generated distributed-review cycle and its truth.

    Attributes
    ----------
    submissions : DataFrame
        ``submission_id, region, gender, career_stage, category, pi``.
    reviews : DataFrame
        ``submission_id, reviewer_id, score``: the rank (1 = best) each reviewer gave.
    merit : DataFrame
        ``submission_id, merit`` (higher is better).
    reviewers : DataFrame
        ``reviewer_id, strategic``: which reviewers pushed their competitors down.
    """

    submissions: pd.DataFrame
    reviews: pd.DataFrame
    merit: pd.DataFrame
    reviewers: pd.DataFrame


def dpr_cycle(
    n: int = 1_700,
    k: int = 10,
    *,
    seed: Seed = 17,
    noise_sd: float = 1.0,
    strategic_share: float = 0.0,
    strategic_shift: float = 0.0,
) -> DprCycle:
    """Generate a ranked distributed-review cycle whose merit is known.

    Parameters
    ----------
    n : int, default 1700
        Proposals, one reviewer (its PI) each: ALMA's cycle size.
    k : int, default 10
        Proposals each reviewer ranks.
    seed : int, str, Generator or None, default 17
        The seed (:func:`fairpanel._seed.as_rng`); the same seed gives the same cycle.
    noise_sd : float, default 1.0
        A reviewer's noise about merit, in merit SDs.
    strategic_share : float, default 0.0
        Share of reviewers who rank their competitors (same science category) down.
    strategic_shift : float, default 0.0
        How far down, in merit SDs.

    Returns
    -------
    DprCycle

    Examples
    --------
    >>> cycle = dpr_cycle(40, 5, seed=1)
    >>> len(cycle.reviews), sorted(cycle.reviews["score"].unique().tolist())
    (200, [1, 2, 3, 4, 5])
    >>> bool((cycle.reviews["reviewer_id"] != "PI-" + cycle.reviews["submission_id"]).all())
    True
    """
    if not n > k >= 2:
        raise ValueError(ERR_SIZE.format(n=n, k=k))
    if not 0.0 <= strategic_share <= 1.0:
        raise ValueError(ERR_SHARE.format(value=strategic_share))
    rng = as_rng(seed)
    ids = np.array([f"A{i:04d}" for i in range(n)])

    def draw(shares: Mapping[str, float]) -> np.ndarray:
        return rng.choice(list(shares), size=n, p=list(shares.values()))

    submissions = pd.DataFrame(
        {"submission_id": ids, "region": draw(REGIONS), "gender": draw(GENDERS),
         "career_stage": draw(STAGES)}
    )  # fmt: skip
    merit = rng.normal(0.0, 1.0, n)
    # Reviewer j (the PI of proposal j) ranks k others: offsets 1..n-1 from their own,
    # the k smallest of n-1 uniform keys (a random k-subset without a loop).
    offsets = np.argpartition(rng.random((n, n - 1)), k - 1, axis=1)[:, :k] + 1
    sub = (np.arange(n)[:, None] + offsets) % n
    utility = merit[sub] + rng.normal(0.0, noise_sd, sub.shape)
    category = draw(CATEGORIES)
    strategic = rng.random(n) < strategic_share
    competitor = category[sub] == category[:, None]
    utility -= strategic_shift * (strategic[:, None] & competitor)
    ranks = np.argsort(np.argsort(-utility, axis=1), axis=1) + 1
    reviewer = np.array([f"PI-{i}" for i in ids])
    submissions["category"] = category
    submissions["pi"] = reviewer
    reviews = pd.DataFrame(
        {"submission_id": ids[sub.ravel()], "reviewer_id": np.repeat(reviewer, k),
         "score": ranks.ravel()}
    )  # fmt: skip
    return DprCycle(
        submissions,
        reviews,
        pd.DataFrame({"submission_id": ids, "merit": merit}),
        pd.DataFrame({"reviewer_id": reviewer, "strategic": strategic}),
    )
