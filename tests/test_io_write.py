"""Writing outputs (``fairpanel.io._write``): atomic, NaN as null, never over an input."""

import json
import math
import os

import pandas as pd
import pytest

from fairpanel import FairpanelInputError
from fairpanel.io import guard_outputs, write_frame, write_json, write_text
from fairpanel.io._outputs import ERR_OUTPUT_IS_INPUT


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "out" / "report.txt"
    write_text(target, "first")

    def boom(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_text(target, "second")
    assert target.read_text(encoding="utf-8") == "first"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.txt"]


def test_outputs_get_ordinary_permissions(tmp_path):
    path = write_text(tmp_path / "a.txt", "x")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_json_writes_nan_as_null_and_numpy_values(tmp_path):
    import numpy as np

    path = write_json(
        tmp_path / "a.json", {"x": math.nan, "y": np.float64(1.5), "z": [np.int64(2)]}
    )
    assert json.loads(path.read_text(encoding="utf-8")) == {"x": None, "y": 1.5, "z": [2]}


def test_frame_round_trips_utf8(tmp_path):
    frame = pd.DataFrame({"name": ["Zoë", "Łukasz"], "n": [1, 2]})
    path = write_frame(tmp_path / "f.csv", frame)
    assert pd.read_csv(path, encoding="utf-8").equals(frame)


def test_guard_refuses_to_overwrite_an_input(tmp_path):
    src = tmp_path / "reviews.csv"
    src.write_text("a\n", encoding="utf-8")
    with pytest.raises(FairpanelInputError, match=ERR_OUTPUT_IS_INPUT.split(" (")[0]):
        guard_outputs([src], [tmp_path / "." / "reviews.csv"])
    guard_outputs([src], [tmp_path / "scores.csv", None])


def test_sha256_matches_hashlib(tmp_path):
    import hashlib

    from fairpanel.io._checksum import file_checksums, sha256_file

    path = tmp_path / "a.bin"
    data = bytes(range(256)) * 5000
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
    assert file_checksums([path, None]) == {str(path): hashlib.sha256(data).hexdigest()}


def test_outputs_record_their_inputs_inside_a_json_and_beside_a_csv(tmp_path):
    import hashlib

    from fairpanel.io import OutputProvenance, open_outputs, read_provenance, sidecar_path

    reviews = tmp_path / "reviews.csv"
    reviews.write_text("submission_id,reviewer_id,score\nA,r1,3\n", encoding="utf-8")
    out, js = tmp_path / "scores.csv", tmp_path / "scores.json"
    tx = open_outputs(
        {"--out": out, "--json": js},
        inputs={"--reviews": reviews, "--rubric": None},
        provenance=OutputProvenance("score", seed="7"),
    )
    with tx:
        tx.write_frame(out, pd.DataFrame({"submission_id": ["A"], "calibrated_score": [3.0]}))
        tx.write_json(js, {"n": 1})
    digest = hashlib.sha256(reviews.read_bytes()).hexdigest()
    for path in (out, js):
        recorded = read_provenance(path)
        assert recorded.command == "score"
        assert recorded.seed == "7"
        assert [(r.role, r.file, r.sha256) for r in recorded.inputs] == [
            ("reviews", str(reviews), digest)
        ]
        assert not recorded.changed
    # The CSV's sidecar holds the CSV's own SHA-256; the JSON names the CSV written before it.
    assert read_provenance(out).source == sidecar_path(out)
    assert read_provenance(out).recorded_sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    assert [r.sha256 for r in read_provenance(js).written_with] == [read_provenance(out).sha256]
    assert json.loads(js.read_text(encoding="utf-8"))["n"] == 1
    out.write_text("edited\n", encoding="utf-8")
    assert read_provenance(out).changed
