"""What a trust check returns: a finding a committee can read, and the report holding them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, cast

import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._json import SCHEMA_KEY, Kind, Node, check_schema, jsonable, records, stamp, table
from fairpanel.viz import html_summary

__all__ = [
    "DETAIL_COLUMNS",
    "FINDING_COLUMNS",
    "SCHEMA_KIND",
    "SCHEMA_VERSION",
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

#: The JSON layout of ``fairpanel ml-check --json``; files without a stamp are version 1.
SCHEMA_KIND: Final = "ml_check"
SCHEMA_VERSION: Final = 1
_DETAIL_KINDS: Final[Mapping[str, Kind]] = {
    "check": "text",
    "subject": "text",
    "item": "text",
    "statistic": "text",
    "value": "number",
}


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
        """Return the finding as plain JSON values (a NaN value as None)."""
        return {
            "check": self.check,
            "severity": self.severity,
            "value": jsonable(float(self.value)),
            "message": self.message,
            "subject": self.subject,
        }

    @classmethod
    def from_dict(cls, data: Node) -> Finding:
        """Read one finding of a check report's JSON (errors name its path).

        Parameters
        ----------
        data : Node
            The finding's JSON object, wrapped with its path in the document
            (:class:`fairpanel._json.Node`), so an error names ``findings[3].severity``.

        Returns
        -------
        Finding
        """
        severity = data["severity"].text()
        if severity not in SEVERITIES:
            raise FairpanelInputError(
                ERR_SEVERITY.format(allowed=SEVERITIES, value=severity),
                field=data["severity"].path,
            )
        subject = data.get("subject")
        return cls(
            check=data["check"].text(),
            severity=cast(Severity, severity),
            value=data["value"].number_or_nan(),
            message=data["message"].text(),
            subject="" if subject.is_null else subject.text(),
        )


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
        """Return the findings of one check.

        Parameters
        ----------
        check : str
            The check's name as findings carry it (``"leakage"``, ``"too_good"``,
            ``"proxy"``, ``"overfit"``, ``"overspecialization"``, ``"inherited_bias"``,
            ``"interpretation"``, ``"dominant_feature"``). An unknown or skipped check
            gives an empty list.

        Returns
        -------
        list of Finding
            In the report's order.
        """
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
        """Return plain JSON data (schema ``fairpanel.ml_check``).

        Keys: ``findings`` (check, severity, value, message, subject), ``worst_severity``,
        ``model``, ``skipped`` and ``details``.
        """
        return {
            SCHEMA_KEY: stamp(SCHEMA_KIND, SCHEMA_VERSION),
            "findings": [f.to_dict() for f in self.findings],
            "worst_severity": self.worst,
            "model": jsonable(dict(self.model)),
            "skipped": list(self.skipped),
            "details": records(self.details),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckReport:
        """Read the JSON of :meth:`to_dict` (``worst_severity`` follows from the findings).

        Keys a command adds beside the report (``ml-check``'s ``inputs``) are ignored.

        Parameters
        ----------
        data : mapping
            The parsed JSON.

        Raises
        ------
        FairpanelInputError
            Naming the first field that is missing or of the wrong type.
        """
        doc = Node(data)
        check_schema(doc, SCHEMA_KIND, SCHEMA_VERSION)
        model, skipped, details = doc.get("model"), doc.get("skipped"), doc.get("details")
        rows = [] if details.is_null else details.records(_DETAIL_KINDS)
        return cls(
            findings=tuple(Finding.from_dict(f) for f in doc["findings"].elements()),
            details=table(rows, kinds=_DETAIL_KINDS, columns=DETAIL_COLUMNS),
            model={} if model.is_null else {k: v.plain() for k, v in model.members()},
            skipped=() if skipped.is_null else tuple(skipped.texts()),
        )
