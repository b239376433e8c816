"""fairpanel: defensible selection for review committees.

Transparent holistic rubrics, calibrated scores with honest uncertainty, rank-based,
ML and lottery selection run the same way, disparity audits safe to publish, and
simulation where true merit is known. Every step a committee runs from the command line
is a function or object here; the subpackages (``fairpanel.scoring``,
``fairpanel.audit``, …) hold the rest, and are imported on first use too.

Examples
--------
>>> import fairpanel as fp
>>> rubric = fp.builtin_rubric("telescope")
>>> [c.id for c in rubric.criteria][:2]
['scientific_merit', 'technical_feasibility']
"""

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

from fairpanel._errors import FairpanelInputError
from fairpanel._version import __version__

if TYPE_CHECKING:
    # The same names as the lazy table below, for type checkers and IDEs.
    from fairpanel._schema import ReviewColumns, SubmissionColumns
    from fairpanel.audit import AuditResult, audit_counts, run_audit
    from fairpanel.io import load_reviews, load_submissions, read_table
    from fairpanel.lottery import (
        DrawCertificate,
        draw,
        inclusion_probabilities,
        verify_certificate,
    )
    from fairpanel.ml import (
        CheckReport,
        Finding,
        MLStrategy,
        SelectionModel,
        generate_history,
        run_checks,
    )
    from fairpanel.reliability import (
        ReliabilityResult,
        assess_reliability,
        icc,
        krippendorff_alpha,
    )
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
    "assess_reliability",
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
    "render_card",
    "run_audit",
    "run_checks",
    "score",
    "verify_certificate",
    "write_report",
]

# Subpackages are imported on first use of one of their names (SPEC 1): importing
# everything eagerly (statsmodels, scikit-learn, altair…) made every command, even
# ``fairpanel --version``, take seconds to start.
_LAZY: dict[str, str] = {
    # fairpanel._schema imports pandas, which the CLI's --help and --version need not.
    "ReviewColumns": "fairpanel._schema",
    "SubmissionColumns": "fairpanel._schema",
    "AuditResult": "fairpanel.audit",
    "audit_counts": "fairpanel.audit",
    "run_audit": "fairpanel.audit",
    "load_reviews": "fairpanel.io",
    "load_submissions": "fairpanel.io",
    "read_table": "fairpanel.io",
    "DrawCertificate": "fairpanel.lottery",
    "draw": "fairpanel.lottery",
    "inclusion_probabilities": "fairpanel.lottery",
    "verify_certificate": "fairpanel.lottery",
    "CheckReport": "fairpanel.ml",
    "Finding": "fairpanel.ml",
    "MLStrategy": "fairpanel.ml",
    "SelectionModel": "fairpanel.ml",
    "generate_history": "fairpanel.ml",
    "run_checks": "fairpanel.ml",
    "ReliabilityResult": "fairpanel.reliability",
    "assess_reliability": "fairpanel.reliability",
    "icc": "fairpanel.reliability",
    "krippendorff_alpha": "fairpanel.reliability",
    "ReportInputs": "fairpanel.report",
    "build_report": "fairpanel.report",
    "write_report": "fairpanel.report",
    "Rubric": "fairpanel.rubric",
    "builtin_rubric": "fairpanel.rubric",
    "load_rubric": "fairpanel.rubric",
    "render_card": "fairpanel.rubric",
    "ScoreResult": "fairpanel.scoring",
    "score": "fairpanel.scoring",
    "Scenario": "fairpanel.simulate",
    "SimulationResult": "fairpanel.simulate",
    "SweepResult": "fairpanel.simulate",
    "generate_cycle": "fairpanel.simulate",
    "load_scenario": "fairpanel.simulate",
    "Allocation": "fairpanel.strategies",
    "Capacity": "fairpanel.strategies",
    "LotteryStrategy": "fairpanel.strategies",
    "PartialLotteryStrategy": "fairpanel.strategies",
    "RankStrategy": "fairpanel.strategies",
    "Strategy": "fairpanel.strategies",
    "TieredLotteryStrategy": "fairpanel.strategies",
}


def __getattr__(name: str) -> Any:
    """Import what ``name`` names on first access, then cache it.

    A name of the lazy table is looked up in its subpackage; a public subpackage
    (``fairpanel.audit``) is imported, which also binds it here.
    """
    module_name = _LAZY.get(name)
    if module_name is not None:
        value = getattr(importlib.import_module(module_name), name)
        globals()[name] = value
        return value
    public = name.isidentifier() and not name.startswith("_")
    if public and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return list(__all__)
