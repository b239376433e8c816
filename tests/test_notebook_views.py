"""Notebook views: a rubric shows as its card, a draw certificate as a short summary."""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pandas as pd

from fairpanel.io import Quota, QuotaTable
from fairpanel.lottery import (
    QuotaDrawCertificate,
    describe_certificate,
    draw,
    no_draw_certificate,
)
from fairpanel.rubric import Rubric, builtin_rubric_path, load_rubric, render_card
from fairpanel.strategies import QuotaLotteryStrategy

EVIL = "<script>alert(1)</script>"


class _Text(HTMLParser):
    """The text a notebook shows, and whether any script would run."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _read(html: str) -> tuple[str, int]:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.text).split()), parser.scripts


def test_a_rubric_shows_as_its_card() -> None:
    rubric = load_rubric(builtin_rubric_path("telescope"))
    html = rubric._repr_html_()
    # The card fragment `fairpanel rubric show` embeds, not a page of its own.
    assert html == render_card(rubric, format="html", standalone=False)
    assert "<!DOCTYPE" not in html
    text, scripts = _read(html)
    assert scripts == 0
    for criterion in rubric.criteria:
        assert criterion.title in text
    assert "Scientific merit" in text


def test_a_rubric_card_escapes_what_its_author_wrote() -> None:
    rubric = Rubric.single_criterion(minimum=1, maximum=3)
    evil = Rubric.from_dict({**rubric.to_dict(), "name": EVIL})
    text, scripts = _read(evil._repr_html_())
    assert scripts == 0
    assert EVIL in text  # shown as text


def test_a_certificate_shows_as_a_short_summary() -> None:
    ids = ["P1", "P2", "P3", EVIL]
    cert = draw(
        ids, places=2, seed="2026-06-01", context={"strategy": "partial-lottery"}
    ).certificate
    html = cert._repr_html_()
    assert html == describe_certificate(cert)
    text, scripts = _read(html)
    assert scripts == 0
    assert text.startswith("Draw certificate: partial lottery")
    assert "seed: 2026-06-01" in text
    assert "entrants: 4" in text
    assert "places drawn: 2" in text
    assert "committed before the seed: no" in text
    for position, sid in enumerate(cert.selected, start=1):
        assert f"{position} {sid}" in text
    assert "verify-draw" in text
    # short: the JSON's entrants and checksums stay in the file
    assert cert.input_checksum not in text


def test_a_certificate_without_a_draw_says_why() -> None:
    reason = "all 3 places were filled outright, so no draw was needed"
    cert = no_draw_certificate(seed="s", reason=reason, context={"strategy": "tiered-lottery"})
    text, _ = _read(cert._repr_html_())
    assert text.startswith("Draw certificate: tiered lottery (no draw)")
    assert reason in text
    assert "Drawn, in draw order" not in text


def test_a_quota_certificate_shows_the_panel_drawn() -> None:
    n = 12
    i = np.arange(n)
    ids = [f"P{k:02d}" for k in i]
    subs = pd.DataFrame({"submission_id": ids, "gender": np.where(i % 3 == 0, "woman", "man")})
    scores = pd.DataFrame({"submission_id": ids, "calibrated_score": 5.0 - i / 10})
    quotas = QuotaTable((Quota("gender", "woman", 2),))
    alloc = QuotaLotteryStrategy(quotas=quotas).allocate(scores, subs, capacity=4, seed="nb")
    cert = alloc.certificate
    assert isinstance(cert, QuotaDrawCertificate)
    text, scripts = _read(cert._repr_html_())
    assert scripts == 0
    assert text.startswith("Quota lottery certificate")
    assert f"panels allowed by the quotas: {len(cert.panels)}" in text
    assert f"panel drawn: {cert.panel}" in text
    assert all(sid in text for sid in cert.selected)
