"""The report layer: self-contained HTML, escaping of user strings, suppression."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

from fairpanel.audit import AuditResult
from fairpanel.ml import CheckReport, Finding
from fairpanel.ml._findings import DETAIL_COLUMNS
from fairpanel.report import ReportInputs, build_report, render_html, render_markdown, write_report
from fairpanel.rubric import Rubric

EVIL = "<script>alert(1)</script>"


def _scores(n: int = 12) -> pd.DataFrame:
    rank = np.arange(1, n + 1, dtype=float)
    return pd.DataFrame(
        {
            "submission_id": [f"S{i:02d}" for i in range(n - 1)] + [EVIL],
            "n_reviews": 3,
            "mean_score": np.linspace(5, 1, n),
            "calibrated_score": np.linspace(5, 1, n),
            "score_se": 0.3,
            "expected_rank": rank,
            "rank_lo50": np.maximum(rank - 1, 1),
            "rank_hi50": np.minimum(rank + 1, n),
            "rank_lo90": np.maximum(rank - 3, 1),
            "rank_hi90": np.minimum(rank + 3, n),
            "sucra": 1 - (rank - 1) / (n - 1),
        }
    )


def _allocation(scores: pd.DataFrame) -> pd.DataFrame:
    n = len(scores)
    tier = ["funded"] * 3 + ["lottery"] * 4 + ["rejected"] * (n - 7)
    prob = [1.0] * 3 + [0.5] * 4 + [0.0] * (n - 7)
    selected = [True] * 3 + [True, False, True, False] + [False] * (n - 7)
    return pd.DataFrame(
        {
            "submission_id": scores["submission_id"],
            "strategy": "partial-lottery",
            "tier": tier,
            "selected": selected,
            "selection_probability": prob,
            "draw_position": [np.nan] * 3 + [1, 3, 2, 4] + [np.nan] * (n - 7),
        }
    )


def _audit() -> dict[str, Any]:
    """An audit's JSON as an internal run (min_cell 0) writes it: nothing suppressed."""
    groups = [
        {
            "group": "woman",
            "applicants": 40,
            "selected": 10,
            "selection_rate": 0.25,
            "rate_ci_low": 0.14,
            "rate_ci_high": 0.40,
            "suppressed": False,
        },
        {
            "group": "man",
            "applicants": 60,
            "selected": 21,
            "selection_rate": 0.35,
            "rate_ci_low": 0.24,
            "rate_ci_high": 0.48,
            "suppressed": False,
        },
        {
            "group": EVIL,
            "applicants": 3,
            "selected": 1,
            "selection_rate": 1 / 3,
            "rate_ci_low": 0.06,
            "rate_ci_high": 0.79,
            "suppressed": False,
        },
    ]
    comparisons = [
        {
            "group": "woman",
            "reference": "man",
            "rate_difference": -0.10,
            "difference_ci_low": -0.27,
            "difference_ci_high": 0.09,
            "rate_ratio": 0.71,
            "ratio_ci_low": 0.38,
            "ratio_ci_high": 1.34,
            "odds_ratio": 0.62,
            "adverse_impact_ratio": 0.71,
            "four_fifths_flag": True,
            "test": "Fisher exact",
            "p_value": 0.38,
        },
    ]
    return {
        "min_cell": 0,
        "attributes": {"gender": {"groups": groups, "comparisons": comparisons}},
    }


@pytest.fixture(scope="module")
def model():
    scores = _scores()
    rubric = Rubric.single_criterion(minimum=1, maximum=5)
    return build_report(
        ReportInputs(
            rubric=rubric,
            scores=scores,
            allocations=[_allocation(scores)],
            audit=AuditResult.from_dict(_audit()),
            ml=CheckReport(
                findings=(
                    Finding("proxies", "warning", 0.81, f"The feature {EVIL} predicts gender."),
                ),
                details=pd.DataFrame(columns=list(DETAIL_COLUMNS)),
            ),
            seed="demo-2026",
            input_checksums={"reviews.csv": "ab" * 32},
            command_line="fairpanel report --scores scores.csv",
        )
    )


def test_user_strings_are_escaped_in_html(model):
    html = render_html(model)
    assert EVIL not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_user_strings_are_escaped_in_markdown(model):
    md = render_markdown(model)
    assert EVIL not in md


def test_html_references_no_external_url(model):
    html = render_html(model)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html
    specs = re.findall(r'<script type="application/json" data-chart="[^"]+">(.*?)</script>', html)
    assert specs
    for spec in specs:
        assert "$schema" not in json.loads(spec)


def test_cells_below_min_cell_are_suppressed_with_a_complement(model):
    audit = next(s for s in model.sections if s.id == "audit")
    table = audit.tables[0]
    by_group = {row[0]: row for row in table.rows}
    # 3 applicants < 5: suppressed, and so is the smallest other group, so the
    # suppressed counts cannot be recomputed from the attribute's total.
    assert by_group[EVIL][1:] == ("suppressed",) * 4
    assert by_group["woman"][1:] == ("suppressed",) * 4
    assert by_group["man"][1] == "60"
    comp = audit.tables[1].rows[0]
    assert comp[2:] == ("suppressed",) * 6


def test_json_report_has_the_same_sections(model, tmp_path):
    paths = write_report(model, tmp_path)
    payload = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert [s["id"] for s in payload["sections"]] == [s.id for s in model.sections]
    assert payload["provenance"]["seed"] == "demo-2026"
    md = paths["md"].read_text(encoding="utf-8")
    for section in model.sections:
        assert section.title.split(":")[0] in md


