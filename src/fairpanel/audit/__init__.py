"""Disparity audit: group outcomes with honest uncertainty, adjusted, safe to publish.

Selection rates per group with Wilson intervals; each group against a reference group
(Newcombe difference, Katz ratio, odds ratio, adverse-impact ratio and the four-fifths
flag, Fisher's exact test); Cochran–Mantel–Haenszel and logistic-regression adjustment
with a Simpson's-paradox indicator; intersections and multi-stage funnels; score gaps and
reviewer × applicant-group gaps; lottery expectations; the max–min gap with
simultaneous pairwise intervals; vectorized bootstrap intervals of the rates;
small-cell and complementary suppression for publication. Across cycles, the rates per
cycle, the gap pooled over cycles, a trend and the change after a process change; the
Mantel–Haenszel gap in points within strata; one family of adjusted p-values; the
smallest gap each comparison could detect (:func:`plan_cycles` turns it around); and a
subgroup scan with a search-adjusted p-value.

:func:`run_audit` audits decisions (or an allocation), :func:`audit_counts` published
counts; :func:`plan_audit` says which options go with which input (the command line
calls it). ``audit`` is :func:`run_audit` under the name it had before
``fairpanel.audit`` became only the subpackage (kept so that existing code runs).
"""

from fairpanel._schema import DEFAULT_MIN_CELL
from fairpanel.audit._audit import audit_counts, run_audit
from fairpanel.audit._bootstrap import bootstrap_selection_rates
from fairpanel.audit._inputs import counts_from_wide
from fairpanel.audit._multiplicity import adjust_p
from fairpanel.audit._options import AuditPlan, plan_audit
from fairpanel.audit._power import CyclePlan, min_detectable_difference, plan_cycles
from fairpanel.audit._result import AuditResult
from fairpanel.audit._reviewers import reviewer_gaps
from fairpanel.audit._scan import subgroup_scan
from fairpanel.audit._scores import score_gaps
from fairpanel.audit._spread import rate_spread
from fairpanel.audit._stats import (
    katz_ratio,
    newcombe_difference,
    wilson_interval,
    woolf_odds_ratio,
)
from fairpanel.audit._strata import mh_risk_difference

#: Alias of :func:`run_audit`, its former name (prefer the new one).
audit = run_audit

__all__ = [
    "DEFAULT_MIN_CELL",
    "AuditPlan",
    "AuditResult",
    "CyclePlan",
    "adjust_p",
    "audit",
    "audit_counts",
    "bootstrap_selection_rates",
    "counts_from_wide",
    "katz_ratio",
    "mh_risk_difference",
    "min_detectable_difference",
    "newcombe_difference",
    "plan_audit",
    "plan_cycles",
    "rate_spread",
    "reviewer_gaps",
    "run_audit",
    "score_gaps",
    "subgroup_scan",
    "wilson_interval",
    "woolf_odds_ratio",
]
