"""Overfit and overspecialization: what happens to the error as the model learns more.

The talk's distinction, kept in the words: a model has **overfit** when it learned noise
of its training data -- its error on new data from the same source goes *up*. It is
**overspecialized** when it learned quirks of its training source -- its error on
held-out data from that source goes *down*, yet on a shifted (real-world) source it goes
*up*. Both show along a path from "no learning" (predict the training average) to the
model as configured, through increasingly flexible fits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.model_selection import train_test_split

from fairpanel._errors import FairpanelInputError
from fairpanel.ml._features import build_pipeline, prepare_features, target_values
from fairpanel.ml._findings import Finding, Severity
from fairpanel.ml._model import SelectionModel

__all__ = [
    "LOGISTIC_PATH",
    "RISE_THRESHOLD",
    "error_path",
    "overfit_finding",
    "overspecialization_finding",
]

#: Inverse regularisation strengths up to the configured model (C = 1).
LOGISTIC_PATH: Final[tuple[float, ...]] = (1e-3, 1e-2, 1e-1, 1.0)
#: Boosting iterations up to the configured model (100).
GBM_PATH: Final[tuple[float, ...]] = (3, 10, 30, 100)
#: A rise of the error by 15% of the no-learning error is more than fitting noise between
#: neighbouring steps of the path (see docs/ml.md); smaller movements are not reported.
RISE_THRESHOLD: Final = 0.15
#: Share of the source held out to measure the in-source test error.
TEST_SHARE: Final = 0.25

#: The shifted table's name in errors, until the CLI replaces it with its path.
SHIFTED: Final = "shifted"

PATH_COLUMNS: Final[tuple[str, ...]] = (
    "step",
    "complexity",
    "train_error",
    "in_source_error",
    "shifted_error",
)


def _error(y: NDArray[np.float64], pred: NDArray[np.float64]) -> float:
    # Brier score for a decision (squared gap between predicted chance and what happened),
    # mean squared error for a score: one "prediction error" a committee can picture.
    return float(np.mean((pred - y) ** 2))


def error_path(
    model: SelectionModel, history: pd.DataFrame, shifted: pd.DataFrame | None
) -> pd.DataFrame:
    """Train, in-source test and shifted errors from no learning to the fitted model.

    ``model`` must be fitted (its features, task and seed are reused). Step 0 predicts
    the training average; later steps loosen the regularisation (logistic/ridge) or add
    boosting iterations (gbm) up to the configured model.

    Parameters
    ----------
    model : SelectionModel
        A fitted model. Its features, target, task and ``seed_`` are reused; the
        seed also fixes the train/test split.
    history : DataFrame
        The training source: :data:`TEST_SHARE` (a quarter) of its rows, stratified
        by the decision for a classification, is held out as the in-source test set;
        the path's models are fitted on the rest.
    shifted : DataFrame or None
        A table from another source (a later cycle, another programme) with the same
        features and target, or None: ``shifted_error`` is then NaN throughout.

    Returns
    -------
    DataFrame
        One row per step, columns ``step, complexity, train_error, in_source_error,
        shifted_error``. The error is the Brier score for a decision (mean squared gap
        between predicted chance and the 0/1 outcome) and the mean squared error for a
        score. ``complexity`` is 0 for the no-learning step, then the logistic ``C``
        (``1/alpha`` of a ridge model) or the number of boosting iterations.

    Raises
    ------
    FairpanelInputError
        When a target cell of ``shifted`` is neither yes/no nor a number (naming the
        table ``shifted`` unless the error already names a file).
    """
    task = model.task_
    y_all = target_values(history[model.target])[1]
    stratify = y_all if task == "classification" else None
    train, test = train_test_split(
        np.arange(len(history)),
        test_size=TEST_SHARE,
        random_state=model.seed_,
        stratify=stratify,
    )
    X = prepare_features(history, model.feature_names_)
    X_sh = model.features_of(shifted) if shifted is not None else None
    y_sh = None
    if shifted is not None:
        try:
            y_sh = target_values(shifted[model.target])[1]
        except FairpanelInputError as exc:
            # Name the table: the history's own cells were read (and named) before.
            raise exc.with_file(exc.file or SHIFTED) from None
    base = float(y_all[train].mean())
    rows = [_no_learning(y_all[train], y_all[test], y_sh, base)]
    path = LOGISTIC_PATH if model.model == "logistic" else GBM_PATH
    for step, complexity in enumerate(path, start=1):
        pipe = build_pipeline(
            model.numeric_features_,
            model.categorical_features_,
            model=model.model,
            task=task,
            seed=model.seed_,
            complexity=complexity,
        )
        pipe.fit(
            X.iloc[train],
            y_all[train].astype(np.int64) if task == "classification" else y_all[train],
        )

        def predict(frame: pd.DataFrame, pipe: object = pipe) -> NDArray[np.float64]:
            if task == "classification":
                return np.asarray(pipe.predict_proba(frame)[:, 1], dtype=np.float64)  # type: ignore[attr-defined]
            return np.asarray(pipe.predict(frame), dtype=np.float64)  # type: ignore[attr-defined]

        rows.append(
            {
                "step": step,
                "complexity": float(complexity),
                "train_error": _error(y_all[train], predict(X.iloc[train])),
                "in_source_error": _error(y_all[test], predict(X.iloc[test])),
                "shifted_error": float("nan")
                if X_sh is None or y_sh is None
                else _error(y_sh, predict(X_sh)),
            }
        )
    return pd.DataFrame(rows, columns=list(PATH_COLUMNS))


def _no_learning(
    y_train: NDArray[np.float64],
    y_test: NDArray[np.float64],
    y_sh: NDArray[np.float64] | None,
    base: float,
) -> dict[str, float]:
    # Step 0 of the path: predict the training average for everyone.
    return {
        "step": 0,
        "complexity": 0.0,
        "train_error": _error(y_train, np.full(y_train.size, base)),
        "in_source_error": _error(y_test, np.full(y_test.size, base)),
        "shifted_error": float("nan") if y_sh is None else _error(y_sh, np.full(y_sh.size, base)),
    }


def overfit_finding(path: pd.DataFrame) -> Finding:
    """Overfit: the in-source test error rose after its best point while training error fell."""
    train = path["train_error"].to_numpy()
    test = path["in_source_error"].to_numpy()
    best = int(np.argmin(test))
    rise = (test[-1] - test[best]) / test[0] if test[0] > 0 else 0.0
    if rise >= RISE_THRESHOLD and train[-1] < train[best]:
        return Finding(
            "overfit",
            "warning",
            rise,
            f"The model has overfit (learned noise in its training data): its prediction "
            f"error on held-out past submissions rose from {test[best]:.3f} to {test[-1]:.3f} "
            f"as it fitted the training data more closely; a simpler model would do better.",
        )
    return Finding(
        "overfit",
        "ok",
        rise,
        f"The model has not overfit (learned noise): its prediction error on held-out past "
        f"submissions is {test[-1]:.3f}, against {test[0]:.3f} for a guess that ignores the "
        f"features, and it does not rise as the model fits more closely.",
    )


def overspecialization_finding(path: pd.DataFrame, source_names: Sequence[str]) -> Finding:
    """Overspecialized: in-source error kept falling while the shifted error rose."""
    name, other = source_names
    ins = path["in_source_error"].to_numpy()
    sh = path["shifted_error"].to_numpy()
    best = int(np.argmin(sh))
    rise = (sh[-1] - sh[best]) / sh[0] if sh[0] > 0 else 0.0
    fell = ins[-1] <= ins[best]
    severity: Severity = "ok"
    if rise >= RISE_THRESHOLD and fell:
        # Worse than ignoring the features altogether on the shifted source: critical.
        severity = "critical" if sh[-1] > sh[0] else "warning"
        text = (
            f"The model is overspecialized (it learned quirks of the {name} data, not what "
            f"matters): its prediction error on held-out {name} data fell from {ins[0]:.3f} "
            f"to {ins[-1]:.3f}, but on the {other} data it rose from {sh[best]:.3f} to "
            f"{sh[-1]:.3f}"
            + (
                ", worse than a guess that ignores the features."
                if severity == "critical"
                else "."
            )
        )
    else:
        text = (
            f"The model is not overspecialized to the {name} data: its prediction error on "
            f"the {other} data is {sh[-1]:.3f} (a guess that ignores the features: "
            f"{sh[0]:.3f}) and does not rise as the model learns more."
        )
    return Finding("overspecialization", severity, rise, text)
