"""What every subcommand shares: its common options and the readers of its tables.

Errors, exit codes and the console live in :mod:`fairpanel.cli._guard`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final, TypeVar

import typer

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import ReviewColumns
from fairpanel.cli._guard import console

if TYPE_CHECKING:
    import pandas as pd

    from fairpanel.io import ColumnMap
    from fairpanel.rubric import Rubric, ScaleChoice

__all__ = [
    "ColumnsFile",
    "DropMissing",
    "Encoding",
    "Grades",
    "Groups",
    "LowerIsBetter",
    "RawCsv",
    "RequestCol",
    "RequiredGroups",
    "ReviewsFile",
    "ScaleMax",
    "ScaleMin",
    "ScaleOptions",
    "ScaleStep",
    "Seed",
    "SubmissionCol",
    "existing_file",
    "load_column_map",
    "map_inputs",
    "map_provenance",
    "read_history",
    "read_reviews",
    "read_scored_reviews",
    "read_submissions",
    "split_names",
    "with_review_columns",
]


def split_names(values: list[str] | None) -> list[str]:
    """Split a repeatable option's values at commas: ``--group a,b`` is ``--group a --group b``.

    Examples
    --------
    >>> split_names(["gender, career_stage", "region"])
    ['gender', 'career_stage', 'region']
    """
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


# Shared options: one definition each, so every command spells them the same way.
ReviewsFile = Annotated[
    Path, typer.Option("--reviews", help="The reviews table (.csv, .tsv, .xlsx, .parquet).")
]
R = TypeVar("R")

#: The reviews table's column options, by the :class:`ReviewColumns` field each fills
#: (``--submission-col`` fills ``submission``): see :func:`with_review_columns`.
_COLUMN_HELP: Final = {
    "submission": "Column holding the submission id (default: submission_id, or the "
    "--columns file's).",
    "reviewer": "Column holding the reviewer id (default: reviewer_id); several "
    "comma-separated columns are joined into one id (e.g. section,assessor when voter ids "
    "repeat across sections).",
    "criterion": "Column holding the criterion id (default: criterion; absent: each row "
    "is one overall grade).",
    "score": "Column holding the score (default: score).",
    "conflict": "Column flagging a declared conflict of interest (default: conflict).",
}
#: fairpanel's name of the column each review column option names.
_COLUMN_NAMES: Final = {
    "submission": "submission_id",
    "reviewer": "reviewer_id",
    "criterion": "criterion",
    "score": "score",
    "conflict": "conflict",
}
SubmissionCol = Annotated[
    str | None, typer.Option("--submission-col", help=_COLUMN_HELP["submission"])
]
ColumnsFile = Annotated[
    Path | None,
    typer.Option(
        "--columns",
        help="A YAML file naming your columns, fairpanel's name: yours (submission_id: "
        "Proposal, reviewer_id: Assessor, score: Grade, selected: Fund, groups: [gender], "
        "panel: section), flat or per table; every command reads it, and an option given "
        "on the command line wins (docs/columns.md).",
    ),
]
_GROUP_HELP = (
    "A group attribute column of the submissions, e.g. gender (repeat, or separate by "
    "commas, for several)."
)
Groups = Annotated[
    list[str] | None, typer.Option("--group", help=_GROUP_HELP, callback=split_names)
]
#: ``--group`` where the command needs at least one.
RequiredGroups = Annotated[
    list[str], typer.Option("--group", help=_GROUP_HELP, callback=split_names)
]
RequestCol = Annotated[
    str | None,
    typer.Option("--request-col", help="The submissions column of each request (hours, money)."),
]
Encoding = Annotated[
    str, typer.Option("--encoding", help="Text encoding of CSV inputs (e.g. latin-1, cp1252).")
]
ScaleMin = Annotated[
    int | None, typer.Option("--scale-min", help="Scale minimum (without --rubric).")
]
ScaleMax = Annotated[
    int | None, typer.Option("--scale-max", help="Scale maximum (without --rubric).")
]
ScaleStep = Annotated[
    str | None,
    typer.Option(
        "--scale-step",
        help="The finest score (without --rubric): 0.5 for half points, 'continuous' for "
        "any number between the ends. Default: whole points.",
    ),
]
Grades = Annotated[
    str | None,
    typer.Option(
        "--grades",
        help="Letter grades (without --rubric) and the point each stands for, best first "
        "or in any order: e.g. 'A=6,AB=5,B=4,BC=3,C=2,D=1' (SNSF).",
    ),
]
LowerIsBetter = Annotated[
    bool,
    typer.Option(
        "--lower-is-better/--higher-is-better",
        help="Whether the lowest grade is the best (AIBS 1–40: 1 is best). SNSF MINT's "
        "num_grade runs from 6 = A (best) to 1: higher is better, the default.",
    ),
]
ERR_SEED_TEXT = "the seed holds bytes that are not valid text ({problem}); type it again"


def _seed_text(value: str | None) -> str | None:
    """Refuse a seed that cannot be written down: bytes the terminal could not decode.

    A seed is published and re-typed by whoever repeats the draw or the run, and hashed
    as UTF-8; Python keeps undecodable command-line bytes as lone surrogates, which
    neither the hash nor any output file can hold.
    """
    if value is not None:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise typer.BadParameter(ERR_SEED_TEXT.format(problem=exc.reason)) from None
    return value


Seed = Annotated[
    str,
    typer.Option(
        "--seed",
        help="Seed for every random choice (any text); the output records it.",
        callback=_seed_text,
    ),
]
RawCsv = Annotated[
    bool,
    typer.Option(
        "--raw-csv",
        help="Write CSV text cells exactly as they are. By default a cell starting with "
        "=, +, -, @, a tab or a carriage return gets a leading apostrophe, so that a "
        "spreadsheet shows it as text instead of running it as a formula (OWASP's "
        "CSV-injection advice); fairpanel's readers remove that apostrophe again.",
    ),
]
DropMissing = Annotated[
    bool,
    typer.Option(
        "--drop-missing",
        help="Read a blank or NA score as a rating not given and leave its row out "
        "(the count is reported).",
    ),
]


def load_column_map(path: Path | None) -> ColumnMap:
    """Read a ``--columns`` file (an empty map when none is given).

    Parameters
    ----------
    path : Path or None
        The YAML file of the committee's column names.
    """
    from fairpanel.io import ColumnMap, read_column_map  # start-up time (pandas)

    return ColumnMap() if path is None else read_column_map(existing_file(path))


def map_inputs(column_map: ColumnMap) -> dict[str, Path | None]:
    """Return the ``--columns`` file as an input of an output's provenance (its SHA-256).

    Parameters
    ----------
    column_map : ColumnMap
        The map a command read.
    """
    return {"--columns": None if column_map.source is None else Path(column_map.source)}


def map_provenance(column_map: ColumnMap) -> dict[str, Any]:
    """Return the names read from ``--columns``, recorded beside an output's inputs.

    Parameters
    ----------
    column_map : ColumnMap
        The map a command read.
    """
    return {} if column_map.source is None else {"columns": column_map.to_dict()}


def with_review_columns(command: Callable[..., R]) -> Callable[..., R]:
    """Give a command the reviews table's column options, passed on as one ``columns``.

    ``--columns`` (the map file), ``--submission-col``, ``--reviewer-col``,
    ``--criterion-col``, ``--score-col`` and ``--conflict-col`` are declared here once;
    an option given wins over the map, and the map over the defaults of
    :class:`~fairpanel._schema.ReviewColumns`. The command declares a parameter
    ``columns: ReviewColumns`` and receives them in it; one that declares
    ``column_map`` also receives the map (with the options given) for its other tables.

    Parameters
    ----------
    command : callable
        A command function with a ``columns`` parameter.

    Returns
    -------
    callable
        The command as Typer sees it: the five options in place of ``columns``.
    """
    # ``column_map: ColumnMap`` is a TYPE_CHECKING name (io loads pandas): any stands in.
    signature = inspect.signature(command, eval_str=True, locals={"ColumnMap": Any})
    added = [
        inspect.Parameter(
            f"{key}_col",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[str | None, typer.Option(f"--{key}-col", help=text)],
            default=None,
        )
        for key, text in _COLUMN_HELP.items()
    ]
    added.append(
        inspect.Parameter(
            "columns_file", inspect.Parameter.KEYWORD_ONLY, annotation=ColumnsFile, default=None
        )
    )
    wants_map = "column_map" in signature.parameters
    kept = [p for p in signature.parameters.values() if p.name not in ("columns", "column_map")]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> R:
        given = {_COLUMN_NAMES[key]: kwargs.pop(f"{key}_col", None) for key in _COLUMN_HELP}
        mapped = load_column_map(kwargs.pop("columns_file", None)).with_options(**given)
        if wants_map:
            kwargs["column_map"] = mapped
        return command(*args, columns=mapped.review_columns(), **kwargs)

    wrapper.__signature__ = signature.replace(parameters=[*kept, *added])  # type: ignore[attr-defined]
    # Typer reads the type hints too: the evaluated ones, without the map's name.
    wrapper.__annotations__ = {p.name: p.annotation for p in (*kept, *added)}
    return wrapper


@dataclass(frozen=True)
class ScaleOptions:
    """What the command line says of the scale: ends, step, grades and direction."""

    minimum: int | None = None
    maximum: int | None = None
    step: str | None = None
    grades: str | None = None
    lower_is_better: bool = False


def read_scored_reviews(
    path: Path,
    *,
    rubric: Path | None,
    scale: ScaleOptions,
    columns: ReviewColumns,
    encoding: str,
    drop_missing: bool,
    submissions: pd.DataFrame | None = None,
) -> tuple[Rubric | None, ScaleChoice, pd.DataFrame]:
    """Load the rubric, reconcile it with the scale options, and load the reviews on it.

    The one rule of ``score``, ``reliability`` and ``simulate --from-reviews``: a rubric
    sets the scale; without one, the options do (``--scale-min/--scale-max``,
    ``--scale-step``, ``--grades``); the loader then checks every score against it,
    naming the user's own column and row.

    Returns
    -------
    rubric : Rubric or None
        The rubric file's rubric.
    chosen : ScaleChoice
        The scale the reviews were checked on.
    reviews : DataFrame
        The loaded reviews.
    """
    from fairpanel.rubric import choose_scale, load_rubric, parse_grades  # start-up time

    loaded = None if rubric is None else load_rubric(existing_file(rubric))
    chosen = choose_scale(
        loaded,
        minimum=scale.minimum,
        maximum=scale.maximum,
        lower_is_better=scale.lower_is_better,
        step=scale.step,
        grades=() if scale.grades is None else parse_grades(scale.grades),
        rubric_name=None if rubric is None else str(rubric),
    )
    table = read_reviews(
        path,
        columns=columns,
        rubric=chosen.check,
        encoding=encoding,
        drop_missing=drop_missing,
        submissions=submissions,
    )
    return loaded, chosen, table


def read_reviews(
    path: Path,
    *,
    columns: ReviewColumns,
    rubric: Rubric | None,
    encoding: str,
    drop_missing: bool,
    submissions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Load a reviews file as every command does, saying how many rows were left out."""
    # Imported here, not at the top: every command imports this module, and
    # `fairpanel --help` should not wait for pandas.
    from fairpanel.io import load_reviews

    table = load_reviews(
        path,
        columns=columns,
        rubric=rubric,
        submissions=submissions,
        encoding=encoding,
        missing="drop" if drop_missing else "error",
    )
    if table.attrs.get("dropped"):
        n = table.attrs["dropped"]
        rows = "row" if n == 1 else "rows"
        console.print(f"{path}: left out {n} {rows} with no score", soft_wrap=True)
    return table


