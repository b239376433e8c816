"""``fairpanel allocate`` and ``fairpanel verify-draw``: same numbers as the library."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import STRATEGY_NAMES, STRATEGY_OPTIONS
from fairpanel.cli import app
from fairpanel.strategies import (
    Capacity,
    LotteryStrategy,
    PartialLotteryStrategy,
    RankStrategy,
    TieredLotteryStrategy,
    check_strategy_options,
    parse_weights,
)
from fairpanel.strategies._factory import (
    ERR_CAPACITY,
    ERR_NEEDS,
    ERR_OPTION,
    ERR_REQUEST_COL,
    STRATEGY_NEEDS,
)
from fairpanel.strategies._factory import ERR_WEIGHTS_TEXT as ERR_WEIGHTS

runner = CliRunner()


def _written(path):
    """A command's JSON without its provenance block (the library result has none)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("provenance", None)
    return data


@pytest.fixture
def files(snsf_p1: pd.DataFrame, tmp_path: Path) -> dict[str, Path]:
    scores = snsf_p1.copy()
    scores["band"] = ["excellent"] * 4 + ["very good"] * 5 + ["good"] * 4 + ["poor"] * 2
    scores_path = tmp_path / "scores.csv"
    scores.to_csv(scores_path, index=False)
    subs = pd.DataFrame(
        {
            "id": scores["submission_id"],
            "hours": [float(h) for h in [3, 5, 2, 4, 1, 6, 2, 2, 3, 1, 4, 2, 5, 1, 2]],
            "eligible": ["yes"] * 14 + ["no"],
        }
    )
    subs_path = tmp_path / "subs.csv"
    subs.to_csv(subs_path, index=False)
    return {"scores": scores_path, "subs": subs_path, "dir": tmp_path}


def _run(*args: str | Path) -> object:
    return runner.invoke(app, [str(a) for a in args])


