"""Scoring a call reviewed by several panels: each on its own, or together when linked.

Panels that share no reviewer (the SNSF's sections, a hiring search's committees) cannot
be put on one scale by the model: a panel whose reviewers are all lenient looks like a
strong panel, and only the priors keep them apart. Fitting each panel on its own says
so plainly: each submission is ranked among its panel's, and capacity is given per
panel. Panels linked by shared reviewers can be compared, and are fitted together, as
can unlinked ones when the committee asks for one ranking knowing the caveat.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from fairpanel._errors import FairpanelInputError
from fairpanel._seed import Seed, seed_text
from fairpanel.panel import from_reviews
from fairpanel.scoring._result import Diagnostics, ScoreResult
from fairpanel.scoring._score import score

__all__ = ["ERR_NO_PANEL", "panels_linked", "score_by_panel"]

ERR_NO_PANEL = "submission '{sid}' has no panel in '{column}'"
#: How a panel's seed is derived from the run's: the same panel, the same draws,
#: whatever other panels the call has.
PANEL_SEED: Final = "{seed} / panel {panel}"


def panels_linked(reviews: pd.DataFrame, panels: pd.Series) -> bool:
    """Whether the panels are linked: every panel reached from every other by reviewers.

    Parameters
    ----------
    reviews : DataFrame
        Loaded reviews (``submission_id``, ``reviewer_id``).
    panels : Series
        Each submission's panel, indexed by submission id.

    Returns
    -------
    bool
        True when a chain of reviewers who review in two panels joins them all (one
        panel is linked to itself).

    Examples
    --------
    >>> r = pd.DataFrame({"submission_id": ["a", "b", "c"], "reviewer_id": ["x", "x", "y"]})
    >>> panels_linked(r, pd.Series({"a": "P", "b": "Q", "c": "Q"}))
    True
    >>> panels_linked(r, pd.Series({"a": "P", "b": "P", "c": "Q"}))
    False
    """
    label = reviews["submission_id"].map(panels)
    p_codes, p_names = pd.factorize(label)
    r_codes, r_names = pd.factorize(reviews["reviewer_id"])
    n_p, n_r = len(p_names), len(r_names)
    if n_p <= 1:
        return True
    # the bipartite graph panel — reviewer: linked when it is one component
    graph = coo_matrix(
        (np.ones(len(p_codes)), (p_codes, n_p + r_codes)), shape=(n_p + n_r, n_p + n_r)
    )
    _, component = connected_components(graph, directed=False)
    return bool(np.unique(component[:n_p]).size == 1)


def score_by_panel(
    reviews: pd.DataFrame,
    panels: pd.Series,
    *,
    column: str = "panel",
    together: bool | None = None,
    seed: Seed = None,
    **options: Any,
) -> ScoreResult:
    """Score each panel on its own, or all together when they are linked.

    Parameters
    ----------
    reviews : DataFrame
        Loaded reviews (:func:`fairpanel.io.load_reviews`).
    panels : Series
        Each submission's panel, indexed by submission id (such as
        :func:`fairpanel.io.submissions_from_reviews` keeping the panel column).
    column : str, default "panel"
        The name of the panel column the result's tables carry.
    together : bool or None, default None
        None: one fit when the panels are linked by shared reviewers
        (:func:`panels_linked`), else one fit per panel. True: one fit (one ranking
        across panels, which unlinked panels compare only through the priors). False:
        one fit per panel.
    seed : int, str, Generator or None
        The run's seed; each panel's fit draws from ``"<seed> / panel <name>"``, so a
        panel's scores do not depend on the other panels.
    **options
        Passed to :func:`fairpanel.scoring.score` (rubric, scale, method, draws, …).

    Returns
    -------
    ScoreResult
        Its tables carry ``column``. Fitted per panel, ranks are within the panel
        (``expected_rank`` 1 is each panel's best), the table is sorted by panel then
        rank, the diagnostics are the worst panel's, and the components are named
        ``"<panel>: <component>"``.

    Raises
    ------
    FairpanelInputError
        A submission with no panel.
    """
    missing = ~reviews["submission_id"].isin(panels.index)
    if missing.any():
        sid = reviews.loc[missing, "submission_id"].iloc[0]
        raise FairpanelInputError(ERR_NO_PANEL.format(sid=sid, column=column))
    panels = panels.astype("str")
    if together is None:
        together = panels_linked(reviews, panels)
    if together:
        result = score(reviews, seed=seed, **options)
        return _with_panel(result, panels, column)
    if options.get("rubric") is None and options.get("scale") is None:
        # one scale for every panel: the whole call's range, not each panel's own
        whole = from_reviews(
            reviews, scale="data", higher_is_better=options.get("higher_is_better", True)
        )
        options = {**options, "scale": whole.scale}
    label = reviews["submission_id"].map(panels)
    parts = {}
    for name in sorted(pd.unique(label)):
        part = reviews[label == name]
        parts[name] = score(part, seed=_panel_seed(seed, name), **options)
    return _combine(parts, panels, column, seed)


def _panel_seed(seed: Seed, panel: str) -> Seed:
    if seed is None or isinstance(seed, np.random.Generator | np.random.SeedSequence):
        return seed  # fresh entropy (or the caller's generator) either way
    return PANEL_SEED.format(seed=seed_text(seed), panel=panel)


def _with_panel(result: ScoreResult, panels: pd.Series, column: str) -> ScoreResult:
    table = result.table.copy()
    table.insert(1, column, table["submission_id"].map(panels).to_numpy())
    return replace(result, table=table)


def _combine(
    parts: Mapping[str, ScoreResult], panels: pd.Series, column: str, seed: Seed
) -> ScoreResult:
    results = list(parts.values())
    tables = [_with_panel(r, panels, column).table for r in results]
    reviewers = [r.reviewers.assign(**{column: name}) for name, r in parts.items()]
    diags = [r.diagnostics for r in results]
    unconverged = [f"{n}: {r.diagnostics.message}" for n, r in parts.items() if r.provisional]
    first = diags[0]
    diagnostics = Diagnostics(
        first.method,
        all(d.converged for d in diags),
        max(d.max_rhat for d in diags),
        min(d.min_ess for d in diags),
        first.rhat_threshold,
        first.ess_threshold,
        first.chains,
        min(d.draws for d in diags),
        first.warmup,
        max(d.extensions for d in diags),
        "; ".join(unconverged) if unconverged else first.message,
    )
    components = {f"{n}: {k}": v for n, r in parts.items() for k, v in r.components.items()}
    return replace(
        results[0],
        table=pd.concat(tables, ignore_index=True),
        reviewers=pd.concat(reviewers, ignore_index=True),
        decomposition=pd.concat([r.decomposition for r in results], ignore_index=True),
        diagnostics=diagnostics,
        components=components,
        seed=seed if isinstance(seed, int | str) else None,
        panel_sizes=tuple(sorted((n for r in results for n in r.panel_sizes), reverse=True)),
    )
