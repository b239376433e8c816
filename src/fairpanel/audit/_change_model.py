"""The logistic model across cycles: an effect per cycle, the group, and one interaction.

The change after a process change is the group × period term (a difference in
differences on the log-odds scale), the trend the group × cycle-number term; both are
fitted by Newton–Raphson on grouped binomial cells, vectorized over replicates so that a
simulation of the change test's level fits thousands of data sets in one call. The fit
is the one ``statsmodels.api.GLM(..., family=Binomial())`` makes (tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

from fairpanel.audit._stats import CONFIDENCE

__all__ = [
    "AFTER",
    "BEFORE",
    "NOTE_CYCLE_FIT",
    "NOTE_NO_FIT",
    "change_fit",
    "change_p_values",
    "cycle_order",
    "logistic_fit",
]

BEFORE: Final = "before"
AFTER: Final = "after"
NOTE_NO_FIT = (
    "the fit did not converge (a group selected always or never in some cycles); "
    "no estimate is given"
)
NOTE_CYCLE_FIT = "{attribute}: the model across cycles for {group}: {message}"

_Z: Final[float] = float(stats.norm.ppf(0.5 + CONFIDENCE / 2))


def cycle_order(values: Sequence[object]) -> list[str]:
    """Return the cycles in time order: as numbers when every one is a number, else as text.

    Parameters
    ----------
    values : sequence
        The cycle labels (2019, "2020", "2021-02-15", "Cycle 26").

    Examples
    --------
    >>> cycle_order(["10", "9", "11"])
    ['9', '10', '11']
    """
    labels = sorted({str(v) for v in values})
    numbers = pd.to_numeric(pd.Series(labels), errors="coerce")
    if numbers.notna().all():
        return [labels[i] for i in np.argsort(numbers.to_numpy(), kind="stable")]
    return labels


def logistic_fit(
    x: np.ndarray, k: np.ndarray, n: np.ndarray, *, iterations: int = 50
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit grouped-binomial logistic regressions by Newton–Raphson, many at once.

    The maximum-likelihood fit of ``k ~ Binomial(n, expit(x β))``, the model
    ``statsmodels.api.GLM(..., family=Binomial())`` fits, vectorized over replicates
    that share the design (the change test's simulation fits a thousand in one call).

    Parameters
    ----------
    x : ndarray
        The design, cells × terms.
    k : ndarray
        Selected per cell, one row per replicate (replicates × cells).
    n : ndarray
        Applicants per cell.
    iterations : int, default 50
        Most Newton steps.

    Returns
    -------
    beta, cov, converged : ndarray
        Estimates (replicates × terms), their covariance (inverse information,
        replicates × terms × terms) and whether each fit converged (a separated fit
        does not: its estimates run off to infinity).
    """
    k = np.atleast_2d(np.asarray(k, dtype=np.float64))
    n = np.asarray(n, dtype=np.float64)
    beta = np.zeros((k.shape[0], x.shape[1]))
    converged = np.zeros(k.shape[0], dtype=bool)
    info = np.zeros((k.shape[0], x.shape[1], x.shape[1]))
    for _ in range(iterations):
        mu = expit(beta @ x.T)
        w = n * mu * (1 - mu)
        info = np.einsum("rc,cp,cq->rpq", w, x, x)
        score = (k - n * mu) @ x
        try:
            step = np.linalg.solve(info, score[..., None])[..., 0]
        except np.linalg.LinAlgError:
            break
        beta = beta + step
        converged = np.abs(step).max(axis=1) < 1e-8
        if converged.all():
            break
    mu = expit(beta @ x.T)
    info = np.einsum("rc,cp,cq->rpq", n * mu * (1 - mu), x, x)
    with np.errstate(invalid="ignore", over="ignore"):
        try:
            cov = np.linalg.inv(info)
        except np.linalg.LinAlgError:
            cov = np.full(info.shape, np.nan)
    return beta, cov, converged & np.isfinite(cov).all(axis=(1, 2))


