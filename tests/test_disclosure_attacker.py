"""An interval attacker against what one audit publishes: no hidden count is pinned.

The attacker reads the audit's JSON, as a reader of the published file would, and writes
the integer program of statistical offices' disclosure audit (Hundepool et al. 2012,
*Statistical Disclosure Control*, §4.4; de Wolf, *τ-ARGUS user's manual*, "audit"):
every published count is a constant, every withheld one a whole number of at least 0;
the counts of an attribute add up to the totals the committee announces (applicants,
selected, each stage's passers, each stratum's); an intersection's cells add up to its
components' cells, a nested attribute's to its parent's, a stratum's cells to the
group's; no more selected than applicants, no more passers than entrants, a listed
group has at least one applicant; a published rate times the published applicants is
the selected count; a lottery's expected number selected is ``funded + π · entrants``
within its rounding. For each withheld count it solves ``min`` and ``max`` with
``scipy.optimize.milp`` and asserts the range is at least 4 wide (the promise of
``docs/audit.md``: no value pinned within ± 2, no zero proven).

This code is written from the published layout, not from the audit's internals.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, sparse

from fairpanel.audit import audit
from fairpanel.audit._disclosure import Disclosure

SEP = " × "
WIDTH = 4
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "telescope" / "submissions.csv"


class Program:
    """Cells (known or unknown), linear constraints ``lo <= sum(c * cell) <= hi``."""

    def __init__(self) -> None:
        self.value: dict[tuple, float | None] = {}
        self.low: dict[tuple, float] = {}
        self.rows: list[tuple[dict[tuple, float], float, float]] = []
        #: the smallest announced total each cell is part of: [0, total] is all it can get
        self.cap: dict[tuple, float] = {}

    def cell(self, key: tuple, value: object, low: float = 0.0) -> None:
        v = None if value is None or pd.isna(value) else float(value)
        if self.value.get(key) is None:
            self.value[key] = v
        self.low[key] = max(self.low.get(key, 0.0), low)

    def sums(self, parts: list[tuple], total: tuple | float) -> None:
        coef = dict.fromkeys(parts, 1.0)
        if isinstance(total, tuple):
            coef[total] = coef.get(total, 0.0) - 1.0
            self.rows.append((coef, 0.0, 0.0))
        else:
            self.rows.append((coef, float(total), float(total)))
            for k in parts:
                self.cap[k] = min(self.cap.get(k, np.inf), float(total))

    def between(self, coef: dict[tuple, float], lo: float, hi: float) -> None:
        self.rows.append((coef, lo, hi))

    def ranges(self, keys: list[tuple]) -> dict[tuple, tuple[float, float]]:
        """The attacker's range of each unknown in ``keys`` (witnesses spare solves)."""
        unknown = [k for k, v in self.value.items() if v is None]
        pos = {k: j for j, k in enumerate(unknown)}
        r, c, d, lo, hi = [], [], [], [], []
        for coef, a, b in self.rows:
            const = sum(w * self.value[k] for k, w in coef.items() if k not in pos)
            row = [(pos[k], w) for k, w in coef.items() if k in pos and w != 0]
            if not row:
                assert a - 1e-9 <= const <= b + 1e-9
                continue
            for j, w in row:
                r.append(len(lo))
                c.append(j)
                d.append(w)
            lo.append(a - const)
            hi.append(b - const)
        m = len(unknown)
        a_mat = sparse.csr_array((d, (r, c)), shape=(len(lo), m))
        kw = {
            "constraints": [optimize.LinearConstraint(a_mat, lo, hi)],
            "bounds": optimize.Bounds([self.low[k] for k in unknown], np.inf),
            "integrality": np.ones(m),
        }
        seen_lo = np.full(m, np.inf)
        seen_hi = np.full(m, -np.inf)

        def solve(cost: np.ndarray) -> float | None:
            res = optimize.milp(cost, **kw)
            if res.status != 0:
                return None
            np.minimum(seen_lo, res.x, out=seen_lo)
            np.maximum(seen_hi, res.x, out=seen_hi)
            return float(res.x @ cost)

        for cost in np.random.default_rng(1).choice([-1.0, 1.0], (3, m)):
            solve(cost)
            solve(-cost)
        out = {}
        for key in keys:
            j = pos[key]
            if seen_hi[j] - seen_lo[j] < WIDTH:
                e = np.zeros(m)
                e[j] = 1.0
                top = solve(-e)
                low = solve(e)
                seen_hi[j] = np.inf if top is None else seen_hi[j]
                seen_lo[j] = -np.inf if low is None else seen_lo[j]
            out[key] = (float(seen_lo[j]), float(seen_hi[j]))
        return out


