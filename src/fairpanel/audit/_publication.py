"""Every count one audit publishes, gathered as one system of sums and bounds.

:func:`gather` declares each published count (every attribute's groups, intersections,
nested attributes, strata, funnel stages) as a cell of a
:class:`~fairpanel.audit._disclosure.Disclosure`, with every sum and bound a reader
knows, and solves the suppression over all of them at once. :func:`round_lottery`
rounds the lottery table's decimals so they say no more than the published counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
import pandas as pd

from fairpanel.audit._disclosure import Disclosure
from fairpanel.audit._suppress import primary_hidden

__all__ = ["SEP", "Nesting", "funnel_keys", "gather", "nestings", "protect_rows", "round_lottery"]

#: Separator of an intersection's attribute names and group values.
SEP = " × "
#: Decimals of a published chance (of an adverse-impact ratio below four-fifths).
CHANCE_DECIMALS: Final = 2

Key = tuple[str, ...]


def funnel_keys(attr: str, group: str, stages: Sequence[str]) -> list[tuple[Key, Key]]:
    """(reached key, passed key) per stage; the last stage's passers are the selected."""
    keys = []
    reached: Key = ("n", attr, group)
    for j, stage in enumerate(stages):
        passed: Key = ("k", attr, group) if j == len(stages) - 1 else ("p", attr, group, stage)
        keys.append((reached, passed))
        reached = passed
    return keys


#: A nesting of one attribute in another: (child attribute, parent attribute, child
#: group -> parent group), e.g. country inside region.
Nesting = tuple[str, str, Mapping[str, str]]


def nestings(
    cells: pd.DataFrame, attributes: Sequence[str], parts: Mapping[str, tuple[str, ...]]
) -> list[Nesting]:
    """Attributes whose every group lies inside one group of another (country in region).

    A reader knows the geography: a nested attribute's counts add up to its parent's,
    a sum the suppression must account for.

    Parameters
    ----------
    cells : DataFrame
        One row per combination of the attributes' groups (with applicants).
    attributes : sequence of str
        The audited attributes.
    parts : mapping
        Intersections and their components (an intersection is nested by construction).
    """
    plain = [a for a in attributes if a not in parts and a in cells.columns]
    out: list[Nesting] = []
    for child in plain:
        for parent in plain:
            if child == parent:
                continue
            pairs = cells[[child, parent]].astype(str).drop_duplicates()
            if pairs[child].is_unique and (pairs[parent] != pairs[parent].iloc[0]).any():
                out.append((child, parent, dict(zip(pairs[child], pairs[parent], strict=True))))
    return out


def _sums(
    cs: Disclosure,
    kinds: Sequence[str],
    attr: str,
    names: Sequence[str],
    parts: Mapping[str, tuple[str, ...]],
    nested: Sequence[Nesting],
    prefix: tuple[str, ...] = (),
) -> None:
    """Declare that an intersection's (or a nested attribute's) cells add up to the parent's."""

    def key(kind: str, a: str, x: str) -> Key:
        return (kind, a, *prefix, x) if prefix else (kind, a, x)

    for i, comp in enumerate(parts.get(attr, ())):
        values = [name.split(SEP) for name in names]
        for v in sorted({vals[i] for vals in values}):
            members = [n for n, vals in zip(names, values, strict=True) if vals[i] == v]
            for kind in kinds:
                if key(kind, comp, v) in cs:
                    cs.equation([key(kind, attr, n) for n in members], key(kind, comp, v))
    for child, parent, up in nested:
        if child != attr:
            continue
        for v in sorted(set(up.values())):
            members = [n for n in names if up.get(n) == v]
            for kind in kinds:
                if members and key(kind, parent, v) in cs:
                    cs.equation([key(kind, attr, n) for n in members], key(kind, parent, v))


