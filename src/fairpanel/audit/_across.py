"""The audit's further questions, added to an assembled result.

Across strata, across cycles, how small a gap could be seen, where the gap is, and how
many comparisons were made.

:func:`extend` runs after the published tables are made (:func:`~fairpanel.audit._assemble.assemble`),
so what it adds follows their suppression: a within-stratum comparison of a withheld
cell, a change estimate resting on a withheld cycle cell, a detectable gap of a withheld
comparison are withheld too, and the per-cycle cells get their own complementary
suppression, tied to the published group totals (:class:`CellSystem`). Every published
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
from fairpanel.audit._cycles import (
    CHANGE_COLUMNS,
    CYCLE_COLUMNS,
    NOTE_CHANGE,
    change_table,
    cycle_order,
    cycle_table,
    periods,
)
from fairpanel.audit._multiplicity import MULTIPLICITY_COLUMNS, Adjust, adjust_p
from fairpanel.audit._power import min_detectable_difference
from fairpanel.audit._publish import SEP
from fairpanel.audit._result import AuditResult
from fairpanel.audit._scan import SCAN_COLUMNS, subgroup_scan
from fairpanel.audit._strata import STRATUM_COMPARISON_COLUMNS, stratum_comparison_table
from fairpanel.audit._suppress import CellSystem, primary_hidden

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
    "strata and across cycles, and the tests of any difference); {s} survive the "
    "{method} adjustment at the 5% level. The unadjusted p-values are kept beside the "
    "adjusted ones."
)
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


def _hide_cycles(
    tables: list[pd.DataFrame], groups: pd.DataFrame, parts: Mapping[str, tuple[str, ...]], m: int
) -> pd.DataFrame:
    """Withhold small per-cycle cells and the cells that would reveal them.

    Per group, the cycle cells add up to the published total (kept as it is: protected,
    and hidden where the published table hides it); per cycle, the groups' cells add up
    to the cycle's total; an intersection's cells add up to its components'. Should a
    total have to be hidden for the cycle cells to be safe, every cycle cell of that
    attribute is withheld instead.
    """
    if not tables:
        return pd.DataFrame(columns=list(CYCLE_COLUMNS))
    cyc = pd.concat(tables, ignore_index=True)
    cs = CellSystem()
    shown = {}
    for a, x, n, k, s in groups[
        ["attribute", "group", "applicants", "selected", "suppressed"]
    ].itertuples(index=False):
        for kind, value in (("n", n), ("k", k)):
            hidden = bool(s) or pd.isna(value)
            cs.add((kind, str(a), str(x)), 0 if pd.isna(value) else int(value), hidden)
            cs.protect((kind, str(a), str(x)))
            shown[(kind, str(a), str(x))] = not hidden
    n = cyc["applicants"].to_numpy(np.int64)
    k = cyc["selected"].to_numpy(np.int64)
    hide_n, hide_k = primary_hidden(n, k, m)
    keys = list(
        cyc[["attribute", "cycle", "group"]].astype(str).itertuples(index=False, name=None)
    )
    for i, key in enumerate(keys):
        cs.add(("cn", *key), n[i], hide_n[i])
        cs.add(("ck", *key), k[i], hide_k[i])
    for (a, x), part in cyc.groupby(["attribute", "group"], sort=False):
        for kind, total in (("cn", "n"), ("ck", "k")):
            cs.line([(kind, a, c, x) for c in part["cycle"]] + [(total, a, x)])
    for (a, c), part in cyc.groupby(["attribute", "cycle"], sort=False):
        for kind in ("cn", "ck"):
            cs.line([(kind, a, c, x) for x in part["group"]])
            for i, comp in enumerate(parts.get(str(a), ())):
                values = [str(x).split(SEP) for x in part["group"]]
                for v in sorted({vals[i] for vals in values}):
                    members = [
                        x for x, vals in zip(part["group"], values, strict=True) if vals[i] == v
                    ]
                    cs.line([(kind, a, c, x) for x in members] + [(kind, comp, c, v)])
    cs.solve()
    broken = {key[1] for key, was in shown.items() if was and cs.hidden(key)}
    broken |= {a for a, comps in parts.items() if broken & set(comps)}
    broken |= {comp for a in list(broken) for comp in parts.get(a, ())}
    hn = np.array([cs.hidden(("cn", *key)) or key[0] in broken for key in keys], dtype=bool)
    hk = np.array([cs.hidden(("ck", *key)) or key[0] in broken for key in keys], dtype=bool)
    cyc["applicants"] = cyc["applicants"].astype("Int64")
    cyc["selected"] = cyc["selected"].astype("Int64")
    cyc.loc[hn, "applicants"] = pd.NA
    cyc.loc[hk, "selected"] = pd.NA
    cyc.loc[hn | hk, ["selection_rate", "rate_ci_low", "rate_ci_high"]] = np.nan
    cyc["suppressed"] = hn | hk
    return cyc


def _fixed(subgroup: str) -> dict[str, str]:
    """Return the values a scanned subgroup fixes (``gender = w × stage = early``)."""
    return dict(part.split(" = ", 1) for part in subgroup.split(SEP))


def _overlap(a: Mapping[str, str], b: Mapping[str, str]) -> bool:
    """Whether two cells share applicants: no attribute fixed to different values."""
    return all(b[k] == v for k, v in a.items() if k in b)


def _withheld_cells(
    result: AuditResult, parts: Mapping[str, tuple[str, ...]], stratum: str | None
) -> list[dict[str, str]]:
    """Every withheld published cell, as the attribute values it fixes.

    A scanned subgroup sharing applicants with one of them is a new sum over a withheld
    count (or a part of it): its counts are withheld too.
    """
    cells = []
    for table, keyed in ((result.groups, False), (result.stratum_rates, True)):
        if not len(table):
            continue
        for row in table[table["suppressed"].astype(bool)].to_dict("records"):
            attr = str(row["attribute"])
            names = parts.get(attr, (attr,))
            cell = dict(zip(names, str(row["group"]).split(SEP), strict=True))
            if keyed and stratum is not None:
                cell[stratum] = str(row["stratum"])
            cells.append(cell)
    return cells


def _withhold(frame: pd.DataFrame, bad: np.ndarray, keep: Sequence[str]) -> pd.DataFrame:
    out = frame.copy()
    if len(out) and bad.any():
        stats_cols = [c for c in out.columns if c not in keep]
        out[stats_cols] = out[stats_cols].astype(object)
        out.loc[bad, stats_cols] = None
        out = out.infer_objects()
    return out


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
                _withhold(table, bad, ("attribute", "stratum", "group", "reference", "test"))
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
    cycle_pub = _hide_cycles(cycle_rows, result.groups, parts, m)
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
        change = _withhold(
            change, bad, ("attribute", "group", "reference", "test", "change_at", "n_cycles")
        )
        change["suppressed"] = bad

    # where is the gap
    scanned = pd.DataFrame(columns=list(SCAN_COLUMNS))
    if scan:
        scanned = subgroup_scan(cells, list(scan), min_cell=m, rng=rng)
        withheld = _withheld_cells(result, parts, scan[-1] if strata else None)
        risky = np.array(
            [
                any(_overlap(_fixed(str(name)), cell) for cell in withheld)
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
                s=int(multiplicity["survives"].sum()),
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
