"""The pieces of the ML model: features, targets, the scikit-learn pipeline, checksums.

Shared by :class:`~fairpanel.ml.SelectionModel` and the checks that refit its pipeline
on other data (overfit, overspecialization, proxies).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import BOOL_HINT, MLModel
from fairpanel._seed import Seed, as_rng
from fairpanel.io import ERR_NOT_BOOL, bool_mask
from fairpanel.ml._history import HISTORY_OUTCOMES

__all__ = [
    "ERR_MISSING_COLUMN",
    "ERR_MODEL",
    "ERR_NOT_A_MODEL",
    "ERR_NOT_FITTED",
    "ERR_NO_FEATURES",
    "ERR_ONE_CLASS",
    "ERR_TARGET_NA",
    "MISSING_LEVEL",
    "NOT_FEATURES",
    "Task",
    "as_number",
    "build_pipeline",
    "canonical_checksum",
    "prepare_features",
    "seed_int",
    "single_threaded",
    "target_values",
]

Task = Literal["classification", "regression"]

#: Columns that are never features unless listed in ``features``: who, when and what happened.
NOT_FEATURES: Final[tuple[str, ...]] = ("submission_id", "cycle", *HISTORY_OUTCOMES)
#: Marks a missing category, so that "not recorded" is a level the model can see.
MISSING_LEVEL: Final = "(missing)"

ERR_MODEL = "model must be one of {allowed}, got {value!r}"
ERR_MISSING_COLUMN = "the history has no column {column!r}"
ERR_NO_FEATURES = "no feature is left once group attributes and outcomes are excluded"
ERR_TARGET_NA = "the target column has {count} empty cells"
ERR_ONE_CLASS = "the past decisions hold only one value, so there is nothing to learn"
ERR_NOT_FITTED = "this SelectionModel is not fitted yet: call fit(history) first"
ERR_NOT_A_MODEL = "{path} does not hold a fairpanel SelectionModel"


def single_threaded() -> Any:
    """Return a context in which BLAS/OpenMP use one thread.

    The models here fit a few hundred rows: starting and synchronising threads costs far
    more than the arithmetic (measured: 10x slower CPU time on 2 shared cores).
    """
    return threadpool_limits(limits=1)


def seed_int(seed: Seed) -> int:
    """Turn a seed (int, text, Generator or None) into an int for scikit-learn.

    The int is the first draw of :func:`fairpanel._seed.as_rng`'s generator, so text
    seeds (the CLI's ``--seed``) follow the package's one convention: digits are the
    integer they spell (``"7"`` is ``7``), other text is hashed.

    Examples
    --------
    >>> seed_int(7) == seed_int(7), seed_int("cycle 2026") == seed_int("cycle 2026")
    (True, True)
    """
    return int(as_rng(seed).integers(2**31 - 1))


def canonical_checksum(frame: pd.DataFrame) -> str:
    """SHA-256 of a table's canonical CSV bytes: sorted columns, sorted lines, UTF-8.

    Row order and column order do not change it; any changed cell does.

    Parameters
    ----------
    frame : DataFrame
        The table; the index is not part of it. Cells are compared as pandas'
        ``to_csv`` writes them: an integer column and the same values stored as
        floats (``1`` and ``1.0``) give different checksums.

    Returns
    -------
    str
        64 lowercase hexadecimal digits.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    >>> canonical_checksum(a) == canonical_checksum(a.iloc[::-1][["y", "x"]])
    True
    """
    ordered = frame[sorted(frame.columns, key=str)]
    text = ordered.to_csv(index=False, lineterminator="\n")
    header, *lines = text.rstrip("\n").split("\n")
    canonical = "\n".join([header, *sorted(lines)]) + "\n"
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def prepare_features(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Select feature columns in a form every estimator accepts.

    Booleans become 0/1 numbers; text columns become plain objects with a visible
    ``"(missing)"`` level (pandas' string dtype and its NA are not accepted everywhere).
    """
    out: dict[str, pd.Series] = {}
    for col in columns:
        values = frame[col]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            out[col] = values.astype("float64")
        else:
            text = values.astype(object).where(values.notna(), MISSING_LEVEL).astype(str)
            out[col] = text.astype(object)
    return pd.DataFrame(out, index=frame.index)


def as_number(values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    # A yes/no cell is 1/0, read as every fairpanel table reads one; others as numbers.
    true, bad = bool_mask(values)
    flags = pd.Series(np.where(true, 1.0, 0.0), index=values.index)
    flags = flags.where(~bad & values.notna().to_numpy())
    return flags.fillna(pd.to_numeric(values, errors="coerce")).astype("float64")


def target_values(target: pd.Series) -> tuple[Task, NDArray[np.float64]]:
    """Read a target column: a decision (yes/no, as every table reads one) or a number.

    Text is accepted because a history read from a spreadsheet may keep every cell as
    text. Returns the task and the values as floats (0/1 for a decision). A cell that
    is neither yes/no nor a number is refused as a decision would be, naming its row
    (by position: the first row is row 2, as in a spreadsheet).

    Examples
    --------
    >>> target_values(pd.Series(["Yes", "no", "1.0"]))
    ('classification', array([1., 0., 1.]))
    >>> target_values(pd.Series([3.5, 2.0]))
    ('regression', array([3.5, 2. ]))
    """
    true, bad = bool_mask(target)
    if not bad.any() and target.notna().all():
        return "classification", np.asarray(true, dtype=np.float64)
    numbers = pd.to_numeric(target, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    neither = bad & np.isnan(numbers)
    if neither.any():
        pos = int(np.argmax(neither))
        raise FairpanelInputError(
            ERR_NOT_BOOL.format(value=str(target.iloc[pos])),
            row=pos + 2,
            column=str(target.name),
            hint=BOOL_HINT,
        )
    return "regression", numbers


def build_pipeline(
    numeric: Sequence[str],
    categorical: Sequence[str],
    *,
    model: MLModel,
    task: Task,
    seed: int,
    complexity: float | None = None,
) -> Pipeline:
    """Build the preprocessing + estimator pipeline.

    ``complexity`` overrides the one knob the overspecialization check turns: the inverse
    regularisation ``C`` of a logistic model (``1/alpha`` of a ridge one) or the number of
    boosting iterations.
    """
    num = make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler())
    cat = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    pre = ColumnTransformer(
        [("num", num, list(numeric)), ("cat", cat, list(categorical))],
        verbose_feature_names_out=False,
    )
    estimator: Any
    if model == "logistic":
        strength = 1.0 if complexity is None else complexity
        if task == "classification":
            # A tight tolerance: the coefficients are reported, not just used to rank.
            estimator = LogisticRegression(C=strength, max_iter=5000, tol=1e-8)
        else:
            estimator = Ridge(alpha=1.0 / strength)
    else:
        iterations = 100 if complexity is None else int(complexity)
        kind = (
            HistGradientBoostingClassifier
            if task == "classification"
            else (HistGradientBoostingRegressor)
        )
        estimator = kind(max_iter=iterations, early_stopping=False, random_state=seed)
    return Pipeline([("features", pre), ("model", estimator)])
