"""``simulate --from-reviews``: a scenario shaped like the committee's panel.

The check is a round trip: reviews generated from the bundled baseline scenario
(``examples/scenarios/baseline.yaml``: leniency SD 0.3, noise SD 1.0 in merit-SD units,
rounded to a 1–5 scale) must give back a scenario whose leniency and noise are within
15 % of the generator's, as the issue asks.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel._errors import FairpanelInputError
from fairpanel.cli._main import app
from fairpanel.cli._simulate import ERR_CAPACITY, ERR_NO_SOURCE, ERR_ONE_SOURCE
from fairpanel.rubric import Scale
from fairpanel.simulate import (
    Scenario,
    generate_cycle,
    load_scenario,
    scenario_from_reviews,
    scenario_yaml,
)
from fairpanel.simulate._from_reviews import ERR_ONE_GROUP, _latent_noise

BASELINE = Path(__file__).resolve().parent.parent / "examples" / "scenarios" / "baseline.yaml"
runner = CliRunner()


@pytest.fixture(scope="module")
def baseline() -> Scenario:
    return load_scenario(BASELINE)


@pytest.fixture(scope="module")
def cycle(baseline: Scenario):  # type: ignore[no-untyped-def]
    return generate_cycle(baseline.to_cycle_config(), rubric=baseline.rubric(), seed=1)


def test_leniency_and_noise_are_recovered_within_15_percent(baseline, cycle) -> None:  # type: ignore[no-untyped-def]
    groups = cycle.submissions.set_index("submission_id")["gender"]
    est, fit = scenario_from_reviews(
        cycle.reviews, capacity=baseline.capacity, scale=(1, 5), groups=groups
    )
    assert est.leniency_sd == pytest.approx(baseline.leniency_sd, rel=0.15)
    assert est.noise_sd == pytest.approx(baseline.noise_sd, rel=0.15)
    assert (est.submissions, est.reviewers, est.reviews_per_submission) == (1000, 100, 3)
    assert est.group_attribute == "gender"
    assert est.group_shares["women"] == pytest.approx(0.4, abs=0.05)
    assert (est.scale_min, est.scale_max, est.rounding) == (1, 5, True)
    # The map from merit to the scale is the fit's: center the mean, spread the SD.
    assert est.center == pytest.approx(fit.components["overall_mean"])
    assert est.spread == pytest.approx(fit.components["submission_sd"])


def test_sheppard_correction_takes_the_rounding_variance_out() -> None:
    # A review SD of 1 point on whole points: 1 - 1/12 of variance is the reviewer's.
    assert _latent_noise(1.0, Scale(1, 5)) == pytest.approx((1 - 1 / 12) ** 0.5)
    assert _latent_noise(1.0, Scale(1, 5, step=None)) == 1.0
    assert _latent_noise(1.0, Scale(1, 5, step=0.5)) == pytest.approx((1 - 0.25 / 12) ** 0.5)


def test_the_yaml_reads_back_as_the_scenario(baseline, cycle, tmp_path) -> None:  # type: ignore[no-untyped-def]
    est, _ = scenario_from_reviews(cycle.reviews, capacity=0.1, scale=(1, 5))
    path = tmp_path / "panel.yaml"
    path.write_text(scenario_yaml(est, source="reviews.csv"), encoding="utf-8")
    back = load_scenario(path)
    assert back.noise_sd == pytest.approx(est.noise_sd, rel=1e-3)
    assert back.group_shares == {"all": 1.0}
    assert back.capacity == 0.1


def test_one_group_is_refused(cycle) -> None:  # type: ignore[no-untyped-def]
    groups = pd.Series("women", index=cycle.submissions["submission_id"], name="gender")
    with pytest.raises(FairpanelInputError) as info:
        scenario_from_reviews(cycle.reviews, capacity=10, scale=(1, 5), groups=groups)
    assert info.value.message == ERR_ONE_GROUP.format(column="gender", value="women")


def test_cli_prints_the_scenario_and_compares(cycle, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reviews = tmp_path / "votes.csv"
    renamed = cycle.reviews.rename(columns={"submission_id": "proposal", "score": "grade"})
    renamed.merge(
        cycle.submissions.rename(columns={"submission_id": "proposal"})[["proposal", "gender"]]
    ).to_csv(reviews, index=False)
    out = tmp_path / "scenario.yaml"
    args = ["simulate", "--from-reviews", str(reviews), "--submission-col", "proposal"]
    args += ["--score-col", "grade", "--scale-min", "1", "--scale-max", "5", "--group", "gender"]
    args += ["--capacity", "100", "--replicates", "4", "--strategies", "rank,lottery"]
    result = runner.invoke(app, [*args, "--no-progress", "--scenario-out", str(out)])
    assert result.exit_code == 0, result.output
    assert "leniency_sd:" in result.output
    assert "merit recovered" in result.output
    assert load_scenario(out).group_attribute == "gender"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], ERR_NO_SOURCE),
        (["--scenario", str(BASELINE), "--from-reviews", str(BASELINE)], ERR_ONE_SOURCE),
        (["--from-reviews", str(BASELINE)], ERR_CAPACITY),
    ],
)
def test_cli_refuses_an_unclear_source(extra: list[str], message: str) -> None:
    result = runner.invoke(app, ["simulate", *extra])
    assert result.exit_code == 2
    assert message in result.output
