"""REML variance components of the crossed submission × reviewer model: the one fit.

Every review's number ``y`` (its rubric total) is modelled as

    y = Xβ + Z_s u_s + Z_r u_r + e,   u_s ~ N(0, γ_s σ²),  u_r ~ N(0, γ_r σ²),  e ~ N(0, σ²)

with submission effects ``u_s`` random, reviewer effects ``u_r`` random (``X`` = the
overall mean: the two-way random model of ICC(A, ·) and the empirical-Bayes scorer,
lme4's ``y ~ 1 + (1 | submission) + (1 | reviewer)``) or fixed (``X`` = one mean per
reviewer: the two-way mixed model of ICC(C, ·)). The variance components are estimated
by restricted maximum likelihood (Patterson & Thompson 1971) with σ² profiled out, on the
log variance ratios θ = log γ. On a complete design REML reproduces the ANOVA estimates
whenever those are non-negative.

One evaluation solves Henderson's mixed-model equations in the scaled form
``C̃ = W'W + diag(I, I, 0)``, ``W = [Z_s √γ_s, Z_r √γ_r, X]``. The submission block of
``C̃`` is diagonal (one submission per review), so it is eliminated first and only a
(reviewers + p)-square Schur complement is factorised: O(Σ n_i² + n_r³) for n_i reviews
of submission i, never O(N³). The same solution gives the criterion

    −2 l_R = log|C̃| + (N − p) log(y'Py / (N − p)),
    y'Py  = ‖y − Xβ̂ − Z_s √γ_s v̂_s − Z_r √γ_r v̂_r‖² + ‖v̂‖²   (no cancellation),

and its exact gradient, ``∂/∂θ_k = q_k − tr(C̃⁻¹)_kk − (N − p)‖v̂_k‖² / y'Py`` (the
standard identity ``Z_k'PZ_k = G⁻¹ − G⁻¹C^{kk}G⁻¹`` on the scaled equations), so the
optimiser needs no finite differences. A panel of more than ``DENSE_REVIEWERS``
reviewers (distributed review) is fitted without a factor (:mod:`fairpanel.panel._sparse`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import linalg, optimize
from threadpoolctl import threadpool_limits

from fairpanel.panel._panel import Panel
from fairpanel.panel._sparse import ConvergenceError, fit_sparse

__all__ = ["VarianceComponents", "fit_reml"]

ERR_REML_FAILED = "REML did not converge for the variance components: {message}"
MESSAGE_SPARSE = "converged (conjugate gradients, stochastic traces)"
#: Above this many (random) reviewers the fit runs on sparse operators, O(reviews) per
#: step (:mod:`fairpanel.panel._sparse`), not on a dense O(reviewers³) factor.
DENSE_REVIEWERS: Final = 300
MESSAGE_CONSTANT = "every value is the same: every variance component is zero"

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: Bounds of the log variance ratios: a ratio of e^-25 is a zero component, one of e^12
#: a residual variance that is zero up to rounding.
_BOUNDS: Final = (-25.0, 12.0)
#: log variance ratio below which a component counts as zero (ratio < 1e-8).
_LOG_ZERO: Final = float(np.log(1e-8))
#: A ratio below e^-9 (1e-4) whose gradient still points down is tried at the bound:
#: the criterion is exponentially flat there, so a quasi-Newton method crawls.
_LOG_SNAP: Final = -9.0
_OPTIONS: Final = {"ftol": 1e-14, "gtol": 1e-9, "maxiter": 500}
#: A run whose line search stops (rounding makes no further decrease possible) with every
#: gradient component below this has found the optimum: ‖∇(−2 l_R)‖ of 1e-6 moves the
#: log-ratios by about 1e-7 of their standard error.
_GRAD_CONVERGED: Final = 1e-6
MESSAGE_ROUNDING = "converged: the line search stopped at rounding precision"


@dataclass(frozen=True)
class VarianceComponents:
    """REML estimates: submission, reviewer (NaN when reviewers are fixed) and residual.

    ``log_ratio_cov`` is the asymptotic covariance of the estimated log variance ratios
    (log σ²_s/σ²_e and, for random reviewers, log σ²_r/σ²_e), the inverse observed
    information of the profiled REML criterion. Rows and columns of a ratio estimated at
    the boundary (zero) are NaN: no Wald interval applies there. It is all NaN when the
    fit was asked for no information. ``converged`` and ``message`` report the optimiser.
    """

    submission: float
    reviewer: float
    residual: float
    log_ratio_cov: FloatArray = field(
        default_factory=lambda: np.full((2, 2), np.nan), compare=False
    )
    converged: bool = True
    message: str = "converged"


def fit_reml(
    panel: Panel, *, reviewers_random: bool = True, information: bool = True
) -> VarianceComponents:
    """Fit the crossed model to ``panel.y`` by REML and return its variance components.

    Parameters
    ----------
    panel : Panel
        The panel (:func:`fairpanel.panel.from_reviews`); its oriented values ``y`` are
        fitted (the components do not depend on the scale's direction).
    reviewers_random : bool, default True
        ``True``: reviewer effects are random (two-way random model, absolute agreement,
        the empirical-Bayes scorer); ``False``: fixed (two-way mixed model, consistency).
    information : bool, default True
        Also compute ``log_ratio_cov`` (a few more evaluations of the criterion).

    Returns
    -------
    VarianceComponents

    Examples
    --------
    >>> import numpy as np
    >>> from fairpanel.panel import from_codes
    >>> rng = np.random.default_rng(0)
    >>> sub = np.repeat(np.arange(40), 3)
    >>> rev = (3 * sub + np.tile(np.arange(3), 40)) % 8  # three distinct reviewers each
    >>> y = rng.normal(0, 1, 40)[sub] + rng.normal(0, 0.5, 8)[rev] + rng.normal(0, 1, 120)
    >>> vc = fit_reml(from_codes(sub, rev, y))
    >>> vc.converged, vc.submission > 0, vc.residual > 0
    (True, True, True)
    """
    # Small matrices: BLAS threads only add overhead (10–50× on a loaded machine).
    with threadpool_limits(limits=1, user_api="blas"):
        if reviewers_random and panel.n_rev > DENSE_REVIEWERS and np.ptp(panel.y) > 0:
            try:
                return _fit_sparse(panel, information=information)
            except ConvergenceError:
                pass  # a component at zero, or no convergence: the exact fit decides
        return _fit(panel, reviewers_random=reviewers_random, information=information)


def _fit_sparse(panel: Panel, *, information: bool) -> VarianceComponents:
    """Fit a large panel (:mod:`fairpanel.panel._sparse`): the root of the score."""
    theta, sigma2, cov = fit_sparse(panel, information=information)
    gamma = np.exp(theta)
    return VarianceComponents(
        submission=float(gamma[0] * sigma2),
        reviewer=float(gamma[1] * sigma2),
        residual=float(sigma2),
        log_ratio_cov=cov,
        message=MESSAGE_SPARSE,
    )


class _Equations:
    """Sufficient statistics of one panel, and the criterion at any variance ratios."""

    def __init__(self, panel: Panel, *, reviewers_random: bool) -> None:
        sub, rev, y = panel.sub, panel.rev, panel.y
        self.sub, self.rev, self.y = sub, rev, y
        self.random = reviewers_random
        n_t, n_r = panel.n_sub, panel.n_rev
        self.n_t, self.n_r = n_t, n_r
        self.n_i = np.bincount(sub, minlength=n_t).astype(float)
        m_j = np.bincount(rev, minlength=n_r).astype(float)
        self.g_s = np.bincount(sub, weights=y, minlength=n_t)  # Z_s'y
        g_r = np.bincount(rev, weights=y, minlength=n_r)  # Z_r'y
        # T = [Z_r, 1] (random reviewers: X = 1) or T = Z_r (fixed: X = reviewer means,
        # the same column space as intercept + contrasts, so the same REML estimates).
        self.size = n_r + 1 if reviewers_random else n_r
        self.p = 1 if reviewers_random else n_r
        self.ttt = np.diag(np.append(m_j, float(y.size)) if reviewers_random else m_j)
        if reviewers_random:
            self.ttt[:n_r, n_r] = self.ttt[n_r, :n_r] = m_j
        self.g_t = np.append(g_r, y.sum()) if reviewers_random else g_r
        self.pair_sub, self.pair_cell = _within_pairs(sub, rev, n_t, n_r)

    def _kwk(self, w: FloatArray) -> FloatArray:
        """K diag(w) K' for K = T'Z_s: sums over pairs of reviews of one submission."""
        n_r = self.n_r
        nn = np.bincount(self.pair_cell, weights=w[self.pair_sub], minlength=n_r * n_r)
        if not self.random:
            square: FloatArray = nn.reshape(n_r, n_r).astype(float, copy=False)
            return square
        out = np.empty((n_r + 1, n_r + 1))
        out[:n_r, :n_r] = nn.reshape(n_r, n_r)
        out[:n_r, n_r] = out[n_r, :n_r] = self._k(w * self.n_i)
        out[n_r, n_r] = float((w * self.n_i) @ self.n_i)
        return out

    def _k(self, v: FloatArray) -> FloatArray:
        """Z_r'Z_s v (reviewer sums of a per-submission vector)."""
        return np.bincount(self.rev, weights=v[self.sub], minlength=self.n_r).astype(
            float, copy=False
        )

    def evaluate(self, theta: FloatArray, *, gradient: bool) -> tuple[float, FloatArray, float]:
        """Return −2 l_R (constants dropped), its gradient in θ (zeros if not asked), y'Py."""
        n_r, p, n = self.n_r, self.p, self.y.size
        gamma_s = float(np.exp(theta[0]))
        gamma_r = float(np.exp(theta[1])) if self.random else 0.0
        a = 1.0 + gamma_s * self.n_i
        w1 = 1.0 / a
        # D = diag(√γ_r on the reviewer columns, 1 on the fixed ones).
        d = np.ones(self.size)
        if self.random:
            d[:n_r] = np.sqrt(gamma_r)
        schur = d[:, None] * (self.ttt - gamma_s * self._kwk(w1)) * d[None, :]
        if self.random:
            schur[np.arange(n_r), np.arange(n_r)] += 1.0
        try:
            chol = linalg.cholesky(schur, lower=True, check_finite=False)
        except linalg.LinAlgError:
            return float("inf"), np.zeros(2), float("nan")
        rhs = d * (self.g_t - gamma_s * self._kt(self.g_s * w1))
        x = linalg.cho_solve((chol, True), rhs, check_finite=False)
        coef = d * x  # coefficients of the T columns: √γ_r v_r (and β), or β
        v_s = np.sqrt(gamma_s) * (self.g_s - self._kt_transpose(coef)) * w1
        fitted = coef[self.rev] + np.sqrt(gamma_s) * v_s[self.sub]
        if self.random:
            fitted += coef[n_r]
        resid = self.y - fitted
        pen_r = float(x[:n_r] @ x[:n_r]) if self.random else 0.0
        rss = float(resid @ resid) + float(v_s @ v_s) + pen_r
        logdet = float(np.log(a).sum()) + 2.0 * float(np.log(np.diag(chol)).sum())
        value = logdet + (n - p) * np.log(max(rss, 1e-300) / (n - p))
        grad = np.zeros(2)
        if gradient and rss > 0:
            inv = linalg.cho_solve((chol, True), np.eye(self.size), check_finite=False)
            m2 = d[:, None] * self._kwk(w1 * w1) * d[None, :]
            tr_s = float(w1.sum()) + gamma_s * float((inv * m2).sum())
            grad[0] = self.n_t - tr_s - (n - p) * float(v_s @ v_s) / rss
            if self.random:
                grad[1] = n_r - float(np.trace(inv[:n_r, :n_r])) - (n - p) * pen_r / rss
        return float(value), grad, rss

    def _kt(self, v: FloatArray) -> FloatArray:
        """K v = T'Z_s v for a per-submission vector v."""
        out = self._k(v)
        return np.append(out, float(v @ self.n_i)) if self.random else out

    def _kt_transpose(self, c: FloatArray) -> FloatArray:
        """K'c = Z_s'T c: the sum over each submission's reviews of T c."""
        per_review = c[self.rev] + (c[self.n_r] if self.random else 0.0)
        return np.bincount(self.sub, weights=per_review, minlength=self.n_t).astype(
            float, copy=False
        )


def _fit(panel: Panel, *, reviewers_random: bool, information: bool) -> VarianceComponents:
    y = panel.y
    if np.ptp(y) == 0.0:
        # No variation at all: every component is zero (the criterion has no optimum).
        rev = 0.0 if reviewers_random else float("nan")
        return VarianceComponents(0.0, rev, 0.0, message=MESSAGE_CONSTANT)
    eq = _Equations(panel, reviewers_random=reviewers_random)
    n_blocks = 2 if reviewers_random else 1

    def fun(theta: FloatArray) -> tuple[float, FloatArray]:
        value, grad, _ = eq.evaluate(_full(theta), gradient=True)
        return value, grad[:n_blocks]

    def objective(theta: FloatArray) -> float:
        return eq.evaluate(_full(theta), gradient=False)[0]

    bounds = [_BOUNDS] * n_blocks
    # From the one-way ANOVA moment estimates and from a neutral point: the criterion may
    # have a local optimum at a boundary.
    moments = np.log([_moment_ratio(panel.sub, y), _moment_ratio(panel.rev, y)][:n_blocks])
    best: optimize.OptimizeResult | None = None
    for start in (moments, np.zeros(n_blocks)):
        res = optimize.minimize(
            fun, start, jac=True, method="L-BFGS-B", bounds=bounds, options=_OPTIONS
        )
        if best is None or res.fun < best.fun:
            best = res
    if best is None or not np.isfinite(best.fun):
        raise ArithmeticError(ERR_REML_FAILED.format(message="non-finite likelihood"))
    best = _snap_to_zero(best, fun, bounds)
    x = np.asarray(best.x, dtype=float)
    converged, message = _converged(best, fun(x)[1], bounds)
    gamma = np.exp(x)
    # Ratios below 1e-8 are zero components (the boundary), not 1e-11 of one: the
    # likelihood is flat there and no Wald interval applies.
    at_zero = x <= _LOG_ZERO
    gamma[at_zero] = 0.0
    _, _, rss = eq.evaluate(_full(np.log(np.maximum(gamma, 1e-300))), gradient=False)
    sigma2 = rss / (y.size - eq.p)
    # Submission ratio at the upper bound: the residual variance is zero up to rounding
    # (the additive model fits exactly); report it as zero so consistency is exactly 1.
    top = _BOUNDS[1] - 1e-6
    no_residual = bool(x[0] >= top)
    cov = np.full((2, 2), np.nan)
    interior = ~at_zero & (x < top)
    if information and interior.any():
        idx = np.flatnonzero(interior)
        hess = _hessian(objective, x, idx)
        # The objective is −2 log L, so the observed information is half its Hessian.
        if np.all(np.linalg.eigvalsh(hess) > 0):
            cov[np.ix_(idx, idx)] = 2.0 * np.linalg.inv(hess)
    return VarianceComponents(
        submission=float(gamma[0] * sigma2),
        reviewer=float(gamma[1] * sigma2) if reviewers_random else float("nan"),
        residual=0.0 if no_residual else float(sigma2),
        log_ratio_cov=cov,
        converged=converged,
        message=message,
    )


def _full(theta: FloatArray) -> FloatArray:
    """Pad the log-ratios to (submission, reviewer): fixed reviewers have no ratio."""
    return theta if theta.size == 2 else np.append(theta, -np.inf)


def _converged(
    res: optimize.OptimizeResult, grad: FloatArray, bounds: list[tuple[float, float]]
) -> tuple[bool, str]:
    """Whether the optimum was reached, and a message saying how.

    Reached when the optimiser says so, or when the projected gradient vanishes: L-BFGS-B
    reports a line-search failure when rounding stops all progress at the optimum.
    """
    if res.success:
        return True, "converged"
    x = np.asarray(res.x, dtype=float)
    lo, hi = np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])
    # At a bound, only the component pointing out of the box may remain.
    free = np.where((x <= lo) & (grad > 0) | (x >= hi) & (grad < 0), 0.0, grad)
    if np.all(np.abs(free) <= _GRAD_CONVERGED):
        return True, MESSAGE_ROUNDING
    return False, str(res.message)


