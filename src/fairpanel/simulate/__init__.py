"""Synthetic review cycles where true merit is known, and strategies compared on them."""

from fairpanel.simulate._cycle import DEFAULT_GROUP_SHARES, Cycle, CycleConfig, generate_cycle

__all__ = ["DEFAULT_GROUP_SHARES", "Cycle", "CycleConfig", "generate_cycle"]
