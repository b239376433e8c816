"""REML variance components for incomplete submission × reviewer designs.

The classical two-way ICCs need every reviewer to score every submission. Real panels do
not work that way, so for incomplete designs the variance components of

    score = μ + a_submission + b_reviewer + e

are estimated by restricted maximum likelihood (Patterson & Thompson 1971), with the
submission effects random and the reviewer effects either random (absolute agreement,
ICC(2, ·)) or fixed (consistency, ICC(3, ·)). On a complete design REML reproduces the
ANOVA estimates whenever those are non-negative, so the two paths agree where both apply.

The likelihood is evaluated through sufficient statistics (Z'Z, Z'X, Z'y, …) and the
Woodbury identity, with the submission block (diagonal) eliminated first, so one
evaluation costs O(Σ n_i² + n_r³) for n_i reviews of submission i and n_r reviewers, not
O(N³).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import linalg, optimize
from threadpoolctl import threadpool_limits

__all__ = ["VarianceComponents", "fit_crossed", "two_way_f_test"]

ERR_REML_FAILED = "REML did not converge for the variance components: {message}"

#: log variance ratio below which a component counts as zero (ratio < 1e-8).
_LOG_ZERO = float(np.log(1e-8))


@dataclass(frozen=True)
class VarianceComponents:
    """REML estimates: submission, reviewer (NaN when reviewers are fixed) and residual.

    ``log_ratio_cov`` is the asymptotic covariance of the estimated log variance ratios
    (log σ²_s/σ²_e and, for random reviewers, log σ²_r/σ²_e), the inverse observed
    information of the profiled REML criterion. Rows and columns of a ratio estimated at
    the boundary (zero) are NaN: no Wald interval applies there.
    """

    target: float
    rater: float
    residual: float
    log_ratio_cov: npt.NDArray[np.float64] = field(
        default_factory=lambda: np.full((2, 2), np.nan), compare=False
    )


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


def fit_crossed(
    target: npt.NDArray[np.intp],
    rater: npt.NDArray[np.intp],
    y: npt.NDArray[np.float64],
    *,
    raters_random: bool,
) -> VarianceComponents:
    """Fit the crossed model by REML and return its variance components.

    Parameters
    ----------
    target, rater : array of int
        Codes 0..n-1 of the submission and reviewer of each rating.
    y : array of float
        The ratings.
    raters_random : bool
        ``True``: reviewer effects are random (two-way random model, absolute agreement);
        ``False``: fixed (two-way mixed model, consistency).
    """
    # The matrices here are small (reviewers × reviewers); BLAS threads only add overhead
    # on them, 10–50× on a loaded machine, so the fit runs single-threaded.
    with threadpool_limits(limits=1, user_api="blas"):
        return _fit_crossed(target, rater, y, raters_random=raters_random)


def _fit_crossed(
    target: npt.NDArray[np.intp],
    rater: npt.NDArray[np.intp],
    y: npt.NDArray[np.float64],
    *,
    raters_random: bool,
) -> VarianceComponents:
    n_t = int(target.max()) + 1
    n_r = int(rater.max()) + 1
    n = y.size
    if raters_random:
        x = np.ones((n, 1))
    else:
        # Fixed reviewer means: intercept + treatment contrasts (first reviewer dropped).
        x = np.hstack([np.ones((n, 1)), _dummies(rater, n_r)[:, 1:]])
    p = x.shape[1]
    t_mat = np.hstack([x, y[:, None]])  # T = [X y]
    ttt = t_mat.T @ t_mat
    zt_t = _group_sums(target, n_t, t_mat)  # Zt' T
    zr_t = _group_sums(rater, n_r, t_mat)  # Zr' T
    count_t = np.bincount(target, minlength=n_t).astype(float)
    count_r = np.bincount(rater, minlength=n_r).astype(float)
    # Zr' diag(w) Zr over the submissions' blocks, for any per-submission weights w, is a
    # sum over pairs of ratings of the same submission: list those pairs once.
    pair_sub, pair_cell = _within_pairs(target, rater, n_t, n_r)

    def parts(gamma: npt.NDArray[np.float64]) -> tuple[float, float]:
        # γ = variance ratios σ²/σ²_e. With S = diag(√γ) over the random columns,
        # M = I + S Z'Z S and H⁻¹ = I − Z S M⁻¹ S Z' (Woodbury), |H| = |M|. The
        # submission block of M is diagonal (one submission per rating), so the reviewer
        # block enters through its Schur complement: O(Σ n_i² + n_r³) per evaluation.
        a = 1.0 + gamma[0] * count_t
        g1 = np.sqrt(gamma[0]) * zt_t
        g1a = g1 / a[:, None]
        q = g1.T @ g1a
        logdet_m = float(np.log(a).sum())
        if raters_random:
            # B = √(γ_s γ_r) Zt'Zr; Schur = I + γ_r Zr'Zr − B' A⁻¹ B.
            ztr_a = np.bincount(pair_cell, weights=1.0 / a[pair_sub], minlength=n_r * n_r)
            schur = np.diag(1.0 + gamma[1] * count_r) - gamma[0] * gamma[1] * ztr_a.reshape(
                n_r, n_r
            )
            chol_s = np.linalg.cholesky(schur)
            bt_g1a = np.sqrt(gamma[0] * gamma[1]) * _group_sums(rater, n_r, g1a[target])
            w = linalg.solve_triangular(chol_s, np.sqrt(gamma[1]) * zr_t - bt_g1a, lower=True)
            q += w.T @ w
            logdet_m += 2.0 * float(np.log(np.diag(chol_s)).sum())
        thinv = ttt - q  # T' H⁻¹ T
        chol_x = np.linalg.cholesky(thinv[:p, :p])
        u = linalg.solve_triangular(chol_x, thinv[:p, p], lower=True)
        rss = float(thinv[p, p] - u @ u)
        logdet_x = 2.0 * float(np.log(np.diag(chol_x)).sum())
        return logdet_m + logdet_x, max(rss, 0.0)

    def objective(theta: npt.NDArray[np.float64]) -> float:
        logdets, rss = parts(np.exp(theta))
        # −2 × the REML log-likelihood with σ²_e profiled out (constants dropped).
        return float(logdets + (n - p) * np.log(max(rss, 1e-300) / (n - p)))

    n_blocks = 2 if raters_random else 1
    # Optimise on log-ratios (bounded, so a component at the boundary ends near zero
    # instead of at −∞), from the one-way ANOVA moment estimates and from a neutral point.
    best: optimize.OptimizeResult | None = None
    bounds = [(-25.0, 12.0)] * n_blocks
    moments = np.log([_moment_ratio(target, y), _moment_ratio(rater, y)][:n_blocks])
    for start in (moments, np.zeros(n_blocks)):
        res = optimize.minimize(
            objective,
            start,
            method="L-BFGS-B",
            bounds=bounds,
            options={"ftol": 1e-13, "gtol": 1e-9},
        )
        if best is None or res.fun < best.fun:
            best = res
    if best is not None and np.isfinite(best.fun):
        # L-BFGS-B stops on its finite-difference gradient, which is noisy on this flat
        # likelihood; a derivative-free polish makes the optimum reproducible to ~1e-8.
        polish = optimize.minimize(
            objective,
            best.x,
            method="Nelder-Mead",
            bounds=bounds,
            options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 2000},
        )
        if polish.fun <= best.fun:
            best = polish
    if best is None or not np.isfinite(best.fun):
        raise ArithmeticError(ERR_REML_FAILED.format(message="non-finite likelihood"))
    gamma = np.exp(best.x)
    # Ratios below 1e-8 are zero components (the boundary), not 1e-11 of one: the
    # likelihood is flat there and no Wald interval applies.
    at_zero = best.x <= _LOG_ZERO
    gamma[at_zero] = 0.0
    if not raters_random:
        gamma = np.append(gamma, 0.0)
    _, rss = parts(gamma)
    sigma2 = rss / (n - p)
    # Submission ratio at the upper bound: the residual variance is zero up to rounding
    # (the additive model fits exactly); report it as zero so consistency is exactly 1.
    no_residual = bool(best.x[0] >= bounds[0][1] - 1e-6)
    interior = ~at_zero & (best.x < bounds[0][1] - 1e-6)
    cov = np.full((2, 2), np.nan)
    if interior.any():
        idx = np.flatnonzero(interior)
        hess = _hessian(objective, best.x, idx)
        # The objective is −2 log L, so the observed information is half its Hessian.
        if np.all(np.linalg.eigvalsh(hess) > 0):
            cov[np.ix_(idx, idx)] = 2.0 * np.linalg.inv(hess)
    return VarianceComponents(
        target=float(gamma[0] * sigma2),
        rater=float(gamma[1] * sigma2) if raters_random else float("nan"),
        residual=0.0 if no_residual else float(sigma2),
        log_ratio_cov=cov,
    )


def _within_pairs(
    target: npt.NDArray[np.intp], rater: npt.NDArray[np.intp], n_t: int, n_r: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """All ordered pairs of ratings of the same submission: its code and the rater cell.

    Returns the submission of each pair and ``rater_j * n_r + rater_k``, so that
    ``bincount(cell, weights=w[submission])`` is Zr' Zt diag(w) Zt' Zr, flattened.
    """
    order = np.argsort(target, kind="stable")
    counts = np.bincount(target, minlength=n_t)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    sizes = counts**2
    pair_sub = np.repeat(np.arange(n_t), sizes)
    within = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    first = starts[pair_sub] + within // counts[pair_sub]
    second = starts[pair_sub] + within % counts[pair_sub]
    cell = rater[order][first] * n_r + rater[order][second]
    return pair_sub.astype(np.intp), cell.astype(np.intp)


def _moment_ratio(codes: npt.NDArray[np.intp], y: npt.NDArray[np.float64]) -> float:
    """One-way ANOVA estimate of σ²_group / σ²_within, floored at 1e-3 (a start value)."""
    counts = np.bincount(codes).astype(float)
    n, groups = y.size, counts.size
    if groups < 2 or n <= groups:
        return 1.0
    means = np.bincount(codes, y) / counts
    msb = float((counts * (means - y.mean()) ** 2).sum()) / (groups - 1)
    msw = float(((y - means[codes]) ** 2).sum()) / (n - groups)
    n0 = (n - float((counts**2).sum()) / n) / (groups - 1)
    if msw <= 0:
        return 1.0
    return max((msb - msw) / n0 / msw, 1e-3)


def _hessian(
    f: Callable[[npt.NDArray[np.float64]], float],
    x: npt.NDArray[np.float64],
    idx: npt.NDArray[np.intp],
    h: float = 1e-3,
) -> npt.NDArray[np.float64]:
    """Central-difference Hessian of ``f`` at ``x`` in the coordinates ``idx``."""
    steps = np.eye(x.size)[idx] * h
    out = np.empty((idx.size, idx.size))
    for a, ea in enumerate(steps):
        for b, eb in enumerate(steps[: a + 1]):
            val = (f(x + ea + eb) - f(x + ea - eb) - f(x - ea + eb) + f(x - ea - eb)) / (
                4.0 * h * h
            )
            out[a, b] = out[b, a] = val
    return out


def two_way_f_test(
    target: npt.NDArray[np.intp], rater: npt.NDArray[np.intp], y: npt.NDArray[np.float64]
) -> tuple[float, int, int]:
    """F test of no submission effect, adjusted for reviewer means (Type III, additive model).

    Compares the least-squares fit with reviewer and submission effects to the fit with
    reviewer effects only. Under H0 (σ²_submission = 0) the statistic is exactly F
    distributed in an unbalanced design too; on a complete design it is MSR / MSE.

    Returns
    -------
    f, df1, df2
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _two_way_f_test(target, rater, y)


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
