"""The quota lottery: quota tables, feasibility messages, maximin panels, the panel draw.

The maximin optimum is checked against an independent solution of the same linear
programme: every feasible panel of a small zone is enumerated with itertools, and the
LP ``max t s.t. sum_P lambda_P [i in P] >= t, sum lambda = 1`` is solved over all of
them at once (Flanigan et al. 2021, *Nature* 596, 548-552, eq. 1 of Methods), so
column generation must reach the same value.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog
from typer.testing import CliRunner

from fairpanel._errors import FairpanelInputError
from fairpanel.cli import app
from fairpanel.io import Quota, QuotaTable, load_quotas
from fairpanel.io._quotas import ERR_QUOTA_DUPLICATE, ERR_QUOTA_ORDER
from fairpanel.lottery import (
    QuotaDrawCertificate,
    QuotaProblem,
    check_quota_feasibility,
    draw_panel,
    maximin_distribution,
    verify_certificate,
)
from fairpanel.strategies import Allocation, QuotaLotteryStrategy, make_strategy

ATTRS = ("gender", "stage", "region")


def _zone(n: int, seed: int) -> pd.DataFrame:
    """A zone whose groups cross unevenly: 40% women, a third early-career, three regions."""
    i = np.arange(n)
    return pd.DataFrame(
        {
            "submission_id": [f"S{k:02d}" for k in i],
            "gender": np.where((7 * i + seed) % 5 < 2, "woman", "man"),
            "stage": np.where((5 * i + seed) % 3 == 0, "early", "senior"),
            "region": np.array(["north", "south", "east"])[(i + seed) % 3],
            "lab": [f"L{k % max(1, n - 3)}" for k in i],
        }
    )


QUOTAS = QuotaTable(
    (
        Quota("gender", "woman", 3, 4),
        Quota("stage", "early", 2, None),
        Quota("region", "north", 0, 2),
    )
)


def _enumerated_maximin(problem: QuotaProblem, weights: np.ndarray | None = None) -> float:
    """The maximin LP over every feasible panel, listed by brute force."""
    panels = []
    for combo in itertools.combinations(range(problem.n), problem.places):
        x = np.zeros(problem.n, dtype=int)
        x[list(combo)] = 1
        if problem.satisfied(x):
            panels.append(x)
    x = np.array(panels, dtype=float).T
    w = np.ones(problem.n) if weights is None else weights
    reach = x.any(axis=1)
    m = x.shape[1]
    a_ub = np.hstack([-x[reach], w[reach, None]])
    res = linprog(
        np.r_[np.zeros(m), -1.0],
        A_ub=a_ub,
        b_ub=np.zeros(int(reach.sum())),
        A_eq=np.r_[np.ones(m), 0.0][None],
        b_eq=[1.0],
        bounds=[(0, None)] * (m + 1),
        method="highs",
    )
    return float(res.x[-1])


# ------------------------------------------------------------------ quota tables
def test_a_csv_and_a_yaml_quota_table_read_the_same(tmp_path: Path) -> None:
    csv = tmp_path / "q.csv"
    csv.write_text("attribute,value,min,max\nstage,early,2,\ngender,woman,3,4\n")
    yml = tmp_path / "q.yaml"
    yml.write_text(
        "quotas:\n  - {attribute: gender, value: woman, min: 3, max: 4}\n"
        "  - {attribute: stage, value: early, min: 2}\none_per: lab\n"
    )
    from_csv = load_quotas(csv, one_per=["lab"])
    assert from_csv == load_quotas(yml)
    assert [(q.group, q.min, q.max) for q in from_csv.quotas] == [
        ("gender=woman", 3, 4),
        ("stage=early", 2, None),
    ]
    assert from_csv.columns == ("gender", "stage", "lab")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gender,woman,5,3\n", ERR_QUOTA_ORDER.format(group="gender=woman", lo=5, hi=3)),
        ("gender,woman,1,\ngender,woman,2,\n", None),
        ("gender,woman,1.5,\n", "min '1.5' is not a whole number >= 0"),
        ("gender,woman,-1,\n", "min '-1' is not a whole number >= 0"),
        ("gender,,1,\n", "the value is empty"),
    ],
)
def test_a_bad_quota_row_is_refused_by_row_and_column(
    tmp_path: Path, text: str, message: str | None
) -> None:
    path = tmp_path / "q.csv"
    path.write_text("attribute,value,min,max\n" + text)
    with pytest.raises(FairpanelInputError) as err:
        load_quotas(path)
    expected = message or ERR_QUOTA_DUPLICATE.format(group="gender=woman", first=2, row=3)
    assert err.value.message == expected


# ------------------------------------------------------------------ feasibility
def _problem(rows: dict[str, list[str]], quotas: QuotaTable, places: int) -> QuotaProblem:
    zone = pd.DataFrame(
        {"submission_id": [f"P{i}" for i in range(len(next(iter(rows.values()))))], **rows}
    )
    return QuotaProblem.build(zone, quotas, places=places)


def test_a_minimum_above_the_group_names_the_group_and_its_size() -> None:
    problem = _problem(
        {"stage": ["student"] * 4 + ["senior"] * 6}, QuotaTable((Quota("stage", "student", 5),)), 6
    )
    with pytest.raises(FairpanelInputError) as err:
        check_quota_feasibility(problem)
    assert err.value.message == "stage=student: min 5 but only 4 entrants in the lottery zone"


def test_two_bounds_that_cannot_both_hold_are_named_with_the_reason() -> None:
    # 5 women, 4 of them early-career: women min 4 needs >= 3 early, early max 2.
    rows = {
        "gender": ["woman"] * 5 + ["man"] * 5,
        "stage": ["early"] * 4 + ["senior"] * 2 + ["early"] + ["senior"] * 3,
        "region": ["north"] * 10,
    }
    quotas = QuotaTable(
        (
            Quota("gender", "woman", 4),
            Quota("stage", "early", 0, 2),
            Quota("region", "north", 0, 9),
        )
    )
    with pytest.raises(FairpanelInputError) as err:
        check_quota_feasibility(_problem(rows, quotas, 6))
    assert err.value.message == (
        "gender=woman min 4 and stage=early max 2 cannot both hold with 6 places: gender=woman "
        "needs 4 but only 1 of them are not stage=early, so at least 3 would be stage=early, "
        "above its max 2"
    )


def test_one_per_household_counts_households_not_people() -> None:
    rows = {"stage": ["student"] * 5 + ["senior"] * 5, "lab": ["A", "A", "B", "B", "C", *"DEFGH"]}
    quotas = QuotaTable((Quota("stage", "student", 4),), one_per=("lab",))
    with pytest.raises(FairpanelInputError) as err:
        check_quota_feasibility(_problem(rows, quotas, 6))
    assert err.value.message == (
        "stage=student: min 4 but only 3 entrants in the lottery zone from distinct lab values"
    )


# ------------------------------------------------------------------ maximin
@pytest.mark.parametrize(("n", "seed"), [(9, 1), (10, 2), (11, 3)])
def test_maximin_equals_the_lp_over_every_feasible_panel(n: int, seed: int) -> None:
    problem = QuotaProblem.build(_zone(n, seed), QUOTAS, places=6)
    check_quota_feasibility(problem)
    dist = maximin_distribution(problem)
    assert dist.lp_minimum == pytest.approx(_enumerated_maximin(problem), abs=1e-7)
    # the published (grid) distribution is within one grid step per panel of the optimum
    assert dist.minimum >= dist.lp_minimum - len(dist.panels) / dist.grid
    assert sum(dist.counts) == dist.grid
    assert int(dist.marginal_counts.sum()) == problem.places * dist.grid  # marginals sum to k
    for members in dist.panels:
        x = np.zeros(problem.n, dtype=int)
        x[list(members)] = 1
        assert problem.satisfied(x)


CROSSED = QuotaTable(
    (
        Quota("gender", "woman", 8, 10),
        Quota("stage", "early", 6, 8),
        Quota("stage", "senior", 0, 4),
        Quota("region", "west", 3, 4),
        Quota("region", "north", 0, 6),
    )
)


def _crossed_zone(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "submission_id": [f"S{k:03d}" for k in range(n)],
            "gender": rng.choice(["woman", "man"], n, p=[0.4, 0.6]),
            "stage": rng.choice(["early", "mid", "senior"], n),
            "region": rng.choice(["north", "south", "east", "west"], n, p=[0.4, 0.3, 0.2, 0.1]),
        }
    )


# Zones where rounding the LP's panel probabilities alone (largest remainders, then
# moves between the LP's panels) has been seen to lose a grid step or more of the
# minimum: 0.128 for 0.1290... (seed 2, 1/1000), 0.17 for 0.1818... (seed 4, 1/100).
@pytest.mark.parametrize(("seed", "grid"), [(2, 1000), (3, 1000), (4, 100)])
def test_the_published_grid_minimum_is_within_one_step_of_the_lp(seed: int, grid: int) -> None:
    problem = QuotaProblem.build(_crossed_zone(80, seed), CROSSED, places=20)
    dist = maximin_distribution(problem, grid=grid)
    assert dist.minimum >= dist.lp_minimum - 1 / grid
    assert sum(dist.counts) == grid
    for members in dist.panels:  # the panels the repair adds meet every quota too
        x = np.zeros(problem.n, dtype=int)
        x[list(members)] = 1
        assert problem.satisfied(x)


def test_tier_weights_scale_the_target_chance() -> None:
    problem = QuotaProblem.build(_zone(10, 4), QUOTAS, places=5)
    weights = np.where(np.arange(10) % 2 == 0, 2.0, 1.0)
    dist = maximin_distribution(problem, weights=weights)
    assert dist.lp_minimum == pytest.approx(_enumerated_maximin(problem, weights), abs=1e-7)


def test_leximin_keeps_the_minimum_and_raises_the_rest() -> None:
    problem = QuotaProblem.build(_zone(10, 5), QUOTAS, places=5)
    maximin = maximin_distribution(problem)
    leximin = maximin_distribution(problem, leximin=True)
    assert leximin.lp_minimum == pytest.approx(maximin.lp_minimum, abs=1e-7)
    # sorted chances: leximin is at least as good at the first place they differ
    a, b = np.sort(leximin.marginals), np.sort(maximin.marginals)
    first = np.flatnonzero(np.abs(a - b) > 2 * len(leximin.panels) / leximin.grid)
    assert first.size == 0 or a[first[0]] > b[first[0]]


def test_row_order_does_not_change_the_distribution_or_the_draw() -> None:
    zone = _zone(12, 6)
    shuffled = zone.sample(frac=1.0, random_state=3)
    certs = []
    for frame in (zone, shuffled):
        problem = QuotaProblem.build(frame, QUOTAS, places=6)
        dist = maximin_distribution(problem)
        certs.append(draw_panel(dist, frame, QUOTAS, places=6, seed="order").to_dict())
    assert certs[0] == certs[1]


def test_another_process_draws_the_same_panel(tmp_path: Path) -> None:
    zone = _zone(12, 7)
    zone.to_csv(tmp_path / "zone.csv", index=False)
    code = (
        "import json, pandas as pd\n"
        "from fairpanel.io import Quota, QuotaTable\n"
        "from fairpanel.lottery import QuotaProblem, maximin_distribution, draw_panel\n"
        f"q = QuotaTable.from_dict({QUOTAS.to_dict()!r})\n"
        f"z = pd.read_csv({str(tmp_path / 'zone.csv')!r}, dtype=str)\n"
        "d = maximin_distribution(QuotaProblem.build(z, q, places=6))\n"
        "print(json.dumps(draw_panel(d, z, q, places=6, seed='proc').to_dict()))\n"
    )
    outputs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    ]
    here = draw_panel(
        maximin_distribution(QuotaProblem.build(zone, QUOTAS, places=6)),
        zone, QUOTAS, places=6, seed="proc",
    ).to_dict()  # fmt: skip
    assert json.loads(outputs[0]) == json.loads(outputs[1]) == json.loads(json.dumps(here))


# ------------------------------------------------------------------ the certificate
@pytest.fixture
def certificate() -> dict[str, object]:
    zone = _zone(12, 8)
    dist = maximin_distribution(QuotaProblem.build(zone, QUOTAS, places=6))
    return draw_panel(dist, zone, QUOTAS, places=6, seed="2026").to_dict()


def test_the_pick_is_the_documented_hash_and_the_certificate_verifies(
    certificate: dict[str, object],
) -> None:
    import hashlib

    cert = QuotaDrawCertificate.from_dict(certificate)
    digest = hashlib.sha256(f"2026\x1f{cert.distribution}".encode()).digest()
    ticket = int.from_bytes(digest[:8], "big") * cert.grid // 2**64
    running = np.cumsum([c for c, _ in cert.panels])
    assert cert.ticket == ticket
    assert cert.panel == int(np.searchsorted(running, ticket, side="right")) + 1
    assert verify_certificate(certificate).ok
    assert QuotaDrawCertificate.from_dict(certificate).to_dict() == certificate


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda c: c["result"].reverse(), "the result is recorded"),
        (lambda c: c.__setitem__("seed", "2027"), "the ticket is recorded"),
        (lambda c: c["quotas"]["quotas"][2].__setitem__("min", 6), "breaks the quota"),
        (lambda c: c["entrants"][0].__setitem__("chance_count", 1), "chance recorded 1"),
        (lambda c: c["distribution"]["panels"][0].__setitem__("count", 1), "sum to"),
    ],
)
def test_a_tampered_certificate_is_caught(
    certificate: dict[str, object], tamper: object, reason: str
) -> None:
    data = json.loads(json.dumps(certificate))
    tamper(data)  # type: ignore[operator]
    result = verify_certificate(data)
    assert not result.ok
    assert any(reason in d for d in result.differences), result.differences


# ------------------------------------------------------------------ the strategy
def _tables(n: int = 24) -> tuple[pd.DataFrame, pd.DataFrame]:
    zone = _zone(n, 9)
    rng = np.random.default_rng(9)
    scores = pd.DataFrame(
        {
            "submission_id": zone["submission_id"],
            "calibrated_score": rng.normal(4, 1, n).round(3),
        }
    )
    return scores, zone


def test_selection_probability_is_the_distribution_marginal() -> None:
    scores, subs = _tables()
    alloc = QuotaLotteryStrategy(quotas=QUOTAS).allocate(scores, subs, capacity=6, seed="m")
    assert isinstance(alloc.certificate, QuotaDrawCertificate)
    chances = alloc.certificate.chances
    table = alloc.table.set_index("submission_id")
    assert table["selection_probability"].to_dict() == pytest.approx(chances)
    assert table["selection_probability"].sum() == pytest.approx(6)
    assert sorted(table.index[table["selected"]]) == sorted(alloc.certificate.selected)
    back = Allocation.from_dict(json.loads(json.dumps(alloc.to_dict())))
    assert back.to_dict() == json.loads(json.dumps(alloc.to_dict()))


def test_those_funded_above_the_zone_count_towards_the_quotas() -> None:
    scores, subs = _tables(30)
    order = scores["calibrated_score"].rank(ascending=False).to_numpy()
    scores = scores.assign(
        expected_rank=order,
        rank_lo50=np.maximum(order - 8, 1),
        rank_hi50=order + 8,
    )
    quotas = QuotaTable((Quota("gender", "woman", 4), Quota("stage", "early", 2)))
    alloc = QuotaLotteryStrategy(quotas=quotas, interval=0.5).allocate(
        scores, subs, capacity=10, seed="zone"
    )
    table = alloc.table.merge(subs, on="submission_id")
    funded = table[table["tier"] == "funded"]
    assert len(funded)
    assert (funded["selection_probability"] == 1.0).all()
    chosen = table[table["selected"]]
    assert len(chosen) == 10
    assert (chosen["gender"] == "woman").sum() >= 4
    assert (chosen["stage"] == "early").sum() >= 2
    assert isinstance(alloc.certificate, QuotaDrawCertificate)
    assert alloc.certificate.places == 10 - len(funded)


def test_make_strategy_builds_it_and_refuses_a_budget() -> None:
    rule = make_strategy("quota-lottery", quotas=QUOTAS, one_per=["lab"], leximin=True)
    assert isinstance(rule, QuotaLotteryStrategy)
    scores, subs = _tables()
    subs = subs.assign(hours=1.0)
    from fairpanel.strategies import Capacity

    with pytest.raises(FairpanelInputError, match="give a count, not a budget"):
        rule.allocate(scores, subs, capacity=Capacity(budget=5.0, request_col="hours"), seed=1)


def test_the_command_writes_what_the_library_computes(tmp_path: Path) -> None:
    scores, subs = _tables()
    scores.to_csv(tmp_path / "scores.csv", index=False)
    subs.to_csv(tmp_path / "subs.csv", index=False)
    (tmp_path / "q.csv").write_text(
        "attribute,value,min,max\n"
        + "\n".join(f"{q.attribute},{q.value},{q.min},{q.max or ''}" for q in QUOTAS.quotas)
        + "\n"
    )
    args = [
        "allocate", "--scores", str(tmp_path / "scores.csv"), "--submissions",
        str(tmp_path / "subs.csv"), "--strategy", "quota-lottery", "--quotas",
        str(tmp_path / "q.csv"), "--one-per", "lab", "--capacity", "6", "--seed", "cli",
        "--out", str(tmp_path / "a.csv"), "--json", str(tmp_path / "a.json"),
        "--certificate", str(tmp_path / "c.json"),
    ]  # fmt: skip
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    quotas = load_quotas(tmp_path / "q.csv", one_per=["lab"])
    lib = QuotaLotteryStrategy(quotas=quotas).allocate(scores, subs, capacity=6, seed="cli")
    written = json.loads((tmp_path / "a.json").read_text())
    assert written["certificate"] == json.loads(json.dumps(lib.to_dict()["certificate"]))
    res = CliRunner().invoke(app, ["verify-draw", str(tmp_path / "c.json")])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("ok: the draw matches")
