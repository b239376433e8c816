"""Disparity audit: group outcomes with honest uncertainty, adjusted, safe to publish.

Selection rates per group with Wilson intervals; each group against a reference group
(Newcombe difference, Katz ratio, odds ratio, adverse-impact ratio and the four-fifths
flag, Fisher's exact test); Cochran–Mantel–Haenszel and logistic-regression adjustment
with a Simpson's-paradox indicator; intersections and multi-stage funnels; score gaps and
reviewer × applicant-group gaps; lottery expectations; the max–min gap with
simultaneous pairwise intervals; vectorized bootstrap intervals of the rates;
small-cell and complementary suppression for publication.

:func:`run_audit` audits decisions (or an allocation), :func:`audit_counts` published
counts; :func:`plan_audit` says which options go with which input (the command line
calls it). ``audit`` is :func:`run_audit` under the name it had before
``fairpanel.audit`` became only the subpackage (kept so that existing code runs).
"""

from fairpanel._schema import DEFAULT_MIN_CELL
from fairpanel.audit._audit import audit_counts, run_audit
from fairpanel.audit._bootstrap import bootstrap_selection_rates
from fairpanel.audit._inputs import counts_from_wide
from fairpanel.audit._options import AuditPlan, plan_audit
from fairpanel.audit._result import AuditResult
from fairpanel.audit._reviewers import reviewer_gaps
from fairpanel.audit._scores import score_gaps
from fairpanel.audit._spread import rate_spread
from fairpanel.audit._stats import (
    katz_ratio,
    newcombe_difference,
    wilson_interval,
    woolf_odds_ratio,
)

#: Alias of :func:`run_audit`, its former name (prefer the new one).
audit = run_audit

__all__ = [
    "DEFAULT_MIN_CELL",
    "AuditPlan",
    "AuditResult",
    "audit",
    "audit_counts",
    "bootstrap_selection_rates",
    "counts_from_wide",
    "katz_ratio",
    "newcombe_difference",
    "plan_audit",
    "rate_spread",
    "reviewer_gaps",
    "run_audit",
    "score_gaps",
    "wilson_interval",
    "woolf_odds_ratio",
]
