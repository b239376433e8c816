"""Publishing safety: no published cell below the minimum, none recomputable.

The attack below is what a reader of the published tables can do: every group count of
an attribute sums to the public total; an intersection's cells sum to the marginal
tables' cells; per-stratum cells sum to the overall group cells and to the stratum
totals; a published rate or interval times the published applicants gives the selected
count; a rate difference plus the reference's rate gives the group's rate. The attacker
repeats these until nothing new is learnt. The test asserts that no hidden count is ever
learnt.
"""

import re

import numpy as np
import pandas as pd
import pytest

from fairpanel.audit import audit, audit_counts
from fairpanel.audit._disclosure import Disclosure
from fairpanel.audit._suppress import primary_hidden

SEP = " × "


def make_decisions(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(60, 200))
    d = pd.DataFrame(
        {
            # very unequal shares, so that small cells occur in most draws
            "gender": rng.choice(["m", "w", "x"], n, p=[0.6, 0.37, 0.03]),
            "stage": rng.choice(["early", "mid", "senior"], n, p=[0.2, 0.5, 0.3]),
            "field": rng.choice(["astro", "bio", "chem"], n, p=[0.5, 0.4, 0.1]),
        }
    )
    d["selected"] = (rng.random(n) < 0.25).astype(int)
    d.insert(0, "submission_id", [f"s{i}" for i in range(n)])
    return d


def published_counts(res):
    """What a reader sees: {key: value or None}."""
    seen = {}
    for r in res.groups.itertuples(index=False):
        seen[("n", r.attribute, r.group)] = None if pd.isna(r.applicants) else int(r.applicants)
        seen[("k", r.attribute, r.group)] = None if pd.isna(r.selected) else int(r.selected)
        if not pd.isna(r.selection_rate) and not pd.isna(r.applicants):  # rate × applicants
            seen[("k", r.attribute, r.group)] = round(r.selection_rate * r.applicants)
    for r in res.stratum_rates.itertuples(index=False):
        seen[("sn", r.attribute, r.stratum, r.group)] = (
            None if pd.isna(r.applicants) else int(r.applicants)
        )
        seen[("sk", r.attribute, r.stratum, r.group)] = (
            None if pd.isna(r.selected) else int(r.selected)
        )
    return seen