def _design(
    cells: pd.DataFrame, group: str, reference: str, term: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, pd.DataFrame]:
    """Return the model's design for one pair: an effect per cycle, the group, the interaction."""
    pair = cells[cells["group"].isin([group, reference]) & (cells["applicants"] > 0)]
    order = cycle_order(pair["cycle"].tolist())
    rank = np.asarray(pair["cycle"].map({c: i for i, c in enumerate(order)}), dtype=np.float64)
    is_group = np.asarray(pair["group"] == group, dtype=np.float64)
    columns: list[np.ndarray] = [np.ones(len(pair))]
    columns += [np.asarray(pair["cycle"] == c, dtype=np.float64) for c in order[1:]]
    columns.append(is_group)
    if term == "trend":
        columns.append(is_group * (rank - rank.mean()))
    else:
        columns.append(is_group * np.asarray(pair["period"] == AFTER, dtype=np.float64))
    x = np.column_stack(columns)
    n = pair["applicants"].to_numpy(np.float64)
    k = pair["selected"].to_numpy(np.float64)
    return x, k, n, len(order), pair


def change_p_values(
    cells: pd.DataFrame, group: str, reference: str, selected: np.ndarray
) -> np.ndarray:
    """Wald p-values of the change (group × period) for many sets of selected counts.

    Parameters
    ----------
    cells : DataFrame
        ``group, cycle, period, applicants`` of the two groups (the design).
    group, reference : str
        The compared group and its reference.
    selected : ndarray
        Selected counts, replicates × the pair's cells (in ``cells``' order, cells
        with applicants only).

    Returns
    -------
    ndarray
        One p-value per replicate (``nan`` where the fit did not converge).
    """
    x, _, n, _, _ = _design(cells, group, reference, "change")
    beta, cov, ok = logistic_fit(x, selected, n)
    se = np.sqrt(cov[:, -1, -1])
    with np.errstate(invalid="ignore", divide="ignore"):
        p = 2 * stats.norm.sf(np.abs(beta[:, -1]) / se)
    return np.where(ok, p, np.nan)


def change_fit(
    cells: pd.DataFrame, group: str, reference: str, *, term: str
) -> tuple[dict[str, float], list[str]]:
    """Fit the logistic model with an effect per cycle for one group against the reference.

    ``term`` is ``"trend"`` (group × centred cycle number) or ``"change"`` (group ×
    after); returns the term's odds ratio, interval and p-value, and for the change its
    average marginal effect in rate units over the group's applicants after the change,
    with a delta-method interval; and notes about the fit.

    Parameters
    ----------
    cells : DataFrame
        ``group, cycle, period, applicants, selected`` of the two groups.
    group, reference : str
        The compared group and its reference.
    term : {"trend", "change"}
        Which interaction to estimate.
    """
    x, k, n, n_cycles, _ = _design(cells, group, reference, term)
    nan = float("nan")
    out = dict.fromkeys(["odds_ratio", "ci_low", "ci_high", "p_value"], nan)
    out |= dict.fromkeys(["points", "points_low", "points_high"], nan)
    if n_cycles < 2 or not np.abs(x[:, -1]).sum():
        return out, []
    betas, covs, ok = logistic_fit(x, k, n)
    if not ok[0]:
        return out, [
            NOTE_CYCLE_FIT.format(attribute="{attribute}", group=group, message=NOTE_NO_FIT)
        ]
    beta, cov = betas[0], covs[0]
    se = float(np.sqrt(cov[-1, -1]))
    with np.errstate(over="ignore"):
        out |= {
            "odds_ratio": float(np.exp(beta[-1])),
            "ci_low": float(np.exp(beta[-1] - _Z * se)),
            "ci_high": float(np.exp(beta[-1] + _Z * se)),
            "p_value": float(2 * stats.norm.sf(abs(beta[-1]) / se)),
        }
    if term == "change":
        mine = x[:, -1] > 0  # the group's cells after the change
        x1, w = x[mine], n[mine]
        x0 = x1.copy()
        x0[:, -1] = 0.0
        p1, p0 = expit(x1 @ beta), expit(x0 @ beta)
        ame = float(np.sum(w * (p1 - p0)) / w.sum())
        grad = ((w * p1 * (1 - p1)) @ x1 - (w * p0 * (1 - p0)) @ x0) / w.sum()
        ame_se = float(np.sqrt(grad @ cov @ grad))
        out |= {"points": ame, "points_low": ame - _Z * ame_se, "points_high": ame + _Z * ame_se}
    return out, []
