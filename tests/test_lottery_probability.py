"""Exact inclusion probabilities of weighted draws without replacement."""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from fairpanel.lottery import inclusion_probabilities
from fairpanel.lottery._probability import (
    _RULES,
    ERR_CLASSES,
    ERR_WEIGHTS,
    MAX_CLASSES,
    _class_probabilities,
    _Rule,
)


def _brute_force(w: list[float], k: int) -> np.ndarray:
    """Successive sampling by enumeration of every ordered sequence of k draws.

    P(sequence i1..ik) = prod_j w_ij / (W - w_i1 - ... - w_i(j-1)) — the definition of
    sampling proportional to weight without replacement (Hájek 1981, ch. 9).
    """
    w_arr = np.asarray(w, dtype=float)
    out = np.zeros(len(w))
    for seq in itertools.permutations(range(len(w)), k):
        p, left = 1.0, w_arr.sum()
        for i in seq:
            p *= w_arr[i] / left
            left -= w_arr[i]
        out[list(seq)] += p
    return out


@pytest.mark.parametrize(
    ("weights", "k"),
    [
        ([3, 2, 1], 1),
        ([3, 2, 1, 1], 2),
        ([3, 3, 2, 2, 1, 1], 3),
        ([5, 1, 1, 1, 1, 1, 1], 2),
        ([2, 2, 2, 1, 1, 1, 1], 5),
        ([1.5, 1, 1, 0.25], 2),
    ],
)
def test_matches_enumeration(weights: list[float], k: int) -> None:
    np.testing.assert_allclose(
        inclusion_probabilities(weights, k), _brute_force(weights, k), rtol=0, atol=1e-10
    )


def _quad_reference(w: np.ndarray, n: np.ndarray, k: int) -> np.ndarray:
    """The t-integral done independently: scipy quad, scipy.stats.binom, np.convolve."""
    out = []
    for c in range(w.size):

        def integrand(t: float, c: int = c) -> float:
            dist = np.array([1.0])
            for d in range(w.size):
                m = n[d] - (d == c)
                pmf = stats.binom.pmf(np.arange(m + 1), m, -math.expm1(-w[d] * t))
                dist = np.convolve(dist, pmf)
            return float(w[c] * math.exp(-w[c] * t) * dist[:k].sum())

        val, _ = integrate.quad(integrand, 0, np.inf, epsabs=1e-13, epsrel=1e-12, limit=200)
        out.append(val)
    return np.array(out)


@pytest.mark.parametrize(
    ("counts", "weights", "k"),
    [
        ((10, 15, 25), (3.0, 2.0, 1.0), 12),
        ((4, 30), (4.0, 1.0), 20),
        ((20, 20, 20), (3, 2, 1), 57),
    ],
)
def test_matches_scipy_quad(counts: tuple[int, ...], weights: tuple[float, ...], k: int) -> None:
    w = np.repeat(np.array(weights, dtype=float), counts)
    exact = inclusion_probabilities(w, k)
    ref = _quad_reference(np.array(weights, dtype=float), np.array(counts), k)
    np.testing.assert_allclose(exact, np.repeat(ref, counts), rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    ("counts", "weights", "k"),
    [
        ((150, 250, 600), (3.0, 2.0, 1.0), 100),
        ((2000, 3000, 5000), (3.0, 2.0, 1.0), 1000),
        ((500, 800, 300), (1.0, 1.5, 4.0), 120),
        ((5000, 5000), (1.0, 2.0), 4000),
    ],
)
def test_default_rule_agrees_with_high_resolution_rule(
    counts: tuple[int, ...], weights: tuple[float, ...], k: int
) -> None:
    # The fast default (2 panels x 16 nodes, windows of ±8 SD) against 40 nodes on 14
    # panels out to ±40 spreads with ±20 SD windows: the accuracy claim of the module.
    w, n = np.array(weights), np.array(counts)
    fast = _class_probabilities(w / w.min(), n, k)
    fine = _Rule(40, (-40.0, -20, -12, -8, -5, -3, -1.5, 0, 1.5, 3, 5, 8, 12, 20, 40), 16)
    slow = _class_probabilities(w / w.min(), n, k, rule=fine, window_z=20.0, window_pad=20.0)
    np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-10)


