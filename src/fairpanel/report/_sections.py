"""Section builders: one per kind of result, each reading the result's attributes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from fairpanel._words import plain_quotes, strategy_words, words
from fairpanel.report._model import Chart, Section, Table
from fairpanel.report._text import fmt, pct
from fairpanel.rubric import Rubric, card_model
from fairpanel.viz import (
    probability_by_rank_chart,
)

if TYPE_CHECKING:
    # Annotations only: importing the ML results would load scikit-learn for every report.
    from fairpanel.lottery import DrawCertificate
    from fairpanel.ml import CheckReport

__all__ = [
    "DETAIL_ROWS_MAX",
    "certificate_section",
    "methods_section",
    "ml_section",
    "rubric_section",
    "strategies_section",
    "strategy_labels",
]


def rubric_section(rubric: Rubric) -> Section:
    """Show the rubric as handed to applicants: criteria, weights, levels and bands."""
    direction = "higher is better" if rubric.scale.higher_is_better else "lower is better"
    paragraphs = [p for p in (rubric.purpose,) if p]
    paragraphs.append(
        f"Reviewers score each criterion from {rubric.scale.min} to {rubric.scale.max} "
        f"({direction}). A review's total is the weighted mean of its criterion scores."
    )
    weights = rubric.weights
    criteria = Table(
        "Criteria",
        ("criterion", "weight", "what it asks"),
        tuple((c.title, pct(weights[c.id], 0), c.asks) for c in rubric.criteria),
    )
    levels = tuple(
        Table(
            f"{c.title}: levels",
            ("level", "what the reviewer sees in the submission"),
            tuple(
                (f"{lvl.value}" + (f" – {lvl.label}" if lvl.label else ""), lvl.descriptor)
                for lvl in c.levels
            ),
            # A long scale (AIBS's 1–40) starts folded: the card is what applicants read.
            collapsed=len(c.levels) > 7,
        )
        for c in rubric.criteria
    )
    # The card states each band's full range ("≥ 3 and < 3.75"), not only its threshold.
    bands = Table(
        "Holistic bands",
        ("band", "total", "meaning"),
        tuple((b["name"], b["range"], b["descriptor"]) for b in card_model(rubric)["bands"]),
    )
    if rubric.notes:
        paragraphs.append(rubric.notes)
    return Section(
        "rubric", f"The rubric: {rubric.name}", tuple(paragraphs), (criteria, *levels, bands)
    )


#: Most rows of a table in the page: past this (a panel of thousands), the rows are in
#: the CSV and JSON files the report was made from, and the HTML stays small (see
#: ``benchmarks/bench_report.py``: under 5 MB for 20,000 submissions).
DETAIL_ROWS_MAX: Final = 300


def _strategy_name(alloc: pd.DataFrame) -> str:
    return strategy_words(alloc["strategy"].iloc[0]) if "strategy" in alloc and len(alloc) else "?"


def strategy_labels(allocations: Sequence[pd.DataFrame], labels: Sequence[str] = ()) -> list[str]:
    """Name each allocation: the given labels, else its strategy in words, numbering repeats."""
    if len(labels) == len(allocations) and labels:
        return [str(label) for label in labels]
    names = [_strategy_name(a) for a in allocations]
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if names.count(name) == 1 else f"{name} ({seen[name]})")
    return out


def _mark(row: Mapping[str, Any]) -> str:
    p = float(row["selection_probability"])
    if p == 0:
        return ""
    return f"{fmt(p)}{' ✓' if bool(row['selected']) else ''}"


def strategies_section(
    allocations: Sequence[pd.DataFrame],
    scores: pd.DataFrame | None = None,
    labels: Sequence[str] = (),
    notes: Sequence[Sequence[str]] = (),
    *,
    individual: bool = True,
) -> Section:
    """Show who each strategy selects, in which tier, with exact selection probabilities.

    ``notes`` holds, per allocation, what the reader must be told besides (places left
    empty, a lottery with no quality bar: :func:`fairpanel.strategies._notes.notes_for`).
    With ``individual=False`` (a report that must not list applicants) only the counts
    per strategy are shown: no submission's row, id or chance.
    """
    summary_rows = []
    for label, alloc in zip(strategy_labels(allocations, labels), allocations, strict=True):
        tiers = alloc["tier"].value_counts()
        summary_rows.append(
            (
                label,
                str(int(alloc["selected"].astype(bool).sum())),
                str(int(tiers.get("funded", 0))),
                str(int(tiers.get("lottery", 0))),
                str(int(tiers.get("rejected", 0))),
                fmt(float(alloc["selection_probability"].to_numpy(dtype=float).sum())),
            )
        )
    overview = Table(
        "Strategies at the same capacity",
        ("strategy", "selected", "funded", "lottery zone", "rejected", "expected selected"),
        tuple(summary_rows),
        note="Probabilities are exact where a closed form exists, otherwise Monte Carlo "
        "with its standard error in the allocation file.",
    )
    intro = (
        "Every strategy was run on the same scores and capacity. A probability of 1 means "
        "selected whatever the draw; between 0 and 1 means the submission's place was "
        "decided by lot."
    )
    if not individual:
        return Section("strategies", "The strategies compared", (intro,), (overview,))
    # One row per submission with any chance under any strategy, strategies side by side.
    names = strategy_labels(allocations, labels)
    wide = pd.concat(
        [
            a.set_index("submission_id")[["selection_probability", "selected"]].add_prefix(f"{n}:")
            for n, a in zip(names, allocations, strict=True)
        ],
        axis=1,
    )
    chance = wide[[f"{n}:selection_probability" for n in names]].to_numpy(dtype=float)
    wide = wide.loc[pd.Series((chance > 0).any(axis=1), index=wide.index)]
    charts: list[Chart] = []
    if scores is not None:
        ranks = scores.set_index("submission_id")["expected_rank"]
        wide = wide.join(ranks).sort_values("expected_rank")
        long = pd.concat(
            [
                pd.DataFrame(
                    {
                        "expected_rank": ranks.reindex(a["submission_id"]).to_numpy(),
                        "selection_probability": a["selection_probability"].to_numpy(dtype=float),
                        "strategy": n,
                    }
                )
                for n, a in zip(names, allocations, strict=True)
            ]
        )
        charts.append(probability_by_rank_chart(long))
    rows = tuple(
        (
            str(sid),
            *([fmt(rec["expected_rank"])] if scores is not None else []),
            *(
                _mark(
                    {
                        "selection_probability": rec[f"{n}:selection_probability"],
                        "selected": rec[f"{n}:selected"],
                    }
                )
                for n in names
            ),
        )
        for sid, rec in zip(wide.index, wide.to_dict("records"), strict=True)
    )
    caption = "Chance of selection of every submission that has one (✓ = selected in this draw)"
    note = ""
    if len(rows) > DETAIL_ROWS_MAX:
        # A large panel's table goes to the allocation files, not into the page.
        caption = (
            f"Chance of selection: the first {DETAIL_ROWS_MAX} of the {len(rows)} submissions "
            "that have one (✓ = selected in this draw)"
        )
        note = "Every submission's chance is in the allocation files (CSV and JSON)."
        rows = rows[:DETAIL_ROWS_MAX]
    detail = Table(
        caption,
        ("submission", *(["expected rank"] if scores is not None else []), *names),
        rows,
        note=note,
        collapsed=True,
    )
    return Section(
        "strategies",
        "The strategies compared",
        (
            intro,
            *(
                f"{label}: {sentence[0].upper()}{sentence[1:]}."
                for label, said in zip(strategy_labels(allocations, labels), notes, strict=False)
                for sentence in said
            ),
        ),
        (overview, detail),
        tuple(charts),
    )


#: The sweep's metrics the report draws as heatmaps, when the sweep has them.
def ml_section(ml: CheckReport) -> Section:
    """List the ML trust checks: one plain sentence per finding."""
    rows = tuple(
        (words(f.check), f.severity, fmt(f.value), plain_quotes(f.message)) for f in ml.findings
    )
    return Section(
        "ml",
        "Can the ML ranking be trusted?",
        (
            "Each check looks for a way a model trained on past decisions can mislead: "
            "keying on a proxy of group, leaking the decision, copying past bias, or "
            "learning the quirks of its training data.",
        ),
        (Table("ML trust checks", ("check", "severity", "value", "finding"), rows),),
    )


def certificate_section(
    certificates: Sequence[DrawCertificate], *, individual: bool = True
) -> Section:
    """Show the draw certificates, their commitments, and how anyone can verify them.

    With ``individual=False`` the ids drawn are counted, not listed (the certificate
    file holds them for whoever verifies the draw).
    """
    from fairpanel.lottery import certificate_panel  # (lottery is typing-only above)

    tables = []
    for cert in certificates:
        name = strategy_words(cert.context.get("strategy", "lottery"))
        panel = certificate_panel(cert.context)
        if panel is not None:  # panels drew each on its own: one certificate each
            name = f"{name}, panel {panel[1]}"
        if not cert.draw_needed:
            rows: tuple[tuple[str, str], ...] = (
                ("draw", cert.no_draw_reason or "no draw was needed"),
                ("seed", cert.seed),
                ("package version", cert.package_version),
            )
            tables.append(Table(f"Draw certificate: {name} (no draw)", ("field", "value"), rows))
            continue
        weights = sorted({float(w) for _, w in cert.entrants})
        rows = (
            ("algorithm", f"{cert.algorithm} (version {cert.algorithm_version})"),
            ("seed", cert.seed),
            ("entrants", f"{len(cert.entrants)} (weights {', '.join(fmt(w) for w in weights)})"),
            ("places drawn", str(cert.places)),
            ("input checksum (SHA-256)", cert.input_checksum),
            (
                "commitment (SHA-256, published before the seed)",
                "none: the zone was not committed before the seed"
                if cert.commitment is None
                else cert.commitment.sha256,
            ),
            ("package version", cert.package_version),
            ("drawn, in draw order", ", ".join(cert.selected))
            if individual
            else ("drawn", f"{len(cert.selected)} (the certificate file lists them)"),
        )
        tables.append(Table(f"Draw certificate: {name}", ("field", "value"), rows))
    return Section(
        "draw",
        "The draw and how to verify it",
        (
            "The draw depends only on the seed, the entrants' ids and their weights: each "
            "entrant's key is derived from a SHA-256 hash of the seed and its id, and keys are "
            "sorted. Whoever knows the seed and the entrants knows the result, so the "
            "entrants, their weights and the number of places are committed first (their "
            "SHA-256 published), and the seed is a public value that becomes known only "
            "after that: a national lottery's numbers on a named date, or a public "
            "randomness beacon's round. Anyone can re-run the draw with fairpanel "
            "verify-draw, or by hand following docs/lottery.md.",
        ),
        tuple(tables),
    )


def verification_section(checks: Sequence[tuple[str, str]], commands: Sequence[str]) -> Section:
    """Say what was verified before the report was written, and how a reader repeats it."""
    paragraphs = [
        "Before this report was written, every input was checked against the others: each "
        "file records the SHA-256 of the files it was made from, and each draw certificate "
        "was redone and compared with its allocation. A file made from another file than "
        "the one given here would have stopped the report.",
    ]
    if commands:
        paragraphs.append(
            "To repeat the checks, run the commands below in the folder of the published "
            "files: the checksums must equal the table under Reproducibility, and each "
            "verify-draw must end in ok."
        )
    return Section(
        "verification",
        "What was verified, and how to repeat it",
        tuple(paragraphs),
        (Table("Checks of the chain of custody", ("check", "outcome"), tuple(checks)),)
        if checks
        else (),
        preformatted="\n".join(_wrap_command(c) for c in commands),
    )


def _wrap_command(command: str, width: int = 88) -> str:
    """Break a long command before its options, shell style, so it reads without scrolling."""
    if len(command) <= width:
        return command
    head, *options = command.split(" --")
    return " \\\n    --".join([head, *options])


def methods_section(
    *,
    scores: bool,
    allocations: bool,
    audit: bool,
    strata: bool = False,
    ranked: bool = False,
    code_names: Sequence[tuple[str, str]] = (),
) -> Section:
    """Summarise the methods behind what the report shows, and their limitations.

    ``ranked``: the scores come from reviewers' rankings (a rank-ordered probit model,
    no leniency), not from grades.

    ``code_names`` pairs each word the report uses with the name the command line and
    the files use (``("partial lottery", "partial-lottery")``): the one place a reader
    meets the code names, to find them in the files and commands.
    """
    paragraphs = []
    if scores and ranked:
        paragraphs.append(
            "Scores: reviewers ranked their sets, so the scores come from a rank-ordered "
            "(Thurstonian) probit model on a latent merit scale; a ranking says nothing of "
            "a reviewer's leniency, so none is estimated. Expected ranks and credible "
            "intervals follow from the same posterior draws."
        )
    elif scores:
        paragraphs.append(
            "Scores: the Bayesian hierarchical model of the Swiss National Science Foundation "
            "(Heyard et al. 2022) separates each submission's quality from its reviewers' "
            "leniency and gives expected ranks with credible intervals."
        )
    if allocations:
        paragraphs.append(
            "Selection: every strategy ran on the same scores and capacity; lottery draws use "
            "keys derived from SHA-256 of the seed and each id, and selection probabilities "
            "are exact where a closed form exists."
        )
    if audit:
        paragraphs.append(
            "Rates: Wilson intervals; differences: Newcombe's hybrid score interval; ratios: "
            "log (Katz) interval; tests: Fisher's exact test (two groups) or chi-square."
            + (
                " Strata: Cochran–Mantel–Haenszel with the Breslow–Day test of homogeneity."
                if strata
                else ""
            )
        )
    paragraphs.append(
        "Limitations: scores measure reviewers' judgement, not merit itself; a lottery is "
        "fair among those it includes, not a remedy for biased scores upstream; small "
        "groups give wide intervals, and cells below the minimum size are withheld. "
        "docs/methods.md gives every formula and reference."
    )
    if code_names:
        paragraphs.append(
            "In the files and on the command line, the names this report writes in words "
            "are: " + "; ".join(f"{said}: {code}" for said, code in code_names) + "."
        )
    return Section("methods", "Methods and limitations", tuple(paragraphs))
