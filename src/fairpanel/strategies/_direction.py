"""Which way a score table's ``calibrated_score`` runs: higher or lower is better."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import SCORE_DIRECTION, score_sign

if TYPE_CHECKING:
    # Annotations only: the rubric package (YAML, templates) loads when a rubric is read.
    from fairpanel.rubric import Rubric

__all__ = ["ERR_DIRECTION_CONFLICT", "score_direction"]

ERR_DIRECTION_CONFLICT = (
    "the score table says higher_is_better={table} but the rubric {rubric!r} says "
    "higher_is_better={expected}"
)
HINT_DIRECTION = "score the reviews with this rubric, or give the rubric they were scored with"


def score_direction(scores: pd.DataFrame, rubric: Rubric | None = None) -> float:
    """Return +1 if higher ``calibrated_score`` is better, -1 if lower is.

    Scores stay on the rubric's own scale (an AIBS rating of 1 is the best of 1-40), so
    every rule that orders or thresholds by ``calibrated_score`` multiplies it by this
    sign. The score table's ``higher_is_better`` column decides; without it, the
    rubric's scale; without either, higher is better. A table and a rubric that
    disagree are refused: the scores were made with another rubric.

    Examples
    --------
    >>> import pandas as pd
    >>> score_direction(pd.DataFrame({"calibrated_score": [1.0], "higher_is_better": [False]}))
    -1.0
    """
    try:
        sign = score_sign(scores)
    except ValueError as exc:
        raise FairpanelInputError(str(exc), column=SCORE_DIRECTION) from None
    if rubric is None:
        return sign
    expected = 1.0 if rubric.scale.higher_is_better else -1.0
    if SCORE_DIRECTION not in scores.columns or scores.empty:
        return expected
    if sign != expected:
        raise FairpanelInputError(
            ERR_DIRECTION_CONFLICT.format(
                table=sign > 0, rubric=rubric.name, expected=rubric.scale.higher_is_better
            ),
            column=SCORE_DIRECTION,
            hint=HINT_DIRECTION,
        )
    return sign
