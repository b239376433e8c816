"""The quota lottery in the simulation: quotas met in every replicate, chances maximin.

The simulation's kernel (``fairpanel.simulate._quota``) computes each group's chances by
water filling instead of column generation; the chances are checked against the
library's own maximin/leximin column generation
(:func:`fairpanel.lottery.maximin_distribution`, Flanigan et al. 2021) on the same zone.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel import FairpanelInputError
from fairpanel.cli import app
from fairpanel.io import Quota, QuotaTable
from fairpanel.lottery import QuotaProblem, maximin_distribution
from fairpanel.simulate import Scenario, compare, default_strategies
from fairpanel.simulate._kernels import Panel, draw_chunk
from fairpanel.simulate._quota import _counts, group_places, quota_bounds, quota_select

BASE = {"submissions": 200, "capacity": 40, "reviewers": 40}


def _scenario(**extra):
    return Scenario.from_dict({**BASE, **extra})


# ------------------------------------------------------------- chances vs column generation
@pytest.mark.parametrize(
    ("sizes", "quotas", "places"),
    [
        ({"a": 12, "b": 6, "c": 4}, [("b", 4, None)], 8),  # a minimum above b's fair share
        ({"a": 12, "b": 6, "c": 4}, [("a", 0, 2)], 8),  # a maximum sets the minimum chance
        ({"a": 10, "b": 5, "c": 5}, [("a", 2, 3), ("c", 3, 4)], 9),
        ({"a": 7, "b": 7}, [], 5),  # no quota: the uniform lottery
    ],
)
def test_group_chances_equal_leximin_column_generation(sizes, quotas, places):
    groups = [g for g, n in sizes.items() for _ in range(n)]
    zone = pd.DataFrame({"submission_id": [f"S{i:02d}" for i in range(len(groups))], "g": groups})
    table = QuotaTable(tuple(Quota("g", v, lo, hi) for v, lo, hi in quotas))
    problem = QuotaProblem.build(zone, table, places=places)
    dist = maximin_distribution(problem, leximin=True, grid=1_000_000)
    expected = pd.Series(dist.marginals, index=zone["g"].to_numpy()).groupby(level=0).sum()

    names = list(sizes)
    size = np.array([[float(sizes[g]) for g in names]])
    lo = np.zeros_like(size)
    hi = size.copy()
    for v, q_lo, q_hi in quotas:
        lo[0, names.index(v)] = q_lo
        if q_hi is not None:
            hi[0, names.index(v)] = q_hi
    x = group_places(size, lo, hi, np.array([float(places)]))[0]
    np.testing.assert_allclose(x, expected[names].to_numpy(), atol=1e-4)
    # The smallest chance is the maximin LP's optimum.
    assert (x / size[0]).min() == pytest.approx(dist.lp_minimum, abs=1e-7)


def test_systematic_counts_are_whole_in_bounds_and_unbiased():
    x = np.array([[2.3, 4.7, 1.0, 0.0]])
    lo, hi = np.array([[2.0, 3.0, 1.0, 0.0]]), np.array([[3.0, 5.0, 1.0, 0.0]])
    u = (np.arange(1000) + 0.5) / 1000  # an even grid of uniforms: the mean is exact to 1e-3
    counts = _counts(np.repeat(x, u.size, 0), np.repeat(lo, u.size, 0),
                     np.repeat(hi, u.size, 0), np.full(u.size, 8.0), u)  # fmt: skip
    assert (counts.sum(axis=1) == 8).all()
    assert ((counts >= lo) & (counts <= hi)).all()
    np.testing.assert_allclose(counts.mean(axis=0), x[0], atol=1e-3)


# ---------------------------------------------------------------- every replicate
def test_quotas_hold_in_every_replicate_and_chances_are_the_maximin():
    sc = _scenario(group_shares={"a": 0.7, "b": 0.2, "c": 0.1},
                   quotas=[{"value": "b", "min": 14}, {"value": "a", "max": 24}])  # fmt: skip
    rngs = [np.random.default_rng(s) for s in range(400)]
    draws = draw_chunk(sc, rngs)
    panel = Panel(score=draws.merit, se=np.ones_like(draws.merit))
    sel = quota_select(sc, panel, draws.keys[0], draws.panel_keys[0], sc.k)
    sizes = sc.group_sizes
    bounds = np.cumsum([0, *sizes.values()])
    counts = np.stack([sel[:, a:b].sum(axis=1) for a, b in itertools.pairwise(bounds)], 1)
    lo, hi = quota_bounds(sc)
    assert (sel.sum(axis=1) == sc.k).all()
    assert ((counts >= lo) & (counts <= hi)).all()
    # b is held at its minimum 14 (a uniform draw gives it 8); a (140) and c (20) share
    # the other 26 at one chance, 26 / 160 (a stays below its maximum of 24).
    n = np.array(list(sizes.values()), dtype=float)
    x = group_places(n[None], lo[None], hi[None], np.array([40.0]))[0]
    np.testing.assert_allclose(x, [22.75, 14.0, 3.25])
    np.testing.assert_allclose(counts.mean(axis=0), x, atol=0.5)


def test_simulated_rates_respect_the_quotas_in_every_replicate():
    sc = _scenario(group_shares={"a": 0.6, "b": 0.4}, quotas=[{"value": "b", "min": 24}])
    res = compare(sc, strategies=["lottery", "quota-lottery"], replicates=60, seed=3,
                  progress=False)  # fmt: skip
    rates = res.table.query("metric == 'selection_rate' and strategy == 'quota-lottery'")
    b = rates[rates["group"] == "b"]["value"].to_numpy()
    a = rates[rates["group"] == "a"]["value"].to_numpy()
    assert len(b) == 60
    assert (np.round(b * 80) >= 24).all()  # 80 submissions of group b, at least 24 places
    np.testing.assert_allclose(np.round(b * 80) + np.round(a * 120), 40)
    lottery_b = rates.iloc[:0]  # the unconstrained lottery falls below the quota sometimes
    lottery_b = res.table.query("metric == 'selection_rate' and strategy == 'lottery'")
    assert (np.round(lottery_b[lottery_b["group"] == "b"]["value"] * 80) < 24).any()


def test_a_quota_on_the_weaker_group_costs_merit():
    # Designed case: group b's merit is a full SD lower, and the quota gives it half the
    # places (a uniform draw gives it a third): merit recovered must fall below the
    # lottery's, by the expected cost (0.5 - 1/3) SD / the oracle's gain, about -0.1.
    sc = _scenario(
        group_shares={"a": 2 / 3, "b": 1 / 3},
        merit={"b": {"mean": -1.0}},
        quotas=[{"value": "b", "min": 20}],
    )
    res = compare(sc, strategies=["lottery", "quota-lottery"], replicates=200, seed=5,
                  progress=False)  # fmt: skip
    s = res.summary().query("metric == 'merit_recovered'").set_index("strategy")["mean"]
    assert s["quota-lottery"] <= s["lottery"]
    assert s["quota-lottery"] < s["lottery"] - 0.05


def test_quality_bar_caps_a_minimum_at_the_eligible_members():
    sc = _scenario(group_shares={"a": 0.5, "b": 0.5}, quality_bar=3.5,
                   quotas=[{"value": "b", "min": 20}])  # fmt: skip
    rngs = [np.random.default_rng(s) for s in range(50)]
    draws = draw_chunk(sc, rngs)
    score = np.where(np.arange(200) < 100, 4.0, 3.0)[None, :].repeat(50, 0)
    score[:, 100:105] = 4.0  # five eligible in b, below its minimum of 20
    sel = quota_select(sc, Panel(score, np.ones_like(score)), draws.keys[0],
                       draws.panel_keys[0], sc.k)  # fmt: skip
    assert (sel[:, 100:105].all(axis=1)).all()  # all five eligible b are drawn
    assert not sel[:, 105:].any()
    assert (sel.sum(axis=1) == 40).all()


# ---------------------------------------------------------------- scenario and CLI
@pytest.mark.parametrize(
    ("quotas", "field", "words"),
    [
        ([{"value": "c", "min": 1}], "quotas[0].value", "'c' is not one of the groups"),
        ([{"attribute": "gender", "value": "a"}], "quotas[0].attribute", "one group attribute"),
        ([{"value": "a", "min": "many"}], "quotas[0].min", "is not a whole number"),
        ([{"value": "a", "min": 101}], "quotas", "min 101 but only 100"),
        ([{"value": "a", "min": 25}, {"value": "b", "min": 25}], "quotas", "cannot both hold"),
        ({"value": "a"}, "quotas", "expected a list"),
    ],
)
def test_bad_quotas_name_the_key(quotas, field, words):
    with pytest.raises(FairpanelInputError) as info:
        _scenario(quotas=quotas)
    assert info.value.field == field
    assert words in info.value.message


def test_quotas_round_trip_and_join_the_default_strategies():
    sc = _scenario(quotas=[{"value": "b", "min": 22, "max": 30}])
    again = Scenario.from_dict(sc.to_dict())
    assert again.quotas == sc.quotas
    assert default_strategies(sc)[-1] == "quota-lottery"
    assert "quota-lottery" not in default_strategies(_scenario())


def test_cli_runs_the_quota_lottery_when_the_scenario_has_quotas(tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text(
        "submissions: 200\ncapacity: 40\nreviewers: 40\nquotas:\n  - {value: b, min: 25}\n",
        encoding="utf-8",
    )
    out = tmp_path / "sim.json"
    result = CliRunner().invoke(
        app, ["simulate", "--scenario", str(path), "--replicates", "20", "--json", str(out),
              "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    import json

    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["scenario"]["quotas"] == [{"attribute": "group", "value": "b", "min": 25,
                                          "max": None}]  # fmt: skip
    assert "quota-lottery" in doc["strategies"]


def test_the_report_table_names_the_quotas_the_quota_lottery_met():
    from fairpanel.report._simulation_section import simulation_section

    sc = _scenario(quotas=[{"value": "b", "min": 22, "max": 30}])
    res = compare(sc, strategies=["lottery", "quota-lottery"], replicates=4, seed=1,
                  progress=False)  # fmt: skip
    table = simulation_section(res).tables[0]
    assert [row[0] for row in table.rows] == ["lottery", "quota lottery"]
    assert "quotas on group (b: min 22, max 30), met in every cycle" in table.note


# ------------------------------------------------------- drawing in the partial zone
def test_quota_in_the_partial_zone_funds_above_it_and_matches_allocate():
    # 30 submissions, groups a (first 18) and b (last 12); rank intervals put 4 above the
    # line for certain (3 of them a's) and 10 in the zone. With 9 places and at least 4
    # b's, allocate --strategy quota-lottery --interval 0.5 funds the 4, counts the one
    # funded b towards its minimum, and draws 5 places in the zone with at least 3 b's.
    # The kernel's selection frequencies over independent keys must be its exact
    # probabilities (leximin, which the kernel's water filling gives), within MC error.
    from fairpanel.strategies import QuotaLotteryStrategy

    n, k, reps = 30, 9, 20_000
    sc = Scenario.from_dict(
        {"submissions": n, "capacity": k, "reviewers": 10, "group_shares": {"a": 0.6, "b": 0.4},
         "quotas": [{"value": "b", "min": 4}], "quota_interval": 0.5}
    )  # fmt: skip
    groups = ["a"] * 18 + ["b"] * 12
    funded_ids = {0, 1, 2, 18}  # three a's and one b, ranks 1-4, intervals above the line
    zone_ids = {3, 4, 5, 6, 7, 19, 20, 21, 22, 23}  # a's and b's straddling rank 9
    lo50, hi50 = np.empty(n), np.empty(n)
    for i in range(n):
        if i in funded_ids:
            lo50[i], hi50[i] = 1.0, 6.0
        elif i in zone_ids:
            lo50[i], hi50[i] = 5.0, 14.0
        else:
            lo50[i], hi50[i] = 12.0, 30.0
    # expected ranks consistent with the tiers: funded 1-4, zone 5-14, the rest 15-30
    order = [
        *sorted(funded_ids),
        *sorted(zone_ids),
        *[i for i in range(n) if i not in funded_ids | zone_ids],
    ]
    er = np.empty(n)
    er[order] = np.arange(1, n + 1, dtype=float)
    ids = [f"S{i:02d}" for i in range(n)]
    scores = pd.DataFrame({"submission_id": ids, "calibrated_score": -er, "expected_rank": er,
                           "rank_lo50": lo50, "rank_hi50": hi50, "rank_lo90": lo50,
                           "rank_hi90": hi50})  # fmt: skip
    subs = pd.DataFrame({"submission_id": ids, "group": groups})
    rule = QuotaLotteryStrategy(quotas=QuotaTable((Quota("group", "b", 4, None),)),
                                interval=0.5, leximin=True)  # fmt: skip
    table = rule.allocate(scores, subs, capacity=k, seed="zone").table.set_index("submission_id")
    p = table.loc[ids, "selection_probability"].to_numpy(dtype=float)
    assert (table.loc[[ids[i] for i in funded_ids], "tier"] == "funded").all()
    # In the zone the b's carry the quota: 3 of 5 places for 5 b's, 2 for 5 a's.
    np.testing.assert_allclose(p[[19, 20, 21, 22, 23]], 0.6, atol=1e-3)
    np.testing.assert_allclose(p[[3, 4, 5, 6, 7]], 0.4, atol=1e-3)

    rng = np.random.default_rng(7)
    ranks = {"expected_rank": er, "lo50": lo50, "hi50": hi50, "lo90": lo50, "hi90": hi50}
    panel = Panel(score=np.broadcast_to(-er, (reps, n)), se=np.full((reps, n), 0.1),
                  ranks={key: np.broadcast_to(v, (reps, n)) for key, v in ranks.items()})  # fmt: skip
    sel = quota_select(sc, panel, rng.random((reps, n)), rng.random(reps), k)
    assert (sel.sum(axis=1) == k).all()
    assert (sel[:, 18:].sum(axis=1) >= 4).all()  # the quota, funded b included, every time
    freq = sel.mean(axis=0)
    certain = (p == 0) | (p == 1)
    np.testing.assert_array_equal(freq[certain], p[certain])
    se = np.sqrt(p * (1 - p) / reps)
    assert np.all(np.abs(freq - p)[~certain] <= 4.5 * se[~certain])
