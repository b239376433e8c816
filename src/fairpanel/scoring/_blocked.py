"""Location updates at linear cost for panels with many reviewers (distributed review).

The joint draw of :mod:`fairpanel.scoring._gibbs` integrates the submission values out
and factorises the dense (reviewers + 1)-square precision of (mu, lambda) at every
iteration: O(reviewers³), which is cheap for a committee of forty and prohibitive when
every applicant reviews (1,700 reviewers). Here the locations are drawn in two blocks
whose every member is conditionally independent, so an iteration costs one pass over
the reviews:

1. (mu, eta) | lambda: mu from its marginal (each submission's mean residual is
   N(mu, tau² + s²/n_i), eta integrated out), then every eta_i from its normal
   conditional given mu;
2. lambda | eta: every reviewer's leniency from its normal conditional.

Drawing mu with eta jointly removes the one strongly correlated pair of the centred
parameterisation. What is left, a shift of every eta (with mu) against every lambda, is
pinned only by the leniency prior and mixes slowly, but leaves the submission effects
theta = eta − mu, and so every rank, unchanged. The contrasts between submissions mix
fast when each reviewer sees few submissions: the rate is the square of the design's
second canonical correlation, about 0.3 for ten reviews each.

The posterior means given the variances (the empirical-Bayes BLUPs) solve the same
sparse system by conjugate gradients (:func:`fairpanel.panel._sparse.block_cg`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import sparse

from fairpanel.panel import Panel
from fairpanel.panel._sparse import block_cg

__all__ = ["SparseCache", "blocked_locations", "sparse_blup"]

FloatArray = npt.NDArray[np.float64]


class SparseCache:
    """Per-panel sparse incidence and sums, reused at every iteration."""

    def __init__(self, d: Panel) -> None:
        self.design = d
        # reviewer × submission: one nonzero per review.
        self.k = sparse.csr_matrix(
            (np.ones(d.n_reviews), (d.rev, d.sub)), shape=(d.n_rev, d.n_sub)
        )
        self.kt = self.k.T.tocsr()
        self.n_i = np.bincount(d.sub, minlength=d.n_sub).astype(float)
        self.m_j = np.bincount(d.rev, minlength=d.n_rev).astype(float)
        self.sy_i = np.bincount(d.sub, weights=d.y, minlength=d.n_sub)
        self.sy_j = np.bincount(d.rev, weights=d.y, minlength=d.n_rev)
        # submission × reviewer holding the grades, and reviewer × review indicators:
        # the weighted sums of the per-reviewer noise model.
        self.kt_y = sparse.csr_matrix((d.y, (d.sub, d.rev)), shape=(d.n_sub, d.n_rev))
        self.by_rev = sparse.csr_matrix(
            (np.ones(d.n_reviews), (d.rev, np.arange(d.n_reviews))),
            shape=(d.n_rev, d.n_reviews),
        )
        self._key: bytes = b""
        self._coefficients: tuple[FloatArray, ...] = ()

    def coefficients(
        self, tau2: FloatArray, s2: FloatArray, lam_prec: FloatArray
    ) -> tuple[FloatArray, ...]:
        """Return the sweep's coefficients that depend on the variances alone.

        With the variances held fixed (empirical Bayes) they are the same at every
        iteration, so they are kept and reused while the variances stay the same. Each
        is one row per chain, shaped to multiply a (chains, n) array in one pass:

        - ``mu_weight``: u_i / (n_i Σu), with u_i = n_i / (n_i tau² + s²) the precision of
          submission i's mean residual, so mu's conditional mean is Σ mu_weight·resid_i;
        - ``mu_sd``: 1 / sqrt(Σu), mu's conditional SD;
        - ``eta_resid``, ``eta_mu``, ``eta_sd``: w/s², w/tau² and sqrt(w), with
          w = 1 / (n_i/s² + 1/tau²) eta's conditional variance;
        - ``lam_sum``, ``lam_sd``: 1 / (s² p_j) and 1 / sqrt(p_j), with
          p_j = m_j/s² + 1/omega² lambda's conditional precision.

        Parameters
        ----------
        tau2, s2, lam_prec : ndarray, shape (chains,)
            Each chain's submission variance, review variance and leniency precision.
        """
        key = tau2.tobytes() + s2.tobytes() + lam_prec.tobytes()
        if key != self._key:
            t2, v2 = tau2[:, None], s2[:, None]
            n_i = self.n_i[None, :]
            u = n_i / (n_i * t2 + v2)
            u_sum = u.sum(axis=1, keepdims=True)
            w = 1.0 / (n_i / v2 + 1.0 / t2)
            prec = self.m_j[None, :] / v2 + lam_prec[:, None]
            self._key = key
            self._coefficients = (
                u / n_i / u_sum, 1.0 / np.sqrt(u_sum[:, 0]),
                w / v2, w / t2, np.sqrt(w),
                1.0 / (v2 * prec), 1.0 / np.sqrt(prec),
            )  # fmt: skip
        return self._coefficients


def blocked_locations(
    cache: SparseCache,
    tau2: FloatArray,
    s2: FloatArray,
    lam_prec: FloatArray,
    lam: FloatArray,
    z_noise: FloatArray,
    eta_noise: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """One sweep: (mu, eta) | lambda, then lambda | eta. Batched over chains (rows).

    ``s2`` is each chain's review variance (B,), or each reviewer's (B, m) when every
    reviewer has their own precision. Returns the new ``mu`` (B,), ``lambda`` (B, m) and
    ``eta`` (B, n).
    """
    if s2.ndim == 2:
        return _weighted_locations(cache, tau2, s2, lam_prec, lam, z_noise, eta_noise)
    mu_weight, mu_sd, eta_resid, eta_mu, eta_sd, lam_sum, lam_sd = cache.coefficients(
        tau2, s2, lam_prec
    )
    resid_i = cache.sy_i[None, :] - (cache.kt @ lam.T).T  # Σ_j (y_ij − λ_j), (B, n)
    mu = np.einsum("bn,bn->b", mu_weight, resid_i) + z_noise[:, 0] * mu_sd
    eta = eta_resid * resid_i + eta_mu * mu[:, None] + eta_sd * eta_noise
    residual_j = cache.sy_j[None, :] - (cache.k @ eta.T).T  # Σ_i (y_ij − η_i), (B, m)
    new_lam = lam_sum * residual_j + lam_sd * z_noise[:, 1:]
    return mu, new_lam, eta


def _weighted_locations(
    cache: SparseCache,
    tau2: FloatArray,
    s2_rev: FloatArray,
    lam_prec: FloatArray,
    lam: FloatArray,
    z_noise: FloatArray,
    eta_noise: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """:func:`blocked_locations` with a noise variance per reviewer (weights 1/s²_j)."""
    t2 = tau2[:, None]
    w_rev = 1.0 / s2_rev
    weight_i = (cache.kt @ w_rev.T).T  # Σ_j 1/s²_j over the submission's reviewers
    resid_i = (cache.kt_y @ w_rev.T).T - (cache.kt @ (w_rev * lam).T).T
    u = 1.0 / (t2 + 1.0 / weight_i)  # precision of each submission's weighted mean
    u_sum = u.sum(axis=1)
    mu = (u * resid_i / weight_i).sum(axis=1) / u_sum + z_noise[:, 0] / np.sqrt(u_sum)
    prec_eta = weight_i + 1.0 / t2
    eta = (resid_i + mu[:, None] / t2) / prec_eta + eta_noise / np.sqrt(prec_eta)
    prec = cache.m_j[None, :] * w_rev + lam_prec[:, None]
    lam_sum = cache.sy_j[None, :] - (cache.k @ eta.T).T
    new_lam = w_rev * lam_sum / prec + z_noise[:, 1:] / np.sqrt(prec)
    return mu, new_lam, eta


def sparse_blup(
    cache: SparseCache, tau2: float, s2: float, lam_prec: float
) -> tuple[float, FloatArray, FloatArray]:
    """Posterior means of (mu, lambda, eta) given the variances, by conjugate gradients.

    With eta integrated out, (mu, lambda) has precision ``S`` and linear term ``b``
    (the sparse form of :func:`fairpanel.scoring._gibbs.location_system`); mu is
    eliminated by a rank-one correction, and the reviewer block, SPD with a dominant
    diagonal, is solved by CG.
    """
    k, kt = cache.k, cache.kt
    w = 1.0 / (cache.n_i / s2 + 1.0 / tau2)

    def s_rr(x: FloatArray) -> FloatArray:
        out: FloatArray = (cache.m_j / s2 + lam_prec)[:, None] * x - (
            k @ (w[:, None] * (kt @ x))
        ) / s2**2
        return out

    diag = cache.m_j / s2 + lam_prec - (k @ w) / s2**2
    s_r0 = (k @ w) / (tau2 * s2)
    s_00 = float(cache.n_i @ w) / (s2 * tau2)
    wy = w * cache.sy_i
    b_0 = float(wy.sum()) / (tau2 * s2)
    b_r = cache.sy_j / s2 - (k @ wy) / s2**2
    sol = block_cg(s_rr, np.column_stack([b_r, s_r0]), diag)
    mu = (b_0 - float(s_r0 @ sol[:, 0])) / (s_00 - float(s_r0 @ sol[:, 1]))
    lam = sol[:, 0] - sol[:, 1] * mu
    eta = w * (cache.sy_i / s2 + mu / tau2 - (kt @ lam) / s2)
    return mu, lam, eta
