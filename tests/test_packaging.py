"""Packaging: the shipped files reach every install, and a missing extra is one clear line.

The sdist is what every other install is built from, so the rubric library must be real
files inside the package (an sdist drops symlinks; a wheel built from it then had no
rubrics). ``make sdist-check`` installs the sdist in a fresh virtualenv in CI; here the
sdist and the wheel built from it are made offline and their contents checked.
"""

from __future__ import annotations

import builtins
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from packaging.requirements import Requirement
from typer.testing import CliRunner

import fairpanel
from fairpanel import FairpanelInputError
from fairpanel._extras import ERR_MISSING_EXTRA, EXTRAS, needs_extra
from fairpanel.cli import app
from fairpanel.io import load_submissions, write_frame
from fairpanel.ml import MLStrategy, generate_history
from fairpanel.rubric import BUILTIN_RUBRICS, builtin_rubric_path

ROOT = Path(__file__).parents[1]
PACKAGE = Path(fairpanel.__file__).parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PARQUET_MESSAGE = ERR_MISSING_EXTRA.format(purpose="reading .parquet", extra="parquet")
MITIGATION_MESSAGE = ERR_MISSING_EXTRA.format(
    purpose="a fairlearn mitigation of the ml strategy", extra="ml"
)
#: What the sdist and the wheel must both carry, relative to the package folder.
PACKAGE_DATA = [
    *(f"rubric/library/{name}.yaml" for name in BUILTIN_RUBRICS),
    "rubric/templates/card.html",
    "rubric/templates/card.md",
    "py.typed",
]


# ------------------------------------------------------------------ package data
def test_the_rubric_library_is_real_files_one_per_shipped_rubric():
    library = builtin_rubric_path("telescope").parent
    assert library == PACKAGE / "rubric" / "library"
    assert not library.is_symlink()
    assert sorted(p.name for p in library.iterdir()) == sorted(
        f"{name}.yaml" for name in BUILTIN_RUBRICS
    )
    assert not any(p.is_symlink() for p in library.iterdir())


def test_no_symlink_anywhere_in_the_package():
    # An sdist drops symlinks (the bug this file guards against): none may come back.
    links = [p.relative_to(PACKAGE) for p in PACKAGE.rglob("*") if p.is_symlink()]
    assert links == []


def test_the_top_level_rubrics_folder_is_gone():
    # One source of truth: the package's copy. A second folder would drift.
    assert not (ROOT / "rubrics").exists()


@pytest.mark.slow
def test_sdist_and_the_wheel_built_from_it_carry_the_package_data(tmp_path):
    # `python -m build` without --sdist/--wheel makes the sdist, then the wheel *from the
    # sdist*: the path pip takes when it installs the sdist. Offline: --no-isolation uses
    # this environment's hatchling (the test extra).
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (sdist,) = tmp_path.glob("fairpanel-*.tar.gz")
    (wheel,) = tmp_path.glob("fairpanel-*.whl")
    top = sdist.name.removesuffix(".tar.gz")
    with tarfile.open(sdist) as tar:
        in_sdist = {m.name.removeprefix(f"{top}/src/fairpanel/"): m for m in tar.getmembers()}
        for name in PACKAGE_DATA:
            assert in_sdist[name].isfile(), name
        sdist_bytes = {name: _read(tar, in_sdist[name]) for name in PACKAGE_DATA}
    with zipfile.ZipFile(wheel) as whl:
        wheel_bytes = {name: whl.read(f"fairpanel/{name}") for name in PACKAGE_DATA}
    source_bytes = {name: (PACKAGE / name).read_bytes() for name in PACKAGE_DATA}
    assert sdist_bytes == source_bytes
    assert wheel_bytes == source_bytes


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = tar.extractfile(member)
    assert handle is not None, member.name
    return handle.read()


# ------------------------------------------------------------------------ extras
def _names(requirements: list[str]) -> set[str]:
    return {Requirement(r).name for r in requirements}


