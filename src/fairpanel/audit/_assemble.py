"""Assembling the audit's tables from cells: rates, comparisons, strata, funnels, models."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel.audit._inputs import STAGE_PREFIX
from fairpanel.audit._lottery import LOTTERY_COLUMNS, LOTTERY_SUMMARY_COLUMNS
from fairpanel.audit._notes import withheld_model_notes, withheld_notes
from fairpanel.audit._publish import nestings, publish
from fairpanel.audit._result import AuditResult
from fairpanel.audit._reviewers import REVIEWER_COLUMNS
from fairpanel.audit._scores import SCORE_GAP_COLUMNS
from fairpanel.audit._spread import rate_spread
from fairpanel.audit._strata import LOGISTIC_COLUMNS, STRATA_COLUMNS, cmh_table, logistic_table
from fairpanel.audit._tables import (
    COMPARISON_COLUMNS,
    FUNNEL_COLUMNS,
    GROUP_COLUMNS,
    STRATUM_RATE_COLUMNS,
    TEST_COLUMNS,
    comparison_table,
    funnel_table,
    group_table,
    omnibus_table,
    pick_reference,
)

__all__ = ["ERR_UNKNOWN_REFERENCE", "REPLICATES", "Reference", "assemble"]

ERR_UNKNOWN_REFERENCE = "reference group '{reference}' is not a group of {attributes}"

_STAGE = STAGE_PREFIX
REPLICATES: Final[int] = 2000

Reference = str | Mapping[str, str] | None


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=list(columns))


def _resolve_reference(reference: Reference, attr: str, groups: np.ndarray) -> str | None:
    name = reference.get(attr) if isinstance(reference, Mapping) else reference
    return name if name is not None and name in set(groups.tolist()) else None


def _check_reference(reference: Reference, found: dict[str, list[str]]) -> None:
    if reference is None:
        return
    wanted = reference.items() if isinstance(reference, Mapping) else [(None, reference)]
    for attr, name in wanted:
        pool = (
            found.get(attr, []) if attr is not None else [g for gs in found.values() for g in gs]
        )
        if name not in pool:
            raise FairpanelInputError(
                ERR_UNKNOWN_REFERENCE.format(reference=name, attributes=attr or ", ".join(found)),
                hint=f"choose one of: {', '.join(sorted(set(pool)))}",
            )


def assemble(
    cells: pd.DataFrame,
    attributes: Sequence[str],
    *,
    parts: Mapping[str, tuple[str, ...]],
    stages: Sequence[str],
    strata: str | None,
    covariates: Sequence[str],
    reference: Reference,
    min_cell: int,
    extra: Mapping[str, pd.DataFrame],
    notes: Sequence[str] = (),
) -> AuditResult:
    """Build the audit's published tables from cells (one row per group combination)."""
    counts = ["applicants", "selected", *(f"{_STAGE}{s}" for s in stages)]
    out: dict[str, list[pd.DataFrame]] = {
        k: []
        for k in (
            "groups",
            "comparisons",
            "tests",
            "strata",
            "stratum_rates",
            "logistic",
            "funnel",
        )
    }
    notes_: list[str] = list(notes)
    found: dict[str, list[str]] = {}
    models: dict[str, list[str]] = {}
    for attr in attributes:
        agg = cells.groupby(attr, sort=True)[counts].sum()
        groups = np.asarray(agg.index.astype(str))
        found[attr] = groups.tolist()
        n, k = agg["applicants"].to_numpy(np.int64), agg["selected"].to_numpy(np.int64)
        name = _resolve_reference(reference, attr, groups)
        ref = (
            groups.tolist().index(name)
            if name is not None
            else pick_reference(groups, n, k, int(min_cell))
        )
        out["groups"].append(group_table(attr, groups, n, k))
        if groups.size > 1:
            out["comparisons"].append(comparison_table(attr, groups, n, k, ref, int(min_cell)))
        tests = omnibus_table(attr, n, k)
        notes_ += [f"{attr}: {x}" for x in tests["note"] if x]
        out["tests"].append(tests)
        if stages:
            passed = {s: agg[f"{_STAGE}{s}"].to_numpy(np.int64) for s in stages}
            out["funnel"].append(
                funnel_table(attr, groups, n, passed, int(min_cell), reference=name)
            )
        if strata is not None:
            sc = cells.groupby([attr, "stratum"], as_index=False)[["applicants", "selected"]].sum()
            sc = sc.rename(columns={attr: "group"}).astype({"group": str, "stratum": str})
            if groups.size > 1:
                out["strata"].append(cmh_table(attr, sc, groups.tolist(), str(groups[ref])))
            for stratum, part in sc.groupby("stratum", sort=True):
                part = part[part["applicants"] > 0]
                gt = group_table(
                    attr,
                    part["group"].to_numpy(),
                    part["applicants"].to_numpy(np.int64),
                    part["selected"].to_numpy(np.int64),
                )
                gt.insert(1, "stratum", str(stratum))
                out["stratum_rates"].append(gt)
        # an attribute is not adjusted for itself (nor an intersection for its parts)
        covs = [c for c in covariates if c != attr and c not in parts.get(attr, ())]
        if covs and groups.size > 1:
            lc = cells.groupby([attr, *covs], as_index=False)[["applicants", "selected"]].sum()
            table, fit_notes = logistic_table(
                attr,
                lc.rename(columns={attr: "group"}),
                reference=str(groups[ref]),
                covariates=covs,
            )
            out["logistic"].append(table)
            models[attr] = covs
            notes_ += fit_notes
    _check_reference(reference, found)
    columns = {
        "groups": GROUP_COLUMNS,
        "comparisons": COMPARISON_COLUMNS,
        "tests": TEST_COLUMNS,
        "strata": STRATA_COLUMNS,
        "stratum_rates": STRATUM_RATE_COLUMNS,
        "logistic": LOGISTIC_COLUMNS,
        "funnel": FUNNEL_COLUMNS,
    }
    tables = {
        key: pd.concat(frames, ignore_index=True) if frames else _empty(columns[key])
        for key, frames in out.items()
    }
    # the max-min gap with an interval that keeps its level (not a percentile bootstrap)
    tables["spread"], tables["pairwise"] = rate_spread(cells, attributes)
    for key, cols in (
        ("lottery", LOTTERY_COLUMNS),
        ("lottery_summary", LOTTERY_SUMMARY_COLUMNS),
        ("score_gaps", SCORE_GAP_COLUMNS),
        ("reviewer_gaps", REVIEWER_COLUMNS),
    ):
        tables[key] = extra.get(key, _empty(cols))
    published = publish(
        tables,
        parts,
        stages,
        int(min_cell),
        models=models,
        strata=strata,
        nested=nestings(cells, attributes, parts),
    )
    notes_ += withheld_notes(published["comparisons"])
    notes_ += withheld_model_notes(
        published["strata"], published["logistic"], published["comparisons"]
    )
    return AuditResult(**published, min_cell=int(min_cell), notes=tuple(notes_))
