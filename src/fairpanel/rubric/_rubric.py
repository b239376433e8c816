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

from fairpanel._errors import FairpanelInputError
from fairpanel._yaml import read_plain_yaml
from fairpanel.rubric._card import render_card
from fairpanel.rubric._parse import parse_rubric
from fairpanel.rubric._parts import Band, Criterion, Level, Scale

__all__ = ["Band", "Criterion", "Level", "Rubric", "Scale", "load_rubric"]


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

    def _repr_html_(self) -> str:
        # A notebook shows the rubric as applicants read it: its card, as an HTML fragment.
        return render_card(self, format="html", standalone=False)

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
        cls,
        *,
        minimum: int,
        maximum: int,
        higher_is_better: bool = True,
        name: str = "overall",
        step: float | None = 1.0,
        grades: tuple[tuple[str, float], ...] = (),
    ) -> Rubric:
        """Build a one-criterion rubric for plain panel votes (one overall grade).

        Every point of the scale is a level described as ``"grade N"``; one band,
        ``"scored"``, takes every total.

        Parameters
        ----------
        minimum, maximum : int
            The ends of the integer scale, inclusive; whole numbers with
            ``minimum < maximum``. They are not checked here (callers pass ends
            already read, e.g. by :func:`fairpanel.rubric.choose_scale`).
        higher_is_better : bool, default True
            The scale's direction: ``False`` for grades where the lowest is best.
        name : str, default "overall"
            The id of the one criterion (the ``criterion`` a reviews table may name).
            The rubric itself is always called ``"Overall grade"``.
        step : float or None, default 1.0
            The finest score (0.5 for half points; None for a continuous scale).
        grades : tuple of (str, float) pairs, default ()
            Names reviewers write instead of numbers (already checked against the
            scale, e.g. by :func:`fairpanel.rubric.choose_scale`).

        Returns
        -------
        Rubric
        """
        scale = Scale(minimum, maximum, higher_is_better, step, grades)
        named = {value: grade for grade, value in grades}
        levels = tuple(
            Level(v, f"grade {named[v]} ({v})" if v in named else f"grade {v}", named.get(v, ""))
            for v in scale.points
        )
        crit = Criterion(name, "Overall grade", 1.0, "The reviewer's overall grade.", levels)
        band = Band("scored", float(scale.worst), "Every graded submission.")
        return cls(name="Overall grade", scale=scale, criteria=(crit,), bands=(band,))

    @classmethod
    def from_dict(cls, data: Any, *, source: str | None = None) -> Rubric:
        """Build and validate a rubric from the mapping its YAML file holds.

        Parameters
        ----------
        data : mapping
            The rubric as plain data, as :func:`load_rubric` reads it from YAML: keys
            ``name``, ``scale`` (``min``, ``max``, optional ``higher_is_better``),
            ``criteria`` (each with ``id`` and ``levels``; optional ``title``,
            ``weight``, ``asks``), ``bands`` (``name``, ``threshold``, optional
            ``descriptor``), and optional ``purpose`` and ``notes``. Typed as
            ``Any`` because it comes from YAML or JSON: anything else is refused.
        source : str, optional
            Where the data came from (a file path, a library name), kept as the
            rubric's ``source`` for reports. Errors do not name it; a caller that
            read a file adds it (:meth:`FairpanelInputError.with_file`).

        Returns
        -------
        Rubric

        Raises
        ------
        FairpanelInputError
            For data that is not a valid rubric, with ``field`` set to the key path to
            fix (e.g. ``criteria[2].weight``).
        """
        return cls(**parse_rubric(data, source))

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
    path = Path(path)
    data = read_plain_yaml(path, what="a rubric")
    try:
        return Rubric(**parse_rubric(data, str(path)))
    except FairpanelInputError as exc:
        raise exc.with_file(path) from None
