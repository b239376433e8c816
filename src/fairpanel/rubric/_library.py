"""The rubrics fairpanel ships: YAML files in ``fairpanel/rubric/library/``.

They are real files inside the package (not a link to a folder elsewhere in the
repository), so the sdist, a wheel built from it and an editable install all carry them.
"""

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
        The shipped rubric (see :data:`BUILTIN_RUBRICS`).

    Returns
    -------
    Path
        The file inside the installed package; copy it to adapt the rubric.

    Examples
    --------
    >>> builtin_rubric_path("telescope").name
    'telescope.yaml'
    """
    if name not in BUILTIN_RUBRICS:
        raise ValueError(ERR_UNKNOWN_RUBRIC.format(name=name, known=", ".join(BUILTIN_RUBRICS)))
    return Path(str(resources.files("fairpanel.rubric") / "library" / f"{name}.yaml"))


def builtin_rubric(name: str) -> Rubric:
    """Load a shipped rubric by name.

    Parameters
    ----------
    name : {"telescope", "research_grant", "faculty_hire"}
        The shipped rubric (see :data:`BUILTIN_RUBRICS`).

    Examples
    --------
    >>> builtin_rubric("telescope").scale.max
    5
    """
    return load_rubric(builtin_rubric_path(name))
