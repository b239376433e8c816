"""The end-to-end demo: every step a committee runs, on two bundled examples.

``fairpanel demo --out DIR`` (and ``make demo``) call :func:`run_demo`. It writes the
inputs it used, every intermediate file the CLI commands would write, and the reports,
so a reader can re-run any step by hand. The telescope cycle is the one in
``examples/telescope/`` (same generator, same seed); the hiring example adds a
multi-stage funnel.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from fairpanel._schema import DEMO_SEED, SIMULATED_STRATEGIES, SubmissionColumns
from fairpanel.audit import audit_counts, run_audit
from fairpanel.io import load_reviews, load_submissions, write_frame, write_json, write_text
from fairpanel.io._checksum import file_checksums
from fairpanel.lottery import DrawCertificate
from fairpanel.ml import generate_history, run_checks
from fairpanel.reliability import assess_reliability
from fairpanel.report import ReportInputs, build_report, write_report
from fairpanel.rubric import Rubric, builtin_rubric_path, load_rubric, render_card
from fairpanel.scoring import dpr_checks, score
from fairpanel.simulate import Scenario, compare, dpr_cycle, generate_cycle, sweep
from fairpanel.strategies import (
    Allocation,
    Capacity,
    LotteryStrategy,
    PartialLotteryStrategy,
    RankStrategy,
    Strategy,
    TieredLotteryStrategy,
)

__all__ = ["DEMO_SEED", "EXAMPLE_SEED", "DemoResult", "run_demo"]

#: The seed of the bundled example cycle (``examples/make_example.py`` uses the same).
EXAMPLE_SEED: Final = 2026
GROUPS: Final = ("gender", "career_stage", "region")
TELESCOPE_PLACES: Final = 60
HIRING_STAGES: Final = ("longlisted", "interviewed", "offered")
SIMULATED: Final = SIMULATED_STRATEGIES[:5]  # the demo's scenario has no quotas
#: examples/scenarios/biased-reviewers.yaml, inlined so an installed package needs no files:
#: half the reviewers mark women down by half a merit SD; merit is equal across groups.
BIASED_REVIEWERS: Final = Scenario.from_dict(
    {
        "name": "biased-reviewers",
        "description": "half of the reviewers mark women's submissions down by 0.5 merit SD",
        "submissions": 1000,
        "group_attribute": "gender",
        "group_shares": {"women": 0.4, "men": 0.6},
        "reviewers": 100,
        "reviews_per_submission": 3,
        "leniency_sd": 0.3,
        "noise_sd": 1.0,
        "bias": {"against": "women", "size": 0.5, "share_of_reviewers": 0.5},
        "capacity": 0.2,
        "partial_lottery_interval": 0.5,
    }
)


@dataclass(frozen=True)
class DemoResult:
    """Where the demo wrote its files, and how long it took."""

    out: Path
    report: Path
    hiring_report: Path
    dpr_report: Path
    files: dict[str, Path]
    seconds: float


class _Steps:
    """A Rich progress display on stderr (silent when ``show`` is false)."""

    def __init__(self, show: bool) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=not show,
            transient=False,
        )

    @contextmanager
    def step(self, description: str) -> Iterator[None]:
        task = self.progress.add_task(description, total=1)
        yield
        self.progress.update(task, completed=1)


def _strategies(rubric: Rubric) -> dict[str, Strategy]:
    # Band names come from the rubric, so the weights follow its own words.
    names = [b.name for b in rubric.bands]
    weights = dict(zip(names[:3], (3.0, 2.0, 1.0), strict=True))
    return {
        "rank": RankStrategy(),
        "lottery": LotteryStrategy(quality_bar=names[2], rubric=rubric),
        "partial-lottery": PartialLotteryStrategy(interval=0.5),
        "tiered-lottery": TieredLotteryStrategy(weights=weights, rubric=rubric),
    }


def _telescope(out: Path, steps: _Steps, seed: str) -> tuple[ReportInputs, dict[str, Path]]:
    files: dict[str, Path] = {}
    rubric_path = builtin_rubric_path("telescope")
    rubric = load_rubric(rubric_path)
    inputs = out / "telescope" / "inputs"
    work = out / "telescope"
    with steps.step("telescope: generate the example cycle (300 proposals)"):
        cycle = generate_cycle(rubric=rubric, seed=EXAMPLE_SEED)
        files["submissions"] = write_frame(inputs / "submissions.csv", cycle.submissions)
        files["reviews"] = write_frame(inputs / "reviews.csv", cycle.reviews)
        files["rubric"] = write_text(inputs / "telescope.yaml", rubric_path.read_text("utf-8"))
        # The card handed out with the call, as `fairpanel rubric show` writes it.
        files["card-html"] = write_text(
            work / "rubric-card.html", render_card(rubric, format="html")
        )
        files["card-md"] = write_text(work / "rubric-card.md", render_card(rubric, format="md"))
    with steps.step("telescope: load and validate the tables"):
        columns = SubmissionColumns(groups=GROUPS, request="requested_hours")
        submissions = load_submissions(files["submissions"], columns=columns)
        reviews = load_reviews(files["reviews"], rubric=rubric, submissions=submissions)
    with steps.step("telescope: score (Bayesian model) and reviewer reliability"):
        scored = score(reviews, rubric=rubric, seed=seed)
        files["scores"] = write_frame(work / "scores.csv", scored.table)
        files["reviewers"] = write_frame(work / "reviewers.csv", scored.reviewers)
        rel = assess_reliability(reviews, rubric=rubric)
        files["reliability"] = write_json(work / "reliability.json", rel.to_dict())
    allocations: dict[str, Allocation] = {}
    certificates: list[DrawCertificate] = []
    with steps.step(f"telescope: allocate {TELESCOPE_PLACES} places with every strategy"):
        for name, strategy in _strategies(rubric).items():
            alloc = strategy.allocate(
                scored.table, submissions, capacity=Capacity(count=TELESCOPE_PLACES), seed=seed
            )
            allocations[name] = alloc
            files[f"allocation-{name}"] = write_frame(work / f"allocation-{name}.csv", alloc.table)
            if isinstance(alloc.certificate, DrawCertificate):  # no quota lottery here
                certificates.append(alloc.certificate)
                files[f"certificate-{name}"] = write_json(
                    work / f"draw-{name}.json", alloc.certificate.to_dict()
                )
    with steps.step("telescope: audit outcomes by gender, career stage and region"):
        chosen = allocations["partial-lottery"].table
        decisions = submissions.merge(
            chosen[["submission_id", "selected", "selection_probability"]], on="submission_id"
        )
        audited = run_audit(
            decisions,
            groups=list(GROUPS),
            strata="institution_type",
            seed=seed,
            scores=scored.table,
            reviews=reviews,
        )
        files["audit"] = write_json(work / "audit.json", audited.to_dict())
    with steps.step("simulation: 300 cycles with biased reviewers, and a 3 × 3 sweep"):
        simulated = compare(
            BIASED_REVIEWERS, strategies=SIMULATED, replicates=300, seed=seed, progress=False
        )
        grid = sweep(
            Scenario(),
            {"noise_sd": [0.5, 1.0, 2.0], "capacity": [0.1, 0.2, 0.3]},
            replicates=100,
            seed=seed,
            progress=False,
            n_jobs=1,
        )
        # The sweep travels with the comparison, as `fairpanel simulate --sweep` writes it.
        simulated = replace(simulated, sweep=grid)
        files["simulation"] = write_json(work / "simulation.json", simulated.to_dict())
    with steps.step("ML: trust checks on a history with planted problems"):
        history = generate_history(proxy=True, leakage=True, biased=True, seed=EXAMPLE_SEED)
        shifted = generate_history(source="real", seed=EXAMPLE_SEED + 1)
        files["history"] = write_frame(inputs / "past_cycles.csv", history)
        files["shifted"] = write_frame(inputs / "past_cycles_real.csv", shifted)
        checks = run_checks(
            history,
            target="selected",
            groups=["gender"],
            shifted=shifted,
            post_decision=["hours_used"],
            seed=EXAMPLE_SEED,
        )
        files["ml"] = write_json(work / "ml-checks.json", checks.to_dict())
    report_inputs = ReportInputs(
        rubric=rubric,
        scores=scored,
        reliability=rel,
        allocations=list(allocations.values()),
        certificates=certificates,
        audit=audited,
        audit_describes=f"the partial lottery (50% rank intervals) at {TELESCOPE_PLACES} places",
        simulation=simulated,
        ml=checks,
        seed=seed,
        input_checksums=_checksums(files, ("submissions", "reviews", "rubric", "history")),
        command_line=f"fairpanel demo --out {out}",
        title="Telescope time allocation: cycle 2026 (bundled example)",
    )
    return report_inputs, files


def _hiring(out: Path, steps: _Steps, seed: str) -> tuple[ReportInputs, dict[str, Path]]:
    files: dict[str, Path] = {}
    rubric_path = builtin_rubric_path("faculty_hire")
    rubric = load_rubric(rubric_path)
    inputs = out / "hiring" / "inputs"
    with steps.step("hiring: 800 applicants, long list → interview → offer"):
        cycle = generate_cycle(
            rubric=rubric, seed=EXAMPLE_SEED + 7, n_submissions=800, n_reviewers=24
        )
        files["submissions"] = write_frame(inputs / "applicants.csv", cycle.submissions)
        files["reviews"] = write_frame(inputs / "reviews.csv", cycle.reviews)
        reviews = load_reviews(files["reviews"], rubric=rubric)
        scored = score(reviews, rubric=rubric, method="eb", seed=seed)
        decisions = _funnel(cycle.submissions, scored.table)
        files["decisions"] = write_frame(out / "hiring" / "decisions.csv", decisions)
        audited = run_audit(
            decisions, groups=["gender", "career_stage"], stages=list(HIRING_STAGES), seed=seed
        )
        files["audit"] = write_json(out / "hiring" / "audit.json", audited.to_dict())
    report_inputs = ReportInputs(
        rubric=rubric,
        audit=audited,
        seed=seed,
        input_checksums=_checksums(files, ("submissions", "reviews")),
        command_line=f"fairpanel demo --out {out}",
        title="Early-career faculty hiring: a year of searches pooled (bundled example)",
    )
    return report_inputs, files


#: The distributed-review example: each of 300 PIs ranks 10 others' proposals; a third
#: of them push their competitors (same science category) down by one merit SD, and three
#: reviews carry a declared conflict.
DPR_SIZE: Final = 300
DPR_CONFLICTS: Final = (5, 1234, 2890)


def _dpr(out: Path, steps: _Steps, seed: str) -> tuple[ReportInputs, dict[str, Path]]:
    files: dict[str, Path] = {}
    inputs = out / "dpr" / "inputs"
    with steps.step(f"distributed review: {DPR_SIZE} PIs rank 10 proposals each, and checks"):
        cycle = dpr_cycle(
            DPR_SIZE, 10, seed=EXAMPLE_SEED, strategic_share=1 / 3, strategic_shift=1.0
        )
        flagged = _declare_conflicts(cycle.reviews, DPR_CONFLICTS)
        files["submissions"] = write_frame(inputs / "submissions.csv", cycle.submissions)
        files["reviews"] = write_frame(inputs / "reviews.csv", flagged)
        columns = SubmissionColumns(groups=("region", "gender", "career_stage"))
        submissions = load_submissions(files["submissions"], columns=columns)
        # Conflicted reviews are left out (and listed by the checks), never scored.
        reviews = load_reviews(files["reviews"], submissions=submissions, conflicts="drop")
        scored = score(reviews, review_type="ranks", seed=seed)
        files["scores"] = write_frame(out / "dpr" / "scores.csv", scored.table)
        check = dpr_checks(reviews, submissions, category="category")
        files["dpr-check"] = write_json(out / "dpr" / "dpr-check.json", check.to_dict())
    report_inputs = ReportInputs(
        # A ranking has no leniency: the report shows no leniency table of zeros, and its
        # methods speak of the rank-ordered model.
        scores=scored,
        dpr=check,
        seed=seed,
        input_checksums=_checksums(files, ("submissions", "reviews")),
        command_line=f"fairpanel demo --out {out}",
        title="Distributed review: a ranked cycle of 300 proposals (generated example)",
    )
    return report_inputs, files


def _declare_conflicts(reviews: pd.DataFrame, rows: tuple[int, ...]) -> pd.DataFrame:
    """Flag ``rows`` as declared conflicts: not ranked, the reviewer's others ranked 1…9."""
    kept = ~np.isin(np.arange(len(reviews)), rows)
    out = reviews.assign(
        conflict=np.where(kept, "", "yes"), score=reviews["score"].where(kept).astype(float)
    )
    out.loc[kept, "score"] = out[kept].groupby("reviewer_id")["score"].rank(method="first")
    return out.astype({"score": "Int64"})


