"""Make the audit's tables publishable: hide small cells and whatever would reveal them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from fairpanel.audit._publication import SEP, Nesting, funnel_keys, gather, nestings, round_lottery
from fairpanel.audit._reviewers import holm_flags

__all__ = ["SEP", "Nesting", "hide_score_rows", "nestings", "publish"]


def _nullable(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_bool_dtype(out[c]):
            out[c] = out[c].astype("boolean")
        elif pd.api.types.is_integer_dtype(out[c]):
            out[c] = out[c].astype("Int64")
    return out


def _model_touches_hidden(
    attr: str,
    covariates: Sequence[str],
    parts: Mapping[str, tuple[str, ...]],
    hidden: set[tuple[str, str]],
    cell_hidden: set[tuple[str, str]],
    strata: str | None,
) -> bool:
    """Whether a withheld cell is a sum of the cells the model of ``attr`` is fitted to.

    The regression of ``attr`` is fitted to the cells ``attr × covariates``; a published
    table whose keys are among those is an aggregate of them (the attribute's groups,
    another audited attribute among the covariates, their per-stratum cells when the
    stratum is a covariate). Its odds ratios and intervals, with the published counts,
    are equations in the withheld cells, so the whole model is withheld with them.
    """
    keys = set(parts.get(attr, (attr,))) | set(covariates)
    for a, _ in hidden:
        if set(parts.get(a, (a,))) <= keys:
            return True
    if strata is not None and strata in keys:
        for a, _ in cell_hidden:
            if set(parts.get(a, (a,))) <= keys:
                return True
    return False


def hide_score_rows(
    score_gaps: pd.DataFrame,
    reviewer_gaps: pd.DataFrame,
    groups: pd.DataFrame,
    *,
    alpha: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Withhold the score rows that would reveal a count the published ``groups`` withhold.

    Each statistic is suppressed by its own cells: a score gap by the numbers of scored
    submissions (:func:`~fairpanel.audit._scores.score_gaps`), a reviewer gap by the
    reviews (:func:`~fairpanel.audit._reviewers.reviewer_gaps`), not by how many were
    selected. Only a group whose *applicant* count is withheld takes its score rows with
    it (a row's ``n`` and the width of its interval would give that count back); a
    group withheld for its selected count keeps its score gaps. The reviewer gaps' Holm
    adjustment is redone over the rows still published.
    """
    hidden = {
        (str(a), str(x))
        for a, x, n in zip(groups["attribute"], groups["group"], groups["applicants"], strict=True)
        if pd.isna(n)
    }
    sg = _nullable(score_gaps)
    if len(sg):
        bad = np.array(
            [
                (a, x) in hidden or (a, r) in hidden
                for a, x, r in zip(sg["attribute"], sg["group"], sg["reference"], strict=True)
            ],
            dtype=bool,
        )
        keep = {"attribute", "group", "reference", "suppressed", "higher_is_better"}
        sg.loc[bad, [c for c in sg.columns if c not in keep]] = pd.NA
        sg["suppressed"] = sg["suppressed"].fillna(False).astype(bool) | bad
        # a suppressed row's count of scored submissions is below min_cell, or its group's
        sg.loc[sg["suppressed"].to_numpy(bool), "n"] = pd.NA
    rg = _nullable(reviewer_gaps)
    if len(rg):
        bad = np.array(
            [(a, x) in hidden for a, x in zip(rg["attribute"], rg["group"], strict=True)],
            dtype=bool,
        )
        cols = ["n_reviews", "gap", "gap_others", "contrast", "p_value"]
        rg.loc[bad, cols] = pd.NA
        rg["suppressed"] = rg["suppressed"].fillna(False).astype(bool) | bad
        rg = holm_flags(rg, alpha)
    return sg, rg


