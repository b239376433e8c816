"""fairpanel: defensible selection for review committees.

Transparent holistic rubrics, calibrated scores with honest uncertainty, rank-based,
ML and lottery selection run the same way, disparity audits safe to publish, and
simulation where true merit is known.
"""

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import ReviewColumns, SubmissionColumns
from fairpanel._version import __version__
from fairpanel.rubric import Rubric, load_rubric

__all__ = [
    "FairpanelInputError",
    "ReviewColumns",
    "Rubric",
    "SubmissionColumns",
    "__version__",
    "load_rubric",
]
