"""Reading a rubric's YAML and validating it, with one clear error per problem.

Every check names the key path to fix (``criteria[2].weight``), because the person fixing
it is a committee secretary editing a text file, not a programmer reading a traceback.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from fairpanel._errors import FairpanelInputError
from fairpanel._limits import MAX_SCALE_POINTS
from fairpanel.rubric._parts import (
    ERR_BAD_TYPE,
    ERR_BAND_COVER,
    ERR_BAND_OFF_SCALE,
    ERR_BAND_ORDER,
    ERR_DUPLICATE_BAND,
    ERR_DUPLICATE_CRITERION,
    ERR_EMPTY,
    ERR_EMPTY_DESCRIPTOR,
    ERR_EMPTY_FILE,
    ERR_LEVEL_OFF_SCALE,
    ERR_LEVELS_COVER,
    ERR_MISSING_KEY,
    ERR_NO_BANDS,
    ERR_NO_CRITERIA,
    ERR_NOT_FINITE,
    ERR_NOT_MAPPING,
    ERR_SCALE_INTEGER,
    ERR_SCALE_ORDER,
    ERR_UNKNOWN_KEY,
    ERR_WEIGHT,
    ERR_WEIGHT_MIXED,
    Band,
    Criterion,
    Level,
    Scale,
    read_grades,
    read_step,
)

HINT_QUOTE = (
    "YAML reads an unquoted yes, no, on, off, true or false as a switch; put the text in quotes"
)

__all__ = ["check_scale_length", "parse_rubric"]

ERR_SCALE_LONG = (
    "the scale {min}–{max} has {points:,} points, more than a rubric can describe "
    "({limit:,}); check min and max"
)


# ---------------------------------------------------------------------- parsing
_TOP_KEYS = ("name", "purpose", "scale", "criteria", "bands", "notes")
_SCALE_KEYS = ("min", "max", "higher_is_better", "step", "grades")
_CRITERION_KEYS = ("id", "title", "weight", "asks", "levels")
_LEVEL_KEYS = ("label", "descriptor")
_BAND_KEYS = ("name", "threshold", "descriptor")


def _fail(message: str, where: str | None, hint: str | None = None) -> FairpanelInputError:
    return FairpanelInputError(message, field=where, hint=hint)


def _join(where: str, key: object) -> str:
    return f"{where}.{key}" if where else str(key)


def _check_keys(data: Mapping[Any, Any], allowed: tuple[str, ...], where: str) -> None:
    # A misspelt key ("wieght") would otherwise be ignored and its default used silently.
    for key in data:
        if key not in allowed:
            raise _fail(
                ERR_UNKNOWN_KEY.format(key=key, allowed=", ".join(allowed)), _join(where, key)
            )


def _get(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data or data[key] is None:
        raise _fail(ERR_MISSING_KEY.format(key=key), where or None)
    return data[key]


def _text(value: Any, where: str) -> str:
    if isinstance(value, bool):
        # YAML 1.1 reads an unquoted yes/no/on/off as true/false: a descriptor "No" is lost.
        raise _fail(ERR_BAD_TYPE.format(expected="text", got=value), where, HINT_QUOTE)
    if not isinstance(value, str | int | float):
        raise _fail(ERR_BAD_TYPE.format(expected="text", got=value), where)
    return " ".join(str(value).split()) if "\n" not in str(value) else str(value).strip()


def _required_text(data: Mapping[str, Any], key: str, where: str) -> str:
    text = _text(_get(data, key, where), _join(where, key))
    if not text:
        raise _fail(ERR_EMPTY.format(key=key), _join(where, key))
    return text


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(ERR_BAD_TYPE.format(expected="a number", got=value), where)
    if not math.isfinite(value):
        raise _fail(ERR_NOT_FINITE.format(got=value), where)
    return float(value)


def _mapping(value: Any, where: str, expected: str = "a mapping") -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise _fail(ERR_BAD_TYPE.format(expected=expected, got=value), where)
    return value


def _list(value: Any, where: str) -> Sequence[Any]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise _fail(ERR_BAD_TYPE.format(expected="a list", got=value), where)
    return value


def parse_rubric(data: Any, source: str | None) -> dict[str, Any]:
    """Validate the data of a rubric file; return the :class:`Rubric` constructor's arguments."""
    if data is None:
        raise _fail(ERR_EMPTY_FILE, None, "write the rubric's name, scale, criteria and bands")
    if not isinstance(data, Mapping):
        raise _fail(ERR_NOT_MAPPING, None)
    _check_keys(data, _TOP_KEYS, "")
    name = _required_text(data, "name", "")
    scale = _parse_scale(_get(data, "scale", ""))
    raw_criteria = _list(_get(data, "criteria", ""), "criteria")
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
    # Equal weights by omission are fine; a weight forgotten on one criterion is not, since
    # its default of 1 would be tiny beside weights such as 30 or 40.
    weighted = [raw.get("weight") is not None for raw in raw_criteria]
    if any(weighted) and not all(weighted):
        i = weighted.index(False)
        raise _fail(ERR_WEIGHT_MIXED.format(id=criteria[i].id), f"criteria[{i + 1}].weight")
    bands = _parse_bands(_get(data, "bands", ""), scale)
    purpose = _text(data.get("purpose") or "", "purpose")
    notes = _text(data.get("notes") or "", "notes")
    return {
        "name": name,
        "scale": scale,
        "criteria": criteria,
        "bands": bands,
        "purpose": purpose,
        "notes": notes,
        "source": source,
    }


