r"""Exact inclusion probabilities of a weighted draw without replacement.

The draw (:func:`fairpanel.lottery.draw`) gives entrant ``i`` the exponential key
``E_i = -ln(u_i) / w_i`` — an Exp(rate ``w_i``) variable — and takes the ``k`` smallest
keys: successive sampling proportional to weight (Efraimidis & Spirakis 2006). Entrant
``i`` is drawn exactly when fewer than ``k`` of the others have a key below ``E_i``:

.. math::

    \\pi_i = \\int_0^\\infty w_i e^{-w_i t}\\,
             P\\Big(\\sum_{j \\ne i} 1[E_j < t] \\le k-1\\Big)\\, dt .

With ``C`` distinct weights the count of the others below ``t`` is a sum of ``C``
independent binomials, ``Bin(n_c - [c = c_i], 1 - e^{-w_c t})``, whose distribution
function at ``k - 1`` is a convolution of ``C`` binomial probability vectors (done by
FFT, all quadrature nodes at once). Substituting ``v = e^{-t}`` maps the integral to
``(0, 1)``, where it is evaluated with composite Gauss–Legendre panels placed densely
around the funding line (where the expected count crosses ``k``). The result is exact up
to quadrature and floating-point error (below 1e-10; ``sum(pi) == k`` is checked).
Only ``C`` integrals are needed, one per weight class, whatever the number of entrants.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from fairpanel.lottery._places import check_places

__all__ = ["inclusion_probabilities"]

ERR_WEIGHTS = "weights must be finite and > 0"
ERR_CLASSES = (
    "{n_classes} distinct weights: exact probabilities support at most {max_classes}; "
    "round the weights or estimate by Monte Carlo"
)
MAX_CLASSES: Final = 16
#: Largest weight / smallest weight supported exactly (tiered lotteries use 3 : 2 : 1);
#: beyond it the integrand lives on scales too far apart for the quadrature rules.
MAX_WEIGHT_RATIO: Final = 1000.0
ERR_RATIO = (
    "the largest weight is {ratio:.3g} times the smallest: exact probabilities support "
    "ratios up to {max_ratio:g}"
)
#: Gauss–Legendre nodes per panel, and the panel edges in units of the count's spread:
#: beyond ±8 the distribution function of the count is 0 or 1 to double precision.
_WINDOW_Z: Final = 8.0
_WINDOW_PAD: Final = 5.0


@dataclass(frozen=True)
class _Rule:
    """A quadrature layout for the inclusion integral.

    Gauss–Legendre nodes per panel, panel edges in units of the count's spread around
    the line, the minimum number of panels (few entrants), and extra edges evenly spaced
    in expected count (weights on very different scales).
    """

    nodes: int
    z_edges: tuple[float, ...]
    min_panels: int
    count_edges: int = 0


#: Tried in turn until the probabilities sum to k within _SUM_TOL: the first suffices for
#: ordinary panels (it agrees with a 40-node, ±40-spread rule to 1e-10, see
#: tests/test_lottery_probability.py); the finer ones catch extreme weight ratios
#: (e.g. 1 : 80 : 180), whose integrands vary fast inside a panel.
_RULES: Final = (
    _Rule(16, (-8.0, 0.0, 8.0), 8),
    _Rule(16, (-8.0, -4.0, -2.0, 0.0, 2.0, 4.0, 8.0), 16, 32),
    _Rule(24, (-12.0, -8.0, -6.0, -4.0, -2.0, -1.0, 0.0, 1.0, 2.0, 4.0, 6.0, 8.0, 12.0), 32, 256),
)
_SUM_TOL: Final = 1e-10


@functools.lru_cache(maxsize=8)
def _gauss_legendre(nodes: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    x, q = np.polynomial.legendre.leggauss(nodes)
    return x, q


def inclusion_probabilities(weights: npt.ArrayLike, places: int) -> npt.NDArray[np.float64]:
    """Exact probability that each entrant is among the ``places`` drawn.

    Parameters
    ----------
    weights : array_like of float
        Positive selection weights, one per entrant.
    places : int
        How many are drawn without replacement.

    Returns
    -------
    ndarray
        Inclusion probabilities; they sum to ``places``.

    Raises
    ------
    ValueError
        If a weight is not positive, ``places`` is out of range, there are more than
        ``MAX_CLASSES`` distinct weights, or the largest weight exceeds
        ``MAX_WEIGHT_RATIO`` times the smallest.

    Examples
    --------
    >>> inclusion_probabilities([1, 1, 1, 1], 2).tolist()
    [0.5, 0.5, 0.5, 0.5]
    >>> p = inclusion_probabilities([2, 1], 1)
    >>> [round(float(x), 12) for x in p]
    [0.666666666667, 0.333333333333]
    """
    w = np.asarray(weights, dtype=float).reshape(-1)
    n = w.size
    if not np.all(np.isfinite(w) & (w > 0)):
        raise ValueError(ERR_WEIGHTS)
    k = check_places(places, n)
    if k == 0:
        return np.zeros(n)
    if k == n:
        return np.ones(n)
    classes, inverse, counts = np.unique(w, return_inverse=True, return_counts=True)
    if classes.size == 1:
        return np.full(n, k / n)
    if classes.size > MAX_CLASSES:
        raise ValueError(ERR_CLASSES.format(n_classes=classes.size, max_classes=MAX_CLASSES))
    ratio = float(classes.max() / classes.min())
    if ratio > MAX_WEIGHT_RATIO:
        raise ValueError(ERR_RATIO.format(ratio=ratio, max_ratio=MAX_WEIGHT_RATIO))
    # sum(pi) == k is an identity of the exact values: a quadrature that misses it is
    # refined (finer rules are needed only for extreme weight ratios).
    for rule in _RULES:
        per_class = _class_probabilities(classes / classes.min(), counts, k, rule=rule)
        total = float(per_class @ counts)
        if abs(total - k) <= _SUM_TOL * k:
            break
    else:  # pragma: no cover - a numerical failure, not bad input
        raise RuntimeError(f"inclusion probabilities sum to {total}, not {k}")
    # Renormalising by the (tiny) remaining quadrature error keeps sum(pi) == k.
    per_class *= k / total
    out: npt.NDArray[np.float64] = np.clip(per_class[inverse.reshape(-1)], 0.0, 1.0)
    return out


def _v_at_counts(
    targets: npt.NDArray[np.float64], w: npt.NDArray[np.float64], n: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """Return, per target, the v in [0, 1] where the expected count of keys below -ln v is it.

    The expected count ``mu(s) = sum n_c (1 - exp(-w_c s))`` is increasing and concave in
    ``s = -ln v``, so Newton's method started left of the root climbs to it without
    overshooting; all targets are solved at once.
    """
    total = float(n.sum())
    t = np.clip(np.asarray(targets, dtype=float), 0.0, total)
    inner = (t > 0) & (t < total)
    # Start left of the root: mu(s) <= total (1 - exp(-w_max s)), so this s has mu <= t.
    # The panels only need their edges near the right place: stop at 1e-10 relative.
    s = np.where(inner, -np.log1p(-np.minimum(t, total * (1 - 1e-16)) / total) / w.max(), 0.0)
    for _ in range(100):
        e = np.exp(-np.outer(s, w))
        mu = (n * (1.0 - e)).sum(axis=1)
        slope = (n * w * e).sum(axis=1)
        step = np.where(inner, (t - mu) / np.maximum(slope, 1e-300), 0.0)
        s = s + step
        if np.all(np.abs(step) <= 1e-10 * np.maximum(s, 1e-3)):
            break
    v = np.exp(-s)
    return np.where(t <= 0, 1.0, np.where(t >= total, 0.0, v))


def _transition(
    w: npt.NDArray[np.float64], n: npt.NDArray[np.int64], k: int, rule: _Rule
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], float]:
    """Gauss–Legendre nodes and weights where the count crosses ``k``, and the v above it.

    Below the first node the count of earlier keys exceeds ``k`` by more than 8 spreads
    (the distribution function at ``k - 1`` is 0); above the returned ``v_one`` it is
    below ``k`` by as much (the function is 1 and the integral is done in closed form).
    """
    v_star = _v_at_counts(np.array([k - 0.5]), w, n)[0]
    p_star = -np.expm1(w * np.log(v_star))
    spread = float(np.sqrt(np.sum(n * p_star * (1 - p_star)))) + 2.0
    targets = k - 0.5 + np.array(rule.z_edges) * spread
    if rule.count_edges:
        # Only where the count is within the ±z window matters; above it the integrand
        # is 0, below it the closed form applies.
        lo_t, hi_t = max(targets.min(), 0.0), min(targets.max(), float(n.sum()))
        targets = np.concatenate([targets, np.linspace(lo_t, hi_t, rule.count_edges)])
    edges = np.unique(_v_at_counts(targets, w, n))
    # Few entrants: the ±8-spread edges collapse onto 0 and 1, and the integrand is a
    # polynomial of degree ~sum(n_c w_c) in v; split the widest panel until there are
    # enough panels for Gauss–Legendre to be exact to rounding.
    collapsed = edges[0] == 0.0 or edges[-1] == 1.0
    while collapsed and edges.size - 1 < rule.min_panels:
        i = int(np.argmax(np.diff(edges)))
        edges = np.insert(edges, i + 1, (edges[i] + edges[i + 1]) / 2)
    a, b = edges[:-1], edges[1:]
    half = (b - a)[:, None] / 2
    gl_x, gl_w = _gauss_legendre(rule.nodes)
    x = (a[:, None] + b[:, None]) / 2 + half * gl_x[None, :]
    return x.reshape(-1), (half * gl_w[None, :]).reshape(-1), float(edges[-1])


@functools.lru_cache(maxsize=8)
def _log_factorials(n_max: int) -> npt.NDArray[np.float64]:
    """``log(j!)`` for ``j = 0 .. n_max`` (cached: the same panel size recurs)."""
    # scipy is imported where it is used: a rank allocation and verify-draw never get here.
    from scipy import special

    out: npt.NDArray[np.float64] = special.gammaln(np.arange(n_max + 1) + 1.0)
    out.flags.writeable = False
    return out


def _windowed_pmf(
    m: int,
    p: npt.NDArray[np.float64],
    lo: npt.NDArray[np.int64],
    width: int,
    log_fact: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Bin(m, p) probabilities of ``lo .. lo + width - 1`` per node (row); 0 beyond m.

    The first value of each row comes from the log formula, the rest from the ratio
    ``pmf(j + 1) / pmf(j) = (m - j) / (j + 1) * p / (1 - p)`` (a cumulative product:
    relative error below ``width`` machine epsilons).
    """
    j = lo[:, None] + np.arange(width)[None, :]
    # Nodes where p rounds to 0 or 1 (v at the very ends) are point masses, set below.
    q = np.clip(p, 1e-300, 1.0 - 1e-16)[:, None]
    lo_ok = np.minimum(lo, m)[:, None]
    log_first = (
        log_fact[m]
        - log_fact[lo_ok]
        - log_fact[m - lo_ok]
        + lo_ok * np.log(q)
        + (m - lo_ok) * np.log1p(-q)
    )
    ratio = np.maximum(m - j[:, :-1], 0) / (j[:, :-1] + 1.0) * (q / (1.0 - q))
    out = np.empty(j.shape)
    out[:, :1] = np.where(lo[:, None] <= m, np.exp(log_first), 0.0)
    out[:, 1:] = out[:, :1] * np.cumprod(ratio, axis=1)
    ends = (p <= 0.0) | (p >= 1.0)
    if ends.any():
        at = np.where(p[ends] >= 1.0, m, 0)[:, None]
        out[ends] = (j[ends] == at).astype(float)
    return out


