"""fairpanel: defensible selection for review committees.

Transparent holistic rubrics, calibrated scores with honest uncertainty, rank-based,
ML and lottery selection run the same way, disparity audits safe to publish, and
simulation where true merit is known. Every step a committee runs from the command line
is a function or object here; the subpackages (``fairpanel.scoring``,
``fairpanel.audit``, …) hold the rest.

Examples
--------
>>> import fairpanel as fp
>>> rubric = fp.builtin_rubric("telescope")
>>> [c.id for c in rubric.criteria][:2]
['scientific_merit', 'technical_feasibility']
"""

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import ReviewColumns, SubmissionColumns
from fairpanel._version import __version__
from fairpanel.audit import AuditResult, audit, audit_counts
from fairpanel.io import load_reviews, load_submissions, read_table
from fairpanel.lottery import DrawCertificate, draw, inclusion_probabilities, verify_certificate
from fairpanel.ml import CheckReport, Finding, SelectionModel, generate_history, run_checks
from fairpanel.reliability import ReliabilityResult, icc, krippendorff_alpha, reliability
from fairpanel.report import ReportInputs, build_report, write_report
from fairpanel.rubric import Rubric, builtin_rubric, load_rubric, render_card
from fairpanel.scoring import ScoreResult, score
from fairpanel.simulate import (
    Scenario,
    SimulationResult,
    SweepResult,
    generate_cycle,
    load_scenario,
)
from fairpanel.strategies import (
    Allocation,
    Capacity,
    LotteryStrategy,
    MLStrategy,
    PartialLotteryStrategy,
    RankStrategy,
    Strategy,
    TieredLotteryStrategy,
)

__all__ = [
    "Allocation",
    "AuditResult",
    "Capacity",
    "CheckReport",
    "DrawCertificate",
    "FairpanelInputError",
    "Finding",
    "LotteryStrategy",
    "MLStrategy",
    "PartialLotteryStrategy",
    "RankStrategy",
    "ReliabilityResult",
    "ReportInputs",
    "ReviewColumns",
    "Rubric",
    "Scenario",
    "ScoreResult",
    "SelectionModel",
    "SimulationResult",
    "Strategy",
    "SubmissionColumns",
    "SweepResult",
    "TieredLotteryStrategy",
    "__version__",
    "audit",
    "audit_counts",
    "build_report",
    "builtin_rubric",
    "draw",
    "generate_cycle",
    "generate_history",
    "icc",
    "inclusion_probabilities",
    "krippendorff_alpha",
    "load_reviews",
    "load_rubric",
    "load_scenario",
    "load_submissions",
    "read_table",
    "reliability",
    "render_card",
    "run_checks",
    "score",
    "verify_certificate",
    "write_report",
]