def read_publication(doc: dict, announced: dict, nested: dict | None = None) -> Program:
    """The attacker's program from an audit JSON and the totals the committee announces."""
    p = Program()
    attrs = doc["attributes"]
    for attr, body in attrs.items():
        names = [g["group"] for g in body["groups"]]
        for g in body["groups"]:
            n, k = ("n", attr, g["group"]), ("k", attr, g["group"])
            p.cell(n, g["applicants"], low=1)
            p.cell(k, g["selected"])
            p.between({k: 1, n: -1}, -np.inf, 0)
            if g["selection_rate"] is not None and g["applicants"] is not None:
                p.sums([k], round(g["selection_rate"] * g["applicants"]))
        p.sums([("n", attr, x) for x in names], announced["n"])
        p.sums([("k", attr, x) for x in names], announced["k"])
        if SEP in attr:
            for i, comp in enumerate(attr.split(SEP)):
                for v in {x.split(SEP)[i] for x in names}:
                    members = [x for x in names if x.split(SEP)[i] == v]
                    for kind in ("n", "k"):
                        p.sums([(kind, attr, x) for x in members], (kind, comp, v))
        for row in body.get("stratum_rates", []):
            s, x = row["stratum"], row["group"]
            p.cell(("sn", attr, s, x), row["applicants"], low=1)
            p.cell(("sk", attr, s, x), row["selected"])
            p.between({("sk", attr, s, x): 1, ("sn", attr, s, x): -1}, -np.inf, 0)
        rates = pd.DataFrame(body.get("stratum_rates", []))
        if len(rates):
            for x, part in rates.groupby("group"):
                for kind, total in (("sn", "n"), ("sk", "k")):
                    p.sums([(kind, attr, s, x) for s in part["stratum"]], (total, attr, x))
            for s, part in rates.groupby("stratum"):
                for kind in ("sn", "sk"):
                    p.sums([(kind, attr, s, x) for x in part["group"]], announced[kind][s])
        _cycles(p, attr, body.get("cycles", []), announced)
        _funnel(p, attr, body.get("funnel", []), announced)
        _lottery(p, attr, body.get("lottery", []), announced)
    for child, (parent, up) in (nested or {}).items():
        for v in set(up.values()):
            for kind in ("n", "k"):
                members = [(kind, child, x) for x, y in up.items() if y == v]
                p.sums(members, (kind, parent, v))
    return p


def _cycles(p: Program, attr: str, rows: list[dict], announced: dict) -> None:
    """Per-cycle cells add up to the group's cells and to each cycle's announced totals."""
    frame = pd.DataFrame(rows)
    if not len(frame):
        return
    for r in rows:
        c, x = str(r["cycle"]), r["group"]
        p.cell(("cn", attr, c, x), r["applicants"])
        p.cell(("ck", attr, c, x), r["selected"])
        p.between({("ck", attr, c, x): 1, ("cn", attr, c, x): -1}, -np.inf, 0)
    frame["cycle"] = frame["cycle"].astype(str)
    for x, part in frame.groupby("group"):
        for kind, total in (("cn", "n"), ("ck", "k")):
            p.sums([(kind, attr, c, x) for c in part["cycle"]], (total, attr, x))
    for c, part in frame.groupby("cycle"):
        for kind in ("cn", "ck"):
            p.sums([(kind, attr, c, x) for x in part["group"]], announced[kind][c])


