"""One rule for the scale a reviews table is scored on: a rubric's, or one given by options.

The CLI's ``score`` and ``validate`` and a notebook all reach the same answer here: a
rubric sets the scale, and options that describe it again are refused rather than
silently overridden; without a rubric, ``minimum`` and ``maximum`` come together.
"""

from __future__ import annotations

from dataclasses import dataclass

from fairpanel._errors import FairpanelInputError
from fairpanel.rubric._parse import check_scale_length
from fairpanel.rubric._rubric import Rubric

__all__ = ["ERR_RUBRIC_SCALE", "ERR_SCALE_PAIR", "ScaleChoice", "choose_scale"]

ERR_SCALE_PAIR = "give both --scale-min and --scale-max, or neither"
ERR_RUBRIC_SCALE = (
    "{option} describes the scale without a rubric; the rubric {rubric} sets it ({scale})"
)


@dataclass(frozen=True)
class ScaleChoice:
    """The scale a table is checked and scored on.

    Attributes
    ----------
    check : Rubric or None
        What the reviews loader checks scores against: the rubric, or a one-criterion
        rubric on the given scale; None when neither is known (the scorer then takes
        the data's range).
    scale : (int, int) or None
        The scale's ends when they were given without a rubric.
    """

    check: Rubric | None
    scale: tuple[int, int] | None


def choose_scale(
    rubric: Rubric | None,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    lower_is_better: bool = False,
    rubric_name: str | None = None,
) -> ScaleChoice:
    """Reconcile a rubric with a scale described by options.

    Parameters
    ----------
    rubric : Rubric or None
        The rubric the reviewers scored on, if any.
    minimum, maximum : int, optional
        The scale's ends, for a table without a rubric (both or neither).
    lower_is_better : bool, default False
        Whether the lowest grade is the best (SNSF, AIBS), for a table without a rubric.
    rubric_name : str, optional
        How to name the rubric in an error (its file); default its name.

    Returns
    -------
    ScaleChoice

    Raises
    ------
    FairpanelInputError
        If only one end is given, or a rubric is given together with options that
        describe its scale again (``--scale-min/--scale-max``, or ``--lower-is-better``
        against a higher-is-better rubric).

    Examples
    --------
    >>> choose_scale(None, minimum=1, maximum=6).scale
    (1, 6)
    >>> choose_scale(None, minimum=1)
    Traceback (most recent call last):
    ...
    fairpanel._errors.FairpanelInputError: give both --scale-min and --scale-max, or neither
    """
    if rubric is not None:
        s = rubric.scale
        option = None
        if minimum is not None or maximum is not None:
            option = "--scale-min/--scale-max"
        elif lower_is_better and s.higher_is_better:
            option = "--lower-is-better"
        if option is not None:
            direction = "higher" if s.higher_is_better else "lower"
            raise FairpanelInputError(
                ERR_RUBRIC_SCALE.format(
                    option=option,
                    rubric=rubric_name or rubric.name,
                    scale=f"{s.min}–{s.max}, {direction} is better",
                )
            )
        return ScaleChoice(rubric, None)
    if (minimum is None) != (maximum is None):
        raise FairpanelInputError(ERR_SCALE_PAIR)
    if minimum is None or maximum is None:
        return ScaleChoice(None, None)
    check_scale_length(minimum, maximum, field="--scale-min/--scale-max")
    check = Rubric.single_criterion(
        minimum=minimum, maximum=maximum, higher_is_better=not lower_is_better
    )
    return ScaleChoice(check, (minimum, maximum))
