"""Bootstrap confidence intervals for Krippendorff's α, resampling submissions.

Submissions (units) are the sampled entities of a review panel, so replicates resample
them with replacement (the unit bootstrap of Zapf et al. 2016). α is a ratio of sums over
units of each unit's contribution to the coincidence matrix, so every replicate's matrix
is one row of ``weights @ contributions``: all replicates come from a few matrix products,
without a Python loop over units or replicates (only over blocks of replicates, to bound
memory).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from fairpanel._seed import Seed, as_rng
from fairpanel.panel import Panel
from fairpanel.reliability._alpha import LEVELS, delta2, pairable_counts

__all__ = ["alpha_bootstrap", "alpha_replicates"]

ERR_N_BOOT = "n_boot must be a positive whole number, got {n_boot!r}"

#: Replicates per block: a block holds block × V² doubles.
_BLOCK: Final[int] = 256


def alpha_replicates(
    panel: Panel, level: str, weights: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """α for each row of unit ``weights`` (replicates × pairable units).

    Row b of ``weights`` says how many times each pairable unit (in the order of
    :func:`~fairpanel.reliability._alpha.pairable_counts`) occurs in replicate b. A
    replicate whose values are all equal has no expected disagreement: its α is NaN.
    """
    counts, unit_w, values = pairable_counts(panel)
    n_values = values.size
    # Each unit's contribution to the coincidence matrix, flattened: (U, V²).
    contrib = counts[:, :, None] * counts[:, None, :]
    contrib[:, np.arange(n_values), np.arange(n_values)] -= counts
    contrib = (contrib * unit_w[:, None, None]).reshape(counts.shape[0], -1)
    fixed = None if level == "ordinal" else delta2(level, values, counts.sum(axis=0))
    out = np.empty(weights.shape[0])
    for start in range(0, weights.shape[0], _BLOCK):
        o = (weights[start : start + _BLOCK] @ contrib).reshape(-1, n_values, n_values)
        n_c = o.sum(axis=2)
        n = n_c.sum(axis=1)
        d2 = delta2(level, values, n_c) if fixed is None else fixed[None, :, :]
        observed = (o * d2).sum(axis=(1, 2))
        expected = np.einsum("bc,bk,bck->b", n_c, n_c, np.broadcast_to(d2, o.shape))
        with np.errstate(divide="ignore", invalid="ignore"):
            out[start : start + _BLOCK] = np.where(
                expected > 0, 1.0 - (n - 1.0) * observed / expected, np.nan
            )
    return out


def alpha_bootstrap(
    panel: Panel,
    *,
    levels: tuple[str, ...] = LEVELS,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: Seed = None,
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals for α at each level, from one set of replicates.

    The same resampled submissions serve every level, so the intervals are comparable.
    """
    if n_boot < 1 or int(n_boot) != n_boot:
        raise ValueError(ERR_N_BOOT.format(n_boot=n_boot))
    rng = as_rng(seed)
    n_units = pairable_counts(panel)[0].shape[0]
    weights = rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=n_boot).astype(float)
    tail = 100.0 * (1.0 - confidence) / 2.0
    out: dict[str, tuple[float, float]] = {}
    for level in levels:
        reps = alpha_replicates(panel, level, weights)
        reps = reps[np.isfinite(reps)]
        if reps.size == 0:
            out[level] = (float("nan"), float("nan"))
            continue
        low, high = np.percentile(reps, [tail, 100.0 - tail])
        out[level] = (float(low), float(high))
    return out
