"""One rule for the scale a reviews table is scored on: a rubric's, or one given by options.

The CLI's ``score`` and ``validate`` and a notebook all reach the same answer here: a
rubric sets the scale, and options that describe it again are refused rather than
silently overridden; without a rubric, ``minimum`` and ``maximum`` come together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fairpanel._errors import FairpanelInputError
from fairpanel.rubric._parse import check_scale_length
from fairpanel.rubric._parts import Scale, read_grades, read_step
from fairpanel.rubric._rubric import Rubric

__all__ = [
    "ERR_RUBRIC_SCALE",
    "ERR_SCALE_PAIR",
    "ScaleChoice",
    "choose_scale",
    "parse_grades",
]

ERR_SCALE_PAIR = "give both --scale-min and --scale-max, or neither"
ERR_STEP_ALONE = (
    "--scale-step describes a scale: give --scale-min and --scale-max (or --grades) too"
)
ERR_GRADES_SYNTAX = (
    "--grades takes name=point pairs separated by commas (A=6,AB=5,B=4), got {got!r}"
)
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
    scale : Scale or None
        The scale when it was given without a rubric (its ends, direction, step and
        grades).
    """

    check: Rubric | None
    scale: Scale | None


def parse_grades(text: str) -> tuple[tuple[str, float], ...]:
    """Read the ``--grades`` option: ``"A=6,AB=5,B=4"``.

    Parameters
    ----------
    text : str
        Comma-separated ``name=point`` pairs, in the order to show them.

    Returns
    -------
    tuple of (str, float)
        The pairs, not yet checked against a scale (:func:`choose_scale` does that).

    Raises
    ------
    FairpanelInputError
        A pair without ``=`` or with a point that is not a number.

    Examples
    --------
    >>> parse_grades("A=6, AB=5,B=4")
    (('A', 6.0), ('AB', 5.0), ('B', 4.0))
    """
    pairs: list[tuple[str, float]] = []
    for part in text.split(","):
        name, sep, point = part.partition("=")
        try:
            value = float(point)
        except ValueError:
            value = math.nan
        if not sep or not name.strip() or not math.isfinite(value):
            raise FairpanelInputError(ERR_GRADES_SYNTAX.format(got=text))
        pairs.append((name.strip(), value))
    return tuple(pairs)


def choose_scale(
    rubric: Rubric | None,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    lower_is_better: bool = False,
    rubric_name: str | None = None,
    step: str | float | None = None,
    grades: tuple[tuple[str, float], ...] = (),
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
    step : str or float, optional
        The finest score without a rubric (``0.5``, ``"continuous"``); default whole
        points.
    grades : tuple of (str, float) pairs, optional
        Named grades without a rubric (:func:`parse_grades`); alone, they also give the
        scale's ends (the lowest and highest point named, to whole points).

    Returns
    -------
    ScaleChoice

    Raises
    ------
    FairpanelInputError
        If only one end is given, a step without a scale, a grade off the scale, or a
        rubric given together with options that describe its scale again
        (``--scale-min/--scale-max``, ``--scale-step``, ``--grades``, or
        ``--lower-is-better`` against a higher-is-better rubric).

    Examples
    --------
    >>> choose_scale(None, minimum=1, maximum=6).scale
    Scale(min=1, max=6, higher_is_better=True, step=1.0, grades=(), inferred=False)
    >>> choose_scale(None, grades=(("A", 6), ("B", 4), ("D", 1))).scale.describe()
    '1, 2, 3, 4, 5, 6, or a grade: A = 6, B = 4, D = 1'
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
        elif step is not None:
            option = "--scale-step"
        elif grades:
            option = "--grades"
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
        if not grades:
            if step is not None:
                raise FairpanelInputError(ERR_STEP_ALONE)
            return ScaleChoice(None, None)
        # Letter grades alone name the scale: its ends are the lowest and highest grade.
        points = [value for _, value in grades]
        minimum, maximum = math.floor(min(points)), math.ceil(max(points))
        if minimum == maximum:
            maximum += 1
    check_scale_length(minimum, maximum, field="--scale-min/--scale-max")
    scale = Scale(
        minimum,
        maximum,
        not lower_is_better,
        step=1.0 if step is None else read_step(step),
    )
    check = Rubric.single_criterion(
        minimum=minimum,
        maximum=maximum,
        higher_is_better=not lower_is_better,
        step=scale.step,
        grades=read_grades(grades, scale),
    )
    return ScaleChoice(check, check.scale)
