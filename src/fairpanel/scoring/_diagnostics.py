"""Convergence diagnostics: rank-normalised split R-hat and bulk effective sample size.

Both follow Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021), "Rank-normalization,
folding, and localization: an improved R-hat for assessing convergence of MCMC", Bayesian
Analysis 16(2), 667–718, step for step as ArviZ implements them (``arviz.rhat`` with
``method="rank"`` and ``arviz.ess`` with ``method="bulk"``), but vectorised over
parameters: a panel has hundreds of submission effects, and a Python loop over them would
cost more than the sampler itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import fft, special

__all__ = ["ess_bulk", "ess_mean", "rhat", "rhat_split"]

ERR_DRAWS_SHAPE = (
    "draws must have shape (chains, draws, ...) with at least 4 draws per chain, got {shape}"
)

FloatArray = npt.NDArray[np.float64]


def _as_chains(draws: npt.ArrayLike, min_chains: int) -> tuple[FloatArray, tuple[int, ...]]:
    """Return draws as (chains, draws, parameters) and the shape of the parameter axes."""
    arr = np.asarray(draws, dtype=float)
    if arr.ndim < 2 or arr.shape[1] < 4 or arr.shape[0] < min_chains:
        raise ValueError(ERR_DRAWS_SHAPE.format(shape=arr.shape))
    param_shape = arr.shape[2:]
    return arr.reshape(arr.shape[0], arr.shape[1], -1), param_shape


def _split(arr: FloatArray) -> FloatArray:
    """Split every chain into its first and last half, doubling the chains.

    The middle draw of an odd-length chain is dropped, as ArviZ does.
    """
    half = arr.shape[1] // 2
    return np.concatenate([arr[:, :half], arr[:, arr.shape[1] - half :]], axis=0)


def _average_ranks(rows: FloatArray) -> FloatArray:
    """Ranks within each row, ties given their average rank (scipy's "average").

    One sort per row and a few linear passes: the same numbers as
    ``scipy.stats.rankdata(rows, axis=-1)``, without its per-call overhead.
    """
    order = np.argsort(rows, axis=-1)
    ordered = np.take_along_axis(rows, order, axis=-1)
    k = rows.shape[-1]
    pos = np.broadcast_to(np.arange(k), rows.shape)
    starts = np.ones(rows.shape, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    ends = np.ones(rows.shape, dtype=bool)
    ends[:, :-1] = starts[:, 1:]
    first = np.maximum.accumulate(np.where(starts, pos, 0), axis=-1)
    last = np.minimum.accumulate(np.where(ends, pos, k - 1)[:, ::-1], axis=-1)[:, ::-1]
    ranks = np.empty(rows.shape)
    np.put_along_axis(ranks, order, (first + last) / 2.0 + 1.0, axis=-1)
    return ranks


def _z_scale(arr: FloatArray) -> FloatArray:
    """Rank-normalise each parameter over all chains and draws (Blom offset 3/8)."""
    c, n, p = arr.shape
    # Rank along a contiguous last axis: several times faster than down the columns.
    flat = np.ascontiguousarray(arr.reshape(c * n, p).T)
    ranks = _average_ranks(flat)
    z: FloatArray = special.ndtri((ranks - 3.0 / 8.0) / (c * n - 2 * 3.0 / 8.0 + 1))
    return np.ascontiguousarray(z.T).reshape(c, n, p)


def _rhat_plain(arr: FloatArray) -> FloatArray:
    """Gelman–Rubin R-hat of (chains, draws, parameters), per parameter."""
    n = arr.shape[1]
    chain_mean = arr.mean(axis=1)
    between = n * chain_mean.var(axis=0, ddof=1)
    within = arr.var(axis=1, ddof=1).mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = np.sqrt((between / within + n - 1) / n)
    return out


def _per_parameter(
    draws: npt.ArrayLike, min_chains: int, statistic: Callable[[FloatArray], FloatArray]
) -> FloatArray:
    """Apply ``statistic`` to the split chains of ``draws``; one value per parameter."""
    arr, shape = _as_chains(draws, min_chains=min_chains)
    return statistic(_split(arr)).reshape(shape)


def _rank_rhat(split: FloatArray) -> FloatArray:
    """Return the larger of the bulk and the folded-tail R-hat of split chains."""
    bulk = _rhat_plain(_z_scale(split))
    folded = np.abs(split - np.median(split.reshape(-1, split.shape[2]), axis=0))
    out: FloatArray = np.maximum(bulk, _rhat_plain(_z_scale(folded)))
    return out


def rhat(draws: npt.ArrayLike) -> FloatArray:
    """Rank-normalised split R-hat (the larger of the bulk and the folded-tail value).

    Parameters
    ----------
    draws : array_like, shape (chains, draws, ...)
        Posterior draws, at least two chains of at least 4 draws; any trailing axes are
        parameters.

    Returns
    -------
    ndarray
        One R-hat per parameter (the trailing shape of ``draws``). Values near 1 mean the
        chains agree; Vehtari et al. (2021) recommend trusting results only below 1.01.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> float(rhat(rng.normal(size=(4, 1000)))) < 1.01
    True
    """
    return _per_parameter(draws, 2, _rank_rhat)


def _autocov(arr: FloatArray) -> FloatArray:
    """Autocovariance at every lag along the draws axis (biased, divided by n), via FFT."""
    n = arr.shape[1]
    m = fft.next_fast_len(2 * n, real=True)
    # Transform along a contiguous last axis (draws): for thousands of parameters that
    # is several times faster than along the middle one.
    centred = np.ascontiguousarray(np.swapaxes(arr - arr.mean(axis=1, keepdims=True), 1, 2))
    spec = fft.rfft(centred, n=m, axis=-1)
    power = spec.real**2 + spec.imag**2
    acov = fft.irfft(power, n=m, axis=-1)[..., :n] / n
    out: FloatArray = np.swapaxes(acov, 1, 2)
    return out


def _ess_fft(arr: FloatArray) -> FloatArray:
    """Effective sample size of (chains, draws, parameters), per parameter, every lag.

    Geyer's initial monotone sequence estimator, the vectorised form of ArviZ's ``_ess``,
    with the autocovariance at every lag from FFTs.
    """
    c, n, p = arr.shape
    acov = _autocov(arr)  # (c, n, p)
    mean_acov = acov.mean(axis=0)  # (n, p)
    mean_var = mean_acov[0] * n / (n - 1.0)
    var_plus = mean_var * (n - 1.0) / n
    if c > 1:
        var_plus = var_plus + arr.mean(axis=1).var(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = 1.0 - (mean_var - mean_acov) / var_plus  # (n, p)
    rho[0] = 1.0
    # Pairs of consecutive autocorrelations (rho[2k] + rho[2k+1]). ArviZ scans them in order
    # and stops at the first pair that is not positive, or when the lag nears the chain
    # length; K is the number of pairs it computed after the first.
    n_pairs = (n - 1) // 2 + 1
    padded = np.zeros((2 * n_pairs, p))
    padded[:n] = rho
    pairs = padded[0::2] + padded[1::2]  # (n_pairs, p)
    k = np.arange(n_pairs)[:, None]
    stop = (pairs <= 0) | (2 * k + 1 >= n - 3)
    big_k = np.argmax(stop, axis=0)  # first stopping pair: always exists (lag bound)
    # Geyer's initial monotone sequence: pairs 0..K-1 replaced by their running minimum.
    running_min = np.minimum.accumulate(pairs, axis=0)
    used = k < big_k[None, :]
    total = np.where(used, running_min, 0.0).sum(axis=0)
    cols = np.arange(p)
    last_even = padded[2 * big_k, cols]
    last_pair = pairs[big_k, cols]
    # The even autocorrelation after the last kept pair enters once (ArviZ's "improve
    # estimation" step): kept when its pair was kept, or when it is itself positive.
    tail_term = np.where((last_pair >= 0) | (last_even > 0), last_even, 0.0)
    tail_term = np.where(big_k == 0, 1.0, tail_term)
    tau = -1.0 + 2.0 * total + tail_term
    size = float(c * n)
    tau = np.maximum(tau, 1.0 / np.log10(size))
    ess: FloatArray = size / tau
    constant = (arr.max(axis=(0, 1)) - arr.min(axis=(0, 1))) < np.finfo(float).resolution
    ess = np.where(constant, size, ess)
    out: FloatArray = np.where(np.isnan(rho).any(axis=0) & ~constant, np.nan, ess)
    return out


#: Pairs of lags :func:`_ess` scans directly before leaving a parameter to the FFTs.
_SCAN_PAIRS: Final = 6


def _ess(arr: FloatArray) -> FloatArray:
    """Effective sample size of (chains, draws, parameters), per parameter.

    Geyer's estimator stops at the first pair of autocorrelations that is not positive,
    which for well-mixed draws comes after a few lags. So the first :data:`_SCAN_PAIRS`
    pairs are computed directly (one dot product per lag) and each parameter that stops
    there is done; only the others (sticky chains, constant or non-finite draws) go to
    :func:`_ess_fft`, which computes every lag. Both give ArviZ's number: the lags used
    are the same and the rest is not looked at.
    """
    c, n, p = arr.shape
    if n < 4 * _SCAN_PAIRS:
        return _ess_fft(arr)
    # (parameters, chains, draws), contiguous: each lag is one pass over memory in order
    x = np.ascontiguousarray(np.moveaxis(arr - arr.mean(axis=1, keepdims=True), 2, 0))

    def acov(lag: int, cols: npt.NDArray[np.intp]) -> FloatArray:
        # mean over chains of the biased autocovariance (divided by n) at one lag
        rows = x if cols.size == p else x[cols]
        out: FloatArray = np.einsum("pcn,pcn->p", rows[:, :, : n - lag], rows[:, :, lag:]) / (
            n * c
        )
        return out

    every = np.arange(p)
    mean_var = acov(0, every) * n / (n - 1.0)
    var_plus = mean_var * (n - 1.0) / n
    if c > 1:
        var_plus = var_plus + arr.mean(axis=1).var(axis=0, ddof=1)
    constant = (arr.max(axis=(0, 1)) - arr.min(axis=(0, 1))) < np.finfo(float).resolution
    active = np.flatnonzero(np.isfinite(var_plus) & (var_plus > 0) & ~constant)
    size = float(c * n)
    ess = np.full(p, np.nan)
    running = np.full(p, np.inf)
    total = np.zeros(p)
    for k in range(_SCAN_PAIRS):
        if not active.size:
            break
        vp, mv = var_plus[active], mean_var[active]
        even = 1.0 if k == 0 else 1.0 - (mv - acov(2 * k, active)) / vp
        odd = 1.0 - (mv - acov(2 * k + 1, active)) / vp
        pair = even + odd
        running[active] = np.minimum(running[active], pair)
        stop = (pair <= 0) | (2 * k + 1 >= n - 3)
        done, going = active[stop], active[~stop]
        total[going] += running[going]
        # the even autocorrelation after the last kept pair enters once (as in _ess_fft)
        even_done = np.broadcast_to(even, pair.shape)[stop]
        tail = np.where((pair[stop] >= 0) | (even_done > 0), even_done, 0.0)
        tail = tail if k else np.ones_like(tail)
        tau = np.maximum(-1.0 + 2.0 * total[done] + tail, 1.0 / np.log10(size))
        ess[done] = size / tau
        active = going
    rest = np.setdiff1d(every, np.flatnonzero(np.isfinite(ess)))
    if rest.size:
        ess[rest] = _ess_fft(arr[..., rest])
    return ess


def ess_bulk(draws: npt.ArrayLike) -> FloatArray:
    """Bulk effective sample size (rank-normalised split chains).

    Parameters
    ----------
    draws : array_like, shape (chains, draws, ...)
        As for :func:`rhat`; one chain is enough.

    Returns
    -------
    ndarray
        One ESS per parameter. Vehtari et al. (2021) ask for at least 100 per chain
        before trusting R-hat and posterior summaries.

    Examples
    --------
    >>> draws = np.random.default_rng(0).normal(size=(4, 1000))
    >>> bool(ess_bulk(draws) > 3000)
    True
    """
    return _per_parameter(draws, 1, lambda split: _ess(_z_scale(split)))


def ess_mean(draws: npt.ArrayLike) -> FloatArray:
    """Effective sample size of the mean (split chains, no rank normalisation).

    ArviZ's ``ess(method="mean")``, the one its ``mcse(method="mean")`` divides by: the
    Monte Carlo standard error of a posterior mean is its SD over the square root of
    this. It needs no sort, so it costs a few FFTs for thousands of parameters.

    Parameters
    ----------
    draws : array_like, shape (chains, draws, ...)
        As for :func:`ess_bulk`.

    Returns
    -------
    ndarray
        One ESS per parameter.

    Examples
    --------
    >>> draws = np.random.default_rng(0).normal(size=(4, 1000))
    >>> bool(ess_mean(draws) > 3000)
    True
    """
    return _per_parameter(draws, 1, _ess)


def rhat_split(draws: npt.ArrayLike) -> FloatArray:
    """Classic split R-hat (Gelman et al. 2013, BDA3 §11.4), without rank normalisation.

    ArviZ's ``rhat(method="split")``; for draws known to be near normal, where it needs
    no sort.

    Parameters
    ----------
    draws : array_like, shape (chains, draws, ...)
        As for :func:`rhat`.

    Returns
    -------
    ndarray
        One R-hat per parameter.

    Examples
    --------
    >>> float(rhat_split(np.random.default_rng(0).normal(size=(4, 1000)))) < 1.01
    True
    """
    return _per_parameter(draws, 2, _rhat_plain)
