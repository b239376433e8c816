"""Intraclass correlations: the Shrout & Fleiss (1979) family, named as McGraw & Wong (1996).

Complete designs (every reviewer scores every submission) get the six classical ANOVA
forms with McGraw & Wong's F-based confidence intervals, exactly as in Shrout & Fleiss
(1979) and ``pingouin.intraclass_corr``. Incomplete designs (each submission scored by its
own subset of reviewers, as in real panels) get

* the one-way forms from the unbalanced one-way ANOVA, with the Snedecor / Searle
  average group size n0 in place of k (estimate, exact F test, approximate CI); and
* the two-way forms from REML variance components of the crossed model (reviewers random
  for absolute agreement, fixed for consistency), with the exact F test of no submission
  effect adjusted for reviewer means. No closed-form interval exists there; the interval
  is a Wald interval on the logit of the ICC, which is a function of the REML log
  variance ratios only, with their covariance from the observed information of the
  profiled REML criterion (delta method). It is asymptotic: NaN when the submission
  component is estimated at zero, where no Wald interval applies; a reviewer component
  estimated at zero is held at zero.

Average-measure forms on incomplete designs refer to k = the harmonic mean of the number
of reviews per submission: the mean error variance of a submission's average is σ²/k_h.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special, stats

from fairpanel._errors import FairpanelInputError
from fairpanel.panel import Panel, as_panel, fit_reml
from fairpanel.reliability._ftest import two_way_f_test
from fairpanel.rubric import Rubric

__all__ = ["ICC_COLUMNS", "icc", "icc_from_panel"]

#: Columns of the frame :func:`icc` returns (pingouin-like, plus the design it used).
ICC_COLUMNS: Final[tuple[str, ...]] = (
    "type",
    "mcgraw_wong",
    "description",
    "icc",
    "f",
    "df1",
    "df2",
    "p_value",
    "ci_low",
    "ci_high",
    "k",
    "method",
)

TYPES: Final[tuple[str, ...]] = (
    "ICC(1,1)",
    "ICC(2,1)",
    "ICC(3,1)",
    "ICC(1,k)",
    "ICC(2,k)",
    "ICC(3,k)",
)
MCGRAW_WONG: Final[tuple[str, ...]] = (
    "ICC(1)",
    "ICC(A,1)",
    "ICC(C,1)",
    "ICC(k)",
    "ICC(A,k)",
    "ICC(C,k)",
)
DESCRIPTIONS: Final[tuple[str, ...]] = (
    "one-way random, single measures",
    "two-way random, absolute agreement, single measures",
    "two-way mixed, consistency, single measures",
    "one-way random, average measures",
    "two-way random, absolute agreement, average measures",
    "two-way mixed, consistency, average measures",
)

ERR_CONFIDENCE = "confidence must be strictly between 0 and 1, got {confidence!r}"
ERR_NO_REPLICATION = (
    "no submission has two or more reviews, so agreement between reviewers cannot be measured"
)
ERR_TOO_FEW_TARGETS = "at least two submissions with scores are needed, got {n}"
ERR_NOT_CROSSED = (
    "no reviewer scored two or more submissions, so reviewer effects cannot be separated "
    "from submission effects; only the one-way ICC applies"
)


def icc(
    reviews: Any,
    *,
    rubric: Rubric | None = None,
    criterion: str | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Intraclass correlations of reviewers' scores, all six Shrout & Fleiss forms.

    Parameters
    ----------
    reviews : DataFrame or array_like
        The canonical long reviews table (``submission_id``, ``reviewer_id``, ``score``,
        optionally ``criterion``), or a wide matrix: one row per submission (target), one
        column per reviewer (rater), NaN where a reviewer did not score a submission.
    rubric : Rubric, optional
        Needed when reviews score several criteria: the ICC is then computed on each
        review's weighted total (:meth:`Rubric.totals`).
    criterion : str, optional
        Compute on this criterion's scores only.
    confidence : float, default 0.95
        Level of the confidence intervals.

    Returns
    -------
    DataFrame
        One row per form with columns :data:`ICC_COLUMNS`: ``type`` (Shrout & Fleiss
        name), ``mcgraw_wong`` (McGraw & Wong name), ``description``, ``icc``, the F test
        of no submission effect (``f``, ``df1``, ``df2``, ``p_value``), the interval
        (``ci_low``, ``ci_high``), ``k`` (number of reviews the average-measure forms refer
        to) and ``method`` (``anova``, ``anova-unbalanced`` or ``reml``).

    Raises
    ------
    FairpanelInputError
        If no submission has two reviews, or fewer than two submissions have scores.

    Examples
    --------
    Shrout & Fleiss (1979), Table 2: six targets rated by four judges.

    >>> import numpy as np
    >>> sf = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...                [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
    >>> icc(sf)[["type", "icc"]].round(2).to_numpy().tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['ICC(1,1)', 0.17], ['ICC(2,1)', 0.29], ['ICC(3,1)', 0.71],
     ['ICC(1,k)', 0.44], ['ICC(2,k)', 0.62], ['ICC(3,k)', 0.91]]
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(ERR_CONFIDENCE.format(confidence=confidence))
    return icc_from_panel(
        as_panel(reviews, rubric=rubric, criterion=criterion), confidence=confidence
    )


def icc_from_panel(panel: Panel, *, confidence: float = 0.95) -> pd.DataFrame:
    """Compute :func:`icc` on a panel already built (:mod:`fairpanel.panel`).

    Parameters
    ----------
    panel : Panel
        The panel; the ICCs are computed on its ``raw_total`` (one number per review).
    confidence : float, default 0.95
        Level of the confidence intervals.
    """
    if panel.n_sub < 2:
        raise FairpanelInputError(ERR_TOO_FEW_TARGETS.format(n=panel.n_sub))
    counts = panel.reviews_per_submission
    if counts.max() < 2:
        raise FairpanelInputError(ERR_NO_REPLICATION)
    if panel.complete:
        rows = _complete(panel.wide(), 1.0 - confidence)
    else:
        rows = _incomplete(panel, counts, 1.0 - confidence)
    frame = pd.DataFrame(rows)
    frame.insert(0, "description", list(DESCRIPTIONS))
    frame.insert(0, "mcgraw_wong", list(MCGRAW_WONG))
    frame.insert(0, "type", list(TYPES))
    return frame.loc[:, list(ICC_COLUMNS)]


def _row(
    icc: float,
    f: float,
    df1: float,
    df2: float,
    ci: tuple[float, float],
    k: float,
    method: str,
) -> dict[str, Any]:
    p = float("nan") if np.isnan(f) else float(stats.f.sf(f, df1, df2))
    return {
        "icc": float(icc),
        "f": float(f),
        "df1": float(df1),
        "df2": float(df2),
        "p_value": p,
        "ci_low": float(ci[0]),
        "ci_high": float(ci[1]),
        "k": float(k),
        "method": method,
    }


def _one_way_ci(f: float, df1: float, df2: float, k: float, a: float) -> tuple[float, float]:
    # Shrout & Fleiss (1979) eq. for case 1; McGraw & Wong (1996) Table 7, case 1.
    if np.isposinf(f):  # no error variance: both limits tend to 1
        return 1.0, 1.0
    fl = f / stats.f.ppf(1 - a / 2, df1, df2)
    fu = f * stats.f.ppf(1 - a / 2, df2, df1)
    return (fl - 1) / (fl + k - 1), (fu - 1) / (fu + k - 1)


def _spearman_brown(r: float, k: float) -> float:
    return k * r / (1 + (k - 1) * r)


def _complete(y: npt.NDArray[np.float64], a: float) -> list[dict[str, Any]]:
    """Compute the six ANOVA forms on a complete n × k matrix (Shrout & Fleiss 1979, Table 1)."""
    n, k = y.shape
    grand = y.mean()
    ss_total = float(((y - grand) ** 2).sum())
    ss_rows = k * float(((y.mean(axis=1) - grand) ** 2).sum())
    ss_cols = n * float(((y.mean(axis=0) - grand) ** 2).sum())
    df_r, df_c, df_w, df_e = n - 1, k - 1, n * (k - 1), (n - 1) * (k - 1)
    # numpy scalars, so that perfect agreement (a zero mean square) gives inf, not an error.
    msr = np.float64(ss_rows / df_r)  # BMS: between targets
    msw = np.float64(max(ss_total - ss_rows, 0.0) / df_w)  # WMS: within targets (one-way)
    msc = np.float64(ss_cols / df_c)  # JMS: between judges
    mse = np.float64(max(ss_total - ss_rows - ss_cols, 0.0) / df_e)  # EMS: residual

    with np.errstate(divide="ignore", invalid="ignore"):
        icc1 = (msr - msw) / (msr + (k - 1) * msw)
        icc2 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
        icc3 = (msr - mse) / (msr + (k - 1) * mse)
        f1 = msr / msw
        f3 = msr / mse

        ci1 = _one_way_ci(f1, df_r, df_w, k, a)
        ci3 = _one_way_ci(f3, df_r, df_e, k, a)
        ci2 = _agreement_ci(icc2, msr, msc, mse, n, k, a)
        ci1k = (
            1 - 1 / (f1 / stats.f.ppf(1 - a / 2, df_r, df_w)),
            1 - 1 / (f1 * stats.f.ppf(1 - a / 2, df_w, df_r)),
        )
        ci3k = (
            1 - 1 / (f3 / stats.f.ppf(1 - a / 2, df_r, df_e)),
            1 - 1 / (f3 * stats.f.ppf(1 - a / 2, df_e, df_r)),
        )
        ci2k = (_spearman_brown(ci2[0], k), _spearman_brown(ci2[1], k))
        icc1k = (msr - msw) / msr
        icc2k = (msr - mse) / (msr + (msc - mse) / n)
        icc3k = (msr - mse) / msr
    m = "anova"
    return [
        _row(icc1, f1, df_r, df_w, ci1, 1, m),
        _row(icc2, f3, df_r, df_e, ci2, 1, m),
        _row(icc3, f3, df_r, df_e, ci3, 1, m),
        _row(icc1k, f1, df_r, df_w, ci1k, k, m),
        _row(icc2k, f3, df_r, df_e, ci2k, k, m),
        _row(icc3k, f3, df_r, df_e, ci3k, k, m),
    ]


def _agreement_ci(
    icc2: float, msr: float, msc: float, mse: float, n: int, k: int, a: float
) -> tuple[float, float]:
    """McGraw & Wong (1996) Table 7, case 2A: Satterthwaite df for ICC(A,1)."""
    if mse == 0 and msc == 0:  # every review identical up to the submission: limits → 1
        return 1.0, 1.0
    fj = msc / mse
    vn = (n - 1) * (k - 1) * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    vd = (n - 1) * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v = vn / vd
    fu = stats.f.ppf(1 - a / 2, n - 1, v)
    fl = stats.f.ppf(1 - a / 2, v, n - 1)
    low = n * (msr - fu * mse) / (fu * (k * msc + (k * n - k - n) * mse) + n * msr)
    high = n * (fl * msr - mse) / (k * msc + (k * n - k - n) * mse + n * fl * msr)
    return float(low), float(high)


def _incomplete(panel: Panel, counts: npt.NDArray[np.int64], a: float) -> list[dict[str, Any]]:
    t, y = panel.sub, panel.raw_total
    n_total, n_t = y.size, panel.n_sub
    # Unbalanced one-way ANOVA (Snedecor & Cochran; Searle 1971, §3.6).
    means = np.bincount(t, weights=y, minlength=n_t) / counts
    ss_between = float((counts * (means - y.mean()) ** 2).sum())
    ss_within = float(((y - means[t]) ** 2).sum())
    df_b, df_w = n_t - 1, n_total - n_t
    msb, msw = np.float64(ss_between / df_b), np.float64(ss_within / df_w)
    n0 = (n_total - float((counts**2).sum()) / n_total) / df_b
    k_h = float(n_t / (1.0 / counts).sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = msb / msw
        icc1 = (msb - msw) / (msb + (n0 - 1) * msw)
        # The balanced interval with n0 for k: Searle's approximation, adequate unless the
        # design is very unbalanced (Donner 1986).
        ci1 = _one_way_ci(f1, df_b, df_w, n0, a)
    icc1k = _spearman_brown(icc1, k_h)
    ci1k = (_spearman_brown(ci1[0], k_h), _spearman_brown(ci1[1], k_h))
    one = "anova-unbalanced"
    rows_one = (
        _row(icc1, f1, df_b, df_w, ci1, 1, one),
        _row(icc1k, f1, df_b, df_w, ci1k, k_h, one),
    )

    if panel.reviews_per_reviewer.max() < 2:
        raise FairpanelInputError(ERR_NOT_CROSSED)
    f2, d1, d2 = two_way_f_test(panel)
    rand = fit_reml(panel, reviewers_random=True)
    mixed = fit_reml(panel, reviewers_random=False)
    # numpy scalars: scores that are all equal (every component zero) give NaN, as the
    # complete design's ANOVA does, not a ZeroDivisionError.
    s_r, r_r, e_r = (np.float64(v) for v in (rand.submission, rand.reviewer, rand.residual))
    s_m, e_m = np.float64(mixed.submission), np.float64(mixed.residual)
    with np.errstate(divide="ignore", invalid="ignore"):
        icc2 = s_r / (s_r + r_r + e_r)
        icc3 = s_m / (s_m + e_m)
        icc2k = s_r / (s_r + (r_r + e_r) / k_h)
        icc3k = s_m / (s_m + e_m / k_h)
    # Wald intervals on the logit of each ICC, which is a function of the REML log
    # variance ratios θ_s = log σ²_s/σ²_e, θ_r = log σ²_r/σ²_e only:
    #   logit ICC(C,k) = θ_s + log k,  logit ICC(A,k) = θ_s + log k − log(1 + e^θ_r).
    gamma_r = rand.reviewer / rand.residual if rand.residual > 0 else float("nan")
    grad_a = np.array([1.0, -gamma_r / (1.0 + gamma_r)])
    grad_c = np.array([1.0, 0.0])
    ci2 = _logit_ci(icc2, grad_a, rand.log_ratio_cov, 1.0, a)
    ci3 = _logit_ci(icc3, grad_c, mixed.log_ratio_cov, 1.0, a)
    ci2k = _logit_ci(icc2, grad_a, rand.log_ratio_cov, k_h, a)
    ci3k = _logit_ci(icc3, grad_c, mixed.log_ratio_cov, k_h, a)
    return [
        rows_one[0],
        _row(icc2, f2, d1, d2, ci2, 1.0, "reml"),
        _row(icc3, f2, d1, d2, ci3, 1.0, "reml"),
        rows_one[1],
        _row(icc2k, f2, d1, d2, ci2k, k_h, "reml"),
        _row(icc3k, f2, d1, d2, ci3k, k_h, "reml"),
    ]


def _logit_ci(
    icc_single: float,
    grad: npt.NDArray[np.float64],
    cov: npt.NDArray[np.float64],
    k: float,
    a: float,
) -> tuple[float, float]:
    """Wald interval for ICC(·,k) on the logit scale by the delta method.

    ``icc_single`` is the single-measure ICC, ``grad`` the gradient of its logit in the
    log variance ratios, ``cov`` their covariance. Spearman–Brown to k adds log k to the
    logit, so one gradient serves both. A ratio at the boundary (covariance NaN) with a
    zero gradient drops out; any other NaN leaves the interval undefined.
    """
    if not 0.0 < icc_single < 1.0:
        return float("nan"), float("nan")
    used = grad != 0.0
    var = float(grad[used] @ cov[np.ix_(used, used)] @ grad[used])
    if not np.isfinite(var) or var < 0:
        return float("nan"), float("nan")
    centre = np.log(icc_single / (1.0 - icc_single)) + np.log(k)
    half = float(stats.norm.ppf(1.0 - a / 2.0)) * np.sqrt(var)
    low, high = special.expit([centre - half, centre + half])
    return float(low), float(high)