def attack(res, total_n, total_k, stratum_totals=None):
    known = {k: v for k, v in published_counts(res).items() if v is not None}
    unknown = {k for k, v in published_counts(res).items() if v is None}
    lines = []  # (cells, total key or constant)
    g = res.groups
    for attr, part in g.groupby("attribute"):
        lines.append(([("n", attr, x) for x in part["group"]], total_n))
        lines.append(([("k", attr, x) for x in part["group"]], total_k))
        if SEP in attr:
            comps = attr.split(SEP)
            values = [x.split(SEP) for x in part["group"]]
            for i, comp in enumerate(comps):
                for v in {vals[i] for vals in values}:
                    members = [
                        x for x, vals in zip(part["group"], values, strict=True) if vals[i] == v
                    ]
                    for kind in ("n", "k"):
                        lines.append(([(kind, attr, x) for x in members], (kind, comp, v)))
    sr = res.stratum_rates
    for (attr, grp), part in sr.groupby(["attribute", "group"]):
        for kind, tot in (("sn", "n"), ("sk", "k")):
            lines.append(([(kind, attr, s, grp) for s in part["stratum"]], (tot, attr, grp)))
    for (attr, s), part in sr.groupby(["attribute", "stratum"]):
        if stratum_totals is not None:  # stratum totals are assumed public
            n_s, k_s = stratum_totals[s]
            lines.append(([("sn", attr, s, x) for x in part["group"]], int(n_s)))
            lines.append(([("sk", attr, s, x) for x in part["group"]], int(k_s)))
        if SEP not in attr:
            continue
        values = [x.split(SEP) for x in part["group"]]
        for i, comp in enumerate(attr.split(SEP)):
            for v in {vals[i] for vals in values}:
                members = [
                    x for x, vals in zip(part["group"], values, strict=True) if vals[i] == v
                ]
                for kind in ("sn", "sk"):
                    lines.append(([(kind, attr, s, x) for x in members], (kind, comp, s, v)))
    learnt = True
    while learnt:
        learnt = False
        # a rate ratio or an odds ratio with the reference's counts reveals the group's rate
        for r in res.comparisons.itertuples(index=False):
            ref_k = known.get(("k", r.attribute, r.reference))
            ref_n = known.get(("n", r.attribute, r.reference))
            n = known.get(("n", r.attribute, r.group))
            key = ("k", r.attribute, r.group)
            if key in known or ref_k is None or not ref_n or not n:
                continue
            if not pd.isna(r.rate_ratio):
                known[key] = round(r.rate_ratio * ref_k / ref_n * n)
                learnt = True
            elif not pd.isna(r.odds_ratio) and ref_n > ref_k:
                odds = r.odds_ratio * ref_k / (ref_n - ref_k)
                known[key] = round(n * odds / (1 + odds))
                learnt = True
        # the crude difference of the CMH table is a rate difference too
        for r in getattr(res, "strata", pd.DataFrame()).itertuples(index=False):
            ref_k = known.get(("k", r.attribute, r.reference))
            ref_n = known.get(("n", r.attribute, r.reference))
            n = known.get(("n", r.attribute, r.group))
            key = ("k", r.attribute, r.group)
            usable = ref_k is not None and ref_n and n
            if key not in known and not pd.isna(r.crude_rate_difference) and usable:
                known[key] = round((r.crude_rate_difference + ref_k / ref_n) * n)
                learnt = True
        # realized lottery rates times the published applicants
        for r in getattr(res, "lottery", pd.DataFrame()).itertuples(index=False):
            key = ("k", r.attribute, r.group)
            if key not in known and not pd.isna(r.realized_selected):
                known[key] = int(r.realized_selected)
                learnt = True
        # rate difference + the reference's rate reveals the group's rate
        for r in res.comparisons.itertuples(index=False):
            ref_k, ref_n = (
                known.get(("k", r.attribute, r.reference)),
                known.get(("n", r.attribute, r.reference)),
            )
            n = known.get(("n", r.attribute, r.group))
            key = ("k", r.attribute, r.group)
            if (
                key not in known
                and not pd.isna(r.rate_difference)
                and ref_k is not None
                and ref_n
                and n
            ):
                known[key] = round((r.rate_difference + ref_k / ref_n) * n)
                learnt = True
        for cells, total in lines:
            tot = total if isinstance(total, int) else known.get(total)
            missing = [c for c in cells if c not in known]
            if tot is not None and len(missing) == 1:
                known[missing[0]] = tot - sum(known[c] for c in cells if c in known)
                learnt = True
            # the total itself, from all its cells
            if not isinstance(total, int) and total not in known and not missing:
                known[total] = sum(known[c] for c in cells)
                learnt = True
    return {k for k in unknown if k in known}


