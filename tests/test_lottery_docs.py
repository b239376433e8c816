"""The standard-library verifier printed in docs/lottery.md, run against real certificates.

The block is taken from the documentation as it stands, so the docs cannot drift from
what fairpanel writes: it must accept a certificate with its commitment, one without,
and a no-draw certificate, and reject an entrant removed behind the commitment's back.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from fairpanel.lottery import Commitment, draw, no_draw_certificate

DOC = Path(__file__).parents[1] / "docs" / "lottery.md"


def _verifier() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("A complete verifier in a few lines of standard-library Python")
    block = re.search(r"```python\n(.*?)```", text[start:], flags=re.DOTALL)
    assert block is not None
    return block.group(1)


def _run(certificate: dict[str, object], folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (folder / "draw.json").write_text(json.dumps(certificate), encoding="utf-8")
    monkeypatch.chdir(folder)
    code = _verifier()
    assert "import fairpanel" not in code
    assert "from fairpanel" not in code
    # The reader's own script, as printed: running it is the point of the test.
    exec(compile(code, str(DOC), "exec"), {})  # noqa: S102


def _committed() -> dict[str, object]:
    ids = [f"P-{i:03d}" for i in range(1, 25)]
    weights = [1.0 + (i % 3) for i in range(24)]
    commitment = Commitment.of(
        list(zip(ids, weights, strict=True)), places=9, inputs={"scores": "ab" * 32}
    )
    cert = draw(ids, weights, places=9, seed="drand round 4500000").certificate
    return dataclasses.replace(cert, commitment=commitment).to_dict()


def test_the_docs_verifier_accepts_what_fairpanel_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(_committed(), tmp_path, monkeypatch)
    plain = draw(["A", "B", "C"], [3, 2, 1], places=1, seed="2026-cycle-1").certificate
    _run(plain.to_dict(), tmp_path, monkeypatch)
    _run(
        no_draw_certificate(seed="s", reason="no draw was needed").to_dict(), tmp_path, monkeypatch
    )


def test_the_docs_verifier_rejects_an_entrant_removed_against_its_commitment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert = _committed()
    entrants = [(e["submission_id"], e["weight"]) for e in cert["entrants"]][1:]  # type: ignore[index]
    forged = draw(
        [s for s, _ in entrants], [w for _, w in entrants], places=9, seed="drand round 4500000"
    )
    data = forged.certificate.to_dict()
    data["commitment"] = cert["commitment"]
    with pytest.raises(AssertionError):
        _run(data, tmp_path, monkeypatch)


def test_the_docs_commitment_hash_is_the_one_printed() -> None:
    text = DOC.read_text(encoding="utf-8")
    scores = "4d43178883ffaa9d411400a4746b2777a9fca3450f113f466be1c23c7a7c6947"
    commitment = Commitment.of(
        [("P-001", 3.0), ("P-002", 2.0), ("P-003", 1.0)], places=1, inputs={"scores": scores}
    )
    assert f'"sha256": "{commitment.sha256}"' in text
    assert commitment.sha256 in text.split("## Commit, then reveal")[1]
