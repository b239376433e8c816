"""The audit: from decisions or published counts to publishable disparity tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._seed import Seed, as_rng
from fairpanel.audit._bootstrap import bootstrap_max_min
from fairpanel.audit._inputs import (
    DECISIONS,
    STAGE_PREFIX,
    SUBMISSIONS,
    as_frame,
    check_columns,
    covariate_column,
    group_column,
    tagged,
    unit_frame,
    validate_counts,
)
from fairpanel.audit._lottery import (
    LOTTERY_COLUMNS,
    LOTTERY_SUMMARY_COLUMNS,
    check_probabilities,
    lottery_tables,
)
from fairpanel.audit._notes import (
    NOTE_DIRECTION,
    NOTE_MERGED,
    NOTE_MODELS_WITHHELD,
    NOTE_WITHHELD,
    withheld_model_notes,
    withheld_notes,
)
from fairpanel.audit._publish import SEP, publish
from fairpanel.audit._result import AuditResult
from fairpanel.audit._scores import REVIEWER_COLUMNS, SCORE_GAP_COLUMNS
from fairpanel.audit._strata import LOGISTIC_COLUMNS, STRATA_COLUMNS, cmh_table, logistic_table
from fairpanel.audit._suppress import DEFAULT_MIN_CELL
from fairpanel.audit._tables import (
    COMPARISON_COLUMNS,
    FUNNEL_COLUMNS,
    GROUP_COLUMNS,
    STRATUM_RATE_COLUMNS,
    TEST_COLUMNS,
    comparison_table,
    funnel_table,
    group_table,
    omnibus_table,
    pick_reference,
)
from fairpanel.audit._views import with_score_views

__all__ = [
    "ERR_MIN_CELL",
    "ERR_NO_GROUPS",
    "ERR_UNKNOWN_REFERENCE",
    "NOTE_DIRECTION",
    "NOTE_MERGED",
    "NOTE_MODELS_WITHHELD",
    "NOTE_WITHHELD",
    "audit_counts",
    "run_audit",
]

ERR_UNKNOWN_REFERENCE = "reference group '{reference}' is not a group of {attributes}"
ERR_NO_GROUPS = "name at least one group attribute"
ERR_MIN_CELL = "min_cell must be a whole number of at least 0, not {value!r}"

_STAGE = STAGE_PREFIX
_REPLICATES: Final[int] = 2000

Reference = str | Mapping[str, str] | None


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=list(columns))


def _resolve_reference(reference: Reference, attr: str, groups: np.ndarray) -> str | None:
    name = reference.get(attr) if isinstance(reference, Mapping) else reference
    return name if name is not None and name in set(groups.tolist()) else None


def _check_reference(reference: Reference, found: dict[str, list[str]]) -> None:
    if reference is None:
        return
    wanted = reference.items() if isinstance(reference, Mapping) else [(None, reference)]
    for attr, name in wanted:
        pool = (
            found.get(attr, []) if attr is not None else [g for gs in found.values() for g in gs]
        )
        if name not in pool:
            raise FairpanelInputError(
                ERR_UNKNOWN_REFERENCE.format(reference=name, attributes=attr or ", ".join(found)),
                hint=f"choose one of: {', '.join(sorted(set(pool)))}",
            )


def _check_min_cell(min_cell: object) -> int:
    # bool is an int subclass; True as a cell size is a programming slip, not a 1
    if isinstance(min_cell, bool) or not isinstance(min_cell, int | np.integer) or min_cell < 0:
        raise ValueError(ERR_MIN_CELL.format(value=min_cell))
    return int(min_cell)


def _assemble(
    cells: pd.DataFrame,
    attributes: Sequence[str],
    *,
    parts: Mapping[str, tuple[str, ...]],
    stages: Sequence[str],
    strata: str | None,
    covariates: Sequence[str],
    reference: Reference,
    min_cell: int,
    rng: np.random.Generator,
    extra: Mapping[str, pd.DataFrame],
    notes: Sequence[str] = (),
) -> AuditResult:
    counts = ["applicants", "selected", *(f"{_STAGE}{s}" for s in stages)]
    out: dict[str, list[pd.DataFrame]] = {
        k: []
        for k in (
            "groups",
            "comparisons",
            "tests",
            "strata",
            "stratum_rates",
            "logistic",
            "funnel",
        )
    }
    notes_: list[str] = list(notes)
    found: dict[str, list[str]] = {}
    models: dict[str, list[str]] = {}
    for attr in attributes:
        agg = cells.groupby(attr, sort=True)[counts].sum()
        groups = np.asarray(agg.index.astype(str))
        found[attr] = groups.tolist()
        n, k = agg["applicants"].to_numpy(np.int64), agg["selected"].to_numpy(np.int64)
        name = _resolve_reference(reference, attr, groups)
        ref = (
            groups.tolist().index(name)
            if name is not None
            else pick_reference(groups, n, k, int(min_cell))
        )
        out["groups"].append(group_table(attr, groups, n, k))
        if groups.size > 1:
            out["comparisons"].append(comparison_table(attr, groups, n, k, ref, int(min_cell)))
        tests = omnibus_table(attr, n, k)
        notes_ += [f"{attr}: {x}" for x in tests["note"] if x]
        out["tests"].append(tests)
        if stages:
            passed = {s: agg[f"{_STAGE}{s}"].to_numpy(np.int64) for s in stages}
            out["funnel"].append(funnel_table(attr, groups, n, passed, int(min_cell)))
        if strata is not None:
            sc = cells.groupby([attr, "stratum"], as_index=False)[["applicants", "selected"]].sum()
            sc = sc.rename(columns={attr: "group"}).astype({"group": str, "stratum": str})
            if groups.size > 1:
                out["strata"].append(cmh_table(attr, sc, groups.tolist(), str(groups[ref])))
            for stratum, part in sc.groupby("stratum", sort=True):
                part = part[part["applicants"] > 0]
                gt = group_table(
                    attr,
                    part["group"].to_numpy(),
                    part["applicants"].to_numpy(np.int64),
                    part["selected"].to_numpy(np.int64),
                )
                gt.insert(1, "stratum", str(stratum))
                out["stratum_rates"].append(gt)
        # an attribute is not adjusted for itself (nor an intersection for its parts)
        covs = [c for c in covariates if c != attr and c not in parts.get(attr, ())]
        if covs and groups.size > 1:
            lc = cells.groupby([attr, *covs], as_index=False)[["applicants", "selected"]].sum()
            table, fit_notes = logistic_table(
                attr,
                lc.rename(columns={attr: "group"}),
                reference=str(groups[ref]),
                covariates=covs,
            )
            out["logistic"].append(table)
            models[attr] = covs
            notes_ += fit_notes
    _check_reference(reference, found)
    columns = {
        "groups": GROUP_COLUMNS,
        "comparisons": COMPARISON_COLUMNS,
        "tests": TEST_COLUMNS,
        "strata": STRATA_COLUMNS,
        "stratum_rates": STRATUM_RATE_COLUMNS,
        "logistic": LOGISTIC_COLUMNS,
        "funnel": FUNNEL_COLUMNS,
    }
    tables = {
        key: pd.concat(frames, ignore_index=True) if frames else _empty(columns[key])
        for key, frames in out.items()
    }
    tables["bootstrap"] = bootstrap_max_min(cells, attributes, replicates=_REPLICATES, seed=rng)
    for key, cols in (
        ("lottery", LOTTERY_COLUMNS),
        ("lottery_summary", LOTTERY_SUMMARY_COLUMNS),
        ("score_gaps", SCORE_GAP_COLUMNS),
        ("reviewer_gaps", REVIEWER_COLUMNS),
    ):
        tables[key] = extra.get(key, _empty(cols))
    published = publish(tables, parts, stages, int(min_cell), models=models, strata=strata)
    notes_ += withheld_notes(published["comparisons"])
    notes_ += withheld_model_notes(
        published["strata"], published["logistic"], published["comparisons"]
    )
    return AuditResult(**published, min_cell=int(min_cell), notes=tuple(notes_))


def run_audit(
    decisions: Any,
    *,
    groups: str | Sequence[str],
    selected: str = "selected",
    submissions: pd.DataFrame | None = None,
    strata: str | None = None,
    covariates: Sequence[str] = (),
    stages: Sequence[str] | None = None,
    reference: Reference = None,
    min_cell: int = DEFAULT_MIN_CELL,
    intersect: bool = False,
    seed: Seed = None,
    probability: str = "selection_probability",
    scores: pd.DataFrame | None = None,
    reviews: pd.DataFrame | None = None,
    higher_is_better: bool | None = None,
) -> AuditResult:
    """Audit selection outcomes by group: rates, comparisons, adjustment, funnels, lotteries.

    Parameters
    ----------
    decisions : DataFrame or Allocation
        One row per submission with the group attribute columns and a 0/1 ``selected``
        column (or the ``stages`` columns); or an allocation (anything with a ``.table``
        holding ``submission_id``, ``selected``, ``selection_probability``), joined to
        ``submissions`` by ``submission_id``.
    groups : str or sequence of str
        Group attribute columns to audit, e.g. ``["gender", "career_stage"]``.
    selected : str
        The decision column (ignored when ``stages`` are given: the last stage is it).
    submissions : DataFrame, optional
        Submissions table with the group attributes, when ``decisions`` lacks them.
    strata : str, optional
        Column of strata (discipline, cycle) for the Cochran–Mantel–Haenszel analysis.
    covariates : sequence of str
        Covariates of the logistic regression (numeric ones enter linearly).
    stages : sequence of str, optional
        0/1 columns of a funnel in order (screened, interviewed, offered).
    reference : str or mapping, optional
        Reference group (one name, or ``{attribute: group}``); default: highest rate.
    min_cell : int
        Minimum published cell size (0 disables suppression: internal use only; the
        result's ``publishable`` is false below the default 5).
    intersect : bool
        Also audit the combination of all ``groups`` (e.g. ``gender × career_stage``).
    seed : int, str, SeedSequence, Generator or None
        Seed of the bootstrap and of the lottery simulation.
    probability : str
        Selection-probability column; when present, the lottery tables are filled.
    scores, reviews : DataFrame, optional
        Per-submission scores (``submission_id``, ``calibrated_score``) and reviews
        (``submission_id``, ``reviewer_id``, ``score``) for the score-gap views.
    higher_is_better : bool, optional
        The scale's direction, for orienting the score and reviewer gaps (positive =
        scored better). Default: the scores table's ``higher_is_better`` column, else
        higher is better.

    Returns
    -------
    AuditResult
        Publishable tables; ``.to_dict()`` is the CLI's JSON.

    Examples
    --------
    >>> d = pd.DataFrame({"gender": ["m"] * 80 + ["w"] * 40,
    ...                   "selected": [1] * 48 + [0] * 32 + [1] * 12 + [0] * 28})
    >>> res = run_audit(d, groups="gender")
    >>> res.comparisons[["group", "reference", "adverse_impact_ratio"]].to_dict("records")
    [{'group': 'w', 'reference': 'm', 'adverse_impact_ratio': 0.5}]
    """
    min_cell = _check_min_cell(min_cell)
    names = [groups] if isinstance(groups, str) else list(groups)
    if not names:
        raise ValueError(ERR_NO_GROUPS)
    frame = as_frame(decisions, submissions)
    stage_list = list(stages or [])
    described = names + ([strata] if strata else []) + list(covariates)
    if submissions is None:
        check_columns(frame, (stage_list or [selected]) + described, table=DECISIONS)
    else:
        own = getattr(decisions, "table", decisions).columns
        check_columns(frame, stage_list or [selected], table=DECISIONS)
        # the group attributes come from the submissions table: errors name its rows
        check_columns(submissions, [c for c in described if c not in own], table=SUBMISSIONS)
        with tagged(SUBMISSIONS):
            for column in names + ([strata] if strata else []):
                if column not in own:
                    group_column(submissions, column)
            for column in covariates:
                if column not in own:
                    covariate_column(submissions, column)
    with tagged(DECISIONS):
        unit = unit_frame(
            frame,
            names,
            selected=selected,
            stages=stage_list,
            strata=strata,
            covariates=covariates,
        )
    attributes = list(names)
    parts: dict[str, tuple[str, ...]] = {}
    if intersect and len(names) >= 2:
        combo = SEP.join(names)
        joined = unit[names[0]]
        for name in names[1:]:
            joined = joined + SEP + unit[name]
        unit[combo] = joined
        attributes.append(combo)
        parts[combo] = tuple(names)
    # one child stream per Monte Carlo use (SPEC 7): the bootstrap and the lottery draws
    boot_rng, lottery_rng = as_rng(seed).spawn(2)
    extra: dict[str, pd.DataFrame] = {}
    if probability in frame.columns:
        with tagged(DECISIONS):
            p = check_probabilities(frame[probability], probability)
        extra["lottery"], extra["lottery_summary"] = lottery_tables(
            unit,
            p,
            unit["selected"].to_numpy(np.float64),
            attributes,
            replicates=_REPLICATES,
            rng=lottery_rng,
            min_cell=int(min_cell),
        )
    keys = attributes + (["stratum"] if strata else []) + list(covariates)
    value_cols = ["applicants", "selected", *(c for c in unit.columns if c.startswith(_STAGE))]
    cells = unit.groupby(keys, as_index=False, sort=True)[value_cols].sum()
    result = _assemble(
        cells,
        attributes,
        parts=parts,
        stages=stage_list,
        strata=strata,
        covariates=list(covariates),
        reference=reference,
        min_cell=min_cell,
        rng=boot_rng,
        extra=extra,
    )
    if scores is None and reviews is None:
        return result
    return with_score_views(
        result,
        scores,
        reviews,
        frame if submissions is None else submissions,
        source_table=DECISIONS if submissions is None else SUBMISSIONS,
        groups=names,
        min_cell=min_cell,
        higher_is_better=higher_is_better,
    )


def audit_counts(
    counts: pd.DataFrame,
    *,
    group_col: str,
    applicants_col: str = "applicants",
    selected_col: str = "selected",
    strata_col: str | None = None,
    reference: str | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    seed: Seed = None,
) -> AuditResult:
    """Audit a published counts table: one row per group (and stratum).

    Rows repeating a group (and stratum) are added together, with a note: a table per
    call × research area × gender audited by research area adds up the calls. With
    ``strata_col`` the Cochran–Mantel–Haenszel analysis and a logistic regression
    on group and stratum are added. A wide table (a column pair per group) can be
    reshaped first with :func:`counts_from_wide`.

    Examples
    --------
    >>> c = pd.DataFrame({"gender": ["m", "w"], "n": [80, 40], "k": [48, 12]})
    >>> res = audit_counts(c, group_col="gender", applicants_col="n", selected_col="k")
    >>> bool(res.comparisons["four_fifths_flag"].iloc[0])
    True
    """
    min_cell = _check_min_cell(min_cell)
    cells, merged = validate_counts(
        counts,
        group_col=group_col,
        applicants_col=applicants_col,
        selected_col=selected_col,
        strata_col=strata_col,
    )
    # the same cell order as counted decisions, so the same seed gives the same bootstrap
    keys = ["group", "stratum"] if strata_col else ["group"]
    cells = cells.sort_values(keys, kind="stable").reset_index(drop=True)
    cells = cells.rename(columns={"group": group_col})
    if strata_col:
        # the regression's terms are named after the user's column (``discipline[...]``)
        cells[strata_col] = cells["stratum"]
    return _assemble(
        cells,
        [group_col],
        parts={},
        stages=[],
        strata=strata_col,
        covariates=[strata_col] if strata_col else [],
        reference=reference,
        min_cell=min_cell,
        rng=as_rng(seed).spawn(2)[0],
        extra={},
        notes=[NOTE_MERGED.format(rows=merged, and_stratum=" and stratum" if strata_col else "")]
        if merged
        else [],
    )