def _library_frame(alloc_table: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The CLI's CSV and the library table, both as read back from CSV text."""
    lib_path = path.with_name("library.csv")
    alloc_table.to_csv(lib_path, index=False)
    return pd.read_csv(path), pd.read_csv(lib_path)


@pytest.mark.parametrize(
    ("argv", "rule"),
    [
        (["--strategy", "rank"], RankStrategy()),
        (["--strategy", "lottery", "--quality-bar", "very good"], None),
        (
            ["--strategy", "partial-lottery", "--interval", "0.9"],
            PartialLotteryStrategy(interval=0.9),
        ),
        (["--strategy", "tiered-lottery", "--weights", "excellent=3,very good=2,good=1"], None),
    ],
)
def test_allocate_equals_library(files: dict[str, Path], argv: list[str], rule: object) -> None:
    out, cert, js = (files["dir"] / n for n in ("alloc.csv", "draw.json", "alloc.json"))
    res = _run(
        "allocate", "--scores", files["scores"], "--capacity", "5", "--seed", "cycle-7",
        "--out", out, "--certificate", cert, "--json", js, *argv,
    )  # fmt: skip
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    scores = pd.read_csv(files["scores"], dtype={"submission_id": str})
    if rule is None:
        rule = (
            LotteryStrategy(quality_bar="very good")
            if argv[1] == "lottery"
            else TieredLotteryStrategy(weights={"excellent": 3, "very good": 2, "good": 1})
        )
    alloc = rule.allocate(scores, capacity=5, seed="cycle-7")  # type: ignore[attr-defined]
    cli, lib = _library_frame(alloc.table, out)
    pd.testing.assert_frame_equal(cli, lib)
    data = _written(js)
    assert data["tiers"] == alloc.to_dict()["tiers"]
    if alloc.certificate is not None:
        assert _written(cert) == alloc.certificate.to_dict()
        ok = _run("verify-draw", cert)
        assert ok.exit_code == 0  # type: ignore[attr-defined]
        assert "ok: the draw matches" in ok.output  # type: ignore[attr-defined]


def test_allocate_with_budget_and_eligibility(
    snsf_p1: pd.DataFrame, files: dict[str, Path]
) -> None:
    out = files["dir"] / "alloc.csv"
    res = _run(
        "allocate", "--scores", files["scores"], "--submissions", files["subs"],
        "--submission-col", "id", "--budget", "10", "--request-col", "hours",
        "--strategy", "rank", "--seed", "b", "--out", out,
    )  # fmt: skip
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    table = pd.read_csv(out)
    assert table.loc[table["selected"], "request"].sum() <= 10
    assert table.set_index("submission_id").loc["#15", "tier"] == "ineligible"
    subs = pd.read_csv(files["subs"], dtype={"id": str}).rename(columns={"id": "submission_id"})
    subs["eligible"] = subs["eligible"] == "yes"
    lib = RankStrategy().allocate(
        snsf_p1, subs, capacity=Capacity(budget=10.0, request_col="hours"), seed="b"
    )
    assert table["submission_id"][table["selected"]].tolist() == list(
        lib.table["submission_id"][lib.table["selected"]]
    )


def test_verify_draw_rejects_a_tampered_certificate(files: dict[str, Path]) -> None:
    out, cert = files["dir"] / "alloc.csv", files["dir"] / "draw.json"
    res = _run(
        "allocate", "--scores", files["scores"], "--capacity", "5", "--seed", "s",
        "--strategy", "partial-lottery", "--out", out, "--certificate", cert,
    )  # fmt: skip
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    data = json.loads(cert.read_text(encoding="utf-8"))
    data["seed"] = "another seed"
    bad = files["dir"] / "tampered.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    res = _run("verify-draw", bad)
    assert res.exit_code == 2  # type: ignore[attr-defined]
    assert "the draw does not match" in res.output  # type: ignore[attr-defined]
    assert len(res.output.strip().splitlines()) == 1  # type: ignore[attr-defined]
    junk = files["dir"] / "junk.json"
    junk.write_text("{not json", encoding="utf-8")
    res = _run("verify-draw", junk)
    assert res.exit_code == 2  # type: ignore[attr-defined]
    assert "not valid JSON" in res.output  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--strategy", "rank"], ERR_CAPACITY),
        (
            ["--strategy", "rank", "--capacity", "2", "--weights", "a=1"],
            ERR_OPTION.format(option="weights", strategy="rank"),
        ),
        (["--strategy", "tiered-lottery", "--capacity", "2", "--weights", "a:1"], "--weights"),
        (["--strategy", "partial-lottery", "--capacity", "2", "--interval", "0.7"], "interval"),
        (["--strategy", "lottery", "--capacity", "2", "--quality-bar", "gold"], "not one of"),
        (["--strategy", "rank", "--budget", "3"], "--request-col"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    files: dict[str, Path], extra: list[str], message: str
) -> None:
    out = files["dir"] / "never.csv"
    res = _run("allocate", "--scores", files["scores"], "--seed", "x", "--out", out, *extra)
    assert res.exit_code == 2, res.output  # type: ignore[attr-defined]
    assert message in res.output  # type: ignore[attr-defined]
    assert not out.exists()


def test_bad_score_file_names_the_file(snsf_p1: pd.DataFrame, files: dict[str, Path]) -> None:
    broken = files["dir"] / "broken.csv"
    snsf_p1.drop(columns="calibrated_score").to_csv(broken, index=False)
    out = files["dir"] / "never.csv"
    res = _run(
        "allocate", "--scores", broken, "--capacity", "2", "--strategy", "rank",
        "--seed", "x", "--out", out,
    )  # fmt: skip
    assert res.exit_code == 2
    assert "broken.csv" in res.output
    assert "calibrated_score" in res.output
    assert not out.exists()


def test_parse_weights() -> None:
    assert parse_weights("excellent=3, very good=2,good=1") == {
        "excellent": 3.0,
        "very good": 2.0,
        "good": 1.0,
    }
    for bad in ("excellent:3", "=2", "good=high", "good=inf"):
        with pytest.raises(FairpanelInputError) as err:
            parse_weights(bad)
        assert (err.value.message, err.value.field) == (ERR_WEIGHTS.format(value=bad), "weights")


# ---------------------------------------------------------------- found on real panels
def test_rank_on_a_lower_is_better_score_file(tmp_path: Path) -> None:
    # AIBS-like: 1-40, 1 = best; `fairpanel score` writes the direction as text in CSV.
    scores = pd.DataFrame(
        {
            "submission_id": ["a", "b", "c", "d", "e"],
            "calibrated_score": [12.0, 1.5, 30.0, 4.0, 20.0],
            "higher_is_better": False,
        }
    )
    path, out = tmp_path / "aibs.csv", tmp_path / "alloc.csv"
    scores.to_csv(path, index=False)
    res = _run(
        "allocate", "--scores", path, "--strategy", "rank", "--capacity", "2",
        "--seed", "aibs", "--out", out,
    )  # fmt: skip
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    table = pd.read_csv(out, dtype={"submission_id": str})
    assert set(table.loc[table["selected"], "submission_id"]) == {"b", "d"}
    res = _run(
        "allocate", "--scores", path, "--strategy", "lottery", "--quality-bar", "12",
        "--capacity", "2", "--seed", "aibs", "--out", out,
    )  # fmt: skip
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    table = pd.read_csv(out, dtype={"submission_id": str})
    assert set(table.loc[table["tier"] == "lottery", "submission_id"]) == {"a", "b", "d"}


def test_a_misspelt_weight_band_exits_2_listing_the_bands(files: dict[str, Path]) -> None:
    out = files["dir"] / "never.csv"
    res = _run(
        "allocate", "--scores", files["scores"], "--strategy", "tiered-lottery",
        "--weights", "excellent=3,very good=2,god=1", "--capacity", "5", "--seed", "x",
        "--out", out,
    )  # fmt: skip
    assert res.exit_code == 2, res.output  # type: ignore[attr-defined]
    text = " ".join(res.output.split())  # type: ignore[attr-defined]
    assert "'god'" in text
    assert "'excellent', 'good', 'poor', 'very good'" in text
    assert not out.exists()


def test_allocate_prints_a_short_summary(tmp_path: Path) -> None:
    n = 60
    scores = pd.DataFrame(
        {"submission_id": [f"P{i:03d}" for i in range(n)], "calibrated_score": range(n)}
    )
    path, out = tmp_path / "scores.csv", tmp_path / "alloc.csv"
    scores.to_csv(path, index=False)
    res = _run(
        "allocate", "--scores", path, "--strategy", "lottery", "--capacity", "25",
        "--seed", "x", "--out", out,
    )  # fmt: skip
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    output = res.output  # type: ignore[attr-defined]
    # Counts per tier; no id list for a tier of more than 20.
    assert "lottery (60, 25 drawn)" in output
    assert "P000" not in output
    # A lottery with no bar says so first, in one line; the summary after it stays short.
    warning, _, summary = output.partition("\n")
    assert warning.startswith("WARNING: the lottery has no quality bar")
    assert len(summary) < 300


def test_interval_help_shows_its_default() -> None:
    res = runner.invoke(app, ["allocate", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    line = next(ln for ln in res.output.splitlines() if "--interval" in ln)
    assert "(default 0.5)" in line


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ("drawn", "drawn is recorded true, recomputed false"),
        ("places", "input checksum differs"),
        ("position", "draw_position is recorded 9, recomputed 1"),
    ],
)
def test_verify_draw_checks_flags_positions_and_places(
    files: dict[str, Path], edit: str, expected: str
) -> None:
    out, cert = files["dir"] / "alloc.csv", files["dir"] / "draw.json"
    res = _run(
        "allocate", "--scores", files["scores"], "--capacity", "5", "--seed", "s",
        "--strategy", "partial-lottery", "--out", out, "--certificate", cert,
    )  # fmt: skip
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    data = json.loads(cert.read_text(encoding="utf-8"))
    if edit == "drawn":
        data["result"][-1]["drawn"] = True
    elif edit == "places":
        data["places"] += 1
    else:
        data["result"][0]["draw_position"] = 9
    bad = files["dir"] / "tampered.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    res = _run("verify-draw", bad)
    assert res.exit_code == 2  # type: ignore[attr-defined]
    assert expected in " ".join(res.output.split())  # type: ignore[attr-defined]


# ---------------------------------------------------------------- the option table
#: Each strategy-specific option: a value the command line would give, and its words.
OPTION_VALUES = {
    "quality_bar": ("good", ["--quality-bar", "good"]),
    "interval": (0.9, ["--interval", "0.9"]),
    "weights": ("good=1", ["--weights", "good=1"]),
    "tiers": ("3.5:3,3.0:1", ["--tiers", "3.5:3,3.0:1"]),
    "history": ("past.csv", ["--history", "past.csv"]),
    "mitigation": ("threshold-optimizer", ["--mitigation", "threshold-optimizer"]),
    "exclude": (["hours"], ["--exclude", "hours"]),
    "quotas": ("quotas.csv", ["--quotas", "quotas.csv"]),
    "one_per": (["lab"], ["--one-per", "lab"]),
    "leximin": (True, ["--leximin"]),
}
REFUSED = [
    (name, option)
    for name in STRATEGY_NAMES
    for option in sorted(OPTION_VALUES)
    if option not in STRATEGY_OPTIONS[name]
]


def test_the_table_covers_every_option() -> None:
    assert set(OPTION_VALUES) == set().union(*STRATEGY_OPTIONS.values())


@pytest.mark.parametrize(("name", "option"), REFUSED)
def test_an_option_of_another_strategy_is_refused_by_name(
    files: dict[str, Path], name: str, option: str
) -> None:
    value, words = OPTION_VALUES[option]
    with pytest.raises(FairpanelInputError) as err:
        check_strategy_options(name, count=2, **{option: value})
    assert err.value.message == ERR_OPTION.format(option=option.replace("_", "-"), strategy=name)
    # the command prints the library's message, before reading any table
    out = files["dir"] / "never.csv"
    res = _run(
        "allocate", "--scores", files["dir"] / "absent.csv", "--strategy", name,
        "--capacity", "2", "--seed", "x", "--out", out, *words,
    )  # fmt: skip
    assert res.exit_code == 2  # type: ignore[attr-defined]
    assert res.stderr == f"fairpanel: error: {err.value}\n"  # type: ignore[attr-defined]


@pytest.mark.parametrize("option", ["history", "submissions"])
def test_the_ml_strategy_needs_its_history_and_features(option: str) -> None:
    given = {"history": "past.csv", "submissions": "subs.csv"}
    del given[option]
    with pytest.raises(FairpanelInputError) as err:
        check_strategy_options("ml", count=2, **given)
    why = STRATEGY_NEEDS["ml"][option]
    assert err.value.message == ERR_NEEDS.format(strategy="ml", option=option, why=why)
    check_strategy_options("ml", count=2, history="past.csv", submissions="subs.csv")


@pytest.mark.parametrize(
    ("capacity", "message"),
    [
        ({}, ERR_CAPACITY),
        ({"count": 2, "budget": 3.0}, ERR_CAPACITY),
        ({"budget": 3.0}, ERR_REQUEST_COL),
    ],
)
def test_one_count_or_one_budget_with_its_requests(
    capacity: dict[str, float], message: str
) -> None:
    with pytest.raises(FairpanelInputError) as err:
        check_strategy_options("rank", **capacity)  # type: ignore[arg-type]
    assert err.value.message == message
    check_strategy_options("rank", budget=3.0, request_col="hours")
