"""Rubrics as data: criteria with weights and described levels, and holistic bands.

A rubric is published with the call, so applicants know in advance what reviewers look
for (Arter & McTighe 2001). Reviewers score each criterion on the rubric's integer scale;
a review's *total* is the weighted mean of its criterion scores, so it stays on the same
scale and the holistic bands can be stated on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import yaml

from fairpanel._errors import FairpanelInputError

__all__ = ["Band", "Criterion", "Level", "Rubric", "Scale", "load_rubric"]

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
        """Name the holistic band of each total.

        Parameters
        ----------
        totals : array-like
            Totals on the rubric's scale (e.g. from :meth:`totals`, or calibrated scores).

        Returns
        -------
        ndarray of object
            The band name of each total; ``None`` where the total is NaN. The last band
            reaches the worst end of the scale, so it also takes a calibrated total that
            lies a little beyond that end.

        Examples
        --------
        >>> r = Rubric.from_dict({
        ...     "name": "demo", "scale": {"min": 1, "max": 3},
        ...     "criteria": [{"id": "q", "levels": {1: "none", 2: "some", 3: "all"}}],
        ...     "bands": [{"name": "top", "threshold": 2.5}, {"name": "rest", "threshold": 1}],
        ... })
        >>> r.band_of([3.0, 2.5, 2.4, float("nan")]).tolist()
        ['top', 'top', 'rest', None]
        """
        arr = np.asarray(totals, dtype=float)
        out = np.full(arr.shape, None, dtype=object)
        out[~np.isnan(arr)] = self.bands[-1].name
        # Walk from the worst band to the best so the best qualifying band wins.
        for band in reversed(self.bands[:-1]):
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
        from fairpanel.rubric._parse import parse_rubric

        return parse_rubric(data, source)

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
    r"""Load and validate a rubric from a YAML file.

    The file is read with PyYAML's safe loader (plain data only: no Python objects, no
    custom tags), which in addition refuses a key given twice in the same mapping, since
    YAML would otherwise keep the second one silently.

    Parameters
    ----------
    path : str or Path
        The YAML file (UTF-8, with or without a byte-order mark).

    Returns
    -------
    Rubric

    Raises
    ------
    FairpanelInputError
        If the file is not UTF-8, not YAML, or not a valid rubric; the message names the
        file and the key to fix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "vote.yaml"
    >>> _ = path.write_text(
    ...     "name: Panel vote\n"
    ...     "scale: {min: 1, max: 3, higher_is_better: false}\n"
    ...     "criteria:\n"
    ...     "  - id: overall\n"
    ...     "    levels: {1: fund, 2: fund if money allows, 3: do not fund}\n"
    ...     "bands:\n"
    ...     "  - {name: fund, threshold: 1.5}\n"
    ...     "  - {name: reject, threshold: 3}\n",
    ...     encoding="utf-8")
    >>> rubric = load_rubric(path)
    >>> rubric.scale.best, rubric.band_of([1.2, 2.0]).tolist()
    (1, ['fund', 'reject'])
    """
    from fairpanel.rubric._parse import PlainDataLoader, parse_rubric, yaml_message

    path = Path(path)
    try:
        # utf-8-sig: spreadsheet and Windows editors often prepend a byte-order mark.
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FairpanelInputError(
            ERR_NOT_UTF8, file=path, hint="save the rubric as UTF-8"
        ) from None
    except OSError as exc:
        raise FairpanelInputError(ERR_CANNOT_READ.format(reason=exc.strerror), file=path) from None
    try:
        data = yaml.load(text, Loader=PlainDataLoader)  # a SafeLoader: plain data only
    except yaml.YAMLError as exc:
        raise FairpanelInputError(yaml_message(exc), file=path) from None
    try:
        return parse_rubric(data, str(path))
    except FairpanelInputError as exc:
        raise exc.with_file(path) from None
