"""Synthetic review cycles where true merit is known, and strategies compared on them."""

from fairpanel.simulate._compare import ALL_STRATEGIES as SIMULATED_STRATEGIES
from fairpanel.simulate._compare import (
    SIMULATION_COLUMNS,
    SUMMARY_COLUMNS,
    SimulationResult,
    compare,
    default_strategies,
    seed_entropy,
)
from fairpanel.simulate._cycle import DEFAULT_GROUP_SHARES, Cycle, CycleConfig, generate_cycle
from fairpanel.simulate._dpr import DprCycle, dpr_cycle
from fairpanel.simulate._from_reviews import scenario_from_reviews, scenario_yaml
from fairpanel.simulate._scenario import Bias, GroupMerit, LotteryTier, Scenario, load_scenario
from fairpanel.simulate._sweep import SweepResult, parse_grid, sweep

__all__ = [
    "DEFAULT_GROUP_SHARES",
    "SIMULATED_STRATEGIES",
    "SIMULATION_COLUMNS",
    "SUMMARY_COLUMNS",
    "Bias",
    "Cycle",
    "CycleConfig",
    "DprCycle",
    "GroupMerit",
    "LotteryTier",
    "Scenario",
    "SimulationResult",
    "SweepResult",
    "compare",
    "default_strategies",
    "dpr_cycle",
    "generate_cycle",
    "load_scenario",
    "parse_grid",
    "scenario_from_reviews",
    "scenario_yaml",
    "seed_entropy",
    "sweep",
]
