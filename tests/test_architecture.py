"""The import graph of ``src/fairpanel`` follows the layer order of docs/architecture.md.

Every ``import`` and ``from … import`` in the package is read from the source (the AST,
nothing is imported), including those inside functions: a lazy import kept for start-up
time is still a dependency. Imports under ``if TYPE_CHECKING:`` are skipped, since they
never run. Each module gets the layer of its subpackage (or top-level module) from the
table in docs/architecture.md, the one place the order is written. The check fails on
an import from a lower layer into a higher one and on any cycle, between modules or
between subpackages; imports within one layer are allowed when they make no cycle.

An import names one module: ``from fairpanel.audit._result import X`` is an edge to
``fairpanel.audit._result`` only, not also to ``fairpanel.audit`` whose ``__init__``
Python runs first. Counting those implicit edges would make every package that imports
its own private modules a cycle through its ``__init__``, which tells nothing.

The test suite has one rule of its own, read the same way: no test module imports another
test module (nor ``conftest``); shared test data reaches a test as a fixture of
``tests/conftest.py``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "fairpanel"
DOC = ROOT / "docs" / "architecture.md"
TESTS = ROOT / "tests"

#: The top-level package's own module (``fairpanel/__init__.py``) in the layer table.
TOP = "__init__"

_BEGIN, _END = "<!-- layers -->", "<!-- /layers -->"


# ----------------------------------------------------------------------------- reading


def layer_table(text: str) -> dict[str, int]:
    """Read ``{unit: layer}`` from the Markdown table between the layer markers.

    Each row is ``| layer | `unit`, `unit` | what lives there |``; a unit is a
    subpackage or top-level module of ``fairpanel`` (``__init__`` is the package itself).
    """
    body = text.split(_BEGIN, 1)[1].split(_END, 1)[0]
    table: dict[str, int] = {}
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].isdigit():
            continue  # the header and the |---| line
        for unit in re.findall(r"`([^`]+)`", cells[1]):
            assert unit not in table, f"{unit} is in two layers of {DOC.name}"
            table[unit] = int(cells[0])
    return table


def module_files(package: Path) -> dict[str, Path]:
    """Map each module's dotted name to its file (a package is its ``__init__.py``)."""
    out: dict[str, Path] = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", None)
    return name == "TYPE_CHECKING"


def _imported(tree: ast.AST, package: str) -> Iterable[tuple[str, tuple[str, ...]]]:
    """Yield ``(module, names)`` for every import that can run, at any depth."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            # its `else:` does run
            yield from _imported(ast.Module(body=node.orelse, type_ignores=[]), package)
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing module's package
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([base] if base else [])])
            yield base, tuple(alias.name for alias in node.names)
        yield from _imported(node, package)


def import_graph(files: Mapping[str, Path]) -> set[tuple[str, str]]:
    """Return the edges ``(importer, imported)`` between modules of the package."""
    root = next(iter(files)).split(".")[0]

    def known(name: str) -> str:
        # `import fairpanel.x.y` of a name inside a module: the module that defines it.
        while name not in files:
            name = name.rpartition(".")[0]
        return name

    edges: set[tuple[str, str]] = set()
    for module, path in files.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for target, names in _imported(ast.parse(path.read_text("utf-8")), package):
            if target.split(".")[0] != root:
                continue
            # `from fairpanel.cli import _report` imports the submodule, not the package.
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in files]
            rest = len(subs) < len(names) or not names
            edges.update((module, sub) for sub in subs)
            if rest:
                edges.add((module, known(target)))
    return {(a, b) for a, b in edges if a != b}


def unit_of(module: str) -> str:
    """Return the layer-table name of a module: its subpackage or top-level module."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else TOP


