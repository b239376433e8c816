"""Selection rules behind one interface: scores + capacity + seed → Allocation.

``rank``, ``lottery``, ``partial-lottery``, ``tiered-lottery`` and ``quota-lottery``
(:class:`QuotaLotteryStrategy`: a maximin-fair lottery over panels meeting crossed
quotas) are built in; the
``ml`` strategy, :class:`fairpanel.ml.MLStrategy`, builds on the same :class:`Strategy`
base from the layer above (so this package never loads scikit-learn).
"""

from fairpanel.strategies._allocation import Allocation, Capacity
from fairpanel.strategies._base import Strategy
from fairpanel.strategies._factory import (
    check_strategy_options,
    make_strategy,
    parse_quality_bar,
    parse_tiers,
    parse_weights,
)
from fairpanel.strategies._panels import allocate_by_panel
from fairpanel.strategies._quota import QuotaLotteryStrategy
from fairpanel.strategies._rules import LotteryStrategy, PartialLotteryStrategy, RankStrategy
from fairpanel.strategies._tiered import TieredLotteryStrategy

__all__ = [
    "Allocation",
    "Capacity",
    "LotteryStrategy",
    "PartialLotteryStrategy",
    "QuotaLotteryStrategy",
    "RankStrategy",
    "Strategy",
    "TieredLotteryStrategy",
    "allocate_by_panel",
    "check_strategy_options",
    "make_strategy",
    "parse_quality_bar",
    "parse_tiers",
    "parse_weights",
]
