"""Past cycles for the ML strategy, with each cautionary tale planted on purpose.

A history is one row per past submission: its cycle, group attributes, features known
when it was submitted, the panel's rubric score (``past_score``) and the past decision
(``selected``). Each flag plants one failure that a trust check must catch; with no flag
set the history is clean (merit is distributed alike in every group, no feature says
anything about a group, and nothing recorded after the decision is in the table).
"""

from __future__ import annotations

from typing import Final, Literal

import numpy as np
import pandas as pd

from fairpanel._seed import Seed, as_rng

__all__ = ["HISTORY_OUTCOMES", "generate_history"]

#: Columns holding past outcomes: never features of a model (see ``SelectionModel``).
HISTORY_OUTCOMES: Final[tuple[str, ...]] = ("selected", "past_score")

Source = Literal["simulated", "real"]
_SOURCES: Final[tuple[str, ...]] = ("simulated", "real")

ERR_SOURCE = "source must be one of {allowed}, got {value!r}"
ERR_SIZE = "n_per_cycle must be at least 20 and cycles at least 1, got {n} and {cycles}"
ERR_RATE = "selection_rate must be in (0, 1), got {value}"

# Probability that the planted watermark disagrees with the past decision in the simulated
# source: strong enough to dominate a model, weak enough that the leakage check (which looks
# for a feature that alone predicts the decision almost perfectly) does not claim it.
_TAG_FLIP: Final = 0.06


def generate_history(
    n_per_cycle: int = 200,
    *,
    cycles: int = 3,
    selection_rate: float = 0.25,
    proxy: bool = False,
    leakage: bool = False,
    artifact: bool = False,
    biased: bool = False,
    bias: float = 0.8,
    source: Source = "simulated",
    seed: Seed = None,
) -> pd.DataFrame:
    """Generate past review cycles, planting the failures the trust checks look for.

    Parameters
    ----------
    n_per_cycle : int, default 200
        Submissions per cycle.
    cycles : int, default 3
        Number of past cycles.
    selection_rate : float, default 0.25
        Share selected in each cycle (the top of the decision ranking).
    proxy : bool, default False
        Add ``womens_college``: attended a women's college, held by most women and almost
        no men -- a feature that stands in for gender although gender is excluded.
    leakage : bool, default False
        Add ``hours_used``: telescope hours used, recorded *after* the decision (zero for
        every rejected submission) -- the "did the ML cheat?" tale.
    artifact : bool, default False
        Add ``source_tag``: in the ``"simulated"`` source a near-perfect watermark of the
        decision (the horse photographs carrying a source tag); in the ``"real"`` source
        random noise with the same frequency.
    biased : bool, default False
        Past decisions penalise women at equal merit by ``bias`` rubric points (the
        recruiting tale); the rubric score itself stays unbiased.
    bias : float, default 0.8
        Size of that penalty, on the 1–5 rubric scale.
    source : {"simulated", "real"}, default "simulated"
        ``"real"`` shifts the feature distributions (more publications, higher citation
        index) while keeping how merit drives scores and decisions.
    seed : int, str, Generator or None, optional
        Seed of every draw (:func:`fairpanel._seed.as_rng`).

    Returns
    -------
    pandas.DataFrame
        Columns ``submission_id, cycle, gender, career_stage, field, publications,
        citation_index, prior_awards, requested_hours, pages`` (+ ``womens_college``,
        ``hours_used``, ``source_tag`` when planted), ``past_score, selected``.

    Examples
    --------
    >>> h = generate_history(50, cycles=2, biased=True, proxy=True, seed=1)
    >>> h.shape
    (100, 13)
    >>> int(h.groupby("cycle")["selected"].sum().iloc[0])
    12
    """
    if source not in _SOURCES:
        raise ValueError(ERR_SOURCE.format(allowed=_SOURCES, value=source))
    if n_per_cycle < 20 or cycles < 1:
        raise ValueError(ERR_SIZE.format(n=n_per_cycle, cycles=cycles))
    if not 0.0 < selection_rate < 1.0:
        raise ValueError(ERR_RATE.format(value=selection_rate))
    rng = as_rng(seed)
    n = n_per_cycle * cycles
    real = source == "real"

    cycle = np.repeat(np.arange(1, cycles + 1), n_per_cycle)
    woman = rng.random(n) < 0.45
    gender = np.where(woman, "woman", "man")
    career_stage = rng.choice(np.array(["early", "mid", "senior"]), size=n, p=[0.4, 0.35, 0.25])
    # The real source differs in its mix of fields and in the size of requests, and a
    # little in publication habits (shifts a model must survive).
    field_mix = [0.2, 0.4, 0.2, 0.2] if real else [0.25, 0.25, 0.25, 0.25]
    fields = np.array(["galactic", "extragalactic", "stellar", "planetary"])
    field = rng.choice(fields, size=n, p=field_mix)
    # Latent merit: the same distribution in every group (a clean history is fair).
    merit = rng.standard_normal(n)

    # Features known at submission time; three carry information about merit, with
    # comparable strength, so that no single one dominates a model on clean data.
    shift = 0.1 if real else 0.0
    publications = rng.poisson(np.exp(1.6 + shift + 0.25 * merit))
    citation_index = np.round(0.5 * merit + shift + 0.8 * rng.standard_normal(n), 3)
    prior_awards = rng.poisson(np.exp(-0.1 + 0.55 * merit))
    requested_hours = np.round(rng.lognormal(np.log(16.0 if real else 12.0), 0.5, n), 1)
    pages = rng.integers(2, 5, n, endpoint=True)  # uninformative

    # The panel's rubric score: mean of three reviews on a 1–5 scale, unbiased.
    review_noise = rng.standard_normal((n, 3)).mean(axis=1) * 0.6
    past_score = np.round(np.clip(3.0 + 0.8 * merit + review_noise, 1.0, 5.0), 2)

    # The past decision: the top of each cycle by the panel's judgment, which in a biased
    # history marks women down at equal score (what the recruiting model learned from).
    decision = past_score + 0.15 * rng.standard_normal(n)
    if biased:
        decision = decision - bias * woman
    k = round(selection_rate * n_per_cycle)
    by_cycle = decision.reshape(cycles, n_per_cycle)
    order = np.argsort(-by_cycle, axis=1, kind="stable")
    chosen = np.zeros((cycles, n_per_cycle), dtype=bool)
    np.put_along_axis(chosen, order[:, :k], True, axis=1)
    selected = chosen.ravel()

    frame = pd.DataFrame(
        {
            "submission_id": [
                f"{source[:3]}-{c}-{i:04d}" for c, i in zip(cycle, range(n), strict=True)
            ],
            "cycle": cycle,
            "gender": gender,
            "career_stage": career_stage,
            "field": field,
            "publications": publications,
            "citation_index": citation_index,
            "prior_awards": prior_awards,
            "requested_hours": requested_hours,
            "pages": pages,
        }
    )
    if proxy:
        frame["womens_college"] = np.where(woman, rng.random(n) < 0.7, rng.random(n) < 0.02)
    if leakage:
        used = requested_hours * rng.uniform(0.8, 1.0, n)
        frame["hours_used"] = np.round(np.where(selected, used, 0.0), 1)
    if artifact:
        # Real data: noise at the same frequency; simulated: the decision, rarely flipped.
        noise = rng.random(n)
        tag = noise < selection_rate if real else selected ^ (noise < _TAG_FLIP)
        frame["source_tag"] = tag.astype(np.int64)
    frame["past_score"] = past_score
    frame["selected"] = selected
    return frame
