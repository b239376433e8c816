"""Rubrics as data: criteria with weights and described levels, and holistic bands.

A rubric is published with the call, so applicants know in advance what reviewers look
for (Arter & McTighe 2001). Reviewers score each criterion on the rubric's integer scale;
a review's *total* is the weighted mean of its criterion scores, so it stays on the same
scale and the holistic bands can be stated on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import yaml

from fairpanel._errors import FairpanelInputError

__all__ = ["Band", "Criterion", "Level", "Rubric", "Scale", "load_rubric"]

ERR_NOT_MAPPING = "the rubric must be a YAML mapping with keys name, scale, criteria and bands"
ERR_MISSING_KEY = "required key '{key}' is missing"
ERR_BAD_TYPE = "expected {expected}, got {got!r}"
ERR_SCALE_ORDER = "scale min ({min}) must be below max ({max})"
ERR_SCALE_INTEGER = "scale min and max must be whole numbers, got {min} and {max}"
ERR_NO_CRITERIA = "a rubric needs at least one criterion"
ERR_DUPLICATE_CRITERION = "criterion id '{id}' is used twice"
ERR_WEIGHT = "weight must be a positive number, got {weight!r}"
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
ERR_NOT_UTF8 = "the file is not UTF-8 text"


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
        """Whether each value is a point of the scale (a whole number within it)."""
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
        """Return the level with this value."""
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


@dataclass(frozen=True)
class Rubric:
    """A holistic rubric: criteria on one scale, weights, and bands on the weighted total.

    Build one with :func:`load_rubric` (from YAML), :meth:`from_dict`, or
    :meth:`single_criterion` for plain panel votes with one overall grade.

    Examples
    --------
    >>> r = Rubric.single_criterion(minimum=1, maximum=6, higher_is_better=True)
    >>> r.criterion_ids
    ('overall',)
    >>> r.band_of([5.5, 2.0]).tolist()
    ['scored', 'scored']
    """

    name: str
    scale: Scale
    criteria: tuple[Criterion, ...]
    bands: tuple[Band, ...]
    purpose: str = ""
    notes: str = ""
    source: str | None = field(default=None, compare=False)

    # ------------------------------------------------------------------ derived
    @property
    def criterion_ids(self) -> tuple[str, ...]:
        """The criterion ids in rubric order."""
        return tuple(c.id for c in self.criteria)

    @property
    def weights(self) -> pd.Series:
        """Weights normalised to sum to one, indexed by criterion id."""
        raw = pd.Series({c.id: c.weight for c in self.criteria}, dtype=float)
        return raw / raw.sum()

    def totals(self, wide: pd.DataFrame) -> pd.Series:
        """Weighted mean of criterion scores, one per row of ``wide``.

        Parameters
        ----------
        wide : DataFrame
            One column per criterion id (a subset is allowed); missing scores (NaN) are
            left out and the remaining weights renormalised, so a total is always a
            weighted mean on the rubric's scale.

        Returns
        -------
        Series
            The total for each row; NaN where a row has no criterion score at all.
        """
        cols = [c for c in self.criterion_ids if c in wide.columns]
        w = self.weights[cols].to_numpy()
        values = wide[cols].to_numpy(dtype=float)
        present = ~np.isnan(values)
        num = np.where(present, values, 0.0) @ w
        den = present.astype(float) @ w
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
        return pd.Series(out, index=wide.index, name="total")

    def band_of(self, totals: npt.ArrayLike) -> npt.NDArray[np.object_]:
        """Name the holistic band of each total (best band first in the rubric)."""
        arr = np.asarray(totals, dtype=float)
        out = np.full(arr.shape, None, dtype=object)
        # Walk from the worst band to the best so the best qualifying band wins.
        for band in reversed(self.bands):
            ok = arr >= band.threshold if self.scale.higher_is_better else arr <= band.threshold
            out[ok] = band.name
        return out

    # ------------------------------------------------------------- construction
    @classmethod
    def single_criterion(
        cls, *, minimum: int, maximum: int, higher_is_better: bool = True, name: str = "overall"
    ) -> Rubric:
        """Build a one-criterion rubric for plain panel votes (one overall grade)."""
        scale = Scale(minimum, maximum, higher_is_better)
        levels = tuple(Level(v, f"grade {v}") for v in scale.points)
        crit = Criterion(name, "Overall grade", 1.0, "The reviewer's overall grade.", levels)
        band = Band("scored", float(scale.worst), "Every graded submission.")
        return cls(name="Overall grade", scale=scale, criteria=(crit,), bands=(band,))

    @classmethod
    def from_dict(cls, data: Any, *, source: str | None = None) -> Rubric:
        """Build and validate a rubric from the mapping its YAML file holds."""
        return _parse(data, source)

    def to_dict(self) -> dict[str, Any]:
        """Return the rubric as plain data (the YAML schema), for JSON reports."""
        return {
            "name": self.name,
            "purpose": self.purpose,
            "scale": {
                "min": self.scale.min,
                "max": self.scale.max,
                "higher_is_better": self.scale.higher_is_better,
            },
            "criteria": [
                {
                    "id": c.id,
                    "title": c.title,
                    "weight": c.weight,
                    "asks": c.asks,
                    "levels": {
                        lvl.value: (
                            {"label": lvl.label, "descriptor": lvl.descriptor}
                            if lvl.label
                            else lvl.descriptor
                        )
                        for lvl in c.levels
                    },
                }
                for c in self.criteria
            ],
            "bands": [
                {"name": b.name, "threshold": b.threshold, "descriptor": b.descriptor}
                for b in self.bands
            ],
            "notes": self.notes,
        }


def load_rubric(path: str | Path) -> Rubric:
    """Load and validate a rubric from a YAML file (``yaml.safe_load`` only).

    Parameters
    ----------
    path : str or Path
        The YAML file.

    Returns
    -------
    Rubric

    Raises
    ------
    FairpanelInputError
        If the file is not UTF-8, not YAML, or not a valid rubric; the message names the
        file and the key to fix.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FairpanelInputError(
            ERR_NOT_UTF8, file=path, hint="save the rubric as UTF-8"
        ) from None
    except OSError as exc:
        raise FairpanelInputError(f"cannot read the file ({exc.strerror})", file=path) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "unreadable"
        if mark is not None:
            problem = f"{problem} at line {mark.line + 1}"
        raise FairpanelInputError(ERR_YAML.format(problem=problem), file=path) from None
    try:
        return _parse(data, str(path))
    except FairpanelInputError as exc:
        raise exc.with_file(path) from None


