"""The one seed convention: int, digit text, other text (SHA-256), None, SeedSequence,
Generator."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

import fairpanel._seed
from fairpanel._errors import FairpanelInputError
from fairpanel._seed import (
    ERR_SEED,
    ERR_SEED_NOT_PUBLIC,
    as_rng,
    seed_entropy,
    seed_sequence,
    seed_text,
)
from fairpanel.audit import bootstrap_selection_rates
from fairpanel.ml._features import seed_int
from fairpanel.panel import as_panel
from fairpanel.reliability._bootstrap import alpha_bootstrap
from fairpanel.scoring import score
from fairpanel.simulate import Scenario, compare

# `printf '%s' "panel 2026" | sha256sum` (GNU coreutils 9) prints
# 40738f0fe1946f5d8c4aeac805448bfb82feaf63e81732183a899cb2b4c73849; the seed is the
# integer of its first 16 bytes (32 hex digits), read big-endian.
PANEL_2026 = int("40738f0fe1946f5d8c4aeac805448bfb", 16)


def test_text_is_hashed_with_sha256_first_16_bytes_big_endian():
    assert seed_entropy("panel 2026") == PANEL_2026


@pytest.mark.parametrize("text", ["42", " 42", "42\n", "0042"])
def test_digit_text_is_the_integer_it_spells(text):
    assert seed_entropy(text) == 42
    np.testing.assert_array_equal(as_rng(text).random(5), np.random.default_rng(42).random(5))


@pytest.mark.parametrize("text", ["-42", "4 2", "42.0", "", "²", "٤٢"])
def test_other_text_is_hashed_even_if_it_looks_numeric(text):
    # "²" and Arabic-Indic digits pass str.isdigit(); only ASCII digits spell an integer.
    value = seed_entropy(text)
    assert 0 <= value < 2**128
    assert value != 42


def test_integers_and_numpy_integers_are_themselves():
    assert seed_entropy(7) == 7
    assert seed_entropy(np.int64(7)) == 7
    assert type(seed_entropy(np.int64(7))) is int
    assert seed_entropy(None) is None


def test_generator_is_used_as_it_is_and_seed_sequence_seeds_a_fresh_one():
    g = np.random.default_rng(3)
    assert as_rng(g) is g
    ss = np.random.SeedSequence(11)
    np.testing.assert_array_equal(as_rng(ss).random(4), np.random.default_rng(11).random(4))
    assert isinstance(as_rng(None), np.random.Generator)
    assert isinstance(as_rng(), np.random.Generator)


def test_seed_sequence_keeps_a_seed_sequence_and_spawns_like_numpy():
    ss = np.random.SeedSequence(5)
    assert seed_sequence(ss) is ss
    ours = [c.generate_state(2).tolist() for c in seed_sequence("5").spawn(3)]
    theirs = [c.generate_state(2).tolist() for c in np.random.SeedSequence(5).spawn(3)]
    assert ours == theirs
    assert seed_sequence("panel 2026").entropy == PANEL_2026


def test_seed_sequence_of_a_generator_draws_128_bits_from_its_stream():
    # Two generators in one state give one SeedSequence; the stream advances, so the
    # next call gives another (as any use of a shared Generator does).
    a, b = np.random.default_rng(9), np.random.default_rng(9)
    expected = int.from_bytes(np.random.default_rng(9).bytes(16), "big")
    assert seed_sequence(a).entropy == seed_sequence(b).entropy == expected
    assert seed_sequence(a).entropy != expected


def test_draw_text_is_digits_for_an_integer_and_the_text_itself_otherwise():
    assert seed_text(42) == seed_text(np.int64(42)) == "42"
    # Not normalised like seed_entropy: the certificate publishes what was hashed.
    assert seed_text(" 42 ") == " 42 "
    assert seed_text("panel 2026") == "panel 2026"


@pytest.mark.parametrize(
    ("seed", "kind"),
    [
        (None, "None"),
        (np.random.default_rng(1), "a numpy Generator"),
        (np.random.SeedSequence(1), "a numpy SeedSequence"),
    ],
)
def test_draw_text_refuses_what_cannot_be_published(seed, kind):
    with pytest.raises(FairpanelInputError) as info:
        seed_text(seed)
    assert info.value.message == ERR_SEED_NOT_PUBLIC.format(kind=kind)


@pytest.mark.parametrize("bad", [1.5, True, np.True_, b"42"])
def test_draw_text_refuses_other_types_like_seed_entropy(bad):
    with pytest.raises(TypeError) as info:
        seed_text(bad)
    assert str(info.value) == ERR_SEED.format(seed=bad)


def test_same_text_same_stream_other_text_other_stream():
    a, b, c = as_rng("cycle 2026"), as_rng("cycle 2026"), as_rng("cycle 2027")
    first = a.random(8)
    np.testing.assert_array_equal(first, b.random(8))
    assert not np.array_equal(first, c.random(8))


@pytest.mark.parametrize("bad", [1.5, True, np.True_, b"42", [1]])
def test_other_types_are_refused(bad):
    with pytest.raises(TypeError) as info:
        as_rng(bad)
    assert str(info.value) == ERR_SEED.format(seed=bad)
    with pytest.raises(TypeError):
        seed_entropy(bad)


def test_docstring_examples_run():
    failed, attempted = doctest.testmod(fairpanel._seed, optionflags=doctest.ELLIPSIS)
    assert attempted > 0
    assert failed == 0


def test_every_module_reads_a_seed_the_same_way():
    # "7" and 7 are one seed everywhere (the CLI passes --seed as text), and a phrase is
    # the same seed as its SHA-256 integer.
    ratings = as_panel(np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6]]))
    boot = {s: alpha_bootstrap(ratings, n_boot=50, seed=s) for s in ("7", 7)}
    assert boot["7"] == boot[7]
    # the audit's seeded bootstrap (the max-min one it replaced drew nothing else)
    cells = pd.DataFrame({"g": ["a", "b"], "applicants": [40, 30], "selected": [12, 6]})
    runs = [
        bootstrap_selection_rates(cells, ["g"], replicates=200, seed=s)
        for s in ("panel 2026", PANEL_2026)
    ]
    assert len(runs[0]) == 2
    pd.testing.assert_frame_equal(runs[0], runs[1])
    assert seed_int("7") == seed_int(7)
    reviews = pd.DataFrame(
        {
            "submission_id": list("AABBCC"),
            "reviewer_id": ["r1", "r2"] * 3,
            "score": [5, 6, 3, 4, 2, 2],
        }
    )
    tables = [score(reviews, scale=(1, 6), method="eb", seed=s).table for s in ("7", 7)]
    pd.testing.assert_frame_equal(*tables)
    sims = [compare(Scenario(submissions=40, capacity=4), replicates=2, seed=s) for s in ("7", 7)]
    pd.testing.assert_frame_equal(sims[0].table, sims[1].table)
