"""The exact F test of no submission effect in an incomplete submission × reviewer design.

The ICC family reports, beside each estimate, the F test of H0: σ²_submission = 0. On an
incomplete design it is the Type III test of the additive least-squares model (submission
and reviewer effects), adjusted for reviewer means. The variance components themselves
come from the one REML fit of the panel model (:func:`fairpanel.panel.fit_reml`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from fairpanel.panel import Panel

__all__ = ["two_way_f_test"]


def _dummies(codes: npt.NDArray[np.intp], n: int) -> npt.NDArray[np.float64]:
    out = np.zeros((codes.size, n))
    out[np.arange(codes.size), codes] = 1.0
    return out


def _group_sums(
    codes: npt.NDArray[np.intp], n: int, t: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Column sums of ``t`` within each group: Z' T for an indicator matrix Z."""
    out = np.zeros((n, t.shape[1]))
    np.add.at(out, codes, t)
    return out


def two_way_f_test(panel: Panel) -> tuple[float, int, int]:
    """F test of no submission effect, adjusted for reviewer means (Type III, additive model).

    Compares the least-squares fit with reviewer and submission effects to the fit with
    reviewer effects only. Under H0 (σ²_submission = 0) the statistic is exactly F
    distributed in an unbalanced design too; on a complete design it is MSR / MSE.

    Parameters
    ----------
    panel : Panel
        The panel; its values ``y`` are tested.

    Returns
    -------
    f, df1, df2
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _two_way_f_test(panel.sub, panel.rev, panel.y)


def _two_way_f_test(
    target: npt.NDArray[np.intp], rater: npt.NDArray[np.intp], y: npt.NDArray[np.float64]
) -> tuple[float, int, int]:
    n_t = int(target.max()) + 1
    n_r = int(rater.max()) + 1
    count_t = np.bincount(target, minlength=n_t).astype(float)
    count_r = np.bincount(rater, minlength=n_r).astype(float)
    # Reduced model (reviewer means only): the within-reviewer sum of squares.
    rss_reduced = float(((y - (np.bincount(rater, y, n_r) / count_r)[rater]) ** 2).sum())
    # Full model by Frisch–Waugh–Lovell: sweep out submission means from y and from the
    # reviewer indicators, then regress (n_r columns instead of n_t + n_r).
    y_w = y - (np.bincount(target, y, n_t) / count_t)[target]
    d = _dummies(rater, n_r)
    d_w = d - (_group_sums(target, n_t, d) / count_t[:, None])[target]
    coef, _, rank_w, _ = np.linalg.lstsq(d_w, y_w, rcond=None)
    resid = y_w - d_w @ coef
    rss_full = float(resid @ resid)
    if rss_full <= 1e-12 * rss_reduced:  # an exact fit, up to rounding
        rss_full = 0.0
    rank_full = n_t + int(rank_w)
    df1 = rank_full - n_r
    df2 = y.size - rank_full
    if df1 <= 0 or df2 <= 0:
        return float("nan"), df1, df2
    with np.errstate(divide="ignore", invalid="ignore"):
        # numpy scalars: an exact additive fit (no residual) gives F = inf, not an error.
        f = np.float64(max(rss_reduced - rss_full, 0.0) / df1) / np.float64(rss_full / df2)
    return float(f), df1, df2
