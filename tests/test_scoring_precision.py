"""Reviewer precision: a noise variance per reviewer recovers planted erratic reviewers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel.cli import app
from fairpanel.scoring import _score, score


def _cycle_with_erratic(n: int = 90, k: int = 8, seed: int = 1) -> tuple[pd.DataFrame, set[str]]:
    # A distributed-review cycle whose 10 erratic reviewers grade with noise SD 3, the
    # others with SD 1 (merit SD 1, leniency SD 0.3), rounded to a 1–10 scale.
    rng = np.random.default_rng(seed)
    merit, leniency = rng.normal(0, 1, n), rng.normal(0, 0.3, n)
    noise = np.ones(n)
    erratic = rng.choice(n, 10, replace=False)
    noise[erratic] = 3.0
    offsets = np.argsort(rng.random((n, n - 1)), axis=1)[:, :k] + 1
    sub = ((np.arange(n)[:, None] + offsets) % n).ravel()
    rev = np.repeat(np.arange(n), k)
    y = 5.5 + merit[sub] + leniency[rev] + rng.normal(0, 1, sub.size) * noise[rev]
    reviews = pd.DataFrame(
        {
            "submission_id": [f"P{i:03d}" for i in sub],
            "reviewer_id": [f"R{j:03d}" for j in rev],
            "score": np.clip(np.round(y), 1, 10),
        }
    )
    return reviews, {f"R{j:03d}" for j in erratic}


@pytest.fixture(scope="module")
def erratic_fit() -> tuple[pd.DataFrame, set[str]]:
    reviews, erratic = _cycle_with_erratic()
    result = score(reviews, scale=(1, 10), seed=3, draws=500, warmup=300, reviewer_precision=True)
    assert result.diagnostics.converged, result.diagnostics.message
    return result.reviewers.set_index("reviewer_id"), erratic


def test_reviewer_precision_recovers_planted_erratic_reviewers(erratic_fit) -> None:  # type: ignore[no-untyped-def]
    reviewers, erratic = erratic_fit
    # The ten noisiest by posterior mean are (nearly all) the planted ones: with 8
    # grades each, an SD of 3 against 1 is told apart unless the draws are unlucky.
    top = set(reviewers["noise_sd"].nlargest(10).index)
    assert len(top & erratic) >= 8
    # Calibrated: the planted SDs (3, clipped at the scale's ends; 1) sit inside most
    # 90% intervals, and no steady reviewer's interval lies wholly above 2.
    steady = reviewers.drop(index=list(erratic))
    covered = (steady["noise_sd_lo90"] <= 1.0) & (steady["noise_sd_hi90"] >= 1.0)
    assert covered.mean() >= 0.8
    assert (steady["noise_sd_lo90"] < 2.0).all()
    noisy = reviewers.loc[list(erratic)]
    assert (noisy["noise_sd_hi90"] > 2.0).mean() >= 0.8
    # Shrunk toward the panel (8 grades each) and clipped by the scale: 1.8 vs 1.1 here.
    assert noisy["noise_sd"].mean() > 1.5 * steady["noise_sd"].mean()


def test_reviewer_precision_is_for_the_full_posterior_and_on_the_command_line(
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    reviews, _ = _cycle_with_erratic(n=30, k=5)
    with pytest.raises(ValueError, match="reviewer precision") as info:
        score(reviews, scale=(1, 10), method="eb", reviewer_precision=True)
    assert str(info.value) == _score.ERR_PRECISION_METHOD.format(method="eb")
    path = tmp_path / "reviews.csv"
    reviews.to_csv(path, index=False)
    out, rev = tmp_path / "scores.csv", tmp_path / "reviewers.csv"
    args = ["score", "--reviews", str(path), "--out", str(out), "--reviewers-out", str(rev)]
    args += ["--scale-min", "1", "--scale-max", "10", "--draws", "300", "--reviewer-precision"]
    result = CliRunner().invoke(app, [*args, "--allow-unconverged"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(rev)
    assert {"noise_sd", "noise_sd_lo90", "noise_sd_hi90"} <= set(table.columns)
    assert (table["noise_sd_lo90"] <= table["noise_sd"]).all()


def test_the_report_shows_the_spread_of_noise_and_names_nobody(erratic_fit) -> None:  # type: ignore[no-untyped-def]
    from fairpanel.report._reliability_section import reliability_section

    reviewers, erratic = erratic_fit
    section = reliability_section(None, reviewers.reset_index())
    assert section is not None
    noise = next(t for t in section.tables if t.caption.startswith("Reviewer noise SD"))
    (row,) = noise.rows
    assert row[0] == str(len(reviewers))
    assert row[3] == f"{reviewers['noise_sd'].median():.3f}"
    flagged = reviewers["noise_sd_lo90"] > reviewers["noise_sd"].median()
    assert row[-1] == str(int(flagged.sum()))
    assert set(reviewers.index[flagged]) <= erratic  # only planted reviewers flagged
    assert not any(r in str(section) for r in reviewers.index)
