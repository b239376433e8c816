"""Which options go with decisions and which with counts: one rule, library and CLI.

The reference is the option table itself (``DECISIONS_ONLY`` / ``COUNTS_ONLY``): every
option of one input is refused with the other, by its command-line name, with the hint
the table gives, and the command line prints exactly the library's message.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from fairpanel._errors import FairpanelInputError
from fairpanel.audit import AuditPlan, plan_audit
from fairpanel.audit._options import (
    COUNTS_ONLY,
    DECISIONS_ONLY,
    ERR_BOTH_INPUTS,
    ERR_COUNTS_OPTION,
    ERR_DECISIONS_OPTION,
    ERR_NO_INPUT,
    ERR_NOT_WITH_COUNTS,
    ERR_NOT_WITH_DECISIONS,
    FLAGS,
    WIDE_GROUP,
)
from fairpanel.cli._main import app

runner = CliRunner()

#: A value that counts as given for each option, and the command-line words that give it.
GIVEN = {
    "groups": (["gender"], ["--group", "gender"]),
    "strata": ("discipline", ["--strata", "discipline"]),
    "intersect": (True, ["--intersect"]),
    "covariates": (["discipline"], ["--covariate", "discipline"]),
    "stages": (["a", "b"], ["--stages", "a,b"]),
    "submissions": ("subs.csv", ["--submissions", "subs.csv"]),
    "scores": ("scores.csv", ["--scores", "scores.csv"]),
    "reviews": ("reviews.csv", ["--reviews", "reviews.csv"]),
    "rubric": ("rubric.yaml", ["--rubric", "rubric.yaml"]),
    "higher_is_better": (False, ["--lower-is-better"]),
    "group_col": ("gender", ["--group-col", "gender"]),
    "strata_col": ("discipline", ["--strata-col", "discipline"]),
    "wide_groups": (["men", "women"], ["--wide-groups", "men,women"]),
}


def test_every_option_has_a_flag_and_one_input() -> None:
    assert set(DECISIONS_ONLY) | set(COUNTS_ONLY) == set(FLAGS) == set(GIVEN)
    assert not set(DECISIONS_ONLY) & set(COUNTS_ONLY)


@pytest.mark.parametrize("option", sorted(DECISIONS_ONLY))
def test_counts_refuse_each_decisions_option(option: str) -> None:
    value, _ = GIVEN[option]
    with pytest.raises(FairpanelInputError) as err:
        plan_audit(counts="c.csv", group_col="gender", **{option: value})
    expected = ERR_NOT_WITH_COUNTS.format(option=FLAGS[option], hint=DECISIONS_ONLY[option])
    assert err.value.message == expected


@pytest.mark.parametrize("option", sorted(COUNTS_ONLY))
def test_decisions_refuse_each_counts_option(option: str) -> None:
    value, _ = GIVEN[option]
    with pytest.raises(FairpanelInputError) as err:
        plan_audit(decisions="d.csv", groups=["gender"], **{option: value})
    other = FLAGS[COUNTS_ONLY[option]]
    assert err.value.message == ERR_NOT_WITH_DECISIONS.format(option=FLAGS[option], other=other)


def test_an_option_not_given_is_not_refused() -> None:
    # False, None and empty lists are the defaults of the command line: not given.
    plan = plan_audit(
        counts="c.csv",
        group_col="g",
        groups=[],
        intersect=False,
        covariates=(),
        stages=None,
        higher_is_better=None,
    )
    assert plan == AuditPlan("counts", group_col="g")


@pytest.mark.parametrize(
    ("inputs", "message"),
    [({}, ERR_NO_INPUT), ({"decisions": "d.csv", "counts": "c.csv"}, ERR_BOTH_INPUTS)],
)
def test_exactly_one_input(inputs: dict[str, str], message: str) -> None:
    with pytest.raises(FairpanelInputError, match=message):
        plan_audit(groups=["g"], **inputs)


def test_each_input_needs_its_group() -> None:
    with pytest.raises(FairpanelInputError) as err:
        plan_audit(decisions="d.csv")
    assert err.value.message == ERR_DECISIONS_OPTION
    with pytest.raises(FairpanelInputError) as err:
        plan_audit(counts="c.csv")
    assert err.value.message == ERR_COUNTS_OPTION.format(option="--group-col")


def test_a_wide_table_names_its_group_column() -> None:
    assert plan_audit(counts="c.csv", wide_groups=["m", "w"]).group_col == WIDE_GROUP
    assert plan_audit(counts="c.csv", wide_groups=["m", "w"], group_col="sex").group_col == "sex"
    assert plan_audit(decisions="d.csv", groups=["g"]) == AuditPlan("decisions")


@pytest.mark.parametrize("option", sorted(GIVEN))
def test_the_command_prints_the_library_message(option: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # The input files need not exist: the options are checked before anything is read.
    value, words = GIVEN[option]
    if option in DECISIONS_ONLY:
        base = ["--counts", str(tmp_path / "c.csv"), "--group-col", "gender"]
        inputs = {"counts": "c.csv", "group_col": "gender"}
    else:
        base = ["--decisions", str(tmp_path / "d.csv"), "--group", "gender"]
        inputs = {"decisions": "d.csv", "groups": ["gender"]}
    with pytest.raises(FairpanelInputError) as err:
        plan_audit(**inputs, **{option: value})  # type: ignore[arg-type]
    result = runner.invoke(app, ["audit", *base, *words])
    assert result.exit_code == 2
    assert result.stderr == f"fairpanel: error: {err.value}\n"
