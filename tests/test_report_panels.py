"""Reports of panels ranked each on its own, and of ranked reviews (no leniency)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from fairpanel.report import ReportInputs, build_report
from fairpanel.scoring import score_by_panel
from fairpanel.strategies import RankStrategy, allocate_by_panel


def _reviews() -> tuple[pd.DataFrame, pd.Series]:
    """Two panels of 10 submissions, 4 reviewers each, no reviewer shared."""
    rng = np.random.default_rng(3)
    rows, panels = [], {}
    for name, size in (("north", 10), ("south", 10)):
        for s in range(size):
            sid = f"{name}-{s}"
            panels[sid] = name
            rows += [(sid, f"{name}-r{r}", int(rng.integers(1, 7))) for r in range(4)]
    return pd.DataFrame(rows, columns=["submission_id", "reviewer_id", "score"]), pd.Series(panels)


def _ranking(model):
    return next(s for s in model.sections if s.id == "ranking")


def test_each_panel_gets_its_own_chart_and_its_own_funding_line():
    reviews, panels = _reviews()
    scores = score_by_panel(reviews, panels, column="section", seed=5, method="eb", scale=(1, 6))
    alloc = allocate_by_panel(
        RankStrategy(), scores.table, panel_col="section",
        capacities={"north": 3, "south": 2}, seed=1,
    )  # fmt: skip
    model = build_report(ReportInputs(scores=scores, allocations=[alloc]))
    section = _ranking(model)
    assert [c.title.split(":")[0] for c in section.charts] == ["Panel north", "Panel south"]
    assert "ranked within their own panel" in section.paragraphs[0]
    # each panel's line lies between its own last funded and first unfunded submission,
    # on its own rank axis of 10 places, not one line at the 5th place of 20
    expected = [("north", 3), ("south", 2)]
    for paragraph, (name, places) in zip(section.paragraphs[1:], expected, strict=True):
        assert paragraph.startswith(f"Panel {name}: 10 submissions. Its line is the ranking's")
        line = float(re.search(r"funding line, expected rank ([0-9.]+)", paragraph).group(1))
        mine = scores.table[scores.table["section"] == name]
        funded = alloc.table.set_index("submission_id").loc[mine["submission_id"], "selected"]
        assert int(funded.sum()) == places
        assert line <= mine["expected_rank"].max()
    # given by name it is the same report; without a panel column, one chart
    named = build_report(
        ReportInputs(scores=scores, allocations=[alloc.table], panel_col="section")
    )
    assert len(_ranking(named).charts) == 2
    plain = build_report(ReportInputs(scores=scores, allocations=[alloc.table]))
    assert len(_ranking(plain).charts) == 1


def test_a_leniency_table_of_zeros_is_not_shown_as_no_leniency():
    reviews, panels = _reviews()
    scores = score_by_panel(reviews, panels, column="section", seed=5, method="eb", scale=(1, 6))
    zeros = scores.reviewers.assign(leniency=0.0, leniency_se=0.0)  # what ranks write
    with_zeros = build_report(ReportInputs(scores=scores.table, reviewers=zeros))
    with_real = build_report(ReportInputs(scores=scores.table, reviewers=scores.reviewers))
    ids = {s.id for s in with_zeros.sections}
    assert "reliability" not in ids
    assert "reliability" in {s.id for s in with_real.sections}
