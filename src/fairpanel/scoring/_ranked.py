"""Ranked reviews: a rank-ordered (Thurstonian) probit model, sampled by data augmentation.

In distributed peer review as ALMA runs it, each reviewer *ranks* their set of about ten
submissions (1 = best) instead of grading it. A ranking says nothing about a reviewer's
leniency or the spread of their grades, only about order, so the model is the panel
model's location part on a latent scale (Thurstone 1927; Yao & Böckenholt 1999)::

    z_ij = eta_i + eps_ij,   eps_ij ~ N(0, 1),   eta_i ~ N(0, tau²),   tau ~ U(0, 5)

where reviewer j ranks i above i' exactly when z_ij > z_i'j (tied ranks leave the tied
pair unordered). The noise SD is 1 by definition: it is the unit of the latent scale.

The Gibbs sampler augments the data with the latent utilities (Albert & Chib 1993):

1. z | eta, ranks: every z_ij is a normal truncated between the utilities of the
   reviewer's neighbouring ranks. Ranks at odd and at even positions of a reviewer's
   list are conditionally independent given the other parity, so a sweep is two
   vectorised steps over all reviews;
2. eta | z: every eta_i is an independent normal (its reviews' utilities, shrunk);
3. tau² | eta: an inverse gamma truncated at 25, as for the graded model;
4. a group move along the scale (Liu & Wu 1999): (z, eta) → α·(z, eta), which the
   ranking constraints leave intact, drawn from its exact conditional. It moves the
   spread of the utilities and the merits together, which data augmentation alone does
   slowly when rankings are informative.

Each step costs one pass over the reviews. The output is the same table as for grades:
the calibrated score is the posterior mean merit on the latent scale (probit units,
higher is better), the mean score the mean normalised rank (ALMA's own statistic:
(set size − rank) / (set size − 1), 1 for first place).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Final

import numpy as np
import pandas as pd
from scipy import special

from fairpanel._errors import FairpanelInputError
from fairpanel.io._reviews import RUBRIC_KEY
from fairpanel.panel import Panel
from fairpanel.rubric import Rubric
from fairpanel.scoring._gibbs import FloatArray, _truncated_inv_gamma, chain_block

__all__ = ["TAU_UPPER", "RankSampler", "check_ranks", "normalised_ranks", "rank_panel"]

ERR_RANK = (
    "rank {rank:g} given by reviewer {reviewer} is not a whole number from 1 to the "
    "{size} submissions that reviewer ranked (1 = best, ties share a rank)"
)
#: The criterion name of ranked reviews' normalised ranks.
NORMALISED = "normalised rank"

#: Upper end of the uniform prior of the merit SD, in units of the ranking noise.
TAU_UPPER: Final = 5.0
_BLOCK: Final = 256
_TINY: Final = 1e-300


def normalised_ranks(panel: Panel) -> FloatArray:
    """Return each review's normalised rank: (set size − rank) / (set size − 1), 1 = first.

    Ties keep their (shared) rank. A reviewer with one submission gives 0.5.

    Parameters
    ----------
    panel : Panel
        Reviews whose ``raw_total`` is the rank a reviewer gave (1 = best).
    """
    size = np.bincount(panel.rev, minlength=panel.n_rev)[panel.rev].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (size - panel.raw_total) / (size - 1.0)
    result: FloatArray = np.where(size > 1, out, 0.5)
    return result


def _truncated_normal(
    mean: FloatArray, lo: FloatArray, hi: FloatArray, u: FloatArray
) -> FloatArray:
    """Draw N(mean, 1) truncated to (lo, hi) by inverse CDF, on the accurate side."""
    a, b = lo - mean, hi - mean
    flip = a > 0
    a2, b2 = np.where(flip, -b, a), np.where(flip, -a, b)
    pa, pb = special.ndtr(a2), special.ndtr(b2)
    z = special.ndtri(np.clip(pa + u * (pb - pa), _TINY, 1 - 1e-16))
    z = np.clip(z, a2, b2)
    out: FloatArray = mean + np.where(flip, -z, z)
    return out


class RankSampler:
    """Chains of the rank-ordered probit sampler, advanced together as arrays.

    Parameters
    ----------
    panel : Panel
        Reviews whose ``raw_total`` is the rank a reviewer gave (1 = best, ties allowed).
    rngs : sequence of Generator
        One per chain.
    """

    def __init__(self, panel: Panel, rngs: Sequence[np.random.Generator]) -> None:
        self.panel = panel
        self.rngs = list(rngs)
        # Reviews sorted by reviewer, then rank: a reviewer's list is contiguous, and a
        # "group" is one rank of one reviewer (several reviews when tied).
        order = np.lexsort((panel.raw_total, panel.rev))
        self.order = order
        rev, rank = panel.rev[order], panel.raw_total[order]
        new_group = np.ones(order.size, dtype=bool)
        new_group[1:] = (rev[1:] != rev[:-1]) | (rank[1:] != rank[:-1])
        self.group = np.cumsum(new_group) - 1
        self.starts = np.flatnonzero(new_group)
        g_rev = rev[self.starts]
        n_groups = self.starts.size
        # Neighbouring groups of the same reviewer (−1: none).
        self.better = np.where(np.r_[False, g_rev[1:] == g_rev[:-1]], np.arange(n_groups) - 1, -1)
        self.worse = np.where(np.r_[g_rev[:-1] == g_rev[1:], False], np.arange(n_groups) + 1, -1)
        first = np.r_[True, g_rev[1:] != g_rev[:-1]]
        position = np.arange(n_groups) - np.maximum.accumulate(
            np.where(first, np.arange(n_groups), 0)
        )
        self.parity = (position % 2)[self.group]
        self.sub = panel.sub[order]
        self.n_i = np.bincount(panel.sub, minlength=panel.n_sub).astype(float)
        c = len(self.rngs)
        self.tau2 = np.array([r.uniform(0.5, 2.0) for r in self.rngs]) ** 2
        self.eta = np.zeros((c, panel.n_sub))
        # Start the utilities in rank order: minus the normalised position, spread ±1.
        start = -(np.arange(order.size) - self.starts[self.group]) / 5.0
        self.z = np.tile(start, (c, 1))

    def _sweep_z(self, u: FloatArray) -> None:
        """Update the utilities, one parity of rank positions at a time."""
        mean_all = self.eta[:, self.sub]
        for parity in (0, 1):
            gmin = np.minimum.reduceat(self.z, self.starts, axis=1)
            gmax = np.maximum.reduceat(self.z, self.starts, axis=1)
            padded_min = np.concatenate([gmin, np.full((gmin.shape[0], 1), np.inf)], axis=1)
            padded_max = np.concatenate([gmax, np.full((gmax.shape[0], 1), -np.inf)], axis=1)
            hi = padded_min[:, self.better[self.group]]  # above: the better rank's lowest
            lo = padded_max[:, self.worse[self.group]]  # below: the worse rank's highest
            take = self.parity == parity
            draw = _truncated_normal(mean_all[:, take], lo[:, take], hi[:, take], u[:, take])
            self.z[:, take] = draw

    def _step(self, u_z: FloatArray, normals: FloatArray, u: FloatArray) -> None:
        self._sweep_z(u_z)
        prec = self.n_i[None, :] + 1.0 / self.tau2[:, None]
        zsum = np.stack(
            [np.bincount(self.sub, weights=zc, minlength=self.panel.n_sub) for zc in self.z]
        )
        self.eta = zsum / prec + normals / np.sqrt(prec)
        # Group move: α·(z, eta) keeps every order; with tau held, its conditional under
        # the Haar measure dα/α is ∝ α^(N + n − 1) exp(−α² S / 2) with
        # S = ‖z − eta‖² + ‖eta‖²/tau²: α² is a gamma draw (inverse CDF).
        resid = self.z - self.eta[:, self.sub]
        ssq = (
            np.einsum("cn,cn->c", resid, resid)
            + np.einsum("cn,cn->c", self.eta, self.eta) / self.tau2
        )
        shape = (self.z.shape[1] + self.panel.n_sub) / 2.0
        g = special.gammaincinv(shape, np.clip(u[:, 0], _TINY, 1.0 - 1e-16))
        alpha = np.sqrt(g * 2.0 / np.maximum(ssq, _TINY))
        self.z *= alpha[:, None]
        self.eta *= alpha[:, None]
        ss = np.einsum("cn,cn->c", self.eta, self.eta)
        self.tau2 = _truncated_inv_gamma((self.panel.n_sub - 1) / 2, ss / 2, TAU_UPPER**2, u[:, 1])

    def run(self, n_iter: int, *, keep: bool) -> tuple[FloatArray, FloatArray]:
        """Advance ``n_iter`` iterations; return eta (chains, draws, n) and tau draws."""
        c, n = len(self.rngs), self.panel.n_sub
        eta = np.empty((c, n_iter if keep else 0, n))
        tau = np.empty((c, n_iter if keep else 0))
        done = 0
        while done < n_iter:
            block = min(_BLOCK, n_iter - done)
            u_z = chain_block(self.rngs, (block, self.z.shape[1]), normal=False)
            normals = chain_block(self.rngs, (block, n), normal=True)
            u = chain_block(self.rngs, (block, 2), normal=False)
            for t in range(block):
                self._step(u_z[:, t], normals[:, t], u[:, t])
                if keep:
                    eta[:, done + t] = self.eta
                    tau[:, done + t] = np.sqrt(self.tau2)
            done += block
        return eta, tau


def rank_panel(panel: Panel) -> Panel:
    """Return the panel restated on the normalised-rank scale 0–1 (1 = first place).

    The ranks' own panel (``raw_total`` = the rank given) drives the sampler; this one
    carries the numbers the score table reports: its mean score is each submission's
    mean normalised rank, ALMA's statistic.

    Parameters
    ----------
    panel : Panel
        Reviews whose ``raw_total`` is the rank given.
    """
    values = normalised_ranks(panel)
    return replace(
        panel,
        raw_total=values,
        y=values,
        contributions=pd.DataFrame({NORMALISED: values}),
        criterion=NORMALISED,
        scale_rubric=Rubric.single_criterion(minimum=0, maximum=1, name=NORMALISED),
    )


def check_ranks(panel: Panel, reviews: pd.DataFrame | None = None) -> None:
    """Refuse a rank that is not a whole number from 1 to the size of the reviewer's set.

    Parameters
    ----------
    panel : Panel
        Reviews whose ``raw_total`` is the rank given.
    reviews : DataFrame, optional
        The reviews the panel was built from. When :func:`fairpanel.io.load_reviews`
        read them from a file, its index holds each row's place in the file, and the
        error names the spreadsheet row.
    """
    size = np.bincount(panel.rev, minlength=panel.n_rev)[panel.rev]
    rank = panel.raw_total
    bad = (rank != np.round(rank)) | (rank < 1) | (rank > size)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        reviewer, submission = panel.reviewers[panel.rev[k]], panel.submissions[panel.sub[k]]
        row = None
        if reviews is not None and RUBRIC_KEY in reviews.attrs:  # read by the loader
            at = reviews.index[
                (reviews["reviewer_id"] == reviewer) & (reviews["submission_id"] == submission)
            ]
            row = int(at[0]) + 2 if len(at) else None  # the header is row 1
        raise FairpanelInputError(
            ERR_RANK.format(rank=rank[k], reviewer=reviewer, size=int(size[k])),
            row=row,
            column="score",
        )
