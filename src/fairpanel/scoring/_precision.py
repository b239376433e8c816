"""Reviewer precision: every reviewer their own noise variance, with a shared prior.

The panel model's review variance s² (reviewer-by-submission effect plus noise) becomes
one per reviewer, so an erratic reviewer's grades count less::

    y_ij ~ N(eta_i + lambda_j, s_j²),   s_j² ~ InvGamma(a, b),   p(b) ∝ 1/b

with the shape ``a`` fixed at :data:`PRECISION_SHAPE` (a prior coefficient of variation
of 1 for s_j²: reviewers may differ several-fold) and the scale ``b`` learnt from the
whole panel, so a reviewer with few reviews is pulled toward the panel's typical
precision (Gelman et al. 2013, BDA3 §5.7 and §17.3 on hierarchical variance models).
Every conditional is conjugate: s_j² | rest is InvGamma(a + m_j/2, b + SSE_j/2) from
reviewer j's m_j residuals, and b | s² is Gamma(J·a, Σ 1/s_j²). The locations are drawn
by the weighted blocked updates of :mod:`fairpanel.scoring._blocked`, and the group move
of the submission effects is weighted by each review's precision. The uniform priors on
the SDs of the constant-variance model are replaced by this hierarchy for s; the prior on
the submission SD is unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np

from fairpanel.panel import Panel
from fairpanel.scoring._blocked import SparseCache, blocked_locations
from fairpanel.scoring._gibbs import (
    Draws,
    FloatArray,
    GibbsSampler,
    Priors,
    _truncated_inv_gamma,
    scale_draw,
)

__all__ = ["PRECISION_SHAPE", "PrecisionSampler"]

#: Shape of the inverse-gamma prior of each reviewer's noise variance.
PRECISION_SHAPE: Final = 3.0


class PrecisionSampler(GibbsSampler):
    """The blocked Gibbs sampler with a noise variance per reviewer.

    Parameters
    ----------
    design : Panel
        The panel.
    priors : Priors
        ``sd_upper`` bounds the submission SD's uniform prior (and the starting noise
        SDs); ``leniency_sd`` is the leniency prior's SD.
    rngs : sequence of Generator
        One per chain.
    """

    def __init__(self, design: Panel, priors: Priors, rngs: Sequence[np.random.Generator]) -> None:
        super().__init__(design, priors, rngs)
        # Always the blocked updates: the joint draw assumes one noise variance.
        self.sparse = self.cache if isinstance(self.cache, SparseCache) else SparseCache(design)
        self.blocked = True
        self.s2_rev = np.repeat(self.s2[:, None], design.n_rev, axis=1)
        self.scale = self.s2 * (PRECISION_SHAPE - 1.0)
        self._noise: FloatArray | None = None

    def sample(self, n_iter: int) -> Draws:
        """Advance every chain ``n_iter`` iterations; the draws include each noise SD."""
        self._noise = np.empty((len(self.rngs), n_iter, self.sparse.design.n_rev))
        out = super().sample(n_iter)
        out.noise_sd = self._noise
        return out

    def _record(self, i: int) -> None:
        if self._noise is not None:
            self._noise[:, i] = np.sqrt(self.s2_rev)

    def _locations(
        self, z_noise: FloatArray, eta_noise: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        mu, lam, eta = blocked_locations(
            self.sparse, self.tau2, self.s2_rev, self.lam_prec, self.lam, z_noise, eta_noise
        )
        self.lam = lam
        return mu, lam, eta

    def _update_scale_and_variances(
        self, mu: FloatArray, lam: FloatArray, eta: FloatArray, u: FloatArray
    ) -> FloatArray:
        """Weighted group move, then tau², every s_j² and the prior's scale b."""
        d = self.sparse.design
        upper = self.priors.sd_upper
        theta = eta - mu[:, None]
        t_sub = theta[:, d.sub]
        r0 = d.y[None, :] - mu[:, None] - lam[:, d.rev]
        w = 1.0 / self.s2_rev[:, d.rev]
        tt = np.maximum(np.einsum("cn,cn->c", w * t_sub, t_sub), 1e-300)
        rt = np.einsum("cn,cn->c", w * r0, t_sub)
        alpha = scale_draw(rt / tt, 1.0 / np.sqrt(tt), upper / np.sqrt(self.tau2), u[:, 3])
        ss = alpha**2 * np.einsum("cn,cn->c", theta, theta)
        self.tau2 = _truncated_inv_gamma((d.n_sub - 1) / 2, ss / 2, upper**2, u[:, 0])
        resid = r0 - alpha[:, None] * t_sub
        sse = (self.sparse.by_rev @ (resid * resid).T).T  # (chains, reviewers)
        shape = PRECISION_SHAPE + self.sparse.m_j / 2.0
        for c, rng in enumerate(self.rngs):
            self.s2_rev[c] = (self.scale[c] + sse[c] / 2.0) / rng.standard_gamma(shape)
            rate = float((1.0 / self.s2_rev[c]).sum())
            self.scale[c] = rng.standard_gamma(d.n_rev * PRECISION_SHAPE) / rate
        # The typical review variance, reported as the review SD.
        self.s2 = self.s2_rev.mean(axis=1)
        out: FloatArray = mu[:, None] + alpha[:, None] * theta
        return out
