"""Empirical-Bayes fast path: REML variance components, BLUPs, conditional SEs.

The same panel model as the Gibbs sampler, read as a crossed random-effects linear mixed
model (lme4's ``grade ~ 1 + (1 | submission) + (1 | reviewer)``, which Heyard et al. 2022
cite as the frequentist counterpart): the three variances (submission tau², reviewer
leniency omega², review s²) are estimated by restricted maximum likelihood — the one REML
fit of the panel model, :func:`fairpanel.panel.fit_reml`, the same that gives the
two-way ICCs — and then held fixed. Given them, the location parameters have an exact
Gaussian posterior (flat prior on the overall mean), whose mean is the BLUP and whose
covariance gives the conditional standard errors; ranks are summarised from independent
draws of it.

It ignores the uncertainty in the variances (a few percent on the SEs of a real panel), and
estimates omega instead of fixing its prior as ERforResearch does; in exchange it is a
deterministic optimisation of two variance ratios — the path for simulations with
thousands of panels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from fairpanel.panel import Panel, VarianceComponents, fit_reml
from fairpanel.panel._reml import DENSE_REVIEWERS
from fairpanel.scoring._blocked import SparseCache, sparse_blup
from fairpanel.scoring._gibbs import GibbsSampler, Priors, _Cache, draw_locations, location_system

__all__ = ["EBFit", "fit_eb"]

FloatArray = npt.NDArray[np.float64]

#: A variance REML puts at zero (the boundary) enters the Gaussian algebra below, which
#: divides by it, at this fraction of the variance of the totals: its effects are then
#: shrunk to zero up to 1e-8, what a zero component means.
ZERO_FLOOR: Final = 1e-8
#: Warm-up of the fixed-variance sampler, which starts at the posterior mode.
EB_WARMUP: Final = 100


@dataclass(frozen=True)
class EBFit:
    """REML variance components, BLUPs with their SEs, and draws of the locations.

    ``tau2``, ``omega2`` and ``s2`` are the REML estimates as fitted (0 for a component at
    the boundary); the BLUPs use them floored at :data:`ZERO_FLOOR` of the variance.
    ``eta_draws`` has shape (chains, draws, submissions): one chain of independent
    draws, or (``independent`` false) the chains of the blocked sampler.
    """

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
    independent: bool = True


def fit_eb(design: Panel, *, chains: int, draws: int, rng: np.random.Generator) -> EBFit:
    """Fit the variances by REML and draw ``chains × draws`` sets of submission values.

    Parameters
    ----------
    design : Panel
        The panel; its oriented totals ``y`` are fitted.
    chains, draws : int
        ``chains × draws`` independent draws of the submission values (for the rank
        summaries), as one chain; for a panel of many reviewers, ``chains`` chains of
        ``draws`` draws of the linear-cost sampler with the variances held fixed.
    rng : Generator
        The source of the draws.
    """
    fit = fit_reml(design, reviewers_random=True, information=False)
    floor = (float(np.var(design.y)) or 1.0) * ZERO_FLOOR
    tau2, omega2, s2 = (max(v, floor) for v in (fit.submission, fit.reviewer, fit.residual))
    if design.n_rev > DENSE_REVIEWERS:
        return _fit_sparse(design, fit, (tau2, omega2, s2), chains, draws, rng)
    n_draws = chains * draws
    cache = _Cache(design)
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
        tau2=fit.submission,
        omega2=fit.reviewer,
        s2=fit.residual,
        mu=float(mu[0]),
        eta=eta[0],
        eta_se=np.sqrt(eta_var),
        lam=lam[0],
        lam_se=np.sqrt(np.diag(cov_z)[1:]),
        eta_draws=eta_draws[None, :, :],
        converged=fit.converged,
        message=fit.message,
    )


def _fit_sparse(
    design: Panel,
    fit: VarianceComponents,
    variances: tuple[float, float, float],
    chains: int,
    draws: int,
    rng: np.random.Generator,
) -> EBFit:
    """BLUPs by conjugate gradients; draws from the blocked sampler, variances fixed.

    Independent draws would need one sparse solve each; the blocked sampler's draws
    cost a pass over the reviews each, and its ranks' effective sample size is
    measured (``rhat``, ``ess_bulk``) as for ``"bayes"``. The SEs are the draws' SDs.
    """
    tau2, omega2, s2 = variances
    mu, lam, eta = sparse_blup(SparseCache(design), tau2, s2, 1.0 / omega2)
    priors = Priors(sd_upper=float("inf"), leniency_sd=float(np.sqrt(omega2)))
    sampler = GibbsSampler(
        design, priors, rng.spawn(chains), fixed_variances=(np.sqrt(tau2), np.sqrt(s2))
    )
    sampler.lam = np.tile(lam, (chains, 1))  # start at the mode: a short warm-up
    sampler.warm_up(EB_WARMUP)
    post = sampler.sample(draws)
    eta_se = post.eta.reshape(-1, design.n_sub).std(axis=0, ddof=1)
    post.eta -= post.mu[..., None]  # in place: the draws are (chains × draws × n) floats
    return EBFit(
        tau2=fit.submission,
        omega2=fit.reviewer,
        s2=fit.residual,
        mu=mu,
        eta=eta,
        eta_se=eta_se,
        lam=lam,
        lam_se=post.lam.reshape(-1, design.n_rev).std(axis=0, ddof=1),
        eta_draws=post.eta,
        converged=fit.converged,
        message=fit.message,
        independent=False,
    )