def publish(
    tables: Mapping[str, pd.DataFrame],
    parts: Mapping[str, tuple[str, ...]],
    stages: Sequence[str],
    min_cell: int,
    *,
    models: Mapping[str, Sequence[str]] | None = None,
    strata: str | None = None,
    nested: Sequence[Nesting] = (),
) -> dict[str, pd.DataFrame]:
    """Return copies of the tables with suppressed cells missing and flagged.

    ``models`` maps an attribute to the covariates its regression was fitted on, and
    ``strata`` names the covariate that is the stratum (if any): a model fitted to a
    withheld cell is withheld.
    """
    models = models or {}
    cs = gather(tables, parts, stages, min_cell, nested)
    t = {name: _nullable(frame) for name, frame in tables.items()}

    g = t["groups"]
    hn = np.array(
        [cs.hidden(("n", a, x)) for a, x in zip(g["attribute"], g["group"], strict=True)],
        dtype=bool,
    )
    hk = np.array(
        [cs.hidden(("k", a, x)) for a, x in zip(g["attribute"], g["group"], strict=True)],
        dtype=bool,
    )
    g.loc[hn, "applicants"] = pd.NA
    g.loc[hk, "selected"] = pd.NA
    g.loc[hn | hk, ["selection_rate", "rate_ci_low", "rate_ci_high"]] = np.nan
    g["suppressed"] = hn | hk
    hidden = {
        (a, x) for a, x, s in zip(g["attribute"], g["group"], g["suppressed"], strict=True) if s
    }
    dirty = {a for a, _ in hidden}

    c = t["comparisons"]
    if len(c):
        bad = np.array(
            [
                (a, x) in hidden or (a, r) in hidden
                for a, x, r in zip(c["attribute"], c["group"], c["reference"], strict=True)
            ],
            dtype=bool,
        )
        stats_cols = [
            col for col in c.columns if col not in ("attribute", "group", "reference", "test")
        ]
        # the adverse-impact ratio is taken against the reference: withheld with it
        c.loc[bad, stats_cols] = pd.NA

    o = t["tests"]
    o.loc[o["attribute"].isin(dirty), ["statistic", "p_value", "min_expected"]] = np.nan

    # per-stratum cells withheld, by (attribute, group)
    r = t["stratum_rates"]
    cell_hidden: set[tuple[str, str]] = set()
    if len(r):
        for a, st, x in r[["attribute", "stratum", "group"]].astype(str).itertuples(index=False):
            if cs.hidden(("sn", a, st, x)) or cs.hidden(("sk", a, st, x)):
                cell_hidden.add((a, x))

    s = t["strata"]
    if len(s):
        # the CMH statistics are computed from the pair's per-stratum cells: with one of
        # them withheld, the pooled odds ratio (and the rest) would let it be solved for
        bad = np.array(
            [
                bool({(a, x), (a, ref)} & (hidden | cell_hidden))
                for a, x, ref in zip(s["attribute"], s["group"], s["reference"], strict=True)
            ],
            dtype=bool,
        )
        keep = ("attribute", "group", "reference", "test", "homogeneity_test")
        s.loc[bad, [col for col in s.columns if col not in keep]] = pd.NA

    if len(r):
        keys = list(
            r[["attribute", "stratum", "group"]].astype(str).itertuples(index=False, name=None)
        )
        rn = np.array([cs.hidden(("sn", *key)) for key in keys], dtype=bool)
        rk = np.array([cs.hidden(("sk", *key)) for key in keys], dtype=bool)
        r.loc[rn, "applicants"] = pd.NA
        r.loc[rk, "selected"] = pd.NA
        r.loc[rn | rk, ["selection_rate", "rate_ci_low", "rate_ci_high"]] = np.nan
        r["suppressed"] = rn | rk

    f = t["funnel"]
    if len(f):
        pos = [list(stages).index(str(st)) for st in f["stage"]]
        keys_f = [
            funnel_keys(a, x, stages)[j]
            for a, x, j in zip(f["attribute"], f["group"], pos, strict=True)
        ]
        fr = np.array([cs.hidden(kr) for kr, _ in keys_f], dtype=bool)
        fp = np.array([cs.hidden(kp) for _, kp in keys_f], dtype=bool)
        f.loc[fr, "reached"] = pd.NA
        f.loc[fp, "passed"] = pd.NA
        f.loc[fr | fp, ["pass_rate", "rate_ci_low", "rate_ci_high"]] = np.nan
        f["suppressed"] = fr | fp
        # A ratio is the group's rate over the reference's: it is withheld with either of
        # them, and only then. (Withholding every ratio of a stage with one hidden group
        # once hid a long-list four-fifths flag for women behind a group of six.)
        row_hidden = dict(
            zip(zip(f["attribute"], f["stage"], f["group"], strict=True), fr | fp, strict=True)
        )
        ref_hidden = np.array(
            [
                row_hidden.get((a, st, ref), True)
                for a, st, ref in zip(f["attribute"], f["stage"], f["reference"], strict=True)
            ],
            dtype=bool,
        )
        f.loc[fr | fp | ref_hidden, ["adverse_impact_ratio", "four_fifths_flag"]] = pd.NA

    lg = t["logistic"]
    if len(lg):
        withheld = {
            a
            for a in set(lg["attribute"].astype(str))
            if _model_touches_hidden(a, models.get(a, ()), parts, hidden, cell_hidden, strata)
        }
        lg.loc[lg["attribute"].isin(withheld), ["odds_ratio", "ci_low", "ci_high", "p_value"]] = (
            np.nan
        )

    b = t["spread"]
    if len(b):
        # the gap's interval involves every group's interval, hidden ones included
        cols = ["estimate", "ci_low", "ci_high", "highest", "lowest"]
        b.loc[b["attribute"].isin(dirty), cols] = pd.NA
    pw = t["pairwise"]
    if len(pw):
        bad = np.array(
            [
                (a, x) in hidden or (a, o) in hidden
                for a, x, o in zip(pw["attribute"], pw["group"], pw["other"], strict=True)
            ],
            dtype=bool,
        )
        pw.loc[bad, ["difference", "ci_low", "ci_high"]] = np.nan
        pw["suppressed"] = bad

    lt = t["lottery"]
    if len(lt):
        bad = np.array(
            [(a, x) in hidden for a, x in zip(lt["attribute"], lt["group"], strict=True)],
            dtype=bool,
        )
        cols = [
            "expected_selected",
            "expected_rate",
            "realized_selected",
            "realized_rate",
            "p_air_below_four_fifths",
        ]
        lt.loc[bad, cols] = pd.NA
        hidden_n = {(a, x) for a, x, h in zip(g["attribute"], g["group"], hn, strict=True) if h}
        no_n = np.array(
            [(a, x) in hidden_n for a, x in zip(lt["attribute"], lt["group"], strict=True)],
            dtype=bool,
        )
        lt.loc[no_n, "applicants"] = pd.NA
        lt["suppressed"] = bad
        # the chances involve every eligible group, hidden ones included (and the
        # highest-rate group they are measured against may be hidden)
        lt.loc[lt["attribute"].isin(dirty).to_numpy(), "p_air_below_four_fifths"] = pd.NA
        ls = t["lottery_summary"]
        derived = [
            "expected_min_air",
            "realized_min_air",
            "p_any_air_below_four_fifths",
            "mc_se",
            "min_air_of_expected_rates",
            "expected_min_air_of_draws",
        ]
        ls.loc[ls["attribute"].isin(dirty), derived] = np.nan
        if min_cell > 0:  # (0: suppression off, internal use: the exact values)
            t["lottery"], t["lottery_summary"] = round_lottery(lt, ls)
    sg = t["score_gaps"]
    if len(sg):
        # a group's number of scored submissions is its applicant count: hide it alike
        hidden_n = {(a, x) for a, x, h in zip(g["attribute"], g["group"], hn, strict=True) if h}
        no_n = np.array(
            [(a, x) in hidden_n for a, x in zip(sg["attribute"], sg["group"], strict=True)],
            dtype=bool,
        )
        sg.loc[no_n | sg["suppressed"].astype(bool).to_numpy(), "n"] = pd.NA
    return t
