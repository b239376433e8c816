"""R-hat and bulk ESS against ArviZ, on the same draws, parameter by parameter."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from fairpanel.scoring import ess_bulk, rhat
from fairpanel.scoring._diagnostics import ess_mean, rhat_split


@pytest.fixture(scope="module")
def az():  # type: ignore[no-untyped-def]
    # ArviZ 0.23 announces its refactor with a FutureWarning on import; that notice is
    # about ArviZ's own future API, not about anything this test exercises.
    # ArviZ ships in the "bench" extra; without it these reference checks are skipped.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module="arviz")
        return pytest.importorskip("arviz")


def _ar1(rng: np.random.Generator, chains: int, draws: int, phi: np.ndarray) -> np.ndarray:
    x = np.empty((chains, draws, len(phi)))
    x[:, 0] = rng.normal(size=(chains, len(phi))) / np.sqrt(1 - phi**2)
    for t in range(1, draws):
        x[:, t] = phi * x[:, t - 1] + rng.normal(size=(chains, len(phi)))
    return x


@pytest.mark.parametrize(("chains", "draws"), [(4, 500), (2, 101), (3, 1000)])
def test_rhat_and_ess_equal_arviz(az, chains: int, draws: int) -> None:  # type: ignore[no-untyped-def]
    # Reference: arviz.rhat(method="rank") and arviz.ess(method="bulk"), the estimators of
    # Vehtari et al. (2021). Parameters span anti-correlated, independent and very sticky
    # chains, a chain stuck away from the others, heavy tails and ties.
    rng = np.random.default_rng(chains * draws)
    phi = np.concatenate([[-0.5, 0.0], np.linspace(0.1, 0.99, 14)])
    x = _ar1(rng, chains, draws, phi)
    x[0, :, 3] += 2.0  # one chain elsewhere: R-hat must flag it
    x[:, :, 4] = rng.standard_cauchy(size=(chains, draws))
    x[:, :, 5] = np.round(x[:, :, 5])  # ties in the ranks
    ours_r, ours_e = rhat(x), ess_bulk(x)
    ref_r = np.array([float(az.rhat(x[:, :, p], method="rank")) for p in range(x.shape[2])])
    ref_e = np.array([float(az.ess(x[:, :, p], method="bulk")) for p in range(x.shape[2])])
    np.testing.assert_allclose(ours_r, ref_r, rtol=1e-12)
    np.testing.assert_allclose(ours_e, ref_e, rtol=1e-10)
    # The ESS of the mean (what a Monte Carlo SE of an expected rank divides by).
    ref_m = np.array([float(az.ess(x[:, :, p], method="mean")) for p in range(x.shape[2])])
    np.testing.assert_allclose(ess_mean(x), ref_m, rtol=1e-10)
    ref_s = np.array([float(az.rhat(x[:, :, p], method="split")) for p in range(x.shape[2])])
    np.testing.assert_allclose(rhat_split(x), ref_s, rtol=1e-12)
    assert ours_r[3] > 1.1


def test_shapes_and_constant_draws(az) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 200, 3, 2))
    assert rhat(x).shape == (3, 2)
    assert ess_bulk(x).shape == (3, 2)
    const = np.ones((4, 100))
    assert float(ess_bulk(const)) == pytest.approx(float(az.ess(const, method="bulk")))
    with pytest.raises(ValueError, match="at least 4 draws"):
        rhat(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="shape"):
        rhat(np.zeros((1, 100)))
