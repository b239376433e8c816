"""Rubrics as data: criteria, weights, described levels and holistic bands."""

from fairpanel.rubric._card import card_model, render_card
from fairpanel.rubric._rubric import Band, Criterion, Level, Rubric, Scale, load_rubric

__all__ = [
    "Band",
    "Criterion",
    "Level",
    "Rubric",
    "Scale",
    "card_model",
    "load_rubric",
    "render_card",
]
