"""``fairpanel.viz``, the Jupyter display of results: numbers shown, escaping, suppression.

Each result is built by the library's own functions on tiny data, rendered with
``_repr_html_`` and read back with the standard library's HTML parser, so the tests see
what a browser would: the tags that exist and the text of each table cell.
"""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from fairpanel.audit import audit, audit_counts
from fairpanel.ml import CheckReport, Finding, generate_history, run_checks
from fairpanel.reliability import reliability
from fairpanel.scoring import score
from fairpanel.simulate import Scenario, compare
from fairpanel.strategies import Capacity, LotteryStrategy, PartialLotteryStrategy
from fairpanel.viz import (
    MISSING,
    SUPPRESSED,
    Chart,
    Table,
    format_cell,
    html_chart,
    html_summary,
    html_table,
    mask_rows,
    svg_is_safe,
)

EVIL = "<script>alert(1)</script>"
EVIL_IMG = '"><img src=x onerror=alert(2)>'


class _Page(HTMLParser):
    """Tags, attributes and table cells of an HTML fragment, as a browser parses it."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[str] = []
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(name for name, _ in attrs)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def table(self, first_header: str, n: int = 0) -> pd.DataFrame:
        """The ``n``-th table whose first header cell is ``first_header``, as text."""
        found = [t for t in self.tables if t and t[0] and t[0][0] == first_header]
        rows = found[n]
        return pd.DataFrame(rows[1:], columns=rows[0])


def _assert_no_active_content(text: str) -> _Page:
    page = _Page(text)
    assert "script" not in page.tags
    assert "img" not in page.tags
    assert not [a for a in page.attrs if a.lower().startswith("on")]
    assert "<script" not in text.lower()
    return page


# ----------------------------------------------------------------------------- helpers


def test_format_cell():
    assert format_cell(np.int64(7)) == "7"
    assert format_cell(np.float64(0.123456)) == "0.1235"
    assert format_cell(np.bool_(True)) == "yes"
    assert format_cell(pd.NA) == MISSING
    assert format_cell(float("nan")) == MISSING
    assert format_cell(float("inf")) == "∞"
    assert format_cell(123456.7) == "123457"


def test_mask_rows_never_carries_the_hidden_value():
    frame = pd.DataFrame({"group": ["a", "b"], "applicants": [40, 3], "rate": [0.5, 1 / 3]})
    out = mask_rows(frame, [False, True], keep=["group"])
    assert out.loc[1].tolist() == ["b", SUPPRESSED, SUPPRESSED]
    assert out.loc[0].tolist() == ["a", "40", "0.5"]


def test_html_table_truncates_with_a_note():
    frame = pd.DataFrame({"x": range(15)})
    page = _Page(html_table("numbers", frame, max_rows=10))
    assert len(page.table("x")) == 10
    assert "… 5 more rows" in html_table("numbers", frame, max_rows=10)
    assert "more row" not in html_table("numbers", frame, max_rows=15)


def test_html_summary_escapes_every_string():
    frame = pd.DataFrame({EVIL: [EVIL], "n": [1]})
    out = html_summary(
        EVIL, facts=[(EVIL, EVIL)], notes=[EVIL_IMG], blocks=[(EVIL, frame)], max_rows=5
    )
    page = _assert_no_active_content(out)
    assert page.table(EVIL).iloc[0].tolist() == [EVIL, "1"]
    assert out.count("&lt;script&gt;") >= 5


def test_svg_is_safe():
    assert svg_is_safe('<svg xmlns="http://www.w3.org/2000/svg"><text>&lt;script&gt;</text></svg>')
    assert not svg_is_safe('<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>')
    assert not svg_is_safe('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
    assert not svg_is_safe(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
        '<image x:href="https://example.org/a.png"/></svg>'
    )
    assert not svg_is_safe(
        '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>x</p></foreignObject></svg>'
    )
    assert not svg_is_safe("<svg><text>unclosed")


def test_unsafe_svg_falls_back_to_the_chart_table():
    table = Table("data", ("group", "rate"), (("a", "0.5"),))
    bad = Chart("c", "title", "about", {}, "<svg><script>alert(1)</script></svg>", table)
    out = html_chart(bad)
    page = _assert_no_active_content(out)
    assert page.table("group").iloc[0].tolist() == ["a", "0.5"]


def test_viz_names_are_its_modules_objects():
    # The chart builders resolve lazily (Altair is slow to import); the names are the same.
    import importlib

    from fairpanel import viz
    from fairpanel.viz import _charts, _display, _model, _ranking

    for name in viz.__all__:
        if name in viz._LAZY:
            home = importlib.import_module(viz._LAZY[name])
        else:
            home = _model if name in _model.__all__ else _display
        assert getattr(viz, name) is getattr(home, name), name
    lazy = set(_charts.__all__) | {"caterpillar_chart"}
    assert set(viz.__all__) == lazy | set(_display.__all__) | set(_model.__all__)
    assert "caterpillar_chart" in _ranking.__all__
    assert dir(viz) == sorted(viz.__all__)


# ----------------------------------------------------------------------------- scores

REVIEWS = pd.DataFrame(
    {
        "submission_id": [EVIL, EVIL, "b", "b", "c", "c", "d", "d"],
        "reviewer_id": ["r1", EVIL_IMG] * 4,
        "score": [5, 4, 2, 2, 3, 4, 1, 2],
    }
)


@pytest.fixture(scope="module")
def scored():
    return score(REVIEWS, method="eb", seed=1)


def test_score_result_display(scored):
    out = scored._repr_html_()
    page = _assert_no_active_content(out)
    shown = page.table("submission_id")
    assert shown["submission_id"].tolist() == scored.table["submission_id"].tolist()
    expected = [format_cell(v) for v in scored.table["calibrated_score"]]
    assert shown["calibrated_score"].tolist() == expected
    assert shown["expected_rank"].tolist() == [
        format_cell(v) for v in scored.table["expected_rank"]
    ]
    d = scored.diagnostics
    assert f"converged: yes · max R-hat: {MISSING} · min ESS: {format_cell(d.min_ess)}" in out
    assert "<svg" in out  # the caterpillar chart, inline
    assert "PROVISIONAL" not in out


def test_score_result_repr_is_short(scored):
    text = repr(scored)
    assert text.startswith("<ScoreResult method='eb' submissions=4 reviewers=2 converged=True")
    assert "\n" not in text


def test_provisional_scores_say_so(scored):
    diag = dataclasses.replace(scored.diagnostics, converged=False, message="R-hat 1.2 > 1.01")
    out = dataclasses.replace(scored, diagnostics=diag)._repr_html_()
    assert "PROVISIONAL" in out
    assert "R-hat 1.2 &gt; 1.01" in out


# ----------------------------------------------------------------------------- audit


def _decisions():
    # m: 80 applicants, 48 selected; w: 40, 12; the evil group: 3, 1 (below min_cell 5)
    return pd.DataFrame(
        {
            "submission_id": range(123),
            "gender": ["m"] * 80 + ["w"] * 40 + [EVIL] * 3,
            "selected": [1] * 48 + [0] * 32 + [1] * 12 + [0] * 28 + [1, 0, 0],
        }
    )


def test_audit_display_shows_suppressed_cells_as_text():
    result = audit(_decisions(), groups="gender")
    hidden = set(result.groups.loc[result.groups["suppressed"], "group"])
    assert EVIL in hidden  # the audit's own suppression (and its complement)
    out = result._repr_html_()
    page = _assert_no_active_content(out)
    groups = page.table("group").set_index("group")
    for name in hidden:
        assert set(groups.loc[name]) == {SUPPRESSED}
    visible = result.groups.loc[~result.groups["suppressed"]].iloc[0]
    row = groups.loc[visible["group"]]
    assert row["applicants"] == str(visible["applicants"])
    assert row["selected"] == str(visible["selected"])
    assert row["selection_rate"] == format_cell(visible["selection_rate"])
    comparisons = page.table("group", 1).set_index("group")
    for name in hidden & set(comparisons.index):
        assert set(comparisons.loc[name].drop("reference")) == {SUPPRESSED}


def test_audit_display_never_shows_a_small_count():
    # A result built by hand with an unsuppressed small group: the display withholds it,
    # and one more group, so the small one cannot be recovered from the total.
    result = audit(_decisions().iloc[:120], groups="gender", min_cell=5)
    groups = pd.concat(
        [
            result.groups,
            pd.DataFrame(
                {
                    "attribute": ["gender"],
                    "group": [EVIL],
                    "applicants": pd.array([3], dtype="Int64"),
                    "selected": pd.array([1], dtype="Int64"),
                    "selection_rate": [1 / 3],
                    "rate_ci_low": [0.06],
                    "rate_ci_high": [0.79],
                    "suppressed": [False],
                }
            ),
        ],
        ignore_index=True,
    )
    out = dataclasses.replace(result, groups=groups)._repr_html_()
    page = _assert_no_active_content(out)
    shown = page.table("group").set_index("group")
    assert set(shown.loc[EVIL]) == {SUPPRESSED}
    assert set(shown.loc["w"]) == {SUPPRESSED}  # the smaller visible group: complementary
    numbers = {int(x) for row in page.tables[0][1:] for x in row[1:3] if x.isdigit()}
    assert all(n >= result.min_cell for n in numbers)


def test_audit_display_escapes_group_names_in_tables_and_chart():
    counts = pd.DataFrame({"g": [EVIL, EVIL_IMG], "applicants": [50, 50], "selected": [10, 20]})
    result = audit_counts(counts, group_col="g")
    out = result._repr_html_()
    page = _assert_no_active_content(out)
    assert set(page.table("group")["group"]) == {EVIL, EVIL_IMG}
    svg = re.search(r"<svg.*?</svg>", out, re.DOTALL)
    assert svg is not None
    assert "&lt;script&gt;" in svg.group()  # the axis label, escaped by vl-convert
    assert svg_is_safe(svg.group())
    assert repr(result) == "<AuditResult attributes=['g'] groups=2 suppressed=0 min_cell=5>"


# ----------------------------------------------------------------------------- simulation


@pytest.fixture(scope="module")
def simulated():
    scenario = Scenario(
        name=EVIL, submissions=200, group_shares={"a": 0.5, EVIL_IMG: 0.5}, reviewers=20
    )
    return compare(scenario, replicates=8, seed=3, progress=False)


def test_simulation_display(simulated):
    out = simulated._repr_html_()
    page = _assert_no_active_content(out)
    shown = page.table("strategy").set_index("strategy")
    assert list(shown.index) == list(simulated.strategies)
    s = simulated.summary()
    row = s[(s["strategy"] == "rank") & (s["metric"] == "merit_recovered")].iloc[0]
    assert (
        shown.loc["rank", "merit_recovered"] == f"{row['mean']:.3g}\u00a0±\u00a0{row['mc_se']:.2g}"
    )
    rate = s[(s["strategy"] == "lottery") & (s["group"] == EVIL_IMG)].iloc[0]
    cell = shown.loc["lottery", f"selection rate {EVIL_IMG}"]
    assert cell == f"{rate['mean']:.3g}\u00a0±\u00a0{rate['mc_se']:.2g}"
    assert "n_selected" not in shown.columns
    assert "<svg" in out  # selection probability by merit decile
    assert "replicates: 8" in out
    assert repr(simulated).startswith("<SimulationResult scenario='<script>")


# ----------------------------------------------------------------------------- reliability


def test_reliability_display():
    result = reliability(REVIEWS)
    out = result._repr_html_()
    page = _assert_no_active_content(out)
    icc = page.table("type").set_index("type")
    assert icc.loc["ICC(2,1)", "icc"] == format_cell(result.icc["icc"].iloc[1])
    assert icc.loc["ICC(3,k)", "ci_high"] == format_cell(result.icc["ci_high"].iloc[5])
    alpha = page.table("level").set_index("level")
    assert alpha.loc["interval", "alpha"] == format_cell(result.alpha["interval"])
    assert "ci_low" not in alpha.columns  # no bootstrap, no interval columns
    assert "submissions: 4 · reviewers: 2 · reviews: 8" in out


def test_reliability_display_with_bootstrap():
    result = reliability(REVIEWS, n_boot=50, seed=1)
    page = _Page(result._repr_html_())
    alpha = page.table("level").set_index("level")
    assert alpha.loc["ordinal", "ci_low"] == format_cell(result.alpha_ci["ordinal"][0])
    assert re.search(r"\(50 replicates\)", result._repr_html_())


# ----------------------------------------------------------------------------- ML checks


def test_check_report_display_most_severe_first():
    history = generate_history(60, cycles=2, proxy=True, leakage=True, seed=1)
    report = run_checks(history, groups=["gender"], post_decision=["hours_used"], seed=1)
    out = report._repr_html_()
    page = _assert_no_active_content(out)
    shown = page.table("severity")
    assert len(shown) == len(report.findings)
    ranks = shown["severity"].map({"critical": 0, "warning": 1, "ok": 2})
    assert ranks.is_monotonic_increasing
    leak = report.by_check("leakage")[0]
    row = shown[shown["check"] == "leakage"].iloc[0]
    assert row["value"] == format_cell(leak.value)
    assert row["message"] == leak.message
    assert f"worst: {report.worst}" in out


def test_check_report_display_escapes_messages():
    report = CheckReport(
        findings=(Finding("proxy", "critical", 0.9, EVIL, subject=EVIL_IMG),),
        details=pd.DataFrame(columns=["check", "subject", "item", "statistic", "value"]),
        skipped=(EVIL,),
    )
    page = _assert_no_active_content(report._repr_html_())
    assert page.table("severity").iloc[0].tolist() == ["critical", "proxy", EVIL_IMG, "0.9", EVIL]
    assert repr(report) == (
        "<CheckReport worst='critical' findings=1 critical=1 warning=0 skipped=1>"
    )


# ----------------------------------------------------------------------------- allocation


def test_allocation_display(scored):
    strategy = LotteryStrategy()
    allocation = strategy.allocate(scored.table, capacity=Capacity(count=2), seed=EVIL)
    out = allocation._repr_html_()
    page = _assert_no_active_content(out)
    tiers = page.table("tier").set_index("tier")
    counts = allocation.table.groupby("tier")["selected"].agg(["size", "sum"])
    for tier, (size, chosen) in counts.iterrows():
        assert tiers.loc[tier].tolist() == [str(size), str(chosen)]
    rows = page.table("submission_id")
    assert rows["submission_id"].tolist() == allocation.table["submission_id"].tolist()
    expected = [format_cell(p) for p in allocation.table["selection_probability"]]
    assert rows["selection_probability"].tolist() == expected
    assert "draw certificate: yes" in out
    assert "<svg" in out


def test_allocation_display_without_draw(scored):
    allocation = PartialLotteryStrategy(interval=0.5).allocate(
        scored.table, capacity=Capacity(count=2), seed="s"
    )
    page = _Page(allocation._repr_html_())
    shown = page.table("submission_id")
    assert allocation.table["draw_position"].isna().all()
    assert "draw_position" not in shown.columns