def read_submissions(
    path: Path,
    *,
    column_map: ColumnMap,
    groups: list[str] | None = None,
    encoding: str,
) -> pd.DataFrame:
    """Load a submissions file as every command does (its id, group and request columns).

    The columns come from ``column_map``: the options given (``--submission-col``,
    ``--request-col``), else the ``--columns`` file's names, else fairpanel's.
    """
    from fairpanel.io import load_submissions  # start-up time, as in read_reviews

    return load_submissions(
        existing_file(path),
        columns=column_map.submission_columns(groups=groups),
        encoding=encoding,
        rename=column_map.renames("submissions"),
    )


def read_history(
    path: Path, *, groups: list[str], encoding: str, id_col: str = "submission_id"
) -> pd.DataFrame:
    """Load past cycles for the ML model: ids and group attributes stay text.

    Other columns become numbers when every cell is one (``"007"`` stays an id). An id
    column named otherwise (``id_col``, from ``--columns``) is read as ``submission_id``.
    """
    from fairpanel.io import read_table  # start-up time, as in read_reviews

    text = ["submission_id", id_col, *groups]
    frame = read_table(existing_file(path), encoding=encoding, text_columns=text)
    if id_col in frame.columns and "submission_id" not in frame.columns:
        frame = frame.rename(columns={id_col: "submission_id"})
    return frame


def existing_file(path: Path) -> Path:
    """Resolve a path the user gave, failing with one line if it does not exist."""
    if not path.is_file():
        raise FairpanelInputError("no such file", file=path, hint="check the path")
    return path