def assert_no_statistic_of_a_hidden_cell(res):
    """Every published model statistic is computed from published cells only."""
    g = res.groups
    hidden = set(zip(g["attribute"], g["group"].where(g["suppressed"].astype(bool)), strict=True))
    hidden = {(a, x) for a, x in hidden if isinstance(x, str)}
    sr = res.stratum_rates
    cell_hidden = {
        (a, x)
        for a, x, s in zip(sr["attribute"], sr["group"], sr["suppressed"], strict=True)
        if bool(s)
    }
    dirty = {a for a, _ in hidden}
    for r in res.strata.itertuples(index=False):
        pair = {(r.attribute, r.group), (r.attribute, r.reference)}
        if pair & (hidden | cell_hidden):
            assert pd.isna(r.pooled_odds_ratio)
            assert pd.isna(r.statistic)
            assert pd.isna(r.crude_rate_difference)
    for r in res.logistic.itertuples(index=False):
        # every model here adjusts for the stratum or the other attribute
        if r.attribute in dirty or any(a == r.attribute for a, _ in cell_hidden):
            assert pd.isna(r.odds_ratio)
    for r in res.lottery.itertuples(index=False):
        if (r.attribute, r.group) in hidden or r.attribute in dirty:
            assert pd.isna(r.p_air_below_four_fifths)
    for r in res.lottery_summary.itertuples(index=False):
        if r.attribute in dirty:
            assert pd.isna(r.p_any_air_below_four_fifths)
            assert pd.isna(r.expected_min_air_of_draws)
    # score views are suppressed by their own counts, and with a withheld applicant count
    no_n = {(a, x) for a, x, n in zip(g["attribute"], g["group"], g["applicants"], strict=True)
            if pd.isna(n)}  # fmt: skip
    for r in res.score_gaps.itertuples(index=False):
        if {(r.attribute, r.group), (r.attribute, r.reference)} & no_n:
            assert pd.isna(r.difference)
            assert pd.isna(r.n)
    for r in res.reviewer_gaps.itertuples(index=False):
        if (r.attribute, r.group) in no_n:
            assert pd.isna(r.gap)
            assert pd.isna(r.n_reviews)
    for r in res.spread.itertuples(index=False):
        if r.attribute in dirty:
            assert pd.isna(r.estimate)
            assert pd.isna(r.ci_high)
            assert pd.isna(r.highest)
    for r in res.pairwise.itertuples(index=False):
        if {(r.attribute, r.group), (r.attribute, r.other)} & hidden:
            assert pd.isna(r.difference)
            assert r.suppressed


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("min_cell", [3, 10])
def test_no_small_cell_published_and_none_recomputable(seed, min_cell):
    d = make_decisions(seed)
    d["submission_id"] = [f"s{i}" for i in range(len(d))]
    d["selection_probability"] = 0.25
    rng = np.random.default_rng(seed)
    scores = pd.DataFrame(
        {"submission_id": d["submission_id"], "calibrated_score": rng.normal(4, 1, len(d))}
    )
    reviews = pd.DataFrame(
        {
            "submission_id": np.repeat(d["submission_id"].to_numpy(), 3),
            "reviewer_id": [f"r{i % 5}" for i in range(3 * len(d))],
            "score": rng.integers(1, 7, 3 * len(d)),
        }
    )
    res = audit(
        d,
        groups=["gender", "stage"],
        intersect=True,
        strata="field",
        covariates=["field"],
        min_cell=min_cell,
        seed=seed,
        scores=scores,
        reviews=reviews,
    )
    assert_no_statistic_of_a_hidden_cell(res)
    g = res.groups
    visible = g.dropna(subset=["applicants", "selected"])
    assert (visible["applicants"] >= min_cell).all()
    assert (visible["selected"] >= min_cell).all()
    assert ((visible["applicants"] - visible["selected"]) >= min_cell).all()
    assert (g["applicants"].dropna() >= min_cell).all()
    sr = res.stratum_rates.dropna(subset=["applicants", "selected"])
    assert (sr["selected"] >= min_cell).all()
    assert ((sr["applicants"] - sr["selected"]) >= min_cell).all()
    # rates and intervals are hidden with the counts they reveal
    hidden = g["suppressed"].astype(bool)
    assert g.loc[hidden, ["selection_rate", "rate_ci_low", "rate_ci_high"]].isna().all().all()
    assert g.loc[~hidden, "selection_rate"].notna().all()
    # the attack learns nothing hidden
    totals = {s: (len(part), part["selected"].sum()) for s, part in d.groupby("field")}
    assert attack(res, len(d), int(d["selected"].sum()), totals) == set()


