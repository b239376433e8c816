"""Start-up: ``import fairpanel`` and the CLI import no heavy library until it is used.

Every command used to wait 1.5–2.5 s for statsmodels, scikit-learn, altair… before doing
anything, even ``fairpanel --version``. The package now resolves its names lazily (SPEC 1)
and each command imports its library inside the command. Each check runs in a fresh
interpreter, since this test process has long imported everything. No timings here:
those belong in benchmarks.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

import fairpanel
from fairpanel.lottery import draw
from fairpanel.rubric import builtin_rubric_path

#: Packages that take a noticeable share of a second to import.
HEAVY = ("statsmodels", "sklearn", "fairlearn", "altair", "vl_convert", "scipy", "pandas")
#: What a command that neither models, audits nor charts must still not import.
MODELLING = ("statsmodels", "sklearn", "fairlearn", "altair", "vl_convert")
#: Names bound when ``fairpanel`` is imported; every other public name is lazy.
EAGER = {"FairpanelInputError", "__version__"}

_PRINT_LOADED = (
    "import json, sys\n"
    "print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {packages!r})))"
)


def _loaded_after(code: str, *, packages: tuple[str, ...] = HEAVY) -> list[str]:
    """Run ``code`` in a fresh interpreter; return which of ``packages`` it imported."""
    script = f"{code}\n{_PRINT_LOADED.format(packages=set(packages))}"
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    return loaded


def test_import_fairpanel_imports_no_heavy_package() -> None:
    assert _loaded_after("import fairpanel") == []


def test_building_the_cli_imports_no_heavy_package() -> None:
    assert _loaded_after("import fairpanel.cli._main") == []


def _run_cli(*argv: str) -> str:
    # The command's own exit (Click always exits) must be 0; then list what it imported.
    return (
        "import sys\n"
        "from fairpanel.cli._main import main\n"
        f"sys.argv = ['fairpanel', *{list(argv)!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
    )


def test_help_and_version_import_no_heavy_package() -> None:
    assert _loaded_after(_run_cli("--version")) == []
    assert _loaded_after(_run_cli("--help")) == []
    assert _loaded_after(_run_cli("audit", "--help")) == []


def test_verify_draw_imports_only_what_it_uses(tmp_path: Path) -> None:
    result = draw(["a", "b", "c", "d"], places=2, seed="startup")
    cert = tmp_path / "cert.json"
    cert.write_text(json.dumps(result.certificate.to_dict()), encoding="utf-8")
    assert _loaded_after(_run_cli("verify-draw", str(cert)), packages=MODELLING) == []


def test_rubric_check_imports_only_what_it_uses() -> None:
    path = str(builtin_rubric_path("telescope"))
    assert _loaded_after(_run_cli("rubric", "check", path), packages=MODELLING) == []


def test_allocate_with_a_rank_strategy_imports_no_model(tmp_path: Path) -> None:
    # Only `--strategy ml` needs scikit-learn and fairlearn; the ml strategy lives in
    # fairpanel.ml, which the strategies package no longer imports.
    rows = [f"s{i:02d},{30 - i / 2},{i + 1}" for i in range(30)]
    scores = tmp_path / "scores.csv"
    scores.write_text("submission_id,calibrated_score,expected_rank\n" + "\n".join(rows) + "\n")
    out = str(tmp_path / "allocation.csv")
    argv = ("allocate", "--scores", str(scores), "--strategy", "rank", "--capacity", "5")
    code = _run_cli(*argv, "--seed", "startup", "--out", out)
    # Nor scipy, nor the rubric's YAML and templates: without --rubric none is read.
    assert _loaded_after(code, packages=(*MODELLING, "scipy", "yaml", "jinja2")) == []
    assert (tmp_path / "allocation.csv").exists()  # the command did run


def test_result_types_load_no_chart_library_until_drawn() -> None:
    # Results draw themselves with fairpanel.viz, whose chart builders load on first use.
    code = "import fairpanel.viz, fairpanel.scoring, fairpanel.audit, fairpanel.simulate"
    assert _loaded_after(code, packages=("altair", "vl_convert")) == []
    drawn = f"{code}\nfrom fairpanel.viz import caterpillar_chart"
    assert _loaded_after(drawn, packages=("altair", "vl_convert")) == ["altair", "vl_convert"]


def test_names_resolve_lazily_to_the_subpackage_objects() -> None:
    code = (
        "import sys, fairpanel\n"
        "assert 'fairpanel.scoring' not in sys.modules\n"
        "assert fairpanel.score is sys.modules['fairpanel.scoring'].score\n"
        "assert 'score' in vars(fairpanel)  # cached after the first access\n"
    )
    _loaded_after(code)


@pytest.mark.parametrize("name", sorted(set(fairpanel.__all__) - EAGER))
def test_every_lazy_name_is_the_subpackage_object(name: str) -> None:
    module = importlib.import_module(fairpanel._LAZY[name])
    assert getattr(fairpanel, name) is getattr(module, name)


def test_from_import_resolves_lazy_names() -> None:
    from fairpanel import RankStrategy, assess_reliability, run_audit, score

    assert score is fairpanel.scoring.score
    assert run_audit is sys.modules["fairpanel.audit"].run_audit
    assert assess_reliability is sys.modules["fairpanel.reliability"].assess_reliability
    assert RankStrategy is fairpanel.strategies.RankStrategy


def test_lazy_table_covers_all_and_nothing_else() -> None:
    assert set(fairpanel._LAZY) | EAGER == set(fairpanel.__all__)
    assert dir(fairpanel) == sorted(fairpanel.__all__)


def test_type_checking_imports_match_the_lazy_table() -> None:
    # mypy and IDEs read the `if TYPE_CHECKING:` imports; the lazy table is what runs.
    tree = ast.parse(inspect.getsource(fairpanel))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    imported = {
        alias.name: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert imported == fairpanel._LAZY


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        fairpanel.nonexistent  # type: ignore[attr-defined]  # noqa: B018


def test_no_public_name_is_also_a_subpackage() -> None:
    # A name that is both (the function `audit` and the subpackage `fairpanel.audit`)
    # needs the module's class swapped to decide which one wins; there is none now.
    subpackages = {
        info.name
        for info in pkgutil.iter_modules(fairpanel.__path__)
        if info.ispkg and not info.name.startswith("_")
    }
    assert {"audit", "reliability"} <= subpackages
    assert not subpackages & set(fairpanel.__all__)
    assert type(fairpanel) is types.ModuleType


def test_audit_and_reliability_are_the_subpackages_whatever_the_import_order() -> None:
    # Internals imported first (as the report does) and the package after, or the
    # package alone: either way the attribute is the subpackage, reached lazily.
    for first in ("fairpanel.audit._audit, fairpanel.reliability._icc, fairpanel", "fairpanel"):
        code = (
            f"import sys, types, {first}\n"
            "for name, function in (('audit', 'run_audit'),\n"
            "                       ('reliability', 'assess_reliability')):\n"
            "    package = getattr(fairpanel, name)\n"
            "    assert package is sys.modules['fairpanel.' + name], name\n"
            "    assert getattr(fairpanel, function) is getattr(package, function), name\n"
        )
        _loaded_after(code)
    assert fairpanel.audit is sys.modules["fairpanel.audit"]
    assert fairpanel.reliability is sys.modules["fairpanel.reliability"]


def test_the_former_function_names_are_aliases_in_their_subpackages() -> None:
    import fairpanel.audit
    import fairpanel.reliability

    assert fairpanel.audit.audit is fairpanel.audit.run_audit
    assert fairpanel.reliability.reliability is fairpanel.reliability.assess_reliability
    assert fairpanel.run_audit.__name__ == "run_audit"
    assert fairpanel.assess_reliability.__name__ == "assess_reliability"


def test_a_name_neither_lazy_nor_a_subpackage_is_still_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'reliabilty'"):
        fairpanel.reliabilty  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute '_audit'"):
        fairpanel._audit  # type: ignore[attr-defined]  # noqa: B018
