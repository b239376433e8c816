"""Krippendorff's α for nominal, ordinal, interval and ratio data, missing values allowed.

Follows Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": values are
paired within units (submissions) through the coincidence matrix

    o_ck = Σ_u  (n_uc n_uk − [c = k] n_uc) / (m_u − 1),

over units with m_u ≥ 2 pairable values, and

    α = 1 − D_o / D_e = 1 − (n − 1) Σ o_ck δ²_ck / Σ n_c n_k δ²_ck.

The value counts n_uc come from one ``numpy.bincount`` and the coincidence matrix from one
matrix product: no Python loop over units.
"""

from __future__ import annotations

from typing import Any, Final, Literal, get_args

import numpy as np
import numpy.typing as npt

from fairpanel._errors import FairpanelInputError
from fairpanel.panel import Panel, as_panel
from fairpanel.rubric import Rubric

__all__ = [
    "LEVELS",
    "Level",
    "alpha_from_panel",
    "coincidence_matrix",
    "delta2",
    "krippendorff_alpha",
    "pairable_counts",
]

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: Final[tuple[str, ...]] = get_args(Level)

ERR_LEVEL = "level must be one of {allowed}, got {level!r}"
ERR_NO_PAIRS = (
    "no submission has two or more scores, so there is nothing to compare for Krippendorff's alpha"
)
ERR_ONE_VALUE = (
    "every score is the same value ({value}), so Krippendorff's alpha is undefined "
    "(no expected disagreement)"
)
ERR_RATIO_NEGATIVE = "the ratio level needs non-negative scores (an absolute zero), got {value}"


def krippendorff_alpha(
    reviews: Any,
    *,
    level: Level = "interval",
    rubric: Rubric | None = None,
    criterion: str | None = None,
) -> float:
    """Krippendorff's α of reviewers' scores.

    Parameters
    ----------
    reviews : DataFrame or array_like
        The canonical long reviews table (``submission_id``, ``reviewer_id``, ``score``,
        optionally ``criterion``), or a wide matrix with one row per submission (unit) and
        one column per reviewer (observer), NaN where a reviewer did not score. Note that
        this is the transpose of Krippendorff's observers × units layout.
    level : {'nominal', 'ordinal', 'interval', 'ratio'}, default 'interval'
        Level of measurement: which difference function δ² compares two values.
    rubric : Rubric, optional
        Needed when the reviews score several criteria (α is computed on review totals).
    criterion : str, optional
        Compute on this criterion's scores only.

    Returns
    -------
    float
        α: 1 is perfect agreement, 0 agreement no better than chance; negative values mean
        systematic disagreement.

    Raises
    ------
    FairpanelInputError
        If no submission has two scores, or every score is the same value.

    Examples
    --------
    Krippendorff (2011), the 4 observers × 12 units example with missing values
    (transposed: one row per unit):

    >>> import numpy as np
    >>> nan = np.nan
    >>> data = np.array([
    ...     [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...     [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...     [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...     [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]).T
    >>> round(krippendorff_alpha(data, level="nominal"), 3)
    0.743
    >>> round(krippendorff_alpha(data, level="interval"), 3)
    0.849
    """
    if level not in LEVELS:
        raise ValueError(ERR_LEVEL.format(allowed=", ".join(LEVELS), level=level))
    return alpha_from_panel(as_panel(reviews, rubric=rubric, criterion=criterion), level)


def coincidence_matrix(
    panel: Panel,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return the coincidence matrix of the pairable values and the sorted values it indexes.

    Parameters
    ----------
    panel : Panel
        The panel; units are its submissions, values its ``raw_total``.

    Returns
    -------
    o : ndarray, shape (V, V)
        ``o[c, k]`` = number of c–k pairs within units, each unit weighted 1 / (m_u − 1).
    values : ndarray, shape (V,)
        The distinct pairable values, ascending.
    """
    counts, weights, values = pairable_counts(panel)
    o = (counts * weights[:, None]).T @ counts
    o[np.diag_indices_from(o)] -= (counts * weights[:, None]).sum(axis=0)
    return o, values


def pairable_counts(
    panel: Panel,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Value counts n_uc of the pairable units, their weights 1 / (m_u − 1), the values.

    Only units with two or more values, and only values occurring in them, are kept: a
    lone value pairs with nothing and carries no information on agreement.

    Parameters
    ----------
    panel : Panel
        The panel; units are its submissions, values its ``raw_total``.
    """
    values, code = np.unique(panel.raw_total, return_inverse=True)
    n_units, n_values = panel.n_sub, values.size
    counts = (
        np.bincount(panel.sub * n_values + code, minlength=n_units * n_values)
        .reshape(n_units, n_values)
        .astype(float)
    )
    m_u = counts.sum(axis=1)
    pairable = m_u >= 2
    if not pairable.any():
        raise FairpanelInputError(ERR_NO_PAIRS)
    counts = counts[pairable]
    keep = counts.sum(axis=0) > 0
    return counts[:, keep], 1.0 / (m_u[pairable] - 1.0), values[keep]


def delta2(
    level: str, values: npt.NDArray[np.float64], n_c: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Return the squared difference δ²_ck between every pair of values at ``level``."""
    c, k = values[:, None], values[None, :]
    if level == "nominal":
        return np.not_equal(c, k).astype(np.float64)
    if level == "interval":
        squared: npt.NDArray[np.float64] = (c - k) ** 2
        return squared
    if level == "ratio":
        total = c + k
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(total == 0, 0.0, ((c - k) / np.where(total == 0, 1.0, total)) ** 2)
    # Ordinal: (Σ_{g=c}^{k} n_g − (n_c + n_k) / 2)², ranks taken from the pairable values'
    # marginal frequencies (Krippendorff 2011, section E). ``n_c`` may carry leading
    # (bootstrap replicate) axes; the result then has shape (..., V, V).
    cum = np.cumsum(n_c, axis=-1)
    i, j = np.meshgrid(np.arange(values.size), np.arange(values.size), indexing="ij")
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    between = cum[..., hi] - cum[..., lo] + n_c[..., lo]
    ordinal: npt.NDArray[np.float64] = (between - (n_c[..., i] + n_c[..., j]) / 2.0) ** 2
    return ordinal


def alpha_from_panel(panel: Panel, level: str) -> float:
    """Compute :func:`krippendorff_alpha` on a panel already built (:mod:`fairpanel.panel`).

    Parameters
    ----------
    panel : Panel
        The panel; α is computed on its ``raw_total``.
    level : {'nominal', 'ordinal', 'interval', 'ratio'}
        Level of measurement.
    """
    if level not in LEVELS:
        raise ValueError(ERR_LEVEL.format(allowed=", ".join(LEVELS), level=level))
    o, values = coincidence_matrix(panel)
    if values.size < 2:
        raise FairpanelInputError(ERR_ONE_VALUE.format(value=f"{values[0]:g}"))
    if level == "ratio" and values[0] < 0:
        raise FairpanelInputError(ERR_RATIO_NEGATIVE.format(value=f"{values[0]:g}"))
    n_c = o.sum(axis=1)
    n = n_c.sum()
    d2 = delta2(level, values, n_c)
    observed = float((o * d2).sum())
    expected = float((np.outer(n_c, n_c) * d2).sum())
    return float(1.0 - (n - 1.0) * observed / expected)
