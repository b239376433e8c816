"""Where is the gap? A subgroup scan with the price of looking.

Over every conjunction of the named attributes' values (``gender = women``,
``gender = women × career_stage = early``, ...) with at least the minimum cell of
applicants, the scan finds the subgroups whose selection rate departs most from what
the overall rate leads one to expect, by the standardized difference ``z = (k − n p̄) /
sd``, with the hypergeometric standard deviation of ``k`` when ``K`` of ``N`` are
selected at random (``sd² = n p̄ (1 − p̄) (N − n) / (N − 1)``).

Looking at many subgroups and reporting the most extreme finds "gaps" in pure noise.
The p-value pays for the search: it is the share of permutations of the decisions
(the selected counts redrawn at random over the applicants, totals fixed: a
multivariate hypergeometric draw over the finest cells) in which the *largest* |z| over
all the subgroups searched reaches the subgroup's own (Westfall & Young 1993, single-step
max-T). AIF360's MDSS bias scan finds such subgroups too but gives no search-adjusted
p-value.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from fairpanel.audit._suppress import primary_hidden

__all__ = ["SCAN_COLUMNS", "SCAN_REPLICATES", "SCAN_TOP", "subgroup_scan"]

SCAN_COLUMNS: Final[tuple[str, ...]] = (
    "rank",
    "subgroup",
    "attributes",
    "applicants",
    "selected",
    "selection_rate",
    "expected_rate",
    "statistic",
    "p_value",
    "subgroups_searched",
    "replicates",
    "suppressed",
)
#: Permutations of the decisions behind the search-adjusted p-value.
SCAN_REPLICATES: Final[int] = 2000
#: How many of the most extreme subgroups are published.
SCAN_TOP: Final[int] = 5
#: How a conjunction is written: ``gender = women × career_stage = early``.
_AND: Final = " × "


def _subgroups(
    cells: pd.DataFrame, attributes: Sequence[str]
) -> tuple[list[str], list[str], np.ndarray]:
    """Every conjunction of attribute values: names, attributes, membership over cells."""
    values = [sorted(cells[a].astype(str).unique()) for a in attributes]
    cols = [cells[a].astype(str).to_numpy() for a in attributes]
    names, which, rows = [], [], []
    for combo in itertools.product(*[[None, *v] for v in values]):
        fixed = [
            (a, v, c) for a, v, c in zip(attributes, combo, cols, strict=True) if v is not None
        ]
        if not fixed:
            continue
        member = np.ones(len(cells), dtype=bool)
        for _, v, c in fixed:
            member &= c == v
        names.append(_AND.join(f"{a} = {v}" for a, v, _ in fixed))
        which.append(_AND.join(a for a, _, _ in fixed))
        rows.append(member)
    return names, which, np.asarray(rows, dtype=np.float64).reshape(len(rows), len(cells))


def subgroup_scan(
    cells: pd.DataFrame,
    attributes: Sequence[str],
    *,
    min_cell: int,
    rng: np.random.Generator,
    replicates: int = SCAN_REPLICATES,
    top: int = SCAN_TOP,
) -> pd.DataFrame:
    """Find the subgroups departing most from the overall rate, with search-adjusted p-values.

    Parameters
    ----------
    cells : DataFrame
        One row per combination of the ``attributes`` (the finest cells), with
        ``applicants`` and ``selected``.
    attributes : sequence of str
        The attributes whose value conjunctions are searched.
    min_cell : int
        Fewest applicants (and applicants outside) a subgroup needs to be searched;
        a subgroup whose selected or not selected count is below it is searched but
        its counts are not published (``suppressed``).
    rng : numpy.random.Generator
        The permutations' random stream.
    replicates : int, default 2000
        Permutations of the decisions.
    top : int, default 5
        How many subgroups to return, most extreme first.

    Returns
    -------
    DataFrame
        :data:`SCAN_COLUMNS`; ``p_value`` is the chance that, with decisions unrelated
        to the attributes, some searched subgroup departs at least as far.

    Examples
    --------
    >>> cells = pd.DataFrame({"gender": ["m", "m", "w", "w"], "stage": ["a", "b", "a", "b"],
    ...                       "applicants": [50, 50, 50, 50], "selected": [20, 20, 20, 2]})
    >>> scan = subgroup_scan(cells, ["gender", "stage"], min_cell=5,
    ...                      rng=np.random.default_rng(0), replicates=200)
    >>> scan["subgroup"].iloc[0], bool(scan["p_value"].iloc[0] < 0.01)
    ('gender = w × stage = b', True)
    """
    cells = cells.groupby(list(attributes), as_index=False, sort=True)[
        ["applicants", "selected"]
    ].sum()
    cells = cells[cells["applicants"] > 0].reset_index(drop=True)
    n_cell = cells["applicants"].to_numpy(np.int64)
    k_cell = cells["selected"].to_numpy(np.int64)
    total, chosen = int(n_cell.sum()), int(k_cell.sum())
    names, which, member = _subgroups(cells, attributes)
    n = member @ n_cell
    keep = (n >= max(min_cell, 1)) & (total - n >= max(min_cell, 1))
    names = [x for x, kept in zip(names, keep, strict=True) if kept]
    which = [x for x, kept in zip(which, keep, strict=True) if kept]
    member, n = member[keep], n[keep]
    if not len(names) or chosen in (0, total):
        return pd.DataFrame(columns=list(SCAN_COLUMNS))
    rate = chosen / total
    sd = np.sqrt(n * rate * (1 - rate) * (total - n) / (total - 1))
    k = member @ k_cell
    z = (k - n * rate) / sd
    draws = rng.multivariate_hypergeometric(n_cell, chosen, size=replicates)  # [r, cell]
    null_max = np.max(np.abs((draws @ member.T - n * rate) / sd), axis=1)
    p = (1 + (null_max[None, :] >= np.abs(z)[:, None] - 1e-12).sum(axis=1)) / (replicates + 1)
    order = np.argsort(-np.abs(z), kind="stable")[:top]
    hide_n, hide_k = primary_hidden(n[order].astype(np.int64), k[order].astype(np.int64), min_cell)
    hidden = hide_n | hide_k
    out = pd.DataFrame(
        {
            "rank": np.arange(1, order.size + 1),
            "subgroup": [names[i] for i in order],
            "attributes": [which[i] for i in order],
            "applicants": n[order].astype(np.int64),
            "selected": k[order].astype(np.int64),
            "selection_rate": k[order] / n[order],
            "expected_rate": rate,
            "statistic": z[order],
            "p_value": p[order],
            "subgroups_searched": len(names),
            "replicates": replicates,
            "suppressed": hidden,
        },
        columns=list(SCAN_COLUMNS),
    )
    out["applicants"] = out["applicants"].astype("Int64")
    out["selected"] = out["selected"].astype("Int64")
    out.loc[hidden, ["applicants", "selected"]] = pd.NA
    out.loc[hidden, ["selection_rate", "statistic"]] = np.nan
    return out