def test_suppression_is_exercised():
    # the parametrized data above do produce suppressed cells (the test is not vacuous)
    res = audit(
        make_decisions(0), groups=["gender", "stage"], intersect=True, strata="field", min_cell=5
    )
    assert res.groups["suppressed"].any()
    assert res.stratum_rates["suppressed"].any()
    hidden = res.groups[res.groups["suppressed"].astype(bool)]
    # complementary suppression: never exactly one hidden selected count per attribute
    per_attr = hidden.groupby("attribute").size()
    assert (per_attr != 1).all()


def test_comparisons_and_tests_hide_suppressed_groups():
    d = pd.DataFrame({"g": ["a"] * 50 + ["b"] * 50 + ["c"] * 4, "selected": [1, 0] * 52})
    d.insert(0, "submission_id", range(len(d)))
    res = audit(d, groups="g", min_cell=5)
    comp = res.comparisons.set_index("group")
    assert comp.loc["c", ["rate_difference", "p_value", "odds_ratio"]].isna().all()
    assert res.tests["p_value"].isna().all()
    assert res.spread["estimate"].isna().all()
    assert res.pairwise.set_index("other").loc["c", "difference"].isna().all()
    open_ = audit(d, groups="g", min_cell=0)
    assert not open_.groups["suppressed"].any()
    assert open_.tests["p_value"].notna().all()


def test_the_heuristic_complements_with_the_smallest_cell():
    # Four groups of a published total: hiding "a" alone leaves it as total minus the
    # rest, so the hypercube rule also hides the smallest visible group, "c".
    cs = Disclosure()
    cs.add("N", 80, hidden=False, fixed=True)
    for name, value, hide in [
        ("a", 3, True),
        ("b", 40, False),
        ("c", 12, False),
        ("d", 25, False),
    ]:
        cs.add(name, value, hide)
    cs.equation(["a", "b", "c", "d"], "N")
    cs.solve(attack=False)
    assert [cs.hidden(x) for x in "abcd"] == [True, False, True, False]
    assert not cs.hidden("N")


def test_primary_rule_covers_selected_and_not_selected():
    n = np.array([3, 20, 20, 20])
    k = np.array([1, 2, 18, 10])
    hide_n, hide_k = primary_hidden(n, k, 5)
    assert hide_n.tolist() == [True, False, False, False]
    assert hide_k.tolist() == [True, True, True, False]


def test_attack_finds_an_unprotected_cell():
    # sanity check of the attack itself: a lone hidden cell is recovered
    class Fake:
        groups = pd.DataFrame(
            {
                "attribute": ["g"] * 3,
                "group": ["a", "b", "c"],
                "applicants": [10, 20, 30],
                "selected": [None, 8, 9],
                "selection_rate": [np.nan, 0.4, 0.3],
            }
        )
        stratum_rates = pd.DataFrame(
            columns=["attribute", "stratum", "group", "applicants", "selected"]
        )
        comparisons = pd.DataFrame(
            columns=["attribute", "group", "reference", "rate_difference", "rate_ratio"]
        )

    assert attack(Fake, 60, 20) == {("k", "g", "a")}


@pytest.mark.parametrize("seed", range(4))
def test_funnel_cells_are_protected_and_consistent(seed):
    rng = np.random.default_rng(seed)
    n = 150
    d = pd.DataFrame(
        {"submission_id": range(n), "gender": rng.choice(["m", "w", "x"], n, p=[0.6, 0.35, 0.05])}
    )
    d["screened"] = (rng.random(n) < 0.7).astype(int)
    d["interviewed"] = d["screened"] * (rng.random(n) < 0.4)
    d["offered"] = d["interviewed"] * (rng.random(n) < 0.5)
    res = audit(d, groups="gender", stages=["screened", "interviewed", "offered"], min_cell=5)
    f = res.funnel
    visible = f.dropna(subset=["reached", "passed"])
    assert (visible["passed"] >= 5).all()
    assert ((visible["reached"] - visible["passed"]) >= 5).all()
    for _, stage in f.groupby("stage"):
        assert stage["passed"].isna().sum() != 1  # never a lone hidden cell in a stage
    # a stage's entrants are the previous stage's passers: hidden in both or in neither
    wide = f.pivot(index="group", columns="stage")
    assert (wide[("passed", "screened")].isna() == wide[("reached", "interviewed")].isna()).all()
    assert (wide[("passed", "interviewed")].isna() == wide[("reached", "offered")].isna()).all()
    # the last stage's passers are the selected of the groups table
    g = res.groups.set_index("group")
    assert (wide[("passed", "offered")].isna() == g["selected"].isna()).all()


