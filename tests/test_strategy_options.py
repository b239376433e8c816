"""Strategy options on the command line: tiers, interval levels, no bar, unfilled places."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata
from typer.testing import CliRunner

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import ERR_INTERVAL_LEVEL, interval_columns, parse_interval_levels
from fairpanel.cli import app
from fairpanel.lottery import DrawCertificate
from fairpanel.scoring import score
from fairpanel.scoring._ranks import rank_summary
from fairpanel.strategies import (
    Allocation,
    LotteryStrategy,
    PartialLotteryStrategy,
    QuotaLotteryStrategy,
    TieredLotteryStrategy,
    check_strategy_options,
    make_strategy,
    parse_tiers,
)
from fairpanel.strategies._factory import ERR_TIERS_TEXT
from fairpanel.strategies._notes import NO_BAR, Unfilled
from fairpanel.strategies._tiered import (
    ERR_TIER_DUPLICATE,
    ERR_TIER_WEIGHT,
    ERR_TIERS_AND_WEIGHTS,
)
from fairpanel.strategies._zone import recompute_zone

runner = CliRunner()


def _run(*args: str | Path) -> object:
    return runner.invoke(app, [str(a) for a in args])


def _scores(values: list[float], *, higher_is_better: bool = True) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "submission_id": [f"s{i:02d}" for i in range(len(values))],
            "calibrated_score": values,
            "higher_is_better": higher_is_better,
        }
    )


# ------------------------------------------------------------------ --tiers
def test_tiers_parse_as_threshold_weight_pairs_in_the_order_given() -> None:
    assert parse_tiers("3.5:3,3.0:1") == ((3.5, 3.0), (3.0, 1.0))
    assert parse_tiers(" 3.0 : 1 , 3.5:3 ") == ((3.0, 1.0), (3.5, 3.0))
    assert parse_tiers("4:0.5") == ((4.0, 0.5),)


@pytest.mark.parametrize("text", ["3.5-3,3.0:1", "3.5:", ":3", "good:3", "3.5:3,", "nan:1", ""])
def test_malformed_tiers_are_refused_with_the_form_to_use(text: str) -> None:
    with pytest.raises(FairpanelInputError) as err:
        parse_tiers(text)
    assert str(err.value) == ERR_TIERS_TEXT.format(value=text)


@pytest.mark.parametrize(("text", "threshold", "weight"), [("3.5:3,3.0:0", 3.0, 0.0),
                                                             ("3.5:-1", 3.5, -1.0)])  # fmt: skip
def test_a_tier_weight_must_be_above_zero(text: str, threshold: float, weight: float) -> None:
    with pytest.raises(FairpanelInputError) as err:
        parse_tiers(text)
    assert err.value.message == ERR_TIER_WEIGHT.format(threshold=threshold, weight=weight)


def test_a_threshold_given_twice_is_refused() -> None:
    # 3.5 and 3.50 are one threshold: which weight would it have?
    with pytest.raises(FairpanelInputError) as err:
        parse_tiers("3.5:3,3.50:1")
    assert err.value.message == ERR_TIER_DUPLICATE.format(threshold=3.5)


def test_tiers_and_band_weights_are_one_choice_refused_before_any_table() -> None:
    with pytest.raises(FairpanelInputError, match=re.escape(ERR_TIERS_AND_WEIGHTS)):
        check_strategy_options("tiered-lottery", count=2, weights="good=1", tiers="3:1")
    with pytest.raises(FairpanelInputError, match=re.escape(ERR_TIERS_TEXT.format(value="3"))):
        check_strategy_options("tiered-lottery", count=2, tiers="3")
    rule = TieredLotteryStrategy(weights={"good": 1.0}, tiers=[(3.0, 1.0)])
    with pytest.raises(FairpanelInputError, match=re.escape(ERR_TIERS_AND_WEIGHTS)):
        rule.allocate(_scores([3.0, 2.0]), capacity=1, seed="x")


def _successive_sampling(weights: list[float], places: int) -> list[float]:
    """Inclusion probabilities by enumerating every draw order (independent of the code).

    Successive sampling proportional to weight: each next pick is chosen among those left
    with probability weight / (sum of weights left).
    """
    n = len(weights)
    out = [0.0] * n
    for order in itertools.permutations(range(n), places):
        p, left = 1.0, sum(weights)
        for i in order:
            p *= weights[i] / left
            left -= weights[i]
        for i in order:
            out[i] += p
    return out


def test_tiers_weight_each_submission_by_the_best_tier_it_reaches() -> None:
    scores = _scores([4.2, 3.5, 3.49, 3.0, 2.99, 1.0])
    alloc = make_strategy("tiered-lottery", tiers="3.5:3,3.0:1").allocate(
        scores, capacity=2, seed="tiers"
    )
    t = alloc.table.set_index("submission_id")
    # At the threshold counts as reaching it; below the lowest threshold: no entry.
    assert t["weight"].tolist()[:4] == [3.0, 3.0, 1.0, 1.0]
    assert t.loc[["s04", "s05"], "tier"].tolist() == ["rejected", "rejected"]
    expected = _successive_sampling([3.0, 3.0, 1.0, 1.0], 2)
    np.testing.assert_allclose(t["selection_probability"].to_numpy()[:4], expected)
    assert alloc.params is not None
    assert alloc.params["tiers"] == ((3.5, 3.0), (3.0, 1.0))


def test_tiers_follow_a_lower_is_better_scale() -> None:
    # AIBS-like 1-40 scale, 1 best: "reaches 10" is a score of 10 or less.
    scores = _scores([5.0, 10.0, 12.0, 20.0, 30.0], higher_is_better=False)
    alloc = TieredLotteryStrategy(tiers=[(10.0, 2.0), (20.0, 1.0)]).allocate(
        scores, capacity=2, seed="aibs"
    )
    t = alloc.table.set_index("submission_id")
    assert t.loc[["s00", "s01", "s02", "s03"], "weight"].tolist() == [2.0, 2.0, 1.0, 1.0]
    assert t.loc["s04", "tier"] == "rejected"


def test_tiers_are_recorded_and_the_zone_is_redone_from_the_certificate() -> None:
    scores = _scores([4.0, 3.6, 3.1, 3.0, 2.0])
    alloc = make_strategy("tiered-lottery", tiers="3.5:3,3.0:1").allocate(
        scores, capacity=2, seed="rec"
    )
    assert isinstance(alloc.certificate, DrawCertificate)
    written = json.loads(json.dumps(alloc.certificate.to_dict()))
    assert written["context"]["params"] == {"tiers": [[3.5, 3.0], [3.0, 1.0]]}
    assert json.loads(json.dumps(alloc.to_dict()))["params"]["tiers"] == [[3.5, 3.0], [3.0, 1.0]]
    zone = recompute_zone(scores, written["context"])
    assert zone == (alloc.certificate.entrants, alloc.certificate.places)


def test_the_quota_lottery_takes_tiers_too() -> None:
    scores = _scores([4.0, 3.6, 3.1, 2.0])
    alloc = QuotaLotteryStrategy(tiers=[(3.5, 2.0), (3.0, 1.0)]).allocate(
        scores, capacity=2, seed="q"
    )
    t = alloc.table.set_index("submission_id")
    assert t.loc["s03", "tier"] == "rejected"
    assert t.loc[["s00", "s01", "s02"], "weight"].tolist() == [2.0, 2.0, 1.0]
    assert not alloc.no_quality_bar  # the lowest tier is its bar


def test_allocate_tiers_end_to_end(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    _scores([4.0, 3.6, 3.1, 3.0, 2.0]).to_csv(path, index=False)
    out, cert = tmp_path / "alloc.csv", tmp_path / "cert.json"
    res = _run(
        "allocate", "--scores", path, "--strategy", "tiered-lottery", "--tiers", "3.5:3,3.0:1",
        "--capacity", "2", "--seed", "cli", "--out", out, "--certificate", cert,
    )  # fmt: skip
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    lib = make_strategy("tiered-lottery", tiers="3.5:3,3.0:1").allocate(
        _scores([4.0, 3.6, 3.1, 3.0, 2.0]), capacity=2, seed="cli"
    )
    assert pd.read_csv(out)["weight"].tolist()[:4] == lib.table["weight"].tolist()[:4]
    res = _run("verify-draw", cert, "--scores", path, "--allocation", out)
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]


# ------------------------------------------------------------------ --interval
def test_parse_interval_levels_checks_each_level() -> None:
    assert parse_interval_levels("0.8, 0.95") == (0.8, 0.95)
    assert interval_columns(0.95) == ("rank_lo95", "rank_hi95")
    for bad in ("0.805", "1", "0", "eighty"):
        with pytest.raises(ValueError, match=re.escape(ERR_INTERVAL_LEVEL.format(value=bad)[:60])):
            parse_interval_levels(bad)


def test_rank_summary_adds_any_level_as_the_quantiles_of_the_rank_draws() -> None:
    chains = np.random.default_rng(3).normal(np.linspace(0, 2, 7), 1.0, size=(2, 400, 7))
    summary = rank_summary(chains, (0.8, 0.5))
    # Independent ranks: scipy's rankdata of minus the values in each draw (1 = highest).
    ranks = rankdata(-chains.reshape(-1, 7), axis=1, method="ordinal")
    lo, hi = np.quantile(ranks, [0.1, 0.9], axis=0)
    np.testing.assert_allclose(summary["rank_lo80"], lo)
    np.testing.assert_allclose(summary["rank_hi80"], hi)
    # The standard levels are the same as without the extra one; 0.5 is not repeated.
    pd.testing.assert_frame_equal(summary.iloc[:, :7], rank_summary(chains))
    assert list(summary.columns[7:]) == ["rank_lo80", "rank_hi80"]


def _reviews(n: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    merit = np.linspace(1.5, 5.5, n)
    rows = [
        (f"P{i:02d}", f"R{j}", int(np.clip(round(merit[i] + rng.normal(0, 0.8)), 1, 6)))
        for i in range(n)
        for j in range(4)
    ]
    return pd.DataFrame(rows, columns=["submission_id", "reviewer_id", "score"])


def test_score_emits_a_requested_level_and_the_partial_lottery_uses_it() -> None:
    result = score(_reviews(), scale=(1, 6), method="eb", seed=1, interval_levels=[0.8])
    table = result.table
    assert {"rank_lo80", "rank_hi80"} <= set(table.columns)
    assert (table["rank_lo90"] <= table["rank_lo80"]).all()
    assert (table["rank_lo80"] <= table["rank_lo50"]).all()
    zones = {
        level: set(
            PartialLotteryStrategy(interval=level)
            .allocate(table, capacity=4, seed="z")
            .ids_in_tier("lottery")
        )
        for level in (0.5, 0.8, 0.9)
    }
    # Nested intervals give nested zones: the wider the interval, the wider the zone.
    assert zones[0.5] <= zones[0.8] <= zones[0.9]


def test_score_and_allocate_at_80_percent_end_to_end(tmp_path: Path) -> None:
    reviews, scores, scores80 = tmp_path / "r.csv", tmp_path / "s.csv", tmp_path / "s80.csv"
    _reviews().to_csv(reviews, index=False)
    common = ("--scale-min", "1", "--scale-max", "6", "--method", "eb", "--seed", "1")
    res = _run("score", "--reviews", reviews, "--out", scores, *common)
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    res = _run("score", "--reviews", reviews, "--out", scores80, *common,
               "--interval-levels", "0.8")  # fmt: skip
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    assert {"rank_lo80", "rank_hi80"} <= set(pd.read_csv(scores80).columns)
    alloc = ("--strategy", "partial-lottery", "--interval", "0.8", "--capacity", "4")
    res = _run("allocate", "--scores", scores80, *alloc, "--seed", "x",
               "--out", tmp_path / "a.csv")  # fmt: skip
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    # A table scored without the level: one line saying how to get it.
    res = _run("allocate", "--scores", scores, *alloc, "--seed", "x",
               "--out", tmp_path / "b.csv")  # fmt: skip
    assert res.exit_code == 2  # type: ignore[attr-defined]
    line = res.stderr  # type: ignore[attr-defined]
    assert "no 80% rank interval (columns rank_lo80, rank_hi80)" in line
    assert "--interval-levels 0.8" in line
    assert not (tmp_path / "b.csv").exists()


# ------------------------------------------------------------------ no quality bar
def test_a_lottery_without_a_bar_is_flagged_and_one_with_a_bar_is_not() -> None:
    scores = _scores([5.0, 4.0, 3.0, 2.0, 1.0])
    bare = LotteryStrategy().allocate(scores, capacity=2, seed="x")
    barred = LotteryStrategy(quality_bar=2.5).allocate(scores, capacity=2, seed="x")
    assert bare.no_quality_bar
    assert not barred.no_quality_bar
    assert bare.to_dict()["no_quality_bar"] is True
    assert barred.to_dict()["no_quality_bar"] is False
    quota = QuotaLotteryStrategy().allocate(scores, capacity=2, seed="x")
    assert quota.no_quality_bar


def test_a_partial_lottery_is_flagged_when_its_zone_reaches_the_bottom() -> None:
    wide = _scores([3.0, 2.0, 1.0]).assign(
        expected_rank=[1.0, 2.0, 3.0], rank_lo50=[1.0, 1.0, 1.0], rank_hi50=[3.0, 3.0, 3.0]
    )
    narrow = wide.assign(rank_lo50=[1.0, 2.0, 3.0], rank_hi50=[1.0, 2.0, 3.0])
    wide = wide.assign(rank_lo90=wide["rank_lo50"], rank_hi90=wide["rank_hi50"])
    narrow = narrow.assign(rank_lo90=narrow["rank_lo50"], rank_hi90=narrow["rank_hi50"])
    for rule in (PartialLotteryStrategy(), QuotaLotteryStrategy(interval=0.5)):
        assert rule.allocate(wide, capacity=1, seed="x").no_quality_bar
        assert not rule.allocate(narrow, capacity=1, seed="x").no_quality_bar


def test_allocate_warns_loudly_and_records_the_flag(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    _scores([5.0, 4.0, 3.0, 2.0, 1.0]).to_csv(path, index=False)
    out, js = tmp_path / "a.csv", tmp_path / "a.json"
    res = _run("allocate", "--scores", path, "--strategy", "lottery", "--capacity", "2",
               "--seed", "x", "--out", out, "--json", js)  # fmt: skip
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    assert f"WARNING: {NO_BAR['lottery']}" in " ".join(res.stderr.split())  # type: ignore[attr-defined]
    assert json.loads(js.read_text(encoding="utf-8"))["no_quality_bar"] is True
    res = _run("allocate", "--scores", path, "--strategy", "lottery", "--capacity", "2",
               "--quality-bar", "2.5", "--seed", "x", "--out", out, "--json", js)  # fmt: skip
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    assert "WARNING" not in res.stderr  # type: ignore[attr-defined]
    assert json.loads(js.read_text(encoding="utf-8"))["no_quality_bar"] is False


# ------------------------------------------------------------------ unfilled places
def test_unfilled_places_say_why() -> None:
    scores = _scores([float(v) for v in range(20, 0, -1)])  # 20 ... 1
    alloc = LotteryStrategy(quality_bar=4.0).allocate(scores, capacity=20, seed="x")
    assert alloc.unfilled == Unfilled(20, 17, "only 17 submissions pass the quality bar")
    subs = pd.DataFrame(
        {"submission_id": scores["submission_id"], "eligible": [True] * 18 + [False] * 2}
    )
    rank = make_strategy("rank").allocate(scores, subs, capacity=20, seed="x")
    assert rank.unfilled is not None
    assert rank.unfilled.sentence() == "2 of 20 places unfilled: only 18 submissions are eligible"
    assert make_strategy("rank").allocate(scores, capacity=20, seed="x").unfilled is None
    assert make_strategy("rank").allocate(scores, capacity=21, seed="x").unfilled == Unfilled(
        21, 20, "only 20 submissions were scored"
    )
    back = Allocation.from_dict(json.loads(json.dumps(alloc.to_dict())))
    assert back.unfilled == alloc.unfilled
    # A notebook shows it too.
    assert "3 of its 20 places were left unfilled, because only 17" in alloc._repr_html_()


def test_unfilled_places_through_allocate_and_report(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    _scores([float(v) for v in range(20, 0, -1)]).to_csv(path, index=False)
    out, js, cert = tmp_path / "a.csv", tmp_path / "a.json", tmp_path / "cert.json"
    res = _run("allocate", "--scores", path, "--strategy", "lottery", "--quality-bar", "4",
               "--capacity", "20", "--seed", "x", "--out", out, "--json", js,
               "--certificate", cert)  # fmt: skip
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    said = "3 of 20 places unfilled: only 17 submissions pass the quality bar"
    assert said in " ".join(res.stderr.split())  # type: ignore[attr-defined]
    unfilled = {"places": 20, "filled": 17, "unfilled": 3,
                "reason": "only 17 submissions pass the quality bar"}  # fmt: skip
    assert json.loads(js.read_text(encoding="utf-8"))["unfilled"] == unfilled
    written = json.loads(cert.read_text(encoding="utf-8"))
    assert written["context"]["capacity"]["count"] == 20
    assert written["context"]["unfilled"] == unfilled
    assert written["draw_needed"] is False
    # The report meets the CSV with its certificate, and says it in the allocation section.
    res = _run("report", "--out", tmp_path / "rep", "--allocation", out, "--certificate", cert)
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    md = " ".join((tmp_path / "rep" / "report.md").read_text(encoding="utf-8").split())
    assert (
        "lottery: 3 of its 20 places were left unfilled, because only 17 submissions pass "
        "the quality bar." in md
    )


def test_the_report_says_when_a_lottery_had_no_bar(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    _scores([5.0, 4.0, 3.0, 2.0, 1.0]).to_csv(path, index=False)
    out, cert = tmp_path / "a.csv", tmp_path / "cert.json"
    res = _run("allocate", "--scores", path, "--strategy", "lottery", "--capacity", "2",
               "--seed", "x", "--out", out, "--certificate", cert)  # fmt: skip
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    res = _run("report", "--out", tmp_path / "rep", "--allocation", out, "--certificate", cert)
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    md = " ".join((tmp_path / "rep" / "report.md").read_text(encoding="utf-8").split())
    text = NO_BAR["lottery"]
    assert f"lottery: {text[0].upper()}{text[1:]}." in md


def test_a_budget_is_not_a_count_of_places_and_a_report_in_python_says_the_same() -> None:
    from fairpanel.report import ReportInputs, build_report
    from fairpanel.strategies import Capacity

    scores = _scores([5.0, 4.0, 3.0, 2.0])
    subs = pd.DataFrame({"submission_id": scores["submission_id"], "hours": [1.0] * 4})
    budget = Capacity(budget=10.0, request_col="hours")
    rich = LotteryStrategy(quality_bar=3.5).allocate(scores, subs, capacity=budget, seed="b")
    assert rich.unfilled is None  # what a budget leaves unspent is not "places unfilled"
    alloc = LotteryStrategy(quality_bar=3.5).allocate(scores, capacity=4, seed="b")
    section = next(
        s for s in build_report(ReportInputs(allocations=[alloc])).sections if s.id == "strategies"
    )
    assert (
        "lottery: 2 of its 4 places were left unfilled, because only 2 submissions pass the "
        "quality bar." in section.paragraphs
    )
