"""Inherited bias: do past decisions, the model and the rubric ranking treat groups alike.

What this check publishes obeys the audit's small-cell rule: a group's selection rate is
shown (to 2 decimals) only when both its selected and its not-selected counts reach the
minimum cell, since a rate of 0 or 1 proves a count and an exact rate of a known group
size gives it back; the ratio of the lowest to the highest rate is shown only when both
of its groups are shown. The flag is still computed from the exact counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from fairpanel._schema import DEFAULT_MIN_CELL, FOUR_FIFTHS
from fairpanel.ml._evaluate import top_k_within
from fairpanel.ml._features import target_values
from fairpanel.ml._findings import Finding, Severity

__all__ = [
    "MIN_GROUP_SIZE",
    "Disparity",
    "inherited_bias",
    "selection_disparity",
]

#: Chance differences must not raise the flag: the ratio must also be unlikely under equal
#: rates (Fisher's exact test for two groups, chi-square for more) at this level.
ALPHA: Final = 0.05
#: Groups smaller than this are left out of the ratio (their rate is too noisy to compare).
MIN_GROUP_SIZE: Final = 10


@dataclass(frozen=True)
class Disparity:
    """Selection rates by group and the adverse-impact ratio (lowest / highest rate)."""

    rates: pd.Series
    ratio: float
    lowest: str
    highest: str
    p_value: float
    test: str
    selected: pd.Series
    sizes: pd.Series

    @property
    def publishable(self) -> pd.Series:
        """Groups whose rate may be published: selected and not selected reach the minimum cell."""
        return (self.selected >= DEFAULT_MIN_CELL) & (
            (self.sizes - self.selected) >= DEFAULT_MIN_CELL
        )

    @property
    def ratio_publishable(self) -> bool:
        """Both groups of the ratio are publishable (and the ratio exists)."""
        if not self.lowest or not np.isfinite(self.ratio):
            return False
        shown = self.publishable
        return bool(shown[self.lowest] and shown[self.highest])

    @property
    def flagged(self) -> bool:
        """Below four-fifths and unlikely to be chance."""
        return bool(self.ratio < FOUR_FIFTHS and self.p_value < ALPHA)


def selection_disparity(
    selected: NDArray[np.bool_], groups: NDArray[np.generic] | pd.Series
) -> Disparity:
    """Adverse-impact ratio of one allocation over one group attribute.

    Groups with fewer than :data:`MIN_GROUP_SIZE` members, and rows with a missing
    group, are left out. The ratio is the lowest group's selection rate over the
    highest's; its p-value is Fisher's exact test for two groups, Pearson's chi-square
    test of independence for more.

    Parameters
    ----------
    selected : ndarray of bool
        Whether each submission is selected.
    groups : ndarray or Series
        Each submission's group, aligned with ``selected`` by position (a Series'
        index is ignored); missing values (``None``, NaN, ``pd.NA``) belong to no group.

    Returns
    -------
    Disparity
        ``rates`` by group, ``ratio``, the ``lowest`` and ``highest`` groups,
        ``p_value`` and ``test``: ``"fisher_exact"``, ``"chi_square"``, or ``"none"``
        when there is nothing to test -- fewer than two groups large enough, or no
        one selected (ratio and p-value NaN), or everyone selected (both 1).

    Examples
    --------
    >>> selected = np.arange(40) % 20 < np.repeat([12, 6], 20)  # 12 of 20, 6 of 20
    >>> d = selection_disparity(selected, np.repeat(["a", "b"], 20))
    >>> float(d.ratio), d.lowest, d.highest, d.test
    (0.5, 'b', 'a', 'fisher_exact')
    """
    frame = pd.DataFrame({"g": pd.Series(groups).astype(object).to_numpy(), "s": selected})
    frame = frame[frame["g"].notna()]
    counts = frame.groupby("g")["s"].agg(["size", "sum"])
    counts = counts[counts["size"] >= MIN_GROUP_SIZE]
    rates = (counts["sum"] / counts["size"]).astype("float64")
    sizes = counts["size"].astype("int64")
    chosen = counts["sum"].astype("int64")
    if rates.size < 2 or rates.max() == 0.0:
        return Disparity(rates, float("nan"), "", "", float("nan"), "none", chosen, sizes)
    lowest, highest = str(rates.idxmin()), str(rates.idxmax())
    table = np.column_stack([counts["sum"], counts["size"] - counts["sum"]]).astype(np.int64)
    if table[:, 1].sum() == 0:  # everyone selected: no disparity to test
        p_value, test = 1.0, "none"
    elif rates.size == 2:
        p_value, test = float(stats.fisher_exact(table).pvalue), "fisher_exact"
    else:
        p_value, test = float(stats.chi2_contingency(table).pvalue), "chi_square"
    ratio = float(rates.min() / rates.max())
    return Disparity(rates, ratio, lowest, highest, p_value, test, chosen, sizes)


def _share(d: Disparity) -> str:
    """Give the ratio as a percentage, or words when one of its groups is too small."""
    return f"{d.ratio:.0%}" if d.ratio_publishable else "a withheld percentage"


def _phrase(who: str, attr: str, d: Disparity) -> str:
    if not d.ratio_publishable:
        return (
            f"{who} selected {attr} '{d.lowest}' at a lower rate than '{d.highest}' (the "
            f"ratio is withheld: fewer than {DEFAULT_MIN_CELL} selected or not selected in "
            "one of them)"
        )
    return f"{who} selected {attr} '{d.lowest}' at {d.ratio:.0%} of the rate of '{d.highest}'"


def inherited_bias(
    history: pd.DataFrame,
    held_out: NDArray[np.float64],
    *,
    decision: str,
    groups: Sequence[str],
    score: str | None,
    cycle: str = "cycle",
) -> tuple[list[Finding], list[dict[str, object]]]:
    """Compare disparities per group attribute.

    Past decisions, the model's held-out allocation and a rubric-score ranking, each
    selecting as many per cycle as the past did.
    """
    selected = target_values(history[decision])[1] == 1.0
    blocks = history[cycle].to_numpy() if cycle in history.columns else np.zeros(len(history))
    levels, inverse = np.unique(blocks, return_inverse=True)
    k = np.bincount(inverse, weights=selected, minlength=levels.size).astype(np.int64)
    allocations = {
        "past decisions": selected,
        "the model": top_k_within(held_out, blocks, k),
    }
    if score is not None:
        values = np.asarray(history[score].astype("float64").fillna(-np.inf), dtype=np.float64)
        allocations["ranking by the rubric score"] = top_k_within(values, blocks, k)
    findings: list[Finding] = []
    details: list[dict[str, object]] = []
    for attr in groups:
        disparities = {
            name: selection_disparity(s, history[attr]) for name, s in allocations.items()
        }
        for name, d in disparities.items():
            shown = d.publishable.to_dict()
            for group, rate in d.rates.items():
                details.append(
                    {
                        "check": "inherited_bias",
                        "subject": attr,
                        "item": f"{name}: {group}",
                        "statistic": "selection_rate",
                        "value": round(float(rate), 2) if shown[group] else float("nan"),
                    }
                )
            details.append(
                {
                    "check": "inherited_bias",
                    "subject": attr,
                    "item": name,
                    "statistic": "adverse_impact_ratio",
                    "value": round(d.ratio, 2) if d.ratio_publishable else float("nan"),
                }
            )
        findings.append(_verdict(attr, disparities))
    return findings, details


def _verdict(attr: str, d: dict[str, Disparity]) -> Finding:
    past, model = d["past decisions"], d["the model"]
    rubric = d.get("ranking by the rubric score")
    value = round(model.ratio, 2) if model.ratio_publishable else float("nan")
    if np.isnan(model.ratio):
        return Finding(
            "inherited_bias",
            "ok",
            float("nan"),
            f"Too few applicants per {attr} group to compare selection rates.",
            attr,
        )
    beside = f", while {_phrase('ranking by the rubric score', attr, rubric)}" if rubric else ""
    severity: Severity
    if model.flagged and past.flagged:
        severity = "critical"
        text = (
            f"{_phrase('Past decisions', attr, past)} and the model trained on them does the "
            f"same ({_share(model)}){beside}: the model has learned the historical "
            "disparity and would repeat it."
        )
    elif model.flagged:
        severity = "critical"
        text = (
            f"{_phrase('The model', attr, model)}, a larger gap than in past decisions "
            f"({_share(past)}){beside}: the model creates a disparity of its own."
        )
    elif past.flagged:
        severity = "warning"
        text = (
            f"{_phrase('Past decisions', attr, past)}{beside}; the model does not repeat this "
            f"({_share(model)}) but learns from those decisions, so keep checking it."
        )
    elif min(model.ratio, past.ratio) < FOUR_FIFTHS:
        severity = "ok"
        text = (
            f"Selection rates by {attr} differ (the lowest group is selected at "
            f"{_share(model)} of the rate of the highest by the model, "
            f"{_share(past)} in past decisions), but by no more than chance alone "
            "would often produce with this many applicants."
        )
    else:
        severity = "ok"
        text = (
            f"Selection rates by {attr} are close: the lowest group is selected at "
            f"{_share(model)} of the rate of the highest by the model and at "
            f"{_share(past)} in past decisions (below 80% would be a warning sign)."
        )
    return Finding("inherited_bias", severity, value, text, attr)
