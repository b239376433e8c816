"""Group labels in the audit: pooling asked for is applied and said; spellings are flagged."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel._errors import FairpanelInputError
from fairpanel.audit import run_audit
from fairpanel.cli._main import app


@pytest.fixture
def decisions() -> pd.DataFrame:
    gender = ["woman"] * 40 + ["man"] * 50 + ["non-binary"] * 3 + ["not stated"] * 4
    gender += ["WOMAN"] * 3
    return pd.DataFrame(
        {
            "submission_id": [f"s{i}" for i in range(len(gender))],
            "gender": gender,
            "stage": ["early", "late"] * (len(gender) // 2),
            "selected": [i % 3 == 0 for i in range(len(gender))],
        }
    )


def test_pooled_labels_are_counted_together_and_said(decisions: pd.DataFrame) -> None:
    res = run_audit(
        decisions,
        groups=["gender", "stage"],
        recode={"gender": (("non-binary", "another"), ("not stated", "another"))},
        min_cell=0,
    )
    groups = res.groups[res.groups["attribute"] == "gender"].set_index("group")
    assert groups.loc["another", "applicants"] == 7  # 3 + 4
    assert "non-binary" not in groups.index
    assert any(
        "gender: 'non-binary' and 'not stated' counted as 'another'" in n for n in res.notes
    )
    # "WOMAN" and "woman" are flagged, not silently merged.
    assert any("'WOMAN' and 'woman' differ only in case or spacing" in n for n in res.notes)


def test_labels_are_found_in_their_column_or_refused(decisions: pd.DataFrame) -> None:
    res = run_audit(decisions, groups=["gender", "stage"], recode={None: (("WOMAN", "woman"),)})
    groups = res.groups[res.groups["attribute"] == "gender"].set_index("group")
    assert groups.loc["woman", "applicants"] == 43
    with pytest.raises(FairpanelInputError, match="which is not a value of 'gender'"):
        run_audit(decisions, groups="gender", recode={"gender": (("nonbinary", "x"),)})
    with pytest.raises(FairpanelInputError, match="not a group"):
        run_audit(decisions, groups="gender", recode={"stage": (("early", "x"),)})


def test_cli_recode_is_recorded_in_the_json(decisions: pd.DataFrame, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, out = tmp_path / "decisions.csv", tmp_path / "audit.json"
    decisions.to_csv(path, index=False)
    args = ["audit", "--decisions", str(path), "--group", "gender", "--json", str(out)]
    result = CliRunner().invoke(
        app, [*args, "--recode", "gender:non-binary,not stated=another or not stated"]
    )
    assert result.exit_code == 0, result.output
    notes = json.loads(out.read_text(encoding="utf-8"))["notes"]
    assert any("counted as 'another or not stated'" in n for n in notes)