def gather(
    t: Mapping[str, pd.DataFrame],
    parts: Mapping[str, tuple[str, ...]],
    stages: Sequence[str],
    m: int,
    nested: Sequence[Nesting] = (),
) -> Disclosure:
    """Every published count as a cell; every sum and bound a reader knows, as constraints.

    The grand totals (applicants, selected, each stage's passers, each stratum's
    applicants and selected) are taken as published: a committee publishes them, and
    any fully visible attribute gives them away.
    """
    cs = Disclosure()
    groups = t["groups"]
    totals: dict[str, int] = {}
    for attr_, g in groups.groupby("attribute", sort=False):
        attr = str(attr_)
        n = g["applicants"].to_numpy(np.int64)
        k = g["selected"].to_numpy(np.int64)
        totals.setdefault("n", int(n.sum()))
        totals.setdefault("k", int(k.sum()))
        hide_n, hide_k = primary_hidden(n, k, m)
        names = [str(x) for x in g["group"]]
        for i, name in enumerate(names):
            # a listed group has at least one applicant
            cs.add(("n", attr, name), n[i], hide_n[i], low=1)
            cs.add(("k", attr, name), k[i], hide_k[i])
            cs.at_most(("k", attr, name), ("n", attr, name))
    for kind, value in totals.items():
        cs.add(("total", kind), value, False, fixed=True)
    # Keep the reference group visible when a complement can be found elsewhere.
    comparisons = t["comparisons"]
    for attr_, ref in zip(comparisons["attribute"], comparisons["reference"], strict=True):
        for kind in ("n", "k"):
            cs.protect((kind, str(attr_), ref))
    funnel = t["funnel"]
    for (f_attr, stage), f in funnel.groupby(["attribute", "stage"], sort=False):
        j = list(stages).index(str(stage))
        reached = f["reached"].to_numpy(np.int64)
        passed = f["passed"].to_numpy(np.int64)
        _, hide = primary_hidden(reached, passed, m)
        for i, name in enumerate(f["group"].astype(str).tolist()):
            kr, kp = funnel_keys(str(f_attr), name, stages)[j]
            cs.add(kp, passed[i], hide[i])
            cs.at_most(kp, kr)
        cs.add(("total", "p", str(stage)), int(passed.sum()), False, fixed=True)
        # the stage's ratios are taken against its reference: keep it visible if possible
        for ref in set(f["reference"].astype(str)):
            for key in funnel_keys(str(f_attr), ref, stages)[j]:
                cs.protect(key)
    for attr_, g in groups.groupby("attribute", sort=False):
        attr = str(attr_)
        names = [str(x) for x in g["group"]]
        cs.equation([("n", attr, x) for x in names], ("total", "n"))
        cs.equation([("k", attr, x) for x in names], ("total", "k"))
        for stage in stages[:-1]:
            cs.equation([("p", attr, x, stage) for x in names], ("total", "p", stage))
        _sums(cs, ("n", "k"), attr, names, parts, nested)
        for stage in stages[:-1]:
            _stage_sums(cs, attr, names, stage, parts, nested)
    rates = t["stratum_rates"]
    if len(rates):
        _strata(cs, rates, parts, nested, m)
    cs.solve()
    return cs


def _stage_sums(
    cs: Disclosure,
    attr: str,
    names: Sequence[str],
    stage: str,
    parts: Mapping[str, tuple[str, ...]],
    nested: Sequence[Nesting],
) -> None:
    """Declare the same sums for a funnel stage's passers."""
    # the stage key carries the stage last: ("p", attr, group, stage)
    for i, comp in enumerate(parts.get(attr, ())):
        values = [name.split(SEP) for name in names]
        for v in sorted({vals[i] for vals in values}):
            members = [n for n, vals in zip(names, values, strict=True) if vals[i] == v]
            if ("p", comp, v, stage) in cs:
                cs.equation([("p", attr, n, stage) for n in members], ("p", comp, v, stage))
    for child, parent, up in nested:
        if child == attr:
            for v in sorted(set(up.values())):
                members = [n for n in names if up.get(n) == v]
                if members and ("p", parent, v, stage) in cs:
                    cs.equation([("p", attr, n, stage) for n in members], ("p", parent, v, stage))