def test_extras_in_pyproject_are_the_ones_the_code_names():
    # _extras.EXTRAS lists import names; here they equal the distribution names.
    optional = PYPROJECT["project"]["optional-dependencies"]
    for extra, modules in EXTRAS.items():
        assert _names(optional[extra]) == set(modules), extra
    # Not also a default dependency (else the extra means nothing) ...
    defaults = _names(PYPROJECT["project"]["dependencies"])
    assert defaults.isdisjoint(m for modules in EXTRAS.values() for m in modules)
    # ... and the tests install every extra.
    (self_ref,) = [r for r in optional["test"] if Requirement(r).name == "fairpanel"]
    assert Requirement(self_ref).extras == set(EXTRAS)


@pytest.fixture
def missing(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Make ``import <top>`` (and its submodules) fail as if <top> were not installed."""

    def block(top: str) -> None:
        real_import = builtins.__import__

        def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
            if name == top or name.startswith(f"{top}."):
                raise ModuleNotFoundError(f"No module named '{top}'", name=top)
            return real_import(name, *args, **kwargs)

        monkeypatch.setattr(builtins, "__import__", fake_import)

    return block


@pytest.fixture
def parquet_file(tmp_path: Path) -> Path:
    path = tmp_path / "table.parquet"
    pd.DataFrame({"submission_id": ["P1", "P2"], "gender": ["w", "m"]}).to_parquet(path)
    return path


def test_reading_parquet_without_pyarrow_names_the_extra(missing, parquet_file):
    missing("pyarrow")
    with pytest.raises(FairpanelInputError) as err:
        load_submissions(parquet_file)
    assert str(err.value) == f"{parquet_file}: {PARQUET_MESSAGE}"


def test_reading_parquet_without_pyarrow_on_the_command_line(missing, parquet_file):
    missing("pyarrow")
    # Refused on reading, before any column is looked at.
    result = CliRunner().invoke(app, ["validate", "--reviews", str(parquet_file)])
    assert result.exit_code == 2
    assert result.stderr == f"fairpanel: error: {parquet_file}: {PARQUET_MESSAGE}\n"


def test_parquet_reads_when_pyarrow_is_there(parquet_file):
    # The control: the same file, with the extra installed (the test extra has it).
    assert list(load_submissions(parquet_file)["submission_id"]) == ["P1", "P2"]


@pytest.mark.parametrize("mitigation", ["exponentiated-gradient", "threshold-optimizer"])
def test_mitigation_without_fairlearn_names_the_extra(missing, mitigation):
    past = generate_history(60, cycles=1, seed=3)
    missing("fairlearn")
    with pytest.raises(FairpanelInputError) as err:
        MLStrategy(groups=["gender"], mitigation=mitigation, seed=0).fit(past)
    assert str(err.value) == MITIGATION_MESSAGE
    # Without a mitigation the ml strategy needs no fairlearn (the default install).
    assert MLStrategy(groups=["gender"], seed=0).fit(past).mitigator_ is None


def test_mitigation_without_fairlearn_on_the_command_line(missing, tmp_path):
    new = generate_history(40, cycles=1, seed=4)
    paths = {name: tmp_path / f"{name}.csv" for name in ("past", "new", "scores")}
    write_frame(paths["past"], generate_history(60, cycles=1, seed=3))
    write_frame(paths["new"], new)
    scores = new[["submission_id", "past_score"]].rename(
        columns={"past_score": "calibrated_score"}
    )
    write_frame(paths["scores"], scores)
    out = tmp_path / "alloc.csv"
    missing("fairlearn")
    result = CliRunner().invoke(
        app,
        [
            "allocate", "--strategy", "ml", "--history", str(paths["past"]),
            "--submissions", str(paths["new"]), "--scores", str(paths["scores"]),
            "--group", "gender", "--mitigation", "threshold-optimizer",
            "--capacity", "10", "--seed", "s", "--out", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 2
    # One line; the command names the --history file it was fitting on when it failed.
    assert result.stderr.startswith("fairpanel: error: ")
    assert result.stderr.endswith(f"{MITIGATION_MESSAGE}\n")
    assert result.stderr.count("\n") == 1
    assert not out.exists()


def test_a_different_missing_module_is_not_blamed_on_the_extra():
    # A broken install (a dependency of pyarrow missing) must surface as itself.
    with (
        pytest.raises(ModuleNotFoundError, match="numpy"),
        needs_extra("parquet", purpose="reading .parquet"),
    ):
        raise ModuleNotFoundError("No module named 'numpy'", name="numpy")
