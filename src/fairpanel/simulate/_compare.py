"""Monte Carlo comparison of selection strategies on synthetic cycles with known merit."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize, stats

# seed_entropy is re-exported: fairpanel.simulate.seed_entropy is public.
from fairpanel._schema import RULE_STRATEGIES, SIMULATED_STRATEGIES
from fairpanel._seed import Seed, seed_entropy, seed_sequence
from fairpanel.simulate._kernels import (
    Draws,
    Panel,
    allocate_batch,
    draw_chunk,
    review_scores,
    score_panel,
    topk_mask,
)
from fairpanel.simulate._metrics import (
    METRICS,
    individual_table,
    merit_bin_index,
    merit_bins,
    replicate_metrics,
    tidy_table,
)
from fairpanel.simulate._ml import draw_features, fit_ml, ml_select
from fairpanel.simulate._progress import LazyProgress
from fairpanel.simulate._quota import quota_select
from fairpanel.simulate._result import (
    INDIVIDUAL_COLUMNS,
    SIMULATION_COLUMNS,
    SUMMARY_COLUMNS,
    SimulationResult,
)
from fairpanel.simulate._scenario import Scenario, load_scenario
from fairpanel.simulate._scenario_parse import check_replicates

__all__ = [
    "ALL_STRATEGIES",
    "INDIVIDUAL_COLUMNS",
    "SIMULATION_COLUMNS",
    "SUMMARY_COLUMNS",
    "SimulationResult",
    "compare",
    "default_strategies",
    "seed_entropy",
]

ERR_STRATEGY = "unknown strategy {name!r}; allowed: {allowed}"

#: Strategies ``compare`` accepts: the four batched rules, ``ml`` (slower; optional) and
#: ``quota-lottery``.
ALL_STRATEGIES: Final[tuple[str, ...]] = SIMULATED_STRATEGIES
ERR_METHOD = "unknown method {method!r}; allowed: {allowed}"
ERR_REPLICATES = "replicates must be a whole number ≥ 2, got {value!r}"
ERR_NO_STRATEGY = "choose at least one strategy"

Method = Literal["fast", "mean", "eb", "bayes"]
METHODS: Final[tuple[str, ...]] = ("fast", "mean", "eb", "bayes")

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

_N_BINS = 10
# Replicates per chunk are chosen so one chunk's review array holds about this many
# scores (≈ 50 MB of working arrays in all): large enough to amortise numpy calls,
# small enough to stay in memory on a laptop.
_CHUNK_SCORES = 750_000


def merit_edges(scenario: Scenario, bins: int = _N_BINS) -> npt.NDArray[np.float64]:
    """Quantiles of the scenario's merit distribution (a mixture of the groups' normals)."""
    sizes = scenario.group_sizes
    n = scenario.submissions
    comps = [(sizes[g] / n, scenario.merit_of(g)) for g in scenario.groups]

    def cdf(x: float) -> float:
        return float(sum(w * stats.norm.cdf(x, m.mean, m.sd) for w, m in comps))

    lo = min(m.mean - 10 * m.sd for _, m in comps)
    hi = max(m.mean + 10 * m.sd for _, m in comps)
    inner = [optimize.brentq(lambda x, p=p: cdf(x) - p, lo, hi) for p in np.arange(1, bins) / bins]
    return np.array([-np.inf, *inner, np.inf])


def default_strategies(scenario: Scenario) -> tuple[str, ...]:
    """Return the strategies compared unless others are named.

    The four rules, and the quota lottery when the scenario has quotas.

    Parameters
    ----------
    scenario : Scenario
        The simulated cycle.

    Examples
    --------
    >>> default_strategies(Scenario.from_dict({"submissions": 100, "capacity": 10,
    ...                    "quotas": [{"value": "b", "min": 6}]}))[-1]
    'quota-lottery'
    """
    return (*RULE_STRATEGIES, "quota-lottery") if scenario.quotas else tuple(RULE_STRATEGIES)


def compare(
    scenario: Scenario | str | Path,
    *,
    strategies: Sequence[str] | None = None,
    replicates: int = 1000,
    seed: Seed = None,
    method: Method = "fast",
    chunk_size: int | None = None,
    progress: bool | None = None,
) -> SimulationResult:
    """Run each strategy on the same simulated cycles and measure what it does.

    Every replicate draws true merit, then two independent panels (fresh reviewers,
    leniency, bias assignment and noise) score the same submissions; each strategy
    allocates the same capacity from each panel's calibrated scores.

    Parameters
    ----------
    scenario : Scenario or path
        The cycle to simulate (a YAML path is loaded with :func:`load_scenario`).
    strategies : sequence of str, optional
        Any of ``rank``, ``lottery``, ``partial-lottery``, ``tiered-lottery``,
        ``ml`` (a :class:`~fairpanel.ml.MLStrategy` trained once on simulated
        past cycles decided by ``rank``; it ranks each cycle from features alone — see
        :mod:`fairpanel.simulate._ml`) and ``quota-lottery`` (the maximin lottery over
        the panels that meet the scenario's ``quotas``, among ``lottery``'s entrants;
        see :mod:`fairpanel.simulate._quota`). Default: :func:`default_strategies`.
    replicates : int
        Simulated cycles.
    seed : int, str, SeedSequence, Generator or None
        Root seed; replicate ``r`` uses child ``r`` of its ``SeedSequence``
        (:func:`fairpanel._seed.seed_sequence`). Text (as the CLI's ``--seed`` takes) is
        turned into an integer by :func:`seed_entropy`; a Generator gives 128 bits of
        its stream. The result records the int or text given, else the root entropy.
    method : {"fast", "mean", "eb", "bayes"}
        ``fast``: calibrated scores with reviewer leniency removed by a one-step
        empirical Bayes estimate, batched over replicates (see ``score_panel``);
        ``mean``: plain mean of the reviews (no calibration), as a baseline; ``eb`` and
        ``bayes``: :func:`fairpanel.scoring.score` on each replicate's review table
        (the SNSF model by REML or Gibbs sampling; seconds per replicate, so for a few
        dozen replicates — a check of the fast path, not a study).
    chunk_size : int, optional
        Replicates computed together (memory bound); results do not depend on it.
    progress : bool, optional
        Show a progress bar on stderr after one second (default: when stderr is a terminal).

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> res = compare(Scenario(submissions=200, capacity=20), replicates=50, seed=1)
    >>> s = res.summary()
    >>> float(s.query("strategy == 'lottery' and metric == 'n_selected'")["mean"].iloc[0])
    20.0
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    strategies = default_strategies(sc) if strategies is None else tuple(strategies)
    if not strategies:
        raise ValueError(ERR_NO_STRATEGY)
    for name in strategies:
        if name not in ALL_STRATEGIES:
            raise ValueError(ERR_STRATEGY.format(name=name, allowed=", ".join(ALL_STRATEGIES)))
    if method not in METHODS:
        raise ValueError(ERR_METHOD.format(method=method, allowed=", ".join(METHODS)))
    if int(replicates) != replicates or replicates < 2:
        raise ValueError(ERR_REPLICATES.format(value=replicates))
    check_replicates(
        replicates, submissions=sc.submissions, reviews_per_submission=sc.reviews_per_submission
    )
    ss = seed_sequence(seed)
    children = ss.spawn(replicates)
    model = fit_ml(sc, ss.spawn(1)[0]) if "ml" in strategies else None

    n, k = sc.submissions, sc.k
    size = chunk_size or max(1, _CHUNK_SCORES // (n * sc.reviews_per_submission))
    bounds = _group_bounds(sc)
    edges = merit_edges(sc)
    n_s, n_g = len(strategies), len(bounds)
    scalars = np.empty((replicates, n_s, len(METRICS)))
    rates = np.empty((replicates, n_s, n_g))
    bin_total = np.zeros((n_s, _N_BINS), dtype=np.int64)
    bin_chosen = np.zeros((n_s, _N_BINS), dtype=np.int64)

    with LazyProgress(replicates, f"simulating {sc.name}", enabled=progress) as bar:
        for lo in range(0, replicates, size):
            hi = min(lo + size, replicates)
            rngs = [np.random.default_rng(child) for child in children[lo:hi]]
            draws = draw_chunk(sc, rngs)
            seeds = [int(ch.generate_state(1)[0]) for ch in children[lo:hi]]
            panels = [_score(sc, draws, p, method, seeds) for p in range(2)]
            oracle = topk_mask(draws.merit, k)
            bins = merit_bin_index(draws.merit, edges)
            if model is not None:
                feats = draw_features(sc, draws.merit, children[lo:hi])
            for j, name in enumerate(strategies):
                if name == "ml":
                    # The model ignores the panels: both "panels" select the same.
                    chosen = ml_select(model, sc, feats, draws.keys[0])
                    sel = [chosen, chosen]
                elif name == "quota-lottery":
                    sel = [
                        quota_select(sc, panels[p], draws.keys[p], draws.panel_keys[p], k)
                        for p in range(2)
                    ]
                else:
                    sel = [allocate_batch(name, sc, panels[p], draws.keys[p], k) for p in range(2)]
                scalars[lo:hi, j], rates[lo:hi, j] = replicate_metrics(
                    draws.merit, oracle, sel[0], sel[1], bounds
                )
                tot, cho = merit_bins(bins, sel[0], _N_BINS)
                bin_total[j] += tot
                bin_chosen[j] += cho
            bar.advance(hi - lo)

    return SimulationResult(
        scenario=sc,
        seed=seed if isinstance(seed, int | str) else _entropy(ss),
        replicates=replicates,
        strategies=strategies,
        table=tidy_table(scalars, rates, strategies, sc.groups),
        individual=individual_table(bin_total, bin_chosen, strategies, edges),
    )


def _entropy(ss: np.random.SeedSequence) -> int:
    return ss.entropy if isinstance(ss.entropy, int) else 0


def _score(sc: Scenario, draws: Draws, panel: int, method: str, seeds: list[int]) -> Panel:
    y, flat = review_scores(sc, draws, panel)
    if method in ("fast", "mean"):
        return score_panel(y, flat, sc.reviewers, calibrate=method == "fast")
    return _score_full(sc, y, flat, method, seeds)


def _score_full(sc: Scenario, y: F64, flat: I64, method: str, seeds: list[int]) -> Panel:
    """Score each replicate with :func:`fairpanel.scoring.score` (slow; few replicates)."""
    from fairpanel.scoring import score

    c, n, m = y.shape
    ids = np.array([f"S{i:05d}" for i in range(n)], dtype=object)
    sub = np.repeat(ids, m)
    cols = (
        "calibrated_score",
        "score_se",
        "expected_rank",
        "rank_lo50",
        "rank_hi50",
        "rank_lo90",
        "rank_hi90",
    )
    out = {col: np.empty((c, n)) for col in cols}
    for i in range(c):
        reviews = pd.DataFrame(
            {
                "submission_id": sub,
                "reviewer_id": np.char.add("R", (flat[i] % sc.reviewers).ravel().astype(str)),
                "score": y[i].ravel(),
            }
        )
        table = score(
            reviews,
            scale=(sc.scale_min, sc.scale_max),
            method="bayes" if method == "bayes" else "eb",
            seed=seeds[i],
        ).table.set_index("submission_id")
        for col in cols:
            out[col][i] = table.loc[ids, col].to_numpy(dtype=float)
    ranks = {
        "expected_rank": out["expected_rank"],
        "lo50": out["rank_lo50"],
        "hi50": out["rank_hi50"],
        "lo90": out["rank_lo90"],
        "hi90": out["rank_hi90"],
    }
    return Panel(score=out["calibrated_score"], se=out["score_se"], ranks=ranks)


def _group_bounds(sc: Scenario) -> list[tuple[int, int]]:
    ends = np.cumsum(list(sc.group_sizes.values()))
    starts = np.concatenate([[0], ends[:-1]])
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]
