"""The ``ml`` strategy in the simulation: a model trained on past cycles' decisions.

Each simulated submission gets three features: ``track_record`` (true merit plus noise:
informative), ``proxy`` (tracks the group the biased reviewers mark down: a proxy of a
group attribute) and ``noise`` (uninformative). The model —
:class:`fairpanel.ml.MLStrategy`, a logistic-regression pipeline with the group
attribute excluded from its features — is trained once on ``ml_history_cycles`` past
cycles of the same scenario, decided by ``rank`` on one panel's calibrated scores (so the
history carries the panel's bias), and then ranks each new cycle from its features
alone. It ignores the panels, so its two "panels" always agree (consistency 1): its
errors are systematic, not noise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel.simulate._kernels import (
    draw_chunk,
    group_index,
    review_scores,
    score_panel,
    select_best,
)
from fairpanel.simulate._scenario import Scenario

__all__ = ["FEATURES", "draw_features", "fit_ml", "ml_select"]

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

FEATURES = ("track_record", "proxy", "noise")


def _proxy_target(sc: Scenario) -> npt.NDArray[np.bool_]:
    target = sc.bias.against if sc.bias is not None else sc.groups[-1]
    out: npt.NDArray[np.bool_] = group_index(sc) == sc.groups.index(target)
    return out


def draw_features(sc: Scenario, merit: F64, seeds: list[np.random.SeedSequence]) -> F64:
    """Features (c, n, 3) of a chunk, from a stream of their own per replicate.

    The features use a child of each replicate's seed, so adding ``ml`` to a comparison
    leaves every other strategy's results unchanged.
    """
    c, n = merit.shape
    z = np.empty((c, n, 3))
    for i, ss in enumerate(seeds):
        np.random.default_rng(ss.spawn(1)[0]).standard_normal(out=z[i])
    feats = np.empty_like(z)
    feats[..., 0] = merit + sc.ml_feature_noise_sd * z[..., 0]
    feats[..., 1] = sc.ml_proxy_strength * _proxy_target(sc)[None, :] + z[..., 1]
    feats[..., 2] = z[..., 2]
    return feats


def _frame(sc: Scenario, feats: F64) -> pd.DataFrame:
    c = feats.shape[0]
    groups = np.array(sc.groups, dtype=object)[group_index(sc)]
    data: dict[str, Any] = {name: feats[..., j].ravel() for j, name in enumerate(FEATURES)}
    data[sc.group_attribute] = np.tile(groups, c)
    return pd.DataFrame(data)


def fit_ml(sc: Scenario, seed: np.random.SeedSequence) -> Any:
    """Train :class:`~fairpanel.ml.MLStrategy` on simulated past decisions."""
    # Imported here: scikit-learn loads slowly, and only the ml strategy needs it.
    from fairpanel.ml import MLStrategy

    cycles = seed.spawn(sc.ml_history_cycles)
    draws = draw_chunk(sc, [np.random.default_rng(s) for s in cycles])
    y, flat = review_scores(sc, draws, 0)
    panel = score_panel(y, flat, sc.reviewers)
    selected = select_best(panel.score, draws.keys[0], sc.k)
    history = _frame(sc, draw_features(sc, draws.merit, cycles))
    history["selected"] = selected.ravel().astype(int)
    history.insert(0, "submission_id", [f"H{i:07d}" for i in range(len(history))])
    return MLStrategy(groups=[sc.group_attribute], seed=0).fit(history)


def ml_select(model: Any, sc: Scenario, feats: F64, keys: F64) -> B:
    """Return the selected mask (c, n): the top ``k`` by predicted probability."""
    c, n, _ = feats.shape
    score = np.asarray(model.predict(_frame(sc, feats)), dtype=float).reshape(c, n)
    return select_best(score, keys, sc.k)
