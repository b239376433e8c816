"""One panel as arrays: who reviewed what, and one number per review.

Every model fairpanel fits to a panel (the ICC family and Krippendorff's α, the REML
variance components, the empirical-Bayes scorer, the Gibbs sampler) works on the same
thing: one number per review (a submission–reviewer pair), its rubric *total*, with the
submission and the reviewer as integer codes. :class:`Panel` is that design, built once
(:func:`fairpanel.panel.from_reviews`, :func:`~fairpanel.panel.from_matrix`,
:func:`~fairpanel.panel.from_codes`) and read by all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse
from scipy.sparse import csgraph

from fairpanel.rubric import Rubric, Scale

__all__ = ["Panel"]

ERR_NO_SCALE = (
    "this panel has no scale: it was built without a rubric or a scale "
    "(pass rubric= or scale= to fairpanel.panel.from_reviews)"
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True, eq=False)
class Panel:
    """One panel: one total per review, with its submission and reviewer as codes.

    Attributes
    ----------
    submissions, reviewers : Index
        The ids (text). From a reviews table they are sorted, so the order of the input
        rows never matters; from a matrix they keep its row and column order.
    sub, rev : ndarray of intp
        Code (position in those indexes) of each review's submission and reviewer. No
        (submission, reviewer) pair occurs twice; every id has at least one review.
    raw_total : ndarray
        Each review's number on the rubric's own scale: the weighted total of its
        criterion scores, or the one criterion's score, or the matrix cell.
    y : ndarray
        The same numbers oriented so that higher is better (on a lower-is-better scale
        ``t`` becomes ``(min + max) - t``); equal to ``raw_total`` without a scale.
    contributions : DataFrame
        Per review (rows aligned with ``y``) and criterion (columns), the criterion's
        share of the review's total on the rubric's own scale: the weighted score with
        the weights renormalised over the criteria that review scored. Rows sum to the
        total.
    criterion : str or None
        The criterion whose scores the panel holds, or None when each review is a
        weighted total of several criteria (or a matrix cell).
    """

    submissions: pd.Index
    reviewers: pd.Index
    sub: IntArray
    rev: IntArray
    raw_total: FloatArray
    y: FloatArray
    contributions: pd.DataFrame = field(repr=False)
    criterion: str | None
    scale_rubric: Rubric | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ the scale
    @property
    def has_scale(self) -> bool:
        """Whether the panel knows its rubric (and so its scale and direction)."""
        return self.scale_rubric is not None

    @property
    def rubric(self) -> Rubric:
        """The rubric (inferred one-criterion rubric when only a scale was given).

        Raises ``ValueError`` for a panel built without a rubric or a scale.
        """
        if self.scale_rubric is None:
            raise ValueError(ERR_NO_SCALE)
        return self.scale_rubric

    @property
    def scale(self) -> Scale:
        """The rubric's scale."""
        return self.rubric.scale

    @property
    def scale_range(self) -> float:
        """The scale's range, max − min: the unit the scorer's default priors are stated in."""
        return float(self.scale.max - self.scale.min)

    def to_scale(self, oriented: FloatArray) -> FloatArray:
        """Turn oriented values (higher is better) back into points of the rubric's scale.

        Parameters
        ----------
        oriented : ndarray
            Values on the scale of ``y``.
        """
        if self.scale_rubric is None or self.scale.higher_is_better:
            return oriented
        out: FloatArray = (self.scale.min + self.scale.max) - oriented
        return out

    # ------------------------------------------------------------------ the design
    @property
    def n_sub(self) -> int:
        """Number of submissions (each has at least one review)."""
        return len(self.submissions)

    @property
    def n_rev(self) -> int:
        """Number of reviewers (each has at least one review)."""
        return len(self.reviewers)

    @property
    def n_reviews(self) -> int:
        """Number of reviews."""
        return int(self.y.size)

    @property
    def complete(self) -> bool:
        """Whether every reviewer reviewed every submission (a full crossed design)."""
        return self.n_reviews == self.n_sub * self.n_rev

    @cached_property
    def reviews_per_submission(self) -> npt.NDArray[np.int64]:
        """Number of reviews of each submission."""
        return np.bincount(self.sub, minlength=self.n_sub).astype(np.int64)

    @cached_property
    def reviews_per_reviewer(self) -> npt.NDArray[np.int64]:
        """Number of reviews each reviewer gave."""
        return np.bincount(self.rev, minlength=self.n_rev).astype(np.int64)

    @cached_property
    def component(self) -> IntArray:
        """Connected part of each submission (0, 1, …) in the submission–reviewer graph.

        Two submissions are connected when a chain of shared reviewers links them. Only
        within one connected part can reviewers' leniency be told apart from submissions'
        merit; across parts, the model separates them through its priors alone.
        """
        graph = sparse.coo_matrix(
            (np.ones(self.n_reviews), (self.sub, self.n_sub + self.rev)),
            shape=(self.n_sub + self.n_rev,) * 2,
        )
        _, labels = csgraph.connected_components(graph, directed=False)
        # Number the parts by their first submission, so the labels are stable.
        _, first = np.unique(labels[: self.n_sub], return_inverse=True)
        return np.asarray(first, dtype=np.intp)

    @property
    def n_components(self) -> int:
        """Number of connected parts of the design (1: one connected panel)."""
        return int(self.component.max()) + 1

    @property
    def incidence(self) -> FloatArray:
        """The (submissions × reviewers) matrix of review counts (0 or 1)."""
        c = np.zeros((self.n_sub, self.n_rev))
        c[self.sub, self.rev] = 1.0
        return c

    def wide(self) -> FloatArray:
        """Return the submissions × reviewers matrix of ``raw_total``, NaN where none."""
        out = np.full((self.n_sub, self.n_rev), np.nan)
        out[self.sub, self.rev] = self.raw_total
        return out