def _strata(
    cs: Disclosure,
    rates: pd.DataFrame,
    parts: Mapping[str, tuple[str, ...]],
    nested: Sequence[Nesting],
    m: int,
) -> None:
    """Per-stratum cells: they add up over strata to the group, over groups to the stratum."""
    n = rates["applicants"].to_numpy(np.int64)
    k = rates["selected"].to_numpy(np.int64)
    hide_n, hide_k = primary_hidden(n, k, m)
    frame = rates.astype({"attribute": str, "stratum": str, "group": str})
    keys = list(frame[["attribute", "stratum", "group"]].itertuples(index=False, name=None))
    for i, (a, s, x) in enumerate(keys):
        cs.add(("sn", a, s, x), n[i], hide_n[i], low=1)
        cs.add(("sk", a, s, x), k[i], hide_k[i])
        cs.at_most(("sk", a, s, x), ("sn", a, s, x))
    first = str(frame["attribute"].iloc[0])
    for st, r in frame[frame["attribute"] == first].groupby("stratum", sort=False):
        cs.add(("total", "sn", str(st)), int(r["applicants"].sum()), False, fixed=True)
        cs.add(("total", "sk", str(st)), int(r["selected"].sum()), False, fixed=True)
    for (a, x), r in frame.groupby(["attribute", "group"], sort=False):
        for kind, total in (("sn", "n"), ("sk", "k")):
            cs.equation([(kind, a, st, x) for st in r["stratum"]], (total, a, x))
    for (a, st), r in frame.groupby(["attribute", "stratum"], sort=False):  # type: ignore[assignment]
        names = [str(x) for x in r["group"]]
        for kind in ("sn", "sk"):
            cs.equation([(kind, a, st, x) for x in names], ("total", kind, st))
        # within a stratum, an intersection's cells add up to its components' cells
        _sums(cs, ("sn", "sk"), str(a), names, parts, nested, prefix=(str(st),))


def round_lottery(
    lottery: pd.DataFrame, summary: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Round the lottery's decimals so they carry no more than the published counts.

    An expected number selected is ``funded + π · entrants`` per group; printed to 12
    decimals it has a single whole-number solution, which gives away how many of the
    group were funded outright and how many entered the draw. It is published as a
    whole number (its rate, and the smallest expected rate over the largest, follow
    from that), and the chances of an adverse-impact ratio below four-fifths to
    :data:`CHANCE_DECIMALS` decimals (the Monte Carlo error with three).

    Parameters
    ----------
    lottery, summary : DataFrame
        The lottery tables, suppressed rows already missing.
    """
    lt = lottery.copy()
    ls = summary.copy()
    if not len(lt):
        return lt, ls
    expected = pd.to_numeric(lt["expected_selected"], errors="coerce").astype(float)
    n = pd.to_numeric(lt["applicants"], errors="coerce").astype(float)
    lt["expected_selected"] = expected.round(0)
    lt["expected_rate"] = lt["expected_selected"].astype(float) / n.where(n > 0)
    chance = pd.to_numeric(lt["p_air_below_four_fifths"], errors="coerce").astype(float)
    lt["p_air_below_four_fifths"] = chance.round(CHANCE_DECIMALS)
    for attr, part in lt.groupby("attribute", sort=False):
        # set only where published: every group of the attribute is then visible
        rate = part["expected_rate"].astype(float)
        top = float(rate.max())
        ratio = float(rate.min()) / top if top > 0 else float("nan")
        at = (ls["attribute"] == attr) & ls["min_air_of_expected_rates"].notna()
        ls.loc[at, ["min_air_of_expected_rates", "expected_min_air"]] = ratio
    for col in ("p_any_air_below_four_fifths", "expected_min_air_of_draws"):
        ls[col] = pd.to_numeric(ls[col], errors="coerce").astype(float).round(CHANCE_DECIMALS)
    ls["mc_se"] = pd.to_numeric(ls["mc_se"], errors="coerce").astype(float).round(3)
    return lt, ls


def protect_rows(
    owner: np.ndarray,
    attribute: np.ndarray,
    group: np.ndarray,
    count: np.ndarray,
    total: np.ndarray,
    hidden: np.ndarray,
) -> np.ndarray:
    """Rows to hide of a table of counts per owner and group (a reviewer's reviews).

    Each owner's counts over the groups of one attribute add up to the owner's total,
    taken as public (the reviews table lists every reviewer's reviews): hidden rows are
    complemented until no hidden count can be worked out within the protection interval.

    Parameters
    ----------
    owner, attribute, group : ndarray
        Each row's owner (reviewer), attribute and group.
    count : ndarray of int
        Each row's count (at least 1: a row is listed because it has one).
    total : ndarray of int
        The owner's total, on each of the owner's rows.
    hidden : ndarray of bool
        The rows hidden on their own.
    """
    cs = Disclosure()
    keys = [(str(o), str(a), str(g)) for o, a, g in zip(owner, attribute, group, strict=True)]
    lines: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for i, key in enumerate(keys):
        cs.add(key, int(count[i]), bool(hidden[i]), low=1)
        cs.add(("total", key[0]), int(total[i]), False, fixed=True)
        lines.setdefault(key[:2], []).append(key)
    for (o, _), members in lines.items():
        cs.equation(members, ("total", o))
    cs.solve()
    return np.array([cs.hidden(key) for key in keys], dtype=bool)
