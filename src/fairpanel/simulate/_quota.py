r"""The quota lottery on a chunk of simulated cycles, exactly and without a solver per cycle.

``quota-lottery`` (:class:`~fairpanel.strategies.QuotaLotteryStrategy`) finds, by column
generation, the distribution over panels that meet every quota and maximises the
smallest chance. Running that solver in every replicate would cost seconds each; the
simulation does not need it, because its quotas bound one group attribute and its
entrants differ only by group:

* Entrants of one group belong to exactly the same bounds, so they are interchangeable:
  averaging any distribution over the permutations within each group keeps every panel
  feasible and cannot lower the smallest chance. Some maximin distribution therefore
  gives every member of group ``g`` the same chance ``x_g / n_g``, where ``x_g`` is the
  group's expected number of places.
* The bounds ``lo_g <= c_g <= hi_g`` and ``sum c_g = k`` on the groups' counts form a
  box cut by one equation, whose vertices are whole numbers: every ``x`` in it is the
  mean of some distribution over feasible whole counts.

So the maximin chances solve a problem in ``G`` numbers: raise the common chance ``t``
and give each group ``x_g = clip(n_g t, lo_g, hi_g)``, with ``t`` where the ``x_g`` add
up to the places ("water filling"; every member then has chance ``x_g / n_g``). This is
the leximin distribution over groups, which is maximin; where the maximin is not unique
(a group held at its maximum sets the minimum) ``allocate``'s maximin may share the
other groups' chances differently, and its ``leximin=True`` gives these. A test checks
the chances against :func:`fairpanel.lottery.maximin_distribution` with ``leximin``.

A panel is then drawn in two steps: each group's count by systematic sampling of the
fractional parts of ``x`` (Madow 1949: ``c_g`` is ``floor(x_g)`` or ``ceil(x_g)``,
``E[c_g] = x_g``, the counts add up to the places, and every bound holds because
``lo_g`` and ``hi_g`` are whole numbers), then the ``c_g`` members with the largest
uniform keys. Every replicate's panel meets every quota.

Entrants are the ``lottery`` rule's: every submission, or those whose calibrated score
reaches ``quality_bar``. With the scenario's ``quota_interval`` they are the partial
lottery's zone at that interval (:func:`~fairpanel.simulate._kernels.gray_zone`), as
``allocate --strategy quota-lottery --interval`` draws: the submissions above the zone
are funded outright and count towards the quotas first, so each group's bounds in the
draw are its bounds less its funded (at least 0), and the places are those left. A
replicate with fewer eligible members of a group than its minimum takes all of them (a minimum cannot be met from submissions that may not be
selected), and places a group cannot fill under its maximum stay empty, as ``lottery``
leaves them empty when too few are eligible.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fairpanel.simulate._kernels import Panel, gray_zone, group_index
from fairpanel.simulate._scenario import Scenario

__all__ = ["group_places", "quota_bounds", "quota_select"]

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


def quota_bounds(scenario: Scenario) -> tuple[F64, F64]:
    """Each group's (min, max) places, in the order of ``scenario.groups`` (max: size).

    Parameters
    ----------
    scenario : Scenario
        Its ``quotas`` (none: no bound but the group's size).
    """
    sizes = scenario.group_sizes
    lo = np.array([0.0 for _ in scenario.groups])
    hi = np.array([float(sizes[g]) for g in scenario.groups])
    for q in scenario.quotas:
        g = scenario.groups.index(q.value)
        lo[g] = q.min
        if q.max is not None:
            hi[g] = min(hi[g], q.max)
    return lo, hi


def group_places(size: F64, lo: F64, hi: F64, places: F64) -> F64:
    """Return the expected places per group of the leximin lottery (water filling).

    Parameters
    ----------
    size : array (c, G)
        Entrants per group.
    lo, hi : array (c, G)
        Whole-number bounds with ``0 <= lo <= hi <= size``.
    places : array (c,)
        Places, with ``sum(lo) <= places <= sum(hi)``.

    Returns
    -------
    array (c, G)
        ``x_g = clip(size_g t, lo_g, hi_g)`` adding up to ``places``.

    Examples
    --------
    >>> group_places(np.array([[60.0, 40.0]]), np.array([[0.0, 15.0]]),
    ...              np.array([[60.0, 40.0]]), np.array([20.0]))
    array([[ 5., 15.]])
    """
    safe = np.where(size > 0, size, 1.0)
    # S(t) = sum_g clip(size_g t, lo_g, hi_g) is piecewise linear and nondecreasing, with
    # kinks where a group leaves its minimum or reaches its maximum: evaluate it there
    # and interpolate between the two kinks that bracket the places.
    kinks = np.sort(np.concatenate([lo / safe, hi / safe], axis=1), axis=1)  # (c, 2G)
    filled = np.clip(size[:, None, :] * kinks[:, :, None], lo[:, None, :], hi[:, None, :])
    total = filled.sum(axis=2)  # (c, 2G), nondecreasing along the kinks
    j = np.clip((total < places[:, None]).sum(axis=1), 1, kinks.shape[1] - 1)[:, None]
    t0, t1 = np.take_along_axis(kinks, j - 1, axis=1), np.take_along_axis(kinks, j, axis=1)
    s0, s1 = np.take_along_axis(total, j - 1, axis=1), np.take_along_axis(total, j, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(s1 > s0, (places[:, None] - s0) / (s1 - s0), 0.0)
    t = t0 + np.clip(frac, 0.0, 1.0) * (t1 - t0)
    return np.asarray(np.clip(size * t, lo, hi), dtype=float)


def _counts(x: F64, lo: F64, hi: F64, places: F64, u: F64) -> F64:
    """Whole counts per group by systematic sampling: ``E[c] = x``, ``sum c = places``."""
    base = np.floor(x + 1e-9)
    frac = np.clip(x - base, 0.0, 1.0)
    need = places - base.sum(axis=1)  # a whole number, up to rounding
    cum = np.cumsum(frac, axis=1)
    # Rescale so the fractional parts add up to exactly the places still to give.
    last = cum[:, -1:]
    cum = np.where(last > 0, cum * (np.round(need)[:, None] / np.where(last > 0, last, 1.0)), 0.0)
    prev = np.concatenate([np.zeros_like(cum[:, :1]), cum[:, :-1]], axis=1)
    hit = np.ceil(cum - u[:, None] - 1e-12) - np.ceil(prev - u[:, None] - 1e-12)
    return np.asarray(np.clip(base + hit, lo, hi), dtype=float)


def quota_select(scenario: Scenario, panel: Panel, keys: F64, u: F64, k: int) -> B:
    """Return the selected mask (c, n) of the quota lottery for one panel's scores.

    Parameters
    ----------
    scenario : Scenario
        Its groups, quotas and ``quality_bar``.
    panel : Panel
        Calibrated scores (only for the quality bar).
    keys : array (c, n)
        Uniform keys: the largest of each group are drawn.
    u : array (c,)
        One uniform per replicate for the groups' counts.
    k : int
        Places per replicate.
    """
    c, n = keys.shape
    gi = group_index(scenario)
    n_groups = len(scenario.groups)
    eligible = (
        np.ones((c, n), dtype=bool)
        if scenario.quality_bar is None
        else panel.score >= scenario.quality_bar
    )
    funded = np.zeros((c, n), dtype=bool)
    if scenario.quota_interval is not None:
        funded, zone = gray_zone(panel, k, scenario.quota_interval)
        eligible = eligible & zone
    per_group = np.stack([gi == g for g in range(n_groups)], axis=1)  # (n, G)
    size = eligible.astype(float) @ per_group
    above = funded.astype(float) @ per_group  # funded per group, counted first
    lo0, hi0 = quota_bounds(scenario)
    hi = np.clip(hi0[None, :] - above, 0.0, size)
    lo = np.minimum(np.maximum(lo0[None, :] - above, 0.0), hi)
    places = np.clip(float(k) - above.sum(axis=1), lo.sum(axis=1), hi.sum(axis=1))
    counts = _counts(group_places(size, lo, hi, places), lo, hi, places, u).astype(np.int64)
    selected = np.zeros((c, n), dtype=bool)
    for g in range(n_groups):  # a loop over groups, not over replicates or submissions
        cols = np.flatnonzero(gi == g)
        key = np.where(eligible[:, cols], keys[:, cols], -1.0)
        order = np.argsort(-key, axis=1, kind="stable")
        take = np.arange(cols.size)[None, :] < counts[:, g : g + 1]
        block = np.zeros((c, cols.size), dtype=bool)
        np.put_along_axis(block, order, take, axis=1)
        selected[:, cols] = block & eligible[:, cols]
    return selected | funded
