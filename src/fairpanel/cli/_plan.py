"""``fairpanel plan``: how many cycles a gap of a given size needs to be detected."""

from __future__ import annotations

from typing import Annotated

import typer

from fairpanel.cli._guard import console, friendly_errors

__all__ = ["plan"]


@friendly_errors
def plan(
    rate: Annotated[
        float, typer.Option("--rate", help="The reference group's selection rate (0.2 = 20%).")
    ],
    gap: Annotated[
        float, typer.Option("--gap", help="The gap to detect, as a rate (0.04 = 4 points).")
    ],
    applicants_per_cycle: Annotated[
        float, typer.Option("--applicants-per-cycle", help="Applicants in one cycle, all groups.")
    ],
    share: Annotated[
        float, typer.Option("--share", help="The group's share of the applicants (0.4 = 40%).")
    ],
    alpha: Annotated[float, typer.Option("--alpha", help="Two-sided level.")] = 0.05,
    power: Annotated[float, typer.Option("--power", help="Chance of detecting the gap.")] = 0.8,
) -> None:
    """Say how many cycles of this size are needed to detect a gap of this size."""
    from fairpanel.audit._power import plan_cycles  # start-up time: scipy

    result = plan_cycles(
        rate=rate,
        gap=gap,
        applicants_per_cycle=applicants_per_cycle,
        share=share,
        alpha=alpha,
        power=power,
    )
    console.print(result.sentence(), markup=False)
