"""fairpanel's Gibbs sampler vs PyMC's NUTS on the same SNSF panel model (target ≥ 20×).

Data: the SNSF project-funding MINT panel of April 2020 (Heyard et al. 2022 supplement;
2,838 votes, 353 proposals, 36 voters = section + assessor), read from the shared data
folder beside the repository; skipped with a message when it is absent.

Baseline: the same model written for PyMC — overall mean (flat), proposal effects
theta ~ N(0, tau) (non-centred, as NUTS prefers), voter leniency lambda ~ N(0, 0.5), and
the reviewer-by-proposal effect and the noise marginalised into one normal whose SD is
sqrt(tau_a² + sigma²), with tau, tau_a, sigma ~ Uniform(0, 2): ERforResearch's default
priors. 4 chains, PyMC's default NUTS (1,000 tuning + 1,000 draws each) with its default
choice of processes (on this shared machine it samples the chains sequentially); fairpanel
uses one core. Both timings are wall-clock, model construction and compilation included;
fairpanel's is the median of three runs around PyMC's.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from fairpanel._schema import ReviewColumns
from fairpanel.io import load_reviews
from fairpanel.scoring import ScoreResult, ess_bulk, rhat, score
from fairpanel.scoring._ranks import rank_draws

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "panel_votes_snsf_mint2020.csv"
TARGET = 20.0


def _load() -> pd.DataFrame:
    raw = pd.read_csv(DATA, dtype={"proposal": "str", "assessor": "str", "section": "str"})
    raw["voter"] = raw["section"] + "/" + raw["assessor"]
    return load_reviews(
        raw,
        columns=ReviewColumns(submission="proposal", reviewer="voter", score="num_grade"),
        source=str(DATA),
    )


def _pymc(reviews: pd.DataFrame, seed: int) -> tuple[np.ndarray, list[str], float]:
    import pymc as pm

    sub, subs = pd.factorize(reviews["submission_id"], sort=True)
    rev, revs = pd.factorize(reviews["reviewer_id"], sort=True)
    y = reviews["score"].to_numpy(dtype=float)
    with pm.Model():
        mu = pm.Flat("mu", initval=float(y.mean()))
        tau = pm.Uniform("tau", 1e-6, 2.0)
        z = pm.Normal("z", 0.0, 1.0, shape=len(subs))
        lam = pm.Normal("lam", 0.0, 0.5, shape=len(revs))
        tau_a = pm.Uniform("tau_a", 1e-6, 2.0)
        sigma = pm.Uniform("sigma", 1e-6, 2.0)
        eta = pm.Deterministic("eta", mu + tau * z)
        pm.Normal("y", eta[sub] + lam[rev], pm.math.sqrt(tau_a**2 + sigma**2), observed=y)
        idata = pm.sample(
            chains=4,
            random_seed=seed,
            progressbar=False,
            compute_convergence_checks=False,
        )
    post = idata.posterior
    eta_draws = post["eta"].to_numpy()  # (chains, draws, proposals)
    theta = post["z"].to_numpy() * post["tau"].to_numpy()[..., None]
    return eta_draws, [str(s) for s in subs], float(np.max(rhat(theta)))


def _time_ours(reviews: pd.DataFrame) -> tuple[ScoreResult, float]:
    start = time.perf_counter()
    result = score(reviews, scale=(1, 6), seed=2020)
    return result, time.perf_counter() - start


def run() -> None:
    if not DATA.is_file():
        print(f"skipped: {DATA} not found (the shared reference data sit beside the repo)")
        return
    try:
        import pymc  # noqa: F401
    except ImportError:
        print("skipped: PyMC is not installed (pip install fairpanel[bench])")
        return
    reviews = _load()
    n_sub = reviews["submission_id"].nunique()
    print(f"SNSF MINT 2020: {len(reviews)} votes, {n_sub} proposals, "
          f"{reviews['reviewer_id'].nunique()} voters")  # fmt: skip

    # fairpanel runs three times around the PyMC run (one before, two after) and its median
    # is used: the machine is shared, and a single second-long run is at the mercy of
    # whatever else runs in that second, while PyMC's minute-long run averages it out.
    ours, t_first = _time_ours(reviews)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyMC/ArviZ deprecation notices are not results
        eta, subs, pymc_rhat = _pymc(reviews, seed=2020)
    t_pymc = time.perf_counter() - start
    times = [t_first, _time_ours(reviews)[1], _time_ours(reviews)[1]]
    t_ours = float(np.median(times))

    ranks = rank_draws(eta).astype(float)
    er_pymc = pd.Series(ranks.reshape(-1, n_sub).mean(axis=0), index=subs)
    sd = ranks.reshape(-1, n_sub).std(axis=0, ddof=1)
    mcse_pymc = pd.Series(np.where(sd > 0, sd / np.sqrt(ess_bulk(ranks)), 0.0), index=subs)
    table = ours.table.set_index("submission_id")
    diff = (table["expected_rank"] - er_pymc[table.index]).abs()
    combined = np.sqrt(table["expected_rank_mcse"] ** 2 + mcse_pymc[table.index] ** 2)
    z = diff / combined.where(combined > 0, np.nan)
    d = ours.diagnostics
    print(
        f"fairpanel Gibbs: {t_ours:6.2f} s  (median of "
        f"{', '.join(f'{t:.2f}' for t in times)} s; {d.chains} chains × {d.draws} draws + "
        f"{d.warmup} warm-up, 1 core; max R-hat {d.max_rhat:.4f}, min bulk ESS {d.min_ess:.0f})"
    )
    print(
        f"PyMC NUTS:       {t_pymc:6.2f} s  (4 chains × 1000 draws + 1000 tuning, PyMC's default cores; "
        f"max R-hat {pymc_rhat:.4f})"
    )
    print(f"speed-up: {t_pymc / t_ours:.1f}× (target ≥ {TARGET:.0f}×)")
    print(f"expected ranks: max |difference| {diff.max():.3f} ranks; max difference / "
          f"combined Monte Carlo SE {z.max():.2f} (mean {z.mean():.2f}; ~N(0,1) if equal)")  # fmt: skip
