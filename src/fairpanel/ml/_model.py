"""A transparent scikit-learn model of past decisions, saved with its data checksum.

The model sees only the features a submission carries when it is submitted: group
attributes, identifiers and past outcomes are excluded by default, so that what the model
learns can be listed, checked and explained.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn
from numpy.typing import NDArray

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import ML_MODELS, MLModel
from fairpanel._seed import Seed
from fairpanel.io import write_bytes
from fairpanel.ml._features import (
    ERR_MISSING_COLUMN,
    ERR_MODEL,
    ERR_NO_FEATURES,
    ERR_NOT_A_MODEL,
    ERR_NOT_FITTED,
    ERR_ONE_CLASS,
    ERR_TARGET_NA,
    NOT_FEATURES,
    Task,
    as_number,
    build_pipeline,
    canonical_checksum,
    prepare_features,
    seed_int,
    single_threaded,
    target_values,
)

__all__ = ["SelectionModel", "load_model"]


class SelectionModel:
    """A model of past decisions (or past scores) from submission features.

    Parameters
    ----------
    model : {"logistic", "gbm"}, default "logistic"
        ``"logistic"``: logistic regression for a decision, ridge regression for a score --
        transparent, one standardized coefficient per feature. ``"gbm"``: histogram
        gradient boosting.
    target : str, default "selected"
        The past outcome to learn: a 0/1 decision or a numeric score.
    groups : sequence of str, default ()
        Group attributes (gender, career stage, …). Never used as features; they are
        listed so that the exclusion is explicit and checked.
    exclude : sequence of str, default ()
        Further columns that must not be features.
    features : sequence of str, optional
        The features to use. Default: every column except ``submission_id``, ``cycle``,
        the outcomes ``selected`` and ``past_score``, ``groups`` and ``exclude``.
    seed : int, str, Generator or None, optional
        Seed for the estimators that draw random numbers: :meth:`fit` turns it into
        the integer ``seed_`` scikit-learn takes (:func:`seed_int`).

    Attributes
    ----------
    pipeline_ : sklearn.pipeline.Pipeline
        The fitted pipeline (inspect ``pipeline_[-1]`` for the estimator).
    feature_names_ : list of str
        The input columns the model uses.
    task_ : {"classification", "regression"}
    training_checksum_ : str
        SHA-256 of the canonical training table (features + target), see
        :func:`canonical_checksum`.
    n_training_ : int
    seed_ : int
        The integer seed the estimators were given.

    Examples
    --------
    >>> from fairpanel.ml import generate_history
    >>> m = SelectionModel(groups=["gender"]).fit(generate_history(50, seed=1))
    >>> "gender" in m.feature_names_, len(m.training_checksum_)
    (False, 64)
    """

    def __init__(
        self,
        *,
        model: MLModel = "logistic",
        target: str = "selected",
        groups: Sequence[str] = (),
        exclude: Sequence[str] = (),
        features: Sequence[str] | None = None,
        seed: Seed = None,
    ) -> None:
        self.model = model
        self.target = target
        self.groups = groups
        self.exclude = exclude
        self.features = features
        self.seed = seed

    # -- learning ---------------------------------------------------------------------
    def feature_columns(self, history: pd.DataFrame) -> list[str]:
        """Return the columns of ``history`` this model would use as features.

        Parameters
        ----------
        history : DataFrame
            The table the model would learn from. With ``features`` given, those
            columns (less any group attribute) in their given order; otherwise every
            column of ``history`` except ``submission_id``, ``cycle``, the outcomes,
            the target, ``groups`` and ``exclude``, in the table's order.

        Returns
        -------
        list of str

        Raises
        ------
        FairpanelInputError
            When a listed feature is not a column of ``history``.
        """
        if self.features is not None:
            missing = [c for c in self.features if c not in history.columns]
            if missing:
                raise FairpanelInputError(
                    ERR_MISSING_COLUMN.format(column=missing[0]), column=missing[0]
                )
            # Group attributes stay out even when listed: exclusion is the default promise.
            return [c for c in self.features if c not in set(self.groups)]
        dropped = {*NOT_FEATURES, self.target, *self.groups, *self.exclude}
        return [c for c in history.columns if c not in dropped]

    def fit(self, history: pd.DataFrame) -> SelectionModel:
        """Learn the target from the features of ``history``; record its checksum.

        Parameters
        ----------
        history : DataFrame
            Past cycles, one row per submission: the target column, the
            ``groups`` columns and the features (see :meth:`feature_columns`).
            A target of yes/no values (read as every fairpanel table reads one) is
            a decision and is classified; numbers are a score and are regressed.
            Bool and numeric feature columns are numeric features (median-imputed,
            standardized); any other column is a category, one-hot encoded, with
            missing cells as a ``"(missing)"`` level.

        Returns
        -------
        SelectionModel
            This model, fitted.

        Raises
        ------
        ValueError
            For an unknown ``model``.
        FairpanelInputError
            When the target or a group column is missing, no feature is left, the
            target has empty cells or cells that are neither yes/no nor numbers, or
            the past decisions hold a single value.
        """
        if self.model not in ML_MODELS:
            raise ValueError(ERR_MODEL.format(allowed=ML_MODELS, value=self.model))
        for col in (self.target, *self.groups):
            if col not in history.columns:
                raise FairpanelInputError(ERR_MISSING_COLUMN.format(column=col), column=col)
        features = self.feature_columns(history)
        if not features:
            raise FairpanelInputError(ERR_NO_FEATURES, hint="add feature columns or --feature")
        y_raw = history[self.target]
        n_na = int(y_raw.isna().sum())
        if n_na:
            raise FairpanelInputError(ERR_TARGET_NA.format(count=n_na), column=self.target)
        task, y = target_values(y_raw)
        if task == "classification":
            y = y.astype(np.int64)
        if task == "classification" and np.unique(y).size < 2:
            raise FairpanelInputError(ERR_ONE_CLASS, column=self.target)
        X = prepare_features(history, features)
        numeric = [c for c in features if pd.api.types.is_float_dtype(X[c])]
        categorical = [c for c in features if c not in set(numeric)]
        self.seed_ = seed_int(self.seed)
        self.task_: Task = task
        self.numeric_features_ = numeric
        self.categorical_features_ = categorical
        self.feature_names_ = features
        self.pipeline_ = build_pipeline(
            numeric, categorical, model=self.model, task=task, seed=self.seed_
        )
        with single_threaded():
            self.pipeline_.fit(X, y)
        self.training_checksum_ = canonical_checksum(history[[*features, self.target]])
        self.n_training_ = len(history)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "pipeline_"):
            raise ValueError(ERR_NOT_FITTED)

    # -- using ------------------------------------------------------------------------
    def features_of(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return the model's feature columns of a new table (absent ones become missing).

        Parameters
        ----------
        frame : DataFrame
            A new table (a cycle to rank, a shifted source). A feature column it
            lacks is all missing (median-imputed if numeric, the ``"(missing)"``
            level if a category). A numeric feature stored as text is read as
            numbers, yes/no cells as 1/0, anything else as missing.

        Returns
        -------
        DataFrame
            The feature columns in the model's order, in the form the fitted
            pipeline takes, with ``frame``'s index.

        Raises
        ------
        ValueError
            When the model is not fitted.
        """
        self._check_fitted()
        filled = frame.copy()
        for col in self.feature_names_:
            if col not in filled.columns:
                filled[col] = np.nan
        # A new table may type a column differently from the history (a stray "n/a" makes
        # a number column text): coerce each feature to the kind the model learned.
        for col in self.numeric_features_:
            filled[col] = as_number(filled[col])
        for col in self.categorical_features_:
            filled[col] = filled[col].astype(object)
        return prepare_features(filled, self.feature_names_)

    def predict_score(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """Predicted probability of selection (decision target) or predicted score.

        Parameters
        ----------
        frame : DataFrame
            Rows to predict, holding the model's features (see :meth:`features_of`
            for absent or differently typed columns).

        Returns
        -------
        ndarray of float
            One value per row of ``frame``: a probability in [0, 1] for a decision
            target, a score on the target's scale for a score target.

        Raises
        ------
        ValueError
            When the model is not fitted.
        """
        self._check_fitted()
        X = self.features_of(frame)
        if self.task_ == "classification":
            return np.asarray(self.pipeline_.predict_proba(X)[:, 1], dtype=np.float64)
        return np.asarray(self.pipeline_.predict(X), dtype=np.float64)

    def coefficients(self) -> pd.DataFrame:
        """Standardized coefficients of a linear model (empty for gradient boosting).

        Numeric features are scaled to unit standard deviation before fitting, so each
        coefficient is the change in log-odds (or score) per standard deviation; a
        category's coefficient is relative to the model's average.
        """
        self._check_fitted()
        if self.model != "logistic":
            return pd.DataFrame({"term": [], "coefficient": []})
        names = self.pipeline_[0].get_feature_names_out()
        coef = np.ravel(self.pipeline_[-1].coef_)
        return pd.DataFrame({"term": [str(n) for n in names], "coefficient": coef})

    def card(self) -> dict[str, Any]:
        """Describe the fitted model plainly, for reports and for the saved file."""
        self._check_fitted()
        return {
            "model": self.model,
            "estimator": type(self.pipeline_[-1]).__name__,
            "task": self.task_,
            "target": self.target,
            "features": list(self.feature_names_),
            "excluded_groups": list(self.groups),
            "n_training": self.n_training_,
            "training_checksum": self.training_checksum_,
            "scikit_learn": sklearn.__version__,
        }

    def save(self, path: str | Path) -> Path:
        """Save the fitted model (joblib) atomically; ``card()`` travels with it.

        Parameters
        ----------
        path : str or Path
            The file to write (conventionally ``.joblib``); parent folders are
            created and an existing file is replaced (:func:`fairpanel.io.write_bytes`).

        Returns
        -------
        Path
            ``path`` as a :class:`~pathlib.Path`.

        Raises
        ------
        ValueError
            When the model is not fitted.
        """
        self._check_fitted()
        buffer = io.BytesIO()
        joblib.dump({"fairpanel_model": self, "card": self.card()}, buffer)
        return write_bytes(path, buffer.getvalue())


def load_model(path: str | Path) -> SelectionModel:
    """Load a model written by :meth:`SelectionModel.save`.

    Like any pickle, only load files you trust: unpickling can run code.

    Parameters
    ----------
    path : str or Path
        The saved model file.

    Returns
    -------
    SelectionModel
        The fitted model, as saved.

    Raises
    ------
    FairpanelInputError
        When the file is a joblib file that does not hold a fairpanel model.
    """
    payload = joblib.load(path)
    if not isinstance(payload, dict) or not isinstance(
        payload.get("fairpanel_model"), SelectionModel
    ):
        raise FairpanelInputError(ERR_NOT_A_MODEL.format(path=path), file=path)
    model: SelectionModel = payload["fairpanel_model"]
    return model
