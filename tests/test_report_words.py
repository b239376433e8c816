"""The report speaks in words: no code names in prose, and a report that lists no one."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel._words import plain_quotes, plural, strategy_words, words
from fairpanel.cli import app
from fairpanel.io import write_frame, write_json
from fairpanel.reliability import ReliabilityResult
from fairpanel.report._glossary import GLOSSARY, glossary_for
from fairpanel.report._reliability_section import design_icc
from fairpanel.report._text import pct_span
from fairpanel.scoring import score
from fairpanel.strategies import PartialLotteryStrategy

#: Where code may stand in a page: code and commands, and the methods section.
_CODE_TAGS = frozenset({"pre", "code", "script", "style"})
#: A snake_case word: a letter or digit on each side of an underscore.
_SNAKE = re.compile(r"[A-Za-z0-9]_[A-Za-z0-9]")
#: What a word may contain that is not prose: addresses, hashes, file names.
_NOT_PROSE = (
    re.compile(r"https?://\S+"),
    re.compile(r"\b[0-9a-f]{16,}\b"),
    re.compile(r"\S+\.(?:csv|json|ya?ml|html|md|py|xlsx)\b"),
)


class _Prose(HTMLParser):
    """Collect the text a reader reads as prose: not code, not the methods section."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.skipping = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"img", "br", "meta", "link", "input", "hr"}:
            return
        skip = tag in _CODE_TAGS or (tag == "section" and dict(attrs).get("id") == "methods")
        self.stack.append((tag, skip))
        self.skipping += skip

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            name, skip = self.stack.pop()
            self.skipping -= skip
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.text.append(data)


def html_prose(page: str) -> str:
    """Return the prose of a report page, with addresses, hashes and file names removed."""
    parser = _Prose()
    parser.feed(page)
    text = " ".join(parser.text)
    for pattern in _NOT_PROSE:
        text = pattern.sub(" ", text)
    return text


def markdown_prose(page: str) -> str:
    """Return the prose of a Markdown report: no code blocks, spans or methods section."""
    text = re.sub(r"```.*?```", " ", page, flags=re.DOTALL)
    text = re.sub(r"`[^`\n]*`", " ", text)
    text = re.sub(
        r"^## Methods and limitations$.*?(?=^## )", " ", text, flags=re.MULTILINE | re.DOTALL
    )
    text = text.replace("\\_", "_")  # Markdown escapes an underscore in a table cell
    for pattern in _NOT_PROSE:
        text = pattern.sub(" ", text)
    return text


def _snake_words(text: str) -> list[str]:
    return sorted({m.group(0) for m in re.finditer(r"\S*" + _SNAKE.pattern + r"\S*", text)})


_REPORTS = ("report", "hiring/report", "cycles/report")


@pytest.mark.parametrize("name", _REPORTS)
def test_demo_report_html_prose_has_no_code_names(demo_output: Path, name: str) -> None:
    prose = html_prose((demo_output / f"{name}.html").read_text(encoding="utf-8"))
    assert "Selection" in prose or "selection" in prose  # the parser did read the page
    assert _snake_words(prose) == []
    assert "`" not in prose


@pytest.mark.parametrize("name", _REPORTS)
def test_demo_report_markdown_prose_has_no_code_names(demo_output: Path, name: str) -> None:
    prose = markdown_prose((demo_output / f"{name}.md").read_text(encoding="utf-8"))
    assert "Glossary" in prose
    assert _snake_words(prose) == []
    assert "`" not in prose


def test_the_grep_would_catch_a_code_name() -> None:
    # The check itself: a code name in prose is found, the same in code or a file is not.
    page = (
        "<p>By career_stage, fisher_exact.</p><pre>fairpanel audit --group career_stage</pre>"
        "<p>read <code>scores.csv</code> and audit_1.json</p>"
        '<section id="methods"><p>partial-lottery uses merit_recovered</p></section>'
    )
    assert _snake_words(html_prose(page)) == ["career_stage,", "fisher_exact."]
    assert _snake_words(markdown_prose("By career\\_stage\n```\na_b\n```\n")) == ["career_stage"]


def test_the_methods_section_keeps_the_code_names_it_needs(demo_output: Path) -> None:
    # The one place a reader meets a code name is where the methods are named; the
    # strategies there are the reader's words elsewhere.
    page = (demo_output / "report.html").read_text(encoding="utf-8")
    assert "partial lottery" in html_prose(page)
    assert "partial-lottery" not in html_prose(page)


# --------------------------------------------------------------------------- words


