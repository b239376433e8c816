"""Adjusted comparisons: Cochran–Mantel–Haenszel across strata, and logistic regression.

Both answer "does the difference survive once we compare like with like?". The CMH
analysis pools the group-vs-reference 2×2 tables of every stratum (discipline, cycle):
as an odds ratio, and in points as the Mantel–Haenszel risk difference with the
variance of Sato (1989), valid both for many small strata and for few large ones
(Greenland & Robins 1985 give the large-strata one); each stratum's own difference,
exact test and interval are in :func:`stratum_comparison_table`, and the strata whose
interval leaves out the pooled difference are named beside the Breslow–Day test. The
regression adjusts for several named covariates at once. The Simpson indicator compares
the direction of the crude (pooled-over-strata) difference with the direction of the
Mantel–Haenszel odds ratio.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable

from fairpanel.audit._stats import CONFIDENCE, fisher_pair, newcombe_difference

__all__ = [
    "LOGISTIC_COLUMNS",
    "STRATA_COLUMNS",
    "STRATUM_COMPARISON_COLUMNS",
    "cmh_table",
    "logistic_table",
    "mh_risk_difference",
    "stratum_comparison_table",
]

STRATA_COLUMNS: Final[tuple[str, ...]] = (
    "attribute",
    "group",
    "reference",
    "test",
    "statistic",
    "p_value",
    "pooled_odds_ratio",
    "ci_low",
    "ci_high",
    "homogeneity_test",
    "homogeneity_statistic",
    "homogeneity_p_value",
    "n_strata",
    "crude_odds_ratio",
    "crude_rate_difference",
    "strata_group_higher",
    "strata_reference_higher",
    "simpson_reversal",
    "risk_difference",
    "risk_difference_se",
    "risk_difference_ci_low",
    "risk_difference_ci_high",
    "disagreeing_strata",
    "adjusted_p_value",
)
#: Each group against the reference inside each stratum (Newcombe interval, Fisher test);
#: ``disagrees`` when the interval leaves out the pooled (Mantel–Haenszel) difference.
STRATUM_COMPARISON_COLUMNS: Final[tuple[str, ...]] = (
    "attribute",
    "stratum",
    "group",
    "reference",
    "rate_difference",
    "difference_ci_low",
    "difference_ci_high",
    "test",
    "p_value",
    "disagrees",
    "adjusted_p_value",
)
#: Separator of the named disagreeing strata.
STRATA_SEP: Final = "; "
LOGISTIC_COLUMNS: Final[tuple[str, ...]] = (
    "attribute",
    "term",
    "odds_ratio",
    "ci_low",
    "ci_high",
    "p_value",
)

_Z: Final[float] = float(stats.norm.ppf(0.5 + CONFIDENCE / 2))

NOTE_FIT = "logistic regression for '{attribute}': {message}"


def mh_risk_difference(
    k1: np.ndarray, n1: np.ndarray, k0: np.ndarray, n0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mantel–Haenszel risk difference over strata (the last axis), with Sato's variance.

    ``RD = Σ w (p1 − p0) / Σ w`` with ``w = n1 n0 / N`` per stratum, and (Sato 1989,
    *Biometrics* 45:1323; Rothman, Greenland & Lash 2008, *Modern Epidemiology*, 3rd ed.,
    ch. 15) ``Var = (RD Σ P + Σ Q) / (Σ w)²`` with
    ``P = (n1² k0 − n0² k1 + n1 n0 (n0 − n1) / 2) / N²`` and
    ``Q = (k1 (n0 − k0) + k0 (n1 − k1)) / (2 N)``. Strata where a side has no applicants
    carry no weight. Vectorized: leading axes are separate stacks (replicates, pairs).

    Parameters
    ----------
    k1, n1 : ndarray
        Selected and applicants of the group, per stratum (last axis).
    k0, n0 : ndarray
        The same for the reference, broadcast against the group.

    Returns
    -------
    rd, variance : ndarray
        The pooled difference (group minus reference, rate units) and its variance;
        ``nan`` when no stratum has both sides.

    Examples
    --------
    >>> rd, var = mh_risk_difference(np.array([8, 22]), np.array([106, 98]),
    ...                              np.array([5, 16]), np.array([120, 85]))
    >>> round(float(rd), 4)
    0.0349
    """
    k1, n1, k0, n0 = (np.asarray(x, dtype=np.float64) for x in (k1, n1, k0, n0))
    total = n1 + n0
    both = (n1 > 0) & (n0 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(both, n1 * n0 / total, 0.0)
        diff = np.where(both, k1 / n1 - k0 / n0, 0.0)
        big_p = np.where(both, (n1**2 * k0 - n0**2 * k1 + n1 * n0 * (n0 - n1) / 2) / total**2, 0.0)
        big_q = np.where(both, (k1 * (n0 - k0) + k0 * (n1 - k1)) / (2 * total), 0.0)
        weight = w.sum(axis=-1)
        rd = (w * diff).sum(axis=-1) / weight
        var = (rd * big_p.sum(axis=-1) + big_q.sum(axis=-1)) / weight**2
    return rd, var


def _cmh_row(attribute: str, group: str, reference: str, tables: np.ndarray) -> dict[str, object]:
    """CMH test, MH odds ratio and Breslow–Day–Tarone test for one 2×2×K stack."""
    # A stratum where either group has no applicants carries no within-stratum contrast.
    informative = (tables[0].sum(axis=0) > 0) & (tables[1].sum(axis=0) > 0)
    tables = tables[:, :, informative]
    kg, ng = tables[0, 0].sum(), tables[0].sum()
    kr, nr = tables[1, 0].sum(), tables[1].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        crude_or = (kg * (nr - kr)) / ((ng - kg) * kr)
        crude_diff = kg / ng - kr / nr
        within = tables[0, 0] / tables[0].sum(axis=0) - tables[1, 0] / tables[1].sum(axis=0)
    rd, rd_var = mh_risk_difference(
        tables[0, 0], tables[0].sum(axis=0), tables[1, 0], tables[1].sum(axis=0)
    )
    se = float(np.sqrt(rd_var)) if np.isfinite(rd_var) and rd_var >= 0 else float("nan")
    row: dict[str, object] = {
        "risk_difference": float(rd),
        "risk_difference_se": se,
        "risk_difference_ci_low": float(rd) - _Z * se,
        "risk_difference_ci_high": float(rd) + _Z * se,
        "attribute": attribute,
        "group": group,
        "reference": reference,
        "test": "cochran_mantel_haenszel",
        "homogeneity_test": "breslow_day_tarone",
        "n_strata": int(informative.sum()),
        "crude_odds_ratio": float(crude_or),
        "crude_rate_difference": float(crude_diff),
        "strata_group_higher": int((within > 0).sum()),
        "strata_reference_higher": int((within < 0).sum()),
    }
    nan = float("nan")
    row |= dict.fromkeys(["statistic", "p_value", "pooled_odds_ratio", "ci_low", "ci_high"], nan)
    row |= {"homogeneity_statistic": nan, "homogeneity_p_value": nan}
    with warnings.catch_warnings():
        # Sparse strata make statsmodels divide by zero; the nan results say so.
        warnings.simplefilter("ignore", RuntimeWarning)
        if tables.shape[2] >= 1:
            st = StratifiedTable(tables.astype(np.float64))
            # Continuity-corrected CMH statistic, as R's mantelhaen.test reports by default.
            null = st.test_null_odds(correction=True)
            lo, hi = st.oddsratio_pooled_confint(alpha=1 - CONFIDENCE)
            row |= {
                "statistic": float(null.statistic),
                "p_value": float(null.pvalue),
                "pooled_odds_ratio": float(st.oddsratio_pooled),
                "ci_low": float(lo),
                "ci_high": float(hi),
            }
            if tables.shape[2] >= 2:
                homog = st.test_equal_odds(adjust=True)
                row |= {
                    "homogeneity_statistic": float(homog.statistic),
                    "homogeneity_p_value": float(homog.pvalue),
                }
    pooled = float(row["pooled_odds_ratio"])  # type: ignore[arg-type]
    reversal = (
        np.isfinite(pooled)
        and np.isfinite(crude_or)
        and crude_or > 0
        and pooled > 0
        and np.sign(np.log(crude_or)) * np.sign(np.log(pooled)) < 0
    )
    row["simpson_reversal"] = bool(reversal)
    return row


def _disagreeing(
    strata: Sequence[str], k: np.ndarray, n: np.ndarray, g: int, r: int, rd: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per stratum: the difference, its Newcombe interval, and whether it leaves out ``rd``."""
    both = (n[g] > 0) & (n[r] > 0)
    diff, lo, hi = newcombe_difference(k[g], n[g], k[r], n[r])
    disagrees = both & np.isfinite(rd) & ((hi < rd) | (lo > rd))
    return diff, lo, hi, disagrees


def cmh_table(
    attribute: str, cells: pd.DataFrame, groups: Sequence[str], reference: str
) -> pd.DataFrame:
    """Each group against ``reference`` within strata.

    ``cells`` has columns ``group, stratum, applicants, selected``. Beside the odds
    ratio, the Mantel–Haenszel risk difference in rate units with Sato's interval, and
    ``disagreeing_strata``: the strata whose own interval for the difference leaves out
    the pooled one, by name (empty text when none).
    """
    strata = sorted(cells["stratum"].unique())
    wide_n = cells.pivot_table(
        index="group", columns="stratum", values="applicants", aggfunc="sum", fill_value=0
    ).reindex(index=list(groups), columns=strata, fill_value=0)
    wide_k = cells.pivot_table(
        index="group", columns="stratum", values="selected", aggfunc="sum", fill_value=0
    ).reindex(index=list(groups), columns=strata, fill_value=0)
    n, k = wide_n.to_numpy(np.int64), wide_k.to_numpy(np.int64)
    r = list(groups).index(reference)
    rows = []
    for g, name in enumerate(groups):
        if g == r:
            continue
        # tables[i, j, s]: row i = (group, reference), column j = (selected, not selected)
        tables = np.stack([np.stack([k[g], n[g] - k[g]]), np.stack([k[r], n[r] - k[r]])])
        row = _cmh_row(attribute, name, reference, tables)
        *_, disagrees = _disagreeing(strata, k, n, g, r, float(row["risk_difference"]))  # type: ignore[arg-type]
        row["disagreeing_strata"] = STRATA_SEP.join(
            str(s) for s, d in zip(strata, disagrees, strict=True) if d
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=list(STRATA_COLUMNS))


def stratum_comparison_table(
    attribute: str,
    cells: pd.DataFrame,
    groups: Sequence[str],
    reference: str,
    pooled: pd.DataFrame,
) -> pd.DataFrame:
    """Each group against ``reference`` inside each stratum where both have applicants.

    The Newcombe interval of the difference and Fisher's exact test (exact whatever the
    cell sizes, so a stratum of eight is tested honestly); ``disagrees`` when the
    interval leaves out the pooled Mantel–Haenszel difference of ``pooled`` (the rows
    of :func:`cmh_table`).

    Parameters
    ----------
    attribute : str
        The attribute's name.
    cells : DataFrame
        ``group, stratum, applicants, selected``.
    groups : sequence of str
        The attribute's groups.
    reference : str
        The reference group.
    pooled : DataFrame
        :func:`cmh_table` of the same cells.
    """
    strata = sorted(cells["stratum"].unique())
    wide_n = cells.pivot_table(
        index="group", columns="stratum", values="applicants", aggfunc="sum", fill_value=0
    ).reindex(index=list(groups), columns=strata, fill_value=0)
    wide_k = cells.pivot_table(
        index="group", columns="stratum", values="selected", aggfunc="sum", fill_value=0
    ).reindex(index=list(groups), columns=strata, fill_value=0)
    n, k = wide_n.to_numpy(np.int64), wide_k.to_numpy(np.int64)
    r = list(groups).index(reference)
    pooled_rd = dict(zip(pooled["group"], pooled["risk_difference"], strict=True))
    frames = []
    for g, name in enumerate(groups):
        if g == r:
            continue
        rd = float(pooled_rd.get(name, float("nan")))
        diff, lo, hi, disagrees = _disagreeing(strata, k, n, g, r, rd)
        both = (n[g] > 0) & (n[r] > 0)
        frames.append(
            pd.DataFrame(
                {
                    "attribute": attribute,
                    "stratum": [str(s) for s in strata],
                    "group": name,
                    "reference": reference,
                    "rate_difference": diff,
                    "difference_ci_low": lo,
                    "difference_ci_high": hi,
                    "test": "fisher_exact",
                    "p_value": fisher_pair(k[g], n[g], k[r], n[r]),
                    "disagrees": disagrees,
                },
                columns=list(STRATUM_COMPARISON_COLUMNS),
            )[both]
        )
    if not frames:
        return pd.DataFrame(columns=list(STRATUM_COMPARISON_COLUMNS))
    out: pd.DataFrame = pd.concat(frames, ignore_index=True)
    return out


def _dummies(values: pd.Series, name: str, reference: str | None) -> pd.DataFrame:
    levels = sorted(values.astype(str).unique())
    base = reference if reference is not None else levels[0]
    cols = {f"{name}[{lv}]": (values.astype(str) == lv).to_numpy(np.float64) for lv in levels}
    cols.pop(f"{name}[{base}]")
    return pd.DataFrame(cols, index=values.index)


def logistic_table(
    attribute: str,
    cells: pd.DataFrame,
    *,
    reference: str,
    covariates: Sequence[str],
) -> tuple[pd.DataFrame, list[str]]:
    """Binomial GLM of selection on the attribute (vs ``reference``) and covariates.

    ``cells`` has the attribute in column ``group``, the covariates, ``applicants`` and
    ``selected``. Grouped binomial data give the same estimates as the submission-level
    logistic regression. Numeric covariates enter linearly; others as indicators against
    their first level. Returns the odds-ratio table and notes about the fit.
    """
    cells = cells[cells["applicants"] > 0].reset_index(drop=True)
    parts = [_dummies(cells["group"], attribute, reference)]
    for cov in covariates:
        col = cells[cov]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            parts.append(pd.DataFrame({cov: col.to_numpy(np.float64)}))
        else:
            parts.append(_dummies(col, cov, None))
    exog = sm.add_constant(pd.concat(parts, axis=1), has_constant="add")
    endog = np.column_stack(
        [
            cells["selected"].to_numpy(np.float64),
            (cells["applicants"] - cells["selected"]).to_numpy(np.float64),
        ]
    )
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = sm.GLM(endog, exog, family=sm.families.Binomial()).fit()
        except (ValueError, np.linalg.LinAlgError) as exc:
            notes.append(NOTE_FIT.format(attribute=attribute, message=str(exc)))
            return pd.DataFrame(columns=list(LOGISTIC_COLUMNS)), notes
    notes += [NOTE_FIT.format(attribute=attribute, message=str(w.message)) for w in caught]
    ci = np.asarray(fit.conf_int(alpha=1 - CONFIDENCE))
    terms = list(exog.columns)
    with np.errstate(over="ignore"):  # a separated term's odds ratio is reported as inf
        table = pd.DataFrame(
            {
                "attribute": attribute,
                "term": terms,
                "odds_ratio": np.exp(np.asarray(fit.params)),
                "ci_low": np.exp(ci[:, 0]),
                "ci_high": np.exp(ci[:, 1]),
                "p_value": np.asarray(fit.pvalues),
            },
            columns=list(LOGISTIC_COLUMNS),
        )
    return table[table["term"] != "const"].reset_index(drop=True), notes
