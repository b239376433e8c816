"""The rubrics fairpanel ships (``rubrics/`` in the repository, package data when installed)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Final

from fairpanel.rubric._rubric import Rubric, load_rubric

__all__ = ["BUILTIN_RUBRICS", "builtin_rubric", "builtin_rubric_path"]

#: The names of the shipped rubrics.
BUILTIN_RUBRICS: Final = ("telescope", "research_grant", "faculty_hire")
ERR_UNKNOWN_RUBRIC = "unknown rubric '{name}'; the shipped ones are {known}"


def builtin_rubric_path(name: str) -> Path:
    """Return the path of a shipped rubric's YAML file.

    Parameters
    ----------
    name : {"telescope", "research_grant", "faculty_hire"}

    Examples
    --------
    >>> builtin_rubric_path("telescope").name
    'telescope.yaml'
    """
    if name not in BUILTIN_RUBRICS:
        raise ValueError(ERR_UNKNOWN_RUBRIC.format(name=name, known=", ".join(BUILTIN_RUBRICS)))
    # ``library`` links to the repository's rubrics/ folder; wheels carry the files.
    return Path(str(resources.files("fairpanel.rubric") / "library" / f"{name}.yaml"))


def builtin_rubric(name: str) -> Rubric:
    """Load a shipped rubric by name (see :data:`BUILTIN_RUBRICS`)."""
    return load_rubric(builtin_rubric_path(name))
