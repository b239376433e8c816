"""Panels scored and allocated each on its own, and a column map read once for all tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel._errors import FairpanelInputError
from fairpanel.audit import audit_counts
from fairpanel.cli._main import app
from fairpanel.io import ColumnMap, load_capacities, load_decisions, read_column_map
from fairpanel.scoring import panels_linked, score, score_by_panel
from fairpanel.strategies import Capacity, RankStrategy, allocate_by_panel, make_strategy

runner = CliRunner()


def _reviews(shared: bool = False) -> tuple[pd.DataFrame, pd.Series]:
    """Two panels of 8 submissions, 4 reviewers each (one reviewer in both if shared)."""
    rng = np.random.default_rng(11)
    rows = []
    panels = {}
    for name in ("one", "two"):
        for s in range(8):
            sid = f"{name}-{s}"
            panels[sid] = name
            for r in range(4):
                reviewer = f"{name}-r{r}" if not (shared and r == 0) else "both-r0"
                rows.append((sid, reviewer, int(rng.integers(1, 7))))
    frame = pd.DataFrame(rows, columns=["submission_id", "reviewer_id", "score"])
    return frame, pd.Series(panels)


def test_linked_panels_are_told_from_unlinked():
    reviews, panels = _reviews()
    assert not panels_linked(reviews, panels)
    shared, panels = _reviews(shared=True)
    assert panels_linked(shared, panels)


def test_each_unlinked_panel_is_the_fit_of_that_panel_alone():
    reviews, panels = _reviews()
    result = score_by_panel(reviews, panels, column="section", seed=5, method="eb", scale=(1, 6))
    assert list(result.table.columns[:2]) == ["submission_id", "section"]
    for name in ("one", "two"):
        alone = score(
            reviews[reviews["submission_id"].map(panels) == name],
            seed=f"5 / panel {name}",
            method="eb",
            scale=(1, 6),
        )
        mine = result.table[result.table["section"] == name].reset_index(drop=True)
        pd.testing.assert_series_equal(mine["submission_id"], alone.table["submission_id"])
        np.testing.assert_allclose(mine["calibrated_score"], alone.table["calibrated_score"])
        np.testing.assert_allclose(mine["expected_rank"], alone.table["expected_rank"])
    # ranks are within each panel: each panel has its own first
    assert (result.table.groupby("section")["rank_lo90"].min() == 1).all()


def test_linked_panels_are_one_fit_and_one_ranking():
    reviews, panels = _reviews(shared=True)
    result = score_by_panel(reviews, panels, seed=5, method="eb", scale=(1, 6))
    together = score(reviews, seed=5, method="eb", scale=(1, 6))
    np.testing.assert_allclose(
        result.table["calibrated_score"], together.table["calibrated_score"]
    )
    assert "panel" in result.table


def test_a_submission_without_a_panel_is_refused():
    reviews, panels = _reviews()
    with pytest.raises(FairpanelInputError, match="has no panel in 'section'"):
        score_by_panel(reviews, panels.iloc[1:], column="section", method="eb", scale=(1, 6))


def _scores() -> pd.DataFrame:
    reviews, panels = _reviews()
    result = score_by_panel(reviews, panels, column="section", seed=5, method="eb", scale=(1, 6))
    return result.table


def test_each_panel_gets_its_places_and_its_own_derived_seed():
    table = _scores()
    strategy = make_strategy("partial-lottery")
    result = allocate_by_panel(
        strategy, table, panel_col="section", capacities={"one": 3, "two": 2}, seed="s"
    )
    assert result.capacity.count == 5
    assert result.table.groupby("section")["selected"].sum().to_dict() == {"one": 3, "two": 2}
    for name, places in (("one", 3), ("two", 2)):
        alone = strategy.allocate(
            table[table["section"] == name].reset_index(drop=True),
            capacity=Capacity(count=places),
            seed=f"s / panel {name}",
        )
        mine = result.table[result.table["section"] == name]
        assert list(mine["submission_id"][mine["selected"]]) == list(
            alone.table["submission_id"][alone.table["selected"]]
        )


def test_every_panel_needs_places_and_every_place_a_panel():
    table = _scores()
    with pytest.raises(FairpanelInputError, match="panel 'two' has no places"):
        allocate_by_panel(RankStrategy(), table, panel_col="section", capacities={"one": 1},
                          seed=1)  # fmt: skip
    with pytest.raises(FairpanelInputError, match="names panel 'three'"):
        allocate_by_panel(RankStrategy(), table, panel_col="section",
                          capacities={"one": 1, "two": 1, "three": 1}, seed=1)  # fmt: skip
    with pytest.raises(FairpanelInputError, match="no column 'panel'"):
        allocate_by_panel(RankStrategy(), table, panel_col="panel", capacities={}, seed=1)


def test_capacity_table_reads_whole_places_per_panel(tmp_path):
    path = tmp_path / "caps.csv"
    path.write_text("panel,capacity\none,3\ntwo,2\n", encoding="utf-8")
    assert load_capacities(path) == {"one": 3, "two": 2}
    path.write_text("panel,capacity\none,3\none,2\n", encoding="utf-8")
    with pytest.raises(FairpanelInputError, match="panel 'one' has two rows"):
        load_capacities(path)
    path.write_text("panel,capacity\none,2.5\n", encoding="utf-8")
    with pytest.raises(FairpanelInputError, match="whole number"):
        load_capacities(path)


def test_score_and_allocate_per_panel_from_the_command_line(tmp_path):
    reviews, panels = _reviews()
    votes = reviews.assign(section=reviews["submission_id"].map(panels))
    votes.to_csv(tmp_path / "votes.csv", index=False)
    (tmp_path / "caps.csv").write_text("panel,capacity\none,2\ntwo,2\n", encoding="utf-8")
    out = runner.invoke(app, ["score", "--reviews", str(tmp_path / "votes.csv"), "--method",
                              "eb", "--scale-min", "1", "--scale-max", "6", "--panel-col",
                              "section", "--out", str(tmp_path / "s.csv")])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "scored 2 panels on their own" in " ".join(out.output.split())
    out = runner.invoke(app, ["allocate", "--scores", str(tmp_path / "s.csv"), "--strategy",
                              "rank", "--panel-col", "section", "--capacity-table",
                              str(tmp_path / "caps.csv"), "--seed", "x", "--out",
                              str(tmp_path / "a.csv")])  # fmt: skip
    assert out.exit_code == 0, out.output
    alloc = pd.read_csv(tmp_path / "a.csv")
    assert alloc.groupby("section")["selected"].sum().to_dict() == {"one": 2, "two": 2}


def test_a_map_names_columns_flat_or_per_table(tmp_path):
    path = tmp_path / "map.yaml"
    path.write_text(
        "submission_id: Proposal\nreviewer_id: [section, assessor]\nselected: Fund\n"
        "groups: gender, stage\npanel: section\ndecisions:\n  selected: Funded\n",
        encoding="utf-8",
    )
    cmap = read_column_map(path)
    assert cmap.review_columns().reviewer_columns == ("section", "assessor")
    assert cmap.groups == ("gender", "stage")
    assert cmap.panel == "section"
    assert cmap.renames("decisions") == {"submission_id": "Proposal", "selected": "Funded"}
    assert cmap.renames("allocation") == {"submission_id": "Proposal", "selected": "Fund"}
    # an option given wins: the loader is told it, and the map renames nothing there
    given = cmap.with_options(submission_id="ID")
    assert given.column("submission_id") == "ID"
    assert "submission_id" not in given.renames("decisions")
    assert given.review_columns().submission == "ID"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "reviews:\n  scor: Grade\n",
            "unknown key 'scor' under 'reviews' (did you mean 'score'?)",
        ),
        ("score: [a, b]\n", "'score' must be a column name (text)"),
        ("- a\n- b\n", "a column map is a YAML mapping"),
        ("score: [\n", "not valid YAML: expected"),
    ],
)
def test_a_bad_map_is_one_line_naming_the_file(tmp_path, text, message):
    path = tmp_path / "map.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FairpanelInputError) as caught:
        read_column_map(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(path))


def test_a_decisions_file_in_either_names_reads_the_same(tmp_path):
    cmap = ColumnMap(flat={"submission_id": "Proposal", "selected": "Fund"})
    mine = pd.DataFrame({"Proposal": ["a", "b"], "Fund": ["yes", "no"], "g": ["w", "m"]})
    ours = pd.DataFrame({"submission_id": ["a", "b"], "selected": ["yes", "no"], "g": ["w", "m"]})
    a = load_decisions(mine, groups=["g"], rename=cmap.renames("decisions"))
    b = load_decisions(ours, groups=["g"], rename=cmap.renames("decisions"))
    pd.testing.assert_frame_equal(a[["submission_id", "g", "selected"]],
                                  b[["submission_id", "g", "selected"]])  # fmt: skip


def test_recoding_a_counts_table_pools_its_rows():
    counts = pd.DataFrame({"gender": ["Female", "female", "MALE"], "n": [10, 20, 40],
                           "k": [2, 4, 12]})  # fmt: skip
    pooled = audit_counts(counts, group_col="gender", applicants_col="n", selected_col="k",
                          recode={None: (("Female", "female"), ("MALE", "male"))},
                          min_cell=0)  # fmt: skip
    rates = pooled.groups.set_index("group")
    assert rates.loc["female", "applicants"] == 30
    assert rates.loc["female", "selected"] == 6
    assert any("'Female' counted as 'female'" in n for n in pooled.notes)