def _one_fewer(
    pmf: npt.NDArray[np.float64],
    m: int,
    p: npt.NDArray[np.float64],
    lo: npt.NDArray[np.int64],
    log_fact: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Bin(m - 1, p) on the same window, from Bin(m, p): times (m - j) / (m (1 - p))."""
    width = pmf.shape[1]
    if m == 0:
        return np.zeros_like(pmf)
    if np.any((p <= 0.0) | (p >= 1.0)):
        return _windowed_pmf(m - 1, p, lo, width, log_fact)
    j = lo[:, None] + np.arange(width)[None, :]
    factor = np.maximum(m - j, 0) / (m * (1.0 - p[:, None]))
    out: npt.NDArray[np.float64] = pmf * factor
    return out


def _class_probabilities(
    w: npt.NDArray[np.float64],
    n: npt.NDArray[np.int64],
    k: int,
    *,
    rule: _Rule = _RULES[0],
    window_z: float = _WINDOW_Z,
    window_pad: float = _WINDOW_PAD,
) -> npt.NDArray[np.float64]:
    """Inclusion probability of one member of each weight class."""
    from scipy import fft  # where it is used, as in _log_factorials

    v, qw, v_one = _transition(w, n, k, rule)
    logv = np.log(v)
    p = -np.expm1(w[None, :] * logv[:, None])  # P(an entrant's key < t), node × class
    mean = n[None, :] * p
    sd = np.sqrt(mean * (1 - p))
    lo = np.maximum(np.floor(mean - window_z * sd - window_pad), 0).astype(np.int64)
    hi = np.minimum(np.ceil(mean + window_z * sd + window_pad), n[None, :]).astype(np.int64)
    # Counts above k - 1 never matter for P(count <= k - 1): cap each window at k.
    widths = np.minimum(np.max(hi - lo, axis=0) + 1, k).astype(np.int64)
    log_fact = _log_factorials(int(n.max()))
    n_classes, n_nodes = w.size, v.size
    size = fft.next_fast_len(int(widths.sum() - widths.min()) + 1, real=True)
    # Spectra of every class's full binomial window, in one batched FFT.
    windows = np.zeros((n_classes, n_nodes, size))
    for c in range(n_classes):
        windows[c, :, : widths[c]] = _windowed_pmf(
            int(n[c]), p[:, c], lo[:, c], int(widths[c]), log_fact
        )
    spectra = fft.rfft(windows, axis=-1)
    # Count of the others <= k - 1  <=>  (own class, one fewer) index j and the rest's
    # index r satisfy r <= cut - j, where cut = k - 1 - (sum of the window offsets).
    cut = k - 1 - lo.sum(axis=1)
    nodes = np.arange(n_nodes)[:, None]
    out = np.empty(n_classes)
    for c in range(n_classes):
        others = [d for d in range(n_classes) if d != c]
        if len(others) == 1:
            rest = windows[others[0]]
        else:
            rest = fft.irfft(np.prod(spectra[others], axis=0), size, axis=-1)
        rest_cdf = np.clip(np.cumsum(rest, axis=1), 0.0, 1.0)
        own = _one_fewer(windows[c, :, : widths[c]], int(n[c]), p[:, c], lo[:, c], log_fact)
        idx = cut[:, None] - np.arange(int(widths[c]))[None, :]
        vals = np.where(idx < 0, 0.0, rest_cdf[nodes, np.clip(idx, 0, size - 1)])
        cdf = np.clip(np.sum(own * vals, axis=1), 0.0, 1.0)
        density = w[c] * np.exp((w[c] - 1.0) * logv)
        # Above v_one every key of the others is late enough: the integrand is the density.
        out[c] = float(np.sum(qw * density * cdf)) + (1.0 - v_one ** w[c])
    return out
