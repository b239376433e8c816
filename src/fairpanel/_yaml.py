"""Reading YAML files of plain data: rubrics, scenarios, column maps, quota files.

One loader for all of them, so each refuses the same things with the same one line: a
key given twice (PyYAML would keep the second silently), a tag that builds an object
(``!!python/...``), a document nested past :data:`~fairpanel._limits.MAX_YAML_DEPTH`
levels, and an alias bomb that expands past :data:`~fairpanel._limits.MAX_YAML_NODES`
values. A file larger than :data:`~fairpanel._limits.MAX_YAML_BYTES` is refused before
it is read, and a byte-order mark (which spreadsheet and Windows editors prepend) is
dropped.

PyYAML is imported here, at the top; readers that most commands never reach (the column
map, the quota file) import this module inside the function that needs it, so a command
without them does not pay PyYAML's import.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

import yaml

from fairpanel._errors import FairpanelInputError
from fairpanel._limits import MAX_YAML_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES, check_file_size

__all__ = [
    "ERR_CANNOT_READ",
    "ERR_DUPLICATE_KEY",
    "ERR_NOT_UTF8",
    "ERR_YAML",
    "ERR_YAML_CYCLE",
    "ERR_YAML_DEEP",
    "ERR_YAML_EXPANDS",
    "ERR_YAML_TAG",
    "PlainDataLoader",
    "read_plain_yaml",
    "yaml_message",
]

ERR_YAML: Final = "not valid YAML: {problem}"
ERR_YAML_TAG: Final = (
    "the YAML tag '{tag}' is not allowed at line {line}; fairpanel reads plain data only"
)
ERR_DUPLICATE_KEY: Final = (
    "key '{key}' is given twice at line {line}; the second would silently win"
)
ERR_YAML_DEEP: Final = "the YAML is nested more than {limit} levels deep (line {line})"
ERR_YAML_EXPANDS: Final = (
    "the YAML's aliases (*name) expand to more than {limit:,} values; write the values out "
    "instead of repeating anchors"
)
ERR_YAML_CYCLE: Final = "the YAML refers to itself through an alias (line {line})"
ERR_NOT_UTF8: Final = "the file is not UTF-8 text"
ERR_CANNOT_READ: Final = "cannot read the file ({reason})"


class _DuplicateKeyError(yaml.constructor.ConstructorError):
    def __init__(self, key: object, mark: yaml.Mark) -> None:
        super().__init__(None, None, f"duplicate key {key!r}", mark)
        self.key = key


class _LimitError(yaml.YAMLError):
    """A document past one of the YAML limits (:mod:`fairpanel._limits`)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a node graph that stands for too many values once aliases are expanded.

    Aliases make the graph a DAG: the same node is reached many times. The expanded
    size is counted once per node (memoised, iteratively, so a deep graph cannot
    overflow the stack), which takes time linear in the file, not in the expansion.
    """
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        key = id(node)
        if closing:
            open_.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in _children(node))
            if sizes[key] > MAX_YAML_NODES:
                raise _LimitError(ERR_YAML_EXPANDS.format(limit=MAX_YAML_NODES))
            continue
        if key in sizes:
            continue
        open_.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in open_:
                line = child.start_mark.line + 1
                raise _LimitError(ERR_YAML_CYCLE.format(line=line))
            if id(child) not in sizes:
                stack.append((child, False))


class PlainDataLoader(yaml.SafeLoader):
    """PyYAML's ``SafeLoader``, refusing a key given twice and a document past the limits.

    The limits (:data:`~fairpanel._limits.MAX_YAML_DEPTH`,
    :data:`~fairpanel._limits.MAX_YAML_NODES`) are checked on the node graph, before
    any Python object is built: a document nested a thousand levels deep would overflow
    the stack of PyYAML's composer, and an alias bomb ("billion laughs") would stand for
    billions of values once its text is checked or rendered.
    """

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                line = self.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
                raise _LimitError(ERR_YAML_DEEP.format(limit=MAX_YAML_DEPTH, line=line))
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self) -> yaml.Node | None:
        node = super().get_single_node()
        if node is not None:
            _check_expansion(node)
        return node

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)  # resolve merge keys (<<) first, as SafeLoader does
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # unhashable: SafeLoader reports it below
                continue
            if duplicate:
                raise _DuplicateKeyError(key, key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def yaml_message(exc: yaml.YAMLError) -> str:
    """Return the one line that says what is wrong with a YAML document.

    Parameters
    ----------
    exc : yaml.YAMLError
        PyYAML's error, or the loader's own (a duplicate key, a limit).

    Returns
    -------
    str
    """
    if isinstance(exc, _LimitError):
        return exc.message
    mark = getattr(exc, "problem_mark", None)
    line = "?" if mark is None else str(mark.line + 1)
    if isinstance(exc, _DuplicateKeyError):
        return ERR_DUPLICATE_KEY.format(key=exc.key, line=line)
    problem = str(getattr(exc, "problem", None) or "unreadable")
    tag = re.search(r"constructor for the tag '([^']*)'", problem)
    if tag is not None:
        return ERR_YAML_TAG.format(tag=tag.group(1).replace("tag:yaml.org,2002:", "!!"), line=line)
    if mark is not None:
        problem = f"{problem} at line {line}"
    return ERR_YAML.format(problem=problem)


def read_plain_yaml(path: str | Path, *, what: str) -> Any:
    """Read a YAML file of plain data, refusing what :class:`PlainDataLoader` refuses.

    Parameters
    ----------
    path : str or Path
        The file (it exists).
    what : str
        What the file is read as ("a rubric", "a column map"), for the size message.

    Returns
    -------
    object
        The document: a mapping, a list, a scalar, or None for an empty file.

    Raises
    ------
    FairpanelInputError
        Naming the file: too large, not UTF-8, unreadable, or one line from
        :func:`yaml_message`.
    """
    path = Path(path)
    try:
        check_file_size(path, MAX_YAML_BYTES, what=what)
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FairpanelInputError(ERR_NOT_UTF8, file=path, hint="save it as UTF-8") from None
    except OSError as exc:
        raise FairpanelInputError(ERR_CANNOT_READ.format(reason=exc.strerror), file=path) from None
    try:
        return yaml.load(text, Loader=PlainDataLoader)  # a SafeLoader: plain data only
    except yaml.YAMLError as exc:
        raise FairpanelInputError(yaml_message(exc), file=path) from None
