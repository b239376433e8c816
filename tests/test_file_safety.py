"""Files stay safe (issue 15 part 2): outputs are regular files, never an input or each other,
and a command's outputs appear all together or not at all.

A generated corpus: each case builds its files in a temporary folder (a device, a symbolic
link and a FIFO cannot live in git), runs one command, and checks exit 2, the one-line
message and that nothing on disk changed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel.cli import app
from fairpanel.io import open_outputs
from fairpanel.io._targets import ERR_OUTPUT_IS_INPUT, ERR_OUTPUT_TWICE, HINT_OTHER_PATH
from fairpanel.io._write import ERR_OUTPUT_NOT_REGULAR, HINT_REGULAR

PREFIX = "fairpanel: error: "


def _snapshot(folder: Path) -> dict[str, tuple[bytes | str, int]]:
    out: dict[str, tuple[bytes | str, int]] = {}
    for p in folder.rglob("*"):
        st = os.lstat(p)
        if p.is_symlink():
            out[str(p.relative_to(folder))] = (os.readlink(p), st.st_mtime_ns)
        elif p.is_file():
            out[str(p.relative_to(folder))] = (p.read_bytes(), st.st_mtime_ns)
        else:
            out[str(p.relative_to(folder))] = ("", st.st_mode)
    return out


@pytest.fixture
def panel(snsf_p1: pd.DataFrame, tmp_path: Path) -> Path:
    """A folder with every input the commands read, shaped like SNSF p1 (15 proposals)."""
    scores = snsf_p1.copy()
    scores.to_csv(tmp_path / "scores.csv", index=False)
    ids = scores["submission_id"]
    gender = ["w", "m"] * 7 + ["w"]
    pd.DataFrame({"submission_id": ids, "gender": gender, "x": range(15)}).to_csv(
        tmp_path / "subs.csv", index=False
    )
    pd.DataFrame(
        {"submission_id": ids, "gender": gender, "selected": [True] * 6 + [False] * 9}
    ).to_csv(tmp_path / "decisions.csv", index=False)
    pd.DataFrame({"gender": ["w", "m"], "applicants": [8, 7], "selected": [3, 3]}).to_csv(
        tmp_path / "counts.csv", index=False
    )
    pd.DataFrame(
        {"submission_id": [f"h{i}" for i in range(40)], "x": range(40), "selected": [1, 0] * 20}
    ).to_csv(tmp_path / "h.csv", index=False)
    (tmp_path / "rubric.yaml").write_text("name: r\n", encoding="utf-8")
    (tmp_path / "reviews.csv").write_text("submission_id,reviewer_id,score\n", encoding="utf-8")
    for name in ("audit.json", "draw.json", "reliability.json", "sim.json", "ml.json"):
        (tmp_path / name).write_text("{}\n", encoding="utf-8")
    (tmp_path / "reviewers.csv").write_text("reviewer_id\n", encoding="utf-8")
    (tmp_path / "alloc.csv").write_text("submission_id\n", encoding="utf-8")
    return tmp_path


def _refused(
    folder: Path, args: list[str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _snapshot(folder)
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith(PREFIX)]
    assert lines == [PREFIX + expected], result.output
    assert _snapshot(folder) == before


ALLOCATE = ["allocate", "--scores", "scores.csv", "--strategy", "lottery", "--capacity", "5"]
ALLOCATE += ["--seed", "s"]


def _is_input(path: str, output: str, input_: str) -> str:
    text = ERR_OUTPUT_IS_INPUT.format(output=output, input=input_)
    return f"{path}: {text}; {HINT_OTHER_PATH}"


def _not_regular(path: str, kind: str) -> str:
    return f"{path}: {ERR_OUTPUT_NOT_REGULAR.format(kind=kind)}; {HINT_REGULAR}"


def test_a_device_is_never_an_output(panel: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _refused(
        panel, [*ALLOCATE, "--out", "/dev/null"], _not_regular("/dev/null", "device"), monkeypatch
    )


def test_a_symbolic_link_is_never_replaced(panel: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (panel / "link.csv").symlink_to(panel / "elsewhere.csv")
    _refused(
        panel,
        [*ALLOCATE, "--out", "link.csv"],
        _not_regular("link.csv", "symbolic link"),
        monkeypatch,
    )


def test_a_fifo_or_a_folder_is_never_an_output(
    panel: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    os.mkfifo(panel / "pipe.csv")
    _refused(
        panel,
        [*ALLOCATE, "--out", "pipe.csv"],
        _not_regular("pipe.csv", "FIFO (named pipe)"),
        monkeypatch,
    )
    (panel / "folder.json").mkdir()
    _refused(
        panel,
        [*ALLOCATE, "--out", "a.csv", "--json", "folder.json"],
        _not_regular("folder.json", "directory"),
        monkeypatch,
    )


def test_two_outputs_given_one_path(panel: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = ERR_OUTPUT_TWICE.format(first="--out", second="--certificate")
    _refused(
        panel,
        [*ALLOCATE, "--out", "x.csv", "--certificate", "x.csv"],
        f"x.csv: {text}; {HINT_OTHER_PATH}",
        monkeypatch,
    )
    # The same file by another spelling, and by a hard link.
    (panel / "y.json").write_text("old\n", encoding="utf-8")
    os.link(panel / "y.json", panel / "z.json")
    text = ERR_OUTPUT_TWICE.format(first="--certificate", second="--json")
    _refused(
        panel,
        [*ALLOCATE, "--out", "a.csv", "--certificate", "./y.json", "--json", "z.json"],
        f"y.json: {text}; {HINT_OTHER_PATH}",
        monkeypatch,
    )


@pytest.mark.parametrize(
    ("option", "path", "extra"),
    [
        ("--scores", "scores.csv", []),
        ("--submissions", "subs.csv", ["--submissions", "subs.csv"]),
        ("--rubric", "rubric.yaml", ["--rubric", "rubric.yaml"]),
    ],
)
def test_allocate_never_writes_over_an_input(
    panel: Path, monkeypatch: pytest.MonkeyPatch, option: str, path: str, extra: list[str]
) -> None:
    for out_option in ("--out", "--certificate", "--json"):
        args = (
            [*ALLOCATE, *extra, "--out", "a.csv"] if out_option != "--out" else [*ALLOCATE, *extra]
        )
        args += [out_option, path]
        _refused(panel, args, _is_input(path, out_option, option), monkeypatch)


def test_allocate_ml_never_writes_over_its_history(
    panel: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["allocate", "--scores", "scores.csv", "--submissions", "subs.csv"]
    args += ["--strategy", "ml", "--capacity", "5", "--seed", "s", "--history", "h.csv"]
    _refused(
        panel, [*args, "--out", "h.csv"], _is_input("h.csv", "--out", "--history"), monkeypatch
    )


@pytest.mark.parametrize(
    ("option", "path", "base"),
    [
        ("--decisions", "decisions.csv", ["--decisions", "decisions.csv"]),
        ("--counts", "counts.csv", ["--counts", "counts.csv"]),
        (
            "--submissions",
            "subs.csv",
            ["--decisions", "decisions.csv", "--submissions", "subs.csv"],
        ),
        ("--scores", "scores.csv", ["--decisions", "decisions.csv", "--scores", "scores.csv"]),
        ("--reviews", "reviews.csv", ["--decisions", "decisions.csv", "--reviews", "reviews.csv"]),
        ("--rubric", "rubric.yaml", ["--decisions", "decisions.csv", "--rubric", "rubric.yaml"]),
    ],
)
def test_audit_never_writes_over_an_input(
    panel: Path, monkeypatch: pytest.MonkeyPatch, option: str, path: str, base: list[str]
) -> None:
    group = ["--group-col", "gender"] if option == "--counts" else ["--group", "gender"]
    args = ["audit", *base, *group, "--json", path]
    _refused(panel, args, _is_input(path, "--json", option), monkeypatch)


REPORT_INPUTS = [
    ("--scores", "scores.csv"),
    ("--reviewers", "reviewers.csv"),
    ("--reliability", "reliability.json"),
    ("--allocation", "alloc.csv"),
    ("--certificate", "draw.json"),
    ("--audit", "audit.json"),
    ("--simulation", "sim.json"),
    ("--ml", "ml.json"),
    ("--rubric", "rubric.yaml"),
]


@pytest.mark.parametrize(("option", "name"), REPORT_INPUTS)
def test_report_never_writes_over_an_input(
    panel: Path, monkeypatch: pytest.MonkeyPatch, option: str, name: str
) -> None:
    # The input sits where the report would write its own file of that format.
    ext = {"csv": "md", "yaml": "md"}.get(name.rsplit(".", 1)[1], "json")
    (panel / "out").mkdir()
    target = panel / "out" / f"report.{ext}"
    os.replace(panel / name, target)
    shown = f"out/report.{ext}"
    _refused(
        panel,
        ["report", option, shown, "--out", "out"],
        _is_input(shown, f"--out's report.{ext}", option),
        monkeypatch,
    )


def test_an_error_between_two_outputs_leaves_neither(tmp_path: Path) -> None:
    first, second = tmp_path / "first.csv", tmp_path / "sub" / "second.json"
    (tmp_path / "first.csv").write_text("old\n", encoding="utf-8")
    tx = open_outputs({"--out": first, "--json": second})

    def fail_after_the_first() -> None:
        with tx:
            tx.write_text(first, "new\n")
            raise RuntimeError("between the two outputs")

    with pytest.raises(RuntimeError, match="between"):
        fail_after_the_first()
    assert first.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.csv"]  # no sub/, no .tmp


def test_ctrl_c_between_two_outputs_leaves_neither(tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    # An interactive caller's handler (a job started in the background, as a CI
    # runner's may be, ignores Ctrl-C: the next test).
    callers = signal.signal(signal.SIGINT, signal.default_int_handler)
    tx = open_outputs({"--out": first, "--json": second})

    def interrupted_after_the_first() -> None:
        with tx:
            tx.write_text(first, "x")
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        interrupted_after_the_first()
    assert list(tmp_path.iterdir()) == []
    # The handlers are the caller's again.
    assert signal.signal(signal.SIGINT, callers) is signal.default_int_handler


def test_an_ignored_ctrl_c_stays_ignored_while_writing(tmp_path: Path) -> None:
    # A background job (or nohup) ignores SIGINT: the writes must not start catching it.
    callers = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        tx = open_outputs({"--out": tmp_path / "a.csv"})
        with tx:
            tx.write_text(tmp_path / "a.csv", "x")
            os.kill(os.getpid(), signal.SIGINT)  # ignored: the write goes on
        assert (tmp_path / "a.csv").read_text(encoding="utf-8") == "x"
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, callers)


def test_sigterm_mid_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    # A child stages one output, says so, and waits; SIGTERM must leave nothing behind.
    code = textwrap.dedent(
        """
        import sys, time
        from pathlib import Path
        from fairpanel.io import open_outputs
        folder = Path(sys.argv[1])
        tx = open_outputs({"--out": folder / "a.csv", "--json": folder / "b.json"})
        with tx:
            tx.write_text(folder / "a.csv", "x" * 100000)
            print("staged", flush=True)
            time.sleep(60)
            tx.write_text(folder / "b.json", "{}")
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout is not None
    with child.stdout:
        assert child.stdout.readline().strip() == "staged"
        assert any(p.name.endswith(".tmp") for p in tmp_path.iterdir())
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=30) == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []
