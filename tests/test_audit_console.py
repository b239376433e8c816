"""``fairpanel audit`` prints a short table of group rates and flags, from the result."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from fairpanel.cli import app
from fairpanel.cli._audit_table import FLAG

runner = CliRunner()


def _audit(tmp_path: Path, counts: str, *extra: str) -> tuple[str, dict]:
    path = tmp_path / "counts.csv"
    path.write_text(counts, encoding="utf-8")
    out = tmp_path / "audit.json"
    args = ["audit", "--counts", str(path), "--group-col", "group"]
    args += ["--applicants-col", "n", "--selected-col", "k", "--json", str(out), *extra]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.stderr, json.loads(out.read_text(encoding="utf-8"))


def _row(text: str, group: str) -> list[str]:
    line = next(ln for ln in text.splitlines() if ln.strip().startswith(group + " "))
    return re.split(r"\s{2,}", line.strip())


def test_the_table_shows_each_groups_rate_air_and_flag(tmp_path: Path) -> None:
    said, doc = _audit(tmp_path, "group,n,k\nwomen,200,30\nmen,300,75\n")
    groups = {g["group"]: g for g in doc["attributes"]["group"]["groups"]}
    (women,) = doc["attributes"]["group"]["comparisons"]
    assert "Selection by group (AIR: each group's rate as a share of men's)" in said
    for name, g in groups.items():
        row = _row(said, name)
        low, high = 100 * g["rate_ci_low"], 100 * g["rate_ci_high"]
        rate = f"{100 * g['selection_rate']:.1f}% ({low:.1f}–{high:.1f}%)"
        assert row[:4] == [name, str(g["applicants"]), str(g["selected"]), rate]
    # women: 15% against men's 25%: AIR 0.6, below four fifths
    assert _row(said, "women")[4:] == [f"{women['adverse_impact_ratio']:.2f}", FLAG]
    assert women["four_fifths_flag"] is True
    assert _row(said, "men")[4:] == ["reference"]


def test_a_suppressed_group_is_printed_as_suppressed(tmp_path: Path) -> None:
    said, doc = _audit(tmp_path, "group,n,k\nwomen,200,40\nmen,300,75\nother,3,1\n")
    assert any(g["suppressed"] for g in doc["attributes"]["group"]["groups"])
    row = _row(said, "other")
    assert "suppressed" in row
    assert "1" not in row[2:]  # the selected count withheld by the audit stays withheld
    assert "other vs men: not assessable" in " ".join(said.split())


def test_group_names_are_printed_as_written(tmp_path: Path) -> None:
    # A label from the user's file is text, never Rich markup.
    said, _ = _audit(tmp_path, "group,n,k\n[bold]a[/bold],200,40\nb,300,75\n")
    assert "[bold]a[/bold]" in said
