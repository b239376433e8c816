"""Selection rules behind one interface: scores + capacity + seed → Allocation.

``rank``, ``lottery``, ``partial-lottery`` and ``tiered-lottery`` are built in; the
``ml`` strategy builds on the same :class:`Strategy` base.
"""

from typing import TYPE_CHECKING, Any

from fairpanel.strategies._allocation import Allocation, Capacity
from fairpanel.strategies._base import Strategy
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

if TYPE_CHECKING:
    from fairpanel.strategies._ml import MLStrategy


def __getattr__(name: str) -> Any:
    # MLStrategy pulls in scikit-learn and fairlearn: load them only for the ml strategy.
    if name == "MLStrategy":
        from fairpanel.strategies._ml import MLStrategy

        globals()[name] = MLStrategy
        return MLStrategy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