# ---------------------------------------------------------------------- parsing
def _fail(message: str, where: str | None, hint: str | None = None) -> FairpanelInputError:
    return FairpanelInputError(message, field=where, hint=hint)


def _get(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data or data[key] is None:
        raise _fail(ERR_MISSING_KEY.format(key=key), where or None)
    return data[key]


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise _fail(ERR_BAD_TYPE.format(expected="text", got=value), where)
    return " ".join(str(value).split()) if "\n" not in str(value) else str(value).strip()


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(ERR_BAD_TYPE.format(expected="a number", got=value), where)
    return float(value)


def _parse(data: Any, source: str | None) -> Rubric:
    if not isinstance(data, Mapping):
        raise _fail(ERR_NOT_MAPPING, None)
    name = _text(_get(data, "name", ""), "name")
    scale = _parse_scale(_get(data, "scale", ""))
    raw_criteria = _get(data, "criteria", "")
    if not isinstance(raw_criteria, Sequence) or isinstance(raw_criteria, str):
        raise _fail(ERR_BAD_TYPE.format(expected="a list", got=raw_criteria), "criteria")
    if not raw_criteria:
        raise _fail(ERR_NO_CRITERIA, "criteria")
    criteria = tuple(
        _parse_criterion(c, scale, f"criteria[{i + 1}]") for i, c in enumerate(raw_criteria)
    )
    seen: set[str] = set()
    for i, crit in enumerate(criteria):
        if crit.id in seen:
            raise _fail(ERR_DUPLICATE_CRITERION.format(id=crit.id), f"criteria[{i + 1}].id")
        seen.add(crit.id)
    bands = _parse_bands(_get(data, "bands", ""), scale)
    purpose = _text(data.get("purpose") or "", "purpose")
    notes = _text(data.get("notes") or "", "notes")
    return Rubric(name, scale, criteria, bands, purpose=purpose, notes=notes, source=source)


def _parse_scale(raw: Any) -> Scale:
    if not isinstance(raw, Mapping):
        raise _fail(ERR_BAD_TYPE.format(expected="a mapping", got=raw), "scale")
    lo = _number(_get(raw, "min", "scale"), "scale.min")
    hi = _number(_get(raw, "max", "scale"), "scale.max")
    if lo != int(lo) or hi != int(hi):
        raise _fail(ERR_SCALE_INTEGER.format(min=lo, max=hi), "scale")
    if lo >= hi:
        raise _fail(ERR_SCALE_ORDER.format(min=int(lo), max=int(hi)), "scale")
    better = raw.get("higher_is_better", True)
    if not isinstance(better, bool):
        raise _fail(
            ERR_BAD_TYPE.format(expected="true or false", got=better), "scale.higher_is_better"
        )
    return Scale(int(lo), int(hi), better)


def _parse_criterion(raw: Any, scale: Scale, where: str) -> Criterion:
    if not isinstance(raw, Mapping):
        raise _fail(ERR_BAD_TYPE.format(expected="a mapping", got=raw), where)
    cid = _text(_get(raw, "id", where), f"{where}.id")
    title = _text(raw.get("title") or cid, f"{where}.title")
    weight = raw.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight > 0:
        raise _fail(ERR_WEIGHT.format(weight=weight), f"{where}.weight")
    asks = _text(raw.get("asks") or "", f"{where}.asks")
    raw_levels = _get(raw, "levels", where)
    if not isinstance(raw_levels, Mapping):
        raise _fail(
            ERR_BAD_TYPE.format(expected="a mapping of level → descriptor", got=raw_levels),
            f"{where}.levels",
        )
    levels = []
    for key, value in raw_levels.items():
        lw = f"{where}.levels.{key}"
        if isinstance(key, bool) or not isinstance(key, int):
            raise _fail(ERR_BAD_TYPE.format(expected="a whole-number level", got=key), lw)
        if not scale.min <= key <= scale.max:
            raise _fail(ERR_LEVEL_OFF_SCALE.format(level=key, min=scale.min, max=scale.max), lw)
        label = ""
        if isinstance(value, Mapping):
            label = _text(value.get("label") or "", f"{lw}.label")
            value = value.get("descriptor")
        descriptor = _text(value if value is not None else "", lw)
        if not descriptor:
            raise _fail(ERR_EMPTY_DESCRIPTOR.format(level=key), lw)
        levels.append(Level(key, descriptor, label))
    missing = sorted(set(scale.points) - {lvl.value for lvl in levels})
    if missing:
        raise _fail(
            ERR_LEVELS_COVER.format(
                min=scale.min, max=scale.max, missing=", ".join(map(str, missing))
            ),
            f"{where}.levels",
        )
    levels.sort(key=lambda lvl: lvl.value, reverse=scale.higher_is_better)
    return Criterion(cid, title, float(weight), asks, tuple(levels))


def _parse_bands(raw: Any, scale: Scale) -> tuple[Band, ...]:
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise _fail(ERR_BAD_TYPE.format(expected="a list", got=raw), "bands")
    if not raw:
        raise _fail(ERR_NO_BANDS, "bands")
    bands: list[Band] = []
    for i, item in enumerate(raw):
        where = f"bands[{i + 1}]"
        if not isinstance(item, Mapping):
            raise _fail(ERR_BAD_TYPE.format(expected="a mapping", got=item), where)
        name = _text(_get(item, "name", where), f"{where}.name")
        threshold = _number(_get(item, "threshold", where), f"{where}.threshold")
        if not scale.min <= threshold <= scale.max:
            raise _fail(
                ERR_BAND_OFF_SCALE.format(
                    name=name, threshold=threshold, min=scale.min, max=scale.max
                ),
                f"{where}.threshold",
            )
        if bands:
            prev = bands[-1].threshold
            ordered = threshold < prev if scale.higher_is_better else threshold > prev
            if not ordered:
                direction = "decreasing" if scale.higher_is_better else "increasing"
                raise _fail(
                    ERR_BAND_ORDER.format(direction=direction, name=name, threshold=threshold),
                    f"{where}.threshold",
                )
        descriptor = _text(item.get("descriptor") or "", f"{where}.descriptor")
        bands.append(Band(name, threshold, descriptor))
    if bands[-1].threshold != scale.worst:
        raise _fail(
            ERR_BAND_COVER.format(name=bands[-1].name, end=scale.worst),
            f"bands[{len(bands)}].threshold",
        )
    return tuple(bands)
