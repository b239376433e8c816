"""Power: the smallest gap the data could have detected, and how many cycles a gap needs.

"No significant gap" from nine applicants says nothing; the honest sentence is "with 9
applicants, only a gap over 45 points could have been seen". For each comparison of a
group with its reference, :func:`min_detectable_difference` gives the smallest
difference in selection rates that the comparison's test would detect with 80 % power at
the 5 % level (two-sided, unadjusted), for the actual group sizes and the reference's
observed rate:

* small groups (the smaller under :data:`EXACT_BELOW` applicants): exactly, for the test
  the audit runs (Fisher's exact test), by enumerating every pair of binomial outcomes;
* larger groups: by the arcsine (Cohen's h) approximation, ``|2 asin √p1 − 2 asin √p0| =
  (z_{1−α/2} + z_{power}) √(1/n1 + 1/n0)`` (Cohen 1988, ch. 6), the formula of
  ``statsmodels.stats.power.NormalIndPower``.

Of the two directions (the group's rate below or above the reference's) the smaller
detectable gap is reported; ``nan`` when no gap in either direction could reach the
power. :func:`plan_cycles` turns the same formula around: how many applicants (and
cycles of a given size) a gap of a given size needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats
from scipy.special import gammaln, xlog1py, xlogy

from fairpanel._errors import FairpanelInputError

__all__ = [
    "ALPHA",
    "ERR_PLAN_GAP",
    "ERR_PLAN_POSITIVE",
    "ERR_PLAN_SHARE",
    "EXACT_BELOW",
    "POWER",
    "CyclePlan",
    "fisher_power",
    "min_detectable_difference",
    "plan_cycles",
]

#: The level and the power every detectable gap is stated at.
ALPHA: Final[float] = 0.05
POWER: Final[float] = 0.80
#: Below this many applicants in the smaller group, the detectable gap is exact (Fisher).
EXACT_BELOW: Final[int] = 50
# The exact enumeration holds (N + 1) x (s + 1)^2 numbers; beyond this, the arcsine.
_EXACT_CELLS: Final[int] = 20_000_000
# Candidate rates of the group, half a point apart, refined to 0.05 points near the answer.
_GRID: Final = np.linspace(0.0, 1.0, 201)
_FINE: Final[int] = 10
# scipy's fisher_exact counts tables as extreme as the observed one up to this tolerance.
_FISHER_TOL: Final[float] = 1 + 1e-7

ERR_PLAN_POSITIVE = "{name} must be a number above 0, not {value!r}"
ERR_PLAN_SHARE = "--share must be between 0 and 1 (the group's share of applicants), not {value!r}"
ERR_PLAN_GAP = "--gap {gap} below --rate {rate} would leave the group a rate of {low} or less"


def _log_choose(n: ArrayLike, k: ArrayLike) -> NDArray[np.float64]:
    n_, k_ = np.asarray(n, dtype=np.float64), np.asarray(k, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        out = gammaln(n_ + 1) - gammaln(k_ + 1) - gammaln(n_ - k_ + 1)
    return np.where((k_ >= 0) & (k_ <= n_), out, -np.inf)


def _binom(n: int, p: ArrayLike) -> NDArray[np.float64]:
    """Binomial probabilities of 0..n (columns) at each rate in ``p`` (rows).

    In logs with ``gammaln``: ``scipy.stats.binom.pmf`` on a grid of rates × outcomes is
    ten times slower, and this runs once per small comparison.
    """
    k = np.arange(n + 1, dtype=np.float64)[None, :]
    q = np.atleast_1d(np.asarray(p, dtype=np.float64))[:, None]
    log = _log_choose(n, k) + xlogy(k, q) + xlog1py(n - k, -q)
    out: NDArray[np.float64] = np.exp(log)
    return out


def _rejects(n_s: int, n_l: int, alpha: float) -> NDArray[np.bool_]:
    """Return where Fisher's two-sided test at ``alpha`` rejects, x of n_s and y of n_l selected.

    Returns a boolean matrix ``R[x, y]`` (x in 0..n_s, y in 0..n_l): the test conditions
    on the total t = x + y, under which x is hypergeometric.
    """
    total = n_s + n_l
    t = np.arange(total + 1)[:, None]
    x = np.arange(n_s + 1)[None, :]
    # hypergeometric probabilities [t, x], zero outside the support (in logs: scipy's
    # hypergeom.pmf takes seconds on this grid)
    pmf = np.exp(_log_choose(n_s, x) + _log_choose(n_l, t - x) - _log_choose(total, t))
    # p-value of (t, x): the mass of the outcomes no more likely than x, given t. Each row
    # sorted and summed up; shifting row t by 2t makes the rows one sorted array, so one
    # searchsorted finds, for every (t, x), how many outcomes are as unlikely.
    ranked = np.sort(pmf, axis=1)
    mass = np.cumsum(ranked, axis=1)
    shift = 2.0 * np.arange(total + 1)[:, None]
    where = np.searchsorted((ranked + shift).ravel(), (pmf * _FISHER_TOL + shift).ravel(), "right")
    width = n_s + 1
    count = where.reshape(pmf.shape) - width * np.arange(total + 1)[:, None]
    p = np.take_along_axis(mass, np.maximum(count - 1, 0), axis=1)
    reject = p <= alpha
    y = np.arange(n_l + 1)[None, :]
    rows = np.arange(n_s + 1)[:, None]
    out: NDArray[np.bool_] = reject[rows + y, rows]
    return out


def fisher_power(
    n1: int, n0: int, p1: ArrayLike, p0: float, *, alpha: float = ALPHA
) -> NDArray[np.float64]:
    """Exact power of Fisher's two-sided test of a group (n1, rate p1) against (n0, p0).

    The sum over every pair of outcomes of their binomial probabilities, where the test
    rejects; vectorized over ``p1``.

    Parameters
    ----------
    n1, n0 : int
        Applicants of the group and of the reference.
    p1 : array_like
        The group's true rates.
    p0 : float
        The reference's true rate.
    alpha : float, default 0.05
        The test's level.

    Returns
    -------
    ndarray of float
        The power at each ``p1``.

    Examples
    --------
    >>> round(float(fisher_power(10, 10, [0.1], 0.9)[0]), 3)
    0.958
    """
    return _curve(n1, n0, p0, alpha)(p1)


def _curve(
    n1: int, n0: int, p0: float, alpha: float
) -> Callable[[ArrayLike], NDArray[np.float64]]:
    """Return the power of Fisher's test as a function of the group's rate (rejection region once)."""
    if n1 <= n0:
        reject = _rejects(n1, n0, alpha).astype(np.float64)
        fixed = reject @ _binom(n0, p0)[0]  # [x of the group]
    else:
        reject = _rejects(n0, n1, alpha).astype(np.float64)  # [x of the reference, y]
        fixed = _binom(n0, p0)[0] @ reject  # [y of the group]

    def power(p1: ArrayLike) -> NDArray[np.float64]:
        out: NDArray[np.float64] = _binom(n1, p1) @ fixed
        return out

    return power


def _exact_gap(n1: int, n0: int, p0: float, *, alpha: float, target: float) -> float:
    """Smallest |p1 − p0|, either direction, at which Fisher's test has ``target`` power.

    The first rate on a half-point grid going out from ``p0`` that reaches the power,
    refined to a twentieth of a point between it and its neighbour.
    """
    best = math.inf
    curve = _curve(n1, n0, p0, alpha)
    power = curve(_GRID)
    centre = int(np.searchsorted(_GRID, p0))
    for idx in (np.arange(centre, _GRID.size), np.arange(centre - 1, -1, -1)):
        hit = np.flatnonzero(power[idx] >= target)
        if not hit.size:
            continue
        at = _GRID[idx[hit[0]]]
        before = _GRID[idx[hit[0] - 1]] if hit[0] > 0 else p0
        fine = np.linspace(before, at, _FINE + 1)
        reached = fine[np.flatnonzero(curve(fine) >= target)]
        best = min(best, abs(float(reached[0] if reached.size else at) - p0))
    return best if math.isfinite(best) else math.nan


def _arcsine(n1: NDArray[np.float64], n0: NDArray[np.float64], p0: NDArray[np.float64], z: float):  # type: ignore[no-untyped-def]
    h = z * np.sqrt(1 / n1 + 1 / n0)
    phi = 2 * np.arcsin(np.sqrt(np.clip(p0, 0.0, 1.0)))
    down = np.where(phi - h >= 0, p0 - np.sin((phi - h) / 2) ** 2, np.inf)
    up = np.where(phi + h <= np.pi, np.sin((phi + h) / 2) ** 2 - p0, np.inf)
    best = np.minimum(down, up)
    return np.where(np.isfinite(best), best, np.nan)


def min_detectable_difference(
    n1: ArrayLike,
    n0: ArrayLike,
    p0: ArrayLike,
    *,
    alpha: float = ALPHA,
    power: float = POWER,
) -> NDArray[np.float64]:
    """Smallest difference in selection rates detectable with ``power`` at level ``alpha``.

    Exact (Fisher's test, enumerated) when the smaller group has fewer than
    :data:`EXACT_BELOW` applicants, otherwise the arcsine approximation; the smaller of
    the two directions, in rate units (0.45 = 45 points); ``nan`` where a group has no
    applicants or no gap could reach the power.

    Parameters
    ----------
    n1, n0 : array_like
        Applicants of each compared group and of its reference.
    p0 : array_like
        The reference's selection rate (its observed rate, in the audit).
    alpha : float, default 0.05
        Two-sided level of the test.
    power : float, default 0.8
        The chance of detecting the gap.

    Returns
    -------
    ndarray of float
        One detectable gap per comparison.

    Examples
    --------
    >>> min_detectable_difference([9, 400], [200, 600], [0.5, 0.2]).round(3).tolist()
    [0.42, 0.067]
    """
    a1, a0, r0 = np.broadcast_arrays(
        np.asarray(n1, dtype=np.float64),
        np.asarray(n0, dtype=np.float64),
        np.asarray(p0, dtype=np.float64),
    )
    z = float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(_arcsine(a1, a0, r0, z), dtype=np.float64).copy()
    ok = (a1 > 0) & (a0 > 0) & np.isfinite(r0)
    out[~ok] = np.nan
    for i in np.flatnonzero(ok.ravel()):  # one enumeration per small comparison, not per applicant
        g, r, rate = int(a1.flat[i]), int(a0.flat[i]), float(r0.flat[i])
        small = min(g, r)
        if small < EXACT_BELOW and (g + r + 1) * (small + 1) ** 2 <= _EXACT_CELLS:
            out.flat[i] = _exact_gap(g, r, rate, alpha=alpha, target=power)
    return out


@dataclass(frozen=True)
class CyclePlan:
    """How many applicants and cycles a gap needs to be detected.

    Attributes
    ----------
    rate, gap, share, applicants_per_cycle, alpha, power : float
        The question: the reference group's rate, the group's gap below it (0.04 = 4
        points), the group's share of applicants, the cycle size, the level and power.
    applicants : int
        Applicants needed in all (both groups), pooling cycles with the same gap.
    cycles : int
        Cycles of ``applicants_per_cycle`` needed to detect the gap.
    cycles_for_change : int
        Cycles needed after a process change (with as many before it) to detect a
        change of the gap by ``gap``: a difference of two gaps has twice the variance.
    """

    rate: float
    gap: float
    share: float
    applicants_per_cycle: float
    alpha: float
    power: float
    applicants: int
    cycles: int
    cycles_for_change: int

    def sentence(self) -> str:
        """Return the plan in one sentence a committee can read."""
        low = self.rate - self.gap
        return (
            f"To detect a gap of {self.gap * 100:g} points (a rate of {low * 100:g}% against "
            f"{self.rate * 100:g}%) with {self.power * 100:g}% power at the "
            f"{self.alpha * 100:g}% level, with the group {self.share * 100:g}% of "
            f"applicants, takes {self.applicants} applicants: {self.cycles} "
            f"cycle{'s' if self.cycles != 1 else ''} of {self.applicants_per_cycle:g}, "
            "if the gap stays the same. To detect a change of that size after a process "
            f"change takes {self.cycles_for_change} cycles after it and as many before."
        )


def _positive(name: str, value: float) -> float:
    if not (math.isfinite(value) and value > 0):
        raise FairpanelInputError(ERR_PLAN_POSITIVE.format(name=name, value=value))
    return float(value)


def plan_cycles(
    *,
    rate: float,
    gap: float,
    applicants_per_cycle: float,
    share: float,
    alpha: float = ALPHA,
    power: float = POWER,
) -> CyclePlan:
    """How many cycles of this size are needed to detect a gap of ``gap`` below ``rate``.

    The arcsine approximation for two independent proportions (the group at ``rate −
    gap``, the others at ``rate``): ``N = ((z_{1−α/2} + z_{power}) / h)² / (s (1 − s))``
    applicants, with Cohen's ``h = 2 asin √rate − 2 asin √(rate − gap)`` and the group's
    share ``s``; cycles pool under the assumption that the gap is the same in each.

    Parameters
    ----------
    rate : float
        The reference group's selection rate (0.2 = 20 %).
    gap : float
        The gap to detect, in rate units (0.04 = 4 points), the group below the rate.
    applicants_per_cycle : float
        Applicants in one cycle, both groups.
    share : float
        The group's share of the applicants, in (0, 1).
    alpha : float, default 0.05
        Two-sided level.
    power : float, default 0.8
        The chance of detecting the gap.

    Returns
    -------
    CyclePlan
        The applicants and cycles needed.

    Raises
    ------
    FairpanelInputError
        For a rate, gap or cycle size that is not positive, a share outside (0, 1), or
        a gap that leaves the group no rate.

    Examples
    --------
    >>> plan = plan_cycles(rate=0.2, gap=0.04, applicants_per_cycle=1000, share=0.4)
    >>> plan.applicants, plan.cycles, plan.cycles_for_change
    (3009, 4, 7)
    """
    rate = _positive("--rate", rate)
    gap = _positive("--gap", gap)
    per_cycle = _positive("--applicants-per-cycle", applicants_per_cycle)
    if not 0 < share < 1:
        raise FairpanelInputError(ERR_PLAN_SHARE.format(value=share))
    if rate > 1 or gap >= rate:
        raise FairpanelInputError(ERR_PLAN_GAP.format(gap=gap, rate=rate, low=0))
    h = 2 * math.asin(math.sqrt(rate)) - 2 * math.asin(math.sqrt(rate - gap))
    z = float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
    needed = (z / h) ** 2 / (share * (1 - share))
    applicants = math.ceil(needed)
    return CyclePlan(
        rate=rate,
        gap=gap,
        share=float(share),
        applicants_per_cycle=per_cycle,
        alpha=alpha,
        power=power,
        applicants=applicants,
        cycles=math.ceil(needed / per_cycle),
        cycles_for_change=math.ceil(2 * needed / per_cycle),
    )
