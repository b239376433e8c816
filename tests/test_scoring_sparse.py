"""Distributed review: the linear-cost REML fit and samplers against the exact ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fairpanel.panel import _reml, fit_reml, from_codes, from_reviews
from fairpanel.panel._reml import DENSE_REVIEWERS, MESSAGE_SPARSE, _Equations, _fit
from fairpanel.panel._sparse import SparseEquations
from fairpanel.scoring import _gibbs, score
from fairpanel.scoring._blocked import SparseCache, sparse_blup
from fairpanel.scoring._diagnostics import ess_bulk
from fairpanel.scoring._gibbs import GibbsSampler, Priors, _Cache, draw_locations


def distributed_cycle(
    n: int, *, k: int = 8, seed: int = 0, leniency_sd: float = 0.3
) -> tuple[pd.DataFrame, np.ndarray]:
    """Every applicant reviews ``k`` other submissions on a 1–10 scale (ALMA's shape)."""
    rng = np.random.default_rng(seed)
    merit = rng.normal(0.0, 1.0, n)
    leniency = rng.normal(0.0, leniency_sd, n)
    # Reviewer j reviews k distinct others: offsets 1..n-1 from its own submission.
    offsets = np.argsort(rng.random((n, n - 1)), axis=1)[:, :k] + 1
    sub = ((np.arange(n)[:, None] + offsets) % n).ravel()
    rev = np.repeat(np.arange(n), k)
    y = 5.5 + merit[sub] + leniency[rev] + rng.normal(0.0, 1.0, sub.size)
    reviews = pd.DataFrame(
        {
            "submission_id": [f"P{i:04d}" for i in sub],
            "reviewer_id": [f"R{j:04d}" for j in rev],
            "score": np.clip(np.round(y), 1, 10),
        }
    )
    return reviews, merit


@pytest.fixture(scope="module")
def cycle() -> tuple[pd.DataFrame, np.ndarray]:
    return distributed_cycle(DENSE_REVIEWERS + 60, seed=3)


def test_sparse_score_equals_the_exact_gradient_within_probe_error(cycle) -> None:  # type: ignore[no-untyped-def]
    # The exact gradient (dense factor, tests/test_panel.py checks it against finite
    # differences) and the sparse one differ only by the Hutchinson traces' error.
    panel = from_reviews(cycle[0], scale=(1, 10))
    exact, sparse_eq = _Equations(panel, reviewers_random=True), SparseEquations(panel)
    for theta in ([0.0, -2.4], [-0.7, -1.2], [0.5, -3.5]):
        _, grad, rss = exact.evaluate(np.array(theta), gradient=True)
        ours, ours_rss, _ = sparse_eq.score(np.array(theta))
        assert ours_rss == pytest.approx(rss, rel=1e-8)  # CG: exact up to its tolerance
        # The traces are ~n; the probes' error is a few hundredths to a few tenths.
        np.testing.assert_allclose(ours, grad, atol=0.5)


def test_sparse_reml_matches_the_exact_fit(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # A smaller cycle, sent down the sparse path, keeps the exact fit quick.
    monkeypatch.setattr(_reml, "DENSE_REVIEWERS", 100)
    panel = from_reviews(distributed_cycle(160, seed=11)[0], scale=(1, 10))
    ours = fit_reml(panel)
    exact = _fit(panel, reviewers_random=True, information=True)
    assert ours.message == MESSAGE_SPARSE
    log_ours = np.log([ours.submission / ours.residual, ours.reviewer / ours.residual])
    log_exact = np.log([exact.submission / exact.residual, exact.reviewer / exact.residual])
    se = np.sqrt(np.diag(exact.log_ratio_cov))
    # The probes move the estimate by a few hundredths of its standard error (less on
    # larger panels: 0.006 at 850 submissions).
    assert np.all(np.abs(log_ours - log_exact) < 0.05 * se)
    assert ours.residual == pytest.approx(exact.residual, rel=1e-3)
    np.testing.assert_allclose(ours.log_ratio_cov, exact.log_ratio_cov, rtol=0.02)


def test_sparse_blup_equals_the_dense_posterior_mean(cycle) -> None:  # type: ignore[no-untyped-def]
    panel = from_reviews(cycle[0], scale=(1, 10))
    t, s, prec = 0.9, 1.1, 1 / 0.3**2
    mu, lam, eta = draw_locations(
        _Cache(panel), np.array([t]), np.array([s]), np.array([prec]), None, None
    )
    ours = sparse_blup(SparseCache(panel), t, s, prec)
    assert ours[0] == pytest.approx(mu[0], rel=1e-8)
    np.testing.assert_allclose(ours[1], lam[0], atol=1e-8)
    np.testing.assert_allclose(ours[2], eta[0], atol=1e-8)


def test_blocked_sampler_matches_the_exact_gaussian_posterior(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # With the variances fixed the posterior is Gaussian: its mean and covariance by
    # dense algebra on the full design matrix, independently of either sampler.
    reviews, _ = distributed_cycle(60, k=6, seed=5)
    sub, _subs = pd.factorize(reviews["submission_id"], sort=True)
    rev, _revs = pd.factorize(reviews["reviewer_id"], sort=True)
    y = reviews["score"].to_numpy(dtype=float)
    n, m = sub.max() + 1, rev.max() + 1
    tau, s, omega = 1.0, 1.0, 0.3
    x = np.zeros((len(y), 1 + n + m))
    x[:, 0] = 1.0
    x[np.arange(len(y)), 1 + sub] = 1.0
    x[np.arange(len(y)), 1 + n + rev] = 1.0
    cov = np.linalg.inv(x.T @ x / s**2 + np.diag([0.0] + [1 / tau**2] * n + [1 / omega**2] * m))
    mean = cov @ x.T @ y / s**2
    monkeypatch.setattr(_gibbs, "DENSE_REVIEWERS", 0)  # the blocked updates on a small panel
    sampler = GibbsSampler(
        from_codes(sub, rev, y), Priors(3.0, omega), np.random.default_rng(4).spawn(4),
        fixed_variances=(tau, s),
    )  # fmt: skip
    assert sampler.blocked
    sampler.warm_up(200)
    draws = sampler.sample(2500)
    theta = draws.eta - draws.mu[..., None]
    # theta = eta − mu: contrasts of the full parameter vector.
    to_theta = np.zeros((n, 1 + n + m))
    to_theta[np.arange(n), 1 + np.arange(n)] = 1.0
    theta_mean = to_theta @ mean
    theta_sd = np.sqrt(np.diag(to_theta @ cov @ to_theta.T))
    flat = theta.reshape(-1, n)
    ess = ess_bulk(theta)
    # Monte Carlo tolerance: 4.5 standard errors of a posterior mean (sd / sqrt(ESS)).
    assert np.all(np.abs(flat.mean(axis=0) - theta_mean) < 4.5 * theta_sd / np.sqrt(ess))
    np.testing.assert_allclose(flat.std(axis=0), theta_sd, rtol=0.06)


def test_distributed_cycle_scores_at_linear_cost_and_recovers_merit(cycle) -> None:  # type: ignore[no-untyped-def]
    reviews, merit = cycle
    result = score(reviews, scale=(1, 10), method="eb", seed=7, draws=400)
    d = result.diagnostics
    assert d.converged, d.message
    assert d.chains == 4  # the blocked sampler's chains, checked
    assert d.max_rhat <= 1.01
    table = result.table.set_index("submission_id")
    ids = [f"P{i:04d}" for i in range(len(merit))]
    rho = stats.spearmanr(table.loc[ids, "calibrated_score"], merit).statistic
    assert rho > 0.85
    # The rank intervals hold the posterior mean's rank order: lo ≤ expected ≤ hi.
    assert (table["rank_lo90"] <= table["expected_rank"]).all()
    assert (table["expected_rank"] <= table["rank_hi90"]).all()
