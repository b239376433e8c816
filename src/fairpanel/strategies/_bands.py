"""The holistic bands a lottery draws within: from the score table or the rubric."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel.strategies._prepare import Prepared

if TYPE_CHECKING:
    from fairpanel.rubric import Rubric

__all__ = [
    "ERR_NO_BAND",
    "ERR_UNKNOWN_BAND",
    "ERR_UNKNOWN_WEIGHT_BAND",
    "HINT_WEIGHT_BANDS",
    "band_order",
    "bands_of",
    "fold",
    "match_band",
]

ERR_UNKNOWN_BAND = "band {band!r} is not one of the bands {bands}"
ERR_UNKNOWN_WEIGHT_BAND = "weights name the band {band!r}, which is not one of the bands {bands}"
HINT_WEIGHT_BANDS = (
    "without a rubric the bands are those in the score table; give the rubric to weight a "
    "band that no submission is in"
)
ERR_NO_BAND = (
    "the score table has no 'band' column; give the rubric (rubric=, or --rubric on the "
    "command line) so that bands are computed from calibrated_score"
)


def bands_of(prepared: Prepared, rubric: Rubric | None) -> npt.NDArray[np.object_]:
    """Return each submission's band: the score table's, else the rubric's of its score."""
    frame = prepared.frame
    if "band" in frame.columns:
        return frame["band"].astype(object).where(frame["band"].notna(), None).to_numpy()
    if rubric is None:
        raise FairpanelInputError(ERR_NO_BAND, column="band")
    return rubric.band_of(frame["calibrated_score"].to_numpy(dtype=float))


def band_order(
    bands: npt.NDArray[np.object_], merit: npt.NDArray[np.float64], rubric: Rubric | None
) -> list[str]:
    """Band names best first: the rubric's order, else by the best score in each band.

    ``merit`` is the calibrated score oriented so that higher is better.
    """
    if rubric is not None:
        return [b.name for b in rubric.bands]
    present = pd.Series(merit).groupby(pd.Series(bands, dtype=object)).max()
    return [str(b) for b in present.sort_values(ascending=False).index]


def fold(name: str) -> str:
    """Return a band name as compared: case and repeated spaces ignored."""
    return " ".join(name.split()).casefold()


def match_band(
    name: str,
    known: list[str],
    *,
    message: str = ERR_UNKNOWN_BAND,
    field: str = "quality_bar",
    hint: str | None = None,
) -> str:
    """Return the band of ``known`` that ``name`` names, ignoring case and extra spaces.

    Rubrics write "Very good", committees type "very good": both name one band. An
    exact match wins (a rubric may, oddly, have bands differing only in case); a name
    matching no band, or several only up to case, is refused with the list of bands.

    Examples
    --------
    >>> match_band("very  GOOD", ["Excellent", "Very good", "Good"])
    'Very good'
    """
    if name in known:
        return name
    hits = [band for band in known if fold(band) == fold(name)]
    if len(hits) != 1:
        raise FairpanelInputError(
            message.format(band=name, bands=", ".join(map(repr, known))), field=field, hint=hint
        )
    return hits[0]
