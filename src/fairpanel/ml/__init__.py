"""ML ranking under scrutiny: a transparent model of past decisions and its trust checks.

The checks turn the cautionary tales into findings a committee can read: which features
drive the ranking, which stand in for a group attribute, whether the model repeats past
bias, whether it "cheated" (too good, one dominant feature, a column recorded after the
decision) and whether it is overfit or overspecialized to its training source.
:class:`MLStrategy` ranks a new cycle by such a model, behind the same interface as the
rubric ranking and the lotteries of :mod:`fairpanel.strategies`.
"""

from fairpanel.ml._bias import Disparity, selection_disparity
from fairpanel.ml._checks import run_checks
from fairpanel.ml._features import canonical_checksum
from fairpanel.ml._findings import CheckReport, Finding
from fairpanel.ml._history import HISTORY_OUTCOMES, generate_history
from fairpanel.ml._model import SelectionModel, load_model
from fairpanel.ml._shift import error_path
from fairpanel.ml._strategy import MITIGATIONS, MLStrategy

__all__ = [
    "HISTORY_OUTCOMES",
    "MITIGATIONS",
    "CheckReport",
    "Disparity",
    "Finding",
    "MLStrategy",
    "SelectionModel",
    "canonical_checksum",
    "error_path",
    "generate_history",
    "load_model",
    "run_checks",
    "selection_disparity",
]