def cycles(edges: Iterable[tuple[str, str]]) -> list[frozenset[str]]:
    """Return the strongly connected components with more than one node (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = {stack.pop()}
            while node not in component:
                component.add(stack.pop())
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


# ----------------------------------------------------------------------------- the graph

LAYERS = layer_table(DOC.read_text("utf-8"))
FILES = module_files(PACKAGE)
EDGES = import_graph(FILES)


def _upward() -> set[tuple[str, str]]:
    return {(a, b) for a, b in EDGES if LAYERS[unit_of(a)] < LAYERS[unit_of(b)]}


def test_every_module_has_a_layer() -> None:
    unplaced = sorted({unit_of(m) for m in FILES} - set(LAYERS))
    assert unplaced == [], f"add these to the layer table of {DOC.name}: {unplaced}"


def test_the_layer_table_holds_the_planned_order() -> None:
    # A few fixed points of the order, so that an edit of the table is a conscious one.
    assert LAYERS["_schema"] < LAYERS["io"] < LAYERS["viz"] < LAYERS["rubric"]
    assert LAYERS["rubric"] < LAYERS["panel"] < LAYERS["scoring"] == LAYERS["reliability"]
    assert LAYERS["strategies"] < LAYERS["audit"] < LAYERS["ml"] < LAYERS["simulate"]
    assert LAYERS["simulate"] < LAYERS["report"] < LAYERS["cli"] == LAYERS[TOP]


def test_no_import_runs_up_the_layers() -> None:
    found = _upward()
    described = [
        f"{a} (layer {LAYERS[unit_of(a)]}) imports {b} (layer {LAYERS[unit_of(b)]})"
        for a, b in sorted(found)
    ]
    assert described == []


def test_no_import_cycle_between_modules() -> None:
    found = set(cycles(EDGES))
    assert sorted(sorted(c) for c in found) == []


def test_no_import_cycle_between_subpackages() -> None:
    # Same-layer imports (scoring and reliability, say) are allowed only one way.
    units = {(unit_of(a), unit_of(b)) for a, b in EDGES}
    assert cycles((a, b) for a, b in units if a != b) == []


def test_results_draw_with_viz_and_strategies_leave_ml_alone() -> None:
    # The edges issue 16 removed; the layer rule forbids them, this names them.
    for result in ("audit", "reliability", "scoring", "ml", "simulate", "strategies"):
        assert not {b for a, b in EDGES if unit_of(a) == result and unit_of(b) == "report"}
    assert not {b for a, b in EDGES if unit_of(a) == "strategies" and unit_of(b) == "ml"}
    # viz draws from tidy frames: it may use core (the display words), no result type.
    core = {unit for unit, layer in LAYERS.items() if layer == 1}
    assert not {b for a, b in EDGES if unit_of(a) == "viz" and unit_of(b) not in {"viz", *core}}


# ----------------------------------------------------------------------------- the reader


def test_reader_counts_lazy_imports_and_skips_type_checking(tmp_path: Path) -> None:
    # A tiny package written for the reader: every kind of import it must see or skip.
    pkg = tmp_path / "demo"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from demo.sub import thing\n")
    (pkg / "sub" / "__init__.py").write_text("from demo.sub._b import thing\n")
    (pkg / "sub" / "_b.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "import json\n"
        "if TYPE_CHECKING:\n"
        "    from demo import _c\n"
        "else:\n"
        "    from . import _d\n"
        "def thing():\n"
        "    import demo._c\n"
        "    return demo._c\n"
    )
    (pkg / "_c.py").write_text("from demo.sub._b import thing as _t\n")
    (pkg / "sub" / "_d.py").write_text("from .. import _c\n")
    files = module_files(pkg)
    assert set(files) == {"demo", "demo.sub", "demo.sub._b", "demo.sub._d", "demo._c"}
    assert import_graph(files) == {
        ("demo", "demo.sub"),
        ("demo.sub", "demo.sub._b"),
        ("demo.sub._b", "demo.sub._d"),  # relative `from . import _d`, in the else branch
        ("demo.sub._b", "demo._c"),  # inside a function; the TYPE_CHECKING one is skipped
        ("demo._c", "demo.sub._b"),
        ("demo.sub._d", "demo._c"),  # `from .. import _c`: two levels up
    }
    assert cycles(import_graph(files)) == [frozenset({"demo.sub._b", "demo.sub._d", "demo._c"})]


def test_reader_takes_the_layers_from_the_doc_table() -> None:
    text = (
        "intro\n<!-- layers -->\n| layer | modules | what |\n| ---: | --- | --- |\n"
        "| 1 | `_core`, `_seed` | core |\n| 2 | `io` | tables |\n<!-- /layers -->\n"
        "| 9 | `outside` | not read |\n"
    )
    assert layer_table(text) == {"_core": 1, "_seed": 1, "io": 2}


# ----------------------------------------------------------------------------- the tests


def imports_between(folder: Path) -> list[str]:
    """List every import, in a folder of test modules, of one of the folder's modules.

    Both spellings count: through the package (``tests.test_x``, ``.test_x``) and bare
    (``test_x``, as pytest's rootdir import mode would allow).
    """
    files = module_files(folder)
    own = {name.rpartition(".")[2] for name in files}  # `tests`, `conftest`, `test_x`…
    found = []
    for module, path in files.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for target, names in _imported(ast.parse(path.read_text("utf-8")), package):
            if target.split(".")[0] not in own:
                continue
            # `from tests import test_x` names the module after `import`
            shown = [f"{target}.{n}" for n in names] if target == folder.name else [target]
            found += [f"{module} imports {name}" for name in shown]
    return found


def test_no_test_module_imports_another() -> None:
    assert imports_between(TESTS) == []


def test_the_test_import_reader_sees_every_form(tmp_path: Path) -> None:
    # A tiny suite importing its siblings every way Python allows; the other imports pass.
    suite = tmp_path / "tests"
    suite.mkdir()
    (suite / "__init__.py").write_text("")
    (suite / "conftest.py").write_text("import pytest\nP1 = 1\n")
    (suite / "test_a.py").write_text("import numpy\nfrom fairpanel import io\nX = 1\n")
    (suite / "test_b.py").write_text(
        "from tests.test_a import X\n"
        "from .test_a import X as Y\n"
        "from tests import conftest\n"
        "def test_b():\n"
        "    import test_a\n"
        "    from tests.conftest import P1\n"
    )
    assert imports_between(suite) == [
        "tests.test_b imports tests.test_a",
        "tests.test_b imports tests.test_a",
        "tests.test_b imports tests.conftest",
        "tests.test_b imports test_a",
        "tests.test_b imports tests.conftest",
    ]