def test_words_name_code_names_and_columns() -> None:
    assert strategy_words("partial-lottery") == "partial lottery"
    assert strategy_words("rank") == "ranking"
    assert strategy_words("my own rule") == "my own rule"
    assert words("fisher_exact") == "Fisher's exact"
    assert words("too_good") == "too good to be true"
    assert words("career_stage") == "career stage"
    assert words("non-binary") == "non-binary"  # a user's hyphen stays
    assert plain_quotes("'womens_college' stands in for gender") == (
        "'womens college' stands in for gender"
    )


@pytest.mark.parametrize(
    ("count", "word", "expected"),
    [(1, "criterion", "1 criterion"), (3, "criterion", "3 criteria"), (0, "group", "0 groups"),
     (1, "person", "1 person"), (4, "person", "4 people")],
)  # fmt: skip
def test_plural(count: int, word: str, expected: str) -> None:
    assert plural(count, word) == expected


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (-0.345, -0.0002, "-34.5% to about 0 (just below)"),
        (-0.345, 0.0003, "-34.5% to about 0 (just above)"),
        (0.0, 0.12, "0.0% to 12.0%"),  # exactly zero is zero
        (-0.12, 0.09, "-12.0% to 9.0%"),
        (None, 0.1, "– to 10.0%"),
    ],
)
def test_a_difference_end_that_rounds_to_zero_says_which_side(
    low: float | None, high: float, expected: str
) -> None:
    assert pct_span(low, high) == expected


def _reliability(*, complete: bool, n_reviews: int) -> ReliabilityResult:
    icc = pd.DataFrame(
        {
            "type": ["ICC(1,1)", "ICC(2,1)", "ICC(1,k)", "ICC(2,k)"],
            "description": ["a", "b", "c", "d"],
            "icc": [0.4, 0.5, 0.7, 0.8],
            "ci_low": [0.3] * 4,
            "ci_high": [0.9] * 4,
        }
    )
    return ReliabilityResult(
        icc=icc,
        alpha={},
        n_submissions=10,
        n_reviewers=5,
        n_reviews=n_reviews,
        complete=complete,
        criterion=None,
    )


@pytest.mark.parametrize(
    ("complete", "n_reviews", "kind"),
    [(False, 40, "ICC(1,k)"), (True, 50, "ICC(2,k)"), (False, 10, "ICC(1,1)")],
)
def test_the_design_chooses_the_leading_icc(complete: bool, n_reviews: int, kind: str) -> None:
    # Shrout & Fleiss (1979), Koo & Li (2016): own reviewers per submission → one-way;
    # every reviewer on every submission → two-way random, absolute agreement; decisions
    # on the average of k > 1 reviews → average measures.
    chosen, why = design_icc(_reliability(complete=complete, n_reviews=n_reviews))
    assert chosen == kind
    assert why.startswith(f"{kind} leads: ")


def test_glossary_lists_only_the_terms_of_sections_present() -> None:
    assert [t for t, _ in glossary_for(["ml", "methods"])] == ["overfit", "overspecialized"]
    hiring = [t for t, _ in glossary_for(["rubric", "audit", "precision", "methods"])]
    assert "rank interval" not in hiring
    assert "lottery zone" not in hiring
    assert {"selection rate", "suppressed", "rubric"} <= set(hiring)
    assert len(glossary_for(["rubric", "ranking", "strategies", "audit", "ml"])) == len(GLOSSARY)


def test_a_ranking_without_a_lottery_defines_no_lottery_zone(p1_reviews) -> None:
    # The glossary follows the words a section uses, not only which sections are there.
    from fairpanel.report import ReportInputs, build_report

    scores = score(p1_reviews(), scale=(1, 6), seed=7, method="eb").table
    terms = [t for t, _ in build_report(ReportInputs(scores=scores)).glossary]
    assert "lottery zone" not in terms
    assert {"expected rank", "rank interval"} <= set(terms)
    assert "lottery zone" in [t for t, _ in glossary_for(["ranking"], text="a lottery zone")]
    # No funding line in the report: the rank interval is defined without one.
    defined = dict(glossary_for(["ranking"], text="ranks only"))
    assert "funding line" not in defined["rank interval"]
    assert (
        "funding line" in dict(glossary_for(["ranking"], text="the funding line"))["rank interval"]
    )


# ------------------------------------------------------------ no individual ranks