def _parse_scale(raw: Any) -> Scale:
    raw = _mapping(raw, "scale")
    _check_keys(raw, _SCALE_KEYS, "scale")
    lo = _number(_get(raw, "min", "scale"), "scale.min")
    hi = _number(_get(raw, "max", "scale"), "scale.max")
    if lo != int(lo) or hi != int(hi):
        raise _fail(ERR_SCALE_INTEGER.format(min=lo, max=hi), "scale")
    if lo >= hi:
        raise _fail(ERR_SCALE_ORDER.format(min=int(lo), max=int(hi)), "scale")
    check_scale_length(int(lo), int(hi), field="scale")
    better = raw.get("higher_is_better", True)
    if not isinstance(better, bool):
        raise _fail(
            ERR_BAD_TYPE.format(expected="true or false", got=better), "scale.higher_is_better"
        )
    scale = Scale(int(lo), int(hi), better)
    if raw.get("step") is not None:
        try:
            step = read_step(raw["step"])
        except FairpanelInputError as exc:
            raise _fail(exc.message, "scale.step") from None
        scale = replace(scale, step=step)
    if raw.get("grades") is not None:
        named = _mapping(raw["grades"], "scale.grades", "a mapping of grade → point (A: 6)")
        try:
            grades = read_grades(named.items(), scale)
        except FairpanelInputError as exc:
            raise _fail(exc.message, "scale.grades") from None
        scale = replace(scale, grades=grades)
    return scale


def check_scale_length(minimum: int, maximum: int, *, field: str) -> None:
    """Refuse a scale with more points than a rubric can describe.

    Every point is a described level, checked and drawn one by one: a scale of a
    billion points is a typing mistake that would take gigabytes to find out.

    Parameters
    ----------
    minimum, maximum : int
        The scale's ends.
    field : str
        Where the scale was given (``scale``, ``--scale-min/--scale-max``).

    Raises
    ------
    FairpanelInputError
        Past :data:`~fairpanel._limits.MAX_SCALE_POINTS` points.
    """
    points = maximum - minimum + 1
    if points > MAX_SCALE_POINTS:
        raise _fail(
            ERR_SCALE_LONG.format(min=minimum, max=maximum, points=points, limit=MAX_SCALE_POINTS),
            field,
        )


def _parse_criterion(raw: Any, scale: Scale, where: str) -> Criterion:
    raw = _mapping(raw, where)
    _check_keys(raw, _CRITERION_KEYS, where)
    cid = _required_text(raw, "id", where)
    title = _text(raw.get("title") or cid, f"{where}.title")
    weight = raw.get("weight")
    if weight is None:
        weight = 1.0
    elif (
        isinstance(weight, bool)
        or not isinstance(weight, int | float)
        or not math.isfinite(weight)
        or weight <= 0
    ):
        raise _fail(ERR_WEIGHT.format(weight=weight), f"{where}.weight")
    asks = _text(raw.get("asks") or "", f"{where}.asks")
    raw_levels = _mapping(
        _get(raw, "levels", where), f"{where}.levels", "a mapping of level → descriptor"
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
            _check_keys(value, _LEVEL_KEYS, lw)
            label = _text(value.get("label") or "", f"{lw}.label")
            value = value.get("descriptor")
            lw = f"{lw}.descriptor"
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
    raw = _list(raw, "bands")
    if not raw:
        raise _fail(ERR_NO_BANDS, "bands")
    bands: list[Band] = []
    for i, item in enumerate(raw):
        where = f"bands[{i + 1}]"
        item = _mapping(item, where)
        _check_keys(item, _BAND_KEYS, where)
        name = _required_text(item, "name", where)
        if any(b.name == name for b in bands):
            raise _fail(ERR_DUPLICATE_BAND.format(name=name), f"{where}.name")
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
