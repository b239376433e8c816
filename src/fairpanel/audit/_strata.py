"""Adjusted comparisons: Cochran–Mantel–Haenszel across strata, and logistic regression.

Both answer "does the difference survive once we compare like with like?". The CMH
analysis pools the group-vs-reference 2×2 tables of every stratum (discipline, cycle);
the regression adjusts for several named covariates at once. The Simpson indicator
compares the direction of the crude (pooled-over-strata) difference with the direction
of the Mantel–Haenszel odds ratio.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.contingency_tables import StratifiedTable

from fairpanel.audit._stats import CONFIDENCE

__all__ = ["LOGISTIC_COLUMNS", "STRATA_COLUMNS", "cmh_table", "logistic_table"]

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
)
LOGISTIC_COLUMNS: Final[tuple[str, ...]] = (
    "attribute",
    "term",
    "odds_ratio",
    "ci_low",
    "ci_high",
    "p_value",
)

NOTE_FIT = "logistic regression for '{attribute}': {message}"


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
    row: dict[str, object] = {
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


def cmh_table(
    attribute: str, cells: pd.DataFrame, groups: Sequence[str], reference: str
) -> pd.DataFrame:
    """Each group against ``reference`` within strata.

    ``cells`` has columns ``group, stratum, applicants, selected``.
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
        rows.append(_cmh_row(attribute, name, reference, tables))
    return pd.DataFrame(rows, columns=list(STRATA_COLUMNS))


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
