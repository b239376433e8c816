"""Selection rules behind one interface: scores + capacity + seed → Allocation.

``rank``, ``lottery``, ``partial-lottery`` and ``tiered-lottery`` are built in; the
``ml`` strategy builds on the same :class:`Strategy` base.
"""

from fairpanel.strategies._base import Allocation, Capacity, Strategy
from fairpanel.strategies._ml import MLStrategy
from fairpanel.strategies._rules import (
    LotteryStrategy,
    PartialLotteryStrategy,
    RankStrategy,
    TieredLotteryStrategy,
)

__all__ = [
    "Allocation",
    "Capacity",
    "LotteryStrategy",
    "MLStrategy",
    "PartialLotteryStrategy",
    "RankStrategy",
    "Strategy",
    "TieredLotteryStrategy",
]
