"""The parts of a rubric: its scale, the described levels, criteria and bands.

Kept apart from :class:`~fairpanel.rubric.Rubric` so the YAML parser can build parts
without importing the class that calls it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Band", "Criterion", "Level", "Scale"]

ERR_EMPTY_FILE = "the file is empty"
ERR_NOT_MAPPING = "the rubric must be a YAML mapping with keys name, scale, criteria and bands"
ERR_MISSING_KEY = "required key '{key}' is missing"
ERR_BAD_TYPE = "expected {expected}, got {got!r}"
ERR_SCALE_ORDER = "scale min ({min}) must be below max ({max})"
ERR_SCALE_INTEGER = "scale min and max must be whole numbers, got {min} and {max}"
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
ERR_YAML = "not valid YAML: {problem}"
ERR_YAML_TAG = "the YAML tag '{tag}' is not allowed at line {line}; a rubric is plain data"
ERR_DUPLICATE_KEY = "key '{key}' is given twice at line {line}; the second would silently win"
ERR_UNKNOWN_KEY = "unknown key '{key}'; allowed keys here: {allowed}"
ERR_EMPTY = "'{key}' must not be empty"
ERR_NOT_FINITE = "expected a finite number, got {got!r}"
ERR_WEIGHT_MIXED = (
    "give a weight to every criterion or to none (equal weights); '{id}' has none while others do"
)
ERR_DUPLICATE_BAND = "band name '{name}' is used twice"
ERR_NOT_UTF8 = "the file is not UTF-8 text"
ERR_CANNOT_READ = "cannot read the file ({reason})"


@dataclass(frozen=True)
class Scale:
    """The integer scale reviewers score on.

    Parameters
    ----------
    min, max : int
        The ends of the scale (inclusive).
    higher_is_better : bool
        ``False`` for grades such as the SNSF's 1 = best or AIBS's 1–40 = best…worst.
    """

    min: int
    max: int
    higher_is_better: bool = True

    @property
    def points(self) -> tuple[int, ...]:
        """Every point of the scale, from ``min`` to ``max``."""
        return tuple(range(self.min, self.max + 1))

    @property
    def best(self) -> int:
        """The best end of the scale."""
        return self.max if self.higher_is_better else self.min

    @property
    def worst(self) -> int:
        """The worst end of the scale."""
        return self.min if self.higher_is_better else self.max

    def contains(self, values: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Whether each value is a point of the scale (a whole number within it).

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
        """
        arr = np.asarray(values, dtype=float)
        with np.errstate(invalid="ignore"):
            ok: npt.NDArray[np.bool_] = (
                (arr >= self.min) & (arr <= self.max) & (np.floor(arr) == arr)
            )
        return ok


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
