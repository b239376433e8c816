"""A seeded generator of review cycles whose true merit is known.

Every quantity about a submission or a review is stated in units of the standard
deviation of true merit (merit ~ N(0, 1) unless shifted for a group), as in the
simulation scenarios. One criterion score of one review is

    latent = merit[s] + profile[s, c] + offset[c] + leniency[r] + opinion[r, s]
             - bias[r] * in_group[s] + noise[r, s, c]

where ``profile`` lets a submission be stronger on one criterion than another,
``offset`` makes some criteria harder, ``leniency`` is a reviewer's constant offset,
``opinion`` the reviewer's overall view of this submission (shared by its criteria — the
reviewer-by-submission effect of the SNSF model, Heyard et al. 2022), and ``noise`` the
rest. The latent value maps to the rubric's scale as ``center + spread * latent``, and is
rounded to a level and clipped to the scale's ends, the way a reviewer picks a level. On
a scale where lower is better the mapping is mirrored, so merit still means "better".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel._seed import Seed, as_rng
from fairpanel.rubric import Rubric

# The configuration lives in its own module; its names stay importable from here.
from fairpanel.simulate._cycle_config import DEFAULT_GROUP_SHARES, CycleConfig

__all__ = ["DEFAULT_GROUP_SHARES", "Cycle", "CycleConfig", "generate_cycle"]


@dataclass(frozen=True, eq=False)
class Cycle:
    """One generated cycle: the tables a committee has, and the truth it does not.

    Attributes
    ----------
    submissions : DataFrame
        ``submission_id``, one column per group attribute, ``requested_hours``.
    reviews : DataFrame
        ``submission_id, reviewer_id, criterion, score`` (whole levels of the scale).
    merit : DataFrame
        ``submission_id, merit``: the true merit (merit SD units; higher is better).
    reviewers : DataFrame
        ``reviewer_id, leniency, noise_sd, biased``: the truth about each reviewer.
    config : CycleConfig
        The configuration that generated it.
    """

    submissions: pd.DataFrame
    reviews: pd.DataFrame
    merit: pd.DataFrame
    reviewers: pd.DataFrame
    config: CycleConfig


def generate_cycle(
    config: CycleConfig | None = None,
    *,
    rubric: Rubric | None = None,
    seed: Seed = None,
    **changes: Any,
) -> Cycle:
    """Generate a review cycle with known true merit.

    Parameters
    ----------
    config : CycleConfig, optional
        What the cycle looks like; the defaults describe a telescope cycle of 300
        proposals with 3–5 reviews each.
    rubric : Rubric, optional
        The rubric reviewers score on (its criteria and scale); default a single
        overall grade on 1–5.
    seed : int, str, Generator or None, optional
        Seed of every random draw (:func:`fairpanel._seed.as_rng`).
        Submissions, merit, reviewers, assignment and scores use separate child streams,
        so changing, say, the number of reviewers leaves the submissions unchanged.
    **changes
        Fields of :class:`CycleConfig` to change, e.g. ``n_submissions=500``.

    Returns
    -------
    Cycle

    Examples
    --------
    >>> cycle = generate_cycle(n_submissions=20, seed=1)
    >>> cycle.submissions.columns.tolist()
    ['submission_id', 'gender', 'career_stage', 'region', 'institution_type', 'requested_hours']
    >>> cycle.reviews.groupby("submission_id").size().between(3, 5).all()
    np.True_
    """
    config = CycleConfig() if config is None else config
    if changes:
        allowed = {f.name for f in fields(CycleConfig)}
        unknown = sorted(set(changes) - allowed)
        if unknown:
            raise TypeError(
                f"unknown CycleConfig fields {unknown}; allowed are {', '.join(sorted(allowed))}"
            )
        config = replace(config, **changes)
    rubric = Rubric.single_criterion(minimum=1, maximum=5) if rubric is None else rubric
    rng_groups, rng_merit, rng_reviewers, rng_assign, rng_scores = as_rng(seed).spawn(5)

    n = config.n_submissions
    width = len(str(n))
    sub_ids = np.array([f"P{i:0{width}d}" for i in range(1, n + 1)], dtype=object)

    # Submissions: group attributes, requests, true merit.
    groups = {
        attribute: _draw_groups(rng_groups, shares, n)
        for attribute, shares in config.group_shares.items()
    }
    hours = rng_groups.lognormal(np.log(config.request_median), config.request_sigma, n)
    step = config.request_step
    hours = np.maximum(step, np.round(hours / step) * step)
    merit = rng_merit.standard_normal(n)
    for attribute, shifts in config.merit_shift.items():
        merit = merit + _lookup(groups[attribute], shifts)

    # Reviewers: leniency, noise, bias. Always drawn, so a change of bias_size alone
    # leaves every other draw of the cycle as it was.
    m = config.reviewers
    rev_width = len(str(m))
    rev_ids = np.array([f"R{j:0{rev_width}d}" for j in range(1, m + 1)], dtype=object)
    leniency = rng_reviewers.normal(0.0, config.leniency_sd, m)
    s = config.noise_sd_spread
    noise_sd = config.noise_sd * rng_reviewers.lognormal(-(s**2) / 2, s, m)
    biased = rng_reviewers.random(m) < config.bias_share

    sub_of, rev_of = _assign(rng_assign, n, m, config.reviews_per_submission)

    # Scores: one row per review, one column per criterion.
    criteria = rubric.criterion_ids
    c = len(criteria)
    offset = rng_scores.normal(0.0, config.criterion_offset_sd, c)
    profile = rng_scores.normal(0.0, config.criterion_profile_sd, (n, c))
    opinion = rng_scores.normal(0.0, config.opinion_sd, len(sub_of))
    noise = rng_scores.standard_normal((len(sub_of), c)) * noise_sd[rev_of, None]
    in_group = (
        groups[config.bias_attribute] == config.bias_against
        if config.bias_attribute in groups
        else np.zeros(n, dtype=bool)
    )
    penalty = config.bias_size * (biased[rev_of] & in_group[sub_of])
    latent = (
        merit[sub_of, None]
        + profile[sub_of]
        + offset[None, :]
        + (leniency[rev_of] + opinion - penalty)[:, None]
        + noise
    )
    score = _to_scale(latent, rubric, config)

    submissions = pd.DataFrame({"submission_id": pd.array(sub_ids, dtype="str")})
    for attribute, values in groups.items():
        submissions[attribute] = pd.array(values, dtype="str")
    submissions["requested_hours"] = hours
    reviews = pd.DataFrame(
        {
            "submission_id": pd.array(np.repeat(sub_ids[sub_of], c), dtype="str"),
            "reviewer_id": pd.array(np.repeat(rev_ids[rev_of], c), dtype="str"),
            "criterion": pd.array(np.tile(np.asarray(criteria, dtype=object), len(sub_of))),
            "score": score.reshape(-1),
        }
    )
    reviews["criterion"] = reviews["criterion"].astype("str")
    return Cycle(
        submissions=submissions,
        reviews=reviews,
        merit=pd.DataFrame({"submission_id": submissions["submission_id"], "merit": merit}),
        reviewers=pd.DataFrame(
            {
                "reviewer_id": pd.array(rev_ids, dtype="str"),
                "leniency": leniency,
                "noise_sd": noise_sd,
                "biased": biased if config.bias_size != 0 else np.zeros(m, dtype=bool),
            }
        ),
        config=config,
    )


# ---------------------------------------------------------------------- helpers
def _draw_groups(
    rng: np.random.Generator, shares: Mapping[str, float], n: int
) -> npt.NDArray[np.object_]:
    names = np.array(list(shares), dtype=object)
    p = np.asarray(list(shares.values()), dtype=float)
    out: npt.NDArray[np.object_] = names[rng.choice(len(names), size=n, p=p / p.sum())]
    return out


def _lookup(values: npt.NDArray[np.object_], mapping: Mapping[str, float]) -> npt.NDArray[Any]:
    """Map each group to its number (0 for groups the mapping does not name)."""
    return pd.Series(values).map(dict(mapping)).fillna(0.0).to_numpy(dtype=float)


def _assign(
    rng: np.random.Generator, n: int, m: int, reviews: tuple[int, int]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Give each submission 3–5 distinct reviewers with balanced loads.

    Submissions, in random order, take consecutive slots of a random cyclic order of the
    reviewers: k consecutive slots are k distinct reviewers (k ≤ m), every reviewer's
    load differs from any other's by at most one, and neighbouring reviewers share
    submissions, as overlapping panels do (which keeps the design connected).
    """
    lo, hi = reviews
    k = rng.integers(lo, hi + 1, n)
    order = rng.permutation(n)
    cyclic = rng.permutation(m)
    sub_of = np.repeat(order, k[order])
    rev_of = cyclic[np.arange(sub_of.size) % m]
    # Rows in submission order (the order a committee's export would have).
    rows = np.argsort(sub_of, kind="stable")
    return sub_of[rows], rev_of[rows]


def _to_scale(
    latent: npt.NDArray[np.float64], rubric: Rubric, config: CycleConfig
) -> npt.NDArray[np.int64]:
    scale = rubric.scale
    center = (scale.min + scale.max) / 2 if config.center is None else config.center
    spread = (scale.max - scale.min) / 4 if config.spread is None else config.spread
    direction = 1.0 if scale.higher_is_better else -1.0
    value = center + direction * spread * latent
    out: npt.NDArray[np.int64] = np.clip(np.rint(value), scale.min, scale.max).astype(np.int64)
    return out
