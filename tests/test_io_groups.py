"""Group labels: near-duplicate spellings found, recoding parsed, applied and described."""

from __future__ import annotations

import pandas as pd
import pytest

from fairpanel._errors import FairpanelInputError
from fairpanel.io._groups import (
    ERR_RECODE_SYNTAX,
    near_duplicate_labels,
    parse_recode,
    recode_groups,
)


def test_spellings_that_differ_in_case_or_spacing_are_found() -> None:
    values = pd.Series(["woman", "Woman", "woman ", "man", "MAN", "non-binary", None])
    assert near_duplicate_labels(values) == [("MAN", "man"), ("Woman", "woman", "woman ")]
    assert near_duplicate_labels(pd.Series(["a", "b"])) == []


def test_recode_pools_labels_and_says_so() -> None:
    frame = pd.DataFrame({"gender": ["woman", "non-binary", "not stated", "man", None]})
    out, done = recode_groups(frame, "gender", parse_recode("non-binary,not stated=another"))
    assert out["gender"].tolist()[:4] == ["woman", "another", "another", "man"]
    assert out["gender"].isna().tolist()[4]
    assert frame["gender"].tolist()[1] == "non-binary"  # the input is not changed
    assert done.describe() == "gender: 'non-binary' and 'not stated' counted as 'another'"


def test_several_targets_in_one_option() -> None:
    assert parse_recode("a,b=ab; c=d") == (("a", "ab"), ("b", "ab"), ("c", "d"))


@pytest.mark.parametrize("text", ["a,b", "=x", "a=", "a=b;c"])
def test_malformed_recodes_are_refused(text: str) -> None:
    with pytest.raises(FairpanelInputError) as info:
        parse_recode(text)
    assert info.value.message == ERR_RECODE_SYNTAX.format(got=text)


def test_a_label_recoded_twice_or_absent_is_refused() -> None:
    with pytest.raises(FairpanelInputError, match="twice"):
        parse_recode("a=x; a=y")
    frame = pd.DataFrame({"gender": ["woman", "man"]})
    with pytest.raises(FairpanelInputError, match="'nonbinary', which is not a value"):
        recode_groups(frame, "gender", parse_recode("nonbinary=another"))
