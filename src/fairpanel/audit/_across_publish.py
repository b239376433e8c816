"""Publishing what the audit adds across cycles and subgroups: suppression rules.

The per-cycle cells are new published counts, tied to the published group totals; a
scanned subgroup is a new sum over the cells. Both follow the audit's rule: nothing
published lets a withheld cell be recomputed (:mod:`fairpanel.audit._suppress`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from fairpanel.audit._cycles import CYCLE_COLUMNS
from fairpanel.audit._disclosure import Disclosure
from fairpanel.audit._publish import SEP
from fairpanel.audit._result import AuditResult
from fairpanel.audit._suppress import primary_hidden

__all__ = ["fixed_values", "hide_cycles", "overlap", "withheld_cells", "withhold"]


def hide_cycles(
    tables: list[pd.DataFrame], groups: pd.DataFrame, parts: Mapping[str, tuple[str, ...]], m: int
) -> pd.DataFrame:
    """Withhold small per-cycle cells and the cells that would reveal them.

    Per group, the cycle cells add up to the published total (kept as it is: a
    constant where published, unknown where the published table hides it); per cycle,
    the groups' cells add up to the cycle's total (taken as public); an intersection's
    cells add up to its components'. The attacker's integer program runs over all of
    it (:class:`~fairpanel.audit._disclosure.Disclosure`). Should a cell stay under-protected
    (only hiding a published total would cover it), every cycle cell of that attribute
    is withheld instead.
    """
    if not tables:
        return pd.DataFrame(columns=list(CYCLE_COLUMNS))
    cyc = pd.concat(tables, ignore_index=True)
    cs = Disclosure()
    n = cyc["applicants"].to_numpy(np.int64)
    k = cyc["selected"].to_numpy(np.int64)
    keys = list(
        cyc[["attribute", "cycle", "group"]].astype(str).itertuples(index=False, name=None)
    )
    # the groups' true totals are the sums of their cycles' cells
    true = {}
    for (a, x), part in cyc.groupby(["attribute", "group"], sort=False):
        true[("n", str(a), str(x))] = int(part["applicants"].sum())
        true[("k", str(a), str(x))] = int(part["selected"].sum())
    first = cyc[cyc["attribute"] == cyc["attribute"].iloc[0]]
    totals = {"n": int(first["applicants"].sum()), "k": int(first["selected"].sum())}
    for kind, value in totals.items():
        cs.add(("total", kind), value, False, fixed=True)
    # the published table is settled: its visible cells are constants, never hidden here
    for a, x, pn, pk in groups[["attribute", "group", "applicants", "selected"]].itertuples(
        index=False
    ):
        for kind, shown in (("n", pn), ("k", pk)):
            key = (kind, str(a), str(x))
            if key in true:
                hid = bool(pd.isna(shown))
                cs.add(key, true[key], hid, low=int(kind == "n"), fixed=not hid)
        if ("n", str(a), str(x)) in true:
            cs.at_most(("k", str(a), str(x)), ("n", str(a), str(x)))
    hide_n, hide_k = primary_hidden(n, k, m)
    for i, key in enumerate(keys):
        cs.add(("cn", *key), n[i], hide_n[i], low=min(1, int(n[i])))
        cs.add(("ck", *key), k[i], hide_k[i])
        cs.at_most(("ck", *key), ("cn", *key))
    for a, part in groups.groupby("attribute", sort=False):
        names = [str(x) for x in part["group"]]
        for kind in ("n", "k"):
            if all((kind, str(a), x) in cs for x in names):
                cs.equation([(kind, str(a), x) for x in names], ("total", kind))
    for (a, x), part in cyc.groupby(["attribute", "group"], sort=False):
        for kind, total in (("cn", "n"), ("ck", "k")):
            cs.equation([(kind, a, c, x) for c in part["cycle"]], (total, a, x))
    for (a, c), part in cyc.groupby(["attribute", "cycle"], sort=False):
        cs.add(("total", "cn", c), int(part["applicants"].sum()), False, fixed=True)
        cs.add(("total", "ck", c), int(part["selected"].sum()), False, fixed=True)
        for kind in ("cn", "ck"):
            cs.equation([(kind, a, c, x) for x in part["group"]], ("total", kind, c))
            for i, comp in enumerate(parts.get(str(a), ())):
                values = [str(x).split(SEP) for x in part["group"]]
                for v in sorted({vals[i] for vals in values}):
                    members = [
                        x for x, vals in zip(part["group"], values, strict=True) if vals[i] == v
                    ]
                    if (kind, comp, c, v) in cs:
                        cs.equation([(kind, a, c, x) for x in members], (kind, comp, c, v))
    cs.solve()
    # a cell left unprotected (only a published total could have covered it): withhold
    # every cycle cell of its attribute (and of the intersections sharing its parts)
    broken = {str(key[1]) for key in cs.unprotected if isinstance(key, tuple)}
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


def fixed_values(subgroup: str) -> dict[str, str]:
    """Return the values a scanned subgroup fixes (``gender = w × stage = early``)."""
    return dict(part.split(" = ", 1) for part in subgroup.split(SEP))


def overlap(a: Mapping[str, str], b: Mapping[str, str]) -> bool:
    """Whether two cells share applicants: no attribute fixed to different values."""
    return all(b[k] == v for k, v in a.items() if k in b)


def withheld_cells(
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


def withhold(frame: pd.DataFrame, bad: np.ndarray, keep: Sequence[str]) -> pd.DataFrame:
    out = frame.copy()
    if len(out) and bad.any():
        stats_cols = [c for c in out.columns if c not in keep]
        out[stats_cols] = out[stats_cols].astype(object)
        out.loc[bad, stats_cols] = None
        out = out.infer_objects()
    return out