def test_notes_do_not_reveal_a_suppressed_group_size():
    # A group of 1 among 200: its expected count under the chi-square test (≈ 0.2) would
    # reveal its size, so no note may carry that number.
    import re

    import pandas as pd

    from fairpanel.audit import audit

    groups = ["a"] * 120 + ["b"] * 79 + ["c"]
    selected = [i % 4 == 0 for i in range(200)]
    frame = pd.DataFrame({"submission_id": range(200), "g": groups, "selected": selected})
    result = audit(frame, groups="g")
    text = " ".join(result.notes)
    assert "chi-square" in text
    assert not re.search(r"\d\.\d", text)


def test_complementary_suppression_spares_the_reference_group():
    # "tiny" (1 applicant) is hidden; a complement must go too. The smallest other group
    # is the reference (highest rate), so hiding it would withhold every comparison: the
    # next smallest is hidden instead.
    import pandas as pd

    from fairpanel.audit import audit

    rows = (
        [("ref", i < 12) for i in range(30)]
        + [("mid", i < 10) for i in range(60)]
        + [("big", i < 15) for i in range(90)]
        + [("tiny", False)]
    )
    frame = pd.DataFrame(rows, columns=["g", "selected"])
    frame.insert(0, "submission_id", range(len(frame)))
    result = audit(frame, groups="g")
    groups = result.groups.set_index("group")
    assert bool(groups.loc["tiny", "suppressed"])
    assert not bool(groups.loc["ref", "suppressed"])
    assert int(groups["suppressed"].sum()) == 2
    comps = result.comparisons.set_index("group")
    assert (comps["reference"] == "ref").all()
    assert comps.loc["big", "rate_difference"] == pytest.approx(15 / 90 - 12 / 30)


# --- statistics of hidden groups ----------------------------------------------------
# Regressions found auditing real review data (NWO, SNSF): every statistic of a group
# hidden by the minimum cell is withheld; an odds ratio of a suppressed 7-person group
# was still published through the regression. Each test failed before its fix.


def mint_like():
    """202 men, 144 women and 7 non-binary applicants (3 selected), in two sections."""
    rows = []
    for gender, n, k in [("man", 202, 60), ("woman", 144, 47), ("non-binary", 7, 3)]:
        for i in range(n):
            rows.append(
                {
                    "submission_id": f"{gender}-{i}",
                    "gender": gender,
                    "stage": ["early", "mid", "senior"][i % 3],
                    "section": "one" if i % 2 else "two",
                    "selected": int(i < k),
                }
            )
    return pd.DataFrame(rows)


def test_logistic_odds_ratios_of_hidden_groups_are_withheld():
    res = audit(mint_like(), groups="gender", covariates=["stage"], strata="section")
    hidden = set(res.groups.loc[res.groups["suppressed"].astype(bool), "group"])
    assert "non-binary" in hidden
    assert res.logistic["odds_ratio"].isna().all()
    assert res.strata["pooled_odds_ratio"].isna().all()
    entry = res.to_dict()["attributes"]["gender"]
    assert all(row["odds_ratio"] is None for row in entry["logistic"])
    open_ = audit(mint_like(), groups="gender", covariates=["stage"], min_cell=0)
    assert open_.logistic["odds_ratio"].notna().all()


