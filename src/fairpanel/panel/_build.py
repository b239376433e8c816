"""Building a :class:`Panel` from a reviews table.

A multi-criterion rubric review becomes its *total* (:meth:`Rubric.totals`, the weighted
mean of its criterion scores on the rubric's scale), the number the committee ranks on,
unless one criterion is chosen. The table is checked where every reviews table is, by
:func:`fairpanel.io.load_reviews` (a table it already returned is not checked again), so
scoring, reliability and ``fairpanel validate`` refuse the same rows with the same words:
an empty score (unless ``missing="drop"``), a review whose reviewer declared a conflict
of interest, a repeated (submission, reviewer, criterion), and with a rubric a score off
its scale or a criterion it does not have. What is left here is the panel's own: choosing
a criterion, the scale of a table without a rubric, orienting and assembling.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

import numpy as np
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import TABLES
from fairpanel.io import load_reviews
from fairpanel.panel._panel import FloatArray, Panel
from fairpanel.rubric import Rubric, Scale

__all__ = ["REQUIRED", "from_reviews"]

SUBMISSION, REVIEWER, CRITERION, SCORE = ("submission_id", "reviewer_id", "criterion", "score")
#: The columns a reviews table cannot do without (its contract, :data:`TABLES`).
REQUIRED = TABLES["reviews"].required
#: The criterion of a table without a criterion column (the loader's name for it).
OVERALL = "overall"

ERR_NEED_RUBRIC = (
    "the reviews score {n} criteria; pass the rubric so each review's weighted total "
    "can be used, or choose one criterion"
)
ERR_CRITERION_NOT_FOUND = "criterion '{criterion}' does not occur in the reviews (found: {found})"
ERR_FLAT_SCALE = "every score is {value:g}: a scale cannot be inferred from the data"
ERR_NO_REVIEWS = "there are no scored reviews"

ScaleSpec = tuple[int, int] | Scale | Literal["data"] | None


def from_reviews(
    reviews: pd.DataFrame,
    *,
    rubric: Rubric | None = None,
    criterion: str | None = None,
    scale: ScaleSpec = None,
    higher_is_better: bool = True,
    missing: Literal["error", "drop"] = "error",
) -> Panel:
    """Reduce a reviews table to one total per review.

    Parameters
    ----------
    reviews : DataFrame
        The long reviews table: columns ``submission_id``, ``reviewer_id``, ``score``,
        optionally ``criterion`` (absent: one overall grade per review) and
        ``conflict``. It is checked by :func:`fairpanel.io.load_reviews`, unless that
        function returned it (and checked it against the same rubric) already.
    rubric : Rubric, optional
        Criteria, weights, scale and its direction. Needed when the reviews score several
        criteria (unless ``criterion`` picks one).
    criterion : str, optional
        Keep only this criterion's scores.
    scale : (int, int), Scale, "data" or None
        Without a rubric: the scale's ends, or a :class:`~fairpanel.rubric.Scale` with
        its step and grades (every score of the table must be one of its points, as with
        a rubric), ``"data"`` for the data's floor(min) and ceil(max), or
        None for no scale at all (values only: what reliability needs).
    higher_is_better : bool, default True
        The scale's direction when ``scale`` is given instead of a rubric.
    missing : {"error", "drop"}, default "error"
        What a row without a score means (:func:`fairpanel.io.load_reviews`): refused,
        or a rating that was not given, left out.

    Returns
    -------
    Panel
        Sorted by (submission, reviewer), so the order of the rows never matters.

    Raises
    ------
    FairpanelInputError
        Any error of :func:`fairpanel.io.load_reviews`, naming the spreadsheet row and
        column (a missing column, an empty score or one that is not a number or is off
        the scale, a criterion unknown to the rubric, a repeated review, a review with a
        declared conflict of interest, an unreadable conflict flag); and a criterion
        missing from the reviews, several criteria without a rubric, or no review left.

    Examples
    --------
    >>> import pandas as pd
    >>> reviews = pd.DataFrame({"submission_id": ["b", "a", "a"],
    ...                         "reviewer_id": ["r1", "r1", "r2"], "score": [2, 5, 4]})
    >>> panel = from_reviews(reviews, scale=(1, 5))
    >>> panel.submissions.tolist(), panel.raw_total.tolist(), panel.complete
    (['a', 'b'], [5.0, 4.0, 2.0], False)
    """
    # A scale without a rubric is checked as a rubric's is: by the loader, every score
    # one of its points (the CLI's --scale-min/--scale-max make the same rubric).
    ends = scale if rubric is None and isinstance(scale, tuple | Scale) else None
    read_again = ends is not None and CRITERION in reviews.columns
    if ends is not None and not read_again:
        # Overall grades: one pass of the loader checks everything.
        frame = load_reviews(
            reviews, rubric=_on_scale(ends, higher_is_better, [OVERALL]), missing=missing
        )
    else:
        frame = load_reviews(reviews, rubric=rubric, missing=missing)
    names = sorted(frame[CRITERION].unique())
    if criterion is not None and criterion not in names:
        raise FairpanelInputError(
            ERR_CRITERION_NOT_FOUND.format(criterion=criterion, found=", ".join(names)),
            column=CRITERION,
        )
    if rubric is None and criterion is None and len(names) > 1:
        raise FairpanelInputError(ERR_NEED_RUBRIC.format(n=len(names)))
    if ends is not None and read_again:
        # Criteria named in the table: the scale's rubric takes their names, and the
        # loader reads the table again (a table it checked on this scale it returns).
        frame = load_reviews(
            reviews, rubric=_on_scale(ends, higher_is_better, names), missing=missing
        )
    if criterion is not None:
        frame = frame.loc[(frame[CRITERION] == criterion).to_numpy()]
        names = [criterion]
    if frame.empty:
        raise FairpanelInputError(ERR_NO_REVIEWS, column=SCORE)
    values = frame[SCORE].to_numpy(dtype=float)
    if rubric is None and scale == "data":
        lo, hi = _data_scale(values)
        # Nothing says which steps the scale has: any value between its ends is taken.
        ends = Scale(lo, hi, higher_is_better, step=None, inferred=True)
    if rubric is None and ends is not None:
        rubric = _on_scale(ends, higher_is_better, names)
    long = pd.DataFrame(
        {
            SUBMISSION: frame[SUBMISSION].to_numpy(),
            REVIEWER: frame[REVIEWER].to_numpy(),
            CRITERION: frame[CRITERION].to_numpy(),
            SCORE: values,
        }
    )
    return _assemble(long, rubric)


def _on_scale(
    ends: tuple[int, int] | Scale, higher_is_better: bool, names: list[str] | tuple[str, ...]
) -> Rubric:
    """Build a rubric of equally weighted criteria ``names``, each on the scale ``ends``."""
    if isinstance(ends, Scale):
        one = Rubric.single_criterion(
            minimum=ends.min,
            maximum=ends.max,
            higher_is_better=ends.higher_is_better,
            name=names[0],
            step=ends.step,
            grades=ends.grades,
        )
        one = replace(one, scale=ends)
    else:
        one = Rubric.single_criterion(
            minimum=ends[0], maximum=ends[1], higher_is_better=higher_is_better, name=names[0]
        )
    if len(names) == 1:
        return one
    return replace(one, criteria=tuple(replace(one.criteria[0], id=n) for n in names))


def _data_scale(values: FloatArray) -> tuple[int, int]:
    """Return the scale a table's own scores span: floor(min) to ceil(max)."""
    lo, hi = int(np.floor(values.min())), int(np.ceil(values.max()))
    if lo == hi:
        raise FairpanelInputError(
            ERR_FLAT_SCALE.format(value=values.min()),
            column=SCORE,
            hint="pass the scale or a rubric",
        )
    return lo, hi


