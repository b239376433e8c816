"""A scenario shaped like the committee's own panel, to ask what each rule would have done.

The scorer's variance components are what a simulation needs: the spread of the
submissions' true scores (``submission_sd``), of the reviewers' leniency, and of one
review's noise, all in points of the scale. A scenario states everything in units of the
SD of true merit, so the panel's leniency and noise become ratios to ``submission_sd``,
and the map from latent merit to the scale is ``center = overall mean`` and
``spread = submission_sd`` points per merit SD. A review's noise is taken without the
rounding to the scale's steps (Sheppard's correction), which the simulation adds again.
The reviewer pool, the reviews per submission, the scale, the group shares and the
places are read off the tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel.rubric import Rubric, Scale
from fairpanel.scoring import ScoreResult, score
from fairpanel.simulate._scenario import LotteryTier, Scenario

__all__ = ["scenario_from_reviews", "scenario_yaml"]

ERR_ONE_GROUP = (
    "the group column '{column}' has one value ('{value}'): a comparison of groups needs two"
)
ERR_NO_SPREAD = (
    "the reviews show no spread between submissions (submission SD {sd:.3g} points): "
    "a scenario in units of merit cannot be built from them"
)
#: The default tiers of a scenario, as fractions of the way from the scale's worst end to
#: its best (3.5 and 3.0 on 1–5), so a 1–6 or 1–40 panel gets tiers at the same places.
TIER_FRACTIONS = ((0.625, 3.0), (0.5, 1.0))
#: Reviewer seed of the scorer's fit: the REML components do not depend on it, only the
#: draws of the expected ranks the scenario does not use.
FIT_SEED = "scenario-from-reviews"


def scenario_from_reviews(
    reviews: pd.DataFrame,
    *,
    capacity: float,
    rubric: Rubric | None = None,
    scale: Scale | tuple[int, int] | None = None,
    groups: pd.Series | None = None,
    name: str = "our panel",
) -> tuple[Scenario, ScoreResult]:
    """Build a simulation scenario from a panel's reviews.

    Parameters
    ----------
    reviews : DataFrame
        The reviews, as :func:`fairpanel.io.load_reviews` returns them (or any frame it
        accepts).
    capacity : float
        The places: a count (at least 1) or a fraction of the submissions.
    rubric : Rubric, optional
        The rubric the panel scored on (its scale and weights).
    scale : Scale or (int, int), optional
        The scale without a rubric; by default the data's own range (as
        :func:`fairpanel.scoring.score` takes it, recorded as inferred).
    groups : Series, optional
        Each submission's group (index: submission id), for the scenario's group shares;
        default one group, ``all``.
    name : str, default "our panel"
        The scenario's name.

    Returns
    -------
    scenario : Scenario
        Submissions, reviewer pool, reviews per submission (the median), leniency and
        noise (REML estimates over the submission SD), scale, center and spread, group
        shares, capacity. Merit is taken as equal across groups and reviewers as
        unbiased: the data cannot tell a merit gap from a reviewer bias, so the user
        states either by editing the YAML.
    fit : ScoreResult
        The empirical-Bayes score the estimates come from.

    Raises
    ------
    FairpanelInputError
        A group column with a single value, or reviews with no spread between
        submissions.
    """
    fit = score(reviews, rubric=rubric, scale=scale, method="eb", seed=FIT_SEED)
    comp = fit.components
    sd = float(comp["submission_sd"])
    if not sd > 0:
        raise FairpanelInputError(ERR_NO_SPREAD.format(sd=sd))
    s = fit.scale
    per_submission = fit.table["n_reviews"].to_numpy(dtype=float)
    mean = float(comp["overall_mean"])
    # The simulation's scale runs with higher = better, as calibrated scores do.
    center = mean if s.higher_is_better else s.min + s.max - mean
    shares = {"all": 1.0} if groups is None else _shares(groups, fit)
    fields: dict[str, Any] = {
        "name": name,
        "description": (
            f"built from {fit.table.shape[0]} submissions' reviews: leniency and noise "
            "estimated by REML, merit equal across groups, no reviewer bias"
        ),
        "submissions": int(fit.table.shape[0]),
        "group_attribute": "group" if groups is None or groups.name is None else str(groups.name),
        "group_shares": shares,
        "reviewers": int(fit.reviewers.shape[0]),
        "reviews_per_submission": max(1, round(float(np.median(per_submission)))),
        "leniency_sd": float(comp["leniency_sd"]) / sd,
        "noise_sd": _latent_noise(float(comp["review_sd"]), s) / sd,
        "scale_min": s.min,
        "scale_max": s.max,
        "center": center,
        "spread": sd,
        # Rounding to whole levels is what reviewers on a whole-point scale do; a finer or
        # continuous scale keeps the latent value.
        "rounding": s.step == 1,
        "capacity": float(capacity),
        "tiers": tuple(LotteryTier(s.min + f * (s.max - s.min), w) for f, w in TIER_FRACTIONS),
    }
    return Scenario.from_dict(_plain(fields)), fit


def _latent_noise(review_sd: float, scale: Scale) -> float:
    """One review's noise before the reviewer picked a step of the scale.

    A score rounded to a step ``h`` carries rounding error of variance ``h**2 / 12``
    (Sheppard's correction) on top of the reviewer's noise; the simulation rounds again,
    so the scenario takes the noise without it. Never below half the observed SD.
    """
    if scale.step is None:
        return review_sd
    latent = review_sd**2 - scale.step**2 / 12
    return math.sqrt(max(latent, review_sd**2 / 4))


def _shares(groups: pd.Series, fit: ScoreResult) -> dict[str, float]:
    """Each group's share of the scored submissions."""
    ids = fit.table["submission_id"].astype("str")
    named = groups.copy()
    named.index = named.index.astype("str")
    counts = named.reindex(ids).fillna("not stated").astype("str").value_counts(sort=False)
    if len(counts) < 2:
        raise FairpanelInputError(ERR_ONE_GROUP.format(column=groups.name, value=counts.index[0]))
    total = float(counts.sum())
    return {str(g): float(n) / total for g, n in sorted(counts.items())}


def _plain(fields: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    out["tiers"] = [{"min_score": t.min_score, "weight": t.weight} for t in fields["tiers"]]
    return out


def scenario_yaml(scenario: Scenario, *, source: str | Path | None = None) -> str:
    """Write a scenario as commented YAML the user can edit and pass to ``--scenario``.

    Parameters
    ----------
    scenario : Scenario
        The scenario, typically from :func:`scenario_from_reviews`.
    source : str or Path, optional
        The reviews file it was built from, named in the header comment.

    Returns
    -------
    str
        YAML text; :func:`fairpanel.simulate.load_scenario` reads it back to an equal
        scenario (numbers to 4 significant digits).
    """
    import yaml  # only this writer needs it at run time

    data = scenario.to_dict()
    for key in ("leniency_sd", "noise_sd", "center", "spread", "capacity"):
        if data.get(key) is not None:
            data[key] = _round(float(data[key]))
    data["group_shares"] = {g: _round(v) for g, v in data["group_shares"].items()}
    data["tiers"] = [{k: _round(float(v)) for k, v in t.items()} for t in data["tiers"]]
    head = [
        f"# A scenario shaped like the panel in {source}." if source else "# A scenario.",
        "# leniency_sd and noise_sd are the scorer's REML estimates divided by the SD of the",
        "# submissions' true scores (spread, in points); merit is equal across groups and no",
        "# reviewer is biased, since the data cannot tell those apart. Edit and rerun with",
        "# fairpanel simulate --scenario THIS_FILE.",
    ]
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return "\n".join(head) + "\n" + body


def _round(value: float) -> float:
    """Four significant digits: what an estimate from one panel supports."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, 3 - math.floor(math.log10(abs(value))))
