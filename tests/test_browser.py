"""Open a report in headless Chromium with networking off; every chart must render.

Chromium comes from Debian's ``chromium`` package, which ``.ci/run`` installs. The page
writes its rendering outcome onto ``<html>`` (``data-charts-*``), read here from the DOM
after the page's own scripts have run. A screenshot is saved under tests/artifacts/.
"""

from __future__ import annotations

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
