"""What a trust check returns: a finding a committee can read, and the report holding them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal

import pandas as pd

from fairpanel.viz import html_summary

__all__ = [
    "DETAIL_COLUMNS",
    "FINDING_COLUMNS",
    "SEVERITIES",
    "CheckReport",
    "Finding",
    "Severity",
]

Severity = Literal["ok", "warning", "critical"]
SEVERITIES: Final[tuple[str, ...]] = ("ok", "warning", "critical")

#: The JSON contract of ``fairpanel ml-check``: add fields, never rename.
FINDING_COLUMNS: Final[tuple[str, ...]] = ("check", "severity", "value", "message", "subject")
#: Long, tidy numbers behind the findings (importances, per-feature AUCs, rates, errors).
DETAIL_COLUMNS: Final[tuple[str, ...]] = ("check", "subject", "item", "statistic", "value")

ERR_SEVERITY = "severity must be one of {allowed}, got {value!r}"


@dataclass(frozen=True)
class Finding:
    """One trust check's verdict.

    Parameters
    ----------
    check : str
        Which check (``interpretation``, ``proxy``, ``inherited_bias``, ``too_good``,
        ``dominant_feature``, ``leakage``, ``overfit``, ``overspecialization``).
    severity : {"ok", "warning", "critical"}
    value : float
        The number the severity was decided on (documented per check in ``docs/ml.md``).
    message : str
        One plain sentence for a committee member without statistics training.
    subject : str, default ""
        What the finding is about when a check runs several times (a group attribute).
    """

    check: str
    severity: Severity
    value: float
    message: str
    subject: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(ERR_SEVERITY.format(allowed=SEVERITIES, value=self.severity))

    def to_dict(self) -> dict[str, Any]:
        """Return the finding as plain JSON values."""
        return {
            "check": self.check,
            "severity": self.severity,
            "value": float(self.value),
            "message": self.message,
            "subject": self.subject,
        }


@dataclass(frozen=True)
class CheckReport:
    """All findings of :func:`run_checks`, the numbers behind them and the model checked.

    Attributes
    ----------
    findings : tuple of Finding
    details : pandas.DataFrame
        Columns ``check, subject, item, statistic, value`` (e.g. one row per feature and
        group attribute with its cross-validated AUC).
    model : dict
        :meth:`SelectionModel.card` of the model fitted on the whole history.
    skipped : tuple of str
        Checks that could not run, each with the reason.
    """

    findings: tuple[Finding, ...]
    details: pd.DataFrame
    model: dict[str, Any] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()

    @property
    def table(self) -> pd.DataFrame:
        """The findings as a tidy frame with ``FINDING_COLUMNS``."""
        rows = [f.to_dict() for f in self.findings]
        return pd.DataFrame(rows, columns=list(FINDING_COLUMNS))

    @property
    def worst(self) -> Severity:
        """The most severe verdict over all findings."""
        ranks = [SEVERITIES.index(f.severity) for f in self.findings]
        worst: Severity = "ok"
        if ranks and max(ranks) == 2:
            worst = "critical"
        elif ranks and max(ranks) == 1:
            worst = "warning"
        return worst

    def by_check(self, check: str) -> list[Finding]:
        """Return the findings of one check."""
        return [f for f in self.findings if f.check == check]

    def __repr__(self) -> str:
        counts = {s: sum(f.severity == s for f in self.findings) for s in SEVERITIES}
        return (
            f"<CheckReport worst={self.worst!r} findings={len(self.findings)} "
            f"critical={counts['critical']} warning={counts['warning']} "
            f"skipped={len(self.skipped)}>"
        )

    def _repr_html_(self) -> str:
        table = self.table
        order = table["severity"].map({s: -i for i, s in enumerate(SEVERITIES)})
        table = table.iloc[order.argsort(kind="stable")]  # the most severe first
        cols = ["severity", "check", "subject", "value", "message"]
        return html_summary(
            f"CheckReport · worst: {self.worst}",
            facts=[
                ("findings", len(self.findings)),
                *((s, sum(f.severity == s for f in self.findings)) for s in SEVERITIES[::-1]),
                ("model", self.model.get("model", "?")),
                ("trained on", self.model.get("n_training", "?")),
            ],
            notes=[f"Not run: {s}" for s in self.skipped],
            blocks=[("Findings (the most severe first)", table[cols])],
            max_rows=len(table) or 1,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return plain JSON data.

        Keys: ``findings`` (check, severity, value, message, subject), ``worst_severity``,
        ``model``, ``skipped`` and ``details``.
        """
        return {
            "findings": [f.to_dict() for f in self.findings],
            "worst_severity": self.worst,
            "model": dict(self.model),
            "skipped": list(self.skipped),
            "details": self.details.to_dict(orient="records"),
        }
