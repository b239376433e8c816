"""``fairpanel ml-check``: the JSON equals the library call; bad input gives exit 2."""

import json

from typer.testing import CliRunner

from fairpanel.cli._main import app
from fairpanel.io import read_table, write_frame
from fairpanel.ml import generate_history, run_checks
from fairpanel.ml._features import ERR_MISSING_COLUMN
from fairpanel.strategies._factory import ERR_OPTION

runner = CliRunner()


def _written(path):
    """A command's JSON without its provenance block (the library result has none)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("provenance", None)
    return data


def test_ml_check_json_equals_the_library_call(tmp_path):
    history = tmp_path / "past.csv"
    shifted = tmp_path / "real.csv"
    write_frame(history, generate_history(60, cycles=2, seed=4, leakage=True))
    write_frame(shifted, generate_history(60, cycles=2, seed=5, leakage=True, source="real"))
    out = tmp_path / "findings.json"
    args = ["ml-check", "--history", str(history), "--target", "selected", "--group", "gender",
            "--shifted", str(shifted), "--post-decision", "hours_used", "--seed", "7",
            "--json", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text(encoding="utf-8"))
    groups = ["submission_id", "gender"]
    expected = run_checks(
        read_table(history, text_columns=groups),
        groups=["gender"],
        shifted=read_table(shifted, text_columns=groups),
        post_decision=["hours_used"],
        source_names=("past", "real"),
        seed="7",
    ).to_dict()
    assert payload["findings"] == expected["findings"]
    leakage = [f for f in payload["findings"] if f["check"] == "leakage"]
    assert leakage[0]["severity"] == "critical"
    assert set(payload["findings"][0]) >= {"check", "severity", "value", "message"}
    assert payload["inputs"]["groups"] == ["gender"]


def test_ml_check_unknown_group_exits_2_and_writes_nothing(tmp_path):
    history = tmp_path / "past.csv"
    write_frame(history, generate_history(30, cycles=1, seed=4))
    out = tmp_path / "findings.json"
    result = runner.invoke(
        app, ["ml-check", "--history", str(history), "--group", "region", "--json", str(out)]
    )
    assert result.exit_code == 2
    assert ERR_MISSING_COLUMN.format(column="region") in result.output
    assert not out.exists()


def test_allocate_with_the_ml_strategy_equals_the_library(tmp_path):
    import json

    import pandas as pd

    from fairpanel.io import read_table
    from fairpanel.ml import MLStrategy, generate_history

    past = generate_history(150, cycles=2, proxy=True, seed=3)
    new = generate_history(120, cycles=1, proxy=True, seed=4)
    scores = new[["submission_id", "past_score"]].rename(
        columns={"past_score": "calibrated_score"}
    )
    paths = {name: tmp_path / f"{name}.csv" for name in ("past", "new", "scores")}
    past.to_csv(paths["past"], index=False)
    new.to_csv(paths["new"], index=False)
    scores.to_csv(paths["scores"], index=False)
    out, js = tmp_path / "alloc.csv", tmp_path / "alloc.json"
    result = CliRunner().invoke(
        app,
        [
            "allocate", "--strategy", "ml", "--history", str(paths["past"]),
            "--submissions", str(paths["new"]), "--scores", str(paths["scores"]),
            "--group", "gender", "--capacity", "30", "--seed", "s1",
            "--out", str(out), "--json", str(js),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # The same call through the library, from the same files.
    hist = read_table(paths["past"], text_columns=["submission_id", "gender"])
    subs = read_table(paths["new"], text_columns=["submission_id", "gender"])
    expected = (
        MLStrategy(groups=("gender",), seed="s1")
        .fit(hist)
        .allocate(read_table(paths["scores"]), subs, capacity=30, seed="s1")
    )
    written = _written(js)
    assert written == json.loads(json.dumps(expected.to_dict()))
    got = pd.DataFrame(written["allocations"])
    assert int(got["selected"].sum()) == 30


def test_allocate_refuses_history_without_the_ml_strategy(tmp_path):
    scores = tmp_path / "scores.csv"
    scores.write_text("submission_id,calibrated_score\nA,1\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        [
            "allocate", "--strategy", "rank", "--history", str(scores), "--scores", str(scores),
            "--capacity", "1", "--seed", "s", "--out", str(tmp_path / "o.csv"),
        ],
    )  # fmt: skip
    assert result.exit_code == 2
    assert ERR_OPTION.format(option="history", strategy="rank") in result.stderr
    assert not (tmp_path / "o.csv").exists()
