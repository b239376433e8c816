"""REML for large sparse panels: conjugate gradients and stochastic traces, linear cost.

In distributed peer review every applicant reviews about ten others, so a panel has as
many reviewers as submissions (1,700 of each at ALMA) and the reviewers × reviewers
Schur complement of :mod:`fairpanel.panel._reml` is sparse (two reviewers meet only
when they review a common submission) but its Cholesky factor is not: on such a random
design the factor fills in to a dense triangle, and the exact criterion costs O(n³).

This module solves the same mixed-model equations without factorising anything:

* the Schur complement is applied as an operator, ``S x = x + γ_r (M x − γ_s K A⁻¹ K'x)``
  with ``K`` the sparse reviewer × submission incidence (one nonzero per review), so one
  product costs O(reviews); the overall mean is eliminated by a rank-one correction;
* ``S`` is symmetric positive definite with eigenvalues in [1, 1 + γ_r·max load], so
  Jacobi-preconditioned conjugate gradients converge in a few tens of products;
* the REML score (the gradient of −2 l_R in the log variance ratios, the formula of
  :mod:`fairpanel.panel._reml`) needs two traces of blocks of the inverse, estimated by
  Hutchinson's estimator with fixed Rademacher probes (common random numbers: the
  estimated score is a smooth, deterministic function of the ratios), and the REML
  estimate is its root. This is the Monte Carlo REML of large animal-breeding models
  (Matilainen et al. 2013, PLoS ONE 8: e80821) with Hutchinson's probes in place of
  simulated data.

The estimate differs from the exact REML optimum only by the probes' error in the two
traces; ``tests/test_panel.py`` checks it against the exact fit on a mid-sized panel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import optimize, sparse

from fairpanel.panel._panel import Panel

__all__ = ["ConvergenceError", "SparseEquations", "block_cg", "fit_sparse"]

FloatArray = npt.NDArray[np.float64]

#: Rademacher probes per trace: with the control variate the estimate moves the log
#: variance ratios by 0.002–0.006 of their standard errors on distributed-review cycles.
PROBES: Final = 8
#: The probes' seed: fixed, so the fit never depends on the caller's seed.
PROBE_SEED: Final = 20240917
ERR_CG = "conjugate gradients did not converge in {iterations} iterations"
ERR_ROOT = "the REML score has no interior root from the moment start: {message}"
CG_TOL: Final = 1e-10
CG_MAXITER: Final = 1000


class ConvergenceError(ArithmeticError):
    """Conjugate gradients or the root search did not converge."""


def block_cg(
    apply: Callable[[FloatArray], FloatArray],
    rhs: FloatArray,
    diag: FloatArray,
    *,
    tol: float = CG_TOL,
) -> FloatArray:
    """Solve ``S X = rhs`` column by column (all at once) by Jacobi-preconditioned CG.

    Parameters
    ----------
    apply : callable
        ``X ↦ S X`` for a symmetric positive definite ``S`` (columns of ``X``).
    rhs : ndarray, shape (n, k)
        Right-hand sides.
    diag : ndarray, shape (n,)
        The diagonal of ``S`` (the preconditioner).
    tol : float
        Relative residual at which a column stops.
    """
    x = np.zeros_like(rhs)
    r = rhs.copy()
    inv = (1.0 / diag)[:, None]
    z = inv * r
    p = z.copy()
    rz = np.einsum("ij,ij->j", r, z)
    norm0 = np.sqrt(np.einsum("ij,ij->j", rhs, rhs))
    norm0[norm0 == 0] = 1.0
    for _ in range(CG_MAXITER):
        res = np.sqrt(np.einsum("ij,ij->j", r, r)) / norm0
        if np.all(res <= tol):
            return x
        sp = apply(p)
        denom = np.einsum("ij,ij->j", p, sp)
        alpha = np.where(denom > 0, rz / np.where(denom > 0, denom, 1.0), 0.0)
        x += alpha * p
        r -= alpha * sp
        z = inv * r
        rz_new = np.einsum("ij,ij->j", r, z)
        beta = np.where(rz > 0, rz_new / np.where(rz > 0, rz, 1.0), 0.0)
        p = z + beta * p
        rz = rz_new
    raise ConvergenceError(ERR_CG.format(iterations=CG_MAXITER))


class SparseEquations:
    """The random-reviewer REML equations of one panel, as sparse operators."""

    def __init__(self, panel: Panel) -> None:
        sub, rev, y = panel.sub, panel.rev, panel.y
        self.n_t, self.n_r, self.n = panel.n_sub, panel.n_rev, y.size
        self.y, self.sub, self.rev = y, sub, rev
        # K = Z_r'Z_s: reviewer × submission, one nonzero per review.
        self.k = sparse.csr_matrix((np.ones(y.size), (rev, sub)), shape=(self.n_r, self.n_t))
        self.kt = self.k.T.tocsr()
        self.n_i = np.bincount(sub, minlength=self.n_t).astype(float)
        self.m_j = np.bincount(rev, minlength=self.n_r).astype(float)
        self.g_s = np.bincount(sub, weights=y, minlength=self.n_t)
        self.g_r = np.bincount(rev, weights=y, minlength=self.n_r)
        rng = np.random.default_rng(PROBE_SEED)
        self.z_r = rng.choice([-1.0, 1.0], size=(self.n_r, PROBES))
        self.z_s = rng.choice([-1.0, 1.0], size=(self.n_t, PROBES))

    def score(self, theta: FloatArray) -> tuple[FloatArray, float, FloatArray]:
        """Return the estimated gradient of −2 l_R, y'Py and the reviewer solution x_r."""
        gamma_s, gamma_r = np.exp(theta)
        root_r = np.sqrt(gamma_r)
        w1 = 1.0 / (1.0 + gamma_s * self.n_i)
        k, kt = self.k, self.kt

        def s_rr(x: FloatArray) -> FloatArray:
            out: FloatArray = x + gamma_r * (
                self.m_j[:, None] * x - gamma_s * (k @ (w1[:, None] * (kt @ x)))
            )
            return out

        diag = 1.0 + gamma_r * (self.m_j - gamma_s * (k @ w1))
        s_rb = root_r * (self.m_j - gamma_s * (k @ (w1 * self.n_i)))
        s_bb = self.n - gamma_s * float(self.n_i**2 @ w1)
        rhs_r = root_r * (self.g_r - gamma_s * (k @ (self.g_s * w1)))
        rhs_b = float(self.y.sum()) - gamma_s * float((self.g_s * w1) @ self.n_i)
        # B z for the submission-block trace: B = D K A⁻¹ on probes z_s.
        wz = w1[:, None] * self.z_s
        bz_r = root_r * (k @ wz)
        bz_b = self.n_i @ wz
        cols = np.column_stack([rhs_r, s_rb, self.z_r, bz_r])
        sol = block_cg(s_rr, cols, diag)
        p0, p1 = sol[:, 0], sol[:, 1]
        schur = s_bb - float(s_rb @ p1)
        x_b = (rhs_b - float(s_rb @ p0)) / schur
        x_r = p0 - p1 * x_b
        # Coefficients, BLUPs and the penalised residual sum of squares (as in _reml).
        coef_r = root_r * x_r
        per_sub = kt @ coef_r + self.n_i * x_b
        v_s = np.sqrt(gamma_s) * (self.g_s - per_sub) * w1
        fitted = coef_r[self.rev] + x_b + np.sqrt(gamma_s) * v_s[self.sub]
        resid = self.y - fitted
        pen_r = float(x_r @ x_r)
        rss = float(resid @ resid) + float(v_s @ v_s) + pen_r
        # tr((S⁻¹)_rr) = tr(S_rr⁻¹) + ‖S_rr⁻¹ s_rb‖² / schur. With O the off-diagonal
        # part of S_rr = Δ + O, the first-order term of S_rr⁻¹ ≈ Δ⁻¹ − Δ⁻¹OΔ⁻¹ has trace
        # Σ 1/Δ_j and zero-trace off-diagonals, so adding z'Δ⁻¹OΔ⁻¹z (expectation 0)
        # cancels most of the probes' variance (a control variate).
        q_r = sol[:, 2 : 2 + PROBES]
        u = self.z_r / diag[:, None]
        control = np.einsum("ij,ij->", u, s_rr(u) - diag[:, None] * u)
        hutch = float(np.einsum("ij,ij->", self.z_r, q_r) + control) / PROBES
        tr_r = hutch + float(p1 @ p1) / schur
        # tr(B'S⁻¹B) through the same block elimination, probe by probe.
        q_b = sol[:, 2 + PROBES :]
        xb = (bz_b - s_rb @ q_b) / schur
        xr = q_b - p1[:, None] * xb[None, :]
        quad = np.einsum("ij,ij->j", bz_r, xr) + bz_b * xb
        tr_s = float(w1.sum()) + gamma_s * float(quad.mean())
        dof = self.n - 1
        grad = np.array(
            [
                self.n_t - tr_s - dof * float(v_s @ v_s) / rss,
                self.n_r - tr_r - dof * pen_r / rss,
            ]
        )
        return grad, rss, x_r


