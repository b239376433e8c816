"""Open a report in headless Chromium with networking off; every chart must render.

Chromium comes from Debian's ``chromium`` package, which ``.ci/run`` installs. The page
writes its rendering outcome onto ``<html>`` (``data-charts-*``), read here from the DOM
after the page's own scripts have run. A screenshot is saved under tests/artifacts/.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent / "artifacts"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run must install Debian's chromium")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return exe


def _offline(cmd: list[str]) -> list[str]:
    # A fresh network namespace has no interface but loopback: nothing can be fetched.
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], check=False).returncode == 0:
        return [unshare, "-n", *cmd]
    return [*cmd, "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"]


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    cmd = [_chromium(), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(_offline(cmd), capture_output=True, text=True, timeout=120, check=False)


def test_every_chart_renders_offline(browser_report: Path, tmp_path: Path) -> None:
    url = browser_report.resolve().as_uri()
    result = _run(["--virtual-time-budget=20000", "--dump-dom", url], tmp_path)
    root = re.search(r"<html[^>]*>", result.stdout)
    assert root, result.stderr[-2000:]
    attrs = dict(re.findall(r'(data-[\w-]+)="([^"]*)"', root.group(0)))
    assert attrs.get("data-chart-errors") == "", attrs
    assert int(attrs["data-charts-expected"]) >= 2
    assert attrs["data-charts-rendered"] == attrs["data-charts-expected"]
    assert "Uncaught" not in result.stderr

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    _run(
        ["--virtual-time-budget=20000", "--window-size=1200,3000", f"--screenshot={shot}", url],
        tmp_path,
    )
    assert shot.stat().st_size > 10_000


def test_the_report_prints_each_chart_beside_its_caption(
    browser_report: Path, tmp_path: Path
) -> None:
    # A copy of the report gets a small marker at the end of every figure; printed to
    # PDF, each caption and its figure's end marker must be on the same page (the print
    # stylesheet keeps a figure whole and scales a tall chart to fit a page).
    pypdf = pytest.importorskip("pypdf")
    source = browser_report.read_text(encoding="utf-8")
    titles: list[str] = []

    def mark(match: re.Match[str]) -> str:
        caption = re.search(r"<strong>(.*?)\.</strong>", match.group(0))
        assert caption, match.group(0)[:300]
        titles.append(html.unescape(caption.group(1)))
        end = f'<p style="font-size:6pt">ENDMARK{len(titles) - 1}X</p></figure>'
        return match.group(0).replace("</figure>", end)

    marked = tmp_path / "printed-copy.html"
    marked.write_text(
        re.sub(r'<figure class="chart".*?</figure>', mark, source, flags=re.DOTALL),
        encoding="utf-8",
    )
    pdf = tmp_path / "report.pdf"
    _run(
        [
            "--virtual-time-budget=20000",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            marked.resolve().as_uri(),
        ],
        tmp_path,
    )
    # Text as pypdf reads it: whitespace collapsed, the "fi" ligature spelled out.
    pages = [
        " ".join(page.extract_text().replace("\ufb01", "fi").split())
        for page in pypdf.PdfReader(pdf).pages
    ]
    assert len(pages) > 3
    assert len(titles) >= 2
    start = 0
    for i, title in enumerate(titles):
        on = [k for k in range(start, len(pages)) if title in pages[k]]
        ends = [k for k in range(start, len(pages)) if f"ENDMARK{i}X" in pages[k]]
        assert on, f"caption {title!r} not found from page {start + 1}"
        assert ends[0] == on[0], (
            f"{title!r}: caption on page {on[0] + 1}, chart ends on {ends[0] + 1}"
        )
        start = on[0]
