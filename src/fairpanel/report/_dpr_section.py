"""The distributed-review section: own submissions, declared conflicts, competitors' ranks.

It reads a :class:`~fairpanel.scoring.DprCheck` (and, when given, the score table, to
set the calibrated ranking beside ALMA's mean normalised rank). Reviewers are never
named: the tables group them by their own science category or panel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from fairpanel.report._model import Section, Table
from fairpanel.report._render import fragment
from fairpanel.report._text import fmt

if TYPE_CHECKING:
    from fairpanel.scoring import DprCheck

__all__ = ["dpr_section"]

#: Without a number of places, the top this share of submissions is compared.
TOP_SHARE: Final = 0.2

INTRO = (
    "In distributed review the applicants are the reviewers: the PI of each proposal "
    "reviewed proposals of other teams. Nobody reviewed their own proposal (a review by "
    "a submission's own PI is refused when the reviews are loaded). A reviewer has a "
    "stake in the outcome, so the question ESO's and ALMA's studies of distributed "
    "review asked is checked here: did reviewers place their direct competitors — "
    "proposals in their own {category} — lower than those proposals' other reviewers "
    "did?"
)
METHOD = (
    "How: each review is the proposal's position in the reviewer's set (0 the best, 1 "
    "the worst), minus the mean position its other reviewers gave it. For each reviewer "
    "who reviewed both competitors and other proposals, the mean for competitors minus "
    "the mean for the others; across reviewers, its mean and the Wilcoxon signed-rank "
    "test. Comparing within each reviewer means a harsh reviewer does not look "
    "strategic, and comparing with the other reviewers means a strong {category} does "
    "not either."
)
NO_CONFLICTS = "No reviewer declared a conflict of interest."
CONFLICTS = (
    "{n} declared {conflicts} of interest left out: a conflicted review is removed, not "
    "down-weighted."
)
RANKING = (
    "Ordered by mean score instead (for ranked reviews the mean normalised rank, ALMA's "
    "published procedure), the submissions correlate with the calibrated ranking at "
    "Spearman {rho}, and {both} of the top {k} by the calibrated ranking are also in "
    "the top {k} by mean score. Where the two differ, the calibrated ranking is the one "
    "to use: it allows for the strength of each reviewer's set (and, for grades, each "
    "reviewer's leniency), and says how sure each place is."
)


def _agreement(scores: pd.DataFrame, places: int | None) -> str | None:
    """Return the sentence comparing the calibrated ranking with the mean-score one."""
    if not {"calibrated_score", "mean_score", "expected_rank"} <= set(scores.columns):
        return None
    n = len(scores)
    k = places if places is not None else max(1, round(TOP_SHARE * n))
    by_model = scores["expected_rank"].rank(method="first").to_numpy()
    direction = -1 if bool(scores.get("higher_is_better", pd.Series([True])).iloc[0]) else 1
    by_mean = (direction * scores["mean_score"]).rank(method="first").to_numpy()
    rho = float(np.corrcoef(by_model, by_mean)[0, 1])  # Spearman: Pearson on ranks
    both = int(np.sum((by_model <= k) & (by_mean <= k)))
    return RANKING.format(rho=f"{rho:.3f}", both=both, k=k)


def _by_category(check: DprCheck) -> Table:
    rows = check.reviewers.dropna(subset=["difference"])
    grouped = rows.groupby("category", sort=True)
    table = pd.DataFrame(
        {
            "reviewers": grouped.size(),
            "competitors": grouped["n_competitors"].sum(),
            "comp": grouped["competitor_position"].mean(),
            "other": grouped["other_position"].mean(),
            "shift": grouped["difference"].mean(),
        }
    )
    body = [
        (str(name), str(n), str(comp_n), f"{comp:.3f}", f"{other:.3f}", f"{moved:+.3f}")
        for name, n, comp_n, comp, other, moved in table.itertuples()
    ]
    return Table(
        caption=f"Competitors' placing, by the reviewer's own {check.category}",
        columns=(
            "reviewer's own " + check.category,
            "reviewers",
            "competitor reviews",
            "mean position, competitors",
            "mean position, others",
            "mean shift against other reviewers",
        ),
        rows=tuple(body),
        note="Positions run from 0 (best of a reviewer's set) to 1 (worst); a positive "
        "shift means competitors were placed lower than their other reviewers placed them.",
    )


def dpr_section(
    check: DprCheck, scores: pd.DataFrame | None = None, *, places: int | None = None
) -> Section:
    """Build the distributed-review section.

    Parameters
    ----------
    check : DprCheck
        The checks (:func:`fairpanel.scoring.dpr_checks`).
    scores : DataFrame, optional
        The score table, to compare the calibrated ranking with the mean score's.
    places : int, optional
        The places to compare the top of the two rankings at (default: the top 20%).

    Returns
    -------
    Section
    """
    category = check.category.replace("_", " ")
    paragraphs = [
        INTRO.format(category=category),
        CONFLICTS.format(
            n=len(check.conflicts),
            conflicts="conflict" if len(check.conflicts) == 1 else "conflicts",
        )
        if len(check.conflicts)
        else NO_CONFLICTS,
        check.summary(),
        METHOD.format(category=category),
    ]
    if scores is not None:
        sentence = _agreement(scores, places)
        if sentence:
            paragraphs.append(sentence)
    figures = {
        "n_paired": check.n_paired,
        "shift": f"{check.mean_difference:+.3f}" if check.n_paired >= 2 else fmt(None),
        "ci": f"{check.ci_low:+.3f} to {check.ci_high:+.3f}" if check.n_paired >= 2 else "–",
        "p_value": fmt(check.p_value),
        "conflicts": len(check.conflicts),
    }
    return Section(
        id="distributed-review",
        title="Distributed review: reviewers who are applicants",
        paragraphs=tuple(paragraphs),
        tables=(_by_category(check),),
        html_fragment=fragment("dpr_fragment.html.j2", f=figures),
    )
