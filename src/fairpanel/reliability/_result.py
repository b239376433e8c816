"""One call for a panel's reliability: every ICC form and α at every level of measurement."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from fairpanel._json import SCHEMA_KEY, Kind, Node, check_schema, jsonable, records, stamp, table
from fairpanel._seed import Seed
from fairpanel.panel import as_panel
from fairpanel.reliability._alpha import LEVELS, alpha_from_panel
from fairpanel.reliability._bootstrap import alpha_bootstrap
from fairpanel.reliability._icc import ERR_CONFIDENCE, ICC_COLUMNS, icc_from_panel
from fairpanel.rubric import Rubric
from fairpanel.viz import html_summary

__all__ = ["SCHEMA_KIND", "SCHEMA_VERSION", "ReliabilityResult", "assess_reliability"]

#: The JSON layout of ``fairpanel reliability --json``; files without a stamp are version 1.
SCHEMA_KIND: Final = "reliability"
SCHEMA_VERSION: Final = 1
_ICC_KINDS: Final[Mapping[str, Kind]] = {
    "type": "text",
    "mcgraw_wong": "text",
    "description": "text",
    **dict.fromkeys(("icc", "f", "df1", "df2", "p_value", "ci_low", "ci_high", "k"), "number"),
    "method": "text",
}

NOTE_INCOMPLETE = (
    "incomplete design ({n} of {cells} submission × reviewer cells scored): one-way ICCs "
    "from the unbalanced one-way ANOVA (n0 = {n0:.3g}); two-way ICCs from REML variance "
    "components, with approximate Wald intervals on the logit scale; average-measure "
    "forms refer to k = {k:.3g} reviews (harmonic mean per submission)"
)
_NO_CI = (float("nan"), float("nan"))
NOTE_TOTALS = "multi-criterion reviews: computed on each review's weighted rubric total"


@dataclass(frozen=True)
class ReliabilityResult:
    """Rater reliability of a panel.

    Attributes
    ----------
    icc : DataFrame
        The six intraclass correlations, columns :data:`fairpanel.reliability.ICC_COLUMNS`.
    alpha : dict of str to float
        Krippendorff's α by level of measurement (nominal, ordinal, interval, ratio); NaN
        where the level does not apply (e.g. ratio with negative scores).
    n_submissions, n_reviewers, n_reviews : int
        The design the statistics were computed on.
    complete : bool
        Whether every reviewer scored every submission.
    criterion : str or None
        The criterion used, or None for multi-criterion review totals.
    notes : tuple of str
        Plain sentences on what was computed and how.
    alpha_ci : dict of str to (float, float)
        Percentile bootstrap interval of α by level (resampling submissions); empty
        when no bootstrap was run (``n_boot=0``), and ``to_dict`` then gives null bounds.
    n_boot : int
        Number of bootstrap replicates behind ``alpha_ci`` (0: none).
    """

    icc: pd.DataFrame
    alpha: dict[str, float]
    n_submissions: int
    n_reviewers: int
    n_reviews: int
    complete: bool
    criterion: str | None
    notes: tuple[str, ...] = field(default=())
    alpha_ci: dict[str, tuple[float, float]] = field(default_factory=dict)
    n_boot: int = 0

    def __repr__(self) -> str:
        return (
            f"<ReliabilityResult submissions={self.n_submissions} "
            f"reviewers={self.n_reviewers} reviews={self.n_reviews} "
            f"icc21={float(self.icc['icc'].iloc[1]):.3g} "
            f"alpha_interval={self.alpha.get('interval', float('nan')):.3g}>"
        )

    def _repr_html_(self) -> str:
        alpha = pd.DataFrame({"level": list(self.alpha), "alpha": list(self.alpha.values())})
        caption = "Krippendorff's α"
        if self.n_boot:
            ci = [self.alpha_ci.get(level, _NO_CI) for level in self.alpha]
            alpha["ci_low"], alpha["ci_high"] = [lo for lo, _ in ci], [hi for _, hi in ci]
            caption += f" with percentile bootstrap intervals ({self.n_boot} replicates)"
        cols = ["type", "mcgraw_wong", "description", "icc", "ci_low", "ci_high", "k"]
        return html_summary(
            "ReliabilityResult",
            facts=[
                ("submissions", self.n_submissions),
                ("reviewers", self.n_reviewers),
                ("reviews", self.n_reviews),
                ("complete design", self.complete),
                ("criterion", self.criterion or "review totals"),
            ],
            notes=self.notes,
            blocks=[
                ("Intraclass correlations", self.icc[cols]),
                (caption, alpha),
            ],
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: the ``fairpanel reliability --json`` payload.

        Schema ``fairpanel.reliability``: ``icc`` (records), ``krippendorff_alpha`` and
        ``krippendorff_alpha_ci`` by level (null where it does not apply or was not
        bootstrapped), ``n_boot``, the design counts, ``complete``, ``criterion``,
        ``notes``.
        """
        return {
            SCHEMA_KEY: stamp(SCHEMA_KIND, SCHEMA_VERSION),
            "icc": records(self.icc),
            "krippendorff_alpha": jsonable(self.alpha),
            "krippendorff_alpha_ci": {
                level: jsonable(
                    dict(zip(("ci_low", "ci_high"), self.alpha_ci.get(level, _NO_CI), strict=True))
                )
                for level in self.alpha
            },
            "n_boot": self.n_boot,
            "n_submissions": self.n_submissions,
            "n_reviewers": self.n_reviewers,
            "n_reviews": self.n_reviews,
            "complete": self.complete,
            "criterion": self.criterion,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReliabilityResult:
        """Read the JSON of :meth:`to_dict`.

        Parameters
        ----------
        data : mapping
            The parsed JSON.

        Raises
        ------
        FairpanelInputError
            Naming the first field that is missing or of the wrong type.
        """
        doc = Node(data)
        check_schema(doc, SCHEMA_KIND, SCHEMA_VERSION)
        rows = doc["icc"].records(_ICC_KINDS, required=("type", "icc", "ci_low", "ci_high"))
        ci = doc.get("krippendorff_alpha_ci")
        alpha_ci: dict[str, tuple[float, float]] = {}
        for level, bounds in [] if ci.is_null else ci.members():
            pair = (bounds["ci_low"].number_or_nan(), bounds["ci_high"].number_or_nan())
            if not all(math.isnan(x) for x in pair):  # null bounds: no bootstrap
                alpha_ci[level] = pair
        return cls(
            icc=table(rows, kinds=_ICC_KINDS, columns=ICC_COLUMNS),
            alpha={k: v.number_or_nan() for k, v in doc["krippendorff_alpha"].members()},
            n_submissions=doc["n_submissions"].integer(),
            n_reviewers=doc["n_reviewers"].integer(),
            n_reviews=doc["n_reviews"].integer(),
            complete=doc["complete"].boolean(),
            criterion=doc["criterion"].text_or_none(),
            notes=tuple(doc.get("notes").texts() if not doc.get("notes").is_null else ()),
            alpha_ci=alpha_ci,
            n_boot=0 if doc.get("n_boot").is_null else doc["n_boot"].integer(),
        )


def assess_reliability(
    reviews: Any,
    *,
    rubric: Rubric | None = None,
    criterion: str | None = None,
    confidence: float = 0.95,
    n_boot: int = 0,
    seed: Seed = None,
) -> ReliabilityResult:
    """Every ICC form and Krippendorff's α at every level, on one panel's reviews.

    Parameters
    ----------
    reviews : DataFrame or array_like
        The canonical long reviews table, or a wide submissions × reviewers matrix (see
        :func:`fairpanel.reliability.icc`).
    rubric : Rubric, optional
        Needed for multi-criterion reviews: statistics are computed on each review's
        weighted total, the number the committee ranks on.
    criterion : str, optional
        Compute on this criterion's scores only.
    confidence : float, default 0.95
        Level of the confidence intervals (ICC, and α when bootstrapped).
    n_boot : int, default 0
        Bootstrap replicates for α's percentile intervals (resampling submissions); 0
        skips the bootstrap. 2000 is a sound choice.
    seed : int, str, Generator or None
        Seed of the bootstrap (:func:`fairpanel._seed.as_rng`), for a reproducible
        interval.

    Returns
    -------
    ReliabilityResult

    Examples
    --------
    >>> import pandas as pd
    >>> reviews = pd.DataFrame({
    ...     "submission_id": ["a", "a", "b", "b", "c", "c"],
    ...     "reviewer_id": ["r1", "r2", "r1", "r2", "r1", "r2"],
    ...     "score": [5, 4, 2, 2, 3, 4]})
    >>> res = assess_reliability(reviews)
    >>> round(res.alpha["interval"], 3)
    0.773
    >>> res.icc.loc[0, "type"]
    'ICC(1,1)'
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(ERR_CONFIDENCE.format(confidence=confidence))
    panel = as_panel(reviews, rubric=rubric, criterion=criterion)
    table = icc_from_panel(panel, confidence=confidence)
    alpha: dict[str, float] = {}
    for level in LEVELS:
        if level == "ratio" and panel.raw_total.min() < 0:
            alpha[level] = float("nan")
        else:
            alpha[level] = alpha_from_panel(panel, level)
    alpha_ci: dict[str, tuple[float, float]] = {}
    if n_boot:
        levels = tuple(level for level, value in alpha.items() if np.isfinite(value))
        alpha_ci = alpha_bootstrap(
            panel, levels=levels, n_boot=n_boot, confidence=confidence, seed=seed
        )
    notes: list[str] = []
    if (
        panel.criterion is None
        and isinstance(reviews, pd.DataFrame)
        and ("criterion" in reviews.columns)
    ):
        notes.append(NOTE_TOTALS)
    if not panel.complete:
        counts = panel.reviews_per_submission
        n0 = (panel.n_reviews - float((counts**2).sum()) / panel.n_reviews) / (panel.n_sub - 1)
        notes.append(
            NOTE_INCOMPLETE.format(
                n=panel.n_reviews,
                cells=panel.n_sub * panel.n_rev,
                n0=n0,
                k=float(table["k"].iloc[3]),
            )
        )
    return ReliabilityResult(
        icc=table,
        alpha=alpha,
        n_submissions=panel.n_sub,
        n_reviewers=panel.n_rev,
        n_reviews=panel.n_reviews,
        complete=panel.complete,
        criterion=panel.criterion,
        notes=tuple(notes),
        alpha_ci=alpha_ci,
        n_boot=n_boot,
    )
