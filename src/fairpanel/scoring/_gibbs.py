"""A blocked Gibbs sampler for the SNSF panel model, all chains advanced together.

The model (Heyard, Ott, Salanti & Egger 2022; ERforResearch's default JAGS model) for the
grade of submission i by reviewer j, oriented so that higher is better::

    y_ij   = mu + theta_i + nu_ij + eps_ij
    theta_i ~ N(0, tau^2)           submission effect
    nu_ij   ~ N(lambda_j, tau_a^2)  reviewer-by-submission effect around the
    lambda_j ~ N(0, omega^2)        reviewer's leniency
    eps_ij  ~ N(0, sigma^2)

with ERforResearch's default priors tau, tau_a, sigma ~ Uniform(0, U) and omega fixed; on
its six-point scale U = 2 and omega = 0.5, i.e. 0.4 and 0.1 of the scale's range, which is
how fairpanel states them for any scale.

Two exact rewrites make the sampler fast and well mixing:

1. A reviewer grades a submission once, so nu_ij and eps_ij enter the likelihood only
   through their sum: integrating nu_ij out leaves y_ij ~ N(eta_i + lambda_j, s^2) with
   s^2 = tau_a^2 + sigma^2, and the uniform priors on (tau_a, sigma) induce on s the
   density p(s) ∝ s·h(s), where h(s) is the length of the quarter-circle arc of radius s
   inside the square [0, U]^2 (π/2 up to U, then π/2 − 2·arccos(U/s) up to U√2). The
   data say nothing about how s^2 splits into tau_a^2 and sigma^2.
2. Hierarchical centring, eta_i = mu + theta_i ~ N(mu, tau^2), and a joint draw of all
   location parameters given the variances: the reviewer block (mu, lambda) from its
   marginal (eta integrated out: a dense (m+1)×(m+1) Gaussian), then every eta_i from
   its independent normal conditional. The only Gibbs alternation left is locations ↔
   variances, which is why a few hundred warm-up iterations suffice.

Variances: tau^2 | rest is an inverse gamma truncated at U^2 (exact inverse-CDF draw);
s^2 | rest is drawn by independence Metropolis–Hastings from the truncated inverse gamma
of its likelihood, accepted with probability h(√s²*)/h(√s²) (≈ 1 unless s nears U).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import linalg, special

from fairpanel.panel import Panel
from fairpanel.panel._reml import DENSE_REVIEWERS
from fairpanel.scoring._blocked import SparseCache, blocked_locations

__all__ = ["GibbsSampler", "Priors", "draw_locations", "location_system"]

FloatArray = npt.NDArray[np.float64]

#: Random numbers are drawn per chain in blocks of this many iterations.
_BLOCK = 256


@dataclass(frozen=True)
class Priors:
    """Prior settings.

    ``sd_upper`` bounds every SD's uniform prior; ``leniency_sd`` is the fixed prior SD
    of a reviewer's leniency.
    """

    sd_upper: float
    leniency_sd: float


class _Cache:
    """Per-panel arrays reused at every iteration (the panel's oriented totals ``y``)."""

    def __init__(self, d: Panel) -> None:
        self.design = d
        self.c = d.incidence
        self.ct = np.ascontiguousarray(self.c.T)
        self.n_i = np.bincount(d.sub, minlength=d.n_sub).astype(float)
        self.m_j = np.bincount(d.rev, minlength=d.n_rev).astype(float)
        self.sy_i = np.bincount(d.sub, weights=d.y, minlength=d.n_sub)
        self.sy_j = np.bincount(d.rev, weights=d.y, minlength=d.n_rev)


def location_system(
    cache: _Cache, tau2: FloatArray, s2: FloatArray, lam_prec: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Precision ``S`` and linear term ``b`` of (mu, lambda) with eta integrated out.

    Batched over the leading axis (chains). ``mu`` has a flat prior, ``eta_i ~ N(mu,
    tau2)``, ``lambda_j ~ N(0, 1/lam_prec)``. Also returns ``W``, the conditional
    variance of each eta_i given (mu, lambda).
    """
    tau2 = tau2[:, None]
    s2 = s2[:, None]
    w = 1.0 / (cache.n_i[None, :] / s2 + 1.0 / tau2)  # (B, n)
    m = cache.design.n_rev
    b_size = w.shape[0]
    s_mat = np.empty((b_size, m + 1, m + 1))
    gram = np.matmul(cache.ct[None, :, :] * w[:, None, :], cache.c)  # (B, m, m)
    s_mat[:, 1:, 1:] = -gram / (s2[:, :, None] ** 2)
    diag = np.arange(1, m + 1)
    s_mat[:, diag, diag] += cache.m_j[None, :] / s2 + lam_prec[:, None]
    cross = (w @ cache.c) / (tau2 * s2)  # (B, m)
    s_mat[:, 0, 1:] = cross
    s_mat[:, 1:, 0] = cross
    # n/tau² − sum(W)/tau⁴, written without the cancellation that form has when tau is
    # small: 1 − W_i/tau² = n_i W_i / s².
    s_mat[:, 0, 0] = (cache.n_i[None, :] * w).sum(axis=1) / (s2[:, 0] * tau2[:, 0])
    wy = w * cache.sy_i[None, :]
    b = np.empty((b_size, m + 1))
    b[:, 0] = wy.sum(axis=1) / (tau2[:, 0] * s2[:, 0])
    b[:, 1:] = cache.sy_j[None, :] / s2 - (wy @ cache.c) / s2**2
    return s_mat, b, w


def draw_locations(
    cache: _Cache,
    tau2: FloatArray,
    s2: FloatArray,
    lam_prec: FloatArray,
    z_noise: FloatArray | None,
    eta_noise: FloatArray | None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Joint draw (or, with no noise, the mean) of (mu, lambda, eta) given variances.

    Returns ``mu`` (B,), ``lambda`` (B, m), ``eta`` (B, n).
    """
    s_mat, b, w = location_system(cache, tau2, s2, lam_prec)
    # S = L L': mean = L'^{-1} L^{-1} b; a draw adds L'^{-1} xi (covariance S^{-1}).
    # Triangular solves chain by chain (a handful of chains): O(m²) each, where a general
    # batched solve would refactorise every matrix.
    z = np.empty_like(b)
    for k in range(b.shape[0]):
        chol = linalg.cholesky(s_mat[k], lower=True, check_finite=False)
        half = linalg.solve_triangular(chol, b[k], lower=True, check_finite=False)
        if z_noise is not None:
            half = half + z_noise[k]
        z[k] = linalg.solve_triangular(chol, half, lower=True, trans="T", check_finite=False)
    mu, lam = z[:, 0], z[:, 1:]
    cond = w * (
        cache.sy_i[None, :] / s2[:, None]
        + mu[:, None] / tau2[:, None]
        - (lam @ cache.ct) / s2[:, None]
    )
    eta = cond if eta_noise is None else cond + np.sqrt(w) * eta_noise
    return mu, lam, eta


def _truncated_inv_gamma(
    shape: float, scale: FloatArray, upper: float, u: FloatArray
) -> FloatArray:
    """Inverse-CDF draw of v ~ InvGamma(shape, scale) truncated to v <= upper.

    v = scale / g with g ~ Gamma(shape) truncated to g >= scale / upper; drawn through the
    upper regularised incomplete gamma so that a far-out truncation stays accurate.
    """
    q = special.gammaincc(shape, scale / upper)
    g = special.gammainccinv(shape, u * q)
    with np.errstate(divide="ignore"):
        v = np.where((q > 0) & (g > 0), scale / g, upper)
    out: FloatArray = np.minimum(v, upper)
    return out


def _arc(s: FloatArray, upper: float) -> FloatArray:
    """h(s): length of the radius-s quarter arc inside [0, U]^2 (prior of s ∝ s·h(s))."""
    ratio = np.minimum(upper / np.maximum(s, 1e-300), 1.0)
    out: FloatArray = np.where(
        s <= upper, np.pi / 2, np.maximum(np.pi / 2 - 2 * np.arccos(ratio), 0.0)
    )
    return out


def scale_draw(centre: FloatArray, sd: FloatArray, top: FloatArray, u: FloatArray) -> FloatArray:
    """Draw the group move's scale from N(centre, sd²) truncated to (0, top), by inverse CDF."""
    tiny = 1e-300
    lo, hi = (0.0 - centre) / sd, (top - centre) / sd
    # Draw on the side of the mode where the normal CDF keeps its precision.
    flip = lo > 0
    a, b = np.where(flip, -hi, lo), np.where(flip, -lo, hi)
    pa, pb = special.ndtr(a), special.ndtr(b)
    z = special.ndtri(np.clip(pa + u * (pb - pa), tiny, 1 - 1e-16))
    out: FloatArray = np.clip(centre + sd * np.where(flip, -z, z), 1e-12, top)
    return out


@dataclass
class Draws:
    """Posterior draws, each with leading axes (chains, draws)."""

    mu: FloatArray
    lam: FloatArray
    eta: FloatArray
    tau: FloatArray
    resid_sd: FloatArray
    #: Each reviewer's noise SD (chains, draws, reviewers), with reviewer precision.
    noise_sd: FloatArray | None = None

    def extend(self, other: Draws) -> Draws:
        """Concatenate along the draws axis."""
        noise = None
        if self.noise_sd is not None and other.noise_sd is not None:
            noise = np.concatenate([self.noise_sd, other.noise_sd], axis=1)
        joined = {
            f: np.concatenate([getattr(self, f), getattr(other, f)], axis=1)
            for f in ("mu", "lam", "eta", "tau", "resid_sd")
        }
        return Draws(**joined, noise_sd=noise)


class GibbsSampler:
    """Several chains of the blocked Gibbs sampler, advanced together as arrays.

    Parameters
    ----------
    design : Panel
        The panel (:func:`fairpanel.panel.from_reviews`); its oriented totals are fitted.
    priors : Priors
    rngs : sequence of Generator
        One per chain (children of the user's seed): each chain's random stream is its
        own, so chain k is the same whether 2 or 8 chains run.
    fixed_variances : (tau, s), optional
        Hold the submission SD and the review SD fixed (for checks against the exact
        conjugate posterior).
    """

    def __init__(
        self,
        design: Panel,
        priors: Priors,
        rngs: Sequence[np.random.Generator],
        *,
        fixed_variances: tuple[float, float] | None = None,
    ) -> None:
        # Many reviewers (distributed review): linear-cost blocked updates instead of
        # the joint draw, whose dense reviewer block costs O(reviewers³) an iteration.
        self.blocked = design.n_rev > DENSE_REVIEWERS
        self.cache: _Cache | SparseCache = SparseCache(design) if self.blocked else _Cache(design)
        self.priors = priors
        self.rngs = list(rngs)
        self.fixed = fixed_variances
        n_chains = len(self.rngs)
        upper = priors.sd_upper
        if fixed_variances is None:
            # Over-dispersed starts for the variances; the locations are drawn first.
            starts = np.array([r.uniform(0.05, 0.95, size=2) for r in self.rngs]) * upper
            self.tau2 = starts[:, 0] ** 2
            self.s2 = starts[:, 1] ** 2
        else:
            self.tau2 = np.full(n_chains, fixed_variances[0] ** 2)
            self.s2 = np.full(n_chains, fixed_variances[1] ** 2)
        self.lam_prec = np.full(n_chains, 1.0 / priors.leniency_sd**2)
        self.lam = np.zeros((n_chains, design.n_rev))

    def _random_block(self, n_iter: int) -> tuple[FloatArray, FloatArray]:
        d = self.cache.design
        width = d.n_rev + 1 + d.n_sub
        return chain_block(self.rngs, (n_iter, width), normal=True), chain_block(
            self.rngs, (n_iter, 4), normal=False
        )

    def warm_up(self, n_iter: int) -> None:
        """Advance every chain ``n_iter`` iterations, keeping nothing."""
        self._iterate(n_iter, None)

    def sample(self, n_iter: int) -> Draws:
        """Advance every chain ``n_iter`` iterations and return the draws."""
        d = self.cache.design
        n_chains = len(self.rngs)
        out = Draws(
            mu=np.empty((n_chains, n_iter)),
            lam=np.empty((n_chains, n_iter, d.n_rev)),
            eta=np.empty((n_chains, n_iter, d.n_sub)),
            tau=np.empty((n_chains, n_iter)),
            resid_sd=np.empty((n_chains, n_iter)),
        )
        self._iterate(n_iter, out)
        return out

    def _iterate(self, n_iter: int, out: Draws | None) -> None:
        m1 = self.cache.design.n_rev + 1
        done = 0
        while done < n_iter:
            block = min(_BLOCK, n_iter - done)
            normals, uniforms = self._random_block(block)
            for t in range(block):
                mu, lam, eta = self._locations(normals[:, t, :m1], normals[:, t, m1:])
                if self.fixed is None:
                    eta = self._update_scale_and_variances(mu, lam, eta, uniforms[:, t])
                if out is not None:
                    i = done + t
                    out.mu[:, i] = mu
                    out.lam[:, i] = lam
                    out.eta[:, i] = eta
                    out.tau[:, i] = np.sqrt(self.tau2)
                    out.resid_sd[:, i] = np.sqrt(self.s2)
                    self._record(i)
            done += block

    def _locations(
        self, z_noise: FloatArray, eta_noise: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Draw (mu, lambda, eta) given the variances: jointly, or in linear-cost blocks."""
        if isinstance(self.cache, SparseCache):
            mu, lam, eta = blocked_locations(
                self.cache, self.tau2, self.s2, self.lam_prec, self.lam, z_noise, eta_noise
            )
            self.lam = lam
            return mu, lam, eta
        return draw_locations(self.cache, self.tau2, self.s2, self.lam_prec, z_noise, eta_noise)

    def _record(self, i: int) -> None:
        """Keep any further state of draw ``i`` (a subclass's per-reviewer variances)."""

    def _update_scale_and_variances(
        self, mu: FloatArray, lam: FloatArray, eta: FloatArray, u: FloatArray
    ) -> FloatArray:
        """Rescale the submission effects, then draw tau² and s²; return the new eta.

        The rescaling is the group move of Liu & Sabatti (2000) along the hierarchical
        funnel: (theta, tau) → alpha·(theta, tau). With Haar measure dalpha/alpha on the
        scale group, the conditional of alpha is proportional to the likelihood at
        mu + alpha·theta, truncated to alpha·tau <= U: a truncated normal, drawn exactly.
        It moves the spread of the submission effects and tau together, which the two
        Gibbs steps cannot do when tau is small next to the noise (few reviews per
        submission, little difference between submissions).

        The sums it needs also give the residual sum of squares after the move, so the
        reviews are gathered once per iteration.
        """
        d = self.cache.design
        upper = self.priors.sd_upper
        theta = eta - mu[:, None]
        t_sub = theta[:, d.sub]
        r0 = d.y[None, :] - mu[:, None] - lam[:, d.rev]
        tt = np.einsum("cn,cn->c", t_sub, t_sub)
        rt = np.einsum("cn,cn->c", r0, t_sub)
        rr = np.einsum("cn,cn->c", r0, r0)
        tiny = 1e-300
        centre = rt / np.maximum(tt, tiny)
        sd = np.sqrt(self.s2 / np.maximum(tt, tiny))
        alpha = scale_draw(centre, sd, upper / np.sqrt(self.tau2), u[:, 3])

        # tau² | theta: inverse gamma truncated at U² (uniform prior on tau).
        ss = alpha**2 * np.einsum("cn,cn->c", theta, theta)
        self.tau2 = _truncated_inv_gamma((d.n_sub - 1) / 2, ss / 2, upper**2, u[:, 0])
        # s² | residuals: independence Metropolis–Hastings from the truncated inverse gamma
        # of the likelihood, accepted with the ratio of the induced prior's arc lengths.
        sse = np.maximum(rr - 2 * alpha * rt + alpha**2 * tt, 0.0)
        proposal = _truncated_inv_gamma(len(d.y) / 2 - 1, sse / 2, 2 * upper**2, u[:, 1])
        ratio = _arc(np.sqrt(proposal), upper) / _arc(np.sqrt(self.s2), upper)
        self.s2 = np.where(u[:, 2] < ratio, proposal, self.s2)
        out: FloatArray = mu[:, None] + alpha[:, None] * theta
        return out


def chain_block(
    rngs: Sequence[np.random.Generator], shape: tuple[int, int], *, normal: bool
) -> FloatArray:
    """Draw a block of standard normals (or uniforms) per chain: shape (chains, *shape).

    Each chain's generator fills its own contiguous slab in place (no stacking copy); the
    draws are those of ``r.standard_normal(shape)`` (``r.random(shape)``) for each ``r``.
    """
    out = np.empty((len(rngs), *shape))
    for chain, r in enumerate(rngs):  # one call per chain: a handful, never per draw
        if normal:
            r.standard_normal(out=out[chain])
        else:
            r.random(out=out[chain])
    return out