def _funnel(p: Program, attr: str, rows: list[dict], announced: dict) -> None:
    frame = pd.DataFrame(rows)
    if not len(frame):
        return
    stages = list(dict.fromkeys(frame["stage"]))
    for r in rows:
        j = stages.index(r["stage"])
        reached = ("n", attr, r["group"]) if j == 0 else ("p", attr, r["group"], stages[j - 1])
        passed = (
            ("k", attr, r["group"])
            if j == len(stages) - 1
            else ("p", attr, r["group"], r["stage"])
        )
        p.cell(reached, r["reached"])
        p.cell(passed, r["passed"])
        p.between({passed: 1, reached: -1}, -np.inf, 0)
    for stage in stages[:-1]:
        groups = frame.loc[frame["stage"] == stage, "group"]
        p.sums([("p", attr, x, stage) for x in groups], announced["stages"][stage])


def _lottery(p: Program, attr: str, rows: list[dict], announced: dict) -> None:
    """Expected selected = funded + π · entrants (π and the tier sizes are public)."""
    if not rows:
        return
    pi = announced["pi"]
    for r in rows:
        x = r["group"]
        f, e = ("funded", attr, x), ("entrants", attr, x)
        p.cell(f, None)
        p.cell(e, None)
        p.cell(("n", attr, x), r["applicants"], low=1)
        p.cell(("k", attr, x), r["realized_selected"])
        p.between({f: 1, e: 1, ("n", attr, x): -1}, -np.inf, 0)
        p.between({f: 1, ("k", attr, x): -1}, -np.inf, 0)
        if r["expected_selected"] is not None:
            v = float(r["expected_selected"])
            # a whole number was rounded (± 0.5); anything else is exact
            tol = 0.5 if v == round(v) else 1e-6
            p.between({f: 1, e: pi}, v - tol, v + tol)
    groups = [r["group"] for r in rows]
    p.sums([("funded", attr, x) for x in groups], announced["funded"])
    p.sums([("entrants", attr, x) for x in groups], announced["entrants"])


def assert_nothing_pinned(doc: dict, announced: dict, nested: dict | None = None) -> int:
    p = read_publication(doc, announced, nested)
    hidden = [
        k
        for k, v in p.value.items()
        if v is None and k[0] in ("n", "k", "p", "sn", "sk", "cn", "ck")
    ]
    assert_wide(p, hidden)
    return len(hidden)


def assert_wide(p: Program, hidden: list[tuple]) -> None:
    """Each range at least WIDTH wide, or all of [0, T] within an announced total T."""
    ranges = p.ranges(hidden)
    pinned = {k: r for k, r in ranges.items() if r[1] - r[0] < min(WIDTH, p.cap.get(k, np.inf))}
    assert not pinned, pinned


def announced_totals(d: pd.DataFrame, strata: str | None = None, stages=()) -> dict:
    out = {"n": len(d), "k": int(d["selected"].sum()), "sn": {}, "sk": {}, "stages": {}}
    if "cycle" in d.columns:
        out["cn"] = {str(c): len(part) for c, part in d.groupby("cycle")}
        out["ck"] = {str(c): int(part["selected"].sum()) for c, part in d.groupby("cycle")}
    if strata is not None:
        for s, part in d.groupby(strata):
            out["sn"][str(s)] = len(part)
            out["sk"][str(s)] = int(part["selected"].sum())
    for stage in stages:
        out["stages"][stage] = int(d[stage].sum())
    return out