def _assemble(long: pd.DataFrame, rubric: Rubric | None) -> Panel:
    # One row per review, sorted by (submission, reviewer): row order never matters.
    keyed = long.set_index([SUBMISSION, REVIEWER, CRITERION])[SCORE]
    wide = keyed.unstack(CRITERION).sort_index()  # noqa: PD010 (unique keys: no aggregation)
    if rubric is not None:
        wide = wide.reindex(columns=[c for c in rubric.criterion_ids if c in wide.columns])
        total = rubric.totals(wide).to_numpy(dtype=float)
        weights = rubric.weights[list(wide.columns)].to_numpy(dtype=float)
    else:
        total = wide.iloc[:, 0].to_numpy(dtype=float)
        weights = np.ones(1)
    present = wide.notna().to_numpy()
    norm = present.astype(float) @ weights
    contributions = pd.DataFrame(
        np.where(present, wide.to_numpy(dtype=float) * weights, 0.0) / norm[:, None],
        columns=list(map(str, wide.columns)),
    )
    sub_codes, submissions = pd.factorize(wide.index.get_level_values(0), sort=True)
    rev_codes, reviewers = pd.factorize(wide.index.get_level_values(1), sort=True)
    y = total
    if rubric is not None and not rubric.scale.higher_is_better:
        y = (rubric.scale.min + rubric.scale.max) - total
    return Panel(
        submissions=pd.Index(submissions, name=SUBMISSION, dtype="object"),
        reviewers=pd.Index(reviewers, name=REVIEWER, dtype="object"),
        sub=np.asarray(sub_codes, dtype=np.intp),
        rev=np.asarray(rev_codes, dtype=np.intp),
        raw_total=total,
        y=np.asarray(y, dtype=float),
        contributions=contributions,
        criterion=str(wide.columns[0]) if wide.shape[1] == 1 else None,
        scale_rubric=rubric,
    )