def test_summary_states_numbers(model):
    text = " ".join(model.summary)
    assert "12 submissions were scored from 36 reviews" in text
    assert "partial lottery funds 3 outright and draws 2 among 4" in text
    # "woman" (40 applicants) is a complement of the suppressed group of 3, so the
    # summary may not quote its rate either: it names it as not assessable (issue 11).
    assert "woman" not in text.replace("woman: not assessable, cells of fewer than 5 people", "")
    assert "groups too small to publish" in text


def test_summary_never_quotes_a_cell_below_min_cell():
    # The audit was run for internal use (min_cell 0); the report still applies 5.
    groups = [
        {
            "group": "a",
            "applicants": 11,
            "selected": 3,
            "selection_rate": 3 / 11,
            "rate_ci_low": 0.1,
            "rate_ci_high": 0.6,
            "suppressed": False,
        },
        {
            "group": "b",
            "applicants": 4,
            "selected": 2,
            "selection_rate": 0.5,
            "rate_ci_low": 0.15,
            "rate_ci_high": 0.85,
            "suppressed": False,
        },
    ]
    comparisons = [
        {
            "group": "a",
            "reference": "b",
            "rate_difference": 3 / 11 - 0.5,
            "difference_ci_low": -0.6,
            "difference_ci_high": 0.2,
            "rate_ratio": 0.545,
            "adverse_impact_ratio": 0.545,
            "four_fifths_flag": True,
            "p_value": 0.56,
        },
    ]
    audit = {
        "min_cell": 0,
        "attributes": {"gender": {"groups": groups, "comparisons": comparisons}},
    }
    model = build_report(ReportInputs(audit=AuditResult.from_dict(audit), min_cell=5))
    text = " ".join(model.summary)
    assert "0.545" not in text
    assert "-22.7%" not in text


def test_repeated_strategies_are_told_apart():
    scores = _scores()
    first, second = _allocation(scores), _allocation(scores)
    model = build_report(ReportInputs(scores=scores, allocations=[first, second]))
    section = next(s for s in model.sections if s.id == "strategies")
    assert [r[0] for r in section.tables[0].rows] == ["partial lottery (1)", "partial lottery (2)"]
    assert section.tables[1].columns[-2:] == ("partial lottery (1)", "partial lottery (2)")


def test_allocation_read_back_from_csv_keeps_false_as_false(tmp_path):
    scores = _scores()
    alloc = _allocation(scores)
    path = tmp_path / "alloc.csv"
    alloc.to_csv(path, index=False)
    as_text = pd.read_csv(path, dtype=str)
    model = build_report(ReportInputs(allocations=[as_text]))
    text = " ".join(model.summary)
    assert "funds 3 outright and draws 2 among 4" in text


def test_reviewers_are_not_named_in_the_published_report():
    reviewers = pd.DataFrame(
        {
            "reviewer_id": [f"Dr {EVIL} {i}" for i in range(20)],
            "n_reviews": 5,
            "leniency": np.linspace(-0.5, 0.5, 20),
            "leniency_se": 0.2,
        }
    )
    model = build_report(ReportInputs(reviewers=reviewers))
    html = render_html(model)
    assert "Dr " not in html
    assert "0.500" in html  # the spread is published


def test_audit_notes_and_withheld_strata_are_explained():
    audit = _audit()
    body = audit["attributes"]["gender"]
    body["strata"] = [
        {
            "group": "woman",
            "reference": "man",
            "pooled_odds_ratio": None,
            "ci_low": None,
            "ci_high": None,
            "p_value": None,
            "homogeneity_p_value": None,
        }
    ]
    audit["notes"] = ["gender: within-strata comparisons are withheld; merge small strata"]
    model = build_report(
        ReportInputs(audit=AuditResult.from_dict(audit), audit_describes="the rank strategy")
    )
    section = next(s for s in model.sections if s.id == "audit")
    text = " ".join(section.paragraphs)
    assert "These outcomes are those of the rank strategy." in text
    assert "within-strata comparisons are withheld" in text
    assert "analysis within strata (Cochran–Mantel–Haenszel" in text
    assert not any(t.caption.startswith("gender: adjusted for strata") for t in section.tables)


def test_markdown_prose_keeps_apostrophes(model):
    md = render_markdown(model)
    assert "&#39;" not in md
    assert "Heyard" in md or "reviewer" in md


def test_report_applies_the_audits_own_rule_to_zero_counts():
    # 40 applicants, none selected: the audit's primary rule hides "0 selected" (fewer
    # than 5 selected), so the report must too when a JSON made with min_cell 0 arrives.
    from fairpanel.audit._suppress import defensive_hidden
    from fairpanel.report._audit_tables import suppress_small

    rows = [
        {"group": "a", "applicants": 40, "selected": 0, "suppressed": False},
        {"group": "b", "applicants": 60, "selected": 20, "suppressed": False},
        {"group": "c", "applicants": 90, "selected": 30, "suppressed": False},
    ]
    shown = suppress_small(rows, 5)
    assert [r["suppressed"] for r in shown] == [True, True, False]
    expected = defensive_hidden(
        np.array([40, 60, 90]), np.array([0, 20, 30]), 5, hidden=np.zeros(3, dtype=bool)
    )
    assert [r["suppressed"] for r in shown] == expected.tolist()
