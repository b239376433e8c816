"""Did the ML cheat, and what stands in for a group: checks of what features reveal.

Proxies (features that reveal a group attribute), results too good to be true, and
leakage (a feature recorded after the decision).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from fairpanel.ml._evaluate import (
    auc,
    categorical_discrimination,
    cv_discrimination,
    single_feature_discrimination,
)
from fairpanel.ml._features import Task
from fairpanel.ml._findings import Finding, Severity
from fairpanel.ml._model import SelectionModel

__all__ = [
    "LEAK_AUC",
    "LEAK_R2",
    "PROXY_CRITICAL_AUC",
    "PROXY_WARNING_AUC",
    "TOO_GOOD_AUC",
    "TOO_GOOD_R2",
    "leakage_finding",
    "proxy_finding",
    "too_good_finding",
]

#: Hosmer & Lemeshow (2000, Applied Logistic Regression, 2nd ed., §5.2.4): AUC 0.7–0.8 is
#: "acceptable" discrimination, ≥ 0.8 "excellent" — a feature that tells groups apart
#: that well carries the group into the model.
PROXY_WARNING_AUC: Final = 0.7
PROXY_CRITICAL_AUC: Final = 0.8
#: Panels disagree on about half their selections (NeurIPS 2014): past decisions are noisy,
#: so predicting them almost perfectly means the model sees something the panel lacked.
TOO_GOOD_AUC: Final = 0.97
TOO_GOOD_R2: Final = 0.94  # ≈ a correlation of 0.97 with a past score
#: A single feature this predictive of the decision was very likely recorded after it.
LEAK_AUC: Final = 0.97
LEAK_R2: Final = 0.94  # squared rank correlation with a past score (|rho| ≈ 0.97)

_AUC_WORDS = "(50% would be a coin toss, 100% always right)"
_COIN = "50% would be a coin toss"


def _names(items: Sequence[str]) -> str:
    quoted = [f"'{i}'" for i in items]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _the_features(items: Sequence[str]) -> str:
    return f"The feature{'s' if len(items) > 1 else ''} {_names(items)}"


def _single(
    X: pd.DataFrame, y: np.ndarray, features: Sequence[str], *, task: Task, seed: int
) -> dict[str, float]:
    """Score each feature alone.

    Closed form for numbers, cross-validated category means for categories.
    """
    out = {}
    for f in features:
        if pd.api.types.is_float_dtype(X[f]):
            out[f] = single_feature_discrimination(X[f].to_numpy(), y, task=task)
        else:
            out[f] = categorical_discrimination(X[f].to_numpy(), y, task=task, seed=seed)
    return out


def proxy_finding(
    X: pd.DataFrame,
    group: pd.Series,
    attr: str,
    features: Sequence[str],
    seed: int,
    details: list[dict[str, Any]],
) -> Finding:
    """Cross-validated AUC of each feature alone, and all together, for the group."""
    known = group.notna().to_numpy()
    labels = group[known].astype(str).to_numpy()
    Xk = X.loc[known]
    single = _single(Xk, labels, features, task="classification", seed=seed)
    together = cv_discrimination(Xk, labels, list(features), task="classification", seed=seed)
    for f, value in single.items():
        details.append(
            {"check": "proxy", "subject": attr, "item": f, "statistic": "auc", "value": value}
        )
    details.append(
        {
            "check": "proxy",
            "subject": attr,
            "item": "(all features)",
            "statistic": "auc",
            "value": together,
        }
    )
    if np.isnan(together):
        return Finding(
            "proxy",
            "ok",
            together,
            f"Too few applicants in some {attr} group to test for proxies.",
            attr,
        )
    proxies = sorted(
        (f for f, v in single.items() if v >= PROXY_WARNING_AUC), key=lambda f: -single[f]
    )
    worst = max([together, *(v for v in single.values() if not np.isnan(v))])
    severity: Severity = (
        "critical"
        if worst >= PROXY_CRITICAL_AUC
        else "warning"
        if worst >= PROXY_WARNING_AUC
        else "ok"
    )
    if proxies:
        text = (
            f"{_the_features(proxies)} stand{'s' if len(proxies) == 1 else ''} in for "
            f"{attr}: "
            f"shown two applicants of different {attr}, {_names(proxies[:1])} alone "
            f"tells which is which {single[proxies[0]]:.0%} of the time {_AUC_WORDS}, "
            f"so leaving {attr} out of the features does not keep it out of the model."
        )
    elif severity != "ok":
        text = (
            f"No single feature reveals {attr}, but together the features tell it "
            f"{together:.0%} of the time {_AUC_WORDS}, so leaving {attr} out of the "
            "features does not keep it out of the model."
        )
    else:
        text = (
            f"The features do not stand in for {attr}: together they tell applicants' "
            f"{attr} apart only {together:.0%} of the time {_AUC_WORDS}."
        )
    return Finding("proxy", severity, together, text, attr)


def too_good_finding(
    fitted: SelectionModel, y: np.ndarray, held_out: np.ndarray, details: list[dict[str, Any]]
) -> Finding:
    if fitted.task_ == "classification":
        value, limit = auc(y, held_out), TOO_GOOD_AUC
        what = (
            f"ranks a selected submission above a rejected one {value:.0%} of the time "
            "in past cycles it never saw"
        )
    else:
        value = float(1 - np.sum((y - held_out) ** 2) / np.sum((y - y.mean()) ** 2))
        limit = TOO_GOOD_R2
        what = f"explains {value:.0%} of the differences between past scores it never saw"
    details.append(
        {
            "check": "too_good",
            "subject": "",
            "item": "(model)",
            "statistic": "held_out_auc" if fitted.task_ == "classification" else "held_out_r2",
            "value": value,
        }
    )
    if value >= limit:
        return Finding(
            "too_good",
            "critical",
            value,
            f"Too good to be true: the model {what}, yet panels disagree on about "
            "half their choices — it probably sees something recorded after the "
            "decision or a tag of it.",
        )
    return Finding(
        "too_good", "ok", value, f"The model {what}: good, but not suspiciously close to perfect."
    )


def leakage_finding(
    fitted: SelectionModel,
    X: pd.DataFrame,
    y: np.ndarray,
    post_decision: Sequence[str],
    seed: int,
    details: list[dict[str, Any]],
) -> Finding:
    features = fitted.feature_names_
    single = _single(X, y, features, task=fitted.task_, seed=seed)
    limit = LEAK_AUC if fitted.task_ == "classification" else LEAK_R2
    for f, value in single.items():
        details.append(
            {
                "check": "leakage",
                "subject": "",
                "item": f,
                "statistic": "auc" if fitted.task_ == "classification" else "r2",
                "value": value,
            }
        )
    named = [f for f in features if f in set(post_decision)]
    near = sorted((f for f, v in single.items() if v >= limit), key=lambda f: -single[f])
    value = max((v for v in single.values() if not np.isnan(v)), default=float("nan"))
    if named:
        return Finding(
            "leakage",
            "critical",
            value,
            f"The model uses {_names(named)}, recorded after the decision: it "
            "would be reading the answer, so remove "
            f"{'it' if len(named) == 1 else 'them'} from the features.",
        )
    if near:
        return Finding(
            "leakage",
            "critical",
            value,
            f"{_the_features(near[:1])} alone predicts the past decision almost "
            "perfectly "
            f"(it tells a selected from a rejected submission {single[near[0]]:.0%} of the "
            f"time; {_COIN}): such a column is usually "
            "recorded after the decision (hours used, money awarded) and must not "
            "be a feature.",
        )
    return Finding(
        "leakage",
        "ok",
        value,
        "No feature alone predicts the past decision almost perfectly, and none is "
        "listed as recorded after the decision.",
    )
