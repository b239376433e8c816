"""``score``: calibrated scores, reviewer leniency and expected ranks with uncertainty."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Final, Literal

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import interval_columns
from fairpanel._seed import Seed, as_rng
from fairpanel.panel import Panel, from_reviews
from fairpanel.rubric import Rubric, Scale
from fairpanel.scoring._diagnostics import ess_bulk, ess_mean, rhat, rhat_split
from fairpanel.scoring._eb import fit_eb
from fairpanel.scoring._gibbs import Draws, FloatArray, GibbsSampler, Priors
from fairpanel.scoring._precision import PRECISION_SHAPE, PrecisionSampler
from fairpanel.scoring._ranked import TAU_UPPER, RankSampler, check_ranks, rank_panel
from fairpanel.scoring._result import Diagnostics, ScoreResult, assemble

__all__ = ["METHODS", "score"]

Method = Literal["bayes", "eb"]
METHODS: Final[tuple[str, ...]] = ("bayes", "eb")
ReviewType = Literal["grades", "ranks"]
REVIEW_TYPES: Final[tuple[str, ...]] = ("grades", "ranks")

ERR_METHOD = "method must be one of {allowed}, got {method!r}"
ERR_CHAINS = "chains must be an integer of at least 2 (R-hat compares chains), got {chains!r}"
ERR_POSITIVE = "{name} must be a positive integer, got {value!r}"
ERR_EXTENSIONS = "max_extensions must be a non-negative integer, got {value!r}"
ERR_PRECISION_METHOD = (
    "reviewer precision is estimated by the full posterior: use method 'bayes', not {method!r}"
)
ERR_REVIEW_TYPE = "review_type must be 'grades' or 'ranks', got {review_type!r}"
ERR_RANKS_OPTIONS = (
    "ranked reviews are fitted by the full posterior: use method 'bayes' without "
    "reviewer precision (a ranking has no scale for a noise SD)"
)
ERR_TOO_FEW_SUBMISSIONS = "at least two submissions are needed for a ranking, got {n}"

#: Fraction of the scale's range bounding the uniform priors of the SDs, and the fixed
#: prior SD of a reviewer's leniency: ERforResearch's 2 and 0.5 on its 1–6 scale.
SD_UPPER_FRACTION: Final = 0.4
LENIENCY_SD_FRACTION: Final = 0.1
#: Convergence is checked on the submission effects of this many leading submissions.
DIAGNOSED: Final = 300


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        if name == "chains":
            raise ValueError(ERR_CHAINS.format(chains=value))
        if name == "max_extensions":
            raise ValueError(ERR_EXTENSIONS.format(value=value))
        raise ValueError(ERR_POSITIVE.format(name=name, value=value))
    return int(value)


def score(
    reviews: pd.DataFrame,
    *,
    rubric: Rubric | None = None,
    scale: tuple[int, int] | Scale | None = None,
    higher_is_better: bool = True,
    method: Method = "bayes",
    seed: Seed = None,
    chains: int = 4,
    draws: int = 1000,
    warmup: int = 500,
    max_extensions: int = 3,
    rhat_threshold: float = 1.01,
    ess_threshold: float = 400.0,
    reviewer_precision: bool = False,
    review_type: ReviewType = "grades",
    interval_levels: Sequence[float] = (),
) -> ScoreResult:
    """Calibrate a panel's scores and rank its submissions with honest uncertainty.

    Fits the Swiss National Science Foundation's panel model (Heyard, Ott, Salanti &
    Egger 2022): grade = overall mean + submission effect + reviewer-by-submission effect
    around the reviewer's leniency + noise, on each review's rubric total.

    Parameters
    ----------
    reviews : DataFrame
        The canonical long reviews table (:func:`fairpanel.io.load_reviews`): columns
        ``submission_id, reviewer_id, score`` and ``criterion`` (absent: one overall
        grade per review). Not every reviewer needs to score every submission.
    rubric : Rubric, optional
        Gives the criteria, weights, scale and its direction. Without it, a single
        overall grade on ``scale`` (default: the data's min–max) is assumed.
    scale : (int, int) or Scale, optional
        The scale's ends, or a :class:`~fairpanel.rubric.Scale` with its step and
        grades, when no rubric is given.
    higher_is_better : bool, default True
        The scale's direction when no rubric is given.
    method : {"bayes", "eb"}, default "bayes"
        ``"bayes"``: the full posterior by a blocked Gibbs sampler (ERforResearch's
        priors). ``"eb"``: REML variance components held fixed (fast; for simulations).
    seed : int, str, Generator or None, optional
        Seed for every random draw (chains and rank draws); the same seed gives the same
        result. Text is a seed too: digits read as their integer, other text hashed with
        SHA-256, so a committee can use any phrase (:func:`fairpanel._seed.as_rng`).
    chains, draws, warmup : int
        Number of chains (≥ 2), kept draws and warm-up iterations per chain. For
        ``"eb"``, ``chains × draws`` independent draws summarise the ranks.
    max_extensions : int, default 3
        If the chains have not converged, sample ``draws`` more per chain, at most this
        many times, before reporting the result as not converged.
    reviewer_precision : bool, default False
        Give every reviewer their own noise variance, with a shared inverse-gamma prior
        (``"bayes"`` only; :mod:`fairpanel.scoring._precision`): an erratic reviewer's
        grades count less. The reviewers table then gains ``noise_sd`` (posterior mean
        of the reviewer's noise SD, on the scale's points) and its 90% interval
        ``noise_sd_lo90``, ``noise_sd_hi90``.
    review_type : {"grades", "ranks"}, default "grades"
        ``"ranks"``: each review's ``score`` is the rank the reviewer gave the
        submission within their set (1 = best, ties share a rank), as in ALMA's
        distributed review; fitted by a rank-ordered probit model (``"bayes"`` only,
        :mod:`fairpanel.scoring._ranked`). The calibrated score is then the latent
        merit (probit units, higher is better) and the mean score the mean normalised
        rank (1 = always first).
    rhat_threshold, ess_threshold : float
        Convergence criteria on the submission effects (Vehtari et al. 2021) of the
        300 leading submissions (all of a smaller panel).
    interval_levels : sequence of float, default ()
        Rank-interval levels to add to the 50% and 90% ones every table has (0.8 adds
        ``rank_lo80`` and ``rank_hi80``), for a partial lottery decided at that level.
        Whole percentages between 1% and 99% (:func:`fairpanel._schema.interval_columns`).

    Returns
    -------
    ScoreResult

    Raises
    ------
    FairpanelInputError
        For a table the committee must fix (missing column, duplicate review, score off
        the scale, unknown criterion, fewer than two submissions).

    Examples
    --------
    >>> import pandas as pd
    >>> reviews = pd.DataFrame({
    ...     "submission_id": ["A", "A", "B", "B", "C", "C"],
    ...     "reviewer_id": ["r1", "r2", "r1", "r2", "r1", "r2"],
    ...     "score": [5, 6, 3, 4, 2, 2]})
    >>> result = score(reviews, scale=(1, 6), method="eb", seed=1)
    >>> result.table["submission_id"].tolist()
    ['A', 'B', 'C']
    >>> bool(result.diagnostics.converged)
    True
    """
    if method not in METHODS:
        raise ValueError(ERR_METHOD.format(allowed=", ".join(METHODS), method=method))
    if reviewer_precision and method != "bayes":
        raise ValueError(ERR_PRECISION_METHOD.format(method=method))
    if review_type not in REVIEW_TYPES:
        raise ValueError(ERR_REVIEW_TYPE.format(review_type=review_type))
    if review_type == "ranks" and (method != "bayes" or reviewer_precision):
        raise ValueError(ERR_RANKS_OPTIONS)
    chains = _check_int("chains", chains, 2)
    draws = _check_int("draws", draws, 4)
    warmup = _check_int("warmup", warmup, 1)
    max_extensions = _check_int("max_extensions", max_extensions, 0)
    levels = tuple(interval_levels)
    for level in levels:
        interval_columns(level)  # a level with no column name is refused before the fit
    if review_type == "ranks":
        ranked = from_reviews(reviews)
        check_ranks(ranked, reviews)
        return _score_ranks(
            ranked, seed, chains, draws, warmup, max_extensions,
            (rhat_threshold, ess_threshold), levels,
        )  # fmt: skip
    # Without a rubric the scale is the one given, else the data's own range.
    panel = from_reviews(
        reviews,
        rubric=rubric,
        scale="data" if scale is None else scale,
        higher_is_better=higher_is_better,
    )
    if panel.n_sub < 2:
        raise FairpanelInputError(ERR_TOO_FEW_SUBMISSIONS.format(n=panel.n_sub))
    rng = as_rng(seed)
    if method == "bayes":
        priors = Priors(
            sd_upper=SD_UPPER_FRACTION * panel.scale_range,
            leniency_sd=LENIENCY_SD_FRACTION * panel.scale_range,
        )
        kind = PrecisionSampler if reviewer_precision else GibbsSampler
        sampler = kind(panel, priors, rng.spawn(chains))
        # The sampler's matrices are small (reviewers × reviewers): a multithreaded BLAS
        # only adds spinning threads, which on a shared machine cost several times the
        # work itself. One thread, for the duration of the sampling.
        with threadpool_limits(limits=1, user_api="blas"):
            sampler.warm_up(warmup)
            post = sampler.sample(draws)
            extensions = 0
            while True:
                max_rhat, min_ess = _convergence(post.eta - post.mu[..., None])
                converged = max_rhat <= rhat_threshold and min_ess >= ess_threshold
                if converged or extensions >= max_extensions:
                    break
                post = post.extend(sampler.sample(draws))
                extensions += 1
        message = (
            "converged"
            if converged
            else f"not converged after {extensions} extensions: max R-hat {max_rhat:.4f}, "
            f"min bulk ESS {min_ess:.0f}"
        )
        diagnostics = Diagnostics(
            "bayes",
            converged,
            max_rhat,
            min_ess,
            rhat_threshold,
            ess_threshold,
            chains,
            post.eta.shape[1],
            warmup,
            extensions,
            message,
        )
        return _bayes_result(panel, post, diagnostics, priors, seed, rubric is not None, levels)
    with threadpool_limits(limits=1, user_api="blas"):
        fit = fit_eb(panel, chains=chains, draws=draws, rng=rng)
    message = "REML converged" if fit.converged else f"REML did not converge: {fit.message}"
    if fit.independent:
        diagnostics = Diagnostics(
            "eb", fit.converged, float("nan"), float(chains * draws), rhat_threshold,
            ess_threshold, 1, chains * draws, 0, 0, message,
        )  # fmt: skip
    else:
        # Draws of the blocked sampler (many reviewers), the variances fixed and the
        # chains started at the mode: checked with the split R-hat and the ESS of the
        # mean, which need no sort (rank-normalising would cost more than the draws).
        top = _leading(fit.eta_draws)
        max_rhat = float(np.max(rhat_split(top)))
        min_ess = float(np.min(ess_mean(top)))
        mixed = max_rhat <= rhat_threshold and min_ess >= ess_threshold
        diagnostics = Diagnostics(
            "eb", fit.converged and mixed, max_rhat, min_ess, rhat_threshold, ess_threshold,
            chains, draws, 0, 0,
            message if mixed else f"{message}; draws not mixed: max R-hat {max_rhat:.4f}, "
            f"min bulk ESS {min_ess:.0f}",
        )  # fmt: skip
    lam_mean = fit.lam
    components = {
        "overall_mean": float(panel.to_scale(np.array([fit.mu]))[0]),
        "submission_sd": float(np.sqrt(fit.tau2)),
        "leniency_sd": float(np.sqrt(fit.omega2)),
        "review_sd": float(np.sqrt(fit.s2)),
    }
    return assemble(
        panel,
        eta_mean=fit.eta,
        eta_sd=fit.eta_se,
        eta_chains=fit.eta_draws,
        lam_mean=lam_mean,
        lam_sd=fit.lam_se,
        diagnostics=diagnostics,
        components=components,
        method="eb",
        seed=seed,
        with_band=rubric is not None,
        interval_levels=levels,
    )


def _score_ranks(
    ranked: Panel,
    seed: Seed,
    chains: int,
    draws: int,
    warmup: int,
    max_extensions: int,
    thresholds: tuple[float, float],
    levels: tuple[float, ...],
) -> ScoreResult:
    if ranked.n_sub < 2:
        raise FairpanelInputError(ERR_TOO_FEW_SUBMISSIONS.format(n=ranked.n_sub))
    sampler = RankSampler(ranked, as_rng(seed).spawn(chains))
    sampler.run(warmup, keep=False)
    eta, tau = sampler.run(draws, keep=True)
    extensions = 0
    while True:
        max_rhat, min_ess = _convergence(eta)
        converged = max_rhat <= thresholds[0] and min_ess >= thresholds[1]
        if converged or extensions >= max_extensions:
            break
        more, more_tau = sampler.run(draws, keep=True)
        eta, tau = np.concatenate([eta, more], axis=1), np.concatenate([tau, more_tau], axis=1)
        extensions += 1
    message = "converged" if converged else (
        f"not converged after {extensions} extensions: max R-hat {max_rhat:.4f}, "
        f"min bulk ESS {min_ess:.0f}"
    )  # fmt: skip
    diagnostics = Diagnostics(
        "bayes", converged, max_rhat, min_ess, *thresholds, chains, eta.shape[1], warmup,
        extensions, message,
    )  # fmt: skip
    flat = eta.reshape(-1, ranked.n_sub)
    none = np.zeros(ranked.n_rev)  # a ranking carries no leniency
    components = {"submission_sd": float(tau.mean()), "ranking_noise_sd": 1.0,
                  "sd_prior_upper": TAU_UPPER}  # fmt: skip
    return assemble(
        rank_panel(ranked), eta_mean=flat.mean(axis=0), eta_sd=flat.std(axis=0, ddof=1),
        eta_chains=eta, lam_mean=none, lam_sd=none, diagnostics=diagnostics,
        components=components, method="bayes", seed=seed, with_band=False,
        interval_levels=levels,
    )  # fmt: skip


def _convergence(theta: FloatArray) -> tuple[float, float]:
    """Max R-hat and min bulk ESS of the submission effects of the leading submissions.

    Checked on the :data:`DIAGNOSED` submissions of highest posterior mean (all of a
    smaller panel): the decisions are made at the top, and rank-normalising every
    effect of a 1,700-submission cycle would cost more than sampling it.
    """
    lead = _leading(theta)
    return float(np.max(rhat(lead))), float(np.min(ess_bulk(lead)))


def _leading(theta: FloatArray) -> FloatArray:
    """Return the draws of the :data:`DIAGNOSED` submissions of highest posterior mean."""
    top = np.argsort(-theta.mean(axis=(0, 1)), kind="stable")[:DIAGNOSED]
    return theta[..., np.sort(top)]


def _bayes_result(
    panel: Panel,
    post: Draws,
    diagnostics: Diagnostics,
    priors: Priors,
    seed: Seed,
    with_band: bool,
    levels: tuple[float, ...],
) -> ScoreResult:
    n = panel.n_sub
    eta_flat = post.eta.reshape(-1, n)
    lam_flat = post.lam.reshape(-1, panel.n_rev)
    components = {
        "overall_mean": float(panel.to_scale(np.array([post.mu.mean()]))[0]),
        "submission_sd": float(post.tau.mean()),
        "leniency_sd": priors.leniency_sd,
        "review_sd": float(post.resid_sd.mean()),
        "sd_prior_upper": priors.sd_upper,
    }
    if post.noise_sd is not None:
        components["precision_prior_shape"] = PRECISION_SHAPE
    result = assemble(
        panel,
        eta_mean=eta_flat.mean(axis=0),
        eta_sd=eta_flat.std(axis=0, ddof=1),
        eta_chains=post.eta,
        lam_mean=lam_flat.mean(axis=0),
        lam_sd=lam_flat.std(axis=0, ddof=1),
        diagnostics=diagnostics,
        components=components,
        method="bayes",
        seed=seed,
        with_band=with_band,
        interval_levels=levels,
    )
    if post.noise_sd is None:
        return result
    noise = post.noise_sd.reshape(-1, panel.n_rev)
    lo, hi = np.quantile(noise, [0.05, 0.95], axis=0)
    reviewers = result.reviewers.assign(
        noise_sd=noise.mean(axis=0), noise_sd_lo90=lo, noise_sd_hi90=hi
    )
    return replace(result, reviewers=reviewers)