#: The multi-cycle example: the year a committee moved to dual-anonymous review.
CHANGE_YEAR: Final = 2021


def _cycles(out: Path, steps: _Steps, seed: str) -> tuple[ReportInputs, dict[str, Path]]:
    """Eight yearly calls of a fellowship, women behind until dual-anonymous review.

    Counts per year × field × gender, as funders publish them; women's rate is 5 points
    lower than men's until 2020 and the same from 2021, when review became
    dual-anonymous (the change the audit should find, as HST's Cycle 26 did).
    """
    files: dict[str, Path] = {}
    with steps.step("cycles: eight calls, before and after dual-anonymous review"):
        rng = np.random.default_rng(EXAMPLE_SEED + 14)
        rows = []
        for year in range(2017, 2025):
            for field, size in (("physical sciences", 1200), ("life sciences", 900)):
                for gender, share in (("women", 0.4), ("men", 0.6)):
                    n = int(rng.binomial(size, share))
                    rate = 0.23 - (0.05 if gender == "women" and year < CHANGE_YEAR else 0.0)
                    rows.append((year, field, gender, n, int(rng.binomial(n, rate))))
        counts = pd.DataFrame(rows, columns=["year", "field", "gender", "applicants", "awarded"])
        files["counts"] = write_frame(out / "cycles" / "counts.csv", counts)
        audited = audit_counts(
            counts,
            group_col="gender",
            selected_col="awarded",
            strata_col="field",
            cycle_col="year",
            change_at=str(CHANGE_YEAR),
            scan=True,
            seed=seed,
        )
        files["audit"] = write_json(out / "cycles" / "audit.json", audited.to_dict())
    report_inputs = ReportInputs(
        audit=audited,
        seed=seed,
        input_checksums=_checksums(files, ("counts",)),
        command_line=f"fairpanel demo --out {out}",
        title="A fellowship over eight calls: did dual-anonymous review work? (bundled example)",
    )
    return report_inputs, files


