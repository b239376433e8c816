"""Held-out evaluation shared by the trust checks.

Out-of-cycle predictions, how well features tell a target apart, and top-k selection
within cycles.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict

from fairpanel.ml._features import Task, build_pipeline, prepare_features
from fairpanel.ml._model import SelectionModel

__all__ = [
    "auc",
    "categorical_discrimination",
    "cv_discrimination",
    "features_frame",
    "held_out_fits",
    "held_out_scores",
    "single_feature_discrimination",
    "top_k_within",
]

#: Folds for cross-validation when the history has no cycle column (or just one cycle).
N_FOLDS: Final = 5


def auc(y: NDArray[np.generic], scores: NDArray[np.float64]) -> float:
    """ROC AUC; for several classes the one-vs-rest macro average (``scores`` per class)."""
    if scores.ndim == 2 and scores.shape[1] > 2:
        return float(roc_auc_score(y, scores, multi_class="ovr", average="macro"))
    positive = scores[:, 1] if scores.ndim == 2 else scores
    return float(roc_auc_score(y, positive))


def _folds(y: NDArray[np.generic], task: Task, seed: int) -> StratifiedKFold | KFold | None:
    if task == "regression":
        return KFold(N_FOLDS, shuffle=True, random_state=seed)
    _, counts = np.unique(y, return_counts=True)
    # Too few members of a class for stratified folds: fewer folds, or no estimate at all.
    n_splits = int(min(N_FOLDS, counts.min()))
    if counts.size < 2 or n_splits < 2:
        return None
    return StratifiedKFold(n_splits, shuffle=True, random_state=seed)


def cv_discrimination(
    X: pd.DataFrame,
    y: NDArray[np.generic],
    features: Sequence[str],
    *,
    task: Task,
    seed: int,
) -> float:
    """How well ``features`` predict ``y`` out of sample: AUC (classes) or R² (numbers).

    A cross-validated logistic (or ridge) model on just those columns; NaN when a class
    is too rare to cross-validate.
    """
    folds = _folds(y, task, seed)
    if folds is None:
        return float("nan")
    numeric = [c for c in features if pd.api.types.is_float_dtype(X[c])]
    categorical = [c for c in features if c not in set(numeric)]
    pipe = build_pipeline(numeric, categorical, model="logistic", task=task, seed=seed)
    Xf = X[list(features)]
    if task == "regression":
        pred = cross_val_predict(pipe, Xf, y, cv=folds)
        return float(r2_score(y, pred))
    proba = cross_val_predict(pipe, Xf, y, cv=folds, method="predict_proba")
    return auc(y, np.asarray(proba, dtype=np.float64))


def _rank_auc(positive: NDArray[np.bool_], score: NDArray[np.float64]) -> float:
    # AUC = (rank sum of positives - n1(n1+1)/2) / (n1 n0), mid-ranks for ties: the
    # Mann-Whitney form (Hanley & McNeil 1982).
    n1 = int(positive.sum())
    n0 = positive.size - n1
    ranks = stats.rankdata(score)
    return float((ranks[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def single_feature_discrimination(
    x: NDArray[np.float64], y: NDArray[np.generic], *, task: Task
) -> float:
    """How well one numeric feature alone tells ``y``, in either direction.

    For classes: the AUC of the feature for each class against the rest (macro mean over
    classes when there are more than two), taking the better direction and placing
    missing values at whichever end separates better -- a feature that is recorded only
    for selected submissions separates perfectly. No model is fitted, so no
    cross-validation is needed; choosing among the four orientations adds at most a few
    hundredths on a few hundred rows. For numbers: the squared Spearman correlation,
    missing values again at the better end.
    """
    missing = np.isnan(x)
    low, high = np.where(missing, -np.inf, x), np.where(missing, np.inf, x)
    if task == "regression":
        rho = [stats.spearmanr(v, y).statistic for v in (low, high)]
        return float(np.nanmax(np.square(rho))) if np.isfinite(rho).any() else 0.0
    classes = np.unique(y)
    targets = [y == classes[1]] if classes.size == 2 else [y == c for c in classes]
    per_class = []
    for positive in targets:
        a = [_rank_auc(positive, v) for v in (low, high)]
        per_class.append(max(*a, *(1.0 - v for v in a)))
    return float(np.mean(per_class))


def categorical_discrimination(
    x: NDArray[np.generic], y: NDArray[np.generic], *, task: Task, seed: int
) -> float:
    """How well one categorical feature alone tells ``y``, out of sample.

    Each category is scored by the share of each class (or the mean score) among the
    training folds' rows of that category -- what a one-hot model of that single feature
    learns -- and the held-out rows are then judged by that score: the macro one-vs-rest
    AUC for classes, R² for numbers. NaN when a class is too rare to cross-validate.
    """
    folds = _folds(y, task, seed)
    if folds is None:
        return float("nan")
    codes, _ = pd.factorize(pd.Series(x, dtype=object))
    if task == "regression":
        targets = [np.asarray(y, dtype=np.float64)]
    else:
        classes = np.unique(y)
        chosen = classes[1:] if classes.size == 2 else classes
        targets = [(y == c).astype(np.float64) for c in chosen]
    n_codes = int(codes.max()) + 1
    scores = np.zeros((len(targets), codes.size))
    for train, test in folds.split(codes.reshape(-1, 1), y):
        counts = np.bincount(codes[train], minlength=n_codes)
        for j, t in enumerate(targets):
            sums = np.bincount(codes[train], weights=t[train], minlength=n_codes)
            # An unseen category gets the overall mean: it tells nothing.
            means = np.where(counts > 0, sums / np.maximum(counts, 1), t[train].mean())
            scores[j, test] = means[codes[test]]
    if task == "regression":
        return float(r2_score(targets[0], scores[0]))
    return float(np.mean([_rank_auc(t > 0, s) for t, s in zip(targets, scores, strict=True)]))


def held_out_fits(
    model: SelectionModel, history: pd.DataFrame, *, cycle: str = "cycle"
) -> list[tuple[SelectionModel, NDArray[np.intp]]]:
    """Fit the model once per held-out part; return each fit with the rows it never saw.

    Leave-one-cycle-out when the history has two or more cycles (the honest question:
    how would the model have ranked a cycle it was not trained on?), otherwise
    ``N_FOLDS``-fold cross-validation.
    """
    if cycle in history.columns and history[cycle].nunique() >= 2:
        labels = history[cycle].to_numpy()
        splits = [
            (np.flatnonzero(labels != c), np.flatnonzero(labels == c)) for c in pd.unique(labels)
        ]
    else:
        kf = KFold(N_FOLDS, shuffle=True, random_state=getattr(model, "seed_", 0))
        splits = list(kf.split(history))
    fits = []
    for train, test in splits:
        fitted = SelectionModel(
            model=model.model,
            target=model.target,
            groups=model.groups,
            exclude=model.exclude,
            features=model.features,
            seed=model.seed,
        ).fit(history.iloc[train])
        fits.append((fitted, np.asarray(test, dtype=np.intp)))
    return fits


def held_out_scores(
    fits: list[tuple[SelectionModel, NDArray[np.intp]]], history: pd.DataFrame
) -> NDArray[np.float64]:
    """Each row's prediction from the fit of :func:`held_out_fits` that never saw it."""
    out = np.full(len(history), np.nan)
    for fitted, test in fits:
        out[test] = fitted.predict_score(history.iloc[test])
    return out


def top_k_within(
    scores: NDArray[np.float64], blocks: NDArray[np.generic], k: NDArray[np.int64]
) -> NDArray[np.bool_]:
    """Select the ``k[b]`` highest scores within each block ``b`` (cycles).

    ``k`` is aligned with ``np.unique(blocks)``. Ties are broken by position (stable
    sort); the checks use this only to compare allocations, not to decide one.
    """
    levels, inverse = np.unique(blocks, return_inverse=True)
    # Sort by block, then by descending score; rank within block = position - block start.
    order = np.lexsort((-scores, inverse))
    starts = np.searchsorted(inverse[order], np.arange(levels.size))
    rank = np.empty(scores.size, dtype=np.int64)
    rank[order] = np.arange(scores.size) - starts[inverse[order]]
    return rank < k[inverse]


def features_frame(model: SelectionModel, history: pd.DataFrame) -> pd.DataFrame:
    """Return the model's features of ``history``, prepared (shared by several checks)."""
    return prepare_features(history, model.feature_names_)