def test_extreme_weight_ratios_are_refined() -> None:
    # Weights 1 : 81 : 183 defeat the default 2-panel rule (its sum is off by 0.011);
    # the sum check must send it to a finer rule. Reference: the finest rule.
    w = np.repeat([0.0838, 6.806, 15.30], [240, 196, 328])
    p = inclusion_probabilities(w, 489)
    assert p.sum() == pytest.approx(489, abs=1e-9)
    fine = _class_probabilities(w[[0, 240, 436]] / 0.0838, np.array([240, 196, 328]), 489,
                                rule=_RULES[-1], window_z=20.0, window_pad=20.0)  # fmt: skip
    np.testing.assert_allclose(p[[0, 240, 436]], fine, rtol=0, atol=1e-9)


def test_matches_numpy_choice_monte_carlo() -> None:
    # numpy's Generator.choice(replace=False, p=...) implements successive sampling on
    # its own; 4,000 seeded draws. For each weight class we compare the class-mean
    # inclusion rate with the exact value; its SE is the SD of the per-draw class means
    # over sqrt(4000). Tolerance 4 SE: a correct implementation fails with probability
    # < 1e-4 per class, and the seed is fixed, so the test is deterministic.
    counts, weights, k = np.array([30, 50, 120]), np.array([3.0, 2.0, 1.0]), 40
    w = np.repeat(weights, counts)
    exact = inclusion_probabilities(w, k)
    rng = np.random.default_rng(20260601)
    reps = 4000
    hits = np.zeros((reps, w.size))
    for r in range(reps):
        hits[r, rng.choice(w.size, size=k, replace=False, p=w / w.sum())] = 1
    cls = np.repeat(np.arange(3), counts)
    for c in range(3):
        per_draw = hits[:, cls == c].mean(axis=1)
        se = per_draw.std(ddof=1) / math.sqrt(reps)
        assert abs(per_draw.mean() - exact[cls == c][0]) <= 4 * se


@given(
    counts=st.lists(st.integers(1, 40), min_size=1, max_size=4),
    data=st.data(),
)
@settings(max_examples=40, deadline=None)
def test_sum_is_places_and_order_follows_weight(counts: list[int], data: st.DataObject) -> None:
    weights = np.arange(1, len(counts) + 1, dtype=float) * 0.5
    w = np.repeat(weights, counts)
    k = data.draw(st.integers(0, w.size))
    p = inclusion_probabilities(w, k)
    assert p.sum() == pytest.approx(k, abs=1e-8)
    assert np.all((p >= 0) & (p <= 1))
    per_class = [p[w == x][0] for x in weights]
    assert all(a <= b + 1e-12 for a, b in itertools.pairwise(per_class))


def test_uniform_is_k_over_n_and_edges() -> None:
    assert inclusion_probabilities([2, 2, 2], 1).tolist() == [1 / 3] * 3
    assert inclusion_probabilities([3, 1], 0).tolist() == [0.0, 0.0]
    assert inclusion_probabilities([3, 1], 2).tolist() == [1.0, 1.0]


def test_errors() -> None:
    with pytest.raises(ValueError, match=ERR_WEIGHTS):
        inclusion_probabilities([1, 0], 1)
    with pytest.raises(ValueError, match="places must be an integer"):
        inclusion_probabilities([1, 2], 3)
    with pytest.raises(TypeError, match="places must be an integer"):
        inclusion_probabilities([1, 2], 1.5)  # type: ignore[arg-type]
    classes = ERR_CLASSES.format(n_classes=39, max_classes=MAX_CLASSES)
    with pytest.raises(ValueError, match=re.escape(classes)):
        inclusion_probabilities(np.arange(1, 40), 3)
    with pytest.raises(ValueError, match="times the smallest"):
        inclusion_probabilities([1, 1, 5000], 1)
