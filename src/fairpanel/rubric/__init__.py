"""Rubrics as data: criteria, weights, described levels and holistic bands."""

from fairpanel.rubric._card import card_model, render_card
from fairpanel.rubric._library import BUILTIN_RUBRICS, builtin_rubric, builtin_rubric_path
from fairpanel.rubric._rubric import Band, Criterion, Level, Rubric, Scale, load_rubric
from fairpanel.rubric._scale import ScaleChoice, choose_scale, parse_grades

__all__ = [
    "BUILTIN_RUBRICS",
    "Band",
    "Criterion",
    "Level",
    "Rubric",
    "Scale",
    "ScaleChoice",
    "builtin_rubric",
    "builtin_rubric_path",
    "card_model",
    "choose_scale",
    "load_rubric",
    "parse_grades",
    "render_card",
]
