"""How much work fairpanel agrees to do: every size limit, in one place, with its reason.

A committee's files are small (the largest real panel fairpanel is tried on, SNSF MINT
2020, is 2,838 votes in 120 kB), but a file can be corrupt, mistaken or hostile: a sparse
2 GB CSV, a rubric scale of a billion points, a YAML alias bomb, a simulation of a
trillion replicates. Each must be refused at once with one line naming the limit, never
by the kernel killing the process minutes later. The limits are far above any real
committee's needs; the checks are cheap (a ``stat``, a count of newlines, a walk of a
parsed document) and happen before the expensive step.

No pandas or numpy here: this is core (layer 1) and the readers of every layer use it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from fairpanel._errors import FairpanelInputError

__all__ = [
    "ERR_FILE_TOO_BIG",
    "ERR_MEMORY",
    "ERR_TOO_DEEP",
    "ERR_TOO_MANY",
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_REPLICATES",
    "MAX_SCALE_POINTS",
    "MAX_SCENARIO_HISTORY_CYCLES",
    "MAX_SCENARIO_REVIEWERS",
    "MAX_SCENARIO_REVIEWS_PER_SUBMISSION",
    "MAX_SCENARIO_SUBMISSIONS",
    "MAX_SIMULATED_SCORES",
    "MAX_TABLE_BYTES",
    "MAX_TABLE_ROWS",
    "MAX_XLSX_UNPACKED_BYTES",
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "TABLE_MEMORY_FACTOR",
    "available_memory",
    "check_depth",
    "check_file_size",
    "check_table_memory",
    "human_bytes",
]

# ----------------------------------------------------------------------- tables
#: Largest input table (CSV, Excel, Parquet) read. Five million review rows of a wide
#: table (ids, criterion, score, a comment column) are about 200 MB; nothing a committee
#: scores is larger, and a file past this is a mistake (a sparse or concatenated file).
MAX_TABLE_BYTES: Final = 200 * 1024**2
#: Most data rows in an input table: the adversarial trial's largest load (5 million
#: rows) still reads in under a minute; a panel of 100,000 submissions with 20 reviews
#: each on 2 criteria is 4 million.
MAX_TABLE_ROWS: Final = 5_000_000
#: Peak memory of reading a table as text cells, per byte of file: measured 17x on a
#: 10.5 MB reviews CSV (500,000 rows of four short cells: each cell a Python string of
#: ~50 bytes plus its pointer); 20x leaves room for the loaders' checks.
TABLE_MEMORY_FACTOR: Final = 20
#: Most bytes an Excel workbook may unpack to (the sizes its zip directory declares,
#: summed), checked before the workbook is opened. An .xlsx is zipped XML, about 5–10x
#: larger unpacked than the file; a spreadsheet's maximum of 1,048,576 rows of a few
#: short cells is a few hundred MB of XML. A 40 kB "zip bomb" can declare gigabytes.
MAX_XLSX_UNPACKED_BYTES: Final = 1_000_000_000

# ------------------------------------------------------------------ rubric, scale
#: Most points on a score scale (max − min + 1). Real scales are short (1–5, 1–9,
#: AIBS's 1–40, a 0–100 percentage); each point is a described level, so a scale of a
#: billion points (which once took 21 GB to check) is a typing mistake.
MAX_SCALE_POINTS: Final = 1001

# ------------------------------------------------------------------------- YAML
#: Largest rubric or scenario file. The bundled rubrics are 2–5 kB; a rubric with
#: forty described levels on four criteria is under 50 kB.
MAX_YAML_BYTES: Final = 1024**2
#: Deepest nesting of a rubric or scenario (criteria → levels → level → descriptor is
#: 4); PyYAML's composer recurses once per level and overflows Python's stack near 1,000.
MAX_YAML_DEPTH: Final = 32
#: Most values a YAML document may stand for once its aliases (``*name``) are expanded.
#: Aliases share one object in memory, but rendering or checking the text of each use
#: repeats it: nine aliases of nine aliases of ... (a "billion laughs") is 9**9 values.
MAX_YAML_NODES: Final = 100_000

# ------------------------------------------------------------------------- JSON
#: Largest result JSON read by ``report`` and ``verify-draw``. A score JSON for 20,000
#: submissions with its reviewers and criterion decomposition is about 40 MB.
MAX_JSON_BYTES: Final = 500 * 1024**2
#: Deepest nesting of a result JSON: fairpanel writes at most 6 levels (a sweep inside a
#: simulation); Python's decoder overflows its stack near 1,000.
MAX_JSON_DEPTH: Final = 64

# ------------------------------------------------------------------- simulation
#: Most simulated cycles per strategy. The Monte Carlo error of a rate falls as
#: 1/sqrt(replicates): 100,000 replicates give ±0.0016 at worst, beyond any decision.
MAX_REPLICATES: Final = 100_000
#: Most submissions in a simulated cycle: ten times the largest real call fairpanel
#: knows of (the ERC's ~10,000 proposals a year).
MAX_SCENARIO_SUBMISSIONS: Final = 100_000
#: Most reviewers in a simulated panel (distributed review: one per submission).
MAX_SCENARIO_REVIEWERS: Final = 100_000
#: Most reviews per simulated submission (distributed peer review uses about 10).
MAX_SCENARIO_REVIEWS_PER_SUBMISSION: Final = 100
#: Most past cycles the simulated ML model is trained on.
MAX_SCENARIO_HISTORY_CYCLES: Final = 100
#: Most simulated review scores in one run (replicates × submissions × reviews each):
#: the kernels draw about 10 million scores a second, so this bound is minutes, not days.
MAX_SIMULATED_SCORES: Final = 5_000_000_000

ERR_FILE_TOO_BIG = (
    "the file is {size}, more than fairpanel reads as {what} ({limit}); check that it is "
    "the right file"
)
ERR_TOO_MANY = "{count} {what} is more than fairpanel accepts ({limit})"
ERR_TOO_DEEP = "the {what} is nested more than {limit} levels deep"
ERR_MEMORY = (
    "the file is {size}; reading it needs about {needed} of memory and this machine has "
    "{available} available"
)


def human_bytes(n: float) -> str:
    """Return a size as a person reads it (decimal units, as file managers show them).

    Parameters
    ----------
    n : float
        A number of bytes.

    Examples
    --------
    >>> human_bytes(999), human_bytes(2_147_483_648), human_bytes(1536)
    ('999 bytes', '2.1 GB', '1.5 kB')
    """
    if n < 1000:
        return f"{int(n)} bytes"
    for unit in ("kB", "MB", "GB", "TB"):
        n /= 1000
        if n < 1000:
            return f"{n:.1f} {unit}"
    return f"{n:.1f} PB"


def check_file_size(path: str | Path, limit: int, *, what: str) -> int:
    """Refuse a file larger than ``limit`` before reading any of it; return its size.

    Parameters
    ----------
    path : str or Path
        The file (it exists).
    limit : int
        The largest size accepted, in bytes.
    what : str
        What the file is read as ("a table", "a rubric"), for the message.

    Returns
    -------
    int
        The file's size in bytes.

    Raises
    ------
    FairpanelInputError
        Naming the file, its size and the limit.
    """
    size = Path(path).stat().st_size
    if size > limit:
        raise FairpanelInputError(
            ERR_FILE_TOO_BIG.format(size=human_bytes(size), what=what, limit=human_bytes(limit)),
            file=path,
        )
    return size


def available_memory() -> int | None:
    """Return the memory the system can give a new allocation, or None if unknown.

    Linux's ``MemAvailable`` (free memory plus what the page cache can give back); on
    other systems the free physical pages; None where neither exists.
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def check_table_memory(path: str | Path, size: int, available: int | None = None) -> None:
    """Refuse a table whose reading would need more memory than the machine has.

    Parameters
    ----------
    path : str or Path
        The file, for the message.
    size : int
        Its size in bytes.
    available : int, optional
        The memory available; by default :func:`available_memory`.

    Raises
    ------
    FairpanelInputError
        Naming the file's size, the memory it needs and the memory available.
    """
    free = available_memory() if available is None else available
    needed = size * TABLE_MEMORY_FACTOR
    if free is not None and needed > free:
        raise FairpanelInputError(
            ERR_MEMORY.format(
                size=human_bytes(size), needed=human_bytes(needed), available=human_bytes(free)
            ),
            file=path,
            hint="split the table, or run on a machine with more memory",
        )


def check_depth(value: object, limit: int, *, what: str) -> None:
    """Refuse a parsed document (dicts and lists) nested deeper than ``limit``.

    Iterative, so the check itself cannot overflow the stack it protects. For JSON (no
    shared values); YAML is checked as it is composed (:mod:`fairpanel.rubric`).

    Parameters
    ----------
    value : object
        The parsed document.
    limit : int
        The deepest nesting accepted (a scalar is depth 0, ``[1]`` depth 1).
    what : str
        What the document is, for the message.

    Raises
    ------
    FairpanelInputError
        If some value is nested deeper.

    Examples
    --------
    >>> check_depth({"a": [1, {"b": 2}]}, 3, what="JSON document")
    >>> check_depth([[[1]]], 2, what="JSON document")
    Traceback (most recent call last):
    ...
    fairpanel._errors.FairpanelInputError: the JSON document is nested more than 2 levels deep
    """
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, dict | list):
            continue
        if depth + 1 > limit:
            raise FairpanelInputError(ERR_TOO_DEEP.format(what=what, limit=limit))
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children)
