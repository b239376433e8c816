"""Simulation scenarios: what a synthetic cycle looks like, as frozen data loaded from YAML.

Every quantity that describes a submission or a review is stated in units of the
standard deviation of true merit (merit ~ N(0, 1) unless a group's distribution is given),
so "noise 1.0" means a single review is as noisy as merit is variable. Latent review
scores are mapped to the rubric's scale as ``center + spread * latent`` and, by default,
rounded to its levels and clipped to its ends, the way a reviewer picks a level.
The simulated scale is oriented with higher = better, as calibrated scores are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fairpanel._errors import FairpanelInputError
from fairpanel._yaml import read_plain_yaml
from fairpanel.io._quotas import Quota
from fairpanel.rubric import Rubric
from fairpanel.simulate._scenario_parse import parse_scenario
from fairpanel.simulate._scenario_parts import (
    ERR_GROUP_SIZE,
    Bias,
    GroupMerit,
    LotteryTier,
)
from fairpanel.simulate._scenario_quotas import check_quotas

if TYPE_CHECKING:
    from fairpanel.simulate._cycle import CycleConfig

__all__ = [
    "Bias",
    "GroupMerit",
    "LotteryTier",
    "Scenario",
    "load_scenario",
]


@dataclass(frozen=True)
class Scenario:
    """One synthetic review cycle, described in merit-SD units.

    Build it from YAML with :func:`load_scenario` or :meth:`from_dict`; change a field
    with :func:`dataclasses.replace` (sweeps do).

    Parameters
    ----------
    name : str
        A short name for tables and charts.
    submissions : int
        Submissions per cycle.
    group_attribute : str
        Name of the simulated group attribute (e.g. ``gender``).
    group_shares : mapping of str to float
        Share of submissions in each group (adds up to 1). Group sizes are fixed per
        cycle (largest-remainder rounding), so every cycle has the same composition.
    merit : mapping of str to GroupMerit
        True-merit distribution per group; equal (N(0, 1)) by default.
    reviewers : int
        Reviewers per panel; each panel's reviewers are drawn afresh.
    reviews_per_submission : int
        Distinct reviewers per submission.
    leniency_sd : float
        SD of reviewer leniency (a reviewer's constant offset).
    noise_sd : float
        SD of the noise of one review.
    bias : Bias or None
        Reviewer bias against one group.
    scale_min, scale_max : int
        The rubric's scale.
    center, spread : float or None
        Map from latent to scale: ``center + spread * latent``; defaults are the scale's
        midpoint and a quarter of its width (±2 SD fill the scale).
    rounding : bool
        Round each review to a level of the scale (and clip to its ends).
    capacity : float
        Places: a count (≥ 1) or a fraction of submissions (< 1).
    quality_bar : float or None
        ``lottery`` draws only among submissions whose calibrated score reaches it.
    partial_lottery_interval : float
        Credibility of the rank interval that decides the gray zone of
        ``partial-lottery`` (SNSF; Heyard et al. 2022).
    tiers : tuple of LotteryTier
        Weights of ``tiered-lottery`` by calibrated score, highest ``min_score`` first;
        submissions below the last tier are not eligible.
    ml_history_cycles : int
        Past cycles the ``ml`` strategy is trained on (decided by ``rank``).
    ml_feature_noise_sd : float
        SD of the noise on the ``track_record`` feature (true merit + noise).
    ml_proxy_strength : float
        Shift of the ``proxy`` feature for the biased (else the last) group, in SDs of
        its noise (2: a strong proxy, such as a name or a school that reveals gender).
    description : str
        One sentence on what the scenario represents.
    quotas : tuple of Quota
        Bounds on how many of each group ``quota-lottery`` selects (rows of a quota
        table over ``group_attribute``; see :mod:`fairpanel.simulate._scenario_quotas`).
    quota_interval : float or None
        ``quota-lottery`` draws only in the partial lottery's zone at this rank interval
        (``allocate --strategy quota-lottery --interval``): the submissions above it are
        funded outright and count towards the quotas first. None: it draws among every
        eligible submission.

    Examples
    --------
    >>> s = Scenario.from_dict({"submissions": 200, "capacity": 0.1})
    >>> s.k, s.group_sizes
    (20, {'a': 100, 'b': 100})
    """

    name: str = "scenario"
    submissions: int = 1000
    group_attribute: str = "group"
    group_shares: Mapping[str, float] = field(default_factory=lambda: {"a": 0.5, "b": 0.5})
    merit: Mapping[str, GroupMerit] = field(default_factory=dict)
    reviewers: int = 100
    reviews_per_submission: int = 3
    leniency_sd: float = 0.3
    noise_sd: float = 1.0
    bias: Bias | None = None
    scale_min: int = 1
    scale_max: int = 5
    center: float | None = None
    spread: float | None = None
    rounding: bool = True
    capacity: float = 0.2
    quality_bar: float | None = None
    partial_lottery_interval: float = 0.5
    tiers: tuple[LotteryTier, ...] = (LotteryTier(3.5, 3.0), LotteryTier(3.0, 1.0))
    ml_history_cycles: int = 3
    ml_feature_noise_sd: float = 1.0
    ml_proxy_strength: float = 2.0
    description: str = ""
    quotas: tuple[Quota, ...] = ()
    quota_interval: float | None = None

    # ------------------------------------------------------------------ derived
    @property
    def groups(self) -> tuple[str, ...]:
        """The group names, in the order of ``group_shares``."""
        return tuple(self.group_shares)

    @property
    def group_sizes(self) -> dict[str, int]:
        """Submissions per group in every cycle (largest-remainder rounding of the shares)."""
        n = self.submissions
        raw = {g: s * n for g, s in self.group_shares.items()}
        sizes = {g: int(v) for g, v in raw.items()}
        left = n - sum(sizes.values())
        for g in sorted(raw, key=lambda g: raw[g] - sizes[g], reverse=True)[:left]:
            sizes[g] += 1
        return sizes

    @property
    def k(self) -> int:
        """Places per cycle, as a count."""
        if self.capacity >= 1:
            return int(self.capacity)
        return max(1, round(self.capacity * self.submissions))

    @property
    def scale_center(self) -> float:
        """Scale value of latent 0."""
        return (self.scale_min + self.scale_max) / 2 if self.center is None else self.center

    @property
    def scale_spread(self) -> float:
        """Scale points per merit SD."""
        return (self.scale_max - self.scale_min) / 4 if self.spread is None else self.spread

    def merit_of(self, group: str) -> GroupMerit:
        """Return the merit distribution of ``group`` (N(0, 1) unless stated otherwise).

        Parameters
        ----------
        group : str
            A group name; a name not in ``merit`` (even one not in ``group_shares``)
            gets the default N(0, 1).

        Returns
        -------
        GroupMerit
            Mean and SD of true merit, in merit-SD units.
        """
        return self.merit.get(group, GroupMerit())

    def rubric(self) -> Rubric:
        """Return a one-criterion rubric on the scenario's scale (an overall grade)."""
        return Rubric.single_criterion(minimum=self.scale_min, maximum=self.scale_max)

    def to_cycle_config(self) -> CycleConfig:
        """Return the same cycle as a :class:`CycleConfig` for :func:`generate_cycle`.

        The full generator writes the tables a committee has (submissions, long-format
        reviews) for one cycle; with :meth:`rubric` it draws reviews from the same model
        as the batched simulation: one criterion, no reviewer-by-submission opinion
        beyond the noise, every reviewer equally noisy. Group merit SDs other than 1 and
        the fixed group sizes have no equivalent there (groups are drawn at random).
        """
        from fairpanel.simulate._cycle import CycleConfig

        m = self.reviews_per_submission
        bias = self.bias
        return CycleConfig(
            n_submissions=self.submissions,
            reviews_per_submission=(m, m),
            n_reviewers=self.reviewers,
            group_shares={self.group_attribute: dict(self.group_shares)},
            merit_shift={self.group_attribute: {g: gm.mean for g, gm in self.merit.items()}}
            if self.merit
            else {},
            criterion_profile_sd=0.0,
            criterion_offset_sd=0.0,
            leniency_sd=self.leniency_sd,
            opinion_sd=0.0,
            noise_sd=self.noise_sd,
            noise_sd_spread=0.0,
            bias_attribute=self.group_attribute,
            bias_against=self.groups[-1] if bias is None else bias.against,
            bias_size=0.0 if bias is None else bias.size,
            bias_share=1.0 if bias is None else bias.share_of_reviewers,
            center=self.scale_center,
            spread=self.scale_spread,
        )

    def with_values(self, **changes: Any) -> Scenario:
        """Return a validated copy with some fields changed (``bias_size=``, … for sweeps).

        Parameters
        ----------
        **changes : object
            New values by field name, as the YAML keys spell them (``noise_sd=1.5``,
            ``capacity=0.1``, ``bias={"against": "b", "size": 0.3}``). Two shortcuts
            change one part of the bias: ``bias_size`` (merit-SD units) and
            ``bias_share`` (its ``share_of_reviewers``); without a bias, they start
            from a bias of size 0 against the last group of ``group_shares``.

        Returns
        -------
        Scenario
            A new scenario; this one is not changed.

        Raises
        ------
        FairpanelInputError
            For an unknown field or a bad value, naming the key.

        Examples
        --------
        >>> s = Scenario().with_values(bias_size=0.5, submissions=40)
        >>> s.bias, s.submissions
        (Bias(against='b', size=0.5, share_of_reviewers=1.0), 40)
        """
        data = self.to_dict()
        for key, value in changes.items():
            if key == "bias_size":
                bias = data.get("bias") or {"against": self.groups[-1], "size": 0.0}
                data["bias"] = {**bias, "size": value}
            elif key == "bias_share":
                bias = data.get("bias") or {"against": self.groups[-1], "size": 0.0}
                data["bias"] = {**bias, "share_of_reviewers": value}
            else:
                data[key] = value
        return _parse(data)

    # ------------------------------------------------------------- conversion
    @classmethod
    def from_dict(cls, data: Any, *, source: str | None = None) -> Scenario:
        """Build and validate a scenario from the mapping its YAML file holds.

        Parameters
        ----------
        data : mapping or None
            The scenario as plain data, keyed by the field names of this class (see
            the class docstring; ``merit`` maps groups to ``{mean, sd}``, ``bias`` is
            ``{against, size, share_of_reviewers}``, ``tiers`` a list of
            ``{min_score, weight}``, ``quotas`` a list of ``{value, min, max}``). A missing key keeps its default; ``None`` (an
            empty YAML file) is the default scenario.
        source : str, optional
            Accepted for symmetry with :meth:`fairpanel.Rubric.from_dict`; not used,
            since a scenario records no source. Errors do not name it:
            :func:`load_scenario` adds the file.

        Returns
        -------
        Scenario

        Raises
        ------
        FairpanelInputError
            For an unknown key or a bad value, with ``field`` naming the key; also for
            shares that leave a group with no submission.
        """
        return _parse(data)

    def to_dict(self) -> dict[str, Any]:
        """Return the scenario as plain data (the YAML schema), for JSON outputs."""
        out = asdict(self)
        out["group_shares"] = dict(self.group_shares)
        out["merit"] = {g: asdict(m) for g, m in self.merit.items()}
        out["tiers"] = [asdict(t) for t in self.tiers]
        out["bias"] = None if self.bias is None else asdict(self.bias)
        out["quotas"] = [q.to_dict() for q in self.quotas]
        return out


def load_scenario(path: str | Path) -> Scenario:
    r"""Load and validate a scenario YAML file.

    Parameters
    ----------
    path : str or Path
        A UTF-8 YAML file holding one mapping, read with PyYAML's safe loader; its
        keys are those of :meth:`Scenario.from_dict`. An empty file is the default
        scenario.

    Returns
    -------
    Scenario

    Raises
    ------
    FairpanelInputError
        Naming the file and the key that is wrong (or that the file is not UTF-8 or
        not YAML).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.yaml"
    >>> _ = p.write_text("name: tiny\nsubmissions: 50\ncapacity: 5\n")
    >>> load_scenario(p).k
    5
    """
    path = Path(path)
    data = read_plain_yaml(path, what="a scenario")
    try:
        return _parse(data)
    except FairpanelInputError as exc:
        raise exc.with_file(path) from None


def _parse(data: Any) -> Scenario:
    scenario = Scenario(**parse_scenario(data, Scenario()))
    for g, size in scenario.group_sizes.items():
        if size == 0:
            raise FairpanelInputError(
                ERR_GROUP_SIZE.format(group=g, n=scenario.submissions), field=f"group_shares.{g}"
            )
    check_quotas(scenario)
    return scenario
