"""Batched kernels: many simulated cycles at once, as arrays (replicates, submissions[, reviews]).

The per-cycle library functions (scoring, strategies) are written for one committee's
tables; calling them ten thousand times would spend the time in Python and pandas, not in
arithmetic. These kernels compute the same quantities for a whole chunk of replicates with
one numpy call each. Randomness is drawn per replicate from its own child generator into
preallocated chunk buffers, so results do not depend on how replicates are chunked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special

from fairpanel._schema import INTERVAL_LEVELS, RULE_STRATEGIES
from fairpanel.simulate._scenario import Scenario

__all__ = [
    "Draws",
    "Panel",
    "allocate_batch",
    "assign_reviewers",
    "draw_chunk",
    "score_panel",
    "select_best",
    "topk_mask",
]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

# Newton's method for the funding-line roots of the expected-count function (see
# ``gray_zone``): stop when the count is within 1e-3 of a rank of its target (two
# steps from the normal start in the example scenarios), at most 20 steps.
_NEWTON_TOL = 1e-3
_NEWTON_MAX = 20


@dataclass
class Draws:
    """The random numbers of one chunk of replicates (two independent panels)."""

    merit: F64  # (c, n) true merit
    noise: F64  # (2, c, n, m) standard normal review noise
    leniency: F64  # (2, c, R) standard normal reviewer leniency
    reviewer_draw: I64  # (2, c, n, m) integers u_j ~ U{0, …, R − 1 − j} (see assign_reviewers)
    keys: F64  # (2, c, n) uniform keys for lotteries and tie-breaks
    panel_keys: F64  # (2, c) one uniform per panel: the quota lottery's group counts


@dataclass
class Panel:
    """One panel's calibrated scores: posterior mean and SD of each submission's merit.

    ``ranks`` (from the full scorer only) holds posterior rank summaries:
    ``expected_rank`` and ``lo50, hi50, lo90, hi90``, each (c, n); the partial lottery
    then uses them directly instead of the normal approximation.
    """

    score: F64  # (c, n) calibrated score on the rubric scale (higher = better)
    se: F64  # (c, n) its posterior SD
    ranks: dict[str, F64] | None = None


def group_index(scenario: Scenario) -> I64:
    """Group number of each submission (groups are contiguous blocks; order is irrelevant)."""
    sizes = list(scenario.group_sizes.values())
    return np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)


def draw_chunk(scenario: Scenario, rngs: list[np.random.Generator]) -> Draws:
    """Draw every random number a chunk of replicates needs, one generator per replicate.

    These draws are the whole random workload of the simulation (the benchmark's floor):
    true merit, review noise, leniency and reviewer assignment for two panels, and one
    uniform key per submission and panel shared by the lotteries and tie-breaks.
    """
    c, n = len(rngs), scenario.submissions
    m, r = scenario.reviews_per_submission, scenario.reviewers
    highs = r - np.arange(m)
    draws = Draws(
        merit=np.empty((c, n)),
        noise=np.empty((2, c, n, m)),
        leniency=np.empty((2, c, r)),
        reviewer_draw=np.empty((2, c, n, m), dtype=np.int64),
        keys=np.empty((2, c, n)),
        panel_keys=np.empty((2, c)),
    )
    for i, rng in enumerate(rngs):
        rng.standard_normal(out=draws.merit[i])
        for p in range(2):
            rng.standard_normal(out=draws.noise[p, i])
            rng.standard_normal(out=draws.leniency[p, i])
            draws.reviewer_draw[p, i] = rng.integers(0, highs, size=(n, m))
            rng.random(out=draws.keys[p, i])
        # Drawn after everything else, so adding them changed no earlier stream.
        draws.panel_keys[:, i] = rng.random(2)
    # Group merit distributions: scale and shift the standard normals in place.
    mean = np.array([scenario.merit_of(g).mean for g in scenario.groups])
    sd = np.array([scenario.merit_of(g).sd for g in scenario.groups])
    gi = group_index(scenario)
    if np.any(mean != 0) or np.any(sd != 1):
        draws.merit *= sd[gi]
        draws.merit += mean[gi]
    return draws


def assign_reviewers(u: I64) -> I64:
    """Distinct reviewers for each submission: a uniform draw of m of R without replacement.

    ``u[..., j]`` is uniform on ``0 … R − 1 − j``; it is read as the position among the
    reviewers not yet chosen for that submission (skip each earlier choice at or below
    it, in increasing order). Every ordered m-tuple of distinct reviewers is equally
    likely, so co-reviewers are random and leniency can be separated from merit.
    """
    out = u.copy()
    for j in range(1, u.shape[-1]):
        if j == 1:
            earlier = out[..., :1]
        elif j == 2:
            a, b = out[..., 0], out[..., 1]
            earlier = np.stack([np.minimum(a, b), np.maximum(a, b)], axis=-1)
        else:
            earlier = np.sort(out[..., :j], axis=-1)
        v = out[..., j]
        for t in range(j):
            v += v >= earlier[..., t]
    return out


def review_scores(scenario: Scenario, draws: Draws, panel: int) -> tuple[F64, I64]:
    """Scores on the rubric scale (c, n, m) and flat reviewer indices (c, n, m) of one panel.

    Flat indices number reviewer ``r`` of replicate ``i`` as ``i * R + r``, so one
    ``np.bincount`` sums over every reviewer of every replicate of the chunk.
    """
    sc = scenario
    r = sc.reviewers
    reviewer = assign_reviewers(draws.reviewer_draw[panel])
    c = reviewer.shape[0]
    flat = reviewer + (np.arange(c, dtype=np.int64) * r)[:, None, None]
    latent = draws.noise[panel] * sc.noise_sd
    latent += draws.merit[:, :, None]
    if sc.leniency_sd > 0:
        latent += sc.leniency_sd * draws.leniency[panel].ravel()[flat]
    if sc.bias is not None and sc.bias.size > 0:
        # The first round(share * R) reviewers of each panel are the biased ones; the
        # assignment is random, so which reviewers they are does not matter.
        n_biased = round(sc.bias.share_of_reviewers * r)
        target = group_index(sc) == sc.groups.index(sc.bias.against)
        hit = (reviewer < n_biased) & target[None, :, None]
        latent -= sc.bias.size * hit
    y = sc.scale_center + sc.scale_spread * latent
    if sc.rounding:
        np.rint(y, out=y)
        np.clip(y, sc.scale_min, sc.scale_max, out=y)
    return y, flat


def _mean_last(a: F64) -> F64:
    """Mean over a short last axis (reviews): slice sums beat a ufunc reduction there."""
    out = a[..., 0].copy()
    for j in range(1, a.shape[-1]):
        out += a[..., j]
    out /= a.shape[-1]
    return out


def score_panel(
    y: F64, flat: I64, n_reviewers: int, *, calibrate: bool = True, sweeps: int = 4
) -> Panel:
    """Fast calibrated scores for a chunk: reviewer leniency removed, then EB shrinkage.

    Model (per replicate): ``y = μ + θ_i + b_r + e``, ``b_r ~ N(0, τ²)``, ``e ~ N(0, σ²)``
    — the SNSF model of Heyard et al. (2022) without the reviewer-by-submission term,
    which the noise absorbs for one review per pair. Each simulated reviewer scores many
    submissions, so leniency is estimated as the reviewer's mean deviation from the
    submissions' (leniency-corrected) means; ``sweeps`` rounds of backfitting converge to
    the least-squares additive fit on a random design. Each estimate, with sampling
    variance ``v_r ≈ σ² m / ((m − 1) n_r)``, is shrunk by ``τ²/(τ² + v_r)`` with ``σ²``
    from the residuals and ``τ²`` by moments — a one-step empirical Bayes. The
    calibrated means then get an EB normal prior whose posterior mean and SD are
    returned (the closed-form analogue of the model's posterior). With
    ``calibrate=False`` leniency is not removed: the plain mean with the same EB step.
    """
    c, n, m = y.shape
    size = c * n_reviewers
    ybar = _mean_last(y)
    dev = y - ybar[:, :, None]
    within = np.einsum("ijk,ijk->i", dev, dev) / (n * (m - 1))  # σ² + τ² (m−1)/m
    if not calibrate:
        return _shrink(ybar, np.broadcast_to((within / m)[:, None], ybar.shape))
    idx = flat.ravel()
    n_r = np.bincount(idx, minlength=size).reshape(c, n_reviewers).astype(float)
    active = n_r > 0
    safe_n = np.where(active, n_r, 1.0)
    n_active = active.sum(axis=1)
    theta = ybar
    b = np.zeros((c, n_reviewers))
    for _ in range(sweeps):
        resid = (y - theta[:, :, None]).ravel()
        b = np.bincount(idx, weights=resid, minlength=size).reshape(c, n_reviewers) / safe_n
        b -= (np.where(active, b, 0.0).sum(axis=1) / n_active)[:, None]
        b = np.where(active, b, 0.0)
        theta = ybar - _mean_last(b.ravel()[flat])
    resid = y - theta[:, :, None] - b.ravel()[flat]
    dof = np.maximum(n * m - n - n_active + 1, 1)
    sig2 = np.maximum(np.einsum("ijk,ijk->i", resid, resid) / dof, 1e-12)
    v_r = np.where(active, sig2[:, None] * m / ((m - 1) * safe_n), 0.0)
    b_var = (b**2).sum(axis=1) / np.maximum(n_active - 1, 1)
    tau2 = np.maximum(b_var - v_r.sum(axis=1) / n_active, 0.0)[:, None]
    total = tau2 + v_r
    # No leniency detected (τ² = 0) or a reviewer without reviews: nothing to remove.
    shrink = np.divide(tau2, total, out=np.zeros_like(total), where=total > 0)
    b_hat = (b * shrink).ravel()
    post_var_b = (shrink * v_r).ravel()
    x = ybar - _mean_last(b_hat[flat])
    se2 = (sig2[:, None] + _mean_last(post_var_b[flat])) / m
    return _shrink(x, se2)


def _shrink(x: F64, se2: F64) -> Panel:
    """EB normal prior on the submissions' means: posterior mean and SD."""
    grand = x.mean(axis=1, keepdims=True)
    var_theta = np.maximum(x.var(axis=1, ddof=1) - se2.mean(axis=1), 1e-12)[:, None]
    weight = var_theta / (var_theta + se2)
    return Panel(score=grand + weight * (x - grand), se=np.sqrt(weight * se2))


def topk_mask(key: F64, k: int) -> B:
    """Boolean mask of the ``k`` largest keys in each row (``np.argpartition``)."""
    n = key.shape[1]
    idx = np.argpartition(key, n - k, axis=1)[:, n - k :]
    mask = np.zeros(key.shape, dtype=bool)
    np.put_along_axis(mask, idx, True, axis=1)
    return mask


def select_best(priority: F64, keys: F64, k: int) -> B:
    """Select the ``k`` best of each row by ``priority``, exact ties by the larger key.

    The order is exactly lexicographic in (priority, key), as the strategies' blocks are
    (:func:`~fairpanel.strategies._engine.blocks_from_score`): any difference in
    priority decides, however small, and equal priorities (the same score, or the same
    expected rank) are ordered by the uniform keys, i.e. by lot — whatever the
    magnitude of the scores.

    Parameters
    ----------
    priority : ndarray, shape (c, n)
        Higher is selected first; ``-inf`` for those that never enter.
    keys : ndarray, shape (c, n)
        Uniform keys in [0, 1), one per submission and replicate.
    k : int
        Places per replicate.
    """
    c, n = priority.shape
    if k <= 0:
        return np.zeros((c, n), dtype=bool)
    if k >= n:
        return np.ones((c, n), dtype=bool)
    # The k-th largest priority of each row: above it, in; at it, by key; below, out.
    line = -np.partition(-priority, k - 1, axis=1)[:, k - 1 : k]
    return topk_mask(np.where(priority > line, 2.0, np.where(priority == line, keys, -1.0)), k)


def gray_zone(panel: Panel, k: int, interval: float) -> tuple[B, B]:
    """Funded and lottery tiers of the partial lottery from normal-approximation rank intervals.

    The rule is :class:`~fairpanel.strategies.PartialLotteryStrategy`'s (Heyard et al.
    2022; ERforResearch): the funding line is the expected rank of the ``k``-th
    submission; a submission is funded when its whole rank interval lies above the line
    (``hi < line``), rejected when it lies below (``lo > line``), and otherwise — always
    for the ``k``-th itself — it enters the lottery.

    Ranks come from the approximate posterior ``θ_j ~ N(μ_j, s_j²)`` instead of posterior
    draws: the expected rank of the ``k``-th is ``1 + Σ_{j≠k} Φ((μ_j − μ_k)/√(s_j² + s_k²))``,
    and submission i's rank at a quantile of its own merit ``x`` is
    ``1 + Σ_{j≠i} Φ((μ_j − x)/s_j)`` (the expected number of others above it), with
    ``x = μ_i ∓ z s_i`` for the ``interval`` rank interval. The count
    ``C(x) = Σ_j Φ((μ_j − x)/s_j)`` is the same function for everyone, so each
    replicate needs only two roots, ``C(x_f) = line − 1 + Φ(z)`` and
    ``C(x_r) = line − 1 + Φ(−z)``, found by Newton's method: funded iff
    ``μ_i − z s_i > x_f``, rejected iff ``μ_i + z s_i < x_r``. The approximation ignores
    the spread of the others' count given θ_i, so its intervals are a little narrower
    than sampled ones (tests: at most two submissions at each edge of the gray zone).
    """
    if panel.ranks is not None and interval in INTERVAL_LEVELS:
        return _gray_zone_from_ranks(panel.ranks, k, interval)
    mu, s = panel.score, panel.se
    c, n = mu.shape
    z = float(special.ndtri((1 + interval) / 2))
    kth = np.argpartition(-mu, k - 1, axis=1)[:, k - 1 : k]  # (c, 1)
    mu_k = np.take_along_axis(mu, kth, axis=1)
    s_k = np.take_along_axis(s, kth, axis=1)
    line = 0.5 + special.ndtr((mu - mu_k) / np.sqrt(s * s + s_k * s_k)).sum(axis=1)  # (c,)
    target = line[:, None] - 1 + np.array([special.ndtr(z), special.ndtr(-z)])[None, :]
    # Start where C would be if the μ_j were normal: mean μ, variance Var(μ) + mean s².
    spread = np.sqrt(mu.var(axis=1) + (s * s).mean(axis=1))[:, None]
    p_above = np.clip(target / n, 0.5 / n, 1 - 0.5 / n)
    x = (mu.mean(axis=1)[:, None] + spread * special.ndtri(1 - p_above))[:, :, None]
    inv_s = (1 / s)[:, None, :]
    for _ in range(_NEWTON_MAX):
        u = (mu[:, None, :] - x) * inv_s  # (c, 2, n)
        excess = special.ndtr(u).sum(axis=2) - target
        if np.abs(excess).max() < _NEWTON_TOL:
            break
        slope = (np.exp(-0.5 * u * u) * inv_s).sum(axis=2) / np.sqrt(2 * np.pi)
        x = x + (excess / np.maximum(slope, 1e-300))[:, :, None]
    x_f, x_r = x[:, 0], x[:, 1]
    funded = mu - z * s > x_f
    rejected = mu + z * s < x_r
    on_line = np.zeros((c, n), dtype=bool)
    np.put_along_axis(on_line, kth, True, axis=1)
    funded &= ~on_line
    rejected &= ~on_line
    return funded, ~funded & ~rejected


def _gray_zone_from_ranks(ranks: dict[str, F64], k: int, interval: float) -> tuple[B, B]:
    """Return the partial-lottery tiers from posterior rank summaries (the strategy's rule)."""
    er = ranks["expected_rank"]
    pct = 50 if interval == 0.5 else 90
    lo, hi = ranks[f"lo{pct}"], ranks[f"hi{pct}"]
    kth = np.argpartition(er, k - 1, axis=1)[:, k - 1 : k]
    line = np.take_along_axis(er, kth, axis=1)
    on_line = er == line
    funded = (hi < line) & ~on_line
    rejected = (lo > line) & ~on_line
    return funded, ~funded & ~rejected


def tier_weight(scenario: Scenario, score: F64) -> F64:
    """Tiered-lottery weight of each calibrated score (0 below the last tier)."""
    w = np.zeros_like(score)
    for tier in reversed(scenario.tiers):  # best tier last, so it wins
        w[score >= tier.min_score] = tier.weight
    return w


def allocate_batch(strategy: str, scenario: Scenario, panel: Panel, keys: F64, k: int) -> B:
    """Return the selected mask (c, n) of one strategy, with the strategies' semantics.

    The real lotteries draw with a hash-based key so that a draw can be verified; the
    simulation needs only draws with the same distribution, so uniform numpy keys are
    used here (a verifiable key is uniform too). ``quota-lottery`` has its own kernel
    (:func:`fairpanel.simulate._quota.quota_select`).
    """
    mu = panel.score
    if strategy == "rank":
        # Top k by calibrated score; exact ties at the line are broken by lot.
        return select_best(mu, keys, k)
    if strategy == "lottery":
        if scenario.quality_bar is None:
            return topk_mask(keys, k)
        eligible = mu >= scenario.quality_bar
        return topk_mask(np.where(eligible, keys, -1.0), k) & eligible
    if strategy == "partial-lottery":
        funded, lottery = gray_zone(panel, k, scenario.partial_lottery_interval)
        # Funded first, best first if ever more than k (by expected rank, as the strategy
        # orders them, else by score; equal ones by lot), then a uniform draw among the
        # gray zone: every lottery entrant shares one priority below every funded one.
        order = -panel.ranks["expected_rank"] if panel.ranks is not None else mu
        floor = order.min(axis=1, keepdims=True) - 1.0
        priority = np.where(funded, order, np.where(lottery, floor, -np.inf))
        return select_best(priority, keys, k) & (funded | lottery)
    if strategy == "tiered-lottery":
        # Efraimidis–Spirakis (2006): the k largest U^(1/w), i.e. the k largest ln(U)/w,
        # is a weighted draw without replacement (successive sampling).
        w = tier_weight(scenario, mu)
        eligible = w > 0
        with np.errstate(divide="ignore"):
            key = np.where(eligible, np.log(keys) / np.where(eligible, w, 1.0), -np.inf)
        return topk_mask(key, k) & eligible
    raise ValueError(f"unknown strategy {strategy!r}; allowed: {', '.join(RULE_STRATEGIES)}")
