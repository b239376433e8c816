"""The trust checks: the talk's cautionary tales, run on every ML ranking by default."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.inspection import permutation_importance

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import MLModel
from fairpanel._seed import Seed
from fairpanel.ml._bias import inherited_bias
from fairpanel.ml._evaluate import (
    features_frame,
    held_out_fits,
    held_out_scores,
)
from fairpanel.ml._features import ERR_MISSING_COLUMN, seed_int, single_threaded, target_values
from fairpanel.ml._findings import DETAIL_COLUMNS, CheckReport, Finding
from fairpanel.ml._model import SelectionModel
from fairpanel.ml._shift import error_path, overfit_finding, overspecialization_finding
from fairpanel.ml._suspicious import leakage_finding, proxy_finding, too_good_finding

__all__ = ["DOMINANT_SHARE", "run_checks"]

#: One feature carrying most of the model's reliance: the watermark/source-tag pattern.
DOMINANT_SHARE: Final = 0.6
#: Permutation repeats per held-out part: the parts together cover every row once.
N_REPEATS: Final = 5

ERR_SHIFTED_TARGET = "the shifted data has no column {column!r} to evaluate the model on"


def run_checks(
    history: pd.DataFrame,
    *,
    target: str = "selected",
    groups: Sequence[str],
    shifted: pd.DataFrame | None = None,
    post_decision: Sequence[str] = (),
    score: str | None = None,
    model: MLModel = "logistic",
    exclude: Sequence[str] = (),
    features: Sequence[str] | None = None,
    source_names: tuple[str, str] = ("original", "shifted"),
    seed: Seed = None,
) -> CheckReport:
    """Run every trust check on a model of past decisions.

    Parameters
    ----------
    history : pandas.DataFrame
        Past submissions: features, group attributes, the target (and optionally
        ``cycle`` and a rubric score).
    target : str, default "selected"
        The past decision (0/1) or past score the model learns.
    groups : sequence of str
        Group attributes: excluded from the features, checked for proxies and disparity.
    shifted : pandas.DataFrame, optional
        Data from another source (e.g. real cycles when the history is simulated) with
        the same columns, for the overspecialization check.
    post_decision : sequence of str
        Columns the committee knows are recorded after the decision (leakage).
    score : str, optional
        A rubric/panel score column of the history for the side-by-side disparity.
        Default: ``"past_score"`` when the history has it and it is not the target.
    model, exclude, features
        As for :class:`SelectionModel`.
    source_names : (str, str)
        How messages name the training and the shifted source.
    seed : int, str, Generator or None, optional
        Seed for splits, permutations and estimators (:func:`fairpanel._seed.as_rng`).

    Returns
    -------
    CheckReport

    Examples
    --------
    >>> from fairpanel.ml import generate_history
    >>> report = run_checks(generate_history(60, seed=2), groups=["gender"], seed=2)
    >>> sorted({f.check for f in report.findings})[:3]
    ['dominant_feature', 'inherited_bias', 'interpretation']
    """
    with single_threaded():
        return _run_checks(
            history, target=target, groups=groups, shifted=shifted,
            post_decision=post_decision, score=score, model=model, exclude=exclude,
            features=features, source_names=source_names, seed=seed,
        )  # fmt: skip


def _run_checks(
    history: pd.DataFrame,
    *,
    target: str,
    groups: Sequence[str],
    shifted: pd.DataFrame | None,
    post_decision: Sequence[str],
    score: str | None,
    model: MLModel,
    exclude: Sequence[str],
    features: Sequence[str] | None,
    source_names: tuple[str, str],
    seed: Seed,
) -> CheckReport:
    for col in (target, *groups):
        if col not in history.columns:
            raise FairpanelInputError(ERR_MISSING_COLUMN.format(column=col), column=col)
    if shifted is not None and target not in shifted.columns:
        raise FairpanelInputError(ERR_SHIFTED_TARGET.format(column=target), column=target)
    if score is None and "past_score" in history.columns and target != "past_score":
        score = "past_score"
    fitted = SelectionModel(
        model=model,
        target=target,
        groups=groups,
        exclude=exclude,
        features=features,
        seed=seed,
    ).fit(history)
    rng_seed = seed_int(seed)
    X = features_frame(fitted, history)
    _, y_arr = target_values(history[target])
    if fitted.task_ == "classification":
        y_arr = y_arr.astype(np.int64)
    findings: list[Finding] = []
    details: list[dict[str, Any]] = []
    skipped: list[str] = []

    # Interpretation and the dominant feature: permutation importance on held-out rows.
    fits = held_out_fits(fitted, history)
    shares = _importance(fitted, fits, X, y_arr, rng_seed, details)
    findings.append(_interpretation(fitted, shares))
    findings.append(_dominant(shares))

    # Proxies of each group attribute.
    for attr in groups:
        findings.append(
            proxy_finding(X, history[attr], attr, fitted.feature_names_, rng_seed, details)
        )

    # Inherited bias, on what the model would have selected in cycles it never saw.
    held_out = held_out_scores(fits, history)
    decision = (
        target
        if fitted.task_ == "classification"
        else ("selected" if "selected" in history.columns else None)
    )
    if decision is None:
        skipped.append("inherited_bias: the history has no past decision (selected) column")
    else:
        bias_findings, bias_details = inherited_bias(
            history, held_out, decision=decision, groups=groups, score=score
        )
        findings.extend(bias_findings)
        details.extend(bias_details)

    # Did the ML cheat? Too good, and leakage.
    findings.append(too_good_finding(fitted, y_arr, held_out, details))
    findings.append(leakage_finding(fitted, X, y_arr, post_decision, rng_seed, details))

    # Overfit (always) and overspecialization (with a shifted source).
    path = error_path(fitted, history, shifted)
    for row in path.itertuples(index=False):
        for stat in ("train_error", "in_source_error", "shifted_error"):
            details.append(
                {
                    "check": "overspecialization",
                    "subject": "",
                    "item": f"step {row.step} (complexity {row.complexity:g})",
                    "statistic": stat,
                    "value": float(getattr(row, stat)),
                }
            )
    findings.append(overfit_finding(path))
    if shifted is None:
        skipped.append("overspecialization: no shifted source was given (--shifted)")
    else:
        findings.append(overspecialization_finding(path, source_names))

    return CheckReport(
        findings=tuple(findings),
        details=pd.DataFrame(details, columns=list(DETAIL_COLUMNS)),
        model=fitted.card(),
        skipped=tuple(skipped),
    )


def _importance(
    fitted: SelectionModel,
    fits: list[tuple[SelectionModel, NDArray[np.intp]]],
    X: pd.DataFrame,
    y: np.ndarray,
    seed: int,
    details: list[dict[str, Any]],
) -> pd.Series:
    """Share of the model's held-out reliance on each feature (positive part, sums to 1).

    Permutation importance of each held-out fit on the rows it never saw, averaged with
    the rows' count as weight: every row of the history is used once, which steadies
    the shares far more than one held-out split would.
    """
    scoring = "roc_auc" if fitted.task_ == "classification" else "r2"
    total = np.zeros(X.shape[1])
    for part, test in fits:
        result = permutation_importance(
            part.pipeline_,
            X.iloc[test],
            y[test],
            scoring=scoring,
            n_repeats=N_REPEATS,
            random_state=seed,
        )
        total += result.importances_mean * test.size
    mean = pd.Series(total / len(X), index=X.columns)
    positive = mean.clip(lower=0.0)
    shares = positive / positive.sum() if positive.sum() > 0 else positive
    for feat in X.columns:
        details.append(
            {
                "check": "interpretation",
                "subject": "",
                "item": feat,
                "statistic": "permutation_importance",
                "value": float(mean[feat]),
            }
        )
        details.append(
            {
                "check": "interpretation",
                "subject": "",
                "item": feat,
                "statistic": "importance_share",
                "value": float(shares[feat]),
            }
        )
    for term in fitted.coefficients().itertuples(index=False):
        details.append(
            {
                "check": "interpretation",
                "subject": "",
                "item": term.term,
                "statistic": "standardized_coefficient",
                "value": float(term.coefficient),  # type: ignore[arg-type]
            }
        )
    return shares.sort_values(ascending=False)


def _interpretation(fitted: SelectionModel, shares: pd.Series) -> Finding:
    # Shares that round to 0% say nothing to a reader: name at most three that matter.
    top = [f for f in shares.index[:3] if shares[f] >= 0.005]
    if not top:
        return Finding(
            "interpretation",
            "ok",
            0.0,
            "No feature helps the model rank held-out submissions: its ranking "
            "is no better than chance.",
        )
    # For a linear model, say which way each named number pushes: the coefficient's sign.
    coef = fitted.coefficients().set_index("term")["coefficient"]
    direction = {
        f: ", higher values favoured" if coef[f] > 0 else ", lower values favoured"
        for f in top
        if f in fitted.numeric_features_ and f in coef.index
    }
    parts = [f"'{f}' ({shares[f]:.0%}{direction.get(f, '')})" for f in top]
    text = (
        "The ranking is driven mostly by "
        + parts[0]
        + (", then " + " and ".join(parts[1:]) if len(parts) > 1 else "")
        + " — each share is how much the ranking of held-out submissions suffers "
        "when that feature is shuffled."
    )
    return Finding("interpretation", "ok", float(shares.iloc[0]), text)


def _dominant(shares: pd.Series) -> Finding:
    top = str(shares.index[0]) if shares.size else ""
    share = float(shares.iloc[0]) if shares.size else 0.0
    if share >= DOMINANT_SHARE:
        return Finding(
            "dominant_feature",
            "warning",
            share,
            f"A single feature, '{top}', carries {share:.0%} of what the model relies on: "
            "check that it measures merit and is not a tag or record that merely travels "
            "with past decisions.",
        )
    return Finding(
        "dominant_feature",
        "ok",
        share,
        f"No single feature dominates: the largest, '{top}', carries {share:.0%} "
        "of what the model relies on.",
    )
