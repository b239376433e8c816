"""The ``fairpanel`` command: one Typer app, one small module per subcommand.

Commands hold no logic: each loads its input, calls one public function of the library
and writes the result atomically.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from fairpanel._version import __version__
from fairpanel.cli._guard import guarded

__all__ = ["app", "main"]


class _GuardedGroup(TyperGroup):
    """The command group that runs every subcommand through :func:`guarded`.

    One place for all commands, present and future: none can show a Python stack, even
    one whose own error handling misses a case.
    """

    def invoke(self, ctx: Any) -> Any:
        return guarded(super().invoke)(ctx)


app = typer.Typer(
    cls=_GuardedGroup,
    name="fairpanel",
    help="Defensible selection for review committees: rubrics, calibrated scores, "
    "verifiable lotteries and fairness audits.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"fairpanel {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Show the version."
    ),
) -> None:
    """Defensible selection for review committees."""


# --- subcommand registration (one line per command module; keep alphabetical) ---
# fmt: off
# isort: off
from fairpanel.cli import _allocate
from fairpanel.cli import _audit
from fairpanel.cli import _demo
from fairpanel.cli import _dpr_check
from fairpanel.cli import _ml_check
from fairpanel.cli import _plan
from fairpanel.cli import _reliability
from fairpanel.cli import _report
from fairpanel.cli import _rubric
from fairpanel.cli import _score
from fairpanel.cli import _simulate
from fairpanel.cli import _submissions
from fairpanel.cli import _validate
from fairpanel.cli import _verify_draw

app.command("allocate")(_allocate.allocate)
app.command("audit")(_audit.audit_command)
app.command("demo")(_demo.demo)
app.command("dpr-check")(_dpr_check.dpr_check)
app.command("ml-check")(_ml_check.ml_check)
app.command("plan")(_plan.plan)
app.command("reliability")(_reliability.reliability_command)
app.command("report")(_report.report)
app.add_typer(_rubric.app, name="rubric")
app.command("score")(_score.score_command)
app.command("simulate")(_simulate.simulate)
app.command("submissions")(_submissions.submissions)
app.command("validate")(_validate.validate)
app.command("verify-draw")(_verify_draw.verify_draw)
# isort: on
# fmt: on


def main() -> None:
    """Entry point of the ``fairpanel`` script (guarded as every command is)."""
    guarded(app)()
