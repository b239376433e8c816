"""Results own their JSON both ways: ``from_dict(to_dict(x))`` and the shared helpers.

Every result type writes a schema stamp, reads its own JSON back to the same JSON (as
data and as text), reads files written before the stamp existed (version 1), and
refuses a wrong value naming its path. The reference for "JSON-safe" is the standard
library's own encoder with ``allow_nan=False`` (RFC 8259 has no NaN or infinity).
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from fairpanel._errors import FairpanelInputError
from fairpanel._json import (
    ERR_MISSING,
    ERR_SCHEMA_NAME,
    Node,
    check_schema,
    jsonable,
    records,
    stamp,
    table,
    within,
)
from fairpanel.audit import AuditResult
from fairpanel.lottery import DrawCertificate
from fairpanel.ml import CheckReport
from fairpanel.reliability import ReliabilityResult
from fairpanel.scoring import ScoreResult, score
from fairpanel.simulate import Scenario, SimulationResult, SweepResult, compare, sweep
from fairpanel.strategies import Allocation, PartialLotteryStrategy

FromDict = Callable[[Any], Any]


def _text(payload: Any) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False)


def _round_trip(kind: FromDict, payload: dict[str, Any]) -> Any:
    """Read ``payload`` back and check both round trips; return the object read."""
    text = _text(payload)  # raises on NaN, infinity, numpy values or tuple keys
    back = kind(json.loads(text))
    assert back.to_dict() == payload
    assert _text(back.to_dict()) == text
    return back


# ------------------------------------------------------------------- the helpers
def test_jsonable_gives_plain_json_values() -> None:
    value = {
        "a": np.float64("nan"),
        "b": np.int64(3),
        "c": np.bool_(True),
        "d": (1, float("inf"), pd.NA, None),
        "e": np.array([1.5, np.nan]),
        "f": pd.Series([1, 2]),
        "g": pd.Timestamp("2026-01-02"),
        7: "seven",
    }
    out = jsonable(value)
    assert out == {
        "a": None,
        "b": 3,
        "c": True,
        "d": [1, None, None, None],
        "e": [1.5, None],
        "f": [1, 2],
        "g": "2026-01-02T00:00:00",
        "7": "seven",
    }
    assert type(out["b"]) is int
    assert type(out["c"]) is bool
    json.dumps(out, allow_nan=False)


def test_jsonable_refuses_what_json_cannot_hold() -> None:
    with pytest.raises(TypeError, match="key"):
        jsonable({("a", "b"): 1})
    with pytest.raises(TypeError, match="object has no JSON form"):
        jsonable(object())
    assert jsonable(object(), default=lambda _: "named") == "named"


def test_records_drop_columns_and_missing_values() -> None:
    frame = pd.DataFrame(
        {"attribute": ["g", "g"], "n": pd.array([3, None], dtype="Int64"), "x": [0.5, np.nan]}
    )
    assert records(frame, drop=("attribute",)) == [{"n": 3, "x": 0.5}, {"n": None, "x": None}]


def test_node_errors_name_the_path() -> None:
    doc = Node({"scores": [{"rank": 1}, {"rank": True}], "seed": 3})
    rows = doc["scores"].elements()
    assert rows[0]["rank"].number() == 1.0
    with pytest.raises(FairpanelInputError, match=r"field 'scores\[1\]\.rank': expected a number"):
        rows[1]["rank"].number()  # true is not a number
    with pytest.raises(FairpanelInputError, match="field 'scores': expected a JSON object"):
        doc["scores"]["missing"]  # a list has no members: the list is named
    with pytest.raises(FairpanelInputError, match=f"field 'method': {ERR_MISSING}"):
        doc["method"]
    assert doc.get("method").is_null
    assert doc["seed"].seed() == 3
    with pytest.raises(FairpanelInputError, match=r"field 'scores\[1\]\.rank'"):
        doc["scores"].records({"rank": "integer"})


def test_schema_stamp_and_check() -> None:
    assert stamp("audit", 2) == {"name": "fairpanel.audit", "version": 2}
    assert check_schema(Node({}), "audit", 2) == 1  # no stamp: the first layout
    assert check_schema(Node({"schema": stamp("audit", 2)}), "audit", 2) == 2
    wrong = ERR_SCHEMA_NAME.format(got="fairpanel.scores", expected="fairpanel.audit")
    with pytest.raises(FairpanelInputError, match=f"field 'schema.name': {wrong}"):
        check_schema(Node({"schema": stamp("scores", 1)}), "audit", 2)
    with pytest.raises(FairpanelInputError, match=r"schema\.version.*newer.*upgrade"):
        check_schema(Node({"schema": stamp("audit", 3)}), "audit", 2)


def test_table_types_columns_from_their_kind() -> None:
    rows = [
        {"id": "a", "n": 1, "x": 1.0, "ok": True},
        {"id": "b", "n": None, "x": None, "ok": None},
    ]
    frame = table(rows, kinds={"x": "number"}, columns=("id", "n", "x", "ok", "extra"))
    assert list(frame.columns) == ["id", "n", "x", "ok", "extra"]
    assert str(frame["n"].dtype) == "Int64"
    assert frame["x"].dtype == np.float64
    assert str(frame["ok"].dtype) == "boolean"
    assert math.isnan(frame["x"].iloc[1])
    assert records(frame) == [{**r, "extra": None} for r in rows]


def test_within_places_a_nested_error() -> None:
    inner = FairpanelInputError("bad", field="rows[0].mean", hint="fix it")
    assert within("sweep", inner).field == "sweep.rows[0].mean"
    assert within("sweep", FairpanelInputError("bad")).field == "sweep"
    assert within("entrants", FairpanelInputError("x", field="[2]")).field == "entrants[2]"


# --------------------------------------------------------------- every result type
@pytest.fixture(scope="module")
def scored(p1_reviews) -> ScoreResult:
    return score(p1_reviews(), scale=(1, 6), seed=7, method="eb")


@pytest.fixture(scope="module")
def allocation(scored: ScoreResult) -> Allocation:
    return PartialLotteryStrategy().allocate(scored.table, capacity=5, seed="s")


@pytest.fixture(scope="module")
def simulated() -> SimulationResult:
    # Through from_dict, as a scenario file is read, so its numbers have their JSON types.
    sc = Scenario.from_dict({"submissions": 100, "capacity": 10})
    res = compare(sc, strategies=["rank", "lottery"], replicates=12, seed="t", progress=False)
    grid = sweep(sc, {"noise_sd": [0.5, 2.0]}, strategies=["rank"], replicates=4, seed=1)
    return replace(res, sweep=grid)


def test_score_result_round_trip(scored: ScoreResult) -> None:
    back = _round_trip(ScoreResult.from_dict, scored.to_dict())
    assert back.provisional == scored.provisional
    assert back.scale == scored.scale
    assert back.rubric is None
    pd.testing.assert_frame_equal(
        back.table, scored.table, check_dtype=False, check_exact=False, rtol=0
    )


def test_allocation_round_trip(allocation: Allocation) -> None:
    back = _round_trip(Allocation.from_dict, allocation.to_dict())
    assert back.selected_ids == allocation.selected_ids
    assert back.certificate == allocation.certificate
    assert back.capacity == allocation.capacity


def test_simulation_and_sweep_round_trip(simulated: SimulationResult) -> None:
    back = _round_trip(SimulationResult.from_dict, simulated.to_dict())
    assert back.table.empty  # the JSON keeps the summary, not every replicate
    pd.testing.assert_frame_equal(
        back.summary(), simulated.summary(), check_dtype=False, check_exact=True
    )
    with pytest.raises(ValueError, match="keeps the 95% summary only"):
        back.summary(level=0.5)
    assert simulated.sweep is not None
    sweep_back = _round_trip(SweepResult.from_dict, simulated.sweep.to_dict())
    assert sweep_back.parameters == ("noise_sd",)
    assert sweep_back.seed == 1


# The demo writes the JSON of five result types; each must read back to itself.
DEMO_FILES: list[tuple[str, FromDict]] = [
    ("telescope/reliability.json", ReliabilityResult.from_dict),
    ("telescope/audit.json", AuditResult.from_dict),
    ("hiring/audit.json", AuditResult.from_dict),
    ("telescope/draw-partial-lottery.json", DrawCertificate.from_dict),
    ("telescope/simulation.json", SimulationResult.from_dict),
    ("telescope/ml-checks.json", CheckReport.from_dict),
]


@pytest.mark.parametrize(("name", "kind"), DEMO_FILES)
def test_demo_files_read_back_to_the_same_text(demo_output: Path, name: str, kind: FromDict):
    text = (demo_output / name).read_text(encoding="utf-8")
    back = kind(json.loads(text))
    assert _text(back.to_dict()) + "\n" == text


@pytest.mark.parametrize(("name", "kind"), DEMO_FILES)
def test_files_without_a_stamp_still_read(demo_output: Path, name: str, kind: FromDict):
    data = json.loads((demo_output / name).read_text(encoding="utf-8"))
    written = data.pop("schema")
    back = kind(data).to_dict()
    assert back.pop("schema") == written
    assert back == data


def test_a_version_1_simulation_reads(demo_output: Path) -> None:
    # Version 1 (before the stamp): no merit curve, no sweep, no replicate counts.
    data = json.loads((demo_output / "telescope/simulation.json").read_text(encoding="utf-8"))
    assert data.pop("schema") == {"name": "fairpanel.simulation", "version": 2}
    del data["individual"], data["sweep"]
    for entry in data["strategies"].values():
        for metric, stat in entry.items():
            for one in stat.values() if metric == "group_selection_rates" else [stat]:
                del one["replicates"]
    res = SimulationResult.from_dict(data)
    assert res.individual.empty
    assert res.sweep is None
    assert res.summary()["replicates"].isna().all()
    assert res.summary()["mean"].notna().all()
    assert (
        res.to_dict()["strategies"]["rank"]["merit_recovered"]["mean"]
        == (data["strategies"]["rank"]["merit_recovered"]["mean"])
    )


def _set(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(data)
    node: Any = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


@pytest.mark.parametrize(
    ("name", "kind", "path", "value", "field"),
    [
        (
            "telescope/reliability.json",
            ReliabilityResult.from_dict,
            ("icc", 2, "icc"),
            "high",
            "icc[2].icc",
        ),
        (
            "telescope/audit.json",
            AuditResult.from_dict,
            ("attributes", "gender", "groups", 0, "applicants"),
            12.5,
            "attributes.gender.groups[0].applicants",
        ),
        (
            "telescope/draw-lottery.json",
            DrawCertificate.from_dict,
            ("entrants", 0, "weight"),
            "1",
            "entrants[0].weight",
        ),
        (
            "telescope/simulation.json",
            SimulationResult.from_dict,
            ("sweep", "rows", 3, "mean"),
            "0.5",
            "sweep.rows[3].mean",
        ),
        (
            "telescope/ml-checks.json",
            CheckReport.from_dict,
            ("findings", 1, "severity"),
            "fatal",
            "findings[1].severity",
        ),
        (
            "telescope/audit.json",
            AuditResult.from_dict,
            ("schema", "version"),
            99,
            "schema.version",
        ),
    ],
)
def test_a_wrong_value_is_named_by_its_path(
    demo_output: Path, name: str, kind: FromDict, path: tuple[Any, ...], value: Any, field: str
) -> None:
    data = json.loads((demo_output / name).read_text(encoding="utf-8"))
    with pytest.raises(FairpanelInputError) as info:
        kind(_set(data, path, value))
    assert info.value.field == field
    assert "\n" not in str(info.value)


def test_wrong_scores_and_allocations_are_named(
    scored: ScoreResult, allocation: Allocation
) -> None:
    bad = _set(scored.to_dict(), ("scores", 3, "expected_rank"), "3")
    with pytest.raises(FairpanelInputError, match=r"field 'scores\[3\]\.expected_rank'"):
        ScoreResult.from_dict(bad)
    bad = _set(allocation.to_dict(), ("allocations", 2, "selected"), "yes")
    with pytest.raises(FairpanelInputError, match=r"field 'allocations\[2\]\.selected'"):
        Allocation.from_dict(bad)
    bad = _set(allocation.to_dict(), ("certificate", "places"), True)
    with pytest.raises(FairpanelInputError, match=r"field 'certificate\.places'"):
        Allocation.from_dict(bad)
    with pytest.raises(FairpanelInputError, match=r"not a fairpanel\.allocation file"):
        Allocation.from_dict(scored.to_dict())


def test_the_architecture_docs_give_every_result_its_current_version() -> None:
    # docs/architecture.md's table of JSON kinds and versions is what a reader of old
    # files goes by; it had fallen behind the code (scores 1, allocation 1, report 2).
    from fairpanel import audit, reliability
    from fairpanel.io import _provenance
    from fairpanel.lottery import _commit, _draw
    from fairpanel.ml import _findings
    from fairpanel.report import _model
    from fairpanel.scoring import _dpr, _result
    from fairpanel.simulate import _result as simulated
    from fairpanel.strategies import _allocation

    code = {
        _result.SCHEMA_KIND: _result.SCHEMA_VERSION,
        reliability._result.SCHEMA_KIND: reliability._result.SCHEMA_VERSION,
        _allocation.SCHEMA_KIND: _allocation.SCHEMA_VERSION,
        _draw.SCHEMA_KIND: _draw.SCHEMA_VERSION,
        _commit.COMMITMENT_KIND: _commit.COMMITMENT_VERSION,
        audit._result.SCHEMA_KIND: audit._result.SCHEMA_VERSION,
        simulated.SIMULATION_KIND: simulated.SIMULATION_VERSION,
        simulated.SWEEP_KIND: simulated.SWEEP_VERSION,
        _findings.SCHEMA_KIND: _findings.SCHEMA_VERSION,
        _dpr.SCHEMA_KIND: _dpr.SCHEMA_VERSION,
        _model.SCHEMA_KIND: _model.SCHEMA_VERSION,
        _provenance.SCHEMA_KIND: _provenance.SCHEMA_VERSION,
    }
    text = (Path(__file__).parents[1] / "docs" / "architecture.md").read_text("utf-8")
    documented = {
        kind: int(version)
        for kind, version in re.findall(r"\| `fairpanel\.(\w+)` \| (\d+) \|", text)
    }
    assert documented == code