@pytest.fixture(scope="module")
def telescope() -> pd.DataFrame:
    d = pd.read_csv(EXAMPLE, dtype=str)
    rng = np.random.default_rng(2026)
    d["selected"] = 0
    d.loc[rng.choice(len(d), 30, replace=False), "selected"] = 1
    return d


def test_telescope_with_an_intersection(telescope):
    res = audit(telescope, groups=["gender", "career_stage"], intersect=True)
    assert res.groups["suppressed"].any()
    assert assert_nothing_pinned(res.to_dict(), announced_totals(telescope)) > 0


def test_telescope_with_strata(telescope):
    res = audit(telescope, groups=["gender", "career_stage"], strata="region")
    doc = res.to_dict()
    assert assert_nothing_pinned(doc, announced_totals(telescope, "region")) > 0


def test_two_zero_groups_are_not_proven_from_the_totals():
    # 3 and 2 applicants, none selected: without more hidden, k = K - visible = 0 + 0
    d = pd.DataFrame(
        {
            "career": ["phd"] * 3 + ["emeritus"] * 2 + ["faculty"] * 60 + ["postdoc"] * 45,
            "selected": [0] * 5 + [1] * 20 + [0] * 40 + [1] * 12 + [0] * 33,
        }
    )
    d.insert(0, "submission_id", [f"s{i}" for i in range(len(d))])
    res = audit(d, groups="career")
    assert assert_nothing_pinned(res.to_dict(), announced_totals(d)) >= 4


def test_nested_attributes_country_inside_region():
    rows = (
        [("Europe", "DE")] * 40 + [("Europe", "FR")] * 3 + [("Europe", "IT")] * 30
        + [("Asia", "JP")] * 35 + [("Asia", "IN")] * 25
    )  # fmt: skip
    d = pd.DataFrame(rows, columns=["region", "country"])
    d.insert(0, "submission_id", [f"s{i}" for i in range(len(d))])
    rng = np.random.default_rng(3)
    d["selected"] = (rng.random(len(d)) < 0.3).astype(int)
    d.loc[d["country"] == "FR", "selected"] = [1, 0, 0]
    res = audit(d, groups=["region", "country"])
    up = dict(zip(d["country"], d["region"], strict=False))
    assert assert_nothing_pinned(res.to_dict(), announced_totals(d), {"country": ("region", up)})


def test_funnel_stages(telescope):
    d = telescope.copy()
    rng = np.random.default_rng(5)
    d["screened"] = (rng.random(len(d)) < 0.6).astype(int) | d["selected"]
    stages = ["screened", "selected"]
    res = audit(d, groups=["gender", "career_stage"], stages=stages)
    assert assert_nothing_pinned(res.to_dict(), announced_totals(d, stages=stages[:-1]))