def _snap_to_zero(
    best: optimize.OptimizeResult,
    fun: Callable[[FloatArray], tuple[float, FloatArray]],
    bounds: list[tuple[float, float]],
) -> optimize.OptimizeResult:
    """Move a vanishing ratio whose gradient still points down onto the lower bound.

    Near γ = 0 the criterion changes like γ·∂f/∂γ, so its slope in θ = log γ fades
    exponentially and a quasi-Newton method stops at a tiny ratio (1e-6 of σ²) instead of
    at the zero the data support. The bound is taken when it is no worse, and the other
    ratio is then re-optimised from there.
    """
    x = np.asarray(best.x, dtype=float)
    _, grad = fun(x)
    down = (x < _LOG_SNAP) & (x > bounds[0][0]) & (grad > 0)
    if not down.any():
        return best
    start = np.where(down, bounds[0][0], x)
    if fun(start)[0] > best.fun + 1e-10:
        return best
    res = optimize.minimize(
        fun, start, jac=True, method="L-BFGS-B", bounds=bounds, options=_OPTIONS
    )
    return res if res.fun <= best.fun + 1e-10 else best


def _within_pairs(sub: IntArray, rev: IntArray, n_t: int, n_r: int) -> tuple[IntArray, IntArray]:
    """All ordered pairs of reviews of the same submission: its code and the reviewer cell.

    Returns the submission of each pair and ``reviewer_j * n_r + reviewer_k``, so that
    ``bincount(cell, weights=w[submission])`` is Z_r'Z_s diag(w) Z_s'Z_r, flattened.
    """
    order = np.argsort(sub, kind="stable")
    counts = np.bincount(sub, minlength=n_t)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    sizes = counts**2
    pair_sub = np.repeat(np.arange(n_t), sizes)
    within = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    first = starts[pair_sub] + within // counts[pair_sub]
    second = starts[pair_sub] + within % counts[pair_sub]
    cell = rev[order][first] * n_r + rev[order][second]
    return pair_sub.astype(np.intp), cell.astype(np.intp)


def _moment_ratio(codes: IntArray, y: FloatArray) -> float:
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
    f: Callable[[FloatArray], float], x: FloatArray, idx: IntArray, h: float = 1e-3
) -> FloatArray:
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