def test_cmh_with_a_hidden_stratum_cell_is_withheld():
    # NWO Veni 2010-2012, Physics and Humanities (van der Lee & Ellemers 2015, Table S1):
    # 2 awards to women in Physics is below 5, so the CMH of the pair is withheld
    counts = pd.DataFrame(
        {
            "field": ["Physics", "Physics", "Humanities", "Humanities"],
            "gender": ["men", "women", "men", "women"],
            "n": [67, 9, 230, 166],
            "k": [18, 2, 33, 32],
        }
    )
    res = audit_counts(
        counts, group_col="gender", applicants_col="n", selected_col="k", strata_col="field"
    )
    assert res.stratum_rates["suppressed"].any()
    assert res.strata[["statistic", "pooled_odds_ratio", "crude_odds_ratio"]].isna().all().all()
    assert res.logistic["odds_ratio"].isna().all()
    assert any("within-strata comparisons and the regression" in note for note in res.notes)
    full = audit_counts(
        counts,
        group_col="gender",
        applicants_col="n",
        selected_col="k",
        strata_col="field",
        min_cell=0,
    )
    assert full.strata["pooled_odds_ratio"].notna().all()


def test_lottery_chances_of_an_attribute_with_a_hidden_group_are_withheld():
    d = mint_like().assign(selection_probability=0.3)
    res = audit(d, groups="gender", seed=1)
    summary = res.lottery_summary.iloc[0]
    assert pd.isna(summary["p_any_air_below_four_fifths"])
    assert pd.isna(summary["mc_se"])
    assert res.lottery["p_air_below_four_fifths"].isna().all()


def test_score_rows_are_suppressed_by_their_own_counts():
    # Issue 11: score gaps were withheld because of the *selected* count. Non-binary
    # (7 applicants, 3 selected) has its selected count withheld, but 7 scored
    # submissions: its score gap is published. A group of 3 applicants (its applicant
    # count withheld, and the score gap's n and interval would give it back) is not.
    # two tiny groups (3 and 4 applicants): they protect each other's applicant counts
    tiny = pd.DataFrame(
        {"submission_id": [f"t{i}" for i in range(7)], "gender": ["agender"] * 3 + ["other"] * 4,
         "stage": "early", "section": "one", "selected": 0}
    )  # fmt: skip
    d = pd.concat([mint_like(), tiny], ignore_index=True)
    scores = pd.DataFrame(
        {"submission_id": d["submission_id"], "calibrated_score": np.linspace(1, 5, len(d))}
    )
    res = audit(d, groups="gender", scores=scores)
    g = res.groups.set_index("group")
    assert g.loc["non-binary", "suppressed"]
    assert pd.isna(g.loc["non-binary", "selected"])
    assert g.loc["non-binary", "applicants"] == 7
    assert pd.isna(g.loc["agender", "applicants"])
    sg = res.score_gaps.set_index("group")
    assert not sg.loc["non-binary", "suppressed"]
    assert sg.loc["non-binary", "n"] == 7
    assert not pd.isna(sg.loc["non-binary", "difference"])
    assert sg.loc["agender", "suppressed"]
    assert sg.loc[["agender"], ["n", "mean_score", "difference"]].isna().all().all()
    no_n = set(res.groups.loc[res.groups["applicants"].isna(), "group"])
    assert not sg["reference"].isin(no_n).any()  # the reference is a published group


# Regression (same audit): a note says why the main comparison is withheld and what
# to do, without revealing a hidden count.
def test_note_says_why_the_main_comparison_is_withheld():
    res = audit(mint_like(), groups="gender")
    comps = res.comparisons
    assert comps["rate_difference"].isna().all()
    text = " ".join(res.notes)
    assert "withheld" in text
    assert "merge small groups" in text
    # no count of a hidden group is revealed (7, 3, 60, 202...)
    assert not re.search(r"\b(3|7|47|60|144|202)\b", text)
