"""Vectorized bootstrap intervals for statistics with no closed form.

Resampling applicants with replacement only changes how many applicants fall in each
cell of the (group values × selected) table, and those counts are multinomial. So one
``Generator.multinomial(N, cell_shares, size=B)`` call draws every replicate at once,
exactly in distribution what resampling rows (as fairlearn's ``MetricFrame`` does) gives,
without touching the applicants again. All attributes share the same replicates.

The max–min gap's percentile bootstrap that lived here is gone: the maximum of noisy
rates minus their minimum is biased away from zero, and its interval excluded 0 where
the test of equal rates had p = 0.82. :mod:`fairpanel.audit._spread` replaces it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from fairpanel._seed import Seed, as_rng
from fairpanel.audit._stats import CONFIDENCE

__all__ = ["RATE_BOOTSTRAP_COLUMNS", "bootstrap_selection_rates"]

RATE_BOOTSTRAP_COLUMNS: Final[tuple[str, ...]] = ("attribute", "group", "ci_low", "ci_high")


def _replicates(
    cells: pd.DataFrame, attributes: Sequence[str], replicates: int, seed: Seed
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per attribute: ``(groups, n_boot (B×G), k_boot (B×G))`` from one joint draw."""
    rng = as_rng(seed)
    n = cells["applicants"].to_numpy(np.int64)
    k = cells["selected"].to_numpy(np.int64)
    counts = np.concatenate([k, n - k])
    total = int(counts.sum())
    draws = rng.multinomial(total, counts / total, size=replicates)
    k_b = draws[:, : len(cells)]
    n_b = k_b + draws[:, len(cells) :]
    out = {}
    for attr in attributes:
        codes, groups = pd.factorize(cells[attr].astype(str), sort=True)
        onehot = np.zeros((len(cells), len(groups)), dtype=np.int64)
        onehot[np.arange(len(cells)), codes] = 1
        out[attr] = (np.asarray(groups), n_b @ onehot, k_b @ onehot)
    return out


def _percentile(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    tail = (1 - CONFIDENCE) / 2
    lo, hi = np.nanquantile(x, [tail, 1 - tail], axis=0)
    return lo, hi


def bootstrap_selection_rates(
    cells: pd.DataFrame, attributes: Sequence[str], *, replicates: int = 2000, seed: Seed = None
) -> pd.DataFrame:
    """Percentile bootstrap intervals of each group's selection rate.

    ``cells`` has one row per combination of the attributes' values, with
    ``applicants`` and ``selected``. Used to check agreement with fairlearn's
    ``MetricFrame(n_boot=...)``; the audit's own rate interval is Wilson's.

    Parameters
    ----------
    cells : DataFrame
        One row per combination of the attributes' values (as
        :func:`fairpanel.audit_counts` builds it): a column per attribute, and the
        integer counts ``applicants`` and ``selected`` (``selected <= applicants``).
        Attribute values are compared as text.
    attributes : sequence of str
        The attribute columns to summarise, each on its own; all share the same
        replicates.
    replicates : int, default 2000
        Bootstrap replicates ``B``; the interval holds the central 95%
        (:data:`CONFIDENCE`) of the ``B`` replicate values.
    seed : int, str, Generator or None, optional
        Seed of the resampling (:func:`fairpanel._seed.as_rng`); the same seed gives
        the same interval; None draws fresh entropy.

    Returns
    -------
    DataFrame
        Columns ``attribute, group, ci_low, ci_high`` (:data:`RATE_BOOTSTRAP_COLUMNS`),
        one row per group of each attribute, groups in sorted order.

    Examples
    --------
    >>> cells = pd.DataFrame({"gender": ["f", "m"], "applicants": [40, 60],
    ...                       "selected": [10, 12]})
    >>> out = bootstrap_selection_rates(cells, ["gender"], replicates=500, seed=1)
    >>> out["group"].tolist(), bool((out["ci_low"] < out["ci_high"]).all())
    (['f', 'm'], True)
    """
    frames = []
    for attr, (groups, n_b, k_b) in _replicates(cells, attributes, replicates, seed).items():
        with np.errstate(divide="ignore", invalid="ignore"):
            lo, hi = _percentile(np.where(n_b > 0, k_b / n_b, np.nan))
        frames.append(
            pd.DataFrame({"attribute": attr, "group": groups, "ci_low": lo, "ci_high": hi})
        )
    return pd.concat(frames, ignore_index=True)[list(RATE_BOOTSTRAP_COLUMNS)]
