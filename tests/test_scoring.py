"""Tests of fairpanel.scoring: the SNSF panel model, its EB fast path, ranks, orientation."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from fairpanel import FairpanelInputError
from fairpanel._schema import SCORE_COLUMNS
from fairpanel.panel import from_codes
from fairpanel.rubric import Rubric
from fairpanel.scoring import METHODS, ScoreResult, _score, score
from fairpanel.scoring._diagnostics import ess_bulk
from fairpanel.scoring._gibbs import GibbsSampler, Priors

# Expected ranks and SUCRA that ERforResearch 4.0.0 prints for p1 in its vignette
# ("Demo ERforResearch", docs/articles/ERforResearch_vignette.html: get_er_from_jags and
# get_sucra on the default JAGS model, 4 chains × 20,000 draws, seed 6).
P1_ER = {
    "#1": 2.44, "#2": 4.06, "#3": 4.09, "#4": 4.12, "#5": 5.08, "#6": 6.19, "#8": 7.26,
    "#7": 7.34, "#9": 8.43, "#10": 9.42, "#11": 10.4, "#12": 11.4, "#13": 13.0,
    "#14": 13.0, "#15": 13.7,
}  # fmt: skip
P1_SUCRA = {
    "#1": 0.90, "#2": 0.78, "#3": 0.78, "#4": 0.78, "#5": 0.71, "#6": 0.63, "#7": 0.55,
    "#8": 0.55, "#9": 0.47, "#10": 0.40, "#11": 0.33, "#12": 0.25, "#13": 0.15,
    "#14": 0.14, "#15": 0.09,
}  # fmt: skip


@pytest.fixture(scope="module")
def p1_bayes(p1_reviews: Callable[..., pd.DataFrame]) -> ScoreResult:
    return score(p1_reviews(), scale=(1, 6), seed=2024, draws=2500)


def test_p1_matches_erforresearch_vignette(p1_bayes: ScoreResult) -> None:
    table = p1_bayes.table.set_index("submission_id")
    er = table["expected_rank"]
    reference = pd.Series(P1_ER)
    # Tolerance: ERforResearch's own Monte Carlo error (80,000 correlated JAGS draws) plus
    # ours (expected_rank_mcse ≈ 0.03 with 10,000 draws) and the vignette's rounding to
    # 0.01 (0.1 above 10) give differences of a few hundredths; 0.15 is ~4 combined MC
    # SEs, while a different model (e.g. no leniency, or other priors) moves ERs by > 0.3.
    np.testing.assert_allclose(er[reference.index], reference, atol=0.15)
    assert (table["expected_rank_mcse"] < 0.06).all()
    # Same ordering up to pairs that are tied within Monte Carlo error in the vignette.
    ties = [{"#2", "#3", "#4"}, {"#7", "#8"}, {"#13", "#14"}]
    blocks = [next((t for t in ties if s in t), {s}) for s in reference.index]
    ours = [next((t for t in ties if s in t), {s}) for s in er.sort_values().index]
    assert [sorted(b) for b in dict.fromkeys(map(frozenset, ours))] == [
        sorted(b) for b in dict.fromkeys(map(frozenset, blocks))
    ]
    np.testing.assert_allclose(table["sucra"][list(P1_SUCRA)], list(P1_SUCRA.values()), atol=0.015)


def test_table_contract(p1_bayes: ScoreResult) -> None:
    table = p1_bayes.table
    assert tuple(table.columns[: len(SCORE_COLUMNS)]) == SCORE_COLUMNS
    assert table["expected_rank"].is_monotonic_increasing
    assert table["expected_rank"].sum() == pytest.approx(15 * 16 / 2)
    assert (table["rank_lo90"] <= table["rank_lo50"]).all()
    assert (table["rank_lo50"] <= table["expected_rank"] + 1).all()
    assert (table["rank_hi50"] <= table["rank_hi90"]).all()
    assert table["n_reviews"].eq(5).all()
    assert table["mean_score"][table["submission_id"] == "#1"].item() == pytest.approx(5.0)
    assert p1_bayes.diagnostics.converged
    assert p1_bayes.diagnostics.max_rhat <= 1.01
    assert p1_bayes.diagnostics.min_ess >= 400
    assert not p1_bayes.provisional
    # v_1 gives the best grades, v_5 the worst: leniency must say so, with SEs.
    rev = p1_bayes.reviewers.set_index("reviewer_id")
    assert rev["leniency"].idxmax() == "v_1"
    assert rev["leniency"].idxmin() == "v_5"
    assert (rev["leniency_se"] > 0).all()


def test_decomposition_adds_up(p1_bayes: ScoreResult) -> None:
    dec = p1_bayes.decomposition
    table = p1_bayes.table.set_index("submission_id")
    crit = dec[dec["kind"] == "criterion"].groupby("submission_id")["value"].sum()
    np.testing.assert_allclose(crit[table.index], table["mean_score"], rtol=1e-12)
    total = dec.groupby("submission_id")["value"].sum()
    np.testing.assert_allclose(total[table.index], table["calibrated_score"], rtol=1e-12)
    np.testing.assert_allclose(
        table["adjustment"], table["calibrated_score"] - table["mean_score"], rtol=1e-12
    )


def test_lower_is_better_mirrors_higher_is_better(p1_reviews: Callable[..., pd.DataFrame]) -> None:
    # The same panel as SNSF letter grades (1 = best) must give the same ranking, with
    # scores reported on the 1–6 scale where lower is better.
    hib = score(p1_reviews(), scale=(1, 6), seed=7, method="eb")
    lib = score(p1_reviews("grade"), scale=(1, 6), higher_is_better=False, seed=7, method="eb")
    a = hib.table.set_index("submission_id")
    b = lib.table.set_index("submission_id").loc[a.index]
    np.testing.assert_allclose(b["expected_rank"], a["expected_rank"])
    np.testing.assert_allclose(b["calibrated_score"], 7 - a["calibrated_score"], rtol=1e-10)
    np.testing.assert_allclose(b["mean_score"], 7 - a["mean_score"])
    np.testing.assert_allclose(b["score_se"], a["score_se"], rtol=1e-10)
    assert b["calibrated_score"].idxmin() == "#1"
    # Leniency is "how much more favourable", whatever the direction of the scale.
    np.testing.assert_allclose(lib.reviewers["leniency"], hib.reviewers["leniency"], rtol=1e-8)
    dec = lib.decomposition.groupby("submission_id")["value"].sum()
    np.testing.assert_allclose(dec[b.index], b["calibrated_score"], rtol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_incomplete_design_unequal_reviews(
    p1_reviews: Callable[..., pd.DataFrame], method: str
) -> None:
    # Drop reviews so that submissions have 2–5 reviews and reviewers differ in load.
    full = p1_reviews()
    rng = np.random.default_rng(3)
    keep = rng.random(len(full)) > 0.35
    keep[::5] = True  # every submission keeps at least its v_1 review
    keep[1::5] |= True
    part = full[keep]
    result = score(part, scale=(1, 6), seed=5, method=method, draws=600)
    table = result.table.set_index("submission_id")
    counts = part.groupby("submission_id").size()
    assert (table["n_reviews"][counts.index] == counts).all()
    assert counts.nunique() > 1
    assert result.diagnostics.converged
    assert np.isfinite(table["calibrated_score"]).all()
    assert (table["score_se"] > 0).all()
    assert result.table["expected_rank"].sum() == pytest.approx(15 * 16 / 2)
    # Fewer reviews, wider intervals: the least-reviewed submission's score is less sure
    # than the most-reviewed one's (both near the middle of the scale).
    assert table.loc[counts.idxmin(), "score_se"] > table.loc[counts.idxmax(), "score_se"]


def test_leniency_correction_in_incomplete_design() -> None:
    # Two submissions with the same raw mean: one graded by a lenient reviewer, the other
    # by a harsh one (who are both seen grading a common set). The calibrated score must
    # favour the one the harsh reviewer graded.
    rows = []
    for k in range(8):
        rows += [(f"common{k}", "lenient", 5.0), (f"common{k}", "harsh", 3.0)]
        rows += [(f"common{k}", "mid", 4.0)]
    rows += [("A", "lenient", 4.0), ("A", "mid", 4.0), ("B", "harsh", 4.0), ("B", "mid", 4.0)]
    reviews = pd.DataFrame(rows, columns=["submission_id", "reviewer_id", "score"])
    for method in METHODS:
        table = score(reviews, scale=(1, 6), seed=1, method=method).table.set_index(
            "submission_id"
        )
        assert table.loc["A", "mean_score"] == table.loc["B", "mean_score"]
        assert table.loc["B", "calibrated_score"] > table.loc["A", "calibrated_score"]
        assert table.loc["B", "expected_rank"] < table.loc["A", "expected_rank"]


@pytest.mark.parametrize("method", METHODS)
def test_same_seed_same_result_and_row_order_irrelevant(
    p1_reviews: Callable[..., pd.DataFrame], method: str
) -> None:
    reviews = p1_reviews()
    a = score(reviews, scale=(1, 6), seed=11, method=method, draws=300)
    b = score(reviews.sample(frac=1.0, random_state=4), scale=(1, 6), seed=11, method=method,
              draws=300)  # fmt: skip
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.reviewers, b.reviewers)
    c = score(reviews, scale=(1, 6), seed=12, method=method, draws=300)
    assert not np.allclose(a.table["expected_rank"], c.table["expected_rank"])


def test_rubric_totals_weight_criteria() -> None:
    rubric = Rubric.from_dict(
        {
            "name": "two criteria",
            "scale": {"min": 1, "max": 5},
            "criteria": [
                {"id": "science", "weight": 3, "levels": {i: f"level {i}" for i in range(1, 6)}},
                {"id": "feasibility", "weight": 1,
                 "levels": {i: f"level {i}" for i in range(1, 6)}},
            ],
            "bands": [{"name": "fund", "threshold": 4}, {"name": "no", "threshold": 1}],
        }
    )  # fmt: skip
    rows = []
    for sub, (sci, fea) in {"S1": (5, 1), "S2": (2, 5), "S3": (4, 4)}.items():
        for rev in ("r1", "r2"):
            rows += [(sub, rev, "science", sci), (sub, rev, "feasibility", fea)]
    reviews = pd.DataFrame(rows, columns=["submission_id", "reviewer_id", "criterion", "score"])
    reviews.loc[len(reviews)] = ["S1", "r3", "science", 5.0]  # a review missing a criterion
    result = score(reviews, rubric=rubric, method="eb", seed=0)
    table = result.table.set_index("submission_id")
    # S1: totals (3·5 + 1)/4 = 4 twice, and 5 from the science-only review.
    assert table.loc["S1", "mean_score"] == pytest.approx((4 + 4 + 5) / 3)
    assert table.loc["S2", "mean_score"] == pytest.approx((3 * 2 + 5) / 4)
    assert set(table["band"]) <= {"fund", "no"}
    dec = result.decomposition
    s1 = dec[(dec["submission_id"] == "S1") & (dec["kind"] == "criterion")]
    contrib = s1.set_index("component")["value"]
    assert contrib["science"] == pytest.approx((3.75 + 3.75 + 5) / 3)
    assert contrib["feasibility"] == pytest.approx((0.25 + 0.25 + 0) / 3)


def test_gibbs_matches_exact_posterior_with_known_variances(
    p1_reviews: Callable[..., pd.DataFrame],
) -> None:
    # With the variances fixed, the posterior of (mu, theta, lambda) is Gaussian with
    # precision X'X/s² + prior precision (flat on mu): compute it by dense linear algebra
    # on the full design matrix, independently of the sampler's Schur-complement algebra.
    reviews = p1_reviews()
    reviews = reviews[np.random.default_rng(8).random(len(reviews)) > 0.25]
    sub, subs = pd.factorize(reviews["submission_id"], sort=True)
    rev, revs = pd.factorize(reviews["reviewer_id"], sort=True)
    y = reviews["score"].to_numpy()
    n, m = len(subs), len(revs)
    tau, s, omega = 0.7, 0.9, 0.5
    x = np.zeros((len(y), 1 + n + m))
    x[:, 0] = 1.0
    x[np.arange(len(y)), 1 + sub] = 1.0
    x[np.arange(len(y)), 1 + n + rev] = 1.0
    prior = np.diag([0.0] + [1 / tau**2] * n + [1 / omega**2] * m)
    cov = np.linalg.inv(x.T @ x / s**2 + prior)
    mean = cov @ x.T @ y / s**2
    to_eta = np.zeros((n, 1 + n + m))
    to_eta[:, 0] = 1.0
    to_eta[np.arange(n), 1 + np.arange(n)] = 1.0
    eta_mean = to_eta @ mean
    eta_sd = np.sqrt(np.diag(to_eta @ cov @ to_eta.T))

    design = from_codes(sub, rev, y)
    rngs = np.random.default_rng(99).spawn(4)
    sampler = GibbsSampler(design, Priors(2.0, omega), rngs, fixed_variances=(tau, s))
    draws = sampler.sample(2000)
    eta = draws.eta.reshape(-1, n)
    ess = ess_bulk(draws.eta)
    # Monte Carlo tolerance: 4.5 standard errors of a posterior mean (sd / sqrt(ESS)).
    assert np.all(np.abs(eta.mean(axis=0) - eta_mean) < 4.5 * eta_sd / np.sqrt(ess))
    # The SD of a sample SD from ~ESS draws is ~ sd / sqrt(2 ESS): 5% is > 4 of those.
    np.testing.assert_allclose(eta.std(axis=0), eta_sd, rtol=0.05)
    lam_mean = mean[1 + n :]
    lam_sd = np.sqrt(np.diag(cov)[1 + n :])
    lam = draws.lam.reshape(-1, m)
    assert np.all(np.abs(lam.mean(axis=0) - lam_mean) < 4.5 * lam_sd / np.sqrt(2000))
    np.testing.assert_allclose(lam.std(axis=0), lam_sd, rtol=0.05)


def test_eb_variance_components_match_statsmodels(p1_reviews: Callable[..., pd.DataFrame]) -> None:
    # REML for the crossed random-effects model y ~ 1 + (1|submission) + (1|reviewer),
    # fitted by statsmodels MixedLM as variance components of a single group.
    import statsmodels.formula.api as smf

    reviews = p1_reviews()
    reviews = reviews[np.random.default_rng(2).random(len(reviews)) > 0.2].copy()
    reviews["group"] = 1
    model = smf.mixedlm(
        "score ~ 1",
        reviews,
        groups="group",
        re_formula="0",
        vc_formula={"sub": "0 + C(submission_id)", "rev": "0 + C(reviewer_id)"},
    )
    fit = model.fit(reml=True, method="lbfgs")
    vc = dict(zip(fit.model.exog_vc.names, fit.vcomp, strict=True))
    result = score(reviews, scale=(1, 6), method="eb", seed=0)
    comp = result.components
    assert comp["submission_sd"] ** 2 == pytest.approx(vc["sub"], rel=2e-3)
    assert comp["leniency_sd"] ** 2 == pytest.approx(vc["rev"], rel=2e-3)
    assert comp["review_sd"] ** 2 == pytest.approx(fit.scale, rel=2e-3)
    # The BLUPs of the reviewer effects match statsmodels' predicted random effects.
    blup = fit.random_effects[1]
    rev = result.reviewers.set_index("reviewer_id")["leniency"]
    # statsmodels names them "rev[C(reviewer_id)[v_1]]".
    sm_rev = {
        k[len("rev[C(reviewer_id)[") : -2]: v for k, v in blup.items() if k.startswith("rev")
    }
    np.testing.assert_allclose(rev[list(sm_rev)], list(sm_rev.values()), atol=2e-3)


def test_bad_options_and_inputs(p1_reviews: Callable[..., pd.DataFrame]) -> None:
    reviews = p1_reviews()
    with pytest.raises(ValueError, match="method must be one of"):
        score(reviews, method="mcmc")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="chains must be"):
        score(reviews, chains=1)
    dup = pd.concat([reviews, reviews.iloc[[0]]], ignore_index=True)
    with pytest.raises(FairpanelInputError, match="twice"):
        score(dup)
    off = reviews.copy()
    off.loc[3, "score"] = 9.0
    with pytest.raises(FairpanelInputError, match="off the rubric's scale"):
        score(off, scale=(1, 6))
    with pytest.raises(FairpanelInputError, match="column 'reviewer_id' is missing"):
        score(reviews.drop(columns="reviewer_id"))
    with pytest.raises(FairpanelInputError, match="at least two submissions"):
        score(reviews[reviews["submission_id"] == "#1"], scale=(1, 6))


def test_error_messages_are_the_module_constants(p1_reviews: Callable[..., pd.DataFrame]) -> None:
    reviews = p1_reviews()
    with pytest.raises(ValueError, match="method must be") as method:
        score(reviews, scale=(1, 6), method="mcmc")  # type: ignore[arg-type]
    assert str(method.value) == _score.ERR_METHOD.format(allowed="bayes, eb", method="mcmc")
    with pytest.raises(FairpanelInputError) as few:
        score(reviews[reviews["submission_id"] == "#1"], scale=(1, 6))
    assert few.value.message == _score.ERR_TOO_FEW_SUBMISSIONS.format(n=1)


def test_unconverged_chains_are_marked_provisional(
    p1_reviews: Callable[..., pd.DataFrame],
) -> None:
    # An impossible ESS requirement cannot be met: the result must say so, after the
    # bounded number of extensions.
    result = score(p1_reviews(), scale=(1, 6), seed=3, draws=50, warmup=20,
                   ess_threshold=1e9, max_extensions=1)  # fmt: skip
    assert result.provisional
    assert result.diagnostics.extensions == 1
    assert result.diagnostics.draws == 100
    assert "not converged" in result.diagnostics.message


def _grid_posterior_of_sds(reviews: pd.DataFrame, upper: float, omega: float):  # type: ignore[no-untyped-def]
    """Posterior means of (tau, s) by brute force on a grid, with dense N×N algebra.

    p(tau, s | y) ∝ p(y | tau, s) p(tau) p(s): the marginal likelihood with the overall
    mean (flat prior), the submission effects and the leniencies integrated out,
    V = tau² ZZ' + omega² WW' + s² I; p(tau) uniform on (0, U); p(s) the density of
    sqrt(tau_a² + sigma²) for tau_a, sigma independent uniform on (0, U), obtained here by
    integrating over the angle numerically, not from the sampler's closed form.
    """
    sub = pd.factorize(reviews["submission_id"])[0]
    rev = pd.factorize(reviews["reviewer_id"])[0]
    y = reviews["score"].to_numpy()
    n_obs = len(y)
    zz = (sub[:, None] == sub[None, :]).astype(float)
    ww = (rev[:, None] == rev[None, :]).astype(float)
    taus = np.linspace(0.005, upper, 90)
    ss = np.linspace(0.005, upper * np.sqrt(2) - 0.005, 110)
    tt, sg = np.meshgrid(taus, ss, indexing="ij")
    phi = (np.arange(4000) + 0.5) / 4000 * np.pi / 2
    inside = (ss[:, None] * np.cos(phi) <= upper) & (ss[:, None] * np.sin(phi) <= upper)
    prior_s = ss * inside.mean(axis=1)
    logpost = np.empty(tt.shape)
    one = np.ones(n_obs)
    for i, tau in enumerate(taus):
        v = tau**2 * zz[None] + omega**2 * ww[None] + ss[:, None, None] ** 2 * np.eye(n_obs)
        chol = np.linalg.cholesky(v)
        logdet = 2 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
        vinv_y = np.linalg.solve(v, np.broadcast_to(y, (len(ss), n_obs))[..., None])[..., 0]
        vinv_1 = np.linalg.solve(v, np.broadcast_to(one, (len(ss), n_obs))[..., None])[..., 0]
        a = vinv_1.sum(axis=1)
        ypy = (y * vinv_y).sum(axis=1) - (vinv_y.sum(axis=1)) ** 2 / a
        logpost[i] = -0.5 * (logdet + np.log(a) + ypy) + np.log(prior_s)
    w = np.exp(logpost - logpost.max())
    w /= w.sum()
    return float((w * tt).sum()), float((w * sg).sum())


def test_full_posterior_of_the_sds_matches_brute_force(
    p1_reviews: Callable[..., pd.DataFrame],
) -> None:
    # The whole sampler (locations, the truncated inverse-gamma and Metropolis variance
    # steps, the rescaling move) against a grid over (tau, s) on an incomplete p1.
    reviews = p1_reviews()
    reviews = reviews[np.random.default_rng(21).random(len(reviews)) > 0.3]
    tau_grid, s_grid = _grid_posterior_of_sds(reviews, upper=2.0, omega=0.5)
    result = score(reviews, scale=(1, 6), seed=6, draws=2500)
    # Monte Carlo SE of these posterior means is ~0.005 (posterior SD ≈ 0.15 over
    # sqrt(ESS ≈ 1000)); the grid's discretisation error is smaller still.
    assert result.components["submission_sd"] == pytest.approx(tau_grid, abs=0.015)
    assert result.components["review_sd"] == pytest.approx(s_grid, abs=0.015)