def test_cycles(telescope):
    d = telescope.copy()
    d["cycle"] = np.tile(["2024", "2025", "2026"], len(d) // 3)
    res = audit(d, groups=["gender", "career_stage"], cycle="cycle")
    doc = res.to_dict()
    assert any("cycles" in body for body in doc["attributes"].values())
    assert assert_nothing_pinned(doc, announced_totals(d)) > 0


def test_lottery_expectations_pin_neither_counts_nor_tiers(telescope):
    d = telescope.copy()
    rng = np.random.default_rng(7)
    order = rng.permutation(len(d))
    funded, entrants = order[:20], order[20:60]
    d["selection_probability"] = 0.0
    d.loc[funded, "selection_probability"] = 1.0
    d.loc[entrants, "selection_probability"] = 0.25
    d["selected"] = 0
    d.loc[funded, "selected"] = 1
    d.loc[entrants[:10], "selected"] = 1
    res = audit(d, groups=["gender", "career_stage"])
    doc = res.to_dict()
    announced = {**announced_totals(d), "pi": 0.25, "funded": 20, "entrants": 40}
    assert assert_nothing_pinned(doc, announced) > 0
    # how many of a group were funded outright is not pinned by its expectation either
    p = read_publication(doc, announced)
    tiers = [k for k in p.value if k[0] == "funded"]
    ranges = p.ranges(tiers)
    assert all(hi > lo for lo, hi in ranges.values()), ranges
    for body in doc["attributes"].values():
        for row in body["lottery"]:
            v = row["expected_selected"]
            assert v is None or v == round(v)


def test_reviewer_views_hide_no_recoverable_count(telescope):
    rng = np.random.default_rng(11)
    subs = telescope.drop(columns="selected")
    reviews = pd.DataFrame(
        [
            (s, f"R{r:02d}", float(rng.integers(1, 6)))
            for s in subs["submission_id"]
            for r in rng.choice(25, 3, replace=False)
        ],
        columns=["submission_id", "reviewer_id", "score"],
    )
    res = audit(telescope, groups=["gender", "career_stage"], reviews=reviews)
    rg = res.reviewer_gaps
    p = Program()
    # each reviewer's number of reviews is public (the reviews table lists them)
    totals = reviews.groupby("reviewer_id").size()
    for (reviewer, attr), part in rg.groupby(["reviewer_id", "attribute"]):
        keys = [("r", reviewer, attr, x) for x in part["group"]]
        for key, n in zip(keys, part["n_reviews"], strict=True):
            p.cell(key, n, low=1)
        p.sums(keys, int(totals[reviewer]))
    hidden = [k for k, v in p.value.items() if v is None]
    assert hidden
    assert_wide(p, hidden)


@pytest.mark.parametrize("seed", range(2))
def test_random_intersections_with_strata(seed):
    rng = np.random.default_rng(seed)
    n = 150
    d = pd.DataFrame(
        {
            "gender": rng.choice(["m", "w", "x"], n, p=[0.6, 0.37, 0.03]),
            "stage": rng.choice(["early", "mid", "senior"], n, p=[0.2, 0.5, 0.3]),
            "field": rng.choice(["astro", "bio"], n, p=[0.7, 0.3]),
        }
    )
    d["selected"] = (rng.random(n) < 0.3).astype(int)
    d.insert(0, "submission_id", [f"s{i}" for i in range(n)])
    res = audit(d, groups=["gender", "stage"], intersect=True, strata="field")
    assert_nothing_pinned(res.to_dict(), announced_totals(d, "field"))


def test_the_old_heuristic_leaves_a_zero_the_attacker_proves():
    """A hidden 0 beside a visible 1 and 9 (total 10): the hypercube rule hides the 1."""
    values = {"zero": 0, "one": 1, "nine": 9}
    old = Disclosure(level=0)  # the classic rule: hide the smallest visible cell
    old.add("total", 10, hidden=False, fixed=True)
    new = Disclosure()
    new.add("total", 10, hidden=False, fixed=True)
    for name, v in values.items():
        old.add(name, v, hidden=name == "zero")
        new.add(name, v, hidden=name == "zero")
    old.equation(list(values), "total")
    old.solve(attack=False)
    new.equation(list(values), "total")
    new.solve()

    def attacked(hidden):
        p = Program()
        for name, v in values.items():
            p.cell(name, None if hidden(name) else v)
        p.sums(list(values), 10)
        return p.ranges([name for name in values if hidden(name)])["zero"]

    assert attacked(old.hidden) == (0.0, 1.0)  # pinned: the zero is all but proven
    lo, hi = attacked(new.hidden)
    assert hi - lo >= WIDTH
    assert new.unprotected == []


def test_a_cell_no_suppression_can_protect_is_reported():
    # both cells of a public total of 10 are given: nothing else to hide
    d = Disclosure()
    d.add("total", 10, hidden=False, fixed=True)
    d.add("a", 1, hidden=True)
    d.add("b", 9, hidden=False, fixed=True)
    d.equation(["a", "b"], "total")
    d.solve()
    assert d.unprotected == ["a"]
