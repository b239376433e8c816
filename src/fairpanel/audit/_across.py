"""The audit's further questions, added to an assembled result.

Across strata, across cycles, how small a gap could be seen, where the gap is, and how
many comparisons were made.

:func:`extend` runs after the published tables are made (:func:`~fairpanel.audit._assemble.assemble`),
so what it adds follows their suppression: a within-stratum comparison of a withheld
cell, a change estimate resting on a withheld cycle cell, a detectable gap of a withheld
comparison are withheld too, and the per-cycle cells get their own complementary
suppression, tied to the published group totals (:class:`~fairpanel.audit._disclosure.Disclosure`). Every published
p-value of a group-versus-reference question then joins one family, adjusted together
(Holm by default), and the family itself is published.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._schema import parse_bool
from fairpanel.audit._across_publish import (
    fixed_values,
    hide_cycles,
    overlap,
    withheld_cells,
    withhold,
)
from fairpanel.audit._cycles import (
    CHANGE_COLUMNS,
    NOTE_CHANGE,
    change_table,
    cycle_order,
    cycle_table,
    periods,
)
from fairpanel.audit._multiplicity import MULTIPLICITY_COLUMNS, Adjust, adjust_p
from fairpanel.audit._power import min_detectable_difference
from fairpanel.audit._result import AuditResult
from fairpanel.audit._scan import SCAN_COLUMNS, subgroup_scan
from fairpanel.audit._strata import STRATUM_COMPARISON_COLUMNS, stratum_comparison_table

__all__ = [
    "ERR_CHANGE_VALUE",
    "ERR_CYCLE_BLANK",
    "ERR_CYCLE_COLUMN",
    "FAMILY",
    "FAMILY_ALPHA",
    "cycle_cells",
    "extend",
]

ERR_CYCLE_COLUMN = "no cycle column '{column}': the table has {columns}"
ERR_CYCLE_BLANK = "row {row}: the cycle ('{column}') is empty"
ERR_CHANGE_VALUE = (
    "row {row}: '{column}' must be yes or no (after the change or not), not {value!r}"
)
#: The tables whose p-values form the family, and the question each p-value answers.
FAMILY: Final[tuple[str, ...]] = (
    "comparisons",
    "tests",
    "strata",
    "stratum_comparisons",
    "change",
)
#: The level at which the report says a comparison survives adjustment.
FAMILY_ALPHA: Final[float] = 0.05
NOTE_FAMILY = (
    "{m} comparisons were made (each group against its reference, overall, within "
    "strata and across cycles, and the tests of any difference); {s} the "
    "{method} adjustment at the 5% level. The unadjusted p-values are kept beside the "
    "adjusted ones."
)


def _survive(count: int) -> str:
    return f"{count} survives" if count == 1 else f"{count} survive"


_METHOD_NAME: Final[Mapping[str, str]] = {"holm": "Holm", "bh": "Benjamini–Hochberg"}


def cycle_cells(
    frame: pd.DataFrame,
    units: pd.DataFrame,
    attributes: Sequence[str],
    *,
    cycle_col: str,
    change_at: str | None = None,
    change_col: str | None = None,
) -> pd.DataFrame:
    """Count the applicants and selected per attribute group, cycle (and period).

    Parameters
    ----------
    frame : DataFrame
        The loaded table holding ``cycle_col`` (and ``change_col``), row by row with
        ``units``.
    units : DataFrame
        The attribute columns, ``applicants`` and ``selected``, one row per row of
        ``frame`` (an applicant, or a counts row).
    attributes : sequence of str
        The attribute columns to keep.
    cycle_col : str
        The column of the cycle (year, call).
    change_at, change_col : str, optional
        The first cycle after a process change, or a yes/no column marking the rows
        after it.

    Raises
    ------
    FairpanelInputError
        For a missing or empty cycle, a change column that is not yes/no, or a change
        that does not split the cycles.
    """
    for column in (cycle_col, change_col):
        if column is not None and column not in frame.columns:
            raise FairpanelInputError(
                ERR_CYCLE_COLUMN.format(column=column, columns=", ".join(map(str, frame.columns)))
            )
    raw = frame[cycle_col]
    text = raw.astype(str).str.strip()
    blank = raw.isna().to_numpy() | (text == "").to_numpy()
    if blank.any():
        row = int(np.flatnonzero(blank)[0]) + 2  # the spreadsheet row under the header
        raise FairpanelInputError(ERR_CYCLE_BLANK.format(row=row, column=cycle_col))
    # a year read as a number (2019.0) is named as written (2019)
    numbers = pd.to_numeric(raw, errors="coerce")
    whole = numbers.notna().all() and bool((numbers == numbers.round()).all())
    cycles = numbers.astype("int64").astype(str) if whole else text
    after = None
    if change_col is not None:
        parsed = frame[change_col].map(parse_bool)
        if parsed.isna().any():
            i = int(np.flatnonzero(parsed.isna().to_numpy())[0])
            raise FairpanelInputError(
                ERR_CHANGE_VALUE.format(
                    row=i + 2, column=change_col, value=frame[change_col].iloc[i]
                )
            )
        after = parsed.astype(bool)
    period = periods(cycles, change_at=change_at, after=after)
    out = units[[*attributes, "applicants", "selected"]].copy()
    out["cycle"] = cycles.to_numpy()
    out["period"] = None if period is None else period.to_numpy()
    return out


def _first_after(cells: pd.DataFrame) -> str | None:
    if cells["period"].isna().all():
        return None
    after = cells.loc[cells["period"] == "after", "cycle"].tolist()
    return cycle_order(after)[0]


def extend(
    result: AuditResult,
    cells: pd.DataFrame,
    attributes: Sequence[str],
    *,
    parts: Mapping[str, tuple[str, ...]],
    strata: bool,
    cycles: pd.DataFrame | None,
    adjust: Adjust,
    scan: Sequence[str] | None,
    rng: np.random.Generator,
) -> AuditResult:
    """Add the within-stratum, across-cycle, power, scan and multiplicity tables.

    Parameters
    ----------
    result : AuditResult
        The assembled, published result.
    cells : DataFrame
        The raw cells it was built from (attribute columns, ``stratum`` with strata,
        ``applicants``, ``selected``).
    attributes : sequence of str
        The audited attributes (intersections included).
    parts : mapping
        Each intersection's component attributes.
    strata : bool
        Whether ``cells`` has strata.
    cycles : DataFrame, optional
        :func:`cycle_cells`: the counts per attribute group and cycle.
    adjust : {"holm", "bh"}
        The multiplicity adjustment.
    scan : sequence of str, optional
        The attributes whose conjunctions the subgroup scan searches (None: no scan).
    rng : numpy.random.Generator
        The scan's permutations.
    """
    m = result.min_cell
    refs = dict(zip(result.comparisons["attribute"], result.comparisons["reference"], strict=True))
    hidden = {
        (str(a), str(x))
        for a, x, s in result.groups[["attribute", "group", "suppressed"]].itertuples(index=False)
        if bool(s)
    }
    notes = list(result.notes)

    # the smallest gap each comparison could have detected
    comps = result.comparisons.copy()
    mdd = np.full(len(comps), np.nan)
    for i, (a, x, r) in enumerate(
        comps[["attribute", "group", "reference"]].itertuples(index=False)
    ):
        agg = cells.groupby(a)[["applicants", "selected"]].sum()
        if pd.isna(comps["rate_difference"].iloc[i]) or (a, x) in hidden or (a, r) in hidden:
            continue
        n0, k0 = agg.loc[r, "applicants"], agg.loc[r, "selected"]
        mdd[i] = min_detectable_difference(agg.loc[x, "applicants"], n0, k0 / n0)[()]
    comps["min_detectable_difference"] = mdd

    # each stratum's own comparison
    within = []
    if strata:
        rates = result.stratum_rates
        cell_hidden = {
            (str(a), str(s), str(x))
            for a, s, x, h in rates[["attribute", "stratum", "group", "suppressed"]].itertuples(
                index=False
            )
            if bool(h)
        }
        for attr, ref in refs.items():
            sc = cells.groupby([attr, "stratum"], as_index=False)[["applicants", "selected"]].sum()
            sc = sc.rename(columns={attr: "group"}).astype({"group": str, "stratum": str})
            pooled = result.strata[result.strata["attribute"] == attr]
            groups = sorted(sc["group"].unique())
            table = stratum_comparison_table(attr, sc, groups, ref, pooled)
            # with the pooled gap withheld (or undefined), whether a stratum leaves it out
            # is unknown, not "no"
            known = dict(zip(pooled["group"], pd.notna(pooled["risk_difference"]), strict=True))
            table["disagrees"] = (
                table["disagrees"]
                .astype(object)
                .where(table["group"].map(known).fillna(False).astype(bool), None)
            )
            bad = np.array(
                [
                    (a, s, x) in cell_hidden
                    or (a, s, r) in cell_hidden
                    or (a, x) in hidden
                    or (a, r) in hidden
                    for a, s, x, r in table[
                        ["attribute", "stratum", "group", "reference"]
                    ].itertuples(index=False)
                ],
                dtype=bool,
            )
            within.append(
                withhold(table, bad, ("attribute", "stratum", "group", "reference", "test"))
            )
    stratum_comparisons = (
        pd.concat(within, ignore_index=True)
        if within
        else pd.DataFrame(columns=list(STRATUM_COMPARISON_COLUMNS))
    )

    # across cycles
    cycle_rows: list[pd.DataFrame] = []
    change_rows: list[pd.DataFrame] = []
    if cycles is not None:
        change_at = _first_after(cycles)
        for attr in attributes:
            cc = cycles.groupby([attr, "cycle"], as_index=False, dropna=False).agg(
                applicants=("applicants", "sum"),
                selected=("selected", "sum"),
                period=("period", "first"),
            )
            cc = cc.rename(columns={attr: "group"}).astype({"group": str, "cycle": str})
            cycle_rows.append(cycle_table(attr, cc))
            if attr in refs:
                groups = sorted(cc["group"].unique())
                table, more = change_table(attr, cc, groups, refs[attr], change_at=change_at)
                change_rows.append(table)
                notes += more
                if change_at is not None:
                    notes.append(NOTE_CHANGE.format(attribute=attr, change=change_at))
    cycle_pub = hide_cycles(cycle_rows, result.groups, parts, m)
    change = (
        pd.concat(change_rows, ignore_index=True)
        if change_rows
        else pd.DataFrame(columns=list(CHANGE_COLUMNS))
    )
    if len(change):
        bad_cells = {
            (str(a), str(x))
            for a, x, h in cycle_pub[["attribute", "group", "suppressed"]].itertuples(index=False)
            if bool(h)
        }
        bad = np.array(
            [
                bool({(a, x), (a, r)} & (hidden | bad_cells))
                for a, x, r in change[["attribute", "group", "reference"]].itertuples(index=False)
            ],
            dtype=bool,
        )
        change = withhold(
            change, bad, ("attribute", "group", "reference", "test", "change_at", "n_cycles")
        )
        change["suppressed"] = bad

    # where is the gap
    scanned = pd.DataFrame(columns=list(SCAN_COLUMNS))
    if scan:
        scanned = subgroup_scan(cells, list(scan), min_cell=m, rng=rng)
        withheld = withheld_cells(result, parts, scan[-1] if strata else None)
        risky = np.array(
            [
                any(overlap(fixed_values(str(name)), cell) for cell in withheld)
                for name in scanned["subgroup"]
            ],
            dtype=bool,
        )
        if risky.any():
            scanned.loc[risky, ["applicants", "selected"]] = pd.NA
            scanned.loc[risky, ["selection_rate", "statistic"]] = np.nan
            scanned.loc[risky, "suppressed"] = True

    # one family of comparisons
    frames = {
        "comparisons": comps,
        "tests": result.tests.copy(),
        "strata": result.strata.copy(),
        "stratum_comparisons": stratum_comparisons,
        "change": change,
    }
    pvals = []
    for name in FAMILY:
        frame = frames[name]
        p = pd.to_numeric(frame["p_value"], errors="coerce").to_numpy(np.float64, na_value=np.nan)
        if name == "tests" and len(frame):
            # a two-group attribute's test of any difference is its one comparison: once
            p = np.where(frame["test"].to_numpy() == "chi2_independence", p, np.nan)
        pvals.append(p)
    adjusted = adjust_p(np.concatenate(pvals), adjust)
    family = []
    start: int = 0
    for name, p in zip(FAMILY, pvals, strict=True):
        adj = adjusted[start : start + p.size]
        start += int(p.size)
        frame = frames[name]
        frame["adjusted_p_value"] = adj
        for i in np.flatnonzero(np.isfinite(adj)).tolist():
            row = frame.iloc[i]
            family.append(
                {
                    "method": adjust,
                    "table": name,
                    "attribute": row["attribute"],
                    "group": row.get("group"),
                    "reference": row.get("reference"),
                    "stratum": row.get("stratum"),
                    "test": row.get("test"),
                    "p_value": float(p[i]),
                    "adjusted_p_value": float(adj[i]),
                    "survives": bool(adj[i] < FAMILY_ALPHA),
                }
            )
    multiplicity = pd.DataFrame(family, columns=list(MULTIPLICITY_COLUMNS))
    if len(multiplicity):
        notes.append(
            NOTE_FAMILY.format(
                m=len(multiplicity),
                s=_survive(int(multiplicity["survives"].sum())),
                method=_METHOD_NAME[adjust],
            )
        )
    return dataclasses.replace(
        result,
        comparisons=frames["comparisons"],
        tests=frames["tests"],
        strata=frames["strata"],
        stratum_comparisons=frames["stratum_comparisons"],
        cycles=cycle_pub,
        change=frames["change"],
        subgroup_scan=scanned,
        multiplicity=multiplicity,
        notes=tuple(notes),
    )
