"""The result of :func:`fairpanel.scoring.score`: tables, diagnostics, decomposition."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._json import SCHEMA_KEY, Kind, Node, check_schema, jsonable, records, stamp, table
from fairpanel._schema import SCORE_COLUMNS, SCORE_DIRECTION
from fairpanel._seed import Seed
from fairpanel.panel import Panel
from fairpanel.rubric import Rubric, Scale
from fairpanel.scoring._ranks import rank_summary
from fairpanel.viz import html_summary

__all__ = [
    "EXTRA_COLUMNS",
    "SCHEMA_KIND",
    "SCHEMA_VERSION",
    "Diagnostics",
    "ScoreResult",
    "assemble",
]

#: Extra columns of ``ScoreResult.table`` after ``SCORE_COLUMNS`` (then ``band``).
EXTRA_COLUMNS: Final[tuple[str, ...]] = ("adjustment", "expected_rank_mcse")

#: The JSON layout of ``fairpanel score --json``; files without a stamp are version 1.
SCHEMA_KIND: Final = "scores"
SCHEMA_VERSION: Final = 2
#: The JSON kinds of the three tables' columns (others: any scalar).
_SCORE_KINDS: Final[Mapping[str, Kind]] = {
    "submission_id": "id",
    "n_reviews": "integer",
    **dict.fromkeys((*SCORE_COLUMNS[2:], *EXTRA_COLUMNS), "number"),
    "band": "text",
    SCORE_DIRECTION: "bool",
}
_REVIEWER_COLUMNS: Final = ("reviewer_id", "n_reviews", "mean_given", "leniency", "leniency_se")
_REVIEWER_KINDS: Final[Mapping[str, Kind]] = {
    "reviewer_id": "id",
    "n_reviews": "integer",
    **dict.fromkeys(_REVIEWER_COLUMNS[2:], "number"),
    # With reviewer precision (score(reviewer_precision=True)): each reviewer's noise SD.
    **dict.fromkeys(("noise_sd", "noise_sd_lo90", "noise_sd_hi90"), "number"),
}
_DECOMPOSITION_COLUMNS: Final = ("submission_id", "kind", "component", "value")
_DECOMPOSITION_KINDS: Final[Mapping[str, Kind]] = {
    "submission_id": "id",
    "kind": "text",
    "component": "text",
    "value": "number",
}

FloatArray = npt.NDArray[np.float64]

# Jupyter display: the rank columns shown beside the scores, and how many of the best
# submissions the caterpillar chart draws (all of a large panel is too tall for a cell).
_RANK_SHOWN: Final[tuple[str, ...]] = ("expected_rank", "rank_lo90", "rank_hi90")
_CHART_ROWS: Final[int] = 40


@dataclass(frozen=True)
class Diagnostics:
    """How far the numbers can be trusted as a posterior summary.

    ``converged`` is True when every submission effect has R-hat ≤ ``rhat_threshold``
    and bulk ESS ≥ ``ess_threshold`` (Bayes), or when REML converged (EB). Results that
    are not converged are provisional: the CLI refuses to present them as final.
    """

    method: str
    converged: bool
    max_rhat: float
    min_ess: float
    rhat_threshold: float
    ess_threshold: float
    chains: int
    draws: int
    warmup: int
    extensions: int
    message: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON (NaN as None)."""
        return {k: jsonable(v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Node) -> Diagnostics:
        """Read the ``diagnostics`` member of a score JSON (errors name its path).

        Parameters
        ----------
        data : Node
            The ``diagnostics`` object, wrapped with its path in the document
            (:class:`fairpanel._json.Node`).

        Returns
        -------
        Diagnostics
        """
        values: dict[str, Any] = {}
        for f in fields(cls):
            node = data[f.name]
            if f.type == "float":
                values[f.name] = node.number_or_nan()
            elif f.type == "int":
                values[f.name] = node.integer()
            elif f.type == "bool":
                values[f.name] = node.boolean()
            else:
                values[f.name] = node.text()
        return cls(**values)


@dataclass(frozen=True)
class ScoreResult:
    """What :func:`score` found.

    Attributes
    ----------
    table : DataFrame
        One row per submission, sorted by expected rank: ``SCORE_COLUMNS`` first
        (``mean_score`` and ``calibrated_score`` on the rubric's own scale, ranks with
        1 = best), then ``adjustment`` (calibrated − mean), ``expected_rank_mcse``, the
        bounds of any other rank interval asked for (``rank_lo80, rank_hi80``, see
        :func:`fairpanel._schema.interval_columns`) and, when a rubric with bands was
        given, ``band`` (of the calibrated score).
    reviewers : DataFrame
        One row per reviewer: ``reviewer_id, n_reviews, mean_given`` (mean total given,
        on the scale), ``leniency`` and ``leniency_se``, in points of the scale,
        positive for a reviewer whose grades are *better* than the average reviewer's,
        whatever the scale's direction.
    decomposition : DataFrame
        Long table ``submission_id, kind, component, value`` on the rubric's scale: the
        ``criterion`` rows sum to ``mean_score``; adding the ``reviewers`` row (the
        correction for the leniency of this submission's reviewers) and the
        ``shrinkage`` row (the pull toward the panel mean of a noisy mean) gives
        ``calibrated_score``.
    diagnostics : Diagnostics
    components : mapping
        Variance components and overall mean: ``overall_mean`` (scale),
        ``submission_sd``, ``leniency_sd``, ``review_sd`` (points of the scale).
    method : str
    seed : int, str or None
        The seed given (None when a Generator was passed).
    scale : Scale
        The scale the scores are on (the rubric's).
    rubric : Rubric or None
        The rubric scored with; None for a result read back from JSON, which records
        only its scale.
    panel_sizes : tuple of int
        Submissions in each linked panel, largest first: the parts of the design that
        share no reviewer. One entry when every submission is linked to every other by
        a chain of shared reviewers; with several, reviewer leniency and merit are told
        apart across panels only through the model's priors. Empty for a result read
        from a file that did not record it.
    """

    table: pd.DataFrame
    reviewers: pd.DataFrame
    decomposition: pd.DataFrame
    diagnostics: Diagnostics
    components: Mapping[str, float]
    method: str
    seed: int | str | None
    scale: Scale
    rubric: Rubric | None = field(default=None, repr=False)
    panel_sizes: tuple[int, ...] = ()

    @property
    def provisional(self) -> bool:
        """True when the posterior summary did not converge."""
        return not self.diagnostics.converged

    def __repr__(self) -> str:
        d = self.diagnostics
        return (
            f"<ScoreResult method={self.method!r} submissions={len(self.table)} "
            f"reviewers={len(self.reviewers)} converged={d.converged} "
            f"max_rhat={d.max_rhat:.4g} min_ess={d.min_ess:.4g}>"
        )

    def _repr_html_(self) -> str:
        # Imported here: Altair loads slowly, and only a display needs it.
        from fairpanel.viz import caterpillar_chart

        d, top = self.diagnostics, self.table.head(_CHART_ROWS)
        cols = [c for c in (*SCORE_COLUMNS[:5], *_RANK_SHOWN, "band") if c in self.table]
        chart = caterpillar_chart(top)
        if len(self.table) > len(top):
            chart = replace(chart, title=f"{chart.title} (best {len(top)} of {len(self.table)})")
        return html_summary(
            f"ScoreResult · {self.method}" + (" · PROVISIONAL" if self.provisional else ""),
            facts=[
                ("submissions", len(self.table)),
                ("reviewers", len(self.reviewers)),
                ("converged", d.converged),
                ("max R-hat", d.max_rhat),
                ("min ESS", d.min_ess),
            ],
            notes=[] if d.converged else [d.message],
            blocks=[("Top of the ranking (1 = best)", self.table[cols]), chart],
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: the tables as lists of records, and the diagnostics.

        The JSON of ``fairpanel score --json`` (schema ``fairpanel.scores``): ``method``,
        ``seed``, ``provisional``, ``scale``, ``diagnostics``, ``components``, and the
        records of ``scores``, ``reviewers`` and ``decomposition``; NaN is null.
        """
        return {
            SCHEMA_KEY: stamp(SCHEMA_KIND, SCHEMA_VERSION),
            "method": self.method,
            "seed": self.seed,
            "provisional": self.provisional,
            "scale": {
                "min": self.scale.min,
                "max": self.scale.max,
                "higher_is_better": self.scale.higher_is_better,
                "step": self.scale.step,
                "grades": dict(self.scale.grades),
                "inferred": self.scale.inferred,
            },
            "diagnostics": self.diagnostics.to_dict(),
            "components": jsonable(dict(self.components)),
            "panel_sizes": list(self.panel_sizes),
            "scores": records(self.table),
            "reviewers": records(self.reviewers),
            "decomposition": records(self.decomposition),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoreResult:
        """Read the JSON of :meth:`to_dict` (``provisional`` follows from the diagnostics).

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
        scale = doc["scale"]
        try:
            # step, grades and inferred came with version 2; version 1 files had whole points.
            step = scale.get("step")
            grades = scale.get("grades")
            the_scale = Scale(
                scale["min"].integer(),
                scale["max"].integer(),
                scale["higher_is_better"].boolean(),
                step=1.0 if "step" not in scale.mapping() else step.number_or_none(),
                grades=()
                if grades.is_null
                else tuple((name, value.number()) for name, value in grades.members()),
                inferred=False if scale.get("inferred").is_null else scale["inferred"].boolean(),
            )
        except ValueError as exc:
            raise FairpanelInputError(str(exc), field=scale.path) from None
        scores = doc["scores"].records(_SCORE_KINDS, required=SCORE_COLUMNS)
        reviewers = doc["reviewers"].records(_REVIEWER_KINDS, required=_REVIEWER_COLUMNS)
        parts = doc["decomposition"].records(_DECOMPOSITION_KINDS, required=_DECOMPOSITION_COLUMNS)
        return cls(
            table=table(scores, kinds=_SCORE_KINDS, columns=SCORE_COLUMNS),
            reviewers=table(reviewers, kinds=_REVIEWER_KINDS, columns=_REVIEWER_COLUMNS),
            decomposition=table(parts, kinds=_DECOMPOSITION_KINDS, columns=_DECOMPOSITION_COLUMNS),
            diagnostics=Diagnostics.from_dict(doc["diagnostics"]),
            components={k: v.number_or_nan() for k, v in doc["components"].members()},
            method=doc["method"].text(),
            seed=doc["seed"].seed(),
            scale=the_scale,
            panel_sizes=()
            if doc.get("panel_sizes").is_null
            else tuple(n.integer() for n in doc["panel_sizes"].elements()),
        )


def assemble(
    panel: Panel,
    *,
    eta_mean: FloatArray,
    eta_sd: FloatArray,
    eta_chains: FloatArray,
    lam_mean: FloatArray,
    lam_sd: FloatArray,
    diagnostics: Diagnostics,
    components: dict[str, float],
    method: str,
    seed: Seed,
    with_band: bool,
    interval_levels: Sequence[float] = (),
) -> ScoreResult:
    n = panel.n_sub
    sign = 1.0 if panel.scale.higher_is_better else -1.0
    n_reviews = np.bincount(panel.sub, minlength=n)
    mean_raw = np.bincount(panel.sub, weights=panel.raw_total, minlength=n) / n_reviews
    calibrated = panel.to_scale(eta_mean)
    ranks = rank_summary(eta_chains, interval_levels)
    table = pd.DataFrame(
        {
            "submission_id": panel.submissions.astype("str"),
            "n_reviews": n_reviews.astype(np.int64),
            "mean_score": mean_raw,
            "calibrated_score": calibrated,
            "score_se": eta_sd,
        }
    )
    for column in SCORE_COLUMNS[5:]:
        table[column] = ranks[column].to_numpy()
    table["adjustment"] = calibrated - mean_raw
    table["expected_rank_mcse"] = ranks["expected_rank_mcse"].to_numpy()
    for column in ranks.columns:  # the bounds of the other interval levels asked for
        if column not in table.columns:
            table[column] = ranks[column].to_numpy()
    if with_band:
        table["band"] = pd.Series(panel.rubric.band_of(calibrated), dtype="str")
    # Scores stay on the rubric's own scale; record its direction so every consumer
    # (strategies, audit, a CSV read back later) knows which end is best.
    table[SCORE_DIRECTION] = panel.scale.higher_is_better

    # Decomposition: mean of criterion contributions, then the leniency correction
    # (minus the mean leniency of the submission's reviewers) and the shrinkage rest.
    contrib = panel.contributions.groupby(panel.sub).mean()
    lenient = np.bincount(panel.sub, weights=lam_mean[panel.rev], minlength=n) / n_reviews
    reviewers_adj = -sign * lenient
    shrinkage = (calibrated - mean_raw) - reviewers_adj
    parts = [
        pd.DataFrame(
            {
                "submission_id": panel.submissions.astype("str"),
                "kind": "criterion",
                "component": crit,
                "value": contrib[crit].to_numpy(),
            }
        )
        for crit in contrib.columns
    ]
    parts.append(
        pd.DataFrame(
            {
                "submission_id": panel.submissions.astype("str"),
                "kind": "reviewers",
                "component": "reviewer leniency",
                "value": reviewers_adj,
            }
        )
    )
    parts.append(
        pd.DataFrame(
            {
                "submission_id": panel.submissions.astype("str"),
                "kind": "shrinkage",
                "component": "shrinkage toward the panel mean",
                "value": shrinkage,
            }
        )
    )
    decomposition = pd.concat(parts, ignore_index=True)
    order = {sid: k for k, sid in enumerate(table.sort_values("expected_rank")["submission_id"])}
    decomposition = decomposition.sort_values(
        ["submission_id"], key=lambda s: s.map(order), kind="stable"
    ).reset_index(drop=True)

    m_j = np.bincount(panel.rev, minlength=panel.n_rev)
    given = np.bincount(panel.rev, weights=panel.raw_total, minlength=panel.n_rev) / m_j
    reviewers = pd.DataFrame(
        {
            "reviewer_id": panel.reviewers.astype("str"),
            "n_reviews": m_j.astype(np.int64),
            "mean_given": given,
            "leniency": lam_mean,
            "leniency_se": lam_sd,
        }
    )
    table = table.sort_values(["expected_rank", "submission_id"], kind="stable").reset_index(
        drop=True
    )
    return ScoreResult(
        table=table,
        reviewers=reviewers,
        decomposition=decomposition,
        diagnostics=diagnostics,
        components=components,
        method=method,
        seed=seed if isinstance(seed, int | str) else None,
        scale=panel.scale,
        rubric=panel.rubric,
        panel_sizes=tuple(sorted(np.bincount(panel.component).tolist(), reverse=True)),
    )
