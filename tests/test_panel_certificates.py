"""Panels that draw each on its own: one certificate per panel, each checked on its rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel._errors import FairpanelInputError
from fairpanel.cli._allocate import ERR_PANEL_COMMIT, _panel_paths
from fairpanel.cli._main import app
from fairpanel.lottery import certificate_panel, verify_certificate
from fairpanel.scoring import score_by_panel
from fairpanel.strategies import Allocation, Capacity, allocate_by_panel, make_strategy

runner = CliRunner()


def _scores() -> pd.DataFrame:
    """Two panels of 10 submissions, 4 reviewers each; a partial lottery draws in both."""
    rng = np.random.default_rng(11)
    rows, panels = [], {}
    for name in ("one", "two"):
        for s in range(10):
            sid = f"{name}-{s}"
            panels[sid] = name
            rows += [(sid, f"{name}-r{r}", int(rng.integers(1, 7))) for r in range(4)]
    reviews = pd.DataFrame(rows, columns=["submission_id", "reviewer_id", "score"])
    result = score_by_panel(
        reviews, pd.Series(panels), column="section", seed=5, method="eb", scale=(1, 6)
    )
    return result.table


def _allocate(tmp_path: Path, *extra: str, caps: str = "one,3\ntwo,3") -> tuple[int, str]:
    scores = tmp_path / "scores.csv"
    if not scores.exists():
        _scores().to_csv(scores, index=False)
    (tmp_path / "caps.csv").write_text(f"panel,capacity\n{caps}\n", encoding="utf-8")
    args = ["allocate", "--scores", str(scores), "--strategy", "partial-lottery",
            "--panel-col", "section", "--capacity-table", str(tmp_path / "caps.csv"),
            *extra]  # fmt: skip
    result = runner.invoke(app, args)
    return result.exit_code, result.output + (result.stderr or "")


def test_every_panel_keeps_its_own_certificate_naming_its_panel() -> None:
    table = _scores()
    strategy = make_strategy("partial-lottery")
    result = allocate_by_panel(
        strategy, table, panel_col="section", capacities={"one": 3, "two": 3}, seed="s"
    )
    assert result.certificate is None  # two panels drew: no one certificate of both
    assert sorted(result.panel_certificates) == ["one", "two"]
    for name, cert in result.panel_certificates.items():
        assert certificate_panel(cert.context) == ("section", name)
        assert cert.seed == f"s / panel {name}"
        assert verify_certificate(cert.to_dict()).ok
        alone = strategy.allocate(
            table[table["section"] == name].reset_index(drop=True),
            capacity=Capacity(count=3),
            seed=f"s / panel {name}",
        ).certificate
        assert alone is not None
        assert (cert.entrants, cert.places, cert.selected) == (
            alone.entrants,
            alone.places,
            alone.selected,
        )
    # The JSON carries them (schema 3) and reads them back.
    back = Allocation.from_dict(json.loads(json.dumps(result.to_dict())))
    assert {n: c.to_dict() for n, c in back.panel_certificates.items()} == {
        n: c.to_dict() for n, c in result.panel_certificates.items()
    }


def test_the_command_writes_one_certificate_per_panel_and_each_verifies(tmp_path: Path) -> None:
    code, output = _allocate(tmp_path, "--seed", "s", "--out", str(tmp_path / "a.csv"),
                             "--certificate", str(tmp_path / "draw.json"))  # fmt: skip
    assert code == 0, output
    assert not (tmp_path / "draw.json").exists()
    for name in ("one", "two"):
        path = tmp_path / f"draw.{name}.json"
        assert f"panel {name}: certificate written to {path}" in " ".join(output.split())
        check = runner.invoke(app, ["verify-draw", str(path), "--allocation",
                                    str(tmp_path / "a.csv"), "--scores",
                                    str(tmp_path / "scores.csv")])  # fmt: skip
        assert check.exit_code == 0, check.output
        assert f"it is the draw of panel {name} of" in check.output
        assert "the rule gives the same zone" in check.output


def test_a_panel_certificate_against_another_panels_rows_fails(tmp_path: Path) -> None:
    code, output = _allocate(tmp_path, "--seed", "s", "--out", str(tmp_path / "a.csv"),
                             "--certificate", str(tmp_path / "draw.json"))  # fmt: skip
    assert code == 0, output
    # Relabel panel one's certificate as panel two's: its entrants are not panel two's.
    path = tmp_path / "draw.one.json"
    data = json.loads(path.read_text("utf-8"))
    data["context"]["panel"]["name"] = "two"
    path.write_text(json.dumps(data), encoding="utf-8")
    check = runner.invoke(app, ["verify-draw", str(path), "--allocation",
                                str(tmp_path / "a.csv")])  # fmt: skip
    assert check.exit_code == 2
    assert "does not match" in check.stderr


def test_a_panel_without_a_draw_gets_a_certificate_saying_so(tmp_path: Path) -> None:
    code, output = _allocate(tmp_path, "--seed", "s", "--out", str(tmp_path / "a.csv"),
                             "--certificate", str(tmp_path / "draw.json"),
                             "--json", str(tmp_path / "a.json"), caps="one,3\ntwo,0")  # fmt: skip
    assert code == 0, output
    data = json.loads((tmp_path / "draw.two.json").read_text("utf-8"))
    assert data["draw_needed"] is False
    # The allocation's JSON holds the certificates as published (the no-draw one too).
    published = json.loads((tmp_path / "a.json").read_text("utf-8"))["panel_certificates"]
    assert sorted(published) == ["one", "two"]
    assert published["two"]["draw_needed"] is False
    assert data["seed"] == "s / panel two"
    check = runner.invoke(app, ["verify-draw", str(tmp_path / "draw.two.json"),
                                "--allocation", str(tmp_path / "a.csv")])  # fmt: skip
    assert check.exit_code == 0, check.output


def test_one_commitment_cannot_fix_the_zones_of_several_panels(tmp_path: Path) -> None:
    code, output = _allocate(tmp_path, "--commit", str(tmp_path / "c.json"))
    assert code == 2
    assert ERR_PANEL_COMMIT in " ".join(output.split())
    assert not (tmp_path / "c.json").exists()


def test_panel_names_that_would_share_a_file_are_refused() -> None:
    paths = _panel_paths(Path("out/draw.json"), {"north/east": 1, "A 1": 2})
    assert paths == {
        "A 1": Path("out/draw.A_1.json"),
        "north/east": Path("out/draw.north_east.json"),
    }
    with pytest.raises(FairpanelInputError, match="would write the same certificate file"):
        _panel_paths(Path("draw.json"), {"a b": 1, "a/b": 1})
