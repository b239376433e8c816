"""Empirical-Bayes fast path: REML variance components, BLUPs, conditional SEs.

The same panel model as the Gibbs sampler, read as a crossed random-effects linear mixed
model (lme4's ``grade ~ 1 + (1 | submission) + (1 | reviewer)``, which Heyard et al. 2022
cite as the frequentist counterpart): the three variances (submission tau², reviewer
leniency omega², review s²) are estimated by restricted maximum likelihood and then held
fixed. Given them, the location parameters have an exact Gaussian posterior (flat prior on
the overall mean), whose mean is the BLUP and whose covariance gives the conditional
standard errors; ranks are summarised from independent draws of it.

It ignores the uncertainty in the variances (a few percent on the SEs of a real panel), and
estimates omega instead of fixing its prior as ERforResearch does; in exchange it is a
deterministic optimisation of three numbers — the path for simulations with thousands of
panels.

The REML criterion uses Henderson's mixed-model equations:
``-2 l_R = N log s² + n log tau² + m log omega² + log|C| + y'Py``, with ``C`` the
coefficient matrix of the mixed-model equations (its determinant taken through the same
Schur complement the sampler uses) and ``y'Py`` the penalised residual sum of squares at
the solution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize

from fairpanel.scoring._gibbs import Design, _Cache, draw_locations, location_system

__all__ = ["EBFit", "fit_eb"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class EBFit:
    """REML variance components, BLUPs with their SEs, and draws of the locations."""

    tau2: float
    omega2: float
    s2: float
    mu: float
    eta: FloatArray
    eta_se: FloatArray
    lam: FloatArray
    lam_se: FloatArray
    eta_draws: FloatArray
    converged: bool
    message: str


def _neg2_reml(cache: _Cache, log_var: FloatArray) -> float:
    tau2, omega2, s2 = np.exp(log_var)
    t, s = np.array([tau2]), np.array([s2])
    s_mat, _, w = location_system(cache, t, s, np.array([1.0 / omega2]))
    sign, logdet_s = np.linalg.slogdet(s_mat[0])
    if sign <= 0:
        return float("inf")
    mu, lam, eta = draw_locations(cache, t, s, np.array([1.0 / omega2]), None, None)
    d = cache.design
    resid = d.y - eta[0, d.sub] - lam[0, d.rev]
    pen = (
        (resid**2).sum() / s2 + ((eta[0] - mu[0]) ** 2).sum() / tau2 + (lam[0] ** 2).sum() / omega2
    )
    value = (
        len(d.y) * np.log(s2)
        + d.n_sub * np.log(tau2)
        + d.n_rev * np.log(omega2)
        - np.log(w[0]).sum()
        + logdet_s
        + pen
    )
    return float(value)


def fit_eb(design: Design, *, n_draws: int, rng: np.random.Generator) -> EBFit:
    """Fit the variances by REML and draw ``n_draws`` sets of submission values."""
    cache = _Cache(design)
    var_y = float(np.var(design.y)) or 1.0
    start = np.log(np.full(3, var_y / 3))
    floor = np.log(var_y * 1e-8)
    res = optimize.minimize(
        lambda x: _neg2_reml(cache, x),
        start,
        method="L-BFGS-B",
        bounds=[(floor, np.log(var_y * 1e3))] * 3,
    )
    tau2, omega2, s2 = (float(v) for v in np.exp(res.x))
    t, s, prec = np.array([tau2]), np.array([s2]), np.array([1.0 / omega2])
    s_mat, _, w = location_system(cache, t, s, prec)
    mu, lam, eta = draw_locations(cache, t, s, prec, None, None)
    cov_z = np.linalg.inv(s_mat[0])
    # eta_i | z is normal with variance W_i and a mean linear in z with gradient a_i.
    grad = np.empty((design.n_sub, design.n_rev + 1))
    grad[:, 0] = w[0] / tau2
    grad[:, 1:] = -cache.c * (w[0] / s2)[:, None]
    eta_var = w[0] + np.einsum("ik,kl,il->i", grad, cov_z, grad)
    chol = np.linalg.cholesky(s_mat[0])
    xi = rng.standard_normal((design.n_rev + 1, n_draws))
    z = np.concatenate([mu, lam[0]])[:, None] + np.linalg.solve(chol.T, xi)
    mu_d, lam_d = z[0], z[1:]
    cond = w[0][None, :] * (
        cache.sy_i[None, :] / s2 + mu_d[:, None] / tau2 - (lam_d.T @ cache.ct) / s2
    )
    eta_draws = cond + np.sqrt(w[0])[None, :] * rng.standard_normal((n_draws, design.n_sub))
    return EBFit(
        tau2=tau2,
        omega2=omega2,
        s2=s2,
        mu=float(mu[0]),
        eta=eta[0],
        eta_se=np.sqrt(eta_var),
        lam=lam[0],
        lam_se=np.sqrt(np.diag(cov_z)[1:]),
        eta_draws=eta_draws,
        converged=bool(res.success),
        message=str(res.message),
    )
