"""Every public function and method documents its parameters (numpydoc).

Public means: named in the ``__all__`` of ``fairpanel`` or of one of its public
subpackages, and, for a class, its methods not starting with an underscore (its own and
those it inherits from fairpanel base classes). A callable that takes any parameter
besides ``self``/``cls`` needs a numpydoc ``Parameters`` section (``Other Parameters``
may hold the rarely used ones) with an entry for each parameter — ``*args``/``**kwargs``
by their bare or starred names — and a description under every entry; an entry naming no
parameter is a stale docstring and fails too. A class with its own ``__init__`` documents
the constructor's parameters in the class docstring, scikit-learn style. Properties and
dataclass fields are attributes, not parameters. The format follows the numpydoc style
guide (https://numpydoc.readthedocs.io/en/latest/format.html), sections 3 and 4.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import fairpanel

_PUBLIC_PACKAGES = ["fairpanel"] + [
    f"fairpanel.{m.name}"
    for m in pkgutil.iter_modules(fairpanel.__path__)
    if not m.name.startswith("_") and m.ispkg and m.name != "cli"
]
#: A numpydoc section: its title, underlined, up to the next underlined title.
_SECTIONS = re.compile(
    r"^(?P<title>[A-Z][A-Za-z ]+)\n-{3,}\n(?P<body>.*?)(?=\n\n[A-Z][A-Za-z ]+\n-{3,}\n|\Z)",
    re.DOTALL | re.MULTILINE,
)
#: An entry line of a Parameters section: ``name``, ``a, b`` or ``*args``, then `` : type``.
_ENTRY = re.compile(r"^(?P<names>\*{0,2}[A-Za-z_]\w*(?:, *\*{0,2}[A-Za-z_]\w*)*)[ \t]*(?::.*)?$")
_PARAMETER_SECTIONS = {"Parameters", "Other Parameters"}


def _public() -> Iterator[tuple[str, Callable[..., Any], str]]:
    """Yield (qualified name, callable, docstring to search) for every public callable."""
    seen: set[int] = set()
    for package in _PUBLIC_PACKAGES:
        module = importlib.import_module(package)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            qualified = f"{package}.{name}"
            if inspect.isfunction(obj):
                yield qualified, obj, inspect.getdoc(obj) or ""
            elif inspect.isclass(obj):
                yield from _class_members(qualified, obj, seen)
            elif callable(obj):
                # A partial or a callable instance would otherwise escape the walk.
                yield qualified, obj, inspect.getdoc(obj) or ""


def _class_members(
    qualified: str, cls: type[Any], seen: set[int]
) -> Iterator[tuple[str, Callable[..., Any], str]]:
    init = cls.__dict__.get("__init__")
    if init is not None and not dataclasses.is_dataclass(cls) and not issubclass(cls, Exception):
        yield f"{qualified}.__init__", init, inspect.getdoc(cls) or ""
    # Inherited methods count: a public class is used through every method it has. Each
    # function is checked once, under the first public class that reaches it.
    attrs: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass.__module__.split(".")[0] == "fairpanel":
            attrs.update(vars(klass))
    for attr, raw in attrs.items():
        if attr.startswith("_"):
            continue
        func = raw.__func__ if isinstance(raw, classmethod | staticmethod) else raw
        if inspect.isfunction(func) and id(func) not in seen:
            seen.add(id(func))
            # Named after the class that defines it, whichever subclass reached it first.
            owner = qualified.rsplit(".", 1)[0] + "." + func.__qualname__
            yield owner, func, inspect.getdoc(func) or ""


def _parameters(func: Callable[..., Any]) -> list[str]:
    return [p for p in inspect.signature(func).parameters if p not in {"self", "cls"}]


def _entries(doc: str) -> dict[str, list[str]]:
    """Map each name in the Parameters sections to the description lines of its entry."""
    entries: dict[str, list[str]] = {}
    for section in _SECTIONS.finditer(doc):
        if section.group("title") not in _PARAMETER_SECTIONS:
            continue
        names: list[str] = []
        for line in section.group("body").splitlines():
            if line[:1].isspace() or not line:
                for name in names:
                    entries[name].append(line.strip())
                continue
            match = _ENTRY.match(line)
            assert match is not None, f"not a numpydoc parameter entry: {line!r}"
            names = [part.strip().lstrip("*") for part in match.group("names").split(",")]
            for name in names:
                entries[name] = []
    return entries


CASES = sorted(_public(), key=lambda case: case[0])


@pytest.mark.parametrize(("name", "func", "doc"), CASES, ids=[c[0] for c in CASES])
def test_public_callable_documents_its_parameters(
    name: str, func: Callable[..., Any], doc: str
) -> None:
    params = _parameters(func)
    entries = _entries(doc)
    stale = sorted(set(entries) - set(params))
    assert stale == [], f"{name} documents {stale}, which it does not take"
    if not params:
        return
    assert "Parameters\n----------" in doc, f"{name} has no numpydoc Parameters section"
    missing = [p for p in params if p not in entries]
    assert missing == [], f"{name} does not document {missing}"
    bare = [p for p in params if not any(entries[p])]
    assert bare == [], f"{name} names {bare} without saying what they are"


def test_the_walk_finds_the_public_api() -> None:
    names = {c[0] for c in CASES}
    # A few names every committee script uses: the walk must reach them, including a
    # method public classes inherit (Strategy.get_params, reached first through
    # LotteryStrategy, whose __all__ entry comes before Strategy's).
    assert {"fairpanel.score", "fairpanel.load_reviews", "fairpanel.draw"} <= names
    assert "fairpanel.Strategy.get_params" in names
    assert len(CASES) > 100


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        # Grouped names, starred names, an entry without type, and a See Also section
        # right after the parameters (its entries are not parameters).
        (
            "Summary.\n\nParameters\n----------\nk1, n1 : int\n    Counts.\n*args\n"
            "    Passed on.\n**kwargs : Any\n    Options.\n\nSee Also\n--------\n"
            "other : Something else.\n",
            {"k1": ["Counts."], "n1": ["Counts."], "args": ["Passed on."], "kwargs": ["Options."]},
        ),
        (
            "Summary.\n\nParameters\n----------\nx : float\n\nOther Parameters\n"
            "----------------\nrare : bool, default False\n    Rarely needed.\n",
            {"x": [], "rare": ["Rarely needed."]},
        ),
        ("Summary only.", {}),
    ],
)
def test_entries_reads_numpydoc_sections(doc: str, expected: dict[str, list[str]]) -> None:
    assert _entries(doc) == expected