def test_a_report_without_individual_ranks_names_no_applicant(p1_reviews, tmp_path) -> None:
    reviews = p1_reviews()
    # Ids no other text of a report could contain by chance.
    reviews["submission_id"] = "APPLICANT-" + reviews["submission_id"].str.strip("#").str.zfill(3)
    ids = sorted(set(reviews["submission_id"]))
    scores = score(reviews, scale=(1, 6), seed=7, draws=1000).table
    allocated = PartialLotteryStrategy().allocate(scores, capacity=5, seed="s")
    assert allocated.certificate is not None
    assert (allocated.table["tier"] == "lottery").any(), "the draw must name entrants"
    paths = [
        "--scores", str(write_frame(tmp_path / "scores.csv", scores)),
        "--allocation", str(write_frame(tmp_path / "alloc.csv", allocated.table)),
        "--certificate",
        str(write_json(tmp_path / "draw.json", allocated.certificate.to_dict())),
    ]  # fmt: skip
    for flag, out in (("--no-individual-ranks", "private"), (None, "public")):
        args = ["report", *paths, "--seed", "s", "--out", str(tmp_path / out)]
        result = CliRunner().invoke(app, [*args, flag] if flag else args)
        assert result.exit_code == 0, result.output
    private = {ext: (tmp_path / "private" / f"report.{ext}").read_text("utf-8") for ext in
               ("html", "md", "json")}  # fmt: skip
    public = (tmp_path / "public" / "report.html").read_text("utf-8")
    assert all(i in public for i in ids[:3]), "the ordinary report does list them"
    for ext, text in private.items():
        assert [i for i in ids if i in text] == [], ext
    data = json.loads(private["json"])
    assert data["individual_ranks"] is False
    assert json.loads((tmp_path / "public" / "report.json").read_text("utf-8"))["individual_ranks"]
    # The aggregates stay: the strategies' counts and the ranking's interval width.
    assert "lists no individual applicant" in " ".join(data["summary"])
    sections = {s["id"]: s for s in data["sections"]}
    assert sections["ranking"]["charts"] == []
    assert [t["caption"] for t in sections["strategies"]["tables"]] == [
        "Strategies at the same capacity"
    ]


# ------------------------------------------------------------------ the numbers


def test_the_summary_quotes_the_ranking_sections_interval_span(demo_output: Path) -> None:
    data = json.loads((demo_output / "report.json").read_text(encoding="utf-8"))
    ranking = next(s for s in data["sections"] if s["id"] == "ranking")
    said = re.findall(r"spans (\d+) ranks", " ".join(data["summary"]))
    shown = re.findall(r"spans (\d+) ranks", " ".join(ranking["paragraphs"]))
    assert said
    assert said == shown


def test_rank_bounds_show_as_whole_ranks_widened_outwards() -> None:
    from fairpanel.viz._ranking import whole_ranks

    frame = pd.DataFrame(
        {"submission_id": ["a"], "expected_rank": [4.2], "rank_lo90": [2.5], "rank_hi90": [7.25]}
    )
    out = whole_ranks(frame)
    assert out[["rank_lo90", "rank_hi90"]].iloc[0].tolist() == [2, 8]
    assert out["expected_rank"].iloc[0] == 4.2  # the mean rank stays a mean


def test_a_quota_lottery_report_speaks_in_words_and_can_list_no_one() -> None:
    from fairpanel.io import Quota, QuotaTable
    from fairpanel.report import ReportInputs, build_report, render_html, render_markdown
    from fairpanel.strategies import QuotaLotteryStrategy

    i = np.arange(20)
    ids = [f"APPLICANT-{k:02d}" for k in i]
    subs = pd.DataFrame(
        {
            "submission_id": ids,
            "gender": np.where(i % 4 == 0, "woman", "man"),
            "career_stage": np.where(i % 3 == 0, "early", "senior"),
        }
    )
    scores = pd.DataFrame({"submission_id": ids, "calibrated_score": 5.0 - i / 10})
    quotas = QuotaTable((Quota("gender", "woman", 4), Quota("career_stage", "early", 2, 3)))
    alloc = QuotaLotteryStrategy(quotas=quotas).allocate(scores, subs, capacity=8, seed="q")
    shown = build_report(ReportInputs(allocations=[alloc], certificates=[alloc.certificate]))
    html = render_html(shown)
    assert "career stage" in html_prose(html)
    assert _snake_words(html_prose(html)) == []
    assert "`" not in html_prose(html)
    assert _snake_words(markdown_prose(render_markdown(shown))) == []
    private = build_report(
        ReportInputs(allocations=[alloc], certificates=[alloc.certificate], individual_ranks=False)
    )
    pages = render_html(private) + render_markdown(private) + json.dumps(private.to_dict())
    assert [s for s in ids if s in pages] == []
