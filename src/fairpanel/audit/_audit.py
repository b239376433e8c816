"""The audit: from decisions or published counts to publishable disparity tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from fairpanel._schema import DEFAULT_MIN_CELL
from fairpanel._seed import Seed, as_rng
from fairpanel.audit._across import cycle_cells, extend
from fairpanel.audit._assemble import ERR_UNKNOWN_REFERENCE, REPLICATES, Reference, assemble
from fairpanel.audit._inputs import (
    DECISIONS,
    STAGE_PREFIX,
    SUBMISSIONS,
    as_table,
    merge_cells,
    unit_frame,
)
from fairpanel.audit._lottery import lottery_tables
from fairpanel.audit._multiplicity import DEFAULT_ADJUST, Adjust, check_adjust
from fairpanel.audit._notes import (
    NOTE_DIRECTION,
    NOTE_MERGED,
    NOTE_MODELS_WITHHELD,
    NOTE_WITHHELD,
)
from fairpanel.audit._publish import SEP
from fairpanel.audit._recode import recode_frame
from fairpanel.audit._result import AuditResult
from fairpanel.audit._views import with_score_views
from fairpanel.io import load_counts, load_decisions, load_submissions

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

ERR_NO_GROUPS = "name at least one group attribute"
ERR_MIN_CELL = "min_cell must be a whole number of at least 0, not {value!r}"


def _unnamed(frame: object, name: str) -> str | None:
    """Name a table the caller gave as a plain frame; a loaded one names its file."""
    named = isinstance(frame, pd.DataFrame) and frame.attrs.get("fairpanel_source")
    return None if named else name


def _check_min_cell(min_cell: object) -> int:
    # bool is an int subclass; True as a cell size is a programming slip, not a 1
    if isinstance(min_cell, bool) or not isinstance(min_cell, int | np.integer) or min_cell < 0:
        raise ValueError(ERR_MIN_CELL.format(value=min_cell))
    return int(min_cell)


def run_audit(
    decisions: Any,
    *,
    groups: str | Sequence[str],
    selected: str = "selected",
    submission_col: str = "submission_id",
    submissions: pd.DataFrame | None = None,
    strata: str | None = None,
    covariates: Sequence[str] = (),
    stages: Sequence[str] | None = None,
    reference: Reference = None,
    min_cell: int = DEFAULT_MIN_CELL,
    intersect: bool = False,
    seed: Seed = None,
    probability: str = "selection_probability",
    recode: Mapping[str | None, Sequence[tuple[str, str]]] | None = None,
    scores: pd.DataFrame | None = None,
    reviews: pd.DataFrame | None = None,
    higher_is_better: bool | None = None,
    cycle: str | None = None,
    change_at: str | None = None,
    change_col: str | None = None,
    adjust: Adjust = DEFAULT_ADJUST,
    scan: bool = False,
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
    submission_col : str, default "submission_id"
        The id column of ``decisions``, required: a row without an id is never counted
        as an applicant, and a repeated id (a table of reviews or votes, several rows
        per submission) is refused.
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
        Seed of the lottery simulation (the audit's only random part).
    probability : str
        Selection-probability column; when present, the lottery tables are filled.
    recode : mapping, optional
        Group labels to pool before counting: group column (None: the one holding the
        labels) → (old label, new label) pairs (:func:`fairpanel.io._groups.parse_recode`).
        Each recoding is a note of the result, as is every set of labels of a group
        column that differ only in case or spacing.
    scores, reviews : DataFrame, optional
        Per-submission scores (``submission_id``, ``calibrated_score``) and reviews
        (``submission_id``, ``reviewer_id``, ``score``) for the score-gap views.
    higher_is_better : bool, optional
        The scale's direction, for orienting the score and reviewer gaps (positive =
        scored better). Default: the scores table's ``higher_is_better`` column, else
        higher is better.
    cycle : str, optional
        Column of the cycle (year, call): adds the rates per cycle (``cycles``) and,
        per group against the reference, the gap pooled over cycles and a trend test
        (``change``).
    change_at : str, optional
        The first cycle after a process change: ``change`` then estimates how the gap
        changed (needs ``cycle``).
    change_col : str, optional
        Instead of ``change_at``, a yes/no column marking the rows after the change
        (the same within a cycle).
    adjust : {"holm", "bh"}
        Adjustment of the family of comparisons' p-values (``adjusted_p_value``).
    scan : bool
        Search the conjunctions of the groups (and the stratum) for the subgroup whose
        rate departs most from the overall rate, with a search-adjusted p-value
        (``subgroup_scan``).

    Returns
    -------
    AuditResult
        Publishable tables; ``.to_dict()`` is the CLI's JSON.

    Examples
    --------
    >>> d = pd.DataFrame({"submission_id": range(120), "gender": ["m"] * 80 + ["w"] * 40,
    ...                   "selected": [1] * 48 + [0] * 32 + [1] * 12 + [0] * 28})
    >>> res = run_audit(d, groups="gender")
    >>> res.comparisons[["group", "reference", "adverse_impact_ratio"]].to_dict("records")
    [{'group': 'w', 'reference': 'm', 'adverse_impact_ratio': 0.5}]
    """
    min_cell = _check_min_cell(min_cell)
    adjust = check_adjust(adjust)
    names = [groups] if isinstance(groups, str) else list(groups)
    if not names:
        raise ValueError(ERR_NO_GROUPS)
    stage_list = list(stages or [])
    table = as_table(decisions)
    subs = None
    if submissions is not None:
        subs = load_submissions(submissions, source=_unnamed(submissions, SUBMISSIONS))
    # The tables are checked where they enter (a loaded frame is not checked twice).
    frame = load_decisions(
        table,
        groups=names,
        selected=selected,
        submission_col=submission_col,
        stages=stage_list,
        strata=strata,
        covariates=covariates,
        probability=probability,
        submissions=subs,
        source=_unnamed(table, DECISIONS),
    )
    frame, label_notes = recode_frame(frame, names, recode or {})
    unit = unit_frame(frame, names, stages=stage_list, strata=strata, covariates=covariates)
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
    # one child stream per Monte Carlo use (SPEC 7): the first fed the max-min bootstrap
    # (schema 1) and is kept unused, so that a seed gives the same draws as before
    _, lottery_rng, scan_rng = as_rng(seed).spawn(3)
    extra: dict[str, pd.DataFrame] = {}
    if probability in frame.columns:
        p = frame[probability].to_numpy(dtype=np.float64)
        extra["lottery"], extra["lottery_summary"] = lottery_tables(
            unit,
            p,
            unit["selected"].to_numpy(np.float64),
            attributes,
            replicates=REPLICATES,
            rng=lottery_rng,
            min_cell=int(min_cell),
        )
    keys = attributes + (["stratum"] if strata else []) + list(covariates)
    value_cols = [
        "applicants",
        "selected",
        *(c for c in unit.columns if c.startswith(STAGE_PREFIX)),
    ]
    cells = unit.groupby(keys, as_index=False, sort=True)[value_cols].sum()
    result = assemble(
        cells,
        attributes,
        parts=parts,
        stages=stage_list,
        strata=strata,
        covariates=list(covariates),
        reference=reference,
        min_cell=min_cell,
        extra=extra,
        notes=label_notes,
    )
    result = extend(
        result,
        cells,
        attributes,
        parts=parts,
        strata=strata is not None,
        cycles=None
        if cycle is None
        else cycle_cells(
            frame, unit, attributes, cycle_col=cycle, change_at=change_at, change_col=change_col
        ),
        adjust=adjust,
        scan=_scan_attributes(cells, names, strata) if scan else None,
        rng=scan_rng,
    )
    if scores is None and reviews is None:
        return result
    return with_score_views(
        result,
        scores,
        reviews,
        frame if subs is None else subs,
        source_table=DECISIONS if subs is None else SUBMISSIONS,
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
    cycle_col: str | None = None,
    change_at: str | None = None,
    change_col: str | None = None,
    adjust: Adjust = DEFAULT_ADJUST,
    scan: bool = False,
    recode: Mapping[str | None, Sequence[tuple[str, str]]] | None = None,
) -> AuditResult:
    """Audit a published counts table: one row per group (and stratum).

    Rows repeating a group (and stratum) are added together, with a note: a table per
    call × research area × gender audited by research area adds up the calls. With
    ``strata_col`` the Cochran–Mantel–Haenszel analysis and a logistic regression
    on group and stratum are added. A wide table (a column pair per group) can be
    reshaped first with :func:`counts_from_wide`.

    Parameters
    ----------
    counts : DataFrame
        The counts table, one row per group (and stratum), checked by
        :func:`fairpanel.io.load_counts`: whole-number counts of at least 0, no
        more selected than applicants, no empty group.
    group_col : str
        The column of the group (gender, career stage, …); its name is the
        attribute's name in the result.
    applicants_col : str, default "applicants"
        The column of the number of applicants.
    selected_col : str, default "selected"
        The column of the number selected.
    strata_col : str, optional
        The column of the stratum (discipline, call, year) of each row; adds the
        stratified analysis.
    reference : str, optional
        The group every other group is compared with; default: the group with the
        highest selection rate among those whose counts can be published.
    min_cell : int, default 5
        Smallest count published (:data:`~fairpanel._schema.DEFAULT_MIN_CELL`);
        smaller cells are withheld. 0 disables suppression, for internal use only:
        the result's ``publishable`` is then false.
    seed : int, str, SeedSequence, Generator or None, optional
        Seed of the subgroup scan's permutations (``scan=True``), the only draw here
        since the max–min bootstrap was replaced by simultaneous intervals (schema 2);
        the same seed gives the same result. None draws fresh entropy (the CLI passes
        :data:`~fairpanel._schema.AUDIT_SEED`).
    cycle_col : str, optional
        The column of the cycle (year, call) of each row: adds the rates per cycle and
        the gap across cycles (see :func:`run_audit`).
    change_at, change_col : str, optional
        The first cycle after a process change, or a yes/no column marking the rows
        after it (the same within a cycle).
    adjust : {"holm", "bh"}, default "holm"
        Adjustment of the family of comparisons' p-values.
    scan : bool, default False
        Search the group × stratum conjunctions for the subgroup departing most from
        the overall rate, with a search-adjusted p-value.
    recode : mapping, optional
        Group labels to pool before counting, as in :func:`run_audit` (the group column,
        or None, → (old label, new label) pairs); the rows of pooled labels are added
        up, and the notes record it.

    Returns
    -------
    AuditResult
        Publishable tables; ``.to_dict()`` is the CLI's JSON.

    Raises
    ------
    FairpanelInputError
        For a counts table the committee must fix, or a ``reference`` that is not
        one of the groups.
    ValueError
        For a ``min_cell`` that is not a whole number of at least 0.

    Examples
    --------
    >>> c = pd.DataFrame({"gender": ["m", "w"], "n": [80, 40], "k": [48, 12]})
    >>> res = audit_counts(c, group_col="gender", applicants_col="n", selected_col="k")
    >>> bool(res.comparisons["four_fifths_flag"].iloc[0])
    True
    """
    min_cell = _check_min_cell(min_cell)
    adjust = check_adjust(adjust)
    counts = load_counts(
        counts,
        group_col=group_col,
        applicants_col=applicants_col,
        selected_col=selected_col,
        strata_col=strata_col,
    )
    # the loaded table names the group column "group"; the notes name the user's
    named, label_notes = recode_frame(
        counts.rename(columns={"group": group_col}), [group_col], recode or {}
    )
    counts = named.rename(columns={group_col: "group"})
    cells, merged = merge_cells(counts, strata=strata_col is not None)
    # the same cell order as counted decisions, so the tables come out alike
    keys = ["group", "stratum"] if strata_col else ["group"]
    cells = cells.sort_values(keys, kind="stable").reset_index(drop=True)
    cells = cells.rename(columns={"group": group_col})
    if strata_col:
        # the regression's terms are named after the user's column (``discipline[...]``)
        cells[strata_col] = cells["stratum"]
    # the second child stream, as before the first (the max-min bootstrap's) went unused
    _, scan_rng = as_rng(seed).spawn(2)
    result = assemble(
        cells,
        [group_col],
        parts={},
        stages=[],
        strata=strata_col,
        covariates=[strata_col] if strata_col else [],
        reference=reference,
        min_cell=min_cell,
        extra={},
        notes=[
            *label_notes,
            *(
                [NOTE_MERGED.format(rows=merged, and_stratum=" and stratum" if strata_col else "")]
                if merged
                else []
            ),
        ],
    )
    units = counts.rename(columns={"group": group_col})
    return extend(
        result,
        cells,
        [group_col],
        parts={},
        strata=strata_col is not None,
        cycles=None
        if cycle_col is None
        else cycle_cells(
            counts,
            units,
            [group_col],
            cycle_col=cycle_col,
            change_at=change_at,
            change_col=change_col,
        ),
        adjust=adjust,
        scan=_scan_attributes(cells, [group_col], strata_col) if scan else None,
        rng=scan_rng,
    )


def _scan_attributes(cells: pd.DataFrame, names: list[str], strata: str | None) -> list[str]:
    """Return the scan's attributes: the groups and, under its own name, the stratum (added to ``cells``)."""
    if strata is None:
        return names
    if strata not in cells.columns:
        cells[strata] = cells["stratum"]
    return [*names, strata]
