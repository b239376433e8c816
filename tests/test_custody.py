"""Chain of custody and commit-then-reveal (issue 11 parts 1 and 2), as a committee runs them.

The panel is shaped like the SNSF MINT call of the shared data: 353 proposals, 114
places; 107 proposals reach a quality bar of 4.5, so with the bar no draw is needed. The
scenarios of the issue: a stale certificate left by an earlier run, a certificate from
another run, and one with an entrant removed and its checksum recomputed -- each refused
by ``report`` and ``verify-draw`` with one line naming both files.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpanel.cli import app
from fairpanel.io import read_provenance, sidecar_path
from fairpanel.lottery import (
    Commitment,
    DrawCertificate,
    check_work,
    draw,
    verify_certificate,
)
from fairpanel.lottery._custody import ERR_TOO_MANY_ENTRANTS, MAX_CERTIFICATE_ENTRANTS
from fairpanel.report._model import SCHEMA_VERSION

PREFIX = "fairpanel: error: "
N, PLACES, ABOVE_BAR = 353, 114, 107


@pytest.fixture
def mint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A MINT-shaped score table (353 proposals, 107 at or above 4.5) in a fresh folder."""
    rng = np.random.default_rng(2020)
    above = np.sort(rng.uniform(4.5, 6.0, ABOVE_BAR))[::-1]
    below = np.sort(rng.uniform(1.0, 4.49, N - ABOVE_BAR))[::-1]
    score = np.concatenate([above, below])
    rank = np.arange(1, N + 1, dtype=float)
    frame = pd.DataFrame(
        {
            "submission_id": [f"proposal{i}" for i in range(1, N + 1)],
            "calibrated_score": score.round(4),
            "expected_rank": rank,
            "rank_lo50": np.maximum(rank - 6, 1),
            "rank_hi50": np.minimum(rank + 6, N),
            "rank_lo90": np.maximum(rank - 15, 1),
            "rank_hi90": np.minimum(rank + 15, N),
        }
    )
    frame.to_csv(tmp_path / "scores.csv", index=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def _error(*args: str) -> str:
    code, output = _run(*args)
    assert code == 2, output
    lines = [ln for ln in output.splitlines() if ln.startswith(PREFIX)]
    assert len(lines) == 1, output
    return lines[0].removeprefix(PREFIX)


LOTTERY = ("allocate", "--scores", "scores.csv", "--strategy", "lottery")
LOTTERY += ("--capacity", str(PLACES), "--seed", "mint-2020")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_no_draw_needed_writes_a_certificate_that_says_so(mint: Path) -> None:
    code, output = _run(
        *LOTTERY, "--quality-bar", "4.5", "--out", "allocation.csv", "--certificate", "draw.json"
    )
    assert code == 0, output
    data = json.loads(Path("draw.json").read_text(encoding="utf-8"))
    assert data["schema"] == {"name": "fairpanel.certificate", "version": 2}
    assert data["draw_needed"] is False
    assert data["entrants"] == []
    assert data["places"] == 0
    assert f"{ABOVE_BAR} submissions competed for {PLACES} places" in data["no_draw_reason"]
    # Bound to the same inputs as the allocation, and to the allocation itself.
    recorded = read_provenance(Path("draw.json"))
    alloc = read_provenance(Path("allocation.csv"))
    assert recorded.input("scores") == alloc.input("scores")
    assert [r.sha256 for r in recorded.written_with] == [alloc.sha256]
    assert alloc.source == sidecar_path("allocation.csv")
    assert not alloc.changed
    code, output = _run(
        "verify-draw", "draw.json", "--allocation", "allocation.csv", "--scores", "scores.csv"
    )
    assert code == 0, output
    assert "no draw was needed" in output


def _stale(mint: Path) -> None:
    """The issue's sequence: a draw among all 353, then a rerun with the bar and no certificate."""
    assert _run(*LOTTERY, "--out", "allocation.csv", "--certificate", "draw.json")[0] == 0
    assert len(json.loads(Path("draw.json").read_text(encoding="utf-8"))["entrants"]) == N
    assert _run(*LOTTERY, "--quality-bar", "4.5", "--out", "allocation.csv")[0] == 0


def test_a_stale_certificate_is_refused(mint: Path) -> None:
    _stale(mint)
    before = _snapshot(mint)
    line = _error("verify-draw", "draw.json", "--allocation", "allocation.csv")
    assert line.startswith("draw.json was written with another allocation than allocation.csv")
    line = _error(
        "report", "--scores", "scores.csv", "--allocation", "allocation.csv",
        "--certificate", "draw.json", "--out", "report",
    )  # fmt: skip
    assert line.startswith("draw.json was written with another allocation than allocation.csv")
    assert _snapshot(mint) == before
    assert not Path("report").exists()


def test_a_stale_certificate_without_provenance_is_refused_by_its_content(mint: Path) -> None:
    # A certificate from before provenance existed: the content alone gives it away.
    _stale(mint)
    data = json.loads(Path("draw.json").read_text(encoding="utf-8"))
    data.pop("provenance")
    Path("old.json").write_text(json.dumps(data), encoding="utf-8")
    line = _error("verify-draw", "old.json", "--allocation", "allocation.csv")
    assert line.startswith(
        "old.json does not match allocation.csv: the certificate records a draw"
    )
    line = _error(
        "report", "--allocation", "allocation.csv", "--certificate", "old.json", "--out", "r"
    )
    assert line.startswith("old.json does not match allocation.csv")


def test_a_certificate_from_another_run_is_refused(mint: Path) -> None:
    assert _run(*LOTTERY, "--out", "a.csv", "--certificate", "a.json")[0] == 0
    other = [a if a != "mint-2020" else "another seed" for a in LOTTERY]
    assert _run(*other, "--out", "b.csv", "--certificate", "b.json")[0] == 0
    line = _error("verify-draw", "b.json", "--allocation", "a.csv")
    assert line.startswith("b.json was written with another allocation than a.csv (SHA-256 ")
    line = _error("report", "--allocation", "a.csv", "--certificate", "b.json", "--out", "r")
    assert line.startswith("b.json was written with another allocation than a.csv")


def _remove_an_entrant(source: str, target: str, *, keep_provenance: bool) -> None:
    """Forge a certificate: drop one entrant, redraw and recompute every checksum."""
    data = json.loads(Path(source).read_text(encoding="utf-8"))
    entrants = [(e["submission_id"], e["weight"]) for e in data["entrants"]][1:]
    forged = draw(
        [s for s, _ in entrants],
        [w for _, w in entrants],
        places=data["places"],
        seed=data["seed"],
        context=data["context"],
    ).certificate.to_dict()
    assert verify_certificate(forged).ok  # consistent with itself
    if keep_provenance:
        forged["provenance"] = data["provenance"]
    Path(target).write_text(json.dumps(forged), encoding="utf-8")


def test_a_certificate_with_an_entrant_removed_is_refused(mint: Path) -> None:
    assert _run(*LOTTERY, "--out", "allocation.csv", "--certificate", "draw.json")[0] == 0
    _remove_an_entrant("draw.json", "forged.json", keep_provenance=True)
    line = _error("verify-draw", "forged.json", "--allocation", "allocation.csv")
    assert line.startswith(
        "forged.json does not match allocation.csv: the entrants are not the allocation's "
        "lottery tier: 1 in the lottery tier but not in the certificate"
    )
    line = _error(
        "report", "--scores", "scores.csv", "--allocation", "allocation.csv",
        "--certificate", "forged.json", "--out", "r",
    )  # fmt: skip
    assert line.startswith("forged.json does not match allocation.csv")
    # Without its provenance and without the allocation, the score file still refuses it.
    _remove_an_entrant("draw.json", "bare.json", keep_provenance=False)
    line = _error("verify-draw", "bare.json", "--scores", "scores.csv")
    assert line.startswith(
        "bare.json is not the lottery zone of scores.csv: the entrants differ from the zone "
        "the rule gives: 1 missing"
    )


def test_an_allocation_from_another_score_file_is_refused_by_report(mint: Path) -> None:
    assert _run(*LOTTERY, "--out", "allocation.csv")[0] == 0
    frame = pd.read_csv("scores.csv")
    frame.loc[0, "calibrated_score"] = 5.99
    frame.to_csv("scores.csv", index=False)
    line = _error(
        "report", "--scores", "scores.csv", "--allocation", "allocation.csv", "--out", "r"
    )
    assert line.startswith(
        "allocation.csv was made from another scores file than scores.csv (SHA-256 "
    )


def test_an_edited_csv_is_refused_against_its_sidecar(mint: Path) -> None:
    assert _run(*LOTTERY, "--out", "allocation.csv")[0] == 0
    with Path("allocation.csv").open("a", encoding="utf-8") as fh:
        fh.write("\n")
    line = _error("report", "--allocation", "allocation.csv", "--out", "r")
    assert line.startswith(
        "allocation.csv has changed since it was written: allocation.csv.provenance.json "
        "records SHA-256"
    )


def test_report_says_what_it_verified_and_how_to_repeat_it(mint: Path) -> None:
    assert _run(*LOTTERY, "--out", "allocation.csv", "--certificate", "draw.json")[0] == 0
    code, output = _run(
        "report", "--scores", "scores.csv", "--allocation", "allocation.csv",
        "--certificate", "draw.json", "--out", "r",
    )  # fmt: skip
    assert code == 0, output
    report = json.loads(Path("r/report.json").read_text(encoding="utf-8"))
    assert report["schema"] == {"name": "fairpanel.report", "version": SCHEMA_VERSION}
    checks = {c["check"]: c["outcome"] for c in report["provenance"]["verification"]}
    assert checks["allocation.csv was made from scores.csv"] == "verified (SHA-256)"
    assert checks["draw.json is the draw of allocation.csv"] == "verified"
    assert checks["draw.json was drawn from scores.csv"].startswith("verified")
    assert report["provenance"]["verify_commands"] == [
        "sha256sum scores.csv allocation.csv draw.json",
        "fairpanel verify-draw draw.json --allocation allocation.csv --scores scores.csv",
    ]
    # The reader's command works as printed.
    code, output = _run(
        "verify-draw", "draw.json", "--allocation", "allocation.csv", "--scores", "scores.csv"
    )
    assert code == 0, output
    md = Path("r/report.md").read_text(encoding="utf-8")
    assert "What was verified, and how to repeat it" in md


# ------------------------------------------------------------- commit, then reveal
PARTIAL = ("allocate", "--scores", "scores.csv", "--strategy", "partial-lottery")
PARTIAL += ("--capacity", str(PLACES))


def _commit(name: str = "commitment.json") -> str:
    code, output = _run(*PARTIAL, "--commit", name)
    assert code == 0, output
    return output.strip().splitlines()[-1]


def test_commit_then_reveal_end_to_end(mint: Path) -> None:
    published = _commit()
    data = json.loads(Path("commitment.json").read_text(encoding="utf-8"))
    assert data["sha256"] == published
    assert "seed" not in data
    assert Commitment.from_dict(data).sha256 == published
    seed = "drand mainnet round 4500000"
    code, output = _run(
        *PARTIAL, "--commitment", "commitment.json", "--seed", seed,
        "--out", "allocation.csv", "--certificate", "draw.json",
    )  # fmt: skip
    assert code == 0, output
    cert = DrawCertificate.from_dict(json.loads(Path("draw.json").read_text(encoding="utf-8")))
    assert cert.commitment is not None
    assert cert.commitment.sha256 == published
    code, output = _run(
        "verify-draw", "draw.json", "--commitment", "commitment.json", "--published", published,
        "--allocation", "allocation.csv", "--scores", "scores.csv",
    )  # fmt: skip
    assert code == 0, output
    assert f"committed before the seed: commitment SHA-256 {published}" in output


def test_a_commitment_refuses_changed_inputs_and_a_moved_zone(mint: Path) -> None:
    _commit()
    base = (*PARTIAL, "--commitment", "commitment.json", "--seed", "s", "--out", "a.csv")
    moved = [a if a != str(PLACES) else str(PLACES - 1) for a in base]
    line = _error(*moved)
    assert line.startswith(
        "commitment.json: the inputs no longer give the committed lottery zone: "
    )
    frame = pd.read_csv("scores.csv")
    frame.loc[200, "calibrated_score"] = 5.99
    frame.to_csv("scores.csv", index=False)
    line = _error(*base)
    assert line.startswith("commitment.json: the scores file has changed since the commitment")
    assert not Path("a.csv").exists()


def test_commit_takes_no_seed_and_needs_a_draw(mint: Path) -> None:
    line = _error(*PARTIAL, "--commit", "c.json", "--seed", "known too early")
    assert "--commit fixes the lottery zone before the seed exists" in line
    line = _error(*LOTTERY[:-2], "--quality-bar", "4.5", "--commit", "c.json")
    assert line.startswith("nothing to commit: no draw was needed")
    line = _error(*PARTIAL, "--out", "a.csv")
    assert "--seed is required" in line
    line = _error(*PARTIAL, "--commit", "c.json", "--certificate", "draw.json")
    assert "--commit writes only the commitment" in line


def test_a_certificate_with_an_entrant_removed_fails_against_its_commitment(mint: Path) -> None:
    _commit()
    assert _run(
        *PARTIAL, "--commitment", "commitment.json", "--seed", "s",
        "--out", "allocation.csv", "--certificate", "draw.json",
    )[0] == 0  # fmt: skip
    data = json.loads(Path("draw.json").read_text(encoding="utf-8"))
    _remove_an_entrant("draw.json", "forged.json", keep_provenance=False)
    forged = json.loads(Path("forged.json").read_text(encoding="utf-8"))
    forged["commitment"] = data["commitment"]  # the committed zone, kept as it was
    Path("forged.json").write_text(json.dumps(forged), encoding="utf-8")
    line = _error("verify-draw", "forged.json")
    assert line.startswith(
        "forged.json: the draw does not match: the entrants differ from the commitment: 1 missing"
    )
    # Editing the commitment too breaks its hash, and the published hash.
    forged["commitment"]["entrants"] = forged["commitment"]["entrants"][1:]
    Path("forged.json").write_text(json.dumps(forged), encoding="utf-8")
    line = _error("verify-draw", "forged.json")
    assert "the commitment's recorded SHA-256" in line
    published = data["commitment"]["sha256"]
    forged["commitment"]["sha256"] = Commitment.from_dict(forged["commitment"]).sha256
    Path("forged.json").write_text(json.dumps(forged), encoding="utf-8")
    line = _error("verify-draw", "forged.json", "--published", published)
    assert line.startswith("forged.json's commitment has SHA-256")


# ------------------------------------------------------- bounded certificate work
def test_extreme_weights_are_refused_before_any_redraw(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert = draw(["A", "B"], [0.001, 1000.0], places=1, seed="s").certificate.to_dict()
    (tmp_path / "w.json").write_text(json.dumps(cert), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    line = _error("verify-draw", "w.json")
    assert line.startswith("w.json: the largest weight is 1e+06 times the smallest")


def test_too_many_entrants_are_refused() -> None:
    entrants = [
        {"submission_id": str(i), "weight": 1} for i in range(MAX_CERTIFICATE_ENTRANTS + 1)
    ]
    assert check_work({"entrants": entrants}) == ERR_TOO_MANY_ENTRANTS.format(
        n=MAX_CERTIFICATE_ENTRANTS + 1, limit=MAX_CERTIFICATE_ENTRANTS
    )


def test_the_score_runs_json_stands_for_its_csv(tmp_path: Path, p1_reviews) -> None:  # type: ignore[no-untyped-def]
    # One `score` run writes scores.csv and scores.json, each recording the other's
    # SHA-256; a draw made from the CSV is checked against the JSON by that record.
    reviews = tmp_path / "reviews.csv"
    p1_reviews().to_csv(reviews, index=False)
    base = ["score", "--reviews", str(reviews), "--scale-min", "1", "--scale-max", "6"]
    base += ["--method", "eb"]
    for seed, name in (("a", "s"), ("b", "other")):
        code, output = _run(*base, "--seed", seed, "--out", str(tmp_path / f"{name}.csv"),
                            "--json", str(tmp_path / f"{name}.json"))  # fmt: skip
        assert code == 0, output
    code, output = _run(
        "allocate", "--scores", str(tmp_path / "s.csv"), "--strategy", "lottery",
        "--capacity", "3", "--seed", "x", "--out", str(tmp_path / "a.csv"),
        "--certificate", str(tmp_path / "d.json"),
    )  # fmt: skip
    assert code == 0, output
    code, output = _run(
        "verify-draw", str(tmp_path / "d.json"), "--scores", str(tmp_path / "s.json")
    )
    assert code == 0, output
    assert "written in one run with s.csv" in " ".join(output.split())
    line = _error(
        "verify-draw", str(tmp_path / "d.json"), "--scores", str(tmp_path / "other.json")
    )
    assert "was made from another score file than" in line
