"""What a synthetic review cycle looks like: :class:`CycleConfig`, checked plain data.

Every quantity is stated in units of the standard deviation of true merit, as in the
simulation scenarios; :func:`fairpanel.simulate.generate_cycle` draws a cycle from it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from fairpanel._errors import FairpanelInputError

__all__ = ["DEFAULT_GROUP_SHARES", "CycleConfig"]

#: Illustrative shares for an observing-proposal cycle. They are round numbers of the
#: order reported for large observatories, not the statistics of any one of them.
DEFAULT_GROUP_SHARES: Mapping[str, Mapping[str, float]] = {
    "gender": {"woman": 0.30, "man": 0.60, "non-binary": 0.02, "not stated": 0.08},
    "career_stage": {"student": 0.10, "postdoc": 0.30, "faculty": 0.45, "senior": 0.15},
    "region": {
        "North America": 0.40,
        "Europe": 0.35,
        "Asia": 0.12,
        "Latin America": 0.06,
        "Oceania": 0.04,
        "Africa": 0.03,
    },
    "institution_type": {
        "research university": 0.55,
        "observatory or institute": 0.25,
        "teaching-focused college": 0.12,
        "other": 0.08,
    },
}

ERR_UNKNOWN_KEY = "unknown key '{key}'; allowed keys are {allowed}"
ERR_POSITIVE_INT = "must be a whole number of at least {least}, got {value!r}"
ERR_NON_NEGATIVE = "must be zero or a positive number, got {value!r}"
ERR_POSITIVE = "must be a positive number, got {value!r}"
ERR_SHARE = "must be a share between 0 and 1, got {value!r}"
ERR_REVIEWS_RANGE = "must be a pair (fewest, most) with 1 ≤ fewest ≤ most, got {value!r}"
ERR_SHARES = "the shares of '{attribute}' must be non-negative and add up to 1, got {total:g}"
ERR_UNKNOWN_GROUP = "'{group}' is not a group of '{attribute}' (groups: {groups})"
ERR_UNKNOWN_ATTRIBUTE = "'{attribute}' is not a group attribute (attributes: {attributes})"
ERR_TOO_FEW_REVIEWERS = "{n} reviewers cannot give a submission {k} distinct reviews"


@dataclass(frozen=True)
class CycleConfig:
    """What a synthetic review cycle looks like (plain data, loadable from YAML).

    Parameters
    ----------
    n_submissions : int
        Submissions in the cycle.
    reviews_per_submission : tuple of int
        Fewest and most reviews a submission gets (each count equally likely).
    n_reviewers : int or None
        Reviewers in the panel; ``None`` gives each about 12 reviews.
    group_shares : mapping
        Group attribute → group → share of submissions (shares add up to 1).
    merit_shift : mapping
        Group attribute → group → shift of mean true merit, in merit SD units. Empty
        (the default): merit is equal across groups.
    criterion_profile_sd : float
        SD of a submission's criterion-specific strength around its merit.
    criterion_offset_sd : float
        SD of the criteria's difficulty offsets (drawn once per cycle).
    leniency_sd : float
        SD of reviewer leniency.
    opinion_sd : float
        SD of a reviewer's view of one submission, shared by its criteria.
    noise_sd : float
        Typical SD of one criterion score's noise; reviewers differ around it.
    noise_sd_spread : float
        Log-scale SD of the reviewers' noise SDs (0: every reviewer equally noisy).
    bias_attribute, bias_against : str
        The group biased reviewers mark down.
    bias_size : float
        How much they mark it down, in merit SD units (default 0: no bias).
    bias_share : float
        The share of reviewers who are biased.
    center, spread : float or None
        Map from latent to scale: ``center + spread * latent``; defaults are the scale's
        midpoint and a quarter of its width (±2 SD fill the scale).
    request_median : float
        Median requested resource (observing hours); requests are lognormal.
    request_sigma : float
        Log-scale SD of the requests.
    request_step : float
        Requests are rounded to multiples of this (and are at least one step).

    Examples
    --------
    >>> config = CycleConfig.from_dict({"n_submissions": 50, "bias_size": 0.5})
    >>> config.n_submissions, config.bias_against
    (50, 'woman')
    """

    n_submissions: int = 300
    reviews_per_submission: tuple[int, int] = (3, 5)
    n_reviewers: int | None = None
    group_shares: Mapping[str, Mapping[str, float]] = field(
        default_factory=lambda: {a: dict(s) for a, s in DEFAULT_GROUP_SHARES.items()}
    )
    merit_shift: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    criterion_profile_sd: float = 0.4
    criterion_offset_sd: float = 0.2
    leniency_sd: float = 0.3
    opinion_sd: float = 1.0
    noise_sd: float = 0.5
    noise_sd_spread: float = 0.3
    bias_attribute: str = "gender"
    bias_against: str = "woman"
    bias_size: float = 0.0
    bias_share: float = 1.0
    center: float | None = None
    spread: float | None = None
    request_median: float = 8.0
    request_sigma: float = 0.7
    request_step: float = 0.5

    def __post_init__(self) -> None:
        problem = self._problem()
        if problem is not None:
            key, message = problem
            raise ValueError(f"{key}: {message}")

    # ------------------------------------------------------------------ derived
    @property
    def reviewers(self) -> int:
        """Reviewers in the panel (about 12 reviews each unless ``n_reviewers`` is set)."""
        if self.n_reviewers is not None:
            return self.n_reviewers
        lo, hi = self.reviews_per_submission
        return max(hi, math.ceil(self.n_submissions * (lo + hi) / 2 / 12))

    # ------------------------------------------------------------- conversion
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CycleConfig:
        """Build a configuration from plain data (a YAML mapping), naming a bad key.

        Parameters
        ----------
        data : mapping of str to object
            Values by field name (the class's parameters); a missing key keeps its
            default. ``reviews_per_submission`` may be a YAML list ``[lo, hi]``.

        Returns
        -------
        CycleConfig

        Raises
        ------
        FairpanelInputError
            With ``field`` set to the key that is unknown or has a bad value.
        """
        allowed = [f.name for f in fields(cls)]
        for key in data:
            if key not in allowed:
                raise FairpanelInputError(
                    ERR_UNKNOWN_KEY.format(key=key, allowed=", ".join(allowed)), field=str(key)
                )
        values = dict(data)
        if "reviews_per_submission" in values:
            rps = values["reviews_per_submission"]
            values["reviews_per_submission"] = tuple(rps) if isinstance(rps, list) else rps
        try:
            return cls(**values)
        except ValueError as exc:
            key, _, message = str(exc).partition(": ")
            raise FairpanelInputError(message, field=key) from None

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration as plain data (for YAML and JSON outputs)."""
        out = asdict(self)
        out["reviews_per_submission"] = list(self.reviews_per_submission)
        out["group_shares"] = {a: dict(s) for a, s in self.group_shares.items()}
        out["merit_shift"] = {a: dict(s) for a, s in self.merit_shift.items()}
        return out

    # ------------------------------------------------------------- validation
    def _problem(self) -> tuple[str, str] | None:
        """Return the first invalid field and what is wrong with it, or None."""
        if not _is_int(self.n_submissions) or self.n_submissions < 1:
            return "n_submissions", ERR_POSITIVE_INT.format(least=1, value=self.n_submissions)
        # Typed as a pair, but from YAML it may be anything: check it as such.
        rps: Any = self.reviews_per_submission
        if (
            not isinstance(rps, tuple)
            or len(rps) != 2
            or not all(_is_int(v) for v in rps)
            or not 1 <= rps[0] <= rps[1]
        ):
            return "reviews_per_submission", ERR_REVIEWS_RANGE.format(value=rps)
        if self.n_reviewers is not None:
            if not _is_int(self.n_reviewers) or self.n_reviewers < 1:
                return "n_reviewers", ERR_POSITIVE_INT.format(least=1, value=self.n_reviewers)
            if self.n_reviewers < rps[1]:
                return "n_reviewers", ERR_TOO_FEW_REVIEWERS.format(n=self.n_reviewers, k=rps[1])
        for attribute, shares in self.group_shares.items():
            values = np.asarray(list(shares.values()), dtype=float)
            if values.size == 0 or (values < 0).any() or not np.isclose(values.sum(), 1.0):
                total = float(values.sum()) if values.size else 0.0
                return "group_shares", ERR_SHARES.format(attribute=attribute, total=total)
        for attribute, shifts in self.merit_shift.items():
            problem = self._group_problem("merit_shift", attribute, shifts)
            if problem is not None:
                return problem
        for key in (
            "criterion_profile_sd",
            "criterion_offset_sd",
            "leniency_sd",
            "opinion_sd",
            "noise_sd",
            "noise_sd_spread",
            "request_sigma",
        ):
            value = getattr(self, key)
            if not _is_number(value) or value < 0:
                return key, ERR_NON_NEGATIVE.format(value=value)
        for key in ("request_median", "request_step"):
            value = getattr(self, key)
            if not _is_number(value) or value <= 0:
                return key, ERR_POSITIVE.format(value=value)
        if self.spread is not None and (not _is_number(self.spread) or self.spread <= 0):
            return "spread", ERR_POSITIVE.format(value=self.spread)
        if not _is_number(self.bias_share) or not 0 <= self.bias_share <= 1:
            return "bias_share", ERR_SHARE.format(value=self.bias_share)
        if self.bias_size != 0:
            problem = self._group_problem(
                "bias_against", self.bias_attribute, {self.bias_against: 0.0}
            )
            if problem is not None:
                return problem
        return None

    def _group_problem(
        self, key: str, attribute: str, groups: Mapping[str, float]
    ) -> tuple[str, str] | None:
        if attribute not in self.group_shares:
            attributes = ", ".join(self.group_shares)
            return key, ERR_UNKNOWN_ATTRIBUTE.format(attribute=attribute, attributes=attributes)
        known = self.group_shares[attribute]
        for group in groups:
            if group not in known:
                return key, ERR_UNKNOWN_GROUP.format(
                    group=group, attribute=attribute, groups=", ".join(known)
                )
        return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool)
