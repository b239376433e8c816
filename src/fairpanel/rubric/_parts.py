"""The parts of a rubric: its scale, the described levels, criteria and bands.

Kept apart from :class:`~fairpanel.rubric.Rubric` so the YAML parser can build parts
without importing the class that calls it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fairpanel._errors import FairpanelInputError

__all__ = ["Band", "Criterion", "Level", "Scale", "read_grades", "read_step"]

ERR_EMPTY_FILE = "the file is empty"
ERR_NOT_MAPPING = "the rubric must be a YAML mapping with keys name, scale, criteria and bands"
ERR_MISSING_KEY = "required key '{key}' is missing"
ERR_BAD_TYPE = "expected {expected}, got {got!r}"
ERR_SCALE_ORDER = "scale min ({min}) must be below max ({max})"
ERR_SCALE_INTEGER = "scale min and max must be whole numbers, got {min} and {max}"
ERR_SCALE_STEP = (
    "scale step must be a positive number that divides 1 (1, 0.5, 0.25, 0.1…) "
    "or the word 'continuous', got {got!r}"
)
ERR_GRADE_OFF_SCALE = (
    "grade '{grade}' stands for {value!r}, which is not a score of the scale ({scale})"
)
ERR_GRADE_EMPTY = "a grade needs a name (A, B, …), got {got!r}"
ERR_GRADE_TWICE = "grade '{grade}' is given twice (grades are read without regard to case)"
ERR_NO_CRITERIA = "a rubric needs at least one criterion"
ERR_DUPLICATE_CRITERION = "criterion id '{id}' is used twice"
ERR_WEIGHT = "weight must be a positive finite number, got {weight!r}"
ERR_LEVELS_COVER = "levels must describe every point of the scale {min}–{max}; missing {missing}"
ERR_LEVEL_OFF_SCALE = "level {level} is outside the scale {min}–{max}"
ERR_EMPTY_DESCRIPTOR = "the descriptor of level {level} is empty"
ERR_NO_BANDS = "a rubric needs at least one band"
ERR_BAND_ORDER = (
    "band thresholds must go from the best band to the worst, strictly {direction}; "
    "'{name}' ({threshold}) breaks the order"
)
ERR_BAND_OFF_SCALE = "band '{name}' threshold {threshold} is outside the scale {min}–{max}"
ERR_BAND_COVER = (
    "the last band ('{name}') must reach the worst end of the scale ({end}) "
    "so every total has a band"
)
ERR_UNKNOWN_KEY = "unknown key '{key}'; allowed keys here: {allowed}"
ERR_EMPTY = "'{key}' must not be empty"
ERR_NOT_FINITE = "expected a finite number, got {got!r}"
ERR_WEIGHT_MIXED = (
    "give a weight to every criterion or to none (equal weights); '{id}' has none while others do"
)
ERR_DUPLICATE_BAND = "band name '{name}' is used twice"


#: How far a score may sit from a step of the scale and still be read as on it: a
#: spreadsheet's 3.4999999999 is 3.5, a typed 3.45 is not.
STEP_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Scale:
    """The scale reviewers score on: whole points, finer steps, or any number between.

    Parameters
    ----------
    min, max : int
        The ends of the scale (inclusive); whole numbers, since the described levels of
        a rubric sit on whole points.
    higher_is_better : bool
        ``False`` for grades such as the SNSF's 1 = best or AIBS's 1–40 = best…worst.
    step : float or None, default 1.0
        The finest score a reviewer may give: 1 for whole points, 0.5 for half points
        (a reviewer between two described levels), None for a continuous scale (any
        number from ``min`` to ``max``, e.g. a panel's averaged grade).
    grades : tuple of (str, float) pairs, default ()
        Names reviewers write instead of numbers, with the point each stands for:
        ``(("A", 6), ("AB", 5), …)`` for the SNSF's letter grades. Read without regard to
        case or surrounding spaces; a score may then be a grade or a number.
    inferred : bool, default False
        True when no one stated the scale and it was taken from the data's own range
        (a table scored without a rubric or scale options): outputs say so.
    """

    min: int
    max: int
    higher_is_better: bool = True
    step: float | None = 1.0
    grades: tuple[tuple[str, float], ...] = ()
    inferred: bool = False

    @property
    def points(self) -> tuple[int, ...]:
        """Every whole point of the scale, from ``min`` to ``max``: the described levels."""
        return tuple(range(self.min, self.max + 1))

    @property
    def grade_values(self) -> dict[str, float]:
        """The grades, keyed by their upper-case name (how a score cell is looked up)."""
        return {name.upper(): value for name, value in self.grades}

    def describe(self) -> str:
        """Say in words what a score on this scale may be.

        Returns
        -------
        str
            For a hint or a report: the points, the step or the range, and the grades.

        Examples
        --------
        >>> Scale(1, 5).describe()
        '1, 2, 3, 4, 5'
        >>> Scale(1, 5, step=0.5).describe()
        'from 1 to 5 in steps of 0.5'
        >>> Scale(1, 3, step=None, grades=(("A", 3), ("B", 2), ("C", 1))).describe()
        'any number from 1 to 3, or a grade: A = 3, B = 2, C = 1'
        """
        if self.step is None:
            text = f"any number from {self.min} to {self.max}"
        elif self.step == 1:
            text = ", ".join(map(str, self.points))
        else:
            text = f"from {self.min} to {self.max} in steps of {self.step:g}"
        if self.grades:
            named = ", ".join(f"{name} = {value:g}" for name, value in self.grades)
            text += f", or a grade: {named}"
        return text

    @property
    def best(self) -> int:
        """The best end of the scale."""
        return self.max if self.higher_is_better else self.min

    @property
    def worst(self) -> int:
        """The worst end of the scale."""
        return self.min if self.higher_is_better else self.max

    def contains(self, values: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Whether each value is a score of the scale: within it, and on a step.

        Parameters
        ----------
        values : array_like
            Numbers of any shape: ints, floats, or anything numpy reads as floats
            (``"3"`` is 3). NaN is never on the scale.

        Returns
        -------
        ndarray of bool
            The shape of ``values``.

        Examples
        --------
        >>> Scale(1, 6).contains([0, 1, 3.5, 6.0, float("nan")]).tolist()
        [False, True, False, True, False]
        >>> Scale(1, 6, step=0.5).contains([3.5, 3.25]).tolist()
        [True, False]
        """
        arr = np.asarray(values, dtype=float)
        with np.errstate(invalid="ignore"):
            ok: npt.NDArray[np.bool_] = (arr >= self.min) & (arr <= self.max)
            if self.step is not None:
                steps = (arr - self.min) / self.step
                ok &= np.abs(steps - np.round(steps)) <= STEP_TOLERANCE
        return ok


def read_step(value: object) -> float | None:
    """Read a scale's step as a rubric or the command line gives it.

    Parameters
    ----------
    value : object
        A number that divides 1 (1, 0.5, 0.25, 0.1…), its text, or ``"continuous"``.

    Returns
    -------
    float or None
        The step; None for a continuous scale.

    Raises
    ------
    FairpanelInputError
        For anything else: a step of 0.3 would put no score on the whole points that
        the rubric's levels describe.

    Examples
    --------
    >>> read_step("0.5"), read_step(1), read_step("continuous")
    (0.5, 1.0, None)
    """
    if isinstance(value, str) and value.strip().lower() == "continuous":
        return None
    try:
        step = float(value) if isinstance(value, str | int | float) else math.nan
    except ValueError:
        step = math.nan
    if isinstance(value, bool) or not 0 < step <= 1 or abs(1 / step - round(1 / step)) > 1e-9:
        raise FairpanelInputError(ERR_SCALE_STEP.format(got=value))
    return step


def read_grades(
    pairs: Iterable[tuple[object, object]], scale: Scale
) -> tuple[tuple[str, float], ...]:
    """Check named grades against a scale.

    Parameters
    ----------
    pairs : iterable of (name, value)
        Each grade's name and the point it stands for, in the order to show them.
    scale : Scale
        The scale without grades: every value must be one of its scores.

    Returns
    -------
    tuple of (str, float)
        The grades, names stripped of surrounding spaces.

    Raises
    ------
    FairpanelInputError
        An empty name, a name given twice (case aside), or a value off the scale.

    Examples
    --------
    >>> read_grades([("A", 6), (" AB", 5)], Scale(1, 6))
    (('A', 6.0), ('AB', 5.0))
    """
    out: list[tuple[str, float]] = []
    seen: set[str] = set()
    for raw_name, raw_value in pairs:
        name = str(raw_name).strip() if isinstance(raw_name, str | int) else ""
        if not name or isinstance(raw_name, bool):
            raise FairpanelInputError(ERR_GRADE_EMPTY.format(got=raw_name))
        if name.upper() in seen:
            raise FairpanelInputError(ERR_GRADE_TWICE.format(grade=name))
        seen.add(name.upper())
        # A grade's point is a number (YAML's 6 or the option's "6"), never a switch.
        ok = isinstance(raw_value, int | float | str) and not isinstance(raw_value, bool)
        try:
            value = float(raw_value) if ok else math.nan  # type: ignore[arg-type]
        except ValueError:
            value = math.nan
        if not bool(scale.contains([value])[0]):
            raise FairpanelInputError(
                ERR_GRADE_OFF_SCALE.format(grade=name, value=raw_value, scale=scale.describe())
            )
        out.append((name, value))
    return tuple(out)


@dataclass(frozen=True)
class Level:
    """One described point on a criterion's scale: observable evidence, not adjectives."""

    value: int
    descriptor: str
    label: str = ""


@dataclass(frozen=True)
class Criterion:
    """One thing reviewers judge, with its weight and a descriptor for every level."""

    id: str
    title: str
    weight: float
    asks: str
    levels: tuple[Level, ...]

    def level(self, value: int) -> Level:
        """Return the level with this value.

        Parameters
        ----------
        value : int
            A point of the rubric's scale.

        Returns
        -------
        Level
            Its descriptor (and label) for this criterion.

        Raises
        ------
        KeyError
            When no level of this criterion has that value.
        """
        for lvl in self.levels:
            if lvl.value == value:
                return lvl
        raise KeyError(value)


@dataclass(frozen=True)
class Band:
    """A holistic overall category: totals at or beyond ``threshold`` belong to it."""

    name: str
    threshold: float
    descriptor: str