def solve_root(eq: SparseEquations, start: FloatArray) -> tuple[FloatArray, float]:
    """Find the REML estimate as the root of the estimated score; return θ and y'Py.

    Raises :class:`ConvergenceError` when the search fails or leaves the interior (a
    component at zero), which the exact fit then handles.
    """

    def fun(theta: FloatArray) -> FloatArray:
        return eq.score(theta)[0]

    res = optimize.root(fun, start, method="hybr", options={"xtol": 1e-8})
    theta = np.asarray(res.x, dtype=float)
    if not res.success or not np.all(np.isfinite(theta)) or np.any(theta < -9.0):
        raise ConvergenceError(ERR_ROOT.format(message=res.message))
    return theta, eq.score(theta)[1]


def pair_moments(panel: Panel) -> FloatArray:
    """Log variance ratios from the crossed design's pair moments (the root's start).

    Half the mean squared difference of two reviews is σ²_r + σ²_e for pairs of one
    submission, σ²_s + σ²_e for pairs of one reviewer, and the sum of all three for
    pairs sharing neither (Gao & Owen 2017, Electron. J. Stat. 11: 1235–1296): three
    linear equations, each side a sum over groups, so O(reviews). Ratios are floored
    at 0.01, a start value need not be an estimate.
    """
    y, n = panel.y, panel.y.size

    def half_pairs(codes: npt.NDArray[np.intp]) -> tuple[float, float]:
        cnt = np.bincount(codes).astype(float)
        sy, syy = np.bincount(codes, weights=y), np.bincount(codes, weights=y * y)
        return float((cnt * syy - sy**2).sum()), float((cnt * (cnt - 1)).sum())

    s_sum, s_pairs = half_pairs(panel.sub)
    r_sum, r_pairs = half_pairs(panel.rev)
    all_sum, all_pairs = n * float(y @ y) - float(y.sum()) ** 2, n * (n - 1.0)
    other = max(all_pairs - s_pairs - r_pairs, 1.0)
    within_s = s_sum / max(s_pairs, 1.0)  # σ²_r + σ²_e
    within_r = r_sum / max(r_pairs, 1.0)  # σ²_s + σ²_e
    total = (all_sum - s_sum - r_sum) / other  # σ²_s + σ²_r + σ²_e
    resid = max(within_s + within_r - total, 1e-3 * total)
    ratios = np.maximum([(total - within_s) / resid, (total - within_r) / resid], 0.01)
    return np.log(ratios)


def fit_sparse(panel: Panel, *, information: bool) -> tuple[FloatArray, float, FloatArray]:
    """Return the log variance ratios, the residual variance and their covariance.

    Parameters
    ----------
    panel : Panel
        A panel with random reviewer effects in mind.
    information : bool
        Also return the inverse observed information of the log ratios (else NaN).
    """
    eq = SparseEquations(panel)
    theta, rss = solve_root(eq, pair_moments(panel))
    cov = np.full((2, 2), np.nan)
    if information:
        # The score is smooth in θ (fixed probes): its central differences are the
        # Hessian of −2 l_R, twice the observed information.
        h = 1e-4
        hess = np.column_stack(
            [(eq.score(theta + e)[0] - eq.score(theta - e)[0]) / (2 * h) for e in np.eye(2) * h]
        )
        hess = (hess + hess.T) / 2
        if np.all(np.linalg.eigvalsh(hess) > 0):
            cov = 2.0 * np.linalg.inv(hess)
    return theta, rss / (panel.n_reviews - 1), cov
