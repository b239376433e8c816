"""The parts of a scenario (group merit, reviewer bias, lottery tiers) and its messages.

Kept apart from :class:`~fairpanel.simulate.Scenario` so the YAML parser can build parts
without importing the class that calls it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Bias", "GroupMerit", "LotteryTier"]

ERR_NOT_MAPPING = "a scenario must be a YAML mapping (keys such as submissions, groups, reviewers)"
ERR_UNKNOWN_KEY = "unknown key; allowed keys are {allowed}"
ERR_TYPE = "expected {expected}, got {got!r}"
ERR_POSITIVE = "must be a positive number, got {value!r}"
ERR_NON_NEGATIVE = "must be zero or a positive number, got {value!r}"
ERR_SHARE = "must be a share between 0 and 1, got {value!r}"
ERR_SHARES_SUM = "group shares must add up to 1, they add up to {total:g}"
ERR_GROUP_SIZE = "group '{group}' has no submission with {n} submissions; raise its share"
ERR_UNKNOWN_GROUP = "'{group}' is not one of the groups {groups}"
ERR_TOO_FEW_REVIEWERS = "{reviewers} reviewers cannot give each submission {m} distinct reviews"
ERR_CAPACITY = "capacity must be a count 1…{n_minus_1} or a fraction in (0, 1), got {value!r}"
ERR_SCALE = "scale min ({min}) must be below max ({max})"
ERR_TIERS = "tiers must be listed from the highest min_score down with positive weights"


@dataclass(frozen=True)
class GroupMerit:
    """The true-merit distribution of one group: normal with this mean and SD."""

    mean: float = 0.0
    sd: float = 1.0


@dataclass(frozen=True)
class Bias:
    """Reviewer bias against one group.

    Parameters
    ----------
    against : str
        The group whose submissions biased reviewers mark down.
    size : float
        How much they mark them down, in merit SD units (before mapping to the scale).
    share_of_reviewers : float
        The share of reviewers who apply it (1.0 = all).
    """

    against: str
    size: float
    share_of_reviewers: float = 1.0


@dataclass(frozen=True)
class LotteryTier:
    """One tier of the tiered lottery: calibrated scores at or above ``min_score`` get ``weight``."""

    min_score: float
    weight: float