def _funnel(applicants: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Stage decisions by expected rank: a long list of 200, 60 interviews, 25 offers.

    Sized like a university's year of early-career searches pooled: a single search
    offers one or two positions, and its group counts could never be published.
    """
    ranked = applicants.merge(scores[["submission_id", "expected_rank"]], on="submission_id")
    order = ranked["expected_rank"].to_numpy()
    position = np.argsort(np.argsort(order, kind="stable"), kind="stable")
    out = ranked.drop(columns="expected_rank")
    for stage, size in zip(HIRING_STAGES, (200, 60, 25), strict=True):
        out[stage] = position < size
    return out


def _checksums(files: dict[str, Path], keys: tuple[str, ...]) -> dict[str, str]:
    named = file_checksums(files[k] for k in keys if k in files)
    return {Path(p).name: digest for p, digest in named.items()}


def run_demo(
    out_dir: str | Path,
    *,
    seed: str = DEMO_SEED,
    progress: bool = True,
) -> DemoResult:
    """Run score → allocate → audit → simulate → ML checks → report on the examples.

    Parameters
    ----------
    out_dir : str or Path
        Where to write; ``report.html``, ``report.md`` and ``report.json`` land at its top.
    seed : str
        Seed of every random choice after the example data are generated.
    progress : bool
        Show a progress display on stderr.

    Returns
    -------
    DemoResult
    """
    start = time.perf_counter()
    out = Path(out_dir)
    steps = _Steps(progress)
    with steps.progress:
        telescope, files = _telescope(out, steps, seed)
        hiring, hiring_files = _hiring(out, steps, seed)
        cycles, cycle_files = _cycles(out, steps, seed)
        dpr, dpr_files = _dpr(out, steps, seed)
        with steps.step("report: HTML, Markdown and JSON"):
            paths = write_report(build_report(telescope), out)
            hiring_paths = write_report(build_report(hiring), out / "hiring")
            cycle_paths = write_report(build_report(cycles), out / "cycles")
            dpr_paths = write_report(build_report(dpr), out / "dpr")
    files.update({f"hiring-{k}": v for k, v in hiring_files.items()})
    files.update({f"cycles-{k}": v for k, v in cycle_files.items()})
    files["cycles-report"] = cycle_paths["html"]
    files.update({f"dpr-{k}": v for k, v in dpr_files.items()})
    return DemoResult(
        out=out,
        report=paths["html"],
        hiring_report=hiring_paths["html"],
        dpr_report=dpr_paths["html"],
        files=files,
        seconds=time.perf_counter() - start,
    )
