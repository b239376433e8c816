"""Validation of scenario data: every problem is reported with the key that has it."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fairpanel._errors import FairpanelInputError
from fairpanel._limits import (
    ERR_TOO_MANY,
    MAX_REPLICATES,
    MAX_SCENARIO_HISTORY_CYCLES,
    MAX_SCENARIO_REVIEWERS,
    MAX_SCENARIO_REVIEWS_PER_SUBMISSION,
    MAX_SCENARIO_SUBMISSIONS,
    MAX_SIMULATED_SCORES,
)
from fairpanel.simulate._scenario_parts import (
    ERR_CAPACITY,
    ERR_NON_NEGATIVE,
    ERR_NOT_MAPPING,
    ERR_POSITIVE,
    ERR_SCALE,
    ERR_SHARE,
    ERR_SHARES_SUM,
    ERR_TIERS,
    ERR_TOO_FEW_REVIEWERS,
    ERR_TYPE,
    ERR_UNKNOWN_GROUP,
    ERR_UNKNOWN_KEY,
    Bias,
    GroupMerit,
    LotteryTier,
)
from fairpanel.simulate._scenario_quotas import parse_quotas

if TYPE_CHECKING:
    from fairpanel.simulate._scenario import Scenario

__all__ = ["check_replicates", "parse_scenario"]

ERR_WORK = (
    "{replicates:,} replicates of {n:,} submissions with {m} reviews each is {scores:,} "
    "simulated scores, more than one run does ({limit:,})"
)
HINT_WORK = "use fewer replicates or a smaller scenario"

#: The upper bound of each whole-number key of a scenario (see fairpanel._limits).
_LIMITS = {
    "submissions": MAX_SCENARIO_SUBMISSIONS,
    "reviewers": MAX_SCENARIO_REVIEWERS,
    "reviews_per_submission": MAX_SCENARIO_REVIEWS_PER_SUBMISSION,
    "ml_history_cycles": MAX_SCENARIO_HISTORY_CYCLES,
}

_TOP_KEYS = (
    "name",
    "description",
    "submissions",
    "group_attribute",
    "group_shares",
    "merit",
    "reviewers",
    "reviews_per_submission",
    "leniency_sd",
    "noise_sd",
    "bias",
    "scale_min",
    "scale_max",
    "center",
    "spread",
    "rounding",
    "capacity",
    "quality_bar",
    "partial_lottery_interval",
    "tiers",
    "ml_history_cycles",
    "ml_feature_noise_sd",
    "ml_proxy_strength",
    "quotas",
    "quota_interval",
)


def _err(message: str, key: str) -> FairpanelInputError:
    return FairpanelInputError(message, field=key)


def _num(data: Mapping[str, Any], key: str, default: float, *, path: str = "") -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _err(ERR_TYPE.format(expected="a number", got=value), path + key)
    return float(value)


def _pos(data: Mapping[str, Any], key: str, default: float, *, path: str = "") -> float:
    value = _num(data, key, default, path=path)
    if not value > 0:
        raise _err(ERR_POSITIVE.format(value=value), path + key)
    return value


def _nonneg(data: Mapping[str, Any], key: str, default: float, *, path: str = "") -> float:
    value = _num(data, key, default, path=path)
    if not value >= 0:
        raise _err(ERR_NON_NEGATIVE.format(value=value), path + key)
    return value


def _share(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise _err(ERR_SHARE.format(value=value), key)
    return float(value)


def _int(data: Mapping[str, Any], key: str, default: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _err(ERR_TYPE.format(expected="a whole number ≥ 1", got=value), key)
    limit = _LIMITS.get(key)
    if limit is not None and value > limit:
        raise _err(ERR_TOO_MANY.format(what=key, count=f"{value:,}", limit=f"{limit:,}"), key)
    return value


def check_replicates(
    replicates: int, *, submissions: int, reviews_per_submission: int, field: str = "replicates"
) -> None:
    """Refuse a simulation too large to finish: too many replicates, or too many scores.

    Parameters
    ----------
    replicates : int
        Simulated cycles per strategy (at least 2 is checked by the caller).
    submissions, reviews_per_submission : int
        The scenario's size.
    field : str, default "replicates"
        The name to give in the error (the command line's ``--replicates``).

    Raises
    ------
    FairpanelInputError
        Above :data:`~fairpanel._limits.MAX_REPLICATES`, or above
        :data:`~fairpanel._limits.MAX_SIMULATED_SCORES` simulated scores.

    Examples
    --------
    >>> check_replicates(1000, submissions=300, reviews_per_submission=3)
    >>> check_replicates(10**12, submissions=300, reviews_per_submission=3)
    Traceback (most recent call last):
    ...
    fairpanel._errors.FairpanelInputError: field 'replicates': 1,000,000,000,000 replicates is more than fairpanel accepts (100,000)
    """
    if replicates > MAX_REPLICATES:
        raise _err(
            ERR_TOO_MANY.format(
                what="replicates", count=f"{replicates:,}", limit=f"{MAX_REPLICATES:,}"
            ),
            field,
        )
    scores = replicates * submissions * reviews_per_submission
    if scores > MAX_SIMULATED_SCORES:
        raise FairpanelInputError(
            ERR_WORK.format(
                replicates=replicates,
                n=submissions,
                m=reviews_per_submission,
                scores=scores,
                limit=MAX_SIMULATED_SCORES,
            ),
            field=field,
            hint=HINT_WORK,
        )


def _mapping(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _err(ERR_TYPE.format(expected="a mapping", got=value), key)
    return value


def _check_keys(data: Mapping[str, Any], allowed: tuple[str, ...], path: str) -> None:
    for key in data:
        if key not in allowed:
            raise _err(ERR_UNKNOWN_KEY.format(allowed=", ".join(allowed)), path + str(key))


def parse_scenario(data: Any, defaults: Scenario) -> dict[str, Any]:
    """Validate a scenario's plain data; return the :class:`Scenario` constructor's arguments.

    Parameters
    ----------
    data : mapping or None
        The scenario's YAML content; a missing key takes its value from ``defaults``.
    defaults : Scenario
        The default scenario (passed in: the class calls this parser).

    Returns
    -------
    dict
        Keyword arguments of :class:`Scenario`; errors name the key of any problem.
    """
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise FairpanelInputError(ERR_NOT_MAPPING)
    _check_keys(data, _TOP_KEYS, "")
    d = defaults
    n = _int(data, "submissions", d.submissions)

    shares_raw = _mapping(data.get("group_shares", dict(d.group_shares)), "group_shares")
    if not shares_raw:
        raise _err(ERR_TYPE.format(expected="at least one group", got={}), "group_shares")
    shares = {str(g): _share(v, f"group_shares.{g}") for g, v in shares_raw.items()}
    total = sum(shares.values())
    if abs(total - 1) > 1e-6:
        raise _err(ERR_SHARES_SUM.format(total=total), "group_shares")

    merit: dict[str, GroupMerit] = {}
    for g, spec in _mapping(data.get("merit", {}), "merit").items():
        if str(g) not in shares:
            raise _err(ERR_UNKNOWN_GROUP.format(group=g, groups=list(shares)), f"merit.{g}")
        spec_m = _mapping(spec, f"merit.{g}")
        _check_keys(spec_m, ("mean", "sd"), f"merit.{g}.")
        merit[str(g)] = GroupMerit(
            _num(spec_m, "mean", 0.0, path=f"merit.{g}."),
            _pos(spec_m, "sd", 1.0, path=f"merit.{g}."),
        )

    reviewers = _int(data, "reviewers", d.reviewers)
    m = _int(data, "reviews_per_submission", d.reviews_per_submission)
    if reviewers < m:
        raise _err(ERR_TOO_FEW_REVIEWERS.format(reviewers=reviewers, m=m), "reviewers")

    bias = None
    if data.get("bias") is not None:
        b = _mapping(data["bias"], "bias")
        _check_keys(b, ("against", "size", "share_of_reviewers"), "bias.")
        against = str(b.get("against", ""))
        if against not in shares:
            raise _err(
                ERR_UNKNOWN_GROUP.format(group=against, groups=list(shares)), "bias.against"
            )
        bias = Bias(
            against,
            _nonneg(b, "size", 0.0, path="bias."),
            _share(b.get("share_of_reviewers", 1.0), "bias.share_of_reviewers"),
        )

    smin, smax = data.get("scale_min", d.scale_min), data.get("scale_max", d.scale_max)
    for key, val in (("scale_min", smin), ("scale_max", smax)):
        if isinstance(val, bool) or not isinstance(val, int):
            raise _err(ERR_TYPE.format(expected="a whole number", got=val), key)
    if smin >= smax:
        raise _err(ERR_SCALE.format(min=smin, max=smax), "scale_max")

    cap = _pos(data, "capacity", d.capacity)
    if (cap >= 1 and (cap != int(cap) or cap >= n)) or (cap < 1 and n * cap < 0.5):
        raise _err(ERR_CAPACITY.format(n_minus_1=n - 1, value=cap), "capacity")

    tiers_raw = data.get(
        "tiers", [{"min_score": t.min_score, "weight": t.weight} for t in d.tiers]
    )
    if not isinstance(tiers_raw, list) or not tiers_raw:
        raise _err(
            ERR_TYPE.format(expected="a list of {min_score, weight}", got=tiers_raw), "tiers"
        )
    tiers = []
    for i, t in enumerate(tiers_raw):
        t_m = _mapping(t, f"tiers[{i}]")
        _check_keys(t_m, ("min_score", "weight"), f"tiers[{i}].")
        tiers.append(
            LotteryTier(
                _num(t_m, "min_score", 0.0, path=f"tiers[{i}]."),
                _pos(t_m, "weight", 1.0, path=f"tiers[{i}]."),
            )
        )
    if any(a.min_score <= b.min_score for a, b in itertools.pairwise(tiers)):
        raise _err(ERR_TIERS, "tiers")

    interval = _num(data, "partial_lottery_interval", d.partial_lottery_interval)
    if not 0 < interval < 1:
        raise _err(ERR_SHARE.format(value=interval), "partial_lottery_interval")
    quota_interval = data.get("quota_interval")
    if quota_interval is not None:
        quota_interval = _num(data, "quota_interval", 0.5)
        if not 0 < quota_interval < 1:
            raise _err(ERR_SHARE.format(value=quota_interval), "quota_interval")

    rounding = data.get("rounding", d.rounding)
    if not isinstance(rounding, bool):
        raise _err(ERR_TYPE.format(expected="true or false", got=rounding), "rounding")

    bar = data.get("quality_bar")
    center = data.get("center")
    spread = data.get("spread")
    return {
        "name": str(data.get("name", d.name)),
        "description": str(data.get("description", "")),
        "submissions": n,
        "group_attribute": str(data.get("group_attribute", d.group_attribute)),
        "group_shares": shares,
        "merit": merit,
        "reviewers": reviewers,
        "reviews_per_submission": m,
        "leniency_sd": _nonneg(data, "leniency_sd", d.leniency_sd),
        "noise_sd": _pos(data, "noise_sd", d.noise_sd),
        "bias": bias,
        "scale_min": smin,
        "scale_max": smax,
        "center": None if center is None else _num(data, "center", 0.0),
        "spread": None if spread is None else _pos(data, "spread", 1.0),
        "rounding": rounding,
        "capacity": cap,
        "quality_bar": None if bar is None else _num(data, "quality_bar", 0.0),
        "partial_lottery_interval": interval,
        "tiers": tuple(tiers),
        "ml_history_cycles": _int(data, "ml_history_cycles", d.ml_history_cycles),
        "ml_feature_noise_sd": _nonneg(data, "ml_feature_noise_sd", d.ml_feature_noise_sd),
        "ml_proxy_strength": _nonneg(data, "ml_proxy_strength", d.ml_proxy_strength),
        "quotas": parse_quotas(
            data.get("quotas"), shares, str(data.get("group_attribute", d.group_attribute))
        ),
        "quota_interval": quota_interval,
    }
